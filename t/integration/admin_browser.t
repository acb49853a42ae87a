#!/usr/bin/env node
// The admin portal in a real browser, the whole story of docs/api.md's admin routes: an admin signs in
// through the test OpenID provider (mod_auth_openidc, Require claim groups:s3up-admins),
// creates an endpoint with a member and an upload link with a passcode in the page's
// dialog and reads the one-time secrets off it; the member signs in and uploads through
// the customer portal; a person with only the link and passcode uploads in a fresh
// browser; the admin sees both files with their sizes, downloads one, shares it (a plain
// curl fetches it), deletes the other; a stale edit is refused and said so; a signed-in
// non-admin gets 403. Real httpd + mod_s3up, Ceph RGW, headless Chromium.
// Needs: apache2, libapache2-mod-auth-openidc, chromium, `npm ci`, `make` (module + vendor/).
// S3UP_TEST_SHOTS=DIR keeps screenshots (desktop and 360 px phone) for a person to look at.
// CommonJS, as node runs *.t files; the ES modules of t/lib load with require().
const { execFileSync } = require('node:child_process');
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const {
  run, ok, is, like, note, cleanup, passing, launch, login,
} = require('../lib/browser.mjs');
const {
  requireBed, scratch, startOidcHttpd, s3tool, writeBytesFile, sha256, randomId, rmSync,
} = require('../lib/stack.mjs');

requireBed();
const KiB = 1024, MiB = 1024 * KiB;
const shots = process.env.S3UP_TEST_SHOTS;
const ms = (t0) => Math.round(performance.now() - t0);
const PHONE = { width: 360, height: 780 };

