// t/bench/browser: one big file (1 GiB by default) uploaded from headless Chromium to Ceph
// RGW through mod_s3up's API, against the ceiling, on loopback and over an emulated WAN.
//
//   t/bench/browser [--runs 3] [--size-mib 1024] [--delay-ms 20] [--no-wan] [--no-loopback]
//                   [--variants ceiling,portal,stock,raw,raw-progress] [--pin] [--keep] [--profile]
//
// Variants, each a median of --runs runs, interleaved (ceiling, portal, stock, ceiling, ...):
//   portal   the customer portal page as it is (htdocs/upload/, whatever uploader it uses):
//            the file is given to its Dashboard's file input, its Upload button is pressed
//            (or the upload starts by itself), the clock stops at the answer of
//            POST .../complete.
//   raw      t/bench/raw/: the browser without Uppy, the same parts PUT 4 at a time with
//            bare XMLHttpRequest (what a page can do at best here; served under /bench/ by
//            the same httpd)
//   raw-progress  the same bare page with an upload progress listener on each PUT (noting
//            the bytes, nothing drawn): what the progress events alone cost
//   stock    the same portal page with ?uploader=stock: Uppy 6's stock AwsS3 plugin against
//            the same API, the server's part size, 4 files at once (a file's parts one by one).
//   ceiling  t/bench/ceiling.mjs: create, one /batch sign, curl PUTting the same parts
//            4 at a time to the presigned URLs, complete.
// With both portal and raw, each portal run is also set against the bare page's run of the
// same round: the ratios of rate and of Chromium's CPU, and what the page's own processes
// (renderer and GPU) spent over the bare page's, with the medians of those.
// Every object's sha256 is checked against the file's (s3tool); the endpoint's objects and
// unfinished uploads are removed after each run and RGW's garbage collection is run.
//
// WAN: this kernel has no netem, so a network namespace joined to this machine by a
// user-space delay link (t/bench/delaylink.c: two tun devices, each packet held
// --delay-ms in each direction). Chromium and curl run inside the namespace; httpd and
// RGW listen on the host side of the link as well as on 127.0.0.1. Needs root.
//
// --pin: the servers (httpd, radosgw, ceph-osd, ceph-mon) on CPU 0, the clients (Chromium or
// curl, the delay link, this script) on CPU 1, as if they ran on two machines: what a
// browser's own CPU costs then no longer slows the store. Needs an RGW of its own.
//
// --profile: where a page's CPU goes, for each browser upload (the profilers cost CPU of
// their own: read its figures against each other, not against a run without it):
// Chromium's CPU time by process kind and thread (/proc/<pid>/task), the page's JavaScript
// by function (a CDP Profiler session, sampling every 1 ms) and the renderer's main-thread
// work by kind (a CDP trace of devtools.timeline: script, style, layout, paint, ...). The
// top entries go to stderr; the .cpuprofile and trace files stay in the scratch folder (with
// --keep).
//
// Sign-in: Basic auth ({SHA} htpasswd). Chromium gets the credentials through playwright
// for the first page only (playwright intercepts every request while it holds them), then
// uses the ones it cached, like any browser after a login prompt.
import { spawn, execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync, chmodSync, statSync } from 'node:fs';
import { join, basename } from 'node:path';
import { SourceMap } from 'node:module';
import { parseArgs } from 'node:util';
import { randomBytes, createHash } from 'node:crypto';
import { chromium } from 'playwright-core';
import { startHttpd } from '../lib/stack.mjs';
import {
  top, log, main, onCleanup, scratch, startRgw, rgwGc, s3tool, htpasswdSha, basic, median,
  machine, loadNow, loadRange, run, sleep, gitDescribe, cpuSpan, rgwPids, childrenOf, chromiumProcs, pin,
} from './lib.mjs';

const { values: opt } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'size-mib': { type: 'string', default: '1024' },
    'delay-ms': { type: 'string', default: '20' },
    'no-wan': { type: 'boolean', default: false },
    'no-loopback': { type: 'boolean', default: false },
    variants: { type: 'string', default: 'ceiling,portal,stock,raw' },
    parallel: { type: 'string', default: '4' },
    keep: { type: 'boolean', default: false },
    pin: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
  },
});
const RUNS = Number(opt.runs);
const SIZE = Number(opt['size-mib']) * 1024 * 1024;
const DELAY = Number(opt['delay-ms']);
const VARIANTS = opt.variants.split(',');
const PARALLEL = Number(opt.parallel);
const MiB = 1024 * 1024;
const CHROMIUM = process.env.S3UP_TEST_CHROMIUM || '/usr/bin/chromium';
const UPLOAD_TIMEOUT = 10 * 60 * 1000;

