// t/bench/api: the module's control routes beside what they are measured against, in one
// run, interleaved, medians of --runs runs:
//  1. listing the 10,000 files of one endpoint folder: the admin file list
//     (GET <admin>/api/endpoints/{id}/files, every page through its `next` cursor) against
//     `aws s3api list-objects-v2` paging the same prefix of the same RGW;
//  2. an upload's control round trip: create (POST /s3/multipart), sign part 1, PUT a tiny
//     part to S3, complete; through the module and through Uppy Companion 6, same bucket.
// Prints a markdown table on stdout; details on stderr; the raw figures in
// t/tmp/.../api.json. Never asserts timings.
//
//   t/bench/api [--runs 3] [--files 10000] [--limit 100] [--trips 100] [--keep]
//
// Ceph RGW: its own (t/lib/rgw.sh), or the one given by S3UP_TEST_* if set.
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { startHttpd, s3Requests, STATUS_LOCATION } from '../lib/stack.mjs';
import {
  log, main, onCleanup, scratch, startRgw, s3tool, htpasswdSha, basic, median,
  childrenOf, cpuSpan, machine, loadNow, loadRange, run, sleep, gitDescribe, startCompanion,
} from './lib.mjs';

const { values: opt } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    files: { type: 'string', default: '10000' },
    limit: { type: 'string', default: '100' },
    trips: { type: 'string', default: '100' },
    keep: { type: 'boolean', default: false },
  },
});
const RUNS = Number(opt.runs), FILES = Number(opt.files), LIMIT = Number(opt.limit);
const TRIPS = Number(opt.trips);
const PART = 1024; // bytes of the one tiny part of each round trip
const enc = encodeURIComponent;

function percentile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] : NaN;
}

