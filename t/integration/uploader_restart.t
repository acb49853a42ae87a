#!/usr/bin/env node
// The store goes away for real in the middle of a browser upload: radosgw is killed (the
// process gone, as in a crash: parts on their way are cut off, new connections refused)
// and started again a few seconds later (t/lib/rgw.sh stop-radosgw, start-radosgw), in
// headless Chromium through the portal, with two uploads at once: one page sends its
// parts straight to S3 (presigned URLs), the other through httpd (S3UpUploadMode proxy).
// For each:
// - the page says "Connection lost, retrying" while radosgw is down, and the Dashboard
//   never marks the file as failed;
// - once radosgw is back the upload continues by itself (no click) and completes, with the
//   file's sha256 and no unfinished multipart upload left; the parts S3 had before the
//   outage are not sent again.
// Parts 6 on are held in the page (t/lib/s3probe.mjs) until radosgw is gone, so the
// outage meets parts on their way whatever the machine's speed (they find the port
// closed); parts still on their way when it dies are cut off. A bug this found: in proxy
// mode httpd answered such parts 400 "cut off" (final) instead of 503 StoreUnavailable,
// and the file failed. The RGW is the one of the test run (S3UP_TEST_RGW_DIR): only its
// radosgw is restarted, on the same port with the same data and keys, so the tests after
// this one use it as before; the cleanup starts it again if the test stops while it is
// down. Files of 40 MiB (random bytes) in 5 MiB parts. CommonJS, as node runs *.t files.
const { execFile } = require('node:child_process');
const { promisify } = require('node:util');
const { randomBytes } = require('node:crypto');
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const {
  run, ok, is, note, cleanup, passing, until,
} = require('../lib/browser.mjs');
const {
  top, requireBed, scratch, s3tool, sha256, randomId, rmSync, secret,
} = require('../lib/stack.mjs');
const { startPortal, portalPage } = require('../lib/portal.mjs');

requireBed();
const MiB = 1024 * 1024;
const SIZE = 40 * MiB;
const DOWN_MS = 3000;
const rgwDir = process.env.S3UP_TEST_RGW_DIR;
const ms = (t0) => Math.round(performance.now() - t0);
const sleep = (t) => new Promise((r) => { setTimeout(r, t); });

const rgw = (action) => promisify(execFile)('bash', [join(top, 't/lib/rgw.sh'), action, rgwDir]);

// The test run's radosgw, only if that PID is still the gateway of that folder.
function rgwPid() {
  try {
    const pid = Number(readFileSync(join(rgwDir, 'pids', 'rgw'), 'utf8').trim());
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /radosgw/.test(cmd) && cmd.includes(rgwDir) ? pid : null;
  } catch {
    return null;
  }
}

