#!/usr/bin/env node
// The portal in proxy mode (S3UpUploadMode proxy) in a real browser: the
// uploader PUTs every part to httpd, which streams it to Ceph RGW. A 64 MiB
// file in 8 MiB parts arrives whole (sha256), and no part went to S3
// straight from the page. CommonJS, as node runs *.t files.
const { join } = require('node:path');
const { writeFileSync } = require('node:fs');
const {
  run, ok, is, note, cleanup, passing, launch, login,
} = require('../lib/browser.mjs');
const {
  requireBed, scratch, startOidcHttpd, s3tool, writeBytesFile, randomId, rmSync,
} = require('../lib/stack.mjs');

requireBed();
const MiB = 1024 * 1024;

run(async () => {
  const dir = scratch('uploader_proxy');
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); else note(`kept ${dir}`); });
  const tag = randomId();
  const user = `prx-${tag}`, ep = `pxy-${tag}`;
  const sum = writeBytesFile(join(dir, 'through.bin'), 64 * MiB, 77);
  const secret = join(dir, 'secret');
  writeFileSync(secret, randomId(24), { mode: 0o600 });
  const { url } = startOidcHttpd(dir, `
S3UpSecretFile "${secret}"
<Location /upload>
    SetHandler s3up-upload
    S3UpUploadMode proxy
    S3UpPartSize 8M
</Location>
`, ['/upload'], cleanup);
  s3tool('endpoint', ep, `members=${user}`);

  const b = await launch({ timeout: 60000, intercept: false });
  cleanup(() => b.close());
  const page = await b.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  const puts = [];
  page.on('request', (r) => { if (r.method() === 'PUT') puts.push(r.url()); });
  await login(page, `${url}/upload/`, user);
  await page.locator('.uppy-Dashboard').waitFor();
  const session = await page.evaluate(() => fetch('api/session').then((r) => r.json()));
  is(session.mode, 'proxy', 'the session says proxy');
  await page.locator('.uppy-Dashboard-input:not([webkitdirectory])').first().setInputFiles(join(dir, 'through.bin'));
  await page.locator('.uppy-StatusBar-actionBtn--upload').click();
  await page.locator('.uppy-StatusBar.is-complete').waitFor({ timeout: 120000 });
  is(puts.length, 8, 'eight part PUTs');
  ok(puts.every((u) => u.startsWith(`${url}/upload/`) && u.includes('/data?')), 'every PUT went to httpd, none to S3', puts.slice(0, 2).join('\n'));
  is(s3tool('sha256', `uploads/${ep}/through.bin`), sum, 'the file arrived whole (sha256)');
  is(s3tool('uploads', `uploads/${ep}/`), [], 'no unfinished upload left');
  is(problems, [], 'no page errors');
});
