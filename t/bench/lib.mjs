// Shared pieces of the benchmarks (t/bench/signing, t/bench/browser, t/bench/api): a scratch
// folder, a private Ceph RGW (or the one named by S3UP_TEST_*), Uppy Companion for the same
// bucket, clean-up on every way out,
// medians, memory of a process tree read from /proc, the machine's description.
// Benchmarks report; they never assert timings.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, existsSync, writeFileSync,
} from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { top } from '../lib/stack.mjs';

export { top };

export const log = (...a) => process.stderr.write(`${a.join(' ')}\n`);

// -- clean-up: last registered runs first; also on Ctrl-C, SIGTERM and uncaught errors.
const cleanups = [];
export function onCleanup(fn) { cleanups.push(fn); }
let cleaning = false;
export async function cleanupAll() {
  if (cleaning) return;
  cleaning = true;
  while (cleanups.length) {
    const fn = cleanups.pop();
    try { await fn(); } catch (e) { log(`cleanup: ${e.message}`); }
  }
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, async () => { log(`${sig}: cleaning up`); await cleanupAll(); process.exit(130); });
}
export async function main(fn) {
  try {
    await fn();
    await cleanupAll();
  } catch (e) {
    log(`FAILED: ${e.stack || e}`);
    await cleanupAll();
    process.exit(1);
  }
}

// A scratch folder under t/tmp, short enough for RGW's admin sockets, passable by www-data.
export function scratch(name) {
  mkdirSync(join(top, 't', 'tmp'), { recursive: true });
  const dir = mkdtempSync(join(top, 't', 'tmp', `b-${name}-`));
  chmodSync(dir, 0o755);
  return dir;
}

export function readEnvFile(file) {
  const env = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = line.match(/^([A-Z_0-9]+)=(.*)$/);
    if (m) env[m[1]] = m[2].replace(/^"(.*)"$/, '$1');
  }
  return env;
}

// Ceph RGW: the one in S3UP_TEST_* if set (reused, left running), else our own in dir/rgw,
// stopped on exit. extraAddrs: more addresses of this machine for it to listen on.
export function startRgw(dir, { extraAddrs = [] } = {}) {
  if (process.env.S3UP_TEST_ENDPOINT && process.env.S3UP_TEST_ACCESS_KEY) {
    log(`reusing the RGW at ${process.env.S3UP_TEST_ENDPOINT}`);
    return { reused: true, extraAddrs: [] };
  }
  const rdir = join(dir, 'rgw');
  log('starting Ceph RGW (about 20 s)...');
  onCleanup(() => execFileSync('bash', [join(top, 't/lib/rgw.sh'), 'stop', rdir], { stdio: 'inherit' }));
  execFileSync('bash', [join(top, 't/lib/rgw.sh'), 'start', rdir], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, RGW_EXTRA_ADDRS: extraAddrs.join(' ') },
  });
  Object.assign(process.env, readEnvFile(join(rdir, 'rgw.env')));
  return { reused: false, extraAddrs, dir: rdir };
}

// radosgw-admin gc: deleted data otherwise stays on the 8 GiB OSD file for a while.
export function rgwGc() {
  const rdir = process.env.S3UP_TEST_RGW_DIR;
  if (!rdir || !existsSync(join(rdir, 'ceph.conf'))) return false;
  execFileSync('radosgw-admin', ['-c', join(rdir, 'ceph.conf'), '-n', 'client.admin',
    'gc', 'process', '--include-all'], { stdio: 'ignore', timeout: 120000 });
  return true;
}

export function s3tool(...args) {
  const out = execFileSync('/usr/bin/python3', [join(top, 't/lib/s3tool.py'), ...args], {
    encoding: 'utf8', maxBuffer: 64 << 20,
  }).trim();
  return out.startsWith('{') || out.startsWith('[') || out === 'null' ? JSON.parse(out) : out;
}

// A Basic-auth password file. {SHA} hashes: mod_authn_file checks the password on every
// request, and bcrypt (htpasswd's default) would cost milliseconds each time.
export function htpasswdSha(dir, user, password) {
  const file = join(dir, 'htpasswd');
  execFileSync('htpasswd', ['-cbs', file, user, password], { stdio: 'ignore' });
  return file;
}

export const basic = (user, pw) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

export function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// -- memory from /proc
function status(pid) {
  try { return readFileSync(`/proc/${pid}/status`, 'utf8'); } catch { return ''; }
}
const kb = (text, field) => Number(text.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))?.[1] ?? 0);

