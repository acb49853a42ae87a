#!/usr/bin/env node
// The customer portal survives a reload in the middle of a big upload, and cancels cleanly:
// a person signs in (mod_auth_openidc + the test provider), starts a 150 MiB multipart
// upload through Uppy's Dashboard, reloads the page after the first part; GoldenRetriever
// brings the file back (too big to keep in the browser: the person picks it again), the
// upload resumes from ListParts without sending the first part again, and the object's bytes
// are right. Then a file removed while it uploads (the page asks first: 150 MiB) leaves no
// multipart upload behind.
// The portal sends several parts at once: the last part is held in the page
// (t/lib/s3probe.mjs) until the reload, so the reload comes while the upload is unfinished.
// Needs what portal_upload.t needs. CommonJS, as node runs *.t files.
const { linkSync } = require('node:fs');
const { join } = require('node:path');
const { run, ok, is, note, cleanup, passing, until, expecting } = require('../lib/browser.mjs');
const { requireBed, scratch, s3tool, writeBytesFile, randomId, rmSync } = require('../lib/stack.mjs');
const { startPortal, portalPage } = require('../lib/portal.mjs');

requireBed();
const MiB = 1024 * 1024;
// S3UP_TEST_SHOTS=DIR keeps screenshots of the page, for a person to look at.
const shots = process.env.S3UP_TEST_SHOTS;
const ms = (t0) => Math.round(performance.now() - t0);



run(async () => {
  const dir = scratch('portal_resume');
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); else note(`kept ${dir}`); });
  const tag = randomId();
  const user = `rae-${tag}`, ep = `resume-${tag}`;
  const big = join(dir, 'big.bin');
  const bigSum = writeBytesFile(big, 150 * MiB, 200);
  linkSync(big, join(dir, 'cancel-me.bin'));

  let t0 = performance.now();
  const { url, browser } = await startPortal(dir, { [ep]: user }, cleanup, { location: `
<Location /upload>
    SetHandler s3up-upload
</Location>
` });
  // calls: what the page asks of the API and of S3, in order.
  const {
    page, calls, input: fileInput, start,
  } = await portalPage(browser, url, user);

  const partPut = (n) => (r) => r.request().method() === 'PUT' && new URL(r.url()).searchParams.get('partNumber') === String(n);

  // -- start, and reload once the first part is in S3
  await fileInput.setInputFiles(big);
  await page.evaluate(() => { window.s3probe.holdFrom = 3; });
  const firstPart = expecting(page.waitForResponse(partPut(1), { timeout: 120000 }));
  t0 = performance.now();
  await start.click();
  // Reload at once: the second 64 MiB part may be on its way, the last one is held.
  const first = await firstPart;
  const before = calls.length;
  await page.reload();
  is(first.status(), 200, 'the first part reached S3, then the page was reloaded');
  note(`first 64 MiB part: ${ms(t0)} ms`);
  const uploads = s3tool('uploads', `uploads/${ep}/`);
  is(uploads.map((u) => u.key), [`uploads/${ep}/big.bin`], 'one multipart upload is open');
  const had = s3tool('parts', `uploads/${ep}/big.bin`, uploads[0]?.upload_id) ?? [];
  ok(had.includes(1) && !had.includes(3), `S3 holds part 1, not part 3 (it holds ${JSON.stringify(had)})`);
  await page.locator('.uppy-Dashboard').waitFor();

  // The blob was too big to keep: the Dashboard shows the file as a ghost to pick again.
  await page.locator('.uppy-Dashboard-serviceMsg').waitFor();
  ok(true, 'after the reload the Dashboard says the session was restored');
  ok(await page.locator('.uppy-Dashboard-Item.is-ghost').count() === 1, 'the big file is back, waiting to be picked again');
  if (shots) await page.screenshot({ path: join(shots, 'restored-desktop.png'), fullPage: true });
  await page.locator('.uppy-DashboardContent-addMore').click();
  await fileInput.setInputFiles(big);
  await page.locator('.uppy-Dashboard-Item.is-ghost').waitFor({ state: 'detached' });
  t0 = performance.now();
  await start.click();
  await page.locator('.uppy-StatusBar.is-complete').waitFor({ timeout: 120000 });
  note(`resumed upload finished: ${ms(t0)} ms`);
  const after = calls.slice(before);
  const id = encodeURIComponent(uploads[0].upload_id);
  ok(after.some((c) => c.startsWith(`GET ${url}/upload/s3/multipart/${id}?key=`)), 'the resume asked for the parts already there (ListParts)', after.join('\n'));
  ok(!after.some((c) => c.startsWith('POST ') && c.endsWith('/upload/s3/multipart')), 'no new multipart upload was started');
  ok(!after.some((c) => /^PUT .*[?&]partNumber=1&/.test(c)), 'the first part was not sent again', after.join('\n'));
  const missing = [1, 2, 3].filter((n) => !had.includes(n));
  ok(missing.every((n) => after.some((c) => new RegExp(`^PUT .*[?&]partNumber=${n}&`).test(c))),
    `the parts S3 did not hold (${missing}) were sent, the last one among them`, after.join('\n'));
  ok(!had.some((n) => after.some((c) => new RegExp(`^PUT .*[?&]partNumber=${n}&`).test(c))), '... and none that it held');
  is(s3tool('sha256', `uploads/${ep}/big.bin`), bigSum, "the object's sha256 equals the file's");
  is(s3tool('uploads', `uploads/${ep}/`), [], 'the multipart upload is completed');

  // -- cancel: removing a file while it uploads aborts its multipart upload
  await page.locator('.uppy-DashboardContent-addMore').click();
  await fileInput.setInputFiles(join(dir, 'cancel-me.bin'));
  const created = expecting(page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/upload/s3/multipart')));
  const putting = expecting(page.waitForRequest((r) => r.method() === 'PUT' && r.url().includes('cancel-me.bin')));
  await start.click();
  const { key, uploadId } = await (await created).json();
  is(key, `uploads/${ep}/cancel-me.bin`, 'cancel: the upload started under its key');
  await putting;
  const aborted = expecting(page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().includes(encodeURIComponent(uploadId))));
  // 150 MiB: the page asks first (uploader_guard.t declines too).
  const asked = [];
  page.once('dialog', (d) => { asked.push(d.message()); d.accept(); });
  await page.getByRole('button', { name: 'Remove file cancel-me.bin' }).click();
  ok(/^Cancel the upload of "cancel-me\.bin"/.test(asked[0] ?? ''), 'cancel: the page asks first, for a file this big', asked.join(''));
  is((await aborted).status(), 200, 'cancel: the page asked the server to abort the upload');
  // The abort reaches S3 through the server's DELETE, already answered; poll a little anyway.
  await until(() => s3tool('uploads', `uploads/${ep}/`).length === 0, 15000, 250);
  is(s3tool('uploads', `uploads/${ep}/`), [], 'cancel: no multipart upload left in S3');
  is(s3tool('head', key), null, 'cancel: no object either');
});
