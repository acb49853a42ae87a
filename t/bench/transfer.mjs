// t/bench/transfer: one big file (1 GiB by default) moved into the same Ceph RGW bucket
// three ways, without a browser: through httpd in proxy mode, straight to S3 with presigned
// URLs (the ceiling), and through a tus server with an S3 store. Then, with --rss-gib N,
// httpd's memory while N GiB go through it in proxy mode.
//
//   t/bench/transfer [--runs 3] [--size-mib 1024] [--parallel 4]
//                    [--variants direct,proxy,direct1,proxy1,tus] [--rss-gib 0] [--part-mib N]
//                    [--pin] [--keep]
//
// Variants, each a median of --runs runs, interleaved (direct, proxy, direct1, ...); every
// one creates the upload, sends the file in the server's part size and completes it:
//   direct   t/bench/ceiling.mjs on a direct-mode location: one /batch sign, curl PUTting
//            the parts --parallel at a time straight to S3 with the presigned URLs.
//   proxy    the same client on a proxy-mode location (S3UpUploadMode proxy) of the same
//            httpd: the part URLs are httpd's, which streams each part on to S3 UploadPart.
//   direct1, proxy1   the same, one part at a time (single stream).
//   tus      t/bench/tus.mjs: @tus/server with @tus/s3-store (its own node process), the
//            file sent by tus-js-client in PATCH requests of the part size, one at a time
//            (tus sends one upload's chunks one after another; the S3 store takes no
//            concatenation). The store writes each part to a file under TMPDIR first.
// Every object's sha256 is checked (s3tool); the endpoint's objects and unfinished uploads
// are removed after each run and RGW's garbage collection is run.
//
// --rss-gib N: then N GiB through the proxy location, in uploads of --size-mib (parts
// --parallel at a time), each removed (and gc run) after it; httpd's memory (RSS summed
// over its processes, and PSS, from /proc) before the first and after each, with the peak
// sampled during each. --runs 0 skips the comparison.
//
// --part-mib N: S3UpPartSize for both locations (and the tus store's part size), instead of
// the module's default.
//
// Run with MALLOC_ARENA_MAX=N to see httpd's memory with fewer glibc arenas (httpd, and
// the other processes started here, inherit it).
//
// --pin: the servers (httpd, the tus server, radosgw, ceph-osd, ceph-mon) on CPU 0, the
// clients (curl, tus-js-client, this script) on CPU 1, as if on two machines. Needs an RGW
// of its own.
import { spawn, execFileSync } from 'node:child_process';
import { createReadStream, mkdirSync, readFileSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes, createHash } from 'node:crypto';
import { startHttpd, secret } from '../lib/stack.mjs';
import {
  top, log, main, onCleanup, scratch, startRgw, rgwGc, s3tool, htpasswdSha, basic, median,
  machine, loadNow, loadRange, run, sleep, gitDescribe, cpuSpan, rgwPids, childrenOf, memoryOf,
  sampleMemory, waitForHttp, pin,
} from './lib.mjs';

const { values: opt } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'size-mib': { type: 'string', default: '1024' },
    parallel: { type: 'string', default: '4' },
    variants: { type: 'string', default: 'direct,proxy,direct1,proxy1,tus' },
    'rss-gib': { type: 'string', default: '0' },
    'part-mib': { type: 'string', default: '' },
    keep: { type: 'boolean', default: false },
    pin: { type: 'boolean', default: false },
  },
});
const RUNS = Number(opt.runs);
const SIZE = Number(opt['size-mib']) * 1024 * 1024;
const PARALLEL = Number(opt.parallel);
const VARIANTS = opt.variants.split(',').filter(Boolean);
const RSS_GIB = Number(opt['rss-gib']);
const MiB = 1024 * 1024, GiB = 1024 * MiB;

const sh = (cmd, args, o = {}) => execFileSync(cmd, args, { encoding: 'utf8', ...o }).trim();

function sha256File(file) {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file, { highWaterMark: 4 * MiB }).on('data', (d) => h.update(d))
      .on('end', () => resolve(h.digest('hex'))).on('error', reject);
  });
}

