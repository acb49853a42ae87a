// t/bench/soak: does httpd with the module keep its memory and descriptors flat over a
// long run? For --minutes (60), round after round: wrk signs parts for --sign-seconds (20)
// at 32 keep-alive connections, then one upload of --upload-mib (64) straight to S3
// (presigned part URLs) and one through httpd (proxy mode), each checked by sha256 and
// deleted, and a listing of the endpoint's files through the admin API. Every minute the
// httpd processes' RSS (sum, and the largest), PSS and open descriptors are read from
// /proc. Prints a markdown table (every --every minutes) and the change from the first
// sampled quarter to the last on stdout; details on stderr. Never asserts. --rest-seconds
// (0) pauses between rounds, to leave the machine to other work.
//
//   t/bench/soak [--minutes 60] [--every 5] [--upload-mib 64] [--sign-seconds 20]
//                [--rest-seconds 0] [--keep]
//
// httpd runs with MaxConnectionsPerChild 0 and spare-thread limits wide enough that no
// process is stopped or started during the run: its processes live through all of it,
// so what one of them keeps shows up.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createHash, randomBytes } from 'node:crypto';
import {
  log, main, onCleanup, scratch, startRgw, s3tool, machine, loadNow, run, sleep, gitDescribe, rgwGc,
} from './lib.mjs';
import { signingBed, wrk, basicConf } from './wrk.mjs';

const { values: opt } = parseArgs({
  options: {
    minutes: { type: 'string', default: '60' },
    every: { type: 'string', default: '5' },
    'upload-mib': { type: 'string', default: '64' },
    'sign-seconds': { type: 'string', default: '20' },
    'rest-seconds': { type: 'string', default: '0' },
    keep: { type: 'boolean', default: false },
  },
});
const MINUTES = Number(opt.minutes), EVERY = Number(opt.every);
const UPLOAD = Number(opt['upload-mib']) * 2 ** 20, SIGN_S = Number(opt['sign-seconds']);
const REST_S = Number(opt['rest-seconds']);

// Fixed processes: 4 of 25 threads from the start, never fewer, never more.
const MPM = `
StartServers 4
ServerLimit 4
ThreadsPerChild 25
MaxRequestWorkers 100
MinSpareThreads 25
MaxSpareThreads 100
MaxConnectionsPerChild 0
`;

function fdsOf(pid) {
  try { return readdirSync(`/proc/${pid}/fd`).length; } catch { return 0; }
}
function kib(pid, file, field) {
  try {
    return Number(readFileSync(`/proc/${pid}/${file}`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))?.[1] ?? 0);
  } catch { return 0; }
}

// One sample of the httpd processes.
function sample(pids, t0, counts) {
  const ps = pids();
  const rss = ps.map((p) => kib(p, 'status', 'VmRSS'));
  return {
    minute: (Date.now() - t0) / 60000,
    procs: ps.length,
    rssMiB: rss.reduce((a, b) => a + b, 0) / 1024,
    maxRssMiB: Math.max(...rss) / 1024,
    pssMiB: ps.map((p) => kib(p, 'smaps_rollup', 'Pss')).reduce((a, b) => a + b, 0) / 1024,
    fds: ps.map(fdsOf).reduce((a, b) => a + b, 0),
    pidList: ps.join(' '),
    load: loadNow(),
    ...counts,
  };
}

