#!/usr/bin/env node
// The quick start as a person meets it: `./build.sh start` (with this run's Ceph RGW through
// S3UP_RGW_DIR, so no second RGW is started; its folder through S3UP_RUN_DIR; the port
// through HTTPD_PORT) prints how to reach and sign in to the customer portal, the admin
// portal and upload links; in headless Chromium `demo` uploads through /upload/, `admin`
// makes an upload link for `demo` in /admin/ (a non-admin gets 403 there), and a person
// with only that link uploads through /drop/; the admin sees both files. Sessions are
// fit for uploads of hours. `./build.sh stop` stops httpd and the provider and leaves the
// RGW running; run/local.conf, written once, is kept and Included by the next start.
// Needs: apache2, libapache2-mod-auth-openidc, chromium, `npm ci`, `make`.
// CommonJS, as node runs *.t files; the ES modules of t/lib load with require().
const { execFileSync, spawnSync } = require('node:child_process');
const { appendFileSync, existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const {
  run, ok, is, like, note, diag, cleanup, passing, launch, login,
} = require('../lib/browser.mjs');
const {
  requireBed, scratch, top, writeBytesFile, randomId, rmSync,
} = require('../lib/stack.mjs');

requireBed();
const KiB = 1024, MiB = 1024 * KiB;
const ms = (t0) => Math.round(performance.now() - t0);
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

function readEnv(file) {
  const env = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = line.match(/^([A-Z_0-9]+)=(.*)$/);
    if (m) env[m[1]] = m[2];
  }
  return env;
}

