#!/usr/bin/env node
// One upload, continued from another device: a person starts a 150 MiB upload in one browser
// (parts 6 on held in the page by t/lib/s3probe.mjs, so 5 of 19 parts are in S3), the browser
// goes away; in a second browser context (another device: no cookies, no IndexedDB in common)
// the same person picks the same file, and the portal's uploader (htdocs/common/uploader.mjs)
// continues that upload (POST s3/multipart finds it by name, size and fingerprint): only
// parts 6 to 19 are PUT, the object is whole (sha256), there is one object (no "big (1).bin")
// and no unfinished upload is left.
// Before that, another person picking a file of the same name, size and content in their own
// endpoint gets their own new upload: the first person's stays as it was.
// Parts are 8 MiB (S3UpPartSize 8M). Needs what portal_upload.t needs. CommonJS, as node
// runs *.t files.
const { join } = require('node:path');
const { run, ok, is, note, cleanup, passing, until } = require('../lib/browser.mjs');
const { requireBed, scratch, s3tool, writeBytesFile, randomId, rmSync } = require('../lib/stack.mjs');
const { startPortal, portalPage } = require('../lib/portal.mjs');

requireBed();
const MiB = 1024 * 1024;
const ms = (t0) => Math.round(performance.now() - t0);
const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const sorted = (a) => [...a].sort((x, y) => x - y);

run(async () => {
  const dir = scratch('uploader_devices');
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); else note(`kept ${dir}`); });
  const tag = randomId();
  const user = `dev-${tag}`, ep = `dev-${tag}`;
  const other = `dvo-${tag}`, ep2 = `dvo-${tag}`;
  const big = join(dir, 'big.bin');
  const bigSum = writeBytesFile(big, 150 * MiB, 730);

  let t0 = performance.now();
  const { url, browser } = await startPortal(dir, { [ep]: user, [ep2]: other }, cleanup);
  const problems = [];
  // A device: its own context (cookies, IndexedDB), a page watched by s3probe.
  const device = (who) => portalPage(browser, url, who, { problems });
  const putsOf = (list) => list.filter((c) => c.startsWith('PUT ') && c.includes('/big.bin?'))
    .map((c) => Number(new URL(c.slice(4)).searchParams.get('partNumber')));
  const creates = (list) => list.filter((c) => c.startsWith('POST ') && /\/upload\/s3\/multipart$/.test(c)).length;

  // -- the first device: 5 of 19 parts, then it is gone
  const a = await device(user);
  await a.input.setInputFiles(big);
  await a.page.evaluate(() => { window.s3probe.holdFrom = 6; });
  await a.start.click();
  await until(async () => { const st = await a.probe(); return st.done.length >= 5 && st.held.length >= 1; });
  await a.context.close();
  const open = s3tool('uploads', `uploads/${ep}/`);
  is(open.map((u) => u.key), [`uploads/${ep}/big.bin`], 'the first device left one unfinished upload');
  const id = open[0]?.upload_id;
  is(s3tool('parts', `uploads/${ep}/big.bin`, id), range(1, 5), 'S3 holds parts 1 to 5 of it');

  // -- another person, the same file in their own endpoint: their own upload
  const c = await device(other);
  await c.input.setInputFiles(big);
  t0 = performance.now();
  await c.start.click();
  await c.complete.waitFor({ timeout: 120000 });
  note(`another person's upload: ${ms(t0)} ms`);
  is(creates(c.calls), 1, 'another person: a new upload was started');
  is(sorted(putsOf(c.calls)), range(1, 19), '... and every part sent, none taken from the other upload');
  is(s3tool('sha256', `uploads/${ep2}/big.bin`), bigSum, "... into their own folder, whole");
  is(s3tool('uploads', `uploads/${ep}/`).map((u) => u.upload_id), [id], "the first person's upload is untouched");
  is(s3tool('parts', `uploads/${ep}/big.bin`, id), range(1, 5), '... with its 5 parts');
  await c.context.close();

  // -- the same person on a second device: the same upload continues
  const d = await device(user);
  await d.input.setInputFiles(big);
  t0 = performance.now();
  await d.start.click();
  await d.complete.waitFor({ timeout: 120000 });
  note(`continued on the second device: ${ms(t0)} ms`);
  is(creates(d.calls), 1, 'the second device asked to start the file once');
  is(sorted(putsOf(d.calls)), range(6, 19), '... and PUT only parts 6 to 19, each once');
  ok(d.calls.some((c2) => c2.startsWith(`POST ${url}/upload/s3/multipart/${encodeURIComponent(id)}/complete?`)),
    '... completing the upload the first device began');
  is(s3tool('sha256', `uploads/${ep}/big.bin`), bigSum, "the object's sha256 equals the file's");
  is(s3tool('list', `uploads/${ep}/`).map((o) => o.key), [`uploads/${ep}/big.bin`], 'one object, no "big (1).bin"');
  is(s3tool('uploads', `uploads/${ep}/`), [], 'no unfinished upload left');
  is(problems, [], 'no script errors on the pages');
});
