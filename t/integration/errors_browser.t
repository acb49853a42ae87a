#!/usr/bin/env node
// Every error of the module's own pages says what happened and what to do (issue 13, item 6),
// in Chromium against the real stack (httpd + mod_s3up behind mod_auth_openidc and the test
// provider, Ceph RGW), one case after another:
// - a file over the folder's limit: listed below the Dashboard with its size and the limit,
//   and it stays; a limit lowered on the server while the page is open: the server's refusal
//   removes the file (no Retry that cannot help), lists it the same way, and the page states
//   the new limit;
// - a sign-in that expired under the customer portal and under the admin page: a line with
//   a link that signs in again and comes back to the same page;
// - an upload link withdrawn while its portal is open: the page says so, with no "Sign in";
// - a link cut short: the module's 404 page; a link whose folder was closed: 410, "has
//   closed"; a signed-in non-admin at /admin/: the module's 403 page (ErrorDocument, since
//   Require answers before s3up-admin runs), and the same from s3up-admin without Require;
// - a person whose only folder has expired or was closed: told which, and since when.
// Each of these pages is also scanned with axe (t/lib/a11y.mjs): zero violations.
// CommonJS, as node runs *.t files; the ES modules of t/lib load with require().
const { mkdirSync } = require('node:fs');
const { join } = require('node:path');
const {
  run, ok, is, like, note, cleanup, passing, launch, login, until,
} = require('../lib/browser.mjs');
const { axeViolations } = require('../lib/a11y.mjs');
const {
  requireBed, scratch, startOidcHttpd, s3tool, writeBytesFile, randomId, rmSync, secret,
} = require('../lib/stack.mjs');

requireBed();
const MiB = 1024 * 1024;

