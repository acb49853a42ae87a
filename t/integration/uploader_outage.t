#!/usr/bin/env node
// The store stops answering in the middle of an upload (radosgw stopped with SIGSTOP, as a
// hung store or a cut network looks to httpd and the browser), in a real browser against
// Ceph RGW through httpd + mod_s3up behind mod_auth_openidc:
// - the uploading page says "Connection lost, retrying" within 10 s, and its count of bytes
//   sent (the page's line and Uppy's percentage) never goes back;
// - pages opened during the stall (the portal, the admin page, an upload link's portal)
//   say the store is not answering within 10 s, and a call that needs the store is
//   answered 503 StoreUnavailable with Retry-After in seconds, in seconds (the time is
//   noted); an upload link's own address answers 503 with a page that tries again;
// - after SIGCONT the upload completes by itself with the file's sha256.
// The RGW is the one of the test run (S3UP_TEST_RGW_DIR/pids/rgw): the cleanup always
// sends it SIGCONT. Parts 6 on are held in the page (t/lib/s3probe.mjs) until the store is
// stopped, so the stall meets parts on their way. Parts are 8 MiB. CommonJS, as node runs
// *.t files.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const {
  run, ok, is, like, note, cleanup, passing, until,
} = require('../lib/browser.mjs');
const {
  requireBed, scratch, s3tool, writeBytesFile, randomId, rmSync, secret,
} = require('../lib/stack.mjs');
const { startPortal, portalPage } = require('../lib/portal.mjs');

requireBed();
const MiB = 1024 * 1024;
const STALL_MS = 30000;
const ms = (t0) => Math.round(performance.now() - t0);

// The test run's radosgw, only if that PID is still the gateway of that folder.
function rgwPid() {
  const dir = process.env.S3UP_TEST_RGW_DIR;
  if (!dir) return null;
  try {
    const pid = Number(readFileSync(join(dir, 'pids', 'rgw'), 'utf8').trim());
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /radosgw/.test(cmd) && cmd.includes(dir) ? pid : null;
  } catch {
    return null;
  }
}

