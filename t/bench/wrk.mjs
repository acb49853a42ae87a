// Part signing under wrk, for t/bench/signing and t/bench/load: an httpd with a tiny
// static file, the same file behind Basic auth and the module's part-signing route
// (Basic auth), one multipart upload of 10,000 parts to sign for, and wrk runs against
// any of them with the server's CPU time and memory read from /proc.
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startHttpd } from '../lib/stack.mjs';
import {
  top, log, onCleanup, s3tool, htpasswdSha, basic, childrenOf, sampleMemory, cpuSpan, run, median,
} from './lib.mjs';

// wrk's units -> ms
function ms(s) {
  const m = s.match(/^([\d.]+)(us|ms|s|m)$/);
  if (!m) return NaN;
  return Number(m[1]) * { us: 1e-3, ms: 1, s: 1e3, m: 6e4 }[m[2]];
}

// wrk's report -> figures. errors: its socket errors (connect, read, write, timeout).
export function parseWrk(out) {
  const rps = Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1]);
  const p50 = ms(out.match(/^\s+50%\s+(\S+)/m)?.[1] ?? '');
  const p99 = ms(out.match(/^\s+99%\s+(\S+)/m)?.[1] ?? '');
  const total = Number(out.match(/(\d+) requests in/)?.[1]);
  const non2xx = Number(out.match(/Non-2xx or 3xx responses:\s+(\d+)/)?.[1] ?? 0);
  const sock = out.match(/Socket errors: (.*)/)?.[1] ?? '';
  const errors = { connect: 0, read: 0, write: 0, timeout: 0 };
  for (const [, k, n] of sock.matchAll(/(connect|read|write|timeout) (\d+)/g)) errors[k] = Number(n);
  const errorsTotal = Object.values(errors).reduce((a, b) => a + b, 0);
  return { rps, p50, p99, total, non2xx, sock, errors, errorsTotal };
}

// One wrk run against target ({url, env, pids}): wrk -tT -cC -dD with t/bench/sign.lua.
export async function wrk(target, { threads = 2, connections = 32, duration = 10, timeout } = {}) {
  const stopSampling = sampleMemory(target.pids);
  const cpu = cpuSpan(() => ({ server: target.pids() }));
  const args = [`-t${threads}`, `-c${connections}`, `-d${duration}s`, '--latency'];
  if (timeout) args.push('--timeout', `${timeout}s`);
  const r = await run('wrk', [...args, '-s', join(top, 't/bench/sign.lua'), target.url],
    { env: { ...process.env, ...target.env } });
  const used = cpu();
  const mem = stopSampling();
  if (r.code !== 0) throw new Error(`wrk failed (${r.code}): ${r.stderr}${r.stdout}`);
  const w = parseWrk(r.stdout);
  // The server's CPU time per answer (µs): its own cost, whatever the client's share.
  return { ...w, mem, cpuUs: (used.server * 1e6) / w.total, raw: r.stdout };
}

// The medians of several wrk() runs of one target; non2xx is their sum.
export function wrkMedians(rs) {
  const med = (f) => median(rs.map(f));
  return {
    rps: med((r) => r.rps),
    p50: med((r) => r.p50),
    p99: med((r) => r.p99),
    errors: med((r) => r.errorsTotal),
    rssMiB: med((r) => r.mem.rssKiB / 1024),
    pssMiB: med((r) => r.mem.pssKiB / 1024),
    procs: med((r) => r.mem.procs),
    cpuUs: med((r) => r.cpuUs),
    non2xx: rs.reduce((a, r) => a + r.non2xx, 0),
  };
}

// A warm-up run (every httpd worker started, caches filled), its figures dropped.
export async function warmUp(target, connections) {
  await run('wrk', ['-t1', `-c${connections}`, '-d2s', '-s', join(top, 't/bench/sign.lua'), target.url],
    { env: { ...process.env, ...target.env } });
}

// The lines of a <Location> that lets in the users of pwfile (Basic auth).
export const basicConf = (pwfile) => `
    AuthType Basic
    AuthName "bench"
    AuthBasicProvider file
    AuthUserFile "${pwfile}"
    Require valid-user`;