run(async () => {
  const dir = scratch('admin_browser');
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); else note(`kept ${dir}`); });
  const tag = randomId();
  const admin = `admin-${tag}`, member = `cust-${tag}`, ep = `acme-${tag}`;
  const passcode = `open sesame ${tag}`;
  const shot = async (page, name, full = true) => {
    if (shots) await page.screenshot({ path: join(shots, `admin-${name}.png`), fullPage: full });
  };

  let t0 = performance.now();
  const memberFile = join(dir, 'from member.bin'), linkFile = join(dir, 'from link.bin');
  const memberSum = writeBytesFile(memberFile, 3 * MiB + 17, 31);
  const linkSum = writeBytesFile(linkFile, 1 * MiB + 5, 32);
  const secret = join(dir, 'secret');
  writeFileSync(secret, randomId(24), { mode: 0o600 });
  const { url } = startOidcHttpd(dir, (base) => `
S3UpSecretFile "${secret}"
S3UpLinkURL ${base}/drop
S3UpPortalURL ${base}/upload
S3UpCacheTTL 1s
<Location /admin>
    SetHandler s3up-admin
</Location>
<Location /upload>
    SetHandler s3up-upload
</Location>
<Location /drop>
    SetHandler s3up-drop
</Location>
`, ['/upload', '/admin=claim groups:s3up-admins'], cleanup);
  s3tool('cors', url);
  note(`provider + httpd + CORS: ${ms(t0)} ms`);

  const b = await launch({ timeout: 60000 });
  cleanup(() => b.close());
  const problems = [];
  const watch = (page, prefix) => {
    page.on('pageerror', (e) => problems.push(`${prefix}: page error: ${e.message}`));
    page.on('console', (m) => {
      // The 409 of the stale edit and the non-admin's 403s are meant.
      if (m.type() === 'error' && page.url().startsWith(url) && !/status of 40[39] /.test(m.text())) {
        problems.push(`${prefix}: console: ${m.text()}`);
      }
    });
  };

  // -- the admin signs in and creates the endpoint in the dialog
  const page = await b.newPage();
  watch(page, 'admin');
  t0 = performance.now();
  let res = await login(page, `${url}/admin/`, admin);
  note(`admin sign-in: ${ms(t0)} ms`);
  is(res?.status(), 200, 'the admin signs in and gets the admin page');
  await page.locator('#list-status').filter({ hasText: /endpoint/ }).waitFor();
  ok(await page.locator('main').count() === 1 && await page.locator('h1:visible').count() === 1, 'a main landmark and one visible h1');
  await shot(page, 'list-desktop');

  await page.getByRole('button', { name: 'New endpoint' }).click();
  const create = page.getByRole('dialog', { name: 'New upload endpoint' });
  await create.waitFor();
  is(await page.evaluate(() => document.activeElement?.id), 'c-id', 'the dialog opens with focus on its first field');
  await create.getByLabel('Id', { exact: true }).fill(ep);
  await create.getByLabel('Members').fill(`${member}\n`);
  await create.getByLabel('Largest file').fill('10G');
  await create.getByLabel('Note').fill('Acme "Corp" — shipment 7');
  await create.getByLabel('Make an upload link').check();
  await create.getByLabel('This one:').check();
  await create.getByLabel('Passcode to use').fill(passcode);
  await shot(page, 'create-dialog', false);
  await create.getByRole('button', { name: 'Create endpoint' }).click();

  const secrets = page.getByRole('dialog', { name: `Endpoint ${ep} created` });
  await secrets.waitFor();
  const linkUrl = await secrets.getByLabel('Upload link', { exact: true }).inputValue();
  const shownPasscode = await secrets.getByLabel('Passcode', { exact: true }).inputValue();
  const portalUrl = await secrets.getByLabel('Customer portal', { exact: true }).inputValue();
  like(linkUrl, new RegExp(`^${url}/drop/[A-Za-z0-9_-]{43}$`), 'the dialog shows the upload link');
  is(shownPasscode, passcode, 'and the passcode');
  is(portalUrl, `${url}/upload/e/${ep}/`, 'and the portal URL');
  like(await secrets.textContent(), /Shown once/, 'with a clear "shown once" note');
  await secrets.getByRole('button', { name: 'Copy upload link' }).click();
  await secrets.getByText('Copied.').waitFor();
  ok(true, 'the copy button says it copied');
  await shot(page, 'secrets-dialog', false);
  await secrets.getByRole('link', { name: 'Open the endpoint' }).click();
  await page.locator('#ep-id').filter({ hasText: ep }).waitFor();
  is(await page.locator('#s-members').inputValue(), member, 'the endpoint page shows its member');
  is(await page.locator('#s-limit').inputValue(), '10G', 'and its size limit as typed');
  const record = s3tool('head', `.s3up/endpoints/${ep}.json`);
  ok(record !== null, 'the endpoint record is in the bucket');

  // -- the member signs in (another browser context) and uploads through the customer portal
  const upload = async (p, file) => {
    const input = p.locator('.uppy-Dashboard-input:not([webkitdirectory])').first();
    await input.setInputFiles(file);
    await p.locator('.uppy-StatusBar-actionBtn--upload').click();
    await p.locator('.uppy-StatusBar.is-complete').waitFor({ timeout: 60000 });
  };
  const memberContext = await b.newContext();
  const mpage = await memberContext.newPage();
  watch(mpage, 'member');
  t0 = performance.now();
  await login(mpage, portalUrl, member);
  await mpage.locator('#endpoint-id').filter({ hasText: ep }).waitFor();
  await upload(mpage, memberFile);
  note(`member sign-in + upload: ${ms(t0)} ms`);
  is(s3tool('sha256', `uploads/${ep}/from member.bin`), memberSum, "the member's file arrived, bytes equal");

  // -- a person with only the link and the passcode, in a fresh browser context
  const linkContext = await b.newContext();
  const lpage = await linkContext.newPage();
  watch(lpage, 'link');
  t0 = performance.now();
  await lpage.goto(linkUrl);
  await lpage.getByLabel('Passcode').fill(shownPasscode);
  await Promise.all([lpage.waitForURL(`${url}/drop/`), lpage.getByRole('button', { name: /Open the upload page/ }).click()]);
  await lpage.locator('#endpoint-id').filter({ hasText: ep }).waitFor();
  await upload(lpage, linkFile);
  note(`link + passcode + upload: ${ms(t0)} ms`);
  is(s3tool('sha256', `uploads/${ep}/from link.bin`), linkSum, "the link person's file arrived, bytes equal");

  // -- someone guesses the passcode: the link locks; the admin sees it and unlocks it
  const guesses = [];
  for (let i = 0; i < 6; i++) {
    guesses.push((await fetch(linkUrl, {
      method: 'POST', redirect: 'manual', body: new URLSearchParams({ passcode: `guess-${i}` }), headers: { origin: url },
    })).status);
  }
  is(guesses, [303, 303, 303, 303, 303, 429], 'five wrong passcodes, then the link is locked');
  await page.reload();
  await page.locator('#ep-id').filter({ hasText: ep }).waitFor();
  const linkRow = page.locator('#links-body tr').first();
  await linkRow.locator('.locked').waitFor();
  like(await linkRow.textContent(), /locked until/, 'the admin page shows the link locked, and until when');
  await linkRow.getByRole('button', { name: /^Unlock / }).click();
  await page.getByText('Link unlocked').waitFor();
  await page.locator('#links-body .locked').waitFor({ state: 'detached' });
  ok(true, 'the admin unlocks it');
  const again = await fetch(linkUrl, {
    method: 'POST', redirect: 'manual', body: new URLSearchParams({ passcode: shownPasscode }), headers: { origin: url },
  });
  ok(again.status === 303 && (again.headers.get('set-cookie') ?? '').startsWith('s3up_link='), 'and the passcode opens the link again');

  // -- the admin sees both files with their sizes
  await page.getByRole('button', { name: 'Refresh' }).first().click();
  const row = (name) => page.locator('#files-body tr', { has: page.locator('td.name', { hasText: name }) });
  await row('from link.bin').waitFor();
  const sizes = {};
  for (const name of ['from member.bin', 'from link.bin']) {
    sizes[name] = Number(await row(name).locator('td.num').getAttribute('data-bytes'));
  }
  is(sizes, { 'from member.bin': 3 * MiB + 17, 'from link.bin': 1 * MiB + 5 }, 'the admin sees both files with their sizes');
  is(await row('from member.bin').locator('td.num').textContent(), '3.0 MB', 'in human-readable form');
  await page.locator('#ep-files').filter({ hasText: /^2$/ }).waitFor();
  ok(true, 'the totals count both files');
  await shot(page, 'endpoint-desktop');

  // -- download one (the page's link, caught as a download)
  t0 = performance.now();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    (async () => {
      await row('from member.bin').getByRole('button', { name: 'Actions for from member.bin' }).click();
      await page.getByRole('menuitem', { name: 'Download' }).click();
    })(),
  ]);
  is(download.suggestedFilename(), 'from member.bin', 'the download has the file name');
  is(sha256(readFileSync(await download.path())), memberSum, 'the downloaded bytes equal the source');
  note(`download: ${ms(t0)} ms`);

  // -- share it: a plain curl fetches the address
  await row('from member.bin').getByRole('button', { name: 'Actions for from member.bin' }).click();
  await page.getByRole('menuitem', { name: 'Share…' }).click();
  const share = page.getByRole('dialog', { name: /^Share/ });
  await share.getByLabel('Works for').selectOption({ label: '1 hour' });
  await share.getByRole('button', { name: 'Make address' }).click();
  await share.getByLabel('Address').waitFor();
  const shareUrl = await share.getByLabel('Address').inputValue();
  like(shareUrl, new RegExp(`^${url}/drop/s/[A-Za-z0-9_-]{43}$`), 'the share dialog shows a short address on this server');
  await shot(page, 'share-dialog', false);
  const curled = execFileSync('curl', ['-sSL', '--fail', '-o', '-', shareUrl], { maxBuffer: 16 * MiB });
  is(sha256(curled), memberSum, 'a plain curl fetches the shared file, bytes equal');
  await share.getByRole('button', { name: 'Close' }).click();

  // -- delete the other, with the confirmation
  await row('from link.bin').getByRole('button', { name: 'Actions for from link.bin' }).click();
  await page.getByRole('menuitem', { name: 'Delete…' }).click();
  const confirm = page.getByRole('alertdialog', { name: 'Delete from link.bin?' });
  await confirm.waitFor();
  is(await page.evaluate(() => document.activeElement?.id), 'confirm-no', 'the confirmation starts on Cancel');
  await confirm.getByRole('button', { name: 'Delete file' }).click();
  await row('from link.bin').waitFor({ state: 'detached' });
  ok(true, 'the deleted file leaves the list');
  is(s3tool('head', `uploads/${ep}/from link.bin`), null, 'and is gone from the bucket');
  ok(s3tool('head', `uploads/${ep}/from member.bin`) !== null, 'the other one stays');

  // -- the admin uploads into the customer's folder (Dashboard on the page, e/{id}/s3/...)
  const adminFile = join(dir, 'from admin.txt');
  const adminSum = writeBytesFile(adminFile, 5 * KiB + 1, 33);
  await upload(page, adminFile);
  is(s3tool('sha256', `uploads/${ep}/from admin.txt`), adminSum, "the admin's upload lands in the customer's folder");
  await row('from admin.txt').waitFor();
  ok(true, 'and shows in the list');

  // -- an unfinished upload is listed and aborted
  const started = await page.evaluate(async (id) => (await fetch(`e/${id}/s3/multipart`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ filename: 'half.bin' }),
  })).status, ep);
  is(started, 200, 'an upload is started and left unfinished');
  await page.locator('#uploads-refresh').click();
  await page.getByRole('button', { name: 'Abort the upload of half.bin' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Abort upload' }).click();
  await page.locator('#uploads-status').filter({ hasText: 'None.' }).waitFor();
  is(s3tool('uploads', `uploads/${ep}/`), [], 'aborting it in the page leaves none');

  // -- a stale edit: someone else changes the endpoint while the page shows the old version
  const version = await page.evaluate(async (id) => (await (await fetch(`api/endpoints/${id}`)).json()).endpoint.version, ep);
  res = await page.evaluate(async ([id, v]) => (await fetch(`api/endpoints/${id}`, {
    method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ note: 'changed elsewhere', version: v }),
  })).status, [ep, version]);
  is(res, 200, 'another admin changes the note');
  await page.locator('#s-members').fill(`${member}\nsomeone-${tag}`);
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.locator('#settings-error').filter({ hasText: 'Someone else changed this endpoint' }).waitFor();
  ok(true, 'saving the stale page says someone else changed it');
  is(await page.locator('#s-note').inputValue(), 'changed elsewhere', 'and shows their version');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.locator('#flash').filter({ hasText: 'Saved.' }).waitFor();
  ok(true, 'saving again works');

  // -- phone width
  await page.setViewportSize(PHONE);
  await shot(page, 'endpoint-phone');
  const sideways = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  let overflow = await sideways();
  await page.goto(`${url}/admin/#/`);
  await page.locator('#endpoints-body tr').first().waitFor();
  await shot(page, 'list-phone', false);
  overflow = Math.max(overflow, await sideways());
  await page.getByLabel('Find an endpoint').fill(`cme-${tag}`);
  is(await page.locator('#endpoints-body tr').count(), 1, 'typing filters the list');
  await page.getByLabel('Find an endpoint').fill(ep);
  await page.getByLabel('Find an endpoint').press('Enter');
  await page.locator('#list-status').filter({ hasText: /^1 endpoint\.$/ }).waitFor();
  is(await page.locator('#endpoints-body a').allTextContents(), [ep], 'Search asks the server by id prefix');
  await page.getByRole('button', { name: 'New endpoint' }).click();
  await shot(page, 'create-phone', false);
  await page.keyboard.press('Escape');
  await page.getByRole('dialog', { name: 'New upload endpoint' }).waitFor({ state: 'hidden' });
  is(await page.evaluate(() => document.activeElement?.id), 'new', 'Escape closes the dialog, focus back on its button');
  overflow = Math.max(overflow, await sideways());
  ok(overflow <= 0, 'no sideways scrolling at 360 px', `overflow ${overflow}px`);

  // -- a signed-in non-admin gets 403
  res = await mpage.goto(`${url}/admin/`);
  is(res.status(), 403, 'a signed-in non-admin gets 403 for the admin page');
  res = await mpage.evaluate(async () => (await fetch('/admin/api/endpoints')).status);
  is(res, 403, 'and for its API');

  is(problems, [], 'no page errors or console errors');
  ok(b.blocked.every((u) => !u.startsWith('http://127.0.0.1')), 'only the provider\'s web fonts were blocked');

  res = await page.evaluate(async (id) => (await fetch(`api/endpoints/${id}?files=delete`, { method: 'DELETE' })).status, ep);
  is(res, 200, 'clean up: the endpoint and its files deleted');
});