const sh = (cmd, args, o = {}) => execFileSync(cmd, args, { encoding: 'utf8', ...o }).trim();

// -- the emulated WAN: namespace + delay link. Returns null (with the reason logged) when it
// cannot be made here.
async function makeWan(dir) {
  const why = (s) => { log(`WAN: not possible here: ${s}`); return { error: s }; };
  if (process.getuid() !== 0) return why('needs root (ip netns, tun devices)');
  if (!existsSync('/dev/net/tun')) return why('no /dev/net/tun');
  try { sh('cc', ['--version']); } catch { return why('no C compiler (cc)'); }
  const bin = join(dir, 'delaylink');
  sh('cc', ['-O2', '-Wall', '-o', bin, join(top, 't/bench/delaylink.c')]);
  const tag = randomBytes(2).toString('hex');
  const ns = `s3bench-${tag}`, hostIf = `s3bh${tag}`, nsIf = `s3bn${tag}`;
  const used = sh('ip', ['-4', 'addr']) + sh('ip', ['-4', 'route']);
  let x;
  for (let i = 0; i < 50 && x === undefined; i++) {
    const c = 1 + Math.floor(Math.random() * 250);
    if (!used.includes(`10.213.${c}.`)) x = c;
  }
  const hostAddr = `10.213.${x}.1`, nsAddr = `10.213.${x}.2`;
  try {
    sh('ip', ['netns', 'add', ns]);
  } catch (e) { return why(`ip netns add: ${e.message}`); }
  onCleanup(() => sh('ip', ['netns', 'del', ns]));
  const link = spawn(bin, [ns, hostIf, nsIf, String(DELAY)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let linkErr = '';
  link.stderr.on('data', (d) => { linkErr += d; });
  onCleanup(async () => {
    if (link.exitCode === null) {
      link.kill('SIGTERM');
      await new Promise((r) => { link.once('exit', r); setTimeout(r, 3000); });
    }
    log(linkErr.trim());
  });
  const ready = await new Promise((resolve) => {
    link.stdout.once('data', (d) => resolve(String(d).includes('ready')));
    link.once('exit', () => resolve(false));
  });
  if (!ready) return why(`delaylink: ${linkErr.trim()}`);
  try {
    sh('ip', ['addr', 'add', hostAddr, 'peer', nsAddr, 'dev', hostIf]);
    sh('ip', ['link', 'set', hostIf, 'mtu', '65000', 'up']);
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    sh('ip', ['-n', ns, 'addr', 'add', nsAddr, 'peer', hostAddr, 'dev', nsIf]);
    sh('ip', ['-n', ns, 'link', 'set', nsIf, 'mtu', '65000', 'up']);
  } catch (e) { return why(`ip: ${e.message}`); }
  // The namespace's TCP buffers as this machine's (a new namespace starts from the
  // kernel's defaults).
  for (const k of ['net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem']) {
    try {
      const v = sh('sysctl', ['-n', k]).replace(/\s+/g, ' ');
      sh('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', `${k}=${v}`]);
    } catch { /* keep the namespace's default */ }
  }
  log(`WAN: namespace ${ns}, ${nsAddr} <-> ${hostAddr} through ${hostIf}/${nsIf}, ${DELAY} ms each way, MTU 65000`);
  return { ns, hostAddr, nsAddr, link };
}

function sha256File(file) {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file, { highWaterMark: 4 * MiB }).on('data', (d) => h.update(d))
      .on('end', () => resolve(h.digest('hex'))).on('error', reject);
  });
}

// The clients' CPU seconds (everything but the servers and the delay link), and the part of
// them Chromium's processes spent, by kind.
const clientCpu = (c) => c.busy - c.servers - c.link;
// Chromium's own CPU seconds (all its processes): unlike the clients' figure, untouched by
// other jobs on the machine.
const chromiumTotal = (c) => Object.keys(c).filter((k) => k.startsWith('chromium ')).reduce((t, k) => t + c[k], 0);
// The page's own processes (renderer and GPU): the bytes take the same path through the
// browser process and the network service whatever the page, so this is where two pages
// differ, without the noise of those two.
const pageCpu = (c) => (c['chromium renderer'] ?? 0) + (c['chromium gpu'] ?? 0);
const chromiumCpu = (c) => {
  const kinds = Object.keys(c).filter((k) => k.startsWith('chromium ') && c[k] > 0.05);
  return kinds.length ? ` (${kinds.map((k) => `${k.slice(9)} ${c[k].toFixed(1)}`).join(', ')})` : '';
};