run(async () => {
  const pid = rgwPid();
  if (!pid) {
    ok(false, 'the RGW of S3UP_TEST_RGW_DIR is running (its pid is in DIR/pids/rgw)');
    return;
  }
  let stopped = false;
  const cont = () => { if (stopped) { process.kill(pid, 'SIGCONT'); stopped = false; } };
  // Registered first, so it runs even if everything else fails.
  cleanup(cont);
  process.on('exit', cont);

  const dir = scratch('uploader_outage');
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); else note(`kept ${dir}`); });
  const tag = randomId();
  const user = `uout-${tag}`, ep = `out-${tag}`;
  const big = join(dir, 'big.bin');
  const bigSum = writeBytesFile(big, 150 * MiB, 900);

  const key = secret(dir);
  // Records are trusted 1 s, so the pages opened during the stall need the store.
  const { url, browser: b } = await startPortal(dir, { [ep]: user }, cleanup, {
    protect: ['/upload', '/admin'],
    location: `
S3UpSecretFile "${key}"
S3UpLinkURL /drop
S3UpCacheTTL 1s
<Location /upload>
    SetHandler s3up-upload
    S3UpPartSize 8M
    S3UpPartsInFlight 4
</Location>
<Location /admin>
    SetHandler s3up-admin
</Location>
<Location /drop>
    SetHandler s3up-drop
</Location>
`,
  });
  const problems = [];
  const portal = await portalPage(b, url, user, { problems });
  const { page } = portal;
  await page.locator('#files-status').filter({ hasText: 'No files received yet' }).waitFor();
  // An upload link, opened in a browser without a sign-in.
  const made = await page.evaluate(async (e) => {
    const res = await fetch(`../admin/api/endpoints/${e}/links`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    return { status: res.status, json: await res.json() };
  }, ep);
  is(made.status, 201, 'an upload link is made');
  const linkUrl = new URL(made.json.link.url, url).href;
  const linkCtx = await b.newContext();
  const linkPage = await linkCtx.newPage();
  await linkPage.goto(linkUrl);
  await linkPage.locator('.uppy-Dashboard').waitFor();

  const { probe } = portal;
  const transfer = page.locator('#transfer');
  // What the page says it has sent: its line's bytes and Uppy's percentage.
  const readings = [];
  const read = async () => {
    const r = await page.evaluate(() => {
      const t = document.getElementById('transfer');
      const pct = document.querySelector('.uppy-StatusBar-statusPrimary')?.textContent?.match(/(\d+)%/)?.[1];
      return { state: t.dataset.state, bytes: Number(t.dataset.bytes || 0), pct: pct === undefined ? null : Number(pct), text: t.textContent };
    });
    readings.push(r);
    return r;
  };

  await page.evaluate(() => { window.s3probe.holdFrom = 6; });
  await portal.input.setInputFiles(big);
  await portal.start.click();
  await until(async () => { const st = await probe(); return st.done.length >= 5 && st.held.length >= 1; });
  await read();

  // -- the store stops answering; the held parts go out into the stall
  process.kill(pid, 'SIGSTOP');
  stopped = true;
  const t0 = performance.now();
  await page.evaluate(() => window.s3probe.release());
  let lostAfter = null;
  let page2;
  let storeShownAfter = null;
  let answered = null;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const r = await read();
      if (lostAfter === null && r.state === 'lost') lostAfter = ms(t0);
      await new Promise((res) => { setTimeout(res, 250); });
    }
  })();

  // A page opened meanwhile (same person, same session).
  await new Promise((res) => { setTimeout(res, 2000); });
  page2 = await portal.context.newPage();
  page2.on('pageerror', (e) => problems.push(`page 2 error: ${e.message}`));
  const t2 = performance.now();
  await page2.goto(`${url}/upload/`);
  await page2.locator('#store-state:not([hidden])').filter({ hasText: 'not answering' }).waitFor({ timeout: 10000 })
    .then(() => { storeShownAfter = ms(t2); }, () => {});
  ok(storeShownAfter !== null && storeShownAfter <= 10000, 'a page opened during the stall says the store is not answering within 10 s', `after ${storeShownAfter} ms`);
  like(await page2.locator('#store-state').textContent(), /store is not answering/, '... in plain words');

  // The admin page, and an upload link's portal, opened meanwhile.
  const admin = await portal.context.newPage();
  admin.on('pageerror', (e) => problems.push(`admin page error: ${e.message}`));
  const ta = performance.now();
  await admin.goto(`${url}/admin/`);
  const adminSaid = await admin.locator('#list-status', { hasText: 'not answering' }).waitFor({ timeout: 10000 }).then(() => ms(ta), () => null);
  ok(adminSaid !== null, 'the admin page opened during the stall says the store is not answering within 10 s', `after ${adminSaid} ms: ${await admin.locator('#list-status').textContent()}`);
  const link2 = await linkCtx.newPage();
  link2.on('pageerror', (e) => problems.push(`link page error: ${e.message}`));
  const tl = performance.now();
  await link2.goto(`${url}/drop/`);
  const linkSaid = await link2.locator('#store-state:not([hidden])').filter({ hasText: 'not answering' }).waitFor({ timeout: 10000 }).then(() => ms(tl), () => null);
  ok(linkSaid !== null, "an upload link's portal opened during the stall says the store is not answering within 10 s", `after ${linkSaid} ms`);
  await link2.locator('#store-state:not([hidden])').filter({ hasText: /Trying again in \d+ s/ }).waitFor({ timeout: 20000 }).catch(() => {});
  ok(await link2.locator('#problem').isHidden(), '... and not that the visitor is not signed in (the link cookie could not be checked: 503)');
  const landing = await linkPage.evaluate(async (u) => {
    const t = performance.now();
    const res = await fetch(u, { redirect: 'manual' });
    return { ms: Math.round(performance.now() - t), status: res.status, retryAfter: res.headers.get('Retry-After'), text: await res.text() };
  }, linkUrl);
  note(`the link's address during the stall: ${landing.status} in ${landing.ms} ms, Retry-After ${landing.retryAfter}`);
  ok(landing.status === 503 && /store is not answering/.test(landing.text) && /http-equiv="refresh"/.test(landing.text), "the link's address: 503 with a page that says so and tries again by itself");
  ok(landing.ms <= 15000 && /^\d+$/.test(landing.retryAfter ?? ''), '... within 15 s, with Retry-After in seconds', `${landing.ms} ms, ${landing.retryAfter}`);

  // A call that needs the store: how long until it is answered, and how.
  answered = await page2.evaluate(async () => {
    const t = performance.now();
    const res = await fetch('api/files', { headers: { accept: 'application/json' }, cache: 'no-store' });
    return { ms: Math.round(performance.now() - t), status: res.status, retryAfter: res.headers.get('Retry-After'), body: await res.json().catch(() => null) };
  });
  note(`a call that needs the stalled store was answered in ${answered.ms} ms: ${answered.status} ${answered.body?.error?.code} Retry-After ${answered.retryAfter}`);
  is([answered.status, answered.body?.error?.code], [503, 'StoreUnavailable'], 'the stalled store: 503 StoreUnavailable');
  ok(answered.ms <= 15000, 'answered within 15 s (not minutes)', `${answered.ms} ms`);
  ok(/^\d+$/.test(answered.retryAfter ?? '') && Number(answered.retryAfter) <= 60, 'with Retry-After in seconds', answered.retryAfter);

  while (performance.now() - t0 < STALL_MS) await new Promise((res) => { setTimeout(res, 250); });
  note(`the store was stopped for ${ms(t0)} ms`);
  sampling = false;
  await sampler;
  note(`"Connection lost" shown ${lostAfter} ms after SIGSTOP; the portal, admin and link pages said so after ${storeShownAfter}, ${adminSaid}, ${linkSaid} ms`);
  ok(lostAfter !== null && lostAfter <= 10000, 'the uploading page says the connection is lost within 10 s', `after ${lostAfter} ms`);
  ok(readings.some((r) => /Connection lost, retrying/.test(r.text)), '... "Connection lost, retrying"');
  ok(readings.some((r) => /retrying in \d+ s/.test(r.text)), '... with the time to the next try', readings.map((r) => r.text).filter((t) => /lost/.test(t)).slice(-1).join(''));

  // -- the store is back
  cont();
  const t3 = performance.now();
  const sampler2 = (async () => {
    while (!(await portal.complete.count())) {
      await read();
      await new Promise((res) => { setTimeout(res, 250); });
    }
  })();
  await portal.complete.waitFor({ timeout: 120000 });
  await sampler2;
  note(`completed ${ms(t3)} ms after SIGCONT`);
  is(s3tool('sha256', `uploads/${ep}/big.bin`), bigSum, "after SIGCONT the upload completed: the object's sha256 equals the file's");
  is(s3tool('uploads', `uploads/${ep}/`), [], 'no unfinished multipart upload left');
  const back = [];
  for (let i = 1; i < readings.length; i++) {
    const [a, c] = [readings[i - 1], readings[i]];
    if (c.state !== 'idle' && c.bytes < a.bytes) back.push(`bytes ${a.bytes} -> ${c.bytes}`);
    if (a.pct !== null && c.pct !== null && c.pct < a.pct) back.push(`${a.pct}% -> ${c.pct}%`);
  }
  is(back, [], `no progress went back (${readings.length} readings)`);
  await page2.locator('#store-state').waitFor({ state: 'hidden', timeout: 30000 }).catch(() => {});
  ok(await page2.locator('#store-state').isHidden(), 'the page opened during the stall recovers by itself');
  await admin.locator('#list-status', { hasText: 'not answering' }).waitFor({ state: 'detached', timeout: 30000 }).catch(() => {});
  await admin.locator('#endpoints-body', { hasText: ep }).waitFor({ timeout: 30000 }).catch(() => {});
  ok(!/not answering/.test(await admin.locator('#list-status').textContent()), '... so does the admin page', await admin.locator('#list-status').textContent());
  await link2.locator('.uppy-Dashboard').waitFor({ timeout: 30000 }).catch(() => {});
  ok(await link2.locator('.uppy-Dashboard').count() === 1, "... and the link's portal");
  await page2.locator('#files-body td.name', { hasText: 'big.bin' }).waitFor({ timeout: 30000 }).catch(() => {});
  await page.locator('#files-body td.name', { hasText: 'big.bin' }).waitFor({ timeout: 15000 }).catch(() => {});
  is(await page.locator('#files-body td.name').allTextContents(), ['big.bin'], "the uploading page's Files received lists it");
  is(problems, [], 'no script errors on the pages');
});
