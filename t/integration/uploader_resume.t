#!/usr/bin/env node
// The portal's own uploader (htdocs/common/uploader.mjs) across a reload, and when cancelled,
// in a real browser against Ceph RGW through httpd + mod_s3up behind mod_auth_openidc:
// - a page reloaded in the middle of a 150 MiB upload (parts 6 on held in the page by
//   t/lib/s3probe.mjs, so the moment is known) resumes from ListParts once the file is
//   picked again: the parts S3 has are not PUT again, every other part is PUT once;
// - removing a file while it uploads, and the status bar's Cancel for two files, abort
//   their multipart uploads: nothing unfinished and no object is left;
// - ?uploader=stock in the page's address still selects Uppy's AwsS3 plugin (the benchmarks
//   compare both): one part at a time, each signed on its own.
// Parts are 8 MiB (S3UpPartSize 8M). Needs what portal_upload.t needs. CommonJS, as node
// runs *.t files.
const { linkSync } = require('node:fs');
const { join } = require('node:path');
const { run, ok, is, note, cleanup, passing, until, expecting } = require('../lib/browser.mjs');
const { requireBed, scratch, s3tool, writeBytesFile, randomId, rmSync } = require('../lib/stack.mjs');
const { startPortal, portalPage } = require('../lib/portal.mjs');

requireBed();
const MiB = 1024 * 1024;
const ms = (t0) => Math.round(performance.now() - t0);
const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => a + i);



