// t/bench/load: part signing beside httpd's tiny static file at many keep-alive
// connections (32, 256, 1,024 by default), under two settings of the event MPM: Debian's
// as shipped (mods-available/mpm_event.conf) and the fan-in settings docs/operations.md
// gives. Rate, p50/p99 and wrk's connection errors, interleaved, medians of --runs.
// Prints a markdown table on stdout; details on stderr. Never asserts timings.
//
//   t/bench/load [--connections 32,256,1024] [--duration 10] [--runs 3] [--keep]
//
// Ceph RGW: its own (t/lib/rgw.sh), or the one given by S3UP_TEST_* if set.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  log, main, onCleanup, scratch, startRgw, machine, loadNow, loadRange, run, sleep, gitDescribe,
} from './lib.mjs';
import { signingBed, wrk, warmUp, proveUrl, wrkMedians } from './wrk.mjs';

const { values: opt } = parseArgs({
  options: {
    connections: { type: 'string', default: '32,256,1024' },
    duration: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
  },
});
const CONNS = opt.connections.split(',').map(Number);
const DURATION = Number(opt.duration), RUNS = Number(opt.runs);

// Debian 12's /etc/apache2/mods-available/mpm_event.conf, as shipped.
const DEBIAN = `
StartServers 2
MinSpareThreads 25
MaxSpareThreads 75
ThreadLimit 64
ThreadsPerChild 25
MaxRequestWorkers 150
MaxConnectionsPerChild 0
`;
// docs/operations.md, "Many connections at once": keep this text and that one the same.
const FANIN = `
ServerLimit 16
StartServers 16
ThreadLimit 64
ThreadsPerChild 64
MaxRequestWorkers 1024
MinSpareThreads 128
MaxSpareThreads 1024
AsyncRequestWorkerFactor 4
ListenBacklog 4096
MaxKeepAliveRequests 1000
`;

await main(async () => {
  const m0 = machine();
  log(`machine: ${m0.nproc} cores, ${m0.model}, load ${m0.load}`);
  const dir = scratch('load');
  if (!opt.keep) onCleanup(() => run('rm', ['-rf', dir]));
  startRgw(dir);
  const beds = {};
  for (const [name, conf] of [['debian', DEBIAN], ['fanin', FANIN]]) {
    mkdirSync(join(dir, name));
    beds[name] = await signingBed(join(dir, name), conf);
    await proveUrl(name, beds[name].sample);
  }
  const results = {};
  const loads = [];
  for (const c of CONNS) {
    for (const bed of Object.values(beds)) {
      for (const t of ['static', 'module']) await warmUp(bed.targets[t], Math.min(c, 256));
    }
    for (let i = 1; i <= RUNS; i++) {
      for (const [name, bed] of Object.entries(beds)) {
        for (const t of ['static', 'module']) {
          loads.push(loadNow());
          const r = await wrk(bed.targets[t], { threads: 2, connections: c, duration: DURATION, timeout: 5 });
          (results[`${c}/${name}/${t}`] ??= []).push(r);
          log(`c=${c} ${name} ${t} run ${i}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ` +
            `errors ${r.errorsTotal} (${r.sock || 'none'}), non-2xx ${r.non2xx}, ` +
            `RSS ${(r.mem.rssKiB / 1024).toFixed(0)} MiB in ${r.mem.procs} processes, load ${loadNow()}`);
          await sleep(1000);
        }
      }
    }
  }
  const med = Object.fromEntries(Object.entries(results).map(([k, rs]) => [k, wrkMedians(rs)]));
  const m1 = machine();
  const out = {
    date: new Date().toISOString(), commit: gitDescribe(), machine: m1, loadBefore: m0.load, loadDuring: loads,
    command: `t/bench/load --connections ${CONNS.join(',')} --duration ${DURATION} --runs ${RUNS}`,
    medians: med,
    runs: Object.fromEntries(Object.entries(results).map(([k, rs]) => [k, rs.map(({ raw, ...r }) => r)])),
  };
  writeFileSync(join(dir, 'load.json'), JSON.stringify(out, null, 2));
  if (opt.keep) log(`details kept in ${dir}`);

  const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : '-');
  const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-');
  const lines = [];
  lines.push(`Machine: ${m1.nproc} cores (${m1.model}), ${m1.memGiB} GiB; ${out.date}; commit ${out.commit}; ` +
    `load average (1/5/15 min) before ${m0.load}, 1-min during ${loadRange(loads)}, after ${m1.load}`);
  lines.push(`Command: \`${out.command}\` — wrk -t2 -cC -d${DURATION}s --timeout 5s (keep-alive), client and servers ` +
    `on the same cores; median of ${RUNS} runs`);
  lines.push('');
  lines.push('| connections | event MPM | static req/s | module req/s | module / static | p50 ms static / module | ' +
    'p99 ms static / module | module p99 / static | connection errors static / module | httpd processes |');
  lines.push('|---:|---|---:|---:|---:|---|---|---:|---|---|');
  for (const c of CONNS) {
    for (const name of Object.keys(beds)) {
      const s = med[`${c}/${name}/static`], m = med[`${c}/${name}/module`];
      lines.push(`| ${c} | ${name === 'debian' ? "Debian's" : 'fan-in'} | ${f0(s.rps)} | ${f0(m.rps)} | ` +
        `**${f2(m.rps / s.rps)}** | ${f2(s.p50)} / ${f2(m.p50)} | ${f2(s.p99)} / ${f2(m.p99)} | ` +
        `${f2(m.p99 / s.p99)} | ${f0(s.errors)} / ${f0(m.errors)} | ${s.procs} / ${m.procs} |`);
    }
  }
  lines.push('');
  lines.push('Targets: module / static ≥ 0.80, module p99 ≤ 2× static\'s, connection errors no more than static\'s.');
  const bad = Object.entries(med).filter(([, x]) => x.non2xx).map(([k, x]) => `${k} ${x.non2xx}`);
  if (bad.length) lines.push(`non-2xx answers (those figures are not what they claim): ${bad.join(', ')}`);
  process.stdout.write(`${lines.join('\n')}\n`);
});
