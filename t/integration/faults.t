#!/usr/bin/env node
// S3 misbehaving, as t/lib/faultproxy.py plays it between httpd and Ceph
// RGW (the module's S3UpEndpoint is the proxy): 503 SlowDown, connections
// reset after the request went out, answers cut in half, slow answers.
// What may be repeated is retried within bounds and the caller never sees
// the fault; a fault that lasts answers 503 StoreUnavailable with
// Retry-After. And `apachectl graceful` while parts stream through httpd:
// every part arrives, the upload completes whole.
const { spawn } = require('node:child_process');
const { existsSync, readFileSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');
const { run, ok, is, like, note, cleanup, passing } = require('../lib/tap.mjs');
const {
  top, requireBed, scratch, startHttpd, htpasswd, basicAuth, secret, s3tool, bytes, sha256,
  randomId, rmSync,
} = require('../lib/stack.mjs');

requireBed();
const MiB = 1024 * 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

run(async () => {
  const dir = scratch('faults');
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); });
  const pdir = join(dir, 'proxy');
  mkdirSync(pdir);
  const proxy = spawn('/usr/bin/python3', [join(top, 't/lib/faultproxy.py'), process.env.S3UP_TEST_ENDPOINT, pdir],
    { stdio: 'inherit' });
  cleanup(() => proxy.kill());
  for (let i = 0; i < 100 && !existsSync(join(pdir, 'port')); i++) await sleep(50);
  const proxyUrl = `http://127.0.0.1:${readFileSync(join(pdir, 'port'), 'utf8')}`;
  const fault = async (method, body) => (await fetch(`${proxyUrl}/__fault__`, {
    method, body: body ? JSON.stringify(body) : undefined,
  })).json();

  const tag = randomId();
  const user = `fay-${tag}`, ep = `faults-${tag}`;
  const pw = htpasswd(dir, { [user]: 'pw' });
  const httpd = startHttpd(dir, `
S3UpSecretFile "${secret(dir)}"
LogLevel warn s3up:info
<Location /upload>
    SetHandler s3up-upload
    ${basicAuth(pw)}
</Location>
<Location /proxy>
    SetHandler s3up-upload
    S3UpUploadMode proxy
    S3UpPartSize 5M
    ${basicAuth(pw)}
</Location>
`, { S3UP_TEST_ENDPOINT: proxyUrl });
  cleanup(() => httpd.stop());
  s3tool('endpoint', ep, `members=${user}`);

  const auth = { authorization: `Basic ${Buffer.from(`${user}:pw`).toString('base64')}` };
  const api = async (loc, method, path, body) => {
    const res = await fetch(`${httpd.url}/${loc}/e/${ep}${path}`, {
      method, headers: { ...auth, origin: httpd.url, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), json: await res.json().catch(() => null) };
  };
  const enc = encodeURIComponent;

  // -- 503 SlowDown twice on CreateMultipartUpload: retried
  await fault('POST', { fault: 'slowdown', count: 2, method: 'POST', path: '\\?uploads' });
  let res = await api('upload', 'POST', '/s3/multipart', { filename: 'a.bin', size: 6 * MiB });
  is(res.status, 200, 'SlowDown twice on create: the caller sees a started upload');
  const { key, uploadId, partSize } = res.json;
  let state = await fault('GET');
  is(state.injected.slowdown, 2, '... after two SlowDowns');
  like(httpd.errorLog(), /CreateMultipartUpload failed \(SlowDown, attempt 1 of 4\), retrying in \d+ ms/,
    '... each retry logged with its wait');

  // -- ListParts: a reset connection, then an answer cut in half
  const q = `?key=${enc(key)}`;
  await fault('POST', { fault: 'reset', method: 'GET', path: 'uploadId=' });
  res = await api('upload', 'GET', `/s3/multipart/${enc(uploadId)}${q}`);
  is(res.status, 200, 'a connection reset after ListParts went out: retried');
  await fault('POST', { fault: 'truncate', method: 'GET', path: 'uploadId=' });
  res = await api('upload', 'GET', `/s3/multipart/${enc(uploadId)}${q}`);
  is(res.status, 200, 'an answer cut in half: retried');
  ok(Array.isArray(res.json), '... and read whole');
  await fault('POST', { fault: 'delay', seconds: 2, method: 'GET', path: 'uploadId=' });
  const t0 = Date.now();
  res = await api('upload', 'GET', `/s3/multipart/${enc(uploadId)}${q}`);
  ok(res.status === 200 && Date.now() - t0 >= 1900, 'a slow answer (2 s) is waited for');

  // -- SlowDown that lasts: 503 StoreUnavailable with Retry-After
  await fault('POST', { fault: 'slowdown', count: 20, method: 'GET', path: 'uploadId=' });
  res = await api('upload', 'GET', `/s3/multipart/${enc(uploadId)}${q}`);
  is(res.status, 503, 'SlowDown on every attempt: 503');
  is(res.json?.error?.code, 'StoreUnavailable', '... StoreUnavailable');
  ok(Number(res.retryAfter) > 0, `... with Retry-After (${res.retryAfter} s)`);
  state = await fault('DELETE');
  note(`faults injected: ${JSON.stringify(state.injected)}`);

  // -- the upload still completes whole
  const data = bytes(6 * MiB, 3);
  const parts = [];
  for (let n = 1, off = 0; off < data.length; n++, off += partSize) {
    res = await api('upload', 'GET', `/s3/multipart/${enc(uploadId)}/${n}${q}`);
    const put = await fetch(res.json.url, { method: 'PUT', body: data.subarray(off, off + partSize) });
    parts.push({ PartNumber: n, ETag: put.headers.get('etag') });
  }
  res = await api('upload', 'POST', `/s3/multipart/${enc(uploadId)}/complete${q}`, { parts });
  is(res.status, 200, 'after all that the upload completes');
  is(s3tool('sha256', key), sha256(data), '... with the right bytes');

  // -- apachectl graceful while parts stream through httpd (proxy mode):
  // S3 takes 3 s for each part, the restart comes in the middle.
  const big = bytes(4 * 5 * MiB, 7);
  res = await api('proxy', 'POST', '/s3/multipart', { filename: 'graceful.bin', size: big.length });
  is(res.status, 200, 'proxy mode: an upload of 4 parts');
  const up = res.json;
  is(up.partSize, 5 * MiB, '... of 5 MiB (S3UpPartSize 5M)');
  const urls = [];
  for (let n = 1; n <= 4; n++) {
    res = await api('proxy', 'GET', `/s3/multipart/${enc(up.uploadId)}/${n}?key=${enc(up.key)}`);
    urls.push(res.json.url.replace(/^https?:\/\/[^/]+/, httpd.url));
  }
  await fault('POST', { fault: 'delay', seconds: 3, count: 4, method: 'PUT', path: 'partNumber=' });
  const puts = urls.map((u, i) => fetch(u, { method: 'PUT', headers: auth, body: big.subarray(i * 5 * MiB, (i + 1) * 5 * MiB) }));
  await sleep(1000);
  httpd.graceful();
  note('apachectl graceful sent while 4 parts were on their way to S3');
  const answers = await Promise.all(puts);
  is(answers.map((a) => a.status).join(','), '200,200,200,200', 'every part in flight arrived');
  res = await api('proxy', 'POST', `/s3/multipart/${enc(up.uploadId)}/complete?key=${enc(up.key)}`,
    { parts: answers.map((a, i) => ({ PartNumber: i + 1, ETag: a.headers.get('etag') })) });
  is(res.status, 200, 'the upload completes after the restart');
  is(s3tool('sha256', up.key), sha256(big), '... whole');
  ok(!/child pid \d+ exit signal/.test(httpd.errorLog()), 'no httpd process crashed');
});