// Every process's parent, from /proc.
function parents() {
  const parent = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const m = status(name).match(/^PPid:\s+(\d+)/m);
    if (m) parent.set(Number(name), Number(m[1]));
  }
  return parent;
}

export function childrenOf(ppid) {
  return [...parents()].filter(([, q]) => q === ppid).map(([p]) => p);
}

// Every process below pid (children, their children, ...).
export function descendantsOf(pid) {
  const parent = parents();
  return [...parent.keys()].filter((p) => {
    for (let q = parent.get(p); q; q = parent.get(q)) if (q === pid) return true;
    return false;
  });
}

// Chromium's processes below pid by kind: browser, renderer, network, gpu, other.
export function chromiumProcs(pid) {
  const out = { browser: [], renderer: [], network: [], gpu: [], other: [] };
  for (const p of descendantsOf(pid)) {
    let cmd;
    // Chromium rewrites its title: the arguments may be one string with spaces.
    try { cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').split(/[\0 ]/); } catch { continue; }
    if (!/chrom/.test(cmd[0] ?? '')) continue;
    const type = cmd.find((a) => a.startsWith('--type='))?.slice(7);
    const sub = cmd.find((a) => a.startsWith('--utility-sub-type='))?.slice(19) ?? '';
    if (!type) out.browser.push(p);
    else if (type === 'renderer') out.renderer.push(p);
    else if (type === 'gpu-process') out.gpu.push(p);
    else if (/network/i.test(sub)) out.network.push(p);
    else out.other.push(p);
  }
  return out;
}

// Resident memory of processes: RSS summed (counts shared pages once per process) and
// PSS summed (shared pages split between them: what the group really holds).
export function memoryOf(pids) {
  let rss = 0, pss = 0;
  for (const pid of pids) {
    rss += kb(status(pid), 'VmRSS');
    try { pss += kb(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss'); } catch { /* gone */ }
  }
  return { rssKiB: rss, pssKiB: pss, procs: pids.length };
}

// Sample pidsFn()'s memory every `every` ms until stop() is called: peak values.
export function sampleMemory(pidsFn, every = 250) {
  let peak = { rssKiB: 0, pssKiB: 0, procs: 0 };
  const tick = () => {
    const m = memoryOf(pidsFn());
    if (m.rssKiB > peak.rssKiB) peak = { ...m, pssKiB: Math.max(m.pssKiB, peak.pssKiB) };
    else peak.pssKiB = Math.max(m.pssKiB, peak.pssKiB);
  };
  tick();
  const t = setInterval(tick, every);
  return () => { clearInterval(t); tick(); return peak; };
}

// -- CPU time from /proc, in seconds (clock ticks are 100 per second on Linux)
const TICK = 100;

// The whole machine: busy and total time summed over every core since boot.
export function machineCpu() {
  const f = readFileSync('/proc/stat', 'utf8').match(/^cpu\s+(.*)$/m)[1].trim().split(/\s+/).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: busy / TICK, total: (busy + idle + iowait) / TICK };
}

// User + system time of each process (all its threads), by PID; those gone are left out.
export function cpuOf(pids) {
  const out = new Map();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(pid, (Number(f[11]) + Number(f[12])) / TICK);
    } catch { /* gone */ }
  }
  return out;
}

// The daemons of the RGW this benchmark uses (t/lib/rgw.sh records their PIDs).
export function rgwPids() {
  const dir = join(process.env.S3UP_TEST_RGW_DIR ?? '', 'pids');
  try {
    return readdirSync(dir).map((n) => Number(readFileSync(join(dir, n), 'utf8'))).filter((x) => x > 0);
  } catch { return []; }
}

// CPU seconds spent between start and stop(): the machine's (busy, and busy as a share of
// all cores) and each group's. groups() gives {name: [PIDs]} and is asked at both ends: a
// process that started meanwhile counts from 0, one that ended counts nothing.
export function cpuSpan(groups) {
  const m0 = machineCpu();
  const g0 = Object.fromEntries(Object.entries(groups()).map(([k, pids]) => [k, cpuOf(pids)]));
  return () => {
    const m1 = machineCpu();
    const busy = m1.busy - m0.busy, total = m1.total - m0.total;
    const out = { busy, busyShare: total > 0 ? busy / total : NaN };
    for (const [k, pids] of Object.entries(groups())) {
      const before = g0[k] ?? new Map();
      let t = 0;
      for (const [pid, x] of cpuOf(new Set([...before.keys(), ...pids]))) t += x - (before.get(pid) ?? 0);
      out[k] = t;
    }
    return out;
  };
}