run(async () => {
  if (!rgwDir || !rgwPid()) {
    ok(false, 'the RGW of S3UP_TEST_RGW_DIR is running (its pid is in DIR/pids/rgw)');
    return;
  }
  let down = false;
  let stopping = null;
  // Registered first, so it runs even if everything else fails: after stop-radosgw has
  // ended (it must not take the new radosgw's watches for the dead one's).
  cleanup(async () => {
    if (!down) return;
    await stopping?.catch(() => {});
    await rgw('start-radosgw');
    down = false;
  });

  const dir = scratch('uploader_restart');
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); else note(`kept ${dir}`); });
  const tag = randomId();
  const user = `urst-${tag}`, ep = `rst-${tag}`;
  const { url, browser: b } = await startPortal(dir, { [ep]: user }, cleanup, {
    protect: ['/upload', '/proxy'],
    location: `
S3UpSecretFile "${secret(dir)}"
<Location /upload>
    SetHandler s3up-upload
    S3UpPartSize 5M
    S3UpPartsInFlight 3
</Location>
<Location /proxy>
    SetHandler s3up-upload
    S3UpUploadMode proxy
    S3UpPartSize 5M
    S3UpPartsInFlight 3
</Location>
`,
  });

  // Two pages, one per mode, each with its file picked; both uploads meet the same outage.
  const ups = await Promise.all([['upload', 'direct to S3'], ['proxy', 'through httpd']].map(async ([loc, mode]) => {
    const u = { mode, name: `${loc}-restart.bin`, problems: [], failed: 0, texts: new Set(), lostAfter: null };
    const file = join(dir, u.name);
    const data = randomBytes(SIZE);
    writeFileSync(file, data);
    u.sum = sha256(data);
    // A context each: the portal keeps its files per origin (GoldenRetriever), and one page
    // would find the other's file there.
    const p = await portalPage(b, url, user, { problems: u.problems, path: `/${loc}/` });
    const { page } = p;
    u.page = page;
    u.start = p.start;
    u.probe = p.probe;
    u.transfer = () => page.evaluate(() => {
      const t = document.getElementById('transfer');
      return {
        state: t.dataset.state,
        text: t.textContent,
        failed: document.querySelectorAll('.uppy-Dashboard-Item.is-error, .uppy-StatusBar.is-error').length,
      };
    });
    await page.evaluate(() => { window.s3probe.holdFrom = 6; });
    await p.input.setInputFiles(file);
    return u;
  }));
  for (const u of ups) {
    u.tStart = performance.now();
    await u.start.click();
  }
  for (const u of ups) {
    u.started = await until(async () => {
      const st = await u.probe();
      return st.done.length >= 2 && st.held.length >= 1 && st;
    }, 30000, 20);
    ok(u.started, `${u.mode}: the upload is under way when radosgw is killed`, JSON.stringify(await u.probe()));
  }

  // -- radosgw killed; the held parts go out into the outage
  const t0 = performance.now();
  down = true;
  // Killed at once; the rest of stop-radosgw (its dead watches) runs meanwhile.
  stopping = rgw('stop-radosgw');
  await until(() => rgwPid() === null, 10000, 10);
  for (const u of ups) {
    u.before = await u.probe();
    await u.page.evaluate(() => window.s3probe.release());
    note(`${u.mode}: radosgw killed ${ms(u.tStart)} ms into the upload, parts done then ${u.started.done.join(',')}, ${u.started.inflight} on their way`);
  }
  const lost = () => ups.every((u) => u.lostAfter !== null);
  while (performance.now() - t0 < DOWN_MS || !lost()) {
    for (const u of ups) {
      const t = await u.transfer();
      u.failed += t.failed;
      if (t.state === 'lost') {
        u.lostAfter ??= ms(t0);
        u.texts.add(t.text.replace(/\d+(\.\d+)?/g, 'N'));
      }
    }
    if (ups.some((u) => u.failed) || performance.now() - t0 > 20000) break;
    await sleep(200);
  }
  for (const u of ups) {
    note(`${u.mode}: "Connection lost" shown ${u.lostAfter} ms after the kill: ${[...u.texts].join(' | ')}`);
    ok(u.lostAfter !== null, `${u.mode}: the page says the connection is lost while radosgw is down`);
    ok([...u.texts].some((t) => /Connection lost, retrying/.test(t)), `${u.mode}: ... "Connection lost, retrying"`);
  }
  await stopping;
  const t1 = performance.now();
  await rgw('start-radosgw');
  down = false;
  note(`radosgw down for ${ms(t0)} ms, started again in ${ms(t1)} ms`);

  // Complete, or failed (then not worth waiting for).
  await Promise.all(ups.map(async (u) => {
    await u.page.locator('.uppy-StatusBar.is-complete, .uppy-StatusBar.is-error').first()
      .waitFor({ timeout: 60000 }).catch(() => {});
    u.endedAfter = ms(t1);
  }));
  for (const u of ups) {
    const { page, mode } = u;
    const done = await page.locator('.uppy-StatusBar.is-complete').count() === 1;
    u.failed += (await u.transfer()).failed;
    ok(done, `${mode}: the upload completes by itself once radosgw is back`, JSON.stringify(await u.transfer()));
    note(`${mode}: ${done ? 'completed' : 'ended'} ${u.endedAfter} ms after the restart`);
    if (done) {
      is(s3tool('sha256', `uploads/${ep}/${u.name}`), u.sum, `${mode}: the object's sha256 equals the file's`);
    } else {
      ok(false, `${mode}: the object's sha256 equals the file's (not completed)`);
    }
    const after = await u.probe();
    note(`${mode}: part PUTs ${JSON.stringify(after.puts)}`);
    ok(Object.values(after.puts).some((n) => n > 1), `${mode}: parts were sent again after the outage`);
    const again = u.before.done.filter((n) => after.puts[n] > 1);
    is(again, [], `${mode}: none of the parts S3 had before the outage was sent again`);
    is(u.failed, 0, `${mode}: the Dashboard never marked the file as failed`);
    is(u.problems, [], `${mode}: no script errors on the page`);
  }
  is(s3tool('uploads', `uploads/${ep}/`), [], 'no unfinished multipart upload left');
  // The shared RGW works as before for the tests after this one.
  ok(rgwPid() !== null, 'radosgw runs again under S3UP_TEST_RGW_DIR');
  is((await fetch(`${process.env.S3UP_TEST_ENDPOINT}/`)).status, 200, '... answering on the same address');
  is(s3tool('list', `uploads/${ep}/`).map((o) => o.key).sort(),
    [`uploads/${ep}/proxy-restart.bin`, `uploads/${ep}/upload-restart.bin`], '... with the same keys and data');
});