// Running, and not a zombie (an orphan nobody has reaped yet).
const alive = (pid) => {
  try { return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${Number(pid)}/stat`, 'utf8')); } catch { return false; }
};

run(async () => {
  const dir = scratch('quickstart');
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); else note(`kept ${dir}`); });
  const runDir = join(dir, 'run');
  const port = execFileSync(join(top, 't/lib/freeport'), { encoding: 'utf8' }).trim();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env, S3UP_RUN_DIR: runDir, S3UP_RGW_DIR: process.env.S3UP_TEST_RGW_DIR, HTTPD_PORT: port,
  };
  const buildsh = (cmd) => {
    const r = spawnSync(join(top, 'build.sh'), [cmd], { env, encoding: 'utf8', timeout: 300000 });
    if (r.status !== 0) diag(`./build.sh ${cmd}: exit ${r.status}`, r.stdout, r.stderr);
    return r;
  };
  // Stops only what this run dir recorded (never the RGW of S3UP_RGW_DIR).
  cleanup(() => buildsh('stop'));

  // -- start: what it prints
  let t0 = performance.now();
  const start = buildsh('start');
  note(`./build.sh start: ${ms(t0)} ms`);
  is(start.status, 0, './build.sh start succeeds');
  const out = start.stdout;
  like(out, new RegExp(`customer portal: ${esc(url)}/upload/\\n.*sign in as 'demo'`), 'it prints the customer portal at HTTPD_PORT and to sign in as demo');
  like(out, new RegExp(`admin portal: +${esc(url)}/admin/\\n.*sign in as 'admin'`), 'the admin portal and to sign in as admin');
  like(out, /every login starting with 'admin'\s+is an admin/, 'and who is an admin');
  like(out, new RegExp(`upload links: +${esc(url)}/drop/`), 'where upload links point');
  like(out, /make one in the admin portal/, 'and how to make one');
  like(out, /local\.conf/, 'and names local.conf');
  like(out, /\(leaves the RGW running\)/, 'stop will leave the given RGW running');

  const stack = readEnv(join(runDir, 'stack.env'));
  is(stack.S3UP_TEST_ENDPOINT, process.env.S3UP_TEST_ENDPOINT, 'the stack uses the RGW of S3UP_RGW_DIR');
  like(stack.S3UP_TEST_BUCKET, /^s3up-quickstart-[0-9a-f]{8}$/, 'in a bucket of its own');
  ok(!existsSync(join(runDir, 'rgw')), 'and starts no RGW of its own');
  const s3 = (...args) => execFileSync('/usr/bin/python3', [join(top, 't/lib/s3tool.py'), ...args], {
    encoding: 'utf8', env: { ...process.env, ...stack },
  }).trim();

  const conf = readFileSync(join(runDir, 'portal.conf'), 'utf8');
  like(conf, /^OIDCSessionMaxDuration (\d+)$/m, 'the config sets OIDCSessionMaxDuration');
  ok(Number(conf.match(/^OIDCSessionMaxDuration (\d+)$/m)?.[1]) >= 86400, 'sessions last a day at least (the default 8 h cuts long uploads)');
  ok(Number(conf.match(/^OIDCSessionInactivityTimeout (\d+)$/m)?.[1]) >= 3600, 'and an hour without a request (the default is 5 minutes)');
  like(conf, new RegExp(`^S3UpLinkURL ${esc(url)}/drop$`, 'm'), 'S3UpLinkURL is the /drop location');
  like(conf, new RegExp(`^S3UpPortalURL ${esc(url)}/upload$`, 'm'), 'S3UpPortalURL the /upload location');
  like(conf, /^S3UpSecretFile /m, 'S3UpSecretFile is set');
  like(conf, new RegExp(`^Include "${esc(runDir)}/local.conf"$`, 'm'), 'local.conf is Included');
  like(readFileSync(join(runDir, 'local.conf'), 'utf8'), /^# Your part of the quick start's httpd config/, 'local.conf is written, commented');

  const again = buildsh('start');
  ok(again.status === 0 && /already running/.test(again.stderr), 'a second start says it is already running');

  // -- the customer portal: demo signs in and uploads
  const b = await launch({ timeout: 60000 });
  cleanup(() => b.close());
  const problems = [];
  const watch = (page, who) => {
    page.on('pageerror', (e) => problems.push(`${who}: page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && page.url().startsWith(url) && !/status of 403 /.test(m.text())) {
        problems.push(`${who}: console: ${m.text()}`);
      }
    });
  };
  const upload = async (p, file) => {
    await p.locator('.uppy-Dashboard-input:not([webkitdirectory])').first().setInputFiles(file);
    await p.locator('.uppy-StatusBar-actionBtn--upload').click();
    await p.locator('.uppy-StatusBar.is-complete').waitFor({ timeout: 60000 });
  };
  const tag = randomId(3);
  const memberFile = join(dir, `member-${tag}.bin`), linkFile = join(dir, `link-${tag}.bin`);
  const memberSum = writeBytesFile(memberFile, 2 * MiB + 3, 51);
  const linkSum = writeBytesFile(linkFile, 300 * KiB + 1, 52);

  t0 = performance.now();
  const member = await (await b.newContext()).newPage();
  watch(member, 'demo');
  let res = await login(member, `${url}/upload/`, 'demo');
  is(res?.status(), 200, 'demo signs in at /upload/');
  await member.locator('#endpoint-id').filter({ hasText: /^demo$/ }).waitFor();
  await upload(member, memberFile);
  is(s3('sha256', `uploads/demo/member-${tag}.bin`), memberSum, "demo's file is in uploads/demo/, bytes equal");
  res = await member.goto(`${url}/admin/`);
  is(res?.status(), 403, 'demo is no admin: /admin/ answers 403');
  note(`customer portal: ${ms(t0)} ms`);

  // -- the admin portal: admin signs in and makes an upload link for demo
  t0 = performance.now();
  const admin = await (await b.newContext()).newPage();
  watch(admin, 'admin');
  res = await login(admin, `${url}/admin/`, 'admin');
  is(res?.status(), 200, 'admin signs in at /admin/');
  await admin.goto(`${url}/admin/#/e/demo`);
  await admin.locator('#ep-id').filter({ hasText: /^demo$/ }).waitFor();
  ok(true, "the admin page shows the endpoint 'demo'");
  await admin.getByRole('button', { name: 'New upload link' }).click();
  await admin.getByRole('dialog', { name: 'New upload link' }).getByRole('button', { name: 'Make link' }).click();
  const made = admin.getByRole('dialog', { name: 'Upload link made' });
  await made.waitFor();
  const linkUrl = await made.getByLabel('Upload link', { exact: true }).inputValue();
  like(linkUrl, new RegExp(`^${esc(url)}/drop/[A-Za-z0-9_-]{43}$`), 'the link made is under S3UpLinkURL');
  note(`admin portal: ${ms(t0)} ms`);

  // -- the upload link, in a browser that never signed in
  t0 = performance.now();
  const holder = await (await b.newContext()).newPage();
  watch(holder, 'link');
  await holder.goto(linkUrl);
  await holder.waitForURL(`${url}/drop/`);
  await holder.locator('#endpoint-id').filter({ hasText: /^demo$/ }).waitFor();
  await upload(holder, linkFile);
  is(s3('sha256', `uploads/demo/link-${tag}.bin`), linkSum, "the link holder's file is in uploads/demo/, bytes equal");
  note(`upload link: ${ms(t0)} ms`);

  await made.getByRole('button', { name: 'Done' }).click();
  await admin.getByRole('button', { name: 'Refresh' }).first().click();
  for (const name of [`member-${tag}.bin`, `link-${tag}.bin`]) {
    await admin.locator('#files-body td.name', { hasText: name }).waitFor();
  }
  ok(true, 'the admin sees both files');
  is(problems, [], 'no page errors or console errors');
  ok(b.blocked.every((u) => !u.startsWith('http://127.0.0.1')), "only the provider's web fonts were blocked");

  // -- stop, then start again: local.conf is kept and Included
  const httpdPid = readEnv(join(runDir, 'httpd', 'httpd.env')).HTTPD_PID;
  const oidcPid = readEnv(join(runDir, 'oidc', 'oidc.env')).OIDC_PID;
  const stop = buildsh('stop');
  is(stop.status, 0, './build.sh stop succeeds');
  ok(!alive(httpdPid) && !alive(oidcPid), 'httpd and the provider are stopped');
  is((await fetch(`${process.env.S3UP_TEST_ENDPOINT}/`)).status, 200, 'the RGW of S3UP_RGW_DIR still answers');

  appendFileSync(join(runDir, 'local.conf'), 'Header always set X-Quickstart-Local "kept"\n');
  t0 = performance.now();
  const restart = buildsh('start');
  note(`./build.sh start again: ${ms(t0)} ms`);
  is(restart.status, 0, 'the next ./build.sh start succeeds');
  like(readFileSync(join(runDir, 'local.conf'), 'utf8'), /^Header always set X-Quickstart-Local "kept"$/m, 'local.conf keeps its lines');
  res = await fetch(`${url}/drop/`);
  is(res.headers.get('x-quickstart-local'), 'kept', 'and httpd runs them');
});
