#!/usr/bin/env node
// Big uploads are hard to lose, and what arrived is shown, in a real browser against Ceph
// RGW through httpd + mod_s3up behind mod_auth_openidc:
// - a batch of a big file, a folder and a small file: the page's line counts the bytes of
//   the whole batch;
// - pause lets the parts on their way finish (none is aborted, none is sent again after
//   resume) and starts no new one; the count of bytes sent does not drop;
// - after the upload: "Files received" lists every file without a click, and a receipt
//   lists them (with the sha256 of files up to 64 MiB), to save (a text file) or print;
// - cancelling an upload of 100 MiB or more asks first (declined: it goes on; accepted: it
//   is aborted), and leaving the page while bytes move asks first (beforeunload).
// Parts are 8 MiB; parts from a number on are held in the page (t/lib/s3probe.mjs) so the
// moments are known. CommonJS, as node runs *.t files.
const { mkdirSync, readFileSync, linkSync } = require('node:fs');
const { join } = require('node:path');
const { run, ok, is, like, note, cleanup, passing, until } = require('../lib/browser.mjs');
const { requireBed, scratch, s3tool, writeBytesFile, randomId, rmSync } = require('../lib/stack.mjs');
const { startPortal, portalPage } = require('../lib/portal.mjs');

requireBed();
const KiB = 1024, MiB = 1024 * KiB;

