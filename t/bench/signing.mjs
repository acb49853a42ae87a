// t/bench/signing: part-signing requests/s through mod_s3up, beside httpd serving a tiny
// static file and beside Uppy Companion signing the same route for the same bucket, with
// wrk (2 threads, 32 keep-alive connections) on the same machine, in the same run.
// Prints a markdown table (medians of --runs runs) on stdout; details on stderr; the raw
// figures in t/tmp/.../signing.json. Never asserts timings.
//
//   t/bench/signing [--duration 10] [--runs 3] [--connections 32] [--threads 2] [--keep]
//
// Ceph RGW: its own (t/lib/rgw.sh), or the one given by S3UP_TEST_* if set.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  log, main, onCleanup, scratch, startRgw, machine, loadNow, loadRange, run, sleep,
  gitDescribe, startCompanion,
} from './lib.mjs';
import { signingBed, wrk, warmUp, proveUrl, wrkMedians } from './wrk.mjs';

const { values: opt } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    threads: { type: 'string', default: '2' },
    keep: { type: 'boolean', default: false },
  },
});
const DURATION = Number(opt.duration), RUNS = Number(opt.runs);
const C = Number(opt.connections), T = Number(opt.threads);

await main(async () => {
  const m0 = machine();
  log(`machine: ${m0.nproc} cores, ${m0.model}, load ${m0.load}`);
  const dir = scratch('signing');
  if (!opt.keep) onCleanup(() => run('rm', ['-rf', dir]));
  startRgw(dir);

  const bed = await signingBed(dir);
  const { uploadId, modSuffix } = bed;
  const enc = encodeURIComponent;

  // -- Uppy Companion, same bucket and credentials
  const comp = await startCompanion(dir);
  const curl = comp.url;
  let res = await fetch(`${curl}/s3/multipart/${enc(uploadId)}/1${modSuffix}`);
  const csample = await res.json().catch(() => null);
  if (res.status !== 200 || !csample?.url) {
    throw new Error(`companion sign: ${res.status} ${JSON.stringify(csample)}\n${comp.log()}`);
  }
  log(`companion (pid ${comp.pid}) signs: ${csample.url.slice(0, 120)}...`);
  // Both URLs must work: PUT a 5 MiB part through each (S3 checks the signatures; the
  // module's is of the last part, 5 MiB).
  for (const [who, url] of [['module', bed.sample], ['companion', csample.url]]) await proveUrl(who, url);
  log('both signed URLs accepted by S3 (PUT 200)');

  const targets = {
    ...bed.targets,
    companion: { url: `${curl}/`, env: { BENCH_BASE: `/s3/multipart/${enc(uploadId)}/`, BENCH_SUFFIX: modSuffix }, pids: () => [comp.pid] },
  };
  const results = Object.fromEntries(Object.keys(targets).map((k) => [k, []]));
  // Warm-up: every httpd worker and Companion's JIT.
  for (const t of Object.values(targets)) await warmUp(t, C);
  const loads = [];
  for (let i = 1; i <= RUNS; i++) {
    for (const [name, t] of Object.entries(targets)) {
      loads.push(loadNow());
      const r = await wrk(t, { threads: T, connections: C, duration: DURATION });
      results[name].push(r);
      log(`run ${i} ${name}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ` +
        `server CPU ${r.cpuUs.toFixed(0)} µs/request, non-2xx ${r.non2xx}${r.sock ? `, socket errors ${r.sock}` : ''}, ` +
        `RSS ${(r.mem.rssKiB / 1024).toFixed(0)} MiB (PSS ${(r.mem.pssKiB / 1024).toFixed(0)}) in ${r.mem.procs} processes, load ${loadNow()}`);
      if (r.non2xx) log(`WARNING: ${name}: ${r.non2xx} non-2xx answers: its figure is not a signing rate`);
      await sleep(1000);
    }
  }

  const med = Object.fromEntries(Object.entries(results).map(([name, rs]) => [name, wrkMedians(rs)]));
  const m1 = machine();
  const out = {
    date: new Date().toISOString(), commit: gitDescribe(), machine: m1, loadBefore: m0.load,
    loadDuring: loads, command: `t/bench/signing --duration ${DURATION} --runs ${RUNS}`,
    wrk: `wrk -t${T} -c${C} -d${DURATION}s (keep-alive)`, medians: med,
    runs: Object.fromEntries(Object.entries(results).map(([k, rs]) => [k, rs.map(({ raw, ...r }) => r)])),
  };
  writeFileSync(join(dir, 'signing.json'), JSON.stringify(out, null, 2));
  if (opt.keep) log(`details kept in ${dir}`);

  const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : '-');
  const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-');
  const lines = [];
  lines.push(`Machine: ${m1.nproc} cores (${m1.model}), ${m1.memGiB} GiB; ${out.date}; commit ${out.commit}; ` +
    `load average (1/5/15 min) before ${m0.load}, 1-min during ${loadRange(loads)}, after ${m1.load}`);
  lines.push(`Command: \`${out.command}\` — ${out.wrk}, client and servers on the same cores; median of ${RUNS} runs`);
  lines.push('');
  lines.push('| target | req/s | p50 ms | p99 ms | server CPU µs/request | memory under load (RSS sum / PSS) |');
  lines.push('|---|---:|---:|---:|---:|---|');
  const label = {
    static: 'httpd, tiny static file',
    module: 'mod_s3up part signing (Basic auth)',
    staticAuth: 'httpd, the same file behind the same Basic auth',
    companion: 'Uppy Companion 6 part signing',
  };
  for (const k of ['static', 'staticAuth', 'module', 'companion']) {
    const x = med[k];
    lines.push(`| ${label[k]} | ${f0(x.rps)} | ${f2(x.p50)} | ${f2(x.p99)} | ${f0(x.cpuUs)} | ` +
      `${f0(x.rssMiB)} MiB / ${f0(x.pssMiB)} MiB (${x.procs} process${x.procs > 1 ? 'es' : ''}) |`);
  }
  lines.push('');
  lines.push(`module / static = **${f2(med.module.rps / med.static.rps)}** (target ≥ 0.80); ` +
    `module / static behind the same auth = ${f2(med.module.rps / med.staticAuth.rps)}; ` +
    `module / Companion = **${f0(med.module.rps / med.companion.rps)}×** (target ≥ 20×)`);
  const bad = Object.entries(med).filter(([, x]) => x.non2xx).map(([k, x]) => `${k} ${x.non2xx}`);
  if (bad.length) lines.push(`non-2xx answers (those figures are not what they claim): ${bad.join(', ')}`);
  process.stdout.write(`${lines.join('\n')}\n`);
});
