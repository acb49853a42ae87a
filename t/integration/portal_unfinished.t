#!/usr/bin/env node
// Unfinished uploads after a reload, as a person finds them (htdocs/upload/unfinished.mjs):
// - a reload in the middle of a 150 MiB upload (too big for the browser to keep): the page
//   lists the file with what is left and why it must be picked again; one button asks for it
//   (a file chooser), and the upload goes on from ListParts: only the missing parts are PUT,
//   no new upload is started, the object is whole;
// - a reload in the middle of a 20 MiB upload (kept in the browser): the page lists it with
//   no file to pick; the button continues it, no file chooser opens;
// - a reload that lands after the upload completed, before the browser saved that: the file
//   is shown complete, nothing is asked for.
// Parts are 8 MiB (S3UpPartSize 8M); t/lib/s3probe.mjs holds parts in the page so each
// moment is known. Needs what portal_upload.t needs. CommonJS, as node runs *.t files.
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
  const dir = scratch('portal_unfinished');
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); else note(`kept ${dir}`); });
  const tag = randomId();
  const user = `unf-${tag}`, ep = `unf-${tag}`;
  const big = join(dir, 'big.bin');
  const bigSum = writeBytesFile(big, 150 * MiB, 740);
  const small = join(dir, 'small.bin');
  const smallSum = writeBytesFile(small, 20 * MiB, 741);
  const late = join(dir, 'late.bin');
  const lateSum = writeBytesFile(late, 20 * MiB, 742);

  let t0 = performance.now();
  const { url, browser } = await startPortal(dir, { [ep]: user }, cleanup);
  const {
    page, calls, problems, probe, input: fileInput, start, complete,
  } = await portalPage(browser, url, user);
  const logs = [];
  page.on('console', (m) => logs.push(m.text()));
  cleanup(() => { if (!passing()) note(logs.slice(-30).join('\n')); });

  const panel = page.locator('#unfinished');
  const go = page.locator('#unfinished-go');
  const key = (name) => `uploads/${ep}/${name}`;
  const putsOf = (list, name) => list.filter((c) => c.startsWith('PUT ') && c.includes(`/${name}?`))
    .map((c) => Number(new URL(c.slice(4)).searchParams.get('partNumber')));
  const creates = (list) => list.filter((c) => c.startsWith('POST ') && /\/upload\/s3\/multipart$/.test(c)).length;
  // GoldenRetriever keeps Uppy's state at most every 500 ms: wait until it holds the upload.
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
  })).then((idb) => page.evaluate(() => Object.keys(localStorage).map((k) => localStorage.getItem(k)).join('\n')).then((ls) => `${idb}\n${ls}`));
  const uploadOf = (name) => s3tool('uploads', `uploads/${ep}/`).find((u) => u.key === key(name))?.upload_id;
  // Start name, hold its parts from `from` on, wait until `done` are sent and the upload is kept.
  const startHeld = async (file, name, from, done) => {
    await fileInput.setInputFiles(file);
    await page.evaluate((n) => { window.s3probe.reset(); window.s3probe.holdFrom = n; }, from);
    await start.click();
    await until(async () => { const st = await probe(); return st.done.length >= done && st.held.length >= 1; });
    const id = uploadOf(name);
    await until(async () => (await kept()).includes(id), 10000);
    return id;
  };

  // -- a big file, reloaded mid-upload: picked again through the one button
  const bigId = await startHeld(big, 'big.bin', 6, 5);
  let before = calls.length;
  await page.reload();
  await panel.waitFor();
  const item = panel.locator('li', { hasText: 'big.bin' });
  ok(await item.count() === 1, 'after the reload the unfinished file is listed');
  ok(/MB of 150 MB left|of 150 MB left/.test(await item.innerText()), `... with what is left: "${await item.innerText()}"`);
  ok(/pick this file again/.test(await item.innerText()), '... and why it must be picked again');
  ok(/pick the file again/i.test(await go.innerText()), `one button says what it does: "${await go.innerText()}"`);
  const chooser = page.waitForEvent('filechooser');
  await go.click();
  await (await chooser).setFiles(big);
  t0 = performance.now();
  await complete.waitFor({ timeout: 120000 });
  note(`continued after the reload: ${ms(t0)} ms`);
  let after = calls.slice(before);
  is(creates(after), 0, 'no new upload was started');
  ok(after.some((c) => c.startsWith(`GET ${url}/upload/s3/multipart/${encodeURIComponent(bigId)}?key=`)), '... the parts there were asked for (ListParts)');
  is(sorted(putsOf(after, 'big.bin')), range(6, 19), '... and only parts 6 to 19 were PUT, each once');
  is(s3tool('sha256', key('big.bin')), bigSum, "big.bin: the object's sha256 equals the file's");
  ok(await panel.isHidden(), 'the list of unfinished files is gone');

  // -- a small file, kept in the browser: continued without picking anything
  await page.locator('.uppy-DashboardContent-addMore').click();
  const smallId = await startHeld(small, 'small.bin', 2, 1);
  before = calls.length;
  let chose = 0;
  page.on('filechooser', () => { chose += 1; });
  await page.reload();
  await panel.waitFor();
  const smallItem = panel.locator('li', { hasText: 'small.bin' });
  ok(await smallItem.count() === 1 && !/pick this file again/.test(await smallItem.innerText()), `a file the browser kept is listed with nothing to pick: "${await smallItem.innerText()}"`);
  await go.click();
  await complete.waitFor({ timeout: 120000 });
  after = calls.slice(before);
  is(chose, 0, 'no file chooser opened');
  is(creates(after), 0, 'no new upload was started');
  is(sorted(putsOf(after, 'small.bin')), [2, 3], 'only the missing parts were PUT');
  ok(smallId && s3tool('sha256', key('small.bin')) === smallSum, "small.bin: the object's sha256 equals the file's");

  // -- a reload that lands after completion, before the browser noted it
  await page.locator('.uppy-DashboardContent-addMore').click();
  await startHeld(late, 'late.bin', 3, 2);
  // From here the browser keeps nothing more: as if the page went away right after completing.
  await page.evaluate(() => {
    Storage.prototype.setItem = () => {};
    IDBObjectStore.prototype.put = function frozen() { return {}; };
    window.s3probe.release();
  });
  await complete.waitFor({ timeout: 120000 });
  is(s3tool('sha256', key('late.bin')), lateSum, 'late.bin arrived whole');
  await page.reload();
  await page.locator('.uppy-Dashboard-Item').first().waitFor();
  const lateItem = page.locator('.uppy-Dashboard-Item', { hasText: 'late.bin' });
  await lateItem.waitFor();
  await until(async () => /is-complete/.test(await lateItem.getAttribute('class')), 15000);
  ok(true, 'after the reload late.bin is shown complete');
  is(await page.locator('.uppy-Dashboard-Item.is-ghost').count(), 0, '... not as one to pick again');
  ok(await panel.isHidden(), '... and not listed as unfinished');
  is(s3tool('uploads', `uploads/${ep}/`), [], 'no unfinished upload left');
  is(problems, [], 'no script errors on the page');
});