async function json(res, what) {
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(`${what}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

// Every page of the admin file list, as the admin page asks for them (sorted by name,
// `limit` a page): the time, the pages and the files seen.
async function adminList(base, auth) {
  const t0 = performance.now();
  let cursor = null, pages = 0, files = 0, described = 0;
  do {
    const q = `limit=${LIMIT}${cursor ? `&cursor=${enc(cursor)}` : ''}`;
    const page = await json(await fetch(`${base}?${q}`, { headers: { authorization: auth } }), 'admin list');
    pages++;
    files += page.files.length;
    described += page.files.filter((f) => f.uploaded_by).length;
    cursor = page.next;
  } while (cursor);
  return { ms: performance.now() - t0, pages, files, described };
}

// `aws s3api list-objects-v2` over the prefix, every page (the CLI's own pagination, 1,000
// keys a page), its JSON output read whole.
async function cliList(prefix) {
  const t0 = performance.now();
  const r = await run('aws', ['s3api', 'list-objects-v2', '--endpoint-url', process.env.S3UP_TEST_ENDPOINT,
    '--bucket', process.env.S3UP_TEST_BUCKET, '--prefix', prefix, '--output', 'json'], {
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: process.env.S3UP_TEST_ACCESS_KEY,
      AWS_SECRET_ACCESS_KEY: process.env.S3UP_TEST_SECRET_KEY,
      AWS_DEFAULT_REGION: process.env.S3UP_TEST_REGION || 'us-east-1',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_PAGER: '',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
  });
  const ms = performance.now() - t0;
  if (r.code !== 0) throw new Error(`aws s3api list-objects-v2: ${r.code} ${r.stderr}`);
  return { ms, files: JSON.parse(r.stdout).Contents.length };
}

// One upload's control round trip against base (the module's upload location or
// Companion): create, sign part 1, PUT it, complete. ms per step and in all.
async function roundTrip(base, headers, name) {
  const t = [performance.now()];
  const h = { ...headers, 'content-type': 'application/json' };
  const made = await json(await fetch(`${base}/s3/multipart`, {
    method: 'POST', headers: h,
    body: JSON.stringify({ filename: name, type: 'application/octet-stream', metadata: { size: PART } }),
  }), 'create');
  t.push(performance.now());
  const path = `${base}/s3/multipart/${enc(made.uploadId)}`, key = `?key=${enc(made.key)}`;
  const signed = await json(await fetch(`${path}/1${key}`, { headers }), 'sign');
  t.push(performance.now());
  const put = await fetch(signed.url, { method: 'PUT', body: Buffer.alloc(PART, 7) });
  await put.arrayBuffer();
  if (put.status !== 200) throw new Error(`PUT part: ${put.status}`);
  t.push(performance.now());
  const done = await json(await fetch(`${path}/complete${key}`, {
    method: 'POST', headers: h, body: JSON.stringify({ parts: [{ PartNumber: 1, ETag: put.headers.get('etag') }] }),
  }), 'complete');
  t.push(performance.now());
  if (!done.location) throw new Error(`complete: no location in ${JSON.stringify(done)}`);
  const step = (i) => t[i + 1] - t[i];
  return { key: made.key, ms: t[4] - t[0], create: step(0), sign: step(1), put: step(2), complete: step(3) };
}

// S3 requests by operation between two s3Requests(), per `per`: "ListObjectsV2 1, ...".
function perOp(before, after, per) {
  return Object.keys(after).filter((op) => after[op] - (before[op] ?? 0) > 0)
    .map((op) => `${op} ${Number(((after[op] - (before[op] ?? 0)) / per).toFixed(2))}`).join(', ');
}

async function trips(base, headers, tag, pidsFn) {
  const cpu = cpuSpan(() => ({ server: pidsFn() }));
  const t0 = performance.now();
  const rs = [];
  for (let i = 0; i < TRIPS; i++) rs.push(await roundTrip(base, headers, `${tag}-${i}.bin`));
  const wall = performance.now() - t0;
  const used = cpu();
  const ms = rs.map((r) => r.ms);
  return {
    perSec: (TRIPS * 1000) / wall,
    p50: percentile(ms, 0.5),
    p99: percentile(ms, 0.99),
    steps: Object.fromEntries(['create', 'sign', 'put', 'complete'].map((k) => [k, median(rs.map((r) => r[k]))])),
    cpuMs: (used.server * 1000) / TRIPS,
    keys: rs.map((r) => r.key),
  };
}

await main(async () => {
  const m0 = machine();
  log(`machine: ${m0.nproc} cores, ${m0.model}, load ${m0.load}`);
  const dir = scratch('api');
  if (!opt.keep) onCleanup(() => run('rm', ['-rf', dir]));
  const rgw = startRgw(dir);

  // -- httpd: the admin location and the upload location, both Basic auth
  const user = `bench-${randomBytes(3).toString('hex')}`;
  const pw = randomBytes(9).toString('base64url');
  const pwfile = htpasswdSha(dir, user, pw);
  const authConf = `AuthType Basic
    AuthName "bench"
    AuthBasicProvider file
    AuthUserFile "${pwfile}"
    Require valid-user`;
  const httpd = startHttpd(dir, `
<Location /admin>
    SetHandler s3up-admin
    ${authConf}
</Location>
<Location /upload>
    SetHandler s3up-upload
    ${authConf}
</Location>
${STATUS_LOCATION}
`);
  onCleanup(() => httpd.stop());
  const httpdPid = Number(readFileSync(join(httpd.dir, 'httpd.pid'), 'utf8'));
  const httpdPids = () => [httpdPid, ...childrenOf(httpdPid)];
  const auth = basic(user, pw);
  log(`httpd ${httpd.url} (pid ${httpdPid})`);

  // -- the folder to list: FILES small objects with the metadata the module writes
  const tag = randomBytes(3).toString('hex');
  const listEp = `bench-list-${tag}`, tripEp = `bench-trip-${tag}`;
  const prefix = `uploads/${listEp}/`;
  s3tool('endpoint', listEp); // no members: the round trips' user has one endpoint
  s3tool('endpoint', tripEp, `members=${user}`);
  if (rgw.reused) {
    onCleanup(() => s3tool('wipe', prefix));
    onCleanup(() => s3tool('wipe', `uploads/${tripEp}/`));
  }
  let t0 = performance.now();
  s3tool('fill', `${prefix}file-`, String(FILES), `uploaded-by=${user}`, 'original-name=file-{i}.bin');
  log(`${FILES} objects PUT under ${prefix} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const comp = await startCompanion(dir);
  log(`companion ${comp.url} (pid ${comp.pid})`);
  const companionKeys = [];
  if (rgw.reused) onCleanup(() => { for (let i = 0; i < companionKeys.length; i += 500) s3tool('delete', ...companionKeys.slice(i, i + 500)); });

  const listUrl = `${httpd.url}/admin/api/endpoints/${enc(listEp)}/files`;
  const counted = async (fn, per) => {
    const before = await s3Requests(`${httpd.url}/status`);
    const r = await fn();
    r.s3 = perOp(before, await s3Requests(`${httpd.url}/status`), per(r));
    return r;
  };
  const targets = {
    admin: () => counted(() => adminList(listUrl, auth), () => 1),
    cli: () => cliList(prefix),
    module: (i) => counted(() => trips(`${httpd.url}/upload`, { authorization: auth }, `m${i}`, httpdPids), () => TRIPS),
    companion: (i) => trips(comp.url, {}, `bench-api-${tag}-c${i}`, () => [comp.pid]),
  };
  // Warm-up: each once (httpd's workers and connections, Companion's JIT, the CLI's files
  // in the page cache); the listings must see every file.
  for (const [name, fn] of Object.entries(targets)) {
    t0 = performance.now();
    const r = await fn('w');
    if (r.keys && name === 'companion') companionKeys.push(...r.keys);
    if (r.files !== undefined && r.files !== FILES) throw new Error(`${name} listed ${r.files} files, not ${FILES}`);
    log(`warm-up ${name}: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  }
  const results = Object.fromEntries(Object.keys(targets).map((k) => [k, []]));
  const loads = [];
  for (let i = 1; i <= RUNS; i++) {
    for (const [name, fn] of Object.entries(targets)) {
      loads.push(loadNow());
      const r = await fn(i);
      if (name === 'companion') companionKeys.push(...r.keys);
      delete r.keys;
      results[name].push(r);
      if (r.files !== undefined) {
        log(`run ${i} ${name}: ${r.files} files in ${r.ms.toFixed(0)} ms` +
          `${r.pages ? ` (${r.pages} pages, ${r.described} with uploaded_by; the module's S3 requests: ${r.s3})` : ''}, load ${loadNow()}`);
      } else {
        log(`run ${i} ${name}: ${r.perSec.toFixed(1)} round trips/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ` +
          `steps ${Object.entries(r.steps).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')} ms, ` +
          `server CPU ${r.cpuMs.toFixed(2)} ms/trip${r.s3 ? `, the module's S3 requests per trip: ${r.s3}` : ''}, load ${loadNow()}`);
      }
      await sleep(500);
    }
  }

  const med = {
    admin: { ms: median(results.admin.map((r) => r.ms)), pages: results.admin[0].pages },
    cli: { ms: median(results.cli.map((r) => r.ms)) },
  };
  for (const k of ['module', 'companion']) {
    const rs = results[k];
    med[k] = {
      perSec: median(rs.map((r) => r.perSec)), p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)),
      cpuMs: median(rs.map((r) => r.cpuMs)),
      steps: Object.fromEntries(['create', 'sign', 'put', 'complete'].map((s) => [s, median(rs.map((r) => r.steps[s]))])),
    };
  }
  const m1 = machine();
  const command = `t/bench/api --runs ${RUNS} --files ${FILES} --limit ${LIMIT} --trips ${TRIPS}`;
  const out = {
    date: new Date().toISOString(), commit: gitDescribe(), machine: m1, loadBefore: m0.load,
    loadDuring: loads, command, medians: med, runs: results,
  };
  writeFileSync(join(dir, 'api.json'), JSON.stringify(out, null, 2));
  if (opt.keep) log(`details kept in ${dir}`);

  const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : '-');
  const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
  const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-');
  const runsOf = (k, f) => results[k].map(f).join(', ');
  const lines = [];
  lines.push(`Machine: ${m1.nproc} cores (${m1.model}), ${m1.memGiB} GiB; ${out.date}; commit ${out.commit}; ` +
    `load average (1/5/15 min) before ${m0.load}, 1-min during ${loadRange(loads)}, after ${m1.load}`);
  lines.push(`Command: \`${command}\` — client and servers on the same cores; median of ${RUNS} runs, interleaved`);
  lines.push('');
  lines.push(`| listing ${FILES} files of one folder | ms | runs (ms) | × CLI |`);
  lines.push('|---|---:|---|---:|');
  lines.push(`| admin file list, ${med.admin.pages} pages of ${LIMIT} (\`next\` cursor) | ${f0(med.admin.ms)} | ` +
    `${runsOf('admin', (r) => f0(r.ms))} | **${f2(med.admin.ms / med.cli.ms)}** |`);
  lines.push(`| \`aws s3api list-objects-v2\` (all pages) | ${f0(med.cli.ms)} | ${runsOf('cli', (r) => f0(r.ms))} | 1 |`);
  lines.push('');
  lines.push(`Target: admin list ≤ 1.5× the CLI. The module's S3 requests for one whole listing: ${results.admin.at(-1).s3}.`);
  lines.push('');
  lines.push(`| upload round trip (create, sign, PUT ${PART} B, complete), one at a time, ${TRIPS} per run | trips/s | p50 ms | p99 ms | create / sign / PUT / complete ms (p50) | server CPU ms/trip |`);
  lines.push('|---|---:|---:|---:|---|---:|');
  for (const [k, label] of [['module', 'mod_s3up (Basic auth)'], ['companion', 'Uppy Companion 6']]) {
    const x = med[k];
    lines.push(`| ${label} | ${f1(x.perSec)} | ${f1(x.p50)} | ${f1(x.p99)} | ` +
      `${['create', 'sign', 'put', 'complete'].map((s) => f1(x.steps[s])).join(' / ')} | ${f2(x.cpuMs)} |`);
  }
  lines.push('');
  lines.push(`module / Companion: **${f2(med.module.perSec / med.companion.perSec)}×** the round trips/s ` +
    `(p50: the module's ${f2(med.module.p50 / med.companion.p50)}× Companion's). The module's S3 requests per round trip: ${results.module.at(-1).s3}.`);
  process.stdout.write(`${lines.join('\n')}\n`);
});