run(async () => {
  const dir = scratch('errors_browser');
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); else note(`kept ${dir}`); });
  const tag = randomId();
  const admin = `admin-${tag}`, cust = `cust-${tag}`, late = `late-${tag}`;
  const ep = `err-${tag}`, gone = `old-${tag}`;
  const { url } = startOidcHttpd(dir, (base) => `
S3UpSecretFile "${secret(dir)}"
S3UpLinkURL ${base}/drop
S3UpPortalURL ${base}/upload
S3UpCacheTTL 1s
<Location /admin>
    SetHandler s3up-admin
    ErrorDocument 403 /drop/not-admin
</Location>
<Location /upload>
    SetHandler s3up-upload
</Location>
<Location /drop>
    SetHandler s3up-drop
</Location>
# An admin location whose Require was forgotten: s3up-admin itself refuses.
<Location /bare-admin>
    SetHandler s3up-admin
</Location>
`, ['/upload', '/admin=claim groups:s3up-admins'], cleanup);
  s3tool('cors', url);
  s3tool('endpoint', ep, `members=${cust}`, `max_file_size=${8 * MiB}`);
  s3tool('endpoint', gone, `members=${late}`, 'expires=2020-01-01T00:00:00Z');
  mkdirSync(join(dir, 'files'));
  const two = join(dir, 'files', 'two.bin'), nine = join(dir, 'files', 'nine.bin');
  writeBytesFile(two, 2 * MiB, 1);
  writeBytesFile(nine, 9 * MiB, 2);

  const b = await launch({ timeout: 60000 });
  cleanup(() => b.close());
  const axe = async (p, what) => {
    const v = await axeViolations(p);
    ok(v.length === 0, `${what}: no axe violations`, ...v);
  };

  // -- over the limit, picked: listed with both sizes, and it stays
  const customer = await b.newContext();
  const page = await customer.newPage();
  await login(page, `${url}/upload/`, cust);
  await page.locator('.uppy-Dashboard').waitFor();
  like(await page.locator('#endpoint-facts').textContent(), /Files up to 8.0 MB each/, 'the portal states the limit');
  await page.locator('.uppy-Dashboard-input:not([webkitdirectory])').first().setInputFiles(nine);
  const refused = page.locator('#refused');
  await refused.waitFor();
  like(await refused.textContent(), /nine\.bin \(9.0 MB\) is larger than this folder takes: files up to 8.0 MB each/,
    'a file over the limit is listed with its size and the limit');
  is(await page.locator('.uppy-Dashboard-Item').count(), 0, 'and it is not queued');
  await axe(page, 'the portal with a refused file');
  await page.locator('.uppy-Informer p').waitFor({ state: 'detached', timeout: 30000 }).catch(() => {});
  ok(await refused.isVisible(), 'the list stays after Uppy\'s toast is gone');
  await page.locator('#refused-clear').click();
  ok(await refused.isHidden(), 'until the person clears it');

  // -- the limit lowered on the server while the page is open: the refusal says the new one
  s3tool('endpoint', ep, `members=${cust}`, `max_file_size=${1 * MiB}`);
  await until(async () => (await page.evaluate(async () => (await (await fetch('api/session')).json())
    .endpoints[0].max_file_size)) === 1 * MiB, 30000);
  await page.locator('.uppy-Dashboard-input:not([webkitdirectory])').first().setInputFiles(two);
  await page.locator('.uppy-StatusBar-actionBtn--upload').click();
  await page.locator('#refused li').waitFor();
  like(await refused.textContent(), /two\.bin \(2.0 MB\) is larger than this folder takes: files up to 1.0 MB each/,
    'a file the server refused is listed with its size and the server\'s limit');
  is(await page.locator('.uppy-Dashboard-Item').count(), 0, 'and taken off the Dashboard: no Retry that cannot help');
  like(await page.locator('#endpoint-facts').textContent(), /Files up to 1.0 MB each/, 'the page now states the new limit');
  like(await page.locator('.uppy-Dashboard-note').textContent(), /each up to 1.0 MB/, 'the Dashboard\'s note too');

  // -- the customer's sign-in expires: a way to sign in again, back to this page
  await customer.clearCookies();
  await page.locator('#refresh').click();
  const banner = page.locator('#signed-out');
  await banner.waitFor();
  like(await banner.textContent(), /sign-in has expired/, 'the portal says the sign-in expired');
  like(await page.locator('#files-status').textContent(), /no longer signed in/, 'the failed call says why');
  await axe(page, 'the portal, signed out');
  const again = banner.getByRole('link', { name: 'Sign in again' });
  is(await again.getAttribute('href'), `${url}/upload/`, 'its link returns to this page');
  await login(page, await again.getAttribute('href'), cust);
  is(page.url(), `${url}/upload/`, 'signing in again comes back to the portal');
  await page.locator('.uppy-Dashboard').waitFor();
  ok(true, 'which works again');

  // -- the admin's sign-in expires
  const adminContext = await b.newContext();
  const apage = await adminContext.newPage();
  await login(apage, `${url}/admin/`, admin);
  await apage.locator('#list-status').filter({ hasText: /endpoint/ }).waitFor();
  const made = await apage.evaluate(async (id) => (await fetch(`api/endpoints/${id}/links`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}',
  })).json(), ep);
  const made2 = await apage.evaluate(async (id) => (await fetch(`api/endpoints/${id}/links`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}',
  })).json(), ep);
  await adminContext.clearCookies();
  await apage.evaluate(() => dispatchEvent(new HashChangeEvent('hashchange')));
  await apage.locator('#signed-out').waitFor();
  like(await apage.locator('#signed-out').textContent(), /sign-in has expired/, 'the admin page says the sign-in expired');
  is(await apage.locator('#signed-out a').getAttribute('href'), `${url}/admin/`, 'with a link back to the admin page');
  await axe(apage, 'the admin page, signed out');
  await login(apage, `${url}/admin/`, admin);
  await apage.locator('#list-status').filter({ hasText: /endpoint/ }).waitFor();
  ok(!(await apage.locator('#list-status').textContent()).includes('Unauthorized'), 'signed in again, the admin page works');

  // -- an upload link withdrawn while its portal is open
  const outsider = await b.newContext();
  const lpage = await outsider.newPage();
  await lpage.goto(made.link.url);
  await lpage.locator('.uppy-Dashboard').waitFor();
  const revoked = await apage.evaluate(async ([id, link]) => (await fetch(`api/endpoints/${id}/links/${link}`,
    { method: 'DELETE' })).status, [ep, made.link.id]);
  ok(revoked < 300, `the admin withdraws the link (HTTP ${revoked})`);
  await until(async () => (await lpage.evaluate(async () => (await fetch('api/session')).status)) === 401, 30000);
  await lpage.reload();
  const problem = lpage.locator('#problem');
  await problem.waitFor();
  like(await problem.textContent(), /This upload link can no longer be used.*expired or was withdrawn/s,
    'its portal says the link was withdrawn or expired');
  is(await problem.getByRole('link', { name: /sign in/i }).count(), 0, 'and offers no sign-in that only reloads');
  await axe(lpage, 'the portal of a withdrawn link');

  // -- a link cut short, and a non-admin at /admin/
  let res = await lpage.goto(made.link.url.slice(0, -10));
  is(res.status(), 404, 'a link cut short: 404');
  like(await lpage.locator('h1').textContent(), /This upload link cannot be used/, 'on the module\'s page');
  await axe(lpage, 'the page of a link cut short');
  const late2 = await b.newContext();
  const npage = await late2.newPage();
  res = await login(npage, `${url}/admin/`, cust);
  is(res.status(), 403, 'a signed-in non-admin at /admin/: 403');
  like(await npage.locator('h1').textContent(), /This page is for administrators/, 'on the module\'s page');
  ok(!/s3up|bucket|\.s3up\//i.test(await npage.content()), 'which names nothing of the server\'s inside');
  await axe(npage, 'the not-admin page');
  res = await npage.goto(`${url}/bare-admin/`);
  is(res.status(), 403, 'an admin location without Require: 403');
  like(await npage.locator('h1').textContent(), /This page is for administrators/, 'with the same page');
  res = await npage.goto(`${url}/bare-admin/api/endpoints`);
  is((await res.json()).error?.code, 'Forbidden', 'and its API answers JSON');

  // -- a link whose folder was closed
  s3tool('endpoint', ep, `members=${cust}`, 'status=revoked');
  await until(async () => (await (await lpage.goto(made2.link.url)).status()) === 410, 30000);
  like(await lpage.locator('h1').textContent(), /This upload link has closed/, 'a link whose folder was closed: 410, "has closed"');
  like(await lpage.locator('main').textContent(), /ask the sender for a new link/, 'and what to do');
  await axe(lpage, 'the page of a closed link');

  // -- the only folder has expired
  const lateContext = await b.newContext();
  const xpage = await lateContext.newPage();
  await login(xpage, `${url}/upload/`, late);
  await xpage.locator('#problem').waitFor();
  like(await xpage.locator('#problem').textContent(), new RegExp(`This folder has expired.*"${gone}" took files until .*2020`, 's'),
    'a person whose only folder expired is told so, and since when');
  s3tool('endpoint', gone, `members=${late}`, 'status=revoked');
  await until(async () => (await xpage.evaluate(async () => (await (await fetch('api/session')).json()).closed?.[0]?.why)) === 'revoked', 30000);
  await xpage.reload();
  await xpage.locator('#problem').waitFor();
  like(await xpage.locator('#problem').textContent(), new RegExp(`This folder was closed.*"${gone}" was closed`, 's'),
    'and when it was closed, that it was closed');
  await axe(xpage, 'the portal with no open folder');
  ok(true, `pages at ${url}`);
});
