#!/usr/bin/env node
// The portal's own uploader (htdocs/common/uploader.mjs) in a real browser, against Ceph RGW
// through httpd + mod_s3up behind mod_auth_openidc: several parts of one file in flight,
// part URLs signed in batches, failed PUTs sent again (failures injected in the page's
// XMLHttpRequest by t/lib/s3probe.mjs, never in S3), a 4xx not retried but resumed by
// Uppy's Retry, and pause (the parts under way finish, nothing new starts) then resume with
// the Dashboard's progress right while paused; and
// nothing on the page animates while a file goes up (htdocs/common/dashboard.css).
// Every object's sha256 is checked. Parts are 8 MiB (S3UpPartSize 8M) so that a 150 MiB
// file has 19 of them. Needs what portal_upload.t needs. CommonJS, as node runs *.t files.
const { join } = require('node:path');
const { run, ok, is, like, note, cleanup, passing, until } = require('../lib/browser.mjs');
const { requireBed, scratch, s3tool, writeBytesFile, randomId, rmSync } = require('../lib/stack.mjs');
const { startPortal, portalPage } = require('../lib/portal.mjs');

requireBed();
const MiB = 1024 * 1024;
const PART = 8 * MiB;
const ms = (t0) => Math.round(performance.now() - t0);
const parts = (size) => Math.ceil(size / PART);


