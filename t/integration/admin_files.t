#!/usr/bin/env node
// The admin's file list, share links through httpd and upload-link labels (issue 13, items
// 4, 5 and 7), in a real browser against the real stack: an admin makes an endpoint that
// closes on a date and a labelled upload link in the page; a member and the link's holder
// upload (the holder's second file of a taken name becomes "report (1).pdf"); the admin's
// list says who uploaded each file (the member's name, the link's label), ties the copy
// to its original, sorts by size, filters by name, shows the totals, deletes two files
// at once; a share address on this server redirects to the file (bytes equal), is listed
// with its use count, and stops working when revoked (404) or expired (410); at phone
// width (390 px) the link's label and what each value is stay readable.
// Real httpd + mod_s3up + mod_auth_openidc, Ceph RGW, headless Chromium.
const { execFileSync } = require('node:child_process');
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const {
  run, ok, is, like, note, cleanup, passing, launch, login,
} = require('../lib/browser.mjs');
const {
  requireBed, scratch, startOidcHttpd, s3tool, writeBytesFile, sha256, randomId, rmSync,
} = require('../lib/stack.mjs');

requireBed();
const KiB = 1024;
const PHONE = { width: 390, height: 844 };
const shots = process.env.S3UP_TEST_SHOTS;

// An address fetched without following redirects: status, headers, body.
function curl(address, follow = false) {
  const out = execFileSync('curl', ['-sS', ...(follow ? ['-L'] : []), '-D', '-', '-o', '-', address], { maxBuffer: 8 << 20 });
  const text = out.toString('latin1');
  const heads = [...text.matchAll(/HTTP\/1\.1 (\d+)[^\r\n]*\r\n([\s\S]*?)\r\n\r\n/g)];
  const last = heads[heads.length - 1];
  const end = last.index + last[0].length;
  return {
    status: Number(last[1]),
    location: heads[0][2].match(/^location: (.*)$/im)?.[1],
    cacheControl: heads[0][2].match(/^cache-control: (.*)$/im)?.[1],
    body: out.subarray(end),
  };
}