await main(async () => {
  const m0 = machine();
  log(`machine: ${m0.nproc} cores, ${m0.model}, load ${m0.load}`);
  const dir = scratch('soak');
  if (!opt.keep) onCleanup(() => run('rm', ['-rf', dir]));
  startRgw(dir);
  writeFileSync(join(dir, 'secret'), randomBytes(32).toString('hex'), { mode: 0o644 });
  const bed = await signingBed(dir, `${MPM}
S3UpSecretFile "${join(dir, 'secret')}"
<Location /proxy>
    SetHandler s3up-upload
    S3UpUploadMode proxy${basicConf(join(dir, 'htpasswd'))}
</Location>
<Location /admin>
    SetHandler s3up-admin${basicConf(join(dir, 'htpasswd'))}
</Location>
`);
  const { httpd, auth, pids } = bed;
  const data = randomBytes(UPLOAD);
  const want = createHash('sha256').update(data).digest('hex');
  const q = (o) => new URLSearchParams(o).toString();
  const api = async (base, method, path, body) => {
    const headers = { authorization: auth, origin: httpd.url };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${httpd.url}${base}${path}`, { method, headers, body: body && JSON.stringify(body) });
    const json = await res.json().catch(() => null);
    if (!res.ok) throw new Error(`${method} ${base}${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  // One upload through the portal's API: parts 4 at a time to the URLs it signs.
  const upload = async (base) => {
    const created = await api(base, 'POST', '/s3/multipart',
      { filename: `soak-${base.slice(1)}.bin`, type: 'application/octet-stream', metadata: { size: data.length } });
    const { key, uploadId, partSize } = created;
    const count = Math.ceil(data.length / partSize);
    const numbers = Array.from({ length: count }, (_, i) => i + 1);
    const { presignedUrls } = await api(base, 'GET',
      `/s3/multipart/${encodeURIComponent(uploadId)}/batch?${q({ key, partNumbers: numbers.join(',') })}`);
    const parts = [];
    const next = numbers.slice();
    await Promise.all(Array.from({ length: 4 }, async () => {
      for (let n = next.shift(); n; n = next.shift()) {
        const body = data.subarray((n - 1) * partSize, n * partSize);
        const headers = base === '/proxy' ? { authorization: auth } : {};
        const res = await fetch(presignedUrls[n], { method: 'PUT', headers, body });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${base} part ${n}: ${res.status}`);
        parts.push({ PartNumber: n, ETag: res.headers.get('etag') });
      }
    }));
    parts.sort((a, b) => a.PartNumber - b.PartNumber);
    await api(base, 'POST', `/s3/multipart/${encodeURIComponent(uploadId)}/complete?${q({ key })}`, { parts });
    const got = s3tool('sha256', key).trim();
    if (got !== want) throw new Error(`${base}: ${key} has sha256 ${got}, sent ${want}`);
    return key;
  };

  const t0 = Date.now();
  const counts = { signed: 0, uploads: 0, listings: 0, wrkErrors: 0 };
  const samples = [sample(pids, t0, counts)];
  let nextSample = t0 + 60000;
  log(`start: ${JSON.stringify(samples[0])}`);
  while (Date.now() - t0 < MINUTES * 60000) {
    const w = await wrk(bed.targets.module, { connections: 32, duration: SIGN_S });
    counts.signed += w.total;
    counts.wrkErrors += w.errorsTotal + w.non2xx;
    for (const base of ['/upload', '/proxy']) {
      const key = await upload(base);
      counts.uploads++;
      await api('/admin', 'GET', `/api/endpoints/${bed.endpoint}/files`);
      counts.listings++;
      s3tool('wipe', key);
    }
    if (Date.now() >= nextSample) {
      const s = sample(pids, t0, { ...counts });
      samples.push(s);
      log(`minute ${s.minute.toFixed(1)}: RSS ${s.rssMiB.toFixed(1)} MiB (largest ${s.maxRssMiB.toFixed(1)}), ` +
        `PSS ${s.pssMiB.toFixed(1)}, ${s.fds} fds, ${s.procs} processes, ${counts.signed} signed, ` +
        `${counts.uploads} uploads, load ${s.load}`);
      nextSample += 60000;
      rgwGc();
    }
    await sleep(REST_S * 1000);
  }
  if (Date.now() - t0 - samples.at(-1).minute * 60000 > 10000) samples.push(sample(pids, t0, { ...counts }));
  const m1 = machine();
  writeFileSync(join(dir, 'soak.json'), JSON.stringify({ date: new Date().toISOString(), commit: gitDescribe(), samples }, null, 2));
  if (opt.keep) log(`details kept in ${dir}`);

  const f1 = (x) => x.toFixed(1);
  const lines = [];
  lines.push(`Machine: ${m1.nproc} cores (${m1.model}), ${m1.memGiB} GiB; ${new Date().toISOString()}; commit ${gitDescribe()}; ` +
    `load before ${m0.load}, after ${m1.load}`);
  lines.push(`Command: \`t/bench/soak --minutes ${MINUTES} --upload-mib ${opt['upload-mib']} --sign-seconds ${SIGN_S} ` +
    `--rest-seconds ${REST_S}\``);
  lines.push('');
  lines.push('| minute | signed | uploads | httpd RSS sum MiB | largest process MiB | PSS MiB | open fds | processes |');
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---|');
  const shown = samples.filter((s, i) => i === 0 || i === samples.length - 1 || Math.round(s.minute) % EVERY === 0);
  for (const s of shown) {
    lines.push(`| ${f1(s.minute)} | ${s.signed} | ${s.uploads} | ${f1(s.rssMiB)} | ${f1(s.maxRssMiB)} | ` +
      `${f1(s.pssMiB)} | ${s.fds} | ${s.procs} |`);
  }
  // The first quarter against the last: mean of each (after the first minute's warm-up).
  const warm = samples.filter((s) => s.minute >= 1);
  const quarter = Math.max(1, Math.floor(warm.length / 4));
  const mean = (xs, f) => xs.reduce((a, s) => a + f(s), 0) / xs.length;
  const first = warm.slice(0, quarter), last = warm.slice(-quarter);
  const same = new Set(samples.map((s) => s.pidList)).size === 1;
  lines.push('');
  lines.push(`First quarter → last quarter (means): RSS sum ${f1(mean(first, (s) => s.rssMiB))} → ` +
    `${f1(mean(last, (s) => s.rssMiB))} MiB; largest process ${f1(mean(first, (s) => s.maxRssMiB))} → ` +
    `${f1(mean(last, (s) => s.maxRssMiB))} MiB; open fds ${f1(mean(first, (s) => s.fds))} → ${f1(mean(last, (s) => s.fds))}. ` +
    `${same ? 'The same httpd processes throughout.' : 'httpd processes changed during the run.'} ` +
    `wrk errors and non-2xx: ${counts.wrkErrors}.`);
  process.stdout.write(`${lines.join('\n')}\n`);
});