run(async () => {
  const dir = scratch('uploader_guard');
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); else note(`kept ${dir}`); });
  const tag = randomId();
  const user = `ugd-${tag}`, ep = `grd-${tag}`;
  const files = join(dir, 'files');
  mkdirSync(join(files, 'docs'), { recursive: true });
  const sums = {
    'big.bin': writeBytesFile(join(files, 'big.bin'), 150 * MiB, 300),
    'note.txt': writeBytesFile(join(files, 'note.txt'), KiB, 301),
    'docs/a.txt': writeBytesFile(join(files, 'docs', 'a.txt'), 3 * KiB, 302),
    'docs/b.bin': writeBytesFile(join(files, 'docs', 'b.bin'), 2 * MiB, 303),
  };
  const sizes = { 'big.bin': 150 * MiB, 'note.txt': KiB, 'docs/a.txt': 3 * KiB, 'docs/b.bin': 2 * MiB };
  linkSync(join(files, 'big.bin'), join(dir, 'cancel-me.bin'));

  const { url, browser } = await startPortal(dir, { [ep]: user }, cleanup);
  const {
    page, calls, problems, probe, input: fileInput, start,
  } = await portalPage(browser, url, user, { options: { acceptDownloads: true } });
  // Dialogs (confirm, beforeunload) are answered from this queue, and recorded.
  const dialogs = [];
  const answers = [];
  page.on('dialog', async (d) => {
    dialogs.push({ type: d.type(), message: d.message() });
    if (answers.shift()) await d.accept(); else await d.dismiss();
  });
  await page.locator('#files-status').filter({ hasText: 'No files received yet' }).waitFor();

  const transfer = page.locator('#transfer');
  const bytesShown = async () => Number(await transfer.getAttribute('data-bytes'));
  const folderInput = page.locator('.uppy-Dashboard-input[webkitdirectory]').first();
  const pauseResume = page.locator('[data-cy="togglePauseResume"]');

  // -- a mixed batch; pause while parts 3 on are held
  await fileInput.setInputFiles([join(files, 'big.bin'), join(files, 'note.txt')]);
  await page.locator('.uppy-DashboardContent-addMore').click();
  await folderInput.setInputFiles(join(files, 'docs'));
  await page.evaluate(() => { window.s3probe.holdFrom = 3; });
  await start.click();
  await until(async () => { const st = await probe(); return st.done.length >= 2 && st.held.length >= 1; });
  await until(async () => (await transfer.getAttribute('data-state')) === 'sending', 5000);
  const total = Object.values(sizes).reduce((a, c) => a + c, 0);
  is(Number(await transfer.getAttribute('data-total')), total, "the page's line counts the bytes of the whole batch (a big file, a folder, a small file)");
  like(await transfer.textContent(), /of 15\d\.\d? MB sent|of 15\d MB sent/, '... and says so');

  const heldBefore = (await probe()).held;
  await pauseResume.click();
  await until(async () => (await transfer.getAttribute('data-state')) === 'paused', 5000);
  like(await transfer.textContent(), /Pausing: the \d+ parts? on the way finish first/, 'pause: the page says the parts on their way finish first');
  is((await probe()).held, heldBefore, '... and none of them was aborted');
  const pausedAt = await bytesShown();
  await page.evaluate(() => window.s3probe.release());
  await until(async () => (await probe()).inflight === 0 && (await transfer.textContent()).startsWith('Paused.'), 30000);
  let st = await probe();
  ok(heldBefore.every((n) => st.done.includes(n)), 'the parts on their way when paused arrived', `done ${st.done}, held ${heldBefore}`);
  const maxHeld = Math.max(...heldBefore);
  ok(Object.keys(st.puts).map(Number).every((n) => n <= maxHeld), 'no new part was started while paused', JSON.stringify(st.puts));
  ok(await bytesShown() >= pausedAt, 'the count of bytes sent did not drop', `${pausedAt} -> ${await bytesShown()}`);
  like(await transfer.textContent(), /^Paused\. /, 'then: "Paused."');

  await pauseResume.click();
  await page.locator('.uppy-StatusBar.is-complete').waitFor({ timeout: 120000 });
  st = await probe();
  is(Object.entries(st.puts).filter(([, c]) => c !== 1), [], 'after resume every part was PUT once: none sent again');
  for (const [name, sum] of Object.entries(sums)) {
    is(s3tool('sha256', `uploads/${ep}/${name}`), sum, `${name}: the object's sha256 equals the file's`);
  }

  // -- what arrived: the list refreshes by itself, and a receipt
  const names = Object.keys(sums).sort();
  await until(async () => (await page.locator('#files-body td.name').allTextContents()).length >= names.length, 10000);
  is((await page.locator('#files-body td.name').allTextContents()).sort(), names, 'Files received lists every file of the batch, without a click');
  const receipt = page.getByRole('region', { name: 'Receipt' });
  await receipt.waitFor();
  is((await receipt.locator('td.name').allTextContents()).sort(), names, 'the receipt lists what arrived');
  like(await receipt.textContent(), /150 MB/, '... with sizes');
  ok(await receipt.locator('time').count() === 1, '... and when');
  for (const n of ['note.txt', 'docs/a.txt', 'docs/b.bin']) {
    is(await receipt.locator('tr', { hasText: n }).locator('td.sum').textContent(), sums[n], `... with ${n}'s sha256`);
  }
  like(await receipt.locator('tr', { hasText: 'big.bin' }).locator('td.sum').textContent(), /not computed/, '... and none for a 150 MiB file (not hashed in the browser)');
  const [download] = await Promise.all([page.waitForEvent('download'), receipt.getByRole('link', { name: 'Save receipt' }).click()]);
  const saved = readFileSync(await download.path(), 'utf8');
  ok(names.every((n) => saved.includes(n)) && saved.includes(`${150 * MiB} bytes`) && saved.includes(`uploads/${ep}/big.bin`) && saved.includes(`sha256 ${sums['docs/b.bin']}`), 'the saved receipt names every file, its size, key and sha256 when known', saved);
  ok(await receipt.getByRole('button', { name: 'Print' }).isVisible(), '... and it can be printed');

  // -- cancel of a big upload asks first; so does leaving the page
  await page.evaluate(() => { window.s3probe.reset(); window.s3probe.holdFrom = 2; });
  await page.locator('.uppy-DashboardContent-addMore').click();
  await fileInput.setInputFiles(join(dir, 'cancel-me.bin'));
  await start.click();
  await until(async () => (await probe()).held.length >= 1);
  const deletes = () => calls.filter((c) => c.startsWith('DELETE ')).length;
  answers.push(false);
  await page.locator('[data-cy="cancel"]').click();
  await until(() => dialogs.length >= 1, 5000);
  is(dialogs[0]?.type, 'confirm', 'cancel of a 150 MiB upload asks first');
  like(dialogs[0]?.message ?? '', /Cancel the upload of "cancel-me\.bin" \(150 MB\)\? The .* already sent will be thrown away/, '... saying what would be lost');
  await new Promise((r) => { setTimeout(r, 1000); });
  is([deletes(), s3tool('uploads', `uploads/${ep}/`).length], [0, 1], 'declined: nothing is aborted, the upload goes on');

  answers.push(false);
  await page.close({ runBeforeUnload: true });
  await until(() => dialogs.length >= 2, 5000);
  is(dialogs[1]?.type, 'beforeunload', 'leaving the page while bytes move asks first');
  ok(!page.isClosed(), 'declined: the page stays');

  answers.push(true);
  await page.locator('[data-cy="cancel"]').click();
  await until(() => deletes() >= 1, 15000);
  await until(() => s3tool('uploads', `uploads/${ep}/`).length === 0, 15000);
  is(s3tool('uploads', `uploads/${ep}/`), [], 'accepted: the upload is aborted');
  is(problems, [], 'no script errors on the page');
});