run(async () => {
  const dir = scratch('uploader_parallel');
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); else note(`kept ${dir}`); });
  const tag = randomId();
  const user = `ula-${tag}`, ep = `par-${tag}`;
  let t0 = performance.now();
  const size = { 'big.bin': 150 * MiB, 'retry.bin': 48 * MiB, 'refused.bin': 20 * MiB, 'pause.bin': 64 * MiB };
  const sum = {};
  Object.entries(size).forEach(([name, n], i) => { sum[name] = writeBytesFile(join(dir, name), n, 500 + 40 * i); });
  note(`test files written: ${ms(t0)} ms`);

  const { url, browser } = await startPortal(dir, { [ep]: user }, cleanup);
  const {
    page, calls, problems, probe, input: fileInput, start, complete,
  } = await portalPage(browser, url, user);
  const session = await page.evaluate(() => fetch('api/session').then((r) => r.json()));
  is([session.part_size, session.parts_in_flight], [PART, 4], 'the session gives the part size and parts in flight of the config');

  const steer = (fn, arg) => page.evaluate(fn, arg);
  const pauseButton = page.locator('[data-cy="togglePauseResume"]');
  async function add(name) {
    await steer(() => window.s3probe.reset());
    if (await page.locator('.uppy-Dashboard-Item').count()) await page.locator('.uppy-DashboardContent-addMore').click();
    await fileInput.setInputFiles(join(dir, name));
    await start.waitFor();
  }
  const key = (name) => `uploads/${ep}/${name}`;
  const everyOnce = (puts, n) => Object.keys(puts).length === n && Object.values(puts).every((c) => c === 1);

  // -- one big file: 4 parts in flight, URLs signed in batches
  await add('big.bin');
  let before = calls.length;
  // What the status bar says while the file goes up, and what moves on the page meanwhile.
  await steer(() => {
    window.barTexts = [];
    window.moving = {};
    window.uploadingSeen = 0;
    const timer = setInterval(() => {
      const bar = document.querySelector('.uppy-StatusBar');
      window.barTexts.push(bar?.textContent ?? '');
      if (bar?.classList.contains('is-uploading')) {
        window.uploadingSeen++;
        for (const a of document.getAnimations()) {
          const what = `${a.animationName ?? a.transitionProperty} on .${a.effect?.target?.classList?.[0]}`;
          if (a.playState === 'running') window.moving[what] = (window.moving[what] ?? 0) + 1;
        }
      }
      if (bar?.classList.contains('is-complete')) clearInterval(timer);
    }, 100);
  });
  t0 = performance.now();
  await start.click();
  await complete.waitFor({ timeout: 120000 });
  note(`150 MiB, 19 parts: ${ms(t0)} ms`);
  const texts = [...new Set(await steer(() => window.barTexts))];
  note(`status bar: ${texts.join(' | ')}`);
  ok(texts.some((t) => /(?<![\d.])([1-9]\d?|1[0-4]\d) MB of 150 MB/.test(t)), 'the Dashboard showed the bytes sent so far, of 150 MB');
  // Uppy 6's status bar shows no speed, only the time left, which it reckons from it (under
  // a second, on a fast machine, it reads "0s left").
  ok(texts.some((t) => /(?<![\d.])[1-9][\d.]* MB of 150 MB\W+\d+s left/.test(t)), '... and, beside them, the time left, from the speed');
  // Uppy eases its bars and spins an icon: redrawing ~50 times a second for a whole upload
  // cost the upload speed (htdocs/common/dashboard.css).
  const seen = await steer(() => window.uploadingSeen);
  ok(seen >= 5, `the page was looked at while uploading (${seen} times)`);
  // (One-off changes of state may ease, for a moment.)
  const moving = await steer(() => window.moving);
  const long = Object.entries(moving).filter(([, n]) => n > 3).map(([what]) => what);
  ok(!long.length, `... and nothing on it moved for more than 0.3 s${long.length ? `: ${long.join(', ')}` : ''}`, JSON.stringify(moving));
  // Uppy eases the status bar's height as it turns to the progress view: a dozen frames of
  // the whole page each time an upload starts (t/bench/browser --profile).
  ok(!moving['height on .uppy-StatusBar'], '... and the status bar did not ease its height as the upload started', JSON.stringify(moving));
  let st = await probe();
  ok(st.max >= 3 && st.max <= 4, `several parts of the file went at once (at most 4): ${st.max}`, JSON.stringify(st));
  ok(everyOnce(st.puts, parts(size['big.bin'])), 'each of the 19 parts was PUT once', JSON.stringify(st.puts));
  let after = calls.slice(before);
  const batches = after.filter((c) => /^GET .*\/upload\/s3\/multipart\/[^/?]+\/batch\?/.test(c));
  ok(batches.length >= 1 && batches.length <= 3, `part URLs were signed in batches: ${batches.length} requests for 19 parts`, after.join('\n'));
  ok(!after.some((c) => /^GET .*\/upload\/s3\/multipart\/[^/?]+\/\d+\?/.test(c)), 'no part URL was signed on its own');
  is(s3tool('sha256', key('big.bin')), sum['big.bin'], "big.bin: the object's sha256 equals the file's");
  is(s3tool('uploads', `uploads/${ep}/`), [], 'no unfinished multipart upload left behind');

  // -- PUTs that fail (network error, 503, 429) are sent again; a 403 (an expired URL) once
  // with a new URL
  await add('retry.bin');
  await steer(() => { window.s3probe.fail[2] = ['network', 503]; window.s3probe.fail[5] = [429]; window.s3probe.fail[4] = [403]; });
  before = calls.length;
  t0 = performance.now();
  await start.click();
  await complete.waitFor({ timeout: 120000 });
  note(`48 MiB with four failed PUTs: ${ms(t0)} ms`);
  st = await probe();
  is(st.injected.map(String).sort(), ['2,503', '2,network', '4,403', '5,429'], 'part 2 failed twice (network, 503), part 4 (403) and 5 (429) once');
  const signed4 = calls.slice(before).filter((c) => /^GET .*\/batch\?/.test(c)
    && new URL(c.slice(4)).searchParams.get('partNumbers').split(',').includes('4'));
  is(signed4.length, 2, 'part 4 was signed again after its 403');
  ok(everyOnce(st.puts, parts(size['retry.bin'])), '... each part then reached S3 once: the failed ones were sent again', JSON.stringify(st.puts));
  is(s3tool('sha256', key('retry.bin')), sum['retry.bin'], "retry.bin: the object's sha256 equals the file's");

  // -- a 4xx is not retried: the file fails, Uppy's Retry continues the same upload
  await add('refused.bin');
  await steer(() => { window.s3probe.fail[2] = [400]; });
  before = calls.length;
  await start.click();
  await page.locator('.uppy-StatusBar.is-error').waitFor({ timeout: 60000 });
  st = await probe();
  ok(st.injected.length === 1 && !st.puts[2], 'a 400 for part 2: the file fails, the part is not sent again', JSON.stringify(st));
  like(await page.locator('.uppy-Dashboard-Item.is-error').first().getAttribute('class') ?? '', /is-error/, 'the Dashboard marks the file as failed');
  const uploadsOpen = s3tool('uploads', `uploads/${ep}/`);
  is(uploadsOpen.map((u) => u.key), [key('refused.bin')], '... and its multipart upload stays, to be continued');
  await page.locator('.uppy-StatusBar-actionBtn--retry').click();
  await complete.waitFor({ timeout: 60000 });
  after = calls.slice(before);
  const id = encodeURIComponent(uploadsOpen[0]?.upload_id);
  ok(after.some((c) => c.startsWith(`GET ${url}/upload/s3/multipart/${id}?key=`)), 'Retry asked for the parts already there (ListParts)');
  is(after.filter((c) => c === `POST ${url}/upload/s3/multipart`).length, 1, '... and started no second upload');
  is(s3tool('sha256', key('refused.bin')), sum['refused.bin'], "refused.bin: the object's sha256 equals the file's");

  // -- pause, then resume: parts 5 on are held in the page until the pause
  await add('pause.bin');
  await steer(() => { window.s3probe.holdFrom = 5; });
  await start.click();
  await until(async () => (await probe()).done.length >= 4 && (await probe()).held.length >= 1);
  await pauseButton.click();
  await page.locator('[data-cy="togglePauseResume"][aria-label="Resume"]').waitFor();
  st = await probe();
  is([st.done.sort((x, y) => x - y), st.held.sort((x, y) => x - y), st.inflight], [[1, 2, 3, 4], [5, 6, 7, 8], 0], 'paused after 4 parts: the parts under way are kept, not aborted');
  // Uppy's status bar updates at most every 500 ms.
  const bar = page.locator('.uppy-StatusBar');
  // Of all the files in the Dashboard (150 + 48 + 20 MiB done, 32 of 64 MiB here).
  const pct = Math.round((100 * (150 + 48 + 20 + 32)) / (150 + 48 + 20 + 64));
  await until(async () => (await bar.textContent()).includes(`Paused: ${pct}%`), 5000);
  is(await bar.textContent(), `Paused: ${pct}%`, "the Dashboard's progress counts the 4 parts done, and only them");
  await steer(() => window.s3probe.release());
  await until(async () => (await probe()).done.length >= 8, 15000);
  await page.waitForTimeout(1500);
  st = await probe();
  is(st.done.sort((x, y) => x - y), [1, 2, 3, 4, 5, 6, 7, 8], 'the parts under way when paused finish');
  is(Object.keys(st.puts).length, 8, 'nothing new is sent while paused');
  t0 = performance.now();
  await pauseButton.click();
  await complete.waitFor({ timeout: 60000 });
  note(`resumed 64 MiB upload finished: ${ms(t0)} ms`);
  st = await probe();
  ok(everyOnce(st.puts, parts(size['pause.bin'])), 'after resuming, only the missing parts were sent (each part once)', JSON.stringify(st.puts));
  is(s3tool('sha256', key('pause.bin')), sum['pause.bin'], "pause.bin: the object's sha256 equals the file's");
  is(s3tool('uploads', `uploads/${ep}/`), [], 'no unfinished multipart upload left behind');
  is(problems, [], 'no script errors on the page');
});