run(async () => {
  const dir = scratch('admin_files');
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); else note(`kept ${dir}`); });
  const tag = randomId();
  const admin = `admin-${tag}`, member = `cust-${tag}`, ep = `files-${tag}`;
  const label = `Jane at Acme — contracts ${tag}`;
  for (const d of ['m', 'l']) mkdirSync(join(dir, d));
  const sums = {
    'big.bin': writeBytesFile(join(dir, 'm', 'big.bin'), 300 * KiB, 41),
    'report.pdf': writeBytesFile(join(dir, 'm', 'report.pdf'), 10 * KiB, 42),
    'small.txt': writeBytesFile(join(dir, 'l', 'small.txt'), 1 * KiB, 43),
    'report (1).pdf': writeBytesFile(join(dir, 'l', 'report.pdf'), 2 * KiB, 44),
  };
  const secret = join(dir, 'secret');
  writeFileSync(secret, randomId(24), { mode: 0o600 });
  const { url, httpd } = startOidcHttpd(dir, (base) => `
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

  const b = await launch({ timeout: 60000 });
  cleanup(() => b.close());
  const problems = [];
  const watch = (page, who) => {
    page.on('pageerror', (e) => problems.push(`${who}: page error: ${e.message}`));
  };
  const shot = async (p, name) => {
    if (shots) await p.screenshot({ path: join(shots, `files-${name}.png`), fullPage: true });
  };
  const upload = async (p, files) => {
    await p.locator('.uppy-Dashboard-input:not([webkitdirectory])').first().setInputFiles(files);
    await p.locator('.uppy-StatusBar-actionBtn--upload').click();
    await p.locator('.uppy-StatusBar.is-complete').waitFor({ timeout: 60000 });
  };

  // -- the admin: an endpoint that closes in 30 days, and a labelled link made in the page
  const page = await b.newPage();
  watch(page, 'admin');
  is((await login(page, `${url}/admin/`, admin))?.status(), 200, 'the admin signs in');
  const closes = new Date(Date.now() + 30 * 86400e3).toISOString().replace(/\.\d+Z$/, 'Z');
  const made = await page.evaluate(async ([id, who, expires]) => (await fetch('api/endpoints', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id, members: [who], expires }),
  })).status, [ep, member, closes]);
  is(made, 201, 'an endpoint that closes in 30 days');
  await page.goto(`${url}/admin/#/e/${ep}`);
  await page.locator('#ep-id').filter({ hasText: ep }).waitFor();
  await page.getByRole('button', { name: 'New upload link' }).click();
  const dialog = page.getByRole('dialog', { name: 'New upload link' });
  await dialog.getByLabel('For whom or what').fill(label);
  await dialog.getByRole('button', { name: 'Make link' }).click();
  const secrets = page.getByRole('dialog', { name: 'Upload link made' });
  const linkUrl = await secrets.getByLabel('Upload link', { exact: true }).inputValue();
  like(await secrets.textContent(), new RegExp(`For ${label}`), 'the one-time dialog names whom the link is for');
  await secrets.getByRole('button', { name: 'Done' }).click();
  const linkRow = page.locator('#links-body tr').first();
  await linkRow.locator('td.name').filter({ hasText: label }).waitFor();
  ok(true, 'the links table shows the label');
  const until = await linkRow.locator('td').nth(2).textContent();
  like(until, /\(the endpoint closes\)/, 'a link without its own end says it stops when the endpoint closes');
  ok(!/until revoked/.test(until), 'not "until revoked"', until);

  // -- a member and the link's holder upload
  const mctx = await b.newContext();
  const mpage = await mctx.newPage();
  watch(mpage, 'member');
  await login(mpage, `${url}/upload/e/${ep}/`, member);
  await mpage.locator('#endpoint-id').filter({ hasText: ep }).waitFor();
  await upload(mpage, [join(dir, 'm', 'big.bin'), join(dir, 'm', 'report.pdf')]);
  const lctx = await b.newContext();
  const lpage = await lctx.newPage();
  watch(lpage, 'link');
  await lpage.goto(linkUrl);
  await lpage.locator('#endpoint-id').filter({ hasText: ep }).waitFor();
  await upload(lpage, [join(dir, 'l', 'small.txt'), join(dir, 'l', 'report.pdf')]);
  for (const [name, sum] of Object.entries(sums)) {
    is(s3tool('sha256', `uploads/${ep}/${name}`), sum, `${name} arrived, bytes equal`);
  }

  // -- the list: uploaded by, the copy, sorting, filtering, totals
  await page.locator('#files-refresh').click();
  const names = () => page.locator('#files-body .file-name').allTextContents();
  const row = (name) => page.locator('#files-body tr', { has: page.locator('.file-name', { hasText: new RegExp(`^${name.replace(/[()]/g, '\\$&')}$`) }) });
  await row('small.txt').waitFor();
  is(await names(), ['big.bin', 'report (1).pdf', 'report.pdf', 'small.txt'], 'by name at first');
  is(await row('big.bin').locator('td.by').textContent(), member, "a member's file: uploaded by the member");
  is(await row('small.txt').locator('td.by').textContent(), `link: ${label}`, "a link's file: uploaded by the link's label");
  is(await row('report (1).pdf').locator('.copy-of').textContent(), 'copy of report.pdf', 'the copy names its original');
  like(await page.locator('#files-totals').textContent(), /^4 files, 313 KB\.$/, 'the totals');

  await page.locator('#files th[data-sort=size] button').click();
  await page.locator('#files th[data-sort=size][aria-sort=descending]').waitFor();
  await page.waitForFunction(() => document.querySelector('#files-body .file-name')?.textContent === 'big.bin');
  is(await names(), ['big.bin', 'report.pdf', 'report (1).pdf', 'small.txt'], 'sorted by size, largest first');
  await page.locator('#files th[data-sort=size] button').click();
  await page.locator('#files th[data-sort=size][aria-sort=ascending]').waitFor();
  await page.waitForFunction(() => document.querySelector('#files-body .file-name')?.textContent === 'small.txt');
  is(await names(), ['small.txt', 'report (1).pdf', 'report.pdf', 'big.bin'], 'then smallest first');

  await page.getByLabel('Filter by name').fill('REPORT');
  await page.locator('#files-totals').filter({ hasText: /^2 files/ }).waitFor();
  is(await names(), ['report (1).pdf', 'report.pdf'], 'filtered by name, any case');
  like(await page.locator('#files-totals').textContent(), /matching “REPORT”/, 'the totals say what they count');
  await page.getByLabel('Filter by name').fill('');
  await page.locator('#files-totals').filter({ hasText: /^4 files/ }).waitFor();
  await shot(page, 'desktop');

  // -- a folder (put straight into the bucket, as a folder upload leaves it)
  const inFolder = join(dir, 'a.jpg');
  writeBytesFile(inFolder, 3 * KiB, 45);
  s3tool('put', `uploads/${ep}/photos/a.jpg`, inFolder);
  await page.getByLabel('Show folders').check();
  const folder = page.locator('#folders-body tr').first();
  await folder.waitFor();
  like(await folder.textContent(), /photos\/.*1 file/, 'the folder view shows the folder with its file count');
  is(await names(), ['small.txt', 'report (1).pdf', 'report.pdf', 'big.bin'], 'the files at the top stay, in the order chosen');
  await folder.getByRole('button').click();
  await page.locator('#files-crumb').filter({ hasText: 'photos' }).waitFor();
  is(await names(), ['photos/a.jpg'], 'opening it lists what it holds');
  await page.locator('#files-crumb').getByRole('button', { name: 'All files' }).click();
  await page.locator('#folders-body tr').first().waitFor();
  await page.getByLabel('Show folders').uncheck();
  await page.locator('#files-totals').filter({ hasText: /^5 files/ }).waitFor();
  await row('photos/a.jpg').getByRole('checkbox').check();
  await page.getByRole('button', { name: 'Delete selected' }).click();
  await page.getByRole('alertdialog', { name: 'Delete photos/a.jpg?' }).getByRole('button', { name: 'Delete file' }).click();
  await page.locator('#files-totals').filter({ hasText: /^4 files/ }).waitFor();

  // -- the row menu, by keyboard: one Tab stop per row besides its checkbox
  const actions = row('big.bin').getByRole('button', { name: 'Actions for big.bin' });
  await actions.focus();
  await page.keyboard.press('Enter');
  await page.getByRole('menuitem', { name: 'Download' }).waitFor();
  is(await page.evaluate(() => document.activeElement?.textContent), 'Download', 'the menu opens on its first item');
  await page.keyboard.press('ArrowDown');
  is(await page.evaluate(() => document.activeElement?.textContent), 'Share…', 'arrow keys move through it');
  await page.keyboard.press('Escape');
  await page.locator('#row-menu').waitFor({ state: 'hidden' });
  is(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Actions for big.bin', 'Escape closes it, focus back on its button');
  is(await page.locator('#files-body button, #files-body a').count(), 4, 'one button per row, not three');

  // -- two deleted at once
  await row('small.txt').getByRole('checkbox').check();
  await row('report (1).pdf').getByRole('checkbox').check();
  await page.getByRole('button', { name: 'Delete selected' }).click();
  await page.getByRole('alertdialog', { name: 'Delete 2 files?' }).getByRole('button', { name: 'Delete 2 files' }).click();
  await page.locator('#files-totals').filter({ hasText: /^2 files/ }).waitFor();
  is(await names(), ['report.pdf', 'big.bin'], 'both leave the list (still smallest first)');
  ok(s3tool('head', `uploads/${ep}/small.txt`) === null && s3tool('head', `uploads/${ep}/report (1).pdf`) === null, 'and the bucket');

  // -- a share address on this server
  await row('report.pdf').getByRole('button', { name: 'Actions for report.pdf' }).click();
  await page.getByRole('menuitem', { name: 'Share…' }).click();
  const share = page.getByRole('dialog', { name: /^Share/ });
  await share.getByRole('button', { name: 'Make address' }).click();
  await share.getByLabel('Address').waitFor();
  const address = await share.getByLabel('Address').inputValue();
  like(address, new RegExp(`^${url}/drop/s/[A-Za-z0-9_-]{43}$`), 'a short address on the module\'s host');
  ok(!address.includes('X-Amz') && !address.includes(process.env.S3UP_TEST_ACCESS_KEY), 'showing no store, bucket or key id');
  await share.getByRole('button', { name: 'Close' }).click();
  let got = curl(address);
  is(got.status, 302, 'it redirects');
  is(got.cacheControl, 'no-store', 'and is not cached (each use signs afresh, and is counted)');
  like(got.location ?? '', new RegExp(`/${process.env.S3UP_TEST_BUCKET}/uploads/${ep}/report\\.pdf\\?.*X-Amz-Expires=300`), 'to a fresh 5-minute presigned GET of the shared key');
  got = curl(address, true);
  is(got.status, 200, 'followed');
  is(sha256(got.body), sums['report.pdf'], 'bytes right');
  await page.locator('#shares-refresh').click();
  const shareRow = page.locator('#shares-body tr').first();
  await shareRow.locator('.uses').filter({ hasText: '2 times' }).waitFor();
  is(await shareRow.locator('td.name').textContent(), 'report.pdf', 'listed under the endpoint, with the file');
  ok(true, 'and its use count (2 times)');
  const log = httpd.errorLog();
  like(log, /S3UP0506.*action=share-open.*key=uploads\/\S+\/report\.pdf uses=2 outcome=ok/, 'each use is logged');
  ok(!log.includes(address.split('/').pop()), 'without the token');
  like(log, /S3UP0401.*action=share endpoint=\S+ key=uploads\/\S+\/report\.pdf outcome=ok/, 'making it is logged');

  await shareRow.getByRole('button', { name: 'Revoke the share of report.pdf' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Revoke share' }).click();
  await page.locator('#shares-status').filter({ hasText: 'No shared files.' }).waitFor();
  got = curl(address);
  is(got.status, 404, 'revoked: 404');
  like(got.body.toString(), /This download address cannot be used/, 'with a page that says so');
  like(httpd.errorLog(), /S3UP0401.*action=share-revoke/, 'revoking is logged');

  // -- expired: the record in the bucket says it ended a minute ago
  const second = await page.evaluate(async (key) => (await (await fetch('api/share', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key, expires: 3600 }),
  })).json()), `uploads/${ep}/report.pdf`);
  is(curl(second.url).status, 302, 'another share works');
  const s = second.share;
  const past = (sec) => new Date(Date.now() - sec * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const rec = join(dir, 'record.json');
  writeFileSync(rec, JSON.stringify({
    id: s.id, key: s.key, endpoint: ep, created: past(120), created_by: admin, expires: past(60), uses: 1, last_used: null,
  }));
  s3tool('put', `.s3up/shares/${s.id}.json`, rec);
  got = curl(second.url);
  is(got.status, 410, 'expired (checked by the server): 410');
  like(got.body.toString(), /This download address cannot be used/, 'with the same clear page');
  const listed = await page.evaluate(async (id) => (await (await fetch(`api/endpoints/${id}/shares`)).json()).shares, ep);
  ok(listed.length === 1 && listed[0].expired === true, 'listed as expired');

  // -- phone width
  await page.setViewportSize(PHONE);
  await page.reload();
  await page.locator('#files-body tr').first().waitFor();
  await shot(page, 'phone');
  ok(await page.locator('#links-body td.name').filter({ hasText: label }).isVisible(), 'at 390 px the link\'s label is shown');
  const before = await page.evaluate(() => getComputedStyle(document.querySelector('#links-body td:nth-child(3)'), '::before').content);
  is(before, '"Works until: "', 'each value says what it is');
  ok(await page.locator('#files th[data-sort=size] button').isVisible(), 'the file list keeps its sort headings');
  const sideways = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  ok(sideways <= 0, 'no sideways scrolling', `${sideways}px`);

  is(problems, [], 'no page errors');
  const gone = await page.evaluate(async (id) => (await fetch(`api/endpoints/${id}?files=delete`, { method: 'DELETE' })).status, ep);
  is(gone, 200, 'clean up');
  is(curl(second.url).status, 404, 'the endpoint deleted: its shares are gone');
});