// TCP connect time from where the clients run to httpd (median of 7, ms).
async function connectMs(prefix, url) {
  const xs = [];
  for (let i = 0; i < 7; i++) {
    const r = await run(prefix[0] ?? 'curl', [...prefix.slice(1), ...(prefix.length ? ['curl'] : []),
      '-s', '-o', '/dev/null', '-w', '%{time_connect}', url]);
    xs.push(Number(r.stdout) * 1000);
  }
  return median(xs);
}

// -- --profile

// CPU seconds of every thread of Chromium's processes, by "kind thread-name" (Chromium's
// pools number their threads: the numbers are dropped), keyed by thread id.
function threadTimes(procs) {
  const out = new Map();
  for (const [kind, pids] of Object.entries(procs)) {
    for (const pid of pids) {
      let tids;
      try { tids = readdirSync(`/proc/${pid}/task`); } catch { continue; }
      for (const tid of tids) {
        try {
          const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
          const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/[\d/]+$/, '');
          const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          out.set(`${pid}/${tid}`, { key: `${kind} ${name}`, t: (Number(f[11]) + Number(f[12])) / 100 });
        } catch { /* gone */ }
      }
    }
  }
  return out;
}

function threadSpan(procsFn) {
  const t0 = threadTimes(procsFn());
  return () => {
    const by = new Map();
    for (const [id, { key, t }] of threadTimes(procsFn())) by.set(key, (by.get(key) ?? 0) + t - (t0.get(id)?.t ?? 0));
    return [...by].filter(([, t]) => t >= 0.01).sort((a, b) => b[1] - a[1]);
  };
}

