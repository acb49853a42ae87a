#!/usr/bin/env node
// A stock Uppy page, as someone would write it from Uppy's documentation: Dashboard and the
// AwsS3 plugin with nothing but `companionEndpoint` set. Such a page declares no file size
// (and cuts parts at Uppy's own size), so no part URL can be signed for an exact length:
// with S3UpSecretFile set, its parts go through httpd, which enforces each part's size as
// the bytes arrive. A 12 MiB file arrives whole; no PUT went to S3 from the page.
// The page is given to the browser at the portal's own address (the module serves only its
// own pages), and uses Uppy from the portal's vendor/ folder. CommonJS, as node runs *.t.
const { join } = require('node:path');
const {
  run, ok, is, note, cleanup, passing, launch,
} = require('../lib/browser.mjs');
const {
  requireBed, scratch, startHttpd, htpasswd, basicAuth, s3tool, writeBytesFile, randomId, rmSync, secret,
} = require('../lib/stack.mjs');

requireBed();
const MiB = 1024 * 1024;

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><link rel="stylesheet" href="vendor/uppy.min.css"></head>
<body><div id="uppy"></div>
<script type="module">
import { Uppy, Dashboard, AwsS3 } from './vendor/uppy.min.mjs';
const uppy = new Uppy({ autoProceed: false })
  .use(Dashboard, { inline: true, target: '#uppy' })
  .use(AwsS3, { companionEndpoint: location.href.replace(/\\/[^/]*$/, '') });
uppy.on('complete', (result) => { window.done = result; });
window.uppy = uppy;
</script></body></html>`;

run(async () => {
  const dir = scratch('stock_uppy');
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); else note(`kept ${dir}`); });
  const tag = randomId();
  const user = `sto-${tag}`, ep = `stock-${tag}`;
  const pw = htpasswd(dir, { [user]: 'pw' });
  const sum = writeBytesFile(join(dir, 'stock.bin'), 12 * MiB + 7, 91);
  const httpd = startHttpd(dir, `
S3UpSecretFile "${secret(dir)}"
<Location /upload>
    SetHandler s3up-upload
    ${basicAuth(pw)}
</Location>
`);
  cleanup(() => httpd.stop());
  s3tool('endpoint', ep, `members=${user}`);

  const b = await launch({ timeout: 60000, intercept: false });
  cleanup(() => b.close());
  const context = await b.newContext({ httpCredentials: { username: user, password: 'pw' } });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  const puts = [];
  page.on('request', (r) => { if (r.method() === 'PUT') puts.push(r.url()); });
  await page.route(`${httpd.url}/upload/stock.html`, (route) => route.fulfill({ contentType: 'text/html', body: PAGE }));
  await page.goto(`${httpd.url}/upload/stock.html`);
  await page.locator('.uppy-Dashboard').waitFor();
  // Multipart, as Uppy chooses above 100 MiB; here for a smaller file, so that the test
  // stays quick: the plugin's own option.
  await page.evaluate(() => window.uppy.getPlugin('AwsS3').setOptions({ shouldUseMultipart: true }));
  await page.locator('.uppy-Dashboard-input').first().setInputFiles(join(dir, 'stock.bin'));
  await page.locator('.uppy-StatusBar-actionBtn--upload').click();
  await page.waitForFunction(() => window.done, null, { timeout: 120000 });
  const done = await page.evaluate(() => ({ ok: window.done.successful.length, failed: window.done.failed.map((f) => f.error) }));
  is(done, { ok: 1, failed: [] }, 'the stock page uploads the file');
  is(puts.length, 3, "three parts, at Uppy's own 5 MiB");
  ok(puts.every((u) => u.startsWith(`${httpd.url}/upload/`) && u.includes('/data?')), 'every part went through httpd (no size declared)', puts.join('\n'));
  is(s3tool('sha256', `uploads/${ep}/stock.bin`), sum, 'the file arrived whole (sha256)');
  is(problems, [], 'no page errors');
});
