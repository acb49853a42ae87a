// Shared pieces of the benchmarks (t/bench/signing, t/bench/browser): a scratch folder,
// a private Ceph RGW (or the one named by S3UP_TEST_*), clean-up on every way out,
// medians, memory of a process tree read from /proc, the machine's description.
// Benchmarks report; they never assert timings.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, existsSync } from 'node:fs';
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

export function childrenOf(ppid) {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const m = status(name).match(/^PPid:\s+(\d+)/m);
    if (m && Number(m[1]) === ppid) out.push(Number(name));
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

export function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = cpuinfo.match(/^model name\s*:\s*(.*)$/m)?.[1]?.trim() ?? cpus()[0]?.model ?? '?';
  const nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
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