await main(async () => {
  const m0 = machine();
  log(`machine: ${m0.nproc} cores, ${m0.model}, load ${m0.load}`);
  const dir = scratch('transfer');
  if (!opt.keep) onCleanup(() => run('rm', ['-rf', dir]));
  if (opt.pin) {
    if (m0.nproc < 2) throw new Error('--pin needs 2 CPUs');
    if (process.env.S3UP_TEST_ENDPOINT) throw new Error('--pin moves the RGW\'s daemons: unset S3UP_TEST_* to let it start its own');
    pin(1, [process.pid]);
  }
  startRgw(dir);
  if (opt.pin) pin(0, rgwPids());

  const user = `bench-${randomBytes(3).toString('hex')}`;
  const pw = randomBytes(9).toString('base64url');
  const pwfile = htpasswdSha(dir, user, pw);
  const eid = `bench-tr-${randomBytes(3).toString('hex')}`;
  const prefix = `uploads/${eid}/`;
  s3tool('endpoint', eid, `members=${user}`);
  onCleanup(() => s3tool('wipe', prefix));

  const auth = `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
  const location = (path, mode) => `
<Location ${path}>
    SetHandler s3up-upload
    S3UpUploadMode ${mode}
    ${opt['part-mib'] ? `S3UpPartSize ${opt['part-mib']}M` : ''}
    AuthType Basic
    AuthName "bench"
    AuthBasicProvider file
    AuthUserFile "${pwfile}"
    Require valid-user
</Location>`;
  const hdir = join(dir, 'h');
  mkdirSync(hdir, { recursive: true });
  const httpd = startHttpd(hdir, `S3UpSecretFile "${secret(hdir)}"
${location('/upload', 'direct')}
${location('/proxy', 'proxy')}
`);
  onCleanup(() => httpd.stop());
  const httpdPid = Number(readFileSync(join(httpd.dir, 'httpd.pid'), 'utf8'));
  const httpdPids = () => [httpdPid, ...childrenOf(httpdPid)];
  // New httpd children are forked from the parent: they keep its CPU.
  if (opt.pin) pin(0, httpdPids());

  const session = await (await fetch(`${httpd.url}/proxy/api/session`, { headers: { authorization: basic(user, pw) } })).json();
  if (!session.part_size || session.mode !== 'proxy') throw new Error(`session: ${JSON.stringify(session)}`);
  const partSize = session.part_size;
  log(`session: part size ${partSize / MiB} MiB, parts in flight ${session.parts_in_flight}`);

  // The tus server, its staging folder in the scratch folder (on disk, as /tmp would be).
  let tus = null;
  if (VARIANTS.includes('tus')) {
    const tusPort = sh(join(top, 't/lib/freeport'), []);
    const tmp = join(dir, 'tus-tmp');
    mkdirSync(tmp, { recursive: true });
    const proc = spawn(process.execPath, [join(top, 't/bench/tus.mjs'), 'serve'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, TUS_PORT: tusPort, TUS_PREFIX: `${prefix}tus-`, TUS_PART_SIZE: String(partSize), TMPDIR: tmp },
    });
    onCleanup(() => new Promise((resolve) => {
      if (proc.exitCode !== null) { resolve(); return; }
      proc.once('exit', resolve);
      proc.kill('SIGTERM');
    }));
    tus = { url: `http://127.0.0.1:${tusPort}/files`, pid: proc.pid };
    await waitForHttp(tus.url);
    if (opt.pin) pin(0, [proc.pid]);
    const version = JSON.parse(readFileSync(join(top, 'node_modules/@tus/server/package.json'), 'utf8')).version;
    const sv = JSON.parse(readFileSync(join(top, 'node_modules/@tus/s3-store/package.json'), 'utf8')).version;
    tus.version = `@tus/server ${version}, @tus/s3-store ${sv}`;
    log(`tus: ${tus.version} at ${tus.url}`);
  }

  log(`writing a ${SIZE / MiB} MiB test file...`);
  const file = join(dir, 'file.bin');
  sh('sh', ['-c', `head -c ${SIZE} /dev/urandom > '${file}'`]);
  const fileSha = await sha256File(file);
  const pdir = join(dir, 'parts');
  mkdirSync(pdir, { recursive: true });
  sh('split', ['-b', String(partSize), '--numeric-suffixes=1', '-a', '5', file, join(pdir, 'p')]);
  chmodSync(dir, 0o755);

  const cpuGroups = () => ({ httpd: httpdPids(), tus: tus ? [tus.pid] : [], store: rgwPids() });
  const ceiling = async (path, parallel) => {
    const out = await run(process.execPath, [join(top, 't/bench/ceiling.mjs'), `${httpd.url}${path}`,
      auth, String(SIZE), String(partSize), pdir, String(parallel)]);
    if (out.code !== 0) throw new Error(`ceiling.mjs ${path}: ${out.stderr}${out.stdout}`);
    return JSON.parse(out.stdout);
  };
  const send = {
    direct: () => ceiling('/upload', PARALLEL),
    proxy: () => ceiling('/proxy', PARALLEL),
    direct1: () => ceiling('/upload', 1),
    proxy1: () => ceiling('/proxy', 1),
    tus: async () => {
      const out = await run(process.execPath, [join(top, 't/bench/tus.mjs'), 'upload', tus.url, file, String(partSize)]);
      if (out.code !== 0) throw new Error(`tus upload: ${out.stderr}${out.stdout}`);
      return JSON.parse(out.stdout);
    },
  };
  const clean = () => {
    s3tool('wipe', prefix);
    const left = s3tool('uploads', prefix);
    if (left.length) log(`WARNING: unfinished uploads left: ${JSON.stringify(left)}`);
    rgwGc();
  };

  const loads = [];
  const runs = Object.fromEntries(VARIANTS.map((v) => [v, []]));
  for (let i = 1; i <= RUNS; i++) {
    for (const v of VARIANTS) {
      if (!send[v]) throw new Error(`unknown variant ${v}`);
      loads.push(loadNow());
      const cpu = cpuSpan(cpuGroups);
      const r = await send[v]();
      r.cpu = cpu();
      const got = s3tool('sha256', r.key);
      r.shaOk = got === fileSha;
      r.mibps = SIZE / MiB / r.seconds;
      runs[v].push(r);
      const c = r.cpu;
      log(`run ${i} ${v}: ${r.mibps.toFixed(1)} MiB/s (${r.seconds.toFixed(2)} s) sha256 ${r.shaOk ? 'ok' : `WRONG (${got})`};` +
        ` CPU s: httpd ${c.httpd.toFixed(1)}, tus ${c.tus.toFixed(1)}, store ${c.store.toFixed(1)},` +
        ` clients ${(c.busy - c.httpd - c.tus - c.store).toFixed(1)}, machine busy ${(100 * c.busyShare).toFixed(0)} %; load ${loadNow()}`);
      if (!r.shaOk) throw new Error(`${v}: ${r.key} does not hold the file that was sent`);
      clean();
    }
  }

  // httpd's memory through RSS_GIB GiB of proxied uploads.
  const rss = [];
  if (RSS_GIB > 0) {
    const uploads = Math.ceil(RSS_GIB * GiB / SIZE);
    // Let the children settle after the comparison's last upload.
    await sleep(2000);
    rss.push({ gib: 0, ...memoryOf(httpdPids()), peak: null });
    log(`httpd before: RSS ${(rss[0].rssKiB / 1024).toFixed(1)} MiB, PSS ${(rss[0].pssKiB / 1024).toFixed(1)} MiB, ${rss[0].procs} processes`);
    for (let i = 1; i <= uploads; i++) {
      loads.push(loadNow());
      const stop = sampleMemory(httpdPids, 200);
      const r = await send.proxy();
      const peak = stop();
      const got = s3tool('sha256', r.key);
      if (got !== fileSha) throw new Error(`rss upload ${i}: ${r.key} does not hold the file that was sent`);
      clean();
      const m = { gib: (i * SIZE) / GiB, ...memoryOf(httpdPids()), peak, mibps: SIZE / MiB / r.seconds };
      rss.push(m);
      log(`httpd after ${m.gib.toFixed(1)} GiB: RSS ${(m.rssKiB / 1024).toFixed(1)} MiB, PSS ${(m.pssKiB / 1024).toFixed(1)} MiB,` +
        ` ${m.procs} processes (peak during: RSS ${(peak.rssKiB / 1024).toFixed(1)}, PSS ${(peak.pssKiB / 1024).toFixed(1)});` +
        ` ${m.mibps.toFixed(1)} MiB/s, sha256 ok; load ${loadNow()}`);
    }
  }

  // -- summary
  const m1 = machine();
  const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
  const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-');
  const gib = SIZE / GiB;
  const label = {
    direct: `curl straight to S3, presigned, ${PARALLEL} parts at a time`,
    proxy: `mod_s3up proxy mode (curl through httpd), ${PARALLEL} parts at a time`,
    direct1: 'curl straight to S3, presigned, one part at a time (single stream)',
    proxy1: 'mod_s3up proxy mode, one part at a time (single stream)',
    tus: `tus: tus-js-client → ${tus?.version ?? '@tus/server + @tus/s3-store'}, one PATCH at a time`,
  };
  const summary = {};
  for (const v of VARIANTS) {
    const xs = runs[v].map((r) => r.mibps);
    const perGiB = (f) => median(runs[v].map((r) => f(r.cpu) / gib));
    summary[v] = {
      mibps: median(xs), all: xs,
      httpd: perGiB((c) => c.httpd), tus: perGiB((c) => c.tus), store: perGiB((c) => c.store),
      clients: perGiB((c) => c.busy - c.httpd - c.tus - c.store),
      busyShare: median(runs[v].map((r) => r.cpu.busyShare)),
    };
  }
  const base1 = summary.direct1?.mibps;
  const table = VARIANTS.map((v) => {
    const s = summary[v];
    const front = v === 'tus' ? `tus ${f1(s.tus)}` : `httpd ${f1(s.httpd)}`;
    return `| ${label[v]} | ${f1(s.mibps)} | ${f2(s.mibps / base1)} | ${s.all.map(f1).join(', ')} | ` +
      `${front} | ${f1(s.store)} | ${f1(s.clients)} | ${(100 * s.busyShare).toFixed(0)} % |`;
  });
  const ratio = (a, b) => (summary[a] && summary[b] ? f2(summary[a].mibps / summary[b].mibps) : '-');
  const out = {
    date: new Date().toISOString(), commit: gitDescribe(), machine: m1, loadBefore: m0.load, loads,
    command: `t/bench/transfer --runs ${RUNS} --size-mib ${SIZE / MiB} --parallel ${PARALLEL}` +
      `${RSS_GIB ? ` --rss-gib ${RSS_GIB}` : ''}${opt['part-mib'] ? ` --part-mib ${opt['part-mib']}` : ''}${opt.pin ? ' --pin' : ''}`,
    partSizeMiB: partSize / MiB, runs, summary, rss,
  };
  writeFileSync(join(dir, 'transfer.json'), JSON.stringify(out, null, 2));
  if (opt.keep) log(`details kept in ${dir}`);
  const lines = [
    `Machine: ${m1.nproc} cores (${m1.model}), ${m1.memGiB} GiB; ${out.date}; commit ${out.commit}; ` +
      `load average (1/5/15 min) before ${m0.load}, 1-min during ${loadRange(loads)}, after ${m1.load}; Ceph RGW 16 on the same machine`,
    `Command: \`${out.command}\` — ${SIZE / MiB} MiB file in ${partSize / MiB} MiB parts, every object's sha256 checked` +
      (RUNS ? `; median of ${RUNS} run${RUNS > 1 ? 's' : ''}, interleaved` : ''),
    ...(opt.pin ? ['Pinned: httpd, the tus server, radosgw, ceph-osd and ceph-mon on CPU 0; curl, tus-js-client and the benchmark on CPU 1'] : []),
    // httpd inherits the environment: glibc's arenas change what RSS shows (README.md).
    ...(process.env.MALLOC_ARENA_MAX ? [`Environment: MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX}`] : []),
  ];
  if (RUNS && VARIANTS.length) {
    lines.push('',
      '| way | MiB/s | × direct single stream | runs (MiB/s) | front server CPU s/GiB | store CPU s/GiB | rest CPU s/GiB | machine busy |',
      '|---|---:|---:|---|---:|---:|---:|---:|',
      ...table,
      '',
      `proxy / direct (${PARALLEL} at a time) = ${ratio('proxy', 'direct')}; proxy single stream / direct single stream = ${ratio('proxy1', 'direct1')};` +
        ` proxy / tus = ${ratio('proxy', 'tus')}; proxy single stream / tus = ${ratio('proxy1', 'tus')}`,
      'CPU: seconds per GiB sent, from /proc while each upload ran; front server = httpd (all its processes) or the tus server\'s node;',
      'store = radosgw + ceph-osd + ceph-mon; rest = the rest of the machine: the client (curl or tus-js-client), this script, and any other job running beside it; machine busy = share of both cores in use.');
  }
  if (rss.length) {
    lines.push('',
      `httpd's memory through ${f1(rss.at(-1).gib)} GiB of proxied uploads (${SIZE / MiB} MiB each, ${PARALLEL} parts at a time, each deleted after):`,
      '',
      '| GiB through httpd | RSS sum MiB | PSS MiB | processes | peak during (RSS / PSS MiB) | MiB/s |',
      '|---:|---:|---:|---:|---|---:|',
      ...rss.map((m) => `| ${f2(m.gib)} | ${f1(m.rssKiB / 1024)} | ${f1(m.pssKiB / 1024)} | ${m.procs} | ` +
        `${m.peak ? `${f1(m.peak.rssKiB / 1024)} / ${f1(m.peak.pssKiB / 1024)}` : '-'} | ${m.mibps ? f1(m.mibps) : '-'} |`));
  }
  process.stdout.write(`${lines.join('\n')}\n`);
});