// Where the bundle's minified code came from (Uppy's source map, when npm ci put it there).
let uppyMap;
function uppySource(line, column) {
  if (uppyMap === undefined) {
    try {
      uppyMap = new SourceMap(JSON.parse(readFileSync(join(top, 'node_modules/uppy/dist/uppy.min.mjs.map'), 'utf8')));
    } catch { uppyMap = null; }
  }
  const e = uppyMap?.findEntry(line, column);
  if (!e?.originalSource) return null;
  return { file: e.originalSource.replace(/^(\.\.\/)+(node_modules\/)?/, '').replace(/^packages\//, ''), line: e.originalLine + 1, name: e.name };
}

// A V8 CPU profile's self time (ms) by function and by source file.
function summariseProfile(profile) {
  const self = new Map();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const byFn = new Map(), byFile = new Map();
  const add = (m, k, v) => m.set(k, (m.get(k) ?? 0) + v);
  for (const node of profile.nodes) {
    const ms = self.get(node.id) ?? 0;
    if (!ms) continue;
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    let file = functionName;
    try { if (url) file = basename(new URL(url).pathname) || url; } catch { file = url; }
    let fn = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
    if (file === 'uppy.min.mjs') {
      const src = uppySource(lineNumber, columnNumber);
      if (src) {
        file = `uppy: ${src.file}`;
        fn = `${src.name || functionName || '(anonymous)'} ${src.file}:${src.line}`;
      }
    }
    add(byFn, fn, ms);
    add(byFile, file, ms);
  }
  const most = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
  return { byFn: most(byFn, 25), byFile: most(byFile, 20), totalMs: [...self.values()].reduce((a, b) => a + b, 0) };
}

// A Chromium trace (devtools.timeline): self thread time (ms) of each event by thread and
// name, in the renderers.
function summariseTrace(buf) {
  const { traceEvents } = JSON.parse(buf.toString('utf8'));
  const procName = new Map(), threadName = new Map();
  for (const e of traceEvents) {
    if (e.ph !== 'M') continue;
    if (e.name === 'process_name') procName.set(e.pid, e.args.name);
    if (e.name === 'thread_name') threadName.set(`${e.pid}/${e.tid}`, e.args.name);
  }
  const threads = new Map();
  for (const e of traceEvents) {
    if (e.ph !== 'X' || !/renderer/i.test(procName.get(e.pid) ?? '')) continue;
    const k = `${e.pid}/${e.tid}`;
    if (!threads.has(k)) threads.set(k, []);
    threads.get(k).push(e);
  }
  const self = new Map();
  for (const [k, evs] of threads) {
    const tname = (threadName.get(k) ?? k).replace(/\d+$/, '');
    evs.sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
    const stack = [];
    const close = (upTo) => {
      while (stack.length && stack.at(-1).end <= upTo) {
        const s = stack.pop();
        const key = `${tname}: ${s.name}`;
        self.set(key, (self.get(key) ?? 0) + Math.max(0, s.t - s.children) / 1000);
      }
    };
    for (const e of evs) {
      close(e.ts);
      const t = e.tdur ?? e.dur ?? 0;
      if (stack.length) stack.at(-1).children += t;
      stack.push({ name: e.name, end: e.ts + (e.dur ?? 0), t, children: 0 });
    }
    close(Infinity);
  }
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, 25);
}

function logProfile(what, p, gib) {
  const f = (ms) => `${(ms / 1000 / gib).toFixed(3)}`;
  log(`${what}: Chromium's threads, CPU s/GiB:`);
  for (const [k, t] of p.threads.slice(0, 20)) log(`  ${(t / gib).toFixed(3)}  ${k}`);
  log(`${what}: the page's JavaScript (V8 profile, ${f(p.js.totalMs)} s/GiB sampled), self s/GiB by file:`);
  for (const [k, ms] of p.js.byFile) log(`  ${f(ms)}  ${k}`);
  log(`${what}: ... by function:`);
  for (const [k, ms] of p.js.byFn) log(`  ${f(ms)}  ${k}`);
  log(`${what}: renderer threads' trace events, self thread time s/GiB:`);
  for (const [k, ms] of p.trace) log(`  ${f(ms)}  ${k}`);
}

// One browser upload of `file` on `pageUrl`; returns {seconds, key, counts}.
async function browserUpload(browser, { origin, pageUrl, primeUrl, user, pw, file, s3port, cpuGroups, profile }) {
  const context = await browser.newContext({ httpCredentials: { username: user, password: pw, origin } });
  context.setDefaultTimeout(60000);
  try {
    const page = await context.newPage();
    const prime = await page.goto(primeUrl, { waitUntil: 'networkidle' });
    if (!prime.ok()) throw new Error(`${primeUrl}: ${prime.status()}`);
    // From here Chromium answers 401s from its own cache; playwright no longer intercepts.
    await context.setHTTPCredentials(null);
    const problems = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    const counts = { sign: 0, signBatch: 0, put: 0, putMaxInFlight: 0, status401: 0, failed: 0, failedUrls: [], other: [] };
    let inFlight = 0;
    let started = null;
    const isPut = (req) => req.method() === 'PUT' && new URL(req.url()).port === String(s3port);
    page.on('request', (req) => {
      const u = new URL(req.url());
      if (u.hostname !== new URL(origin).hostname) counts.other.push(req.url());
      if (isPut(req)) {
        counts.put++;
        inFlight++;
        counts.putMaxInFlight = Math.max(counts.putMaxInFlight, inFlight);
      } else if (req.method() === 'GET' && /\/s3\/multipart\/[^/]+\/batch$/.test(u.pathname)) counts.signBatch++;
      else if (req.method() === 'GET' && /\/s3\/multipart\/[^/]+\/\d+$/.test(u.pathname)) counts.sign++;
      else if (req.method() === 'POST' && /\/s3\/multipart$/.test(u.pathname) && started === null) started = Date.now();
    });
    const done = (req) => { if (isPut(req)) inFlight--; };
    page.on('requestfinished', done);
    page.on('requestfailed', (req) => {
      done(req);
      counts.failed++;
      counts.failedUrls.push(`${req.method()} ${req.url().slice(0, 100)} ${req.failure()?.errorText}`);
    });
    page.on('response', (res) => { if (res.status() === 401) counts.status401++; });

    const nav = await page.goto(pageUrl);
    if (!nav.ok()) throw new Error(`${pageUrl}: ${nav.status()}`);
    // The Dashboard's file input (the portal has another one, for unfinished uploads), or
    // the bare page's.
    const input = page.locator('#uppy input[type=file]:not([webkitdirectory]), input#file').first();
    await input.waitFor({ state: 'attached' });
    const completed = page.waitForResponse((res) => res.request().method() === 'POST'
      && /\/s3\/multipart\/[^/]+\/complete$/.test(new URL(res.url()).pathname), { timeout: UPLOAD_TIMEOUT });
    completed.catch(() => {});
    await input.setInputFiles(file);
    let profiled = null;
    if (profile) {
      const cdp = await context.newCDPSession(page);
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 1000 });
      await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
      await cdp.send('Profiler.start');
      const threads = threadSpan(() => chromiumProcs(process.pid));
      profiled = async () => {
        const t = threads();
        const { profile: js } = await cdp.send('Profiler.stop');
        const trace = await browser.stopTracing();
        writeFileSync(join(profile.dir, `${profile.name}.cpuprofile`), JSON.stringify(js));
        writeFileSync(join(profile.dir, `${profile.name}.trace.json`), trace);
        return { threads: t, js: summariseProfile(js), trace: summariseTrace(trace) };
      };
    }
    const cpu = cpuSpan(cpuGroups);
    const button = page.locator('.uppy-StatusBar-actionBtn--upload');
    // Press Upload, unless the page started by itself.
    for (const t0 = Date.now(); Date.now() - t0 < 15000;) {
      if (started !== null) break;
      if (await button.isVisible().catch(() => false)) {
        started = Date.now();
        await button.click();
        break;
      }
      await sleep(50);
    }
    if (started === null) {
      const text = await page.locator('body').innerText().catch(() => '');
      throw new Error(`the upload did not start: ${problems.join('; ')}; the page says: ${text.replace(/\s+/g, ' ').slice(0, 600)}`);
    }
    let finished = false;
    const failure = (async () => {
      while (!finished) {
        await sleep(500);
        if (!finished && await page.locator('.uppy-StatusBar.is-error').count().catch(() => 0)) {
          const text = await page.locator('.uppy-StatusBar').innerText().catch(() => '');
          throw new Error(`the page reports an error: ${text.replace(/\s+/g, ' ')}; ${problems.join('; ')}`);
        }
      }
    })();
    const res = await Promise.race([completed, failure]).finally(() => { finished = true; });
    const seconds = (Date.now() - started) / 1000;
    const cpuUsed = cpu();
    const prof = profiled && await profiled();
    const body = await res.json();
    if (res.status() !== 200 || !body.key) throw new Error(`complete: ${res.status()} ${JSON.stringify(body)}`);
    return { seconds, key: body.key, counts, problems, cpu: cpuUsed, profile: prof };
  } finally {
    await context.close().catch(() => {});
  }
}