// Every thread of these processes onto one CPU (children started later inherit it).
// A thread that ends meanwhile makes taskset fail: try again; a process gone is left out.
export function pin(cpu, pids) {
  for (const pid of pids) {
    for (let i = 1; ; i++) {
      try {
        execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: ['ignore', 'pipe', 'pipe'] });
        break;
      } catch (e) {
        if (!existsSync(`/proc/${pid}`)) break;
        if (i === 5) throw e;
      }
    }
  }
  log(`pinned to CPU ${cpu}: ${pids.join(' ')}`);
}

export function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = cpuinfo.match(/^model name\s*:\s*(.*)$/m)?.[1]?.trim() ?? cpus()[0]?.model ?? '?';
  const nproc = cpus().length; // all online CPUs, whatever this process is pinned to
  const memGiB = Math.round(Number(readFileSync('/proc/meminfo', 'utf8').match(/MemTotal:\s+(\d+)/)[1]) / 1048576);
  return { nproc, model, memGiB, load: loadavg().map((x) => x.toFixed(2)).join(' ') };
}

export const loadNow = () => loadavg().map((x) => x.toFixed(2)).join(' ');

// "min–max" of the 1-minute load averages in a list of loadNow() strings.
export function loadRange(loads) {
  const xs = loads.map((l) => Number(l.split(' ')[0])).filter(Number.isFinite);
  return xs.length ? `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}` : '?';
}

// Run a command, resolve with {code, stdout, stderr}.
export function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitForHttp(url, { timeout = 30000, headers = {} } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    try {
      const res = await fetch(url, { headers });
      await res.arrayBuffer();
      return res.status;
    } catch (e) {
      if (Date.now() > end) throw new Error(`${url} did not answer in ${timeout} ms: ${e.message}`);
      await sleep(200);
    }
  }
}

export function gitDescribe() {
  try {
    return execFileSync('git', ['-C', top, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch { return '?'; }
}

// Uppy Companion 6 (t/bench/companion.mjs) on a free port of 127.0.0.1, for the bucket and
// keys of S3UP_TEST_*, its files in dir/companion; stopped on exit (its log kept there).
// Returns {url, pid, log()} once it answers.
export async function startCompanion(dir) {
  const [port] = (await run(join(top, 't/lib/freeport'), [])).stdout.trim().split('\n').map(Number);
  const cdir = join(dir, 'companion');
  mkdirSync(cdir, { recursive: true });
  writeFileSync(join(cdir, 'config.json'), JSON.stringify(
    { s3: { awsClientOptions: { requestChecksumCalculation: 'WHEN_REQUIRED' } } }));
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    COMPANION_PORT: String(port),
    COMPANION_DOMAIN: `127.0.0.1:${port}`,
    COMPANION_PROTOCOL: 'http',
    COMPANION_SECRET: randomBytes(24).toString('hex'),
    COMPANION_DATADIR: cdir,
    COMPANION_CLIENT_ORIGINS: `http://127.0.0.1:${port}`,
    COMPANION_UPLOAD_URLS: `http://127.0.0.1:${port}/`,
    COMPANION_AWS_KEY: process.env.S3UP_TEST_ACCESS_KEY,
    COMPANION_AWS_SECRET: process.env.S3UP_TEST_SECRET_KEY,
    COMPANION_AWS_BUCKET: process.env.S3UP_TEST_BUCKET,
    COMPANION_AWS_REGION: process.env.S3UP_TEST_REGION || 'us-east-1',
    COMPANION_AWS_ENDPOINT: process.env.S3UP_TEST_ENDPOINT,
    COMPANION_AWS_FORCE_PATH_STYLE: 'true',
  };
  const comp = spawn(process.execPath, [join(top, 't/bench/companion.mjs'), '-c', join(cdir, 'config.json')], {
    env, stdio: ['ignore', 'pipe', 'pipe'], cwd: cdir,
  });
  let text = '';
  comp.stdout.on('data', (d) => { text = (text + d).slice(-20000); });
  comp.stderr.on('data', (d) => { text = (text + d).slice(-20000); });
  onCleanup(async () => {
    if (comp.exitCode === null) {
      comp.kill('SIGTERM');
      await new Promise((r) => { comp.once('exit', r); setTimeout(r, 5000); });
    }
    writeFileSync(join(cdir, 'companion.log'), text);
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/`, { timeout: 30000 });
  return { url, pid: comp.pid, log: () => text };
}