run(async () => {
  const dir = scratch('uploader_resume');
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); else note(`kept ${dir}`); });
  const tag = randomId();
  const user = `ure-${tag}`, ep = `res-${tag}`;
  let t0 = performance.now();
  const big = join(dir, 'big.bin');
  const bigSum = writeBytesFile(big, 150 * MiB, 700);
  linkSync(big, join(dir, 'stock.bin'));
  const small = join(dir, 'cancel-me.bin');
  writeBytesFile(small, 40 * MiB, 720);
  linkSync(small, join(dir, 'cancel-a.bin'));
  linkSync(small, join(dir, 'cancel-b.bin'));
  note(`test files written: ${ms(t0)} ms`);

  const { url, browser } = await startPortal(dir, { [ep]: user }, cleanup);
  const {
    page, calls, problems, probe, input: fileInput, start, complete,
  } = await portalPage(browser, url, user);

  const steer = (fn) => page.evaluate(fn);
  const key = (name) => `uploads/${ep}/${name}`;
  const putsOf = (list, name) => list.filter((c) => c.startsWith('PUT ') && c.includes(`/${name}?`))
    .map((c) => Number(new URL(c.slice(4)).searchParams.get('partNumber')));
  const sorted = (a) => [...a].sort((x, y) => x - y);

  // -- reload after 5 of 19 parts
  await fileInput.setInputFiles(big);
  await steer(() => { window.s3probe.holdFrom = 6; });
  t0 = performance.now();
  await start.click();
  await until(async () => { const st = await probe(); return st.done.length >= 5 && st.held.length >= 1; });
  note(`5 parts sent: ${ms(t0)} ms`);
  // GoldenRetriever saves Uppy's state at most every 500 ms (to IndexedDB): a reload sooner
  // after the upload began would find no upload id to resume. Reload once it is kept.
  const begun = s3tool('uploads', `uploads/${ep}/`)[0]?.upload_id ?? '?';
  const kept = () => page.evaluate(() => new Promise((resolve) => {
    const req = indexedDB.open('uppy-blobs');
    req.onerror = () => resolve('');
    req.onsuccess = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains('metadata')) { db.close(); resolve(''); return; }
      const all = db.transaction('metadata').objectStore('metadata').getAll();
      all.onsuccess = () => { db.close(); resolve(all.result.map((x) => x.metadata).join('\n')); };
      all.onerror = () => { db.close(); resolve(''); };
    };
  }));
  await until(async () => (await kept()).includes(begun), 10000);
  const before = calls.length;
  await page.reload();
  const uploads = s3tool('uploads', `uploads/${ep}/`);
  is(uploads.map((u) => u.key), [key('big.bin')], 'reloaded mid-upload: one multipart upload is open');
  const id = uploads[0]?.upload_id;
  const had = s3tool('parts', key('big.bin'), id);
  is(had, range(1, 5), 'S3 holds parts 1 to 5');
  await page.locator('.uppy-Dashboard-Item.is-ghost').waitFor();
  ok(true, 'after the reload the big file is back, waiting to be picked again');
  await page.locator('.uppy-DashboardContent-addMore').click();
  await fileInput.setInputFiles(big);
  await page.locator('.uppy-Dashboard-Item.is-ghost').waitFor({ state: 'detached' });
  t0 = performance.now();
  await start.click();
  await complete.waitFor({ timeout: 120000 });
  note(`resumed upload finished: ${ms(t0)} ms`);
  const after = calls.slice(before);
  ok(after.some((c) => c.startsWith(`GET ${url}/upload/s3/multipart/${encodeURIComponent(id)}?key=`)), 'the resume asked for the parts already there (ListParts)', after.join('\n'));
  ok(!after.some((c) => c === `POST ${url}/upload/s3/multipart`), 'no new multipart upload was started');
  is(sorted(putsOf(calls.slice(0, before), 'big.bin')), range(1, 5), 'before the reload, parts 1 to 5 were PUT');
  is(sorted(putsOf(after, 'big.bin')), range(6, 19), 'after it, parts 6 to 19 were PUT, each once, and no part S3 had');
  is(s3tool('sha256', key('big.bin')), bigSum, "the object's sha256 equals the file's");
  is(s3tool('uploads', `uploads/${ep}/`), [], 'the multipart upload is completed');

  // -- remove a file while its parts go up
  await page.locator('.uppy-DashboardContent-addMore').click();
  await fileInput.setInputFiles(small);
  await steer(() => { window.s3probe.reset(); window.s3probe.holdFrom = 2; });
  const created = expecting(page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/upload/s3/multipart')));
  const putting = expecting(page.waitForRequest((r) => r.method() === 'PUT' && r.url().includes('cancel-me.bin')));
  await start.click();
  const { key: cancelKey, uploadId } = await (await created).json();
  await putting;
  const aborted = expecting(page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().includes(encodeURIComponent(uploadId))));
  await page.getByRole('button', { name: 'Remove file cancel-me.bin' }).click();
  is((await aborted).status(), 200, 'remove: the page asked the server to abort the upload');
  let st = await probe();
  is([st.inflight, st.held], [0, []], '... and stopped its PUTs');
  await until(() => s3tool('uploads', `uploads/${ep}/`).length === 0, 15000);
  is(s3tool('uploads', `uploads/${ep}/`), [], 'remove: no multipart upload left in S3');
  is(s3tool('head', cancelKey), null, 'remove: no object either');

  // -- the status bar's Cancel, two files under way
  await steer(() => { window.s3probe.reset(); window.s3probe.holdFrom = 2; });
  await page.locator('.uppy-DashboardContent-addMore').click();
  await fileInput.setInputFiles([join(dir, 'cancel-a.bin'), join(dir, 'cancel-b.bin')]);
  await start.waitFor();
  await start.click();
  await until(async () => (await probe()).done.length >= 2);
  const open = s3tool('uploads', `uploads/${ep}/`);
  is(open.map((u) => u.key).sort(), [key('cancel-a.bin'), key('cancel-b.bin')], 'cancel: both files are under way');
  const deletes = () => calls.filter((c) => c.startsWith('DELETE ')).length;
  const deletesBefore = deletes();
  await page.locator('[data-cy="cancel"]').click();
  await until(() => deletes() - deletesBefore >= 2, 15000);
  await until(() => s3tool('uploads', `uploads/${ep}/`).length === 0, 15000);
  is(deletes() - deletesBefore, 2, 'cancel: one DELETE per upload');
  st = await probe();
  is([st.inflight, st.held], [0, []], '... no PUT left under way');
  is(s3tool('uploads', `uploads/${ep}/`), [], 'cancel: no multipart upload left in S3');
  is([s3tool('head', key('cancel-a.bin')), s3tool('head', key('cancel-b.bin'))], [null, null], 'cancel: no object either');

  // -- ?uploader=stock: Uppy's AwsS3 plugin, same server
  await page.goto(`${url}/upload/?uploader=stock`);
  await page.locator('.uppy-Dashboard').waitFor();
  await fileInput.setInputFiles(join(dir, 'stock.bin'));
  const stockFrom = calls.length;
  t0 = performance.now();
  await start.click();
  await complete.waitFor({ timeout: 120000 });
  note(`stock AwsS3, 150 MiB: ${ms(t0)} ms`);
  const stock = calls.slice(stockFrom);
  st = await probe();
  is(st.max, 1, '?uploader=stock: the parts of a file go one at a time');
  is(stock.filter((c) => /^GET .*\/upload\/s3\/multipart\/[^/?]+\/\d+\?key=/.test(c)).length, 19, '... each signed on its own');
  ok(!stock.some((c) => c.includes('/batch?')), '... none in a batch');
  is(s3tool('sha256', key('stock.bin')), bigSum, "stock.bin: the object's sha256 equals the file's");
  is(problems, [], 'no script errors on the page');
});