await main(async () => {
  const m0 = machine();
  log(`machine: ${m0.nproc} cores, ${m0.model}, load ${m0.load}`);
  const dir = scratch('browser');
  if (!opt.keep) onCleanup(() => run('rm', ['-rf', dir]));

  // Before anything is started: what this script starts runs on the clients' CPU.
  if (opt.pin) {
    if (m0.nproc < 2) throw new Error('--pin needs 2 CPUs');
    if (process.env.S3UP_TEST_ENDPOINT) throw new Error('--pin moves the RGW\'s daemons: unset S3UP_TEST_* to let it start its own');
    pin(1, [process.pid]);
  }
  let wan = null, wanWhy = '';
  if (!opt['no-wan']) {
    const w = await makeWan(dir);
    if (w.error) wanWhy = w.error; else wan = w;
  }
  const rgw = startRgw(dir, { extraAddrs: wan ? [wan.hostAddr] : [] });
  if (opt.pin) pin(0, rgwPids());
  if (rgw.reused && wan) {
    wanWhy = 'the reused RGW (S3UP_TEST_*) listens on 127.0.0.1 only: unset S3UP_TEST_* for the WAN figures';
    log(`WAN: ${wanWhy}`);
    wan = null;
  }
  const rgwPort = new URL(process.env.S3UP_TEST_ENDPOINT).port;

  const user = `bench-${randomBytes(3).toString('hex')}`;
  const pw = randomBytes(9).toString('base64url');
  const pwfile = htpasswdSha(dir, user, pw);
  const eid = `bench-up-${randomBytes(3).toString('hex')}`;
  const prefix = `uploads/${eid}/`;
  s3tool('endpoint', eid, `members=${user}`);
  onCleanup(() => s3tool('wipe', prefix));

  // The file, its hash, its parts for curl (cut at the server's part size, read below).
  log(`writing a ${SIZE / MiB} MiB test file...`);
  const file = join(dir, 'file.bin');
  sh('sh', ['-c', `head -c ${SIZE} /dev/urandom > '${file}'`]);
  const fileSha = await sha256File(file);
  chmodSync(dir, 0o755);

  const phases = [];
  if (!opt['no-loopback']) phases.push({ name: 'loopback', host: '127.0.0.1', ns: null });
  if (wan) phases.push({ name: `${2 * DELAY} ms RTT`, host: wan.hostAddr, ns: wan.ns });
  const results = {};
  let partSize = null;
  const loads = [];

  for (const phase of phases) {
    const [port] = sh(join(top, 't/lib/freeport'), []).split('\n');
    const hdir = join(dir, `h-${phase.name.replace(/\W+/g, '')}`);
    mkdirSync(hdir, { recursive: true });
    const httpd = startHttpd(hdir, `
${phase.host !== '127.0.0.1' ? `Listen ${phase.host}:${port}` : ''}
<Location /upload>
    SetHandler s3up-upload
    AuthType Basic
    AuthName "bench"
    AuthBasicProvider file
    AuthUserFile "${pwfile}"
    Require valid-user
</Location>
Alias /bench/ "${top}/t/bench/raw/"
<Directory "${top}/t/bench/raw">
    Require all granted
</Directory>
`, { HTTPD_PORT: port, S3UP_TEST_ENDPOINT: `http://${phase.host}:${rgwPort}` });
    const stopHttpd = () => httpd.stop();
    onCleanup(stopHttpd);
    const httpdPid = Number(readFileSync(join(httpd.dir, 'httpd.pid'), 'utf8'));
    // New httpd children are forked from the parent: they keep its CPU.
    if (opt.pin) pin(0, [httpdPid, ...childrenOf(httpdPid)]);
    // CPU by who spent it: the servers, the delay link, and the rest (the clients).
    const cpuGroups = () => {
      const chromium = chromiumProcs(process.pid);
      return {
        servers: [...rgwPids(), httpdPid, ...childrenOf(httpdPid)],
        link: wan?.link?.pid ? [wan.link.pid] : [],
        // Chromium's share of the clients' time, by process
        ...Object.fromEntries(['browser', 'renderer', 'network', 'gpu'].map((k) => [`chromium ${k}`, chromium[k]])),
      };
    };
    const origin = `http://${phase.host}:${port}`;
    const api = `${origin}/upload`;
    s3tool('cors', origin);
    const auth = basic(user, pw);
    const session = await (await fetch(`${httpd.url}/upload/api/session`, { headers: { authorization: auth } })).json();
    if (!session.part_size) throw new Error(`session: ${JSON.stringify(session)}`);
    if (partSize === null) {
      partSize = session.part_size;
      // A file of one part goes up as one form POST, with no .../complete to stop the clock.
      if (SIZE <= partSize) throw new Error(`--size-mib: the file must be larger than one part (${partSize / MiB} MiB)`);
      const pdir = join(dir, 'parts');
      mkdirSync(pdir, { recursive: true });
      sh('split', ['-b', String(partSize), '--numeric-suffixes=1', '-a', '5', file, join(pdir, 'p')]);
      log(`session: part size ${partSize / MiB} MiB, parts in flight ${session.parts_in_flight}, mode ${session.mode}`);
    }
    const nsPrefix = phase.ns ? ['ip', 'netns', 'exec', phase.ns] : [];
    const rtt = await connectMs(nsPrefix, `${origin}/bench/index.html`);
    log(`${phase.name}: TCP connect to httpd ${rtt.toFixed(1)} ms (median of 7)`);
    let exe = CHROMIUM;
    if (phase.ns) {
      exe = join(dir, `chromium-${phase.ns}`);
      writeFileSync(exe, `#!/bin/sh\nexec ip netns exec '${phase.ns}' '${CHROMIUM}' "$@"\n`);
      chmodSync(exe, 0o755);
    }
    const browser = await chromium.launch({
      executablePath: exe,
      timeout: 60000,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${phase.host}`],
    });
    const closeBrowser = () => browser.close();
    onCleanup(closeBrowser);
    const version = browser.version();
    const res = { rtt, chromium: version, runs: Object.fromEntries(VARIANTS.map((v) => [v, []])) };
    results[phase.name] = res;

    for (let i = 1; i <= RUNS; i++) {
      for (const v of VARIANTS) {
        loads.push(loadNow());
        let r;
        if (v === 'ceiling') {
          const cpu = cpuSpan(cpuGroups);
          const out = await run(nsPrefix[0] ?? process.execPath, [
            ...nsPrefix.slice(1), ...(nsPrefix.length ? [process.execPath] : []),
            join(top, 't/bench/ceiling.mjs'), api, auth, String(SIZE), String(partSize),
            join(dir, 'parts'), String(PARALLEL)]);
          if (out.code !== 0) throw new Error(`ceiling: ${out.stderr}${out.stdout}`);
          r = JSON.parse(out.stdout);
          r.cpu = cpu();
        } else {
          const pageUrl = { portal: `${api}/`, stock: `${api}/?uploader=stock`, raw: `${origin}/bench/?api=/upload`,
            'raw-progress': `${origin}/bench/?api=/upload&progress=1` }[v];
          r = await browserUpload(browser, {
            origin, pageUrl, primeUrl: `${api}/`, user, pw, file, s3port: rgwPort, cpuGroups,
            profile: opt.profile && { dir, name: `${phase.name.replace(/\W+/g, '')}-${v}-${i}` },
          });
          if (r.profile) logProfile(`${phase.name} run ${i} ${v}`, r.profile, SIZE / 1024 / MiB);
        }
        const got = s3tool('sha256', r.key);
        r.shaOk = got === fileSha;
        r.mibps = SIZE / MiB / r.seconds;
        res.runs[v].push(r);
        log(`${phase.name} run ${i} ${v}: ${r.mibps.toFixed(1)} MiB/s (${r.seconds.toFixed(2)} s)` +
          ` sha256 ${r.shaOk ? 'ok' : `WRONG (${got})`}` +
          (r.counts ? `, ${r.counts.put} PUTs (max ${r.counts.putMaxInFlight} at once), ` +
            `${r.counts.sign} part signs, ${r.counts.signBatch} batch signs, ${r.counts.status401} 401s` +
            `${r.counts.failed ? `, failed requests: ${r.counts.failedUrls.join(' | ')}` : ''}` +
            `${r.counts.other.length ? `, OTHER HOSTS: ${r.counts.other.join(' ')}` : ''}` : '') +
          `; CPU s: clients ${clientCpu(r.cpu).toFixed(1)}${chromiumCpu(r.cpu)}, servers ${r.cpu.servers.toFixed(1)}, link ${r.cpu.link.toFixed(1)},` +
          ` machine busy ${(100 * r.cpu.busyShare).toFixed(0)} %; load ${loadNow()}`);
        if (!r.shaOk) throw new Error(`${v}: ${r.key} does not hold the file that was sent`);
        s3tool('wipe', prefix);
        const left = s3tool('uploads', prefix);
        if (left.length) log(`WARNING: unfinished uploads left: ${JSON.stringify(left)}`);
        rgwGc();
      }
    }
    await browser.close();
    await stopHttpd();
  }

  // -- summary
  const m1 = machine();
  const table = [];
  const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
  const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-');
  const label = {
    ceiling: `curl, ${partSize / MiB} MiB parts, ${PARALLEL} at a time (ceiling)`,
    portal: 'the portal (htdocs/common/uploader.mjs)',
    stock: `the portal with stock Uppy 6 AwsS3, ${partSize / MiB} MiB parts`,
    raw: `bare XMLHttpRequest, ${partSize / MiB} MiB parts, 4 at a time (no Uppy)`,
    'raw-progress': 'the same bare page listening to its PUTs\' upload progress',
  };
  const summary = {};
  for (const [pname, res] of Object.entries(results)) {
    const ceil = median(res.runs.ceiling?.map((r) => r.mibps) ?? []);
    summary[pname] = {};
    for (const v of VARIANTS) {
      const xs = res.runs[v].map((r) => r.mibps);
      const mb = median(xs);
      // CPU seconds per GiB sent, and how busy the machine was (medians over the runs)
      const of = { clients: clientCpu, chromium: chromiumTotal };
      const perGiB = (k) => median(res.runs[v].map((r) => (of[k]?.(r.cpu) ?? r.cpu[k]) / (SIZE / 1024 / MiB)));
      const cpu = { clients: perGiB('clients'), chromium: perGiB('chromium'), servers: perGiB('servers'), link: perGiB('link'),
        busyShare: median(res.runs[v].map((r) => r.cpu.busyShare)) };
      summary[pname][v] = { mibps: mb, ratio: mb / ceil, all: xs, cpu };
      table.push(`| ${pname} (connect ${f1(res.rtt)} ms) | ${label[v]} | ${f1(mb)} | ` +
        `${v === 'ceiling' ? '1' : f2(mb / ceil)} | ${xs.map(f1).join(', ')} | ` +
        `${f1(cpu.clients)} | ${v === 'ceiling' ? '-' : f2(cpu.chromium)} | ${f1(cpu.servers)} | ${(100 * cpu.busyShare).toFixed(0)} % |`);
    }
  }
  // The portal against the bare page, run by run: each portal run with the bare page's run
  // of the same round (interleaved, so both saw the same machine), and the median of those
  // ratios; the whole of Chromium's CPU moves by up to 2 s/GiB from run to run with the browser
  // process, the page's own processes far less.
  const pairs = [];
  for (const [pname, res] of Object.entries(results)) {
    const a = res.runs.portal ?? [], b = res.runs.raw ?? [];
    const n = Math.min(a.length, b.length);
    if (!n) continue;
    const gib = SIZE / 1024 / MiB;
    const rate = [], cpu = [], extra = [], share = [];
    for (let i = 0; i < n; i++) {
      rate.push(a[i].mibps / b[i].mibps);
      cpu.push(chromiumTotal(a[i].cpu) / chromiumTotal(b[i].cpu));
      extra.push((pageCpu(a[i].cpu) - pageCpu(b[i].cpu)) / gib);
      share.push((pageCpu(a[i].cpu) - pageCpu(b[i].cpu)) / chromiumTotal(b[i].cpu));
    }
    const list = (xs, f) => `${f(median(xs))} (runs ${xs.map(f).join(', ')})`;
    const x2 = (v) => v.toFixed(2);
    const pct = (v) => `${(100 * v).toFixed(1)} %`;
    pairs.push(`${pname}, the portal / the bare page, pair by pair, median: rate ${list(rate, x2)}; ` +
      `Chromium CPU per GiB ${list(cpu, x2)}; the page's own processes (renderer + GPU), portal − bare: ` +
      `${list(extra, x2)} s/GiB, that is ${list(share, pct)} of the bare page's Chromium CPU`);
    summary[pname].pairs = { rate, cpu, extraPerGiB: extra, extraShare: share };
  }
  const out = {
    date: new Date().toISOString(), commit: gitDescribe(), machine: m1, loadBefore: m0.load, loads,
    command: `t/bench/browser --runs ${RUNS} --size-mib ${SIZE / MiB}${opt.pin ? ' --pin' : ''}`, pinned: opt.pin, sizeMiB: SIZE / MiB,
    partSizeMiB: partSize / MiB, wan: wan ? { delayMsEachWay: DELAY } : { error: wanWhy },
    results, summary,
  };
  writeFileSync(join(dir, 'browser.json'), JSON.stringify(out, (k, v) => (k === 'other' && !v.length ? undefined : v), 2));
  if (opt.keep) log(`details kept in ${dir}`);
  const chromiumVersion = Object.values(results)[0]?.chromium ?? '?';
  const lines = [
    `Machine: ${m1.nproc} cores (${m1.model}), ${m1.memGiB} GiB; ${out.date}; commit ${out.commit}; ` +
      `load average (1/5/15 min) before ${m0.load}, 1-min during ${loadRange(loads)}, after ${m1.load}; Chromium ${chromiumVersion} headless; Ceph RGW 16 on the same machine`,
    `Command: \`${out.command}\` — ${SIZE / MiB} MiB file, every object's sha256 checked; median of ${RUNS} runs`,
    ...(opt.pin ? ['Pinned: httpd, radosgw, ceph-osd and ceph-mon on CPU 0; Chromium or curl, the delay link and the benchmark on CPU 1'] : []),
    wan ? `WAN: ${DELAY} ms each way through t/bench/delaylink (user-space, tun, MTU 65000); clients in a network namespace`
      : `WAN: not measured: ${wanWhy || 'skipped (--no-wan)'}`,
    '',
    '| network | uploader | MiB/s | × ceiling | runs (MiB/s) | client CPU s/GiB | Chromium CPU s/GiB | server CPU s/GiB | machine busy |',
    '|---|---|---:|---:|---|---:|---:|---:|---:|',
    ...table,
    '',
    'CPU: seconds of CPU time per GiB sent, from /proc while each upload ran; server = httpd + radosgw + ceph-osd + ceph-mon;',
    'client = the rest of the machine (Chromium or curl, and the benchmark\'s own node), less the delay link' +
      (wan ? ` (which took ${f1(median(Object.values(summary).flatMap((x) => Object.values(x).map((y) => y.cpu.link))
        .filter((x) => x > 0.05)))} s/GiB on the 40 ms runs)` : '') + ', and any other job on the machine;',
    'Chromium = its browser, renderer, network service and GPU processes alone; machine busy = share of both cores in use.',
    ...(pairs.length ? ['', ...pairs] : []),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
});