// An httpd in dir (extraConf added to its configuration) with the three targets, and the
// upload the module signs parts of (declared as 9,999 parts of 64 MiB and one of 5 MiB,
// so that every part number wrk asks for is valid). Returns {httpd, pids, auth, key,
// uploadId, endpoint, targets: {static, staticAuth, module}, sample (a signed URL),
// modSuffix}. The password file is dir/htpasswd.
export async function signingBed(dir, extraConf = '') {
  const user = `bench-${randomBytes(3).toString('hex')}`;
  const pw = randomBytes(9).toString('base64url');
  const pwfile = htpasswdSha(dir, user, pw);
  mkdirSync(join(dir, 'httpd', 'htdocs', 'auth'), { recursive: true });
  const tiny = 'tiny static file for t/bench/signing\n';
  writeFileSync(join(dir, 'httpd', 'htdocs', 'tiny.txt'), tiny);
  writeFileSync(join(dir, 'httpd', 'htdocs', 'auth', 'tiny.txt'), tiny);
  const authConf = basicConf(pwfile);
  // The static file at httpd's best: mmap()ing a tiny file and unmapping it on every
  // request costs more than reading it (on this VM 7.7k req/s against 19k without).
  const httpd = startHttpd(dir, `
EnableMMAP Off
<Location /auth>${authConf}
</Location>
<Location /upload>
    SetHandler s3up-upload${authConf}
</Location>
${extraConf}
`);
  onCleanup(() => httpd.stop());
  const pid = Number(readFileSync(join(httpd.dir, 'httpd.pid'), 'utf8'));
  const pids = () => [pid, ...childrenOf(pid)];
  log(`httpd ${httpd.url} (pid ${pid})`);

  const eid = `bench-sign-${randomBytes(3).toString('hex')}`;
  s3tool('endpoint', eid, `members=${user}`);
  onCleanup(() => s3tool('wipe', `uploads/${eid}/`));
  const auth = basic(user, pw);
  let res = await fetch(`${httpd.url}/upload/s3/multipart`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: JSON.stringify({ filename: 'bench.bin', type: 'application/octet-stream', metadata: { size: 9999 * 64 * 2 ** 20 + 5 * 2 ** 20 } }),
  });
  const created = await res.json();
  if (res.status !== 200) throw new Error(`create multipart: ${res.status} ${JSON.stringify(created)}`);
  const { key, uploadId } = created;
  log(`multipart upload ${uploadId} for ${key}`);
  const enc = encodeURIComponent;
  const modPath = `/upload/s3/multipart/${enc(uploadId)}/`;
  const modSuffix = `?key=${enc(key)}`;
  onCleanup(() => fetch(`${httpd.url}${modPath.slice(0, -1)}${modSuffix}`, { method: 'DELETE', headers: { authorization: auth } }));
  res = await fetch(`${httpd.url}${modPath}10000${modSuffix}`, { headers: { authorization: auth } });
  const sample = await res.json();
  if (res.status !== 200 || !sample.url) throw new Error(`module sign: ${res.status} ${JSON.stringify(sample)}`);
  log(`module signs: ${sample.url.slice(0, 120)}...`);
  const targets = {
    static: { url: `${httpd.url}/tiny.txt`, env: { BENCH_BASE: '/tiny.txt?n=', BENCH_SUFFIX: '' }, pids },
    staticAuth: { url: `${httpd.url}/auth/tiny.txt`, env: { BENCH_BASE: '/auth/tiny.txt?n=', BENCH_SUFFIX: '', BENCH_AUTH: auth }, pids },
    module: { url: `${httpd.url}/`, env: { BENCH_BASE: modPath, BENCH_SUFFIX: modSuffix, BENCH_AUTH: auth }, pids },
  };
  return { httpd, pids, auth, key, uploadId, endpoint: eid, targets, sample: sample.url, modSuffix };
}

// PUT a 5 MiB part to a signed URL: S3 must accept the signature.
export async function proveUrl(who, url) {
  const put = await fetch(url, { method: 'PUT', body: Buffer.alloc(5 << 20, 7) });
  await put.arrayBuffer();
  if (put.status !== 200) throw new Error(`${who}'s URL: PUT -> ${put.status}`);
}
