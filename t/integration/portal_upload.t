#!/usr/bin/env node
// The customer portal in a real browser: a person signs in through the test OpenID provider
// (mod_auth_openidc), opens htdocs/upload/ served by s3up-upload, and sends files through
// Uppy's Dashboard straight to Ceph RGW. Checks the bytes in the bucket (botocore), the
// keys (folder uploads keep their paths), the person's name, the endpoint and the list of
// received files on the page. Needs: apache2, libapache2-mod-auth-openidc, chromium,
// `npm ci`, `make` (module + vendor/).
// CommonJS, as node runs *.t files; the ES modules of t/lib load with require().
const { mkdirSync } = require('node:fs');
const { join } = require('node:path');
const {
  run, ok, is, like, note, cleanup, passing, launch, login,
} = require('../lib/browser.mjs');
const {
  requireBed, scratch, startOidcHttpd, s3tool, writeBytesFile, randomId, rmSync,
} = require('../lib/stack.mjs');

requireBed();
const KiB = 1024, MiB = 1024 * KiB;
// S3UP_TEST_SHOTS=DIR keeps screenshots of the page, for a person to look at.
const shots = process.env.S3UP_TEST_SHOTS;
const ms = (t0) => Math.round(performance.now() - t0);

run(async () => {
  const dir = scratch('portal_upload');
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); else note(`kept ${dir}`); });
  const tag = randomId();
  const user = `pat-${tag}`, ep = `acme-${tag}`;
  // Someone with two folders, and someone with none.
  const multi = `max-${tag}`, north = `north-${tag}`, south = `south-${tag}`, nobody = `nia-${tag}`;

  let t0 = performance.now();
  const files = join(dir, 'files');
  mkdirSync(join(files, 'shipment', 'photos', 'raw'), { recursive: true });
  const src = {
    'note.txt': writeBytesFile(join(files, 'note.txt'), KiB, 1),
    'medium.bin': writeBytesFile(join(files, 'medium.bin'), 20 * MiB, 2),
    'big.bin': writeBytesFile(join(files, 'big.bin'), 150 * MiB, 100),
  };
  const folder = {
    'shipment/manifest.txt': writeBytesFile(join(files, 'shipment', 'manifest.txt'), 3 * KiB, 40),
    'shipment/photos/a.jpg': writeBytesFile(join(files, 'shipment', 'photos', 'a.jpg'), 200 * KiB, 41),
    'shipment/photos/raw/a.raw': writeBytesFile(join(files, 'shipment', 'photos', 'raw', 'a.raw'), 6 * MiB, 42),
  };
  note(`test files written: ${ms(t0)} ms`);

  t0 = performance.now();
  const { url, httpd } = startOidcHttpd(dir, `
<Location /upload>
    SetHandler s3up-upload
</Location>
`, ['/upload'], cleanup);
  s3tool('endpoint', ep, `members=${user}`);
  s3tool('endpoint', north, `members=${multi}`);
  s3tool('endpoint', south, `members=${multi}`, 'expires=2099-01-01T00:00:00Z');
  s3tool('cors', url);
  note(`provider + httpd + endpoint + CORS: ${ms(t0)} ms`);

  const b = await launch({ timeout: 60000, intercept: false });
  cleanup(() => b.close());
  const page = await b.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // The provider's pages log their blocked web fonts: only the portal's errors count.
  page.on('console', (m) => {
    if (m.type() === 'error' && page.url().startsWith(`${url}/upload/`)) problems.push(`console: ${m.text()}`);
  });

  // -- sign in through the provider's pages, land on the portal
  t0 = performance.now();
  const res = await login(page, `${url}/upload/`, user);
  note(`sign-in round trip: ${ms(t0)} ms`);
  is(res?.status(), 200, 'signed in, the portal answers 200');
  await page.locator('#who-name').waitFor();
  is(await page.locator('#who-name').textContent(), user, "the person's name is shown");
  is(await page.locator('#endpoint-id').textContent(), ep, 'the endpoint is shown');
  await page.locator('#files-status').filter({ hasText: 'No files received yet' }).waitFor();
  ok(true, 'the received files list says there are none yet');
  if (shots) await page.screenshot({ path: join(shots, 'empty-desktop.png'), fullPage: true });
  ok(await page.locator('main').count() === 1 && await page.locator('h1').count() === 1, 'a main landmark and one h1');

  // -- three files at once through the Dashboard's file input
  const dashboard = page.locator('.uppy-Dashboard');
  await dashboard.waitFor();
  const fileInput = page.locator('.uppy-Dashboard-input:not([webkitdirectory])').first();
  await fileInput.setInputFiles(Object.keys(src).map((n) => join(files, n)));
  const start = page.locator('.uppy-StatusBar-actionBtn--upload');
  await start.waitFor();
  t0 = performance.now();
  await start.click();
  await page.locator('.uppy-StatusBar.is-complete').waitFor({ timeout: 120000 });
  const took = ms(t0);
  note(`1 KiB + 20 MiB + 150 MiB through the Dashboard: ${took} ms (${(170 / (took / 1000)).toFixed(0)} MiB/s)`);
  for (const [name, sum] of Object.entries(src)) {
    is(s3tool('sha256', `uploads/${ep}/${name}`), sum, `${name}: the object's sha256 equals the file's`);
  }
  is(s3tool('uploads', `uploads/${ep}/`), [], 'no unfinished multipart upload left behind');
  for (const name of Object.keys(src)) {
    ok(httpd.errorLog().includes(`endpoint=${ep} key=uploads/${ep}/${name} bytes=`),
      `${name}: its arrival is recorded (one POST or multipart alike)`);
  }
  for (const name of Object.keys(src)) {
    await page.locator('#files-body td.name', { hasText: name }).waitFor({ timeout: 10000 }).catch(() => {});
  }
  const listed = await page.locator('#files-body td.name').allTextContents();
  is(listed.sort(), Object.keys(src).sort(), 'the received files list shows the three files');
  like(await page.locator('#files-body tr', { hasText: 'big.bin' }).textContent(), /150 MB/, 'with a human-readable size');

  // -- a folder keeps its relative paths
  await page.locator('.uppy-DashboardContent-addMore').click();
  const folderInput = page.locator('.uppy-Dashboard-input[webkitdirectory]').first();
  await folderInput.setInputFiles(join(files, 'shipment'));
  await start.waitFor();
  t0 = performance.now();
  await start.click();
  await page.locator('.uppy-StatusBar.is-complete').waitFor({ timeout: 60000 });
  note(`folder of 3 files: ${ms(t0)} ms`);
  for (const [path, sum] of Object.entries(folder)) {
    is(s3tool('sha256', `uploads/${ep}/${path}`), sum, `folder upload: uploads/${ep}/${path} holds the file`);
  }
  await page.locator('#files-body td.name', { hasText: 'shipment/photos/raw/a.raw' }).waitFor({ timeout: 10000 }).catch(() => {});
  const all = await page.locator('#files-body td.name').allTextContents();
  ok(Object.keys(folder).every((p) => all.includes(p)), 'the list shows the folder files with their paths', all.join(', '));

  // -- several folders: a choice first, then one folder's page (<location>/e/{id}/)
  const ctx2 = await b.newContext();
  const page2 = await ctx2.newPage();
  page2.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await login(page2, `${url}/upload/`, multi);
  const picker = page2.getByRole('navigation', { name: 'Choose a folder' });
  await picker.waitFor();
  is((await picker.getByRole('link').allTextContents()).sort(), [north, south].sort(), 'two folders: the page offers both');
  ok(await page2.locator('#send').isHidden(), '... and no Dashboard before one is chosen');
  if (shots) await page2.screenshot({ path: join(shots, 'picker-desktop.png'), fullPage: true });
  await picker.getByRole('link', { name: south }).click();
  await page2.waitForURL(`${url}/upload/e/${south}/`);
  await page2.locator('#endpoint-id').filter({ hasText: south }).waitFor();
  ok(true, `the chosen folder's page is ${url}/upload/e/${south}/`);
  await page2.getByRole('link', { name: 'Choose another folder' }).waitFor();
  ok(true, '... with a way back to the choice');
  await page2.locator('.uppy-Dashboard-input:not([webkitdirectory])').first().setInputFiles(join(files, 'note.txt'));
  await page2.locator('.uppy-StatusBar-actionBtn--upload').click();
  await page2.locator('.uppy-StatusBar.is-complete').waitFor();
  is(s3tool('sha256', `uploads/${south}/note.txt`), src['note.txt'], 'a file sent from that page lands in that folder');
  await page2.locator('#files-body td.name', { hasText: 'note.txt' }).waitFor();
  ok(true, "... and is in that folder's list");

  // -- no folder at all: said plainly
  const ctx3 = await b.newContext();
  const page3 = await ctx3.newPage();
  await login(page3, `${url}/upload/`, nobody);
  await page3.locator('#problem').waitFor();
  is(await page3.locator('#problem h2').textContent(), 'No folder to send files to', 'no endpoint: the page says so');
  ok(await page3.locator('#problem').evaluate((e) => e === document.activeElement), '... and moves the focus to the message');

  // -- the session call refused (a sign-in that ended; with mod_auth_openidc the page itself
  // would be sent to the provider first, so the refusal is staged here)
  await ctx3.route('**/upload/api/session', (route) => route.fulfill({ status: 401, contentType: 'text/html', body: '<h1>Unauthorized</h1>' }));
  await page3.reload();
  await page3.locator('#problem h2', { hasText: 'You are not signed in' }).waitFor();
  is(await page3.getByRole('link', { name: 'Sign in' }).getAttribute('href'), `${url}/upload/`, 'session 401: "not signed in", with a way to sign in again');
  await ctx3.unroute('**/upload/api/session');
  await ctx3.route('**/upload/api/session', (route) => route.fulfill({ status: 503, contentType: 'application/json', headers: { 'Retry-After': '2' }, body: '{"error":{"code":"StoreUnavailable","message":"the store did not answer"}}' }));
  await page3.reload();
  await page3.locator('#store-state', { hasText: /The store is not answering\. Trying again in \d+ s/ }).waitFor();
  ok(await page3.locator('#problem').isHidden(), 'session 503: the page says the store is not answering and tries again, no error');
  await ctx3.unroute('**/upload/api/session');
  await page3.locator('#problem h2', { hasText: 'No folder to send files to' }).waitFor({ timeout: 15000 });
  ok(await page3.locator('#store-state').isHidden(), '... and goes on by itself once it answers');
  await ctx3.route('**/upload/api/session', (route) => route.fulfill({ status: 500, contentType: 'application/json', body: '{"error":{"code":"StoreError","message":"the store refused"}}' }));
  await page3.reload();
  await page3.locator('#problem h2', { hasText: 'not available right now' }).waitFor();
  like(await page3.locator('#problem').textContent(), /the store refused \(HTTP 500\)/, "session 500: the server's message and a way to try again");

  if (shots) {
    await page.screenshot({ path: join(shots, 'done-desktop.png'), fullPage: true });
    await page.setViewportSize({ width: 360, height: 740 });
    await page.reload();
    await page.locator('#files-body tr').first().waitFor();
    await page.screenshot({ path: join(shots, 'done-phone.png'), fullPage: true });
  }
  is(problems, [], 'no script errors on the page');
  is(b.blocked.filter((u) => !/fonts\.(googleapis|gstatic)\.com/.test(u)), [], 'nothing but loopback was asked for (besides the provider\'s fonts)');
});
