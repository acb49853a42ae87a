#!/usr/bin/env node
// Proxy mode (S3UpUploadMode proxy): part URLs point at httpd, which
// streams each part on to S3 UploadPart. The part URL lies below the
// location, so httpd's authentication applies as to every route; the token
// in it binds the URL to one part of one upload, for its lifetime; sizes
// are enforced before a byte goes on.
// CommonJS, as node runs *.t files; the ES modules of t/lib load with require().
const { execFileSync } = require('node:child_process');
const http = require('node:http');
const net = require('node:net');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { run, ok, is, like, cleanup, passing } = require('../lib/tap.mjs');
const {
  requireBed, scratch, startHttpd, htpasswd, basicAuth, s3tool, bytes, sha256, randomId, rmSync,
} = require('../lib/stack.mjs');

requireBed();
const MiB = 1024 * 1024;
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

run(async () => {
  const dir = scratch('proxy_api');
  // Registered first, so it runs last: after every server is stopped.
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); });
  const tag = randomId();
  const user = `pat-${tag}`, ep = `prox-${tag}`, small = `tiny-${tag}`;
  const pw = htpasswd(dir, { [user]: 'pw' });
  const secret = join(dir, 'secret');
  writeFileSync(secret, randomId(24), { mode: 0o600 });
  const httpd = startHttpd(dir, `
S3UpSecretFile "${secret}"
<Location /upload>
    SetHandler s3up-upload
    S3UpUploadMode proxy
    ${basicAuth(pw)}
</Location>
`);
  cleanup(() => httpd.stop());
  s3tool('endpoint', ep, `members=${user}`);
  s3tool('endpoint', small, `members=${user}`, `max_file_size=${6 * MiB}`);

  const auth = { authorization: `Basic ${Buffer.from(`${user}:pw`).toString('base64')}` };
  const api = async (method, path, body) => {
    const res = await fetch(`${httpd.url}/upload${path}`, {
      method, headers: { ...auth, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: await res.json().catch(() => null) };
  };
  const q = (o) => new URLSearchParams(o).toString();
  const enc = encodeURIComponent;

  let res = await api('GET', `/e/${ep}/api/session`);
  is(res.json?.mode, 'proxy', 'the session says proxy');
  res = await api('POST', `/e/${ep}/s3/multipart`, { filename: 'through httpd.bin' });
  const { key, uploadId } = res.json ?? {};
  ok(res.status === 200 && key, 'create');
  const data = bytes(12 * MiB + 5, 31);
  const parts = [];
  for (let n = 1, off = 0; off < data.length; n++, off += 5 * MiB) {
    res = await api('GET', `/e/${ep}/s3/multipart/${enc(uploadId)}/${n}?${q({ key })}`);
    if (n === 1) {
      ok(res.json?.url?.startsWith(`${httpd.url}/upload/e/${ep}/s3/multipart/`) && !res.json.url.includes('X-Amz-Signature'),
        'a part URL of this server, no S3 signature in it', res.json?.url);
    }
    const put = await fetch(res.json.url, { method: 'PUT', headers: auth, body: data.subarray(off, off + 5 * MiB) });
    parts.push({ PartNumber: n, ETag: put.headers.get('etag') });
    if (n === 1) ok(put.status === 200 && /^"[0-9a-f]{32}"$/.test(put.headers.get('etag')), "the PUT answers with S3's ETag");
  }
  res = await api('POST', `/e/${ep}/s3/multipart/${enc(uploadId)}/complete?${q({ key })}`, { parts });
  is(res.status, 200, 'complete');
  is(s3tool('sha256', key), sha256(data), 'the bytes went through httpd unchanged (sha256)');

  // The token is the permission: for this upload, this part, this key.
  res = await api('POST', `/e/${ep}/s3/multipart`, { filename: 'other.bin' });
  const o = res.json;
  res = await api('GET', `/e/${ep}/s3/multipart/${enc(o.uploadId)}/1?${q({ key: o.key })}`);
  const url = new URL(res.json.url);
  let r = await fetch(url, { method: 'PUT', body: bytes(10) });
  is(r.status, 401, "httpd's authentication applies to part URLs too");
  r = await fetch(url, { method: 'PUT', headers: auth, body: bytes(10) });
  is(r.status, 200, 'the signed part URL works');
  const tamper = async (name, change) => {
    const u = new URL(url);
    change(u);
    const t = await fetch(u, { method: 'PUT', headers: auth, body: bytes(10) });
    is(t.status, 403, `${name}: 403`);
  };
  await tamper('another part number', (u) => { u.pathname = u.pathname.replace(/\/1\/data$/, '/2/data'); });
  await tamper('another key', (u) => { u.searchParams.set('key', `uploads/${ep}/elsewhere.bin`); });
  await tamper('a changed token', (u) => { u.searchParams.set('t', u.searchParams.get('t').replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))); });
  await tamper('no token', (u) => { u.searchParams.delete('t'); });
  const chunked = execFileSync('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-u', `${user}:pw`, '-X', 'PUT', '-H', 'Transfer-Encoding: chunked', '--data-binary', 'abc', url.href], { encoding: 'utf8' });
  is(chunked, '411', 'a part without Content-Length: 411');
  // A body that ends before its Content-Length (the client's fault, unlike S3 going away
  // mid-part, which is 503: uploader_restart.t): 400.
  const cut = await new Promise((resolve) => {
    const sock = net.connect(Number(url.port), url.hostname, () => {
      sock.write(`PUT ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: ${auth.authorization}\r\nContent-Length: 10\r\n\r\n12345`);
      sock.end();
    });
    let text = '';
    sock.on('data', (d) => { text += d; });
    sock.on('close', () => resolve(text));
    sock.on('error', () => resolve(text));
  });
  like(cut, /^HTTP\/1\.1 400 [^]*"BadRequest"[^]*cut off after 5 of 10 bytes/, 'a part whose body ends early: 400 BadRequest, cut off', cut.split('\r\n')[0]);
  await api('DELETE', `/e/${ep}/s3/multipart/${enc(o.uploadId)}?${q({ key: o.key })}`);

  // One part URL PUT many times at once: at most 2 × S3UpPartsInFlight (here 4) of an
  // upload's parts are passed on to S3 at the same time; the rest wait their turn (429).
  res = await api('POST', `/e/${ep}/s3/multipart`, { filename: 'flood.bin' });
  const f = res.json;
  res = await api('GET', `/e/${ep}/s3/multipart/${enc(f.uploadId)}/1?${q({ key: f.key })}`);
  const target = new URL(res.json.url);
  const held = [];
  const answers = Array.from({ length: 12 }, () => new Promise((resolve, reject) => {
    const req = http.request({
      method: 'PUT', host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`,
      headers: { ...auth, 'content-length': '10' },
    }, (answer) => { answer.resume(); answer.on('end', () => resolve(answer.statusCode)); });
    req.on('error', reject);
    req.write('12345'); // half the body: the request holds its place while the rest waits
    held.push(req);
  }));
  await sleep(1500);
  for (const req of held) req.end('67890');
  const statuses = (await Promise.all(answers)).sort();
  is(statuses, [...Array(8).fill(200), ...Array(4).fill(429)], '12 PUTs of one part at once: 8 pass, 4 get 429');
  await api('DELETE', `/e/${ep}/s3/multipart/${enc(f.uploadId)}?${q({ key: f.key })}`);

  // A part that arrives in small pieces with pauses: each read goes on to S3 as it comes
  // (every read of the request shares one brigade), and the bytes arrive whole.
  const partRequest = (u, size) => {
    let resolveAnswer, rejectAnswer;
    const answer = new Promise((resolve, reject) => { resolveAnswer = resolve; rejectAnswer = reject; });
    const req = http.request({
      method: 'PUT', host: u.hostname, port: u.port, path: `${u.pathname}${u.search}`,
      headers: { ...auth, 'content-length': String(size) },
    }, (a) => {
      const chunks = [];
      a.on('data', (d) => chunks.push(d));
      a.on('end', () => resolveAnswer({ status: a.statusCode, etag: a.headers.etag, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', rejectAnswer);
    return { req, answer };
  };
  res = await api('POST', `/e/${ep}/s3/multipart`, { filename: 'trickle.bin' });
  const tr = res.json;
  res = await api('GET', `/e/${ep}/s3/multipart/${enc(tr.uploadId)}/1?${q({ key: tr.key })}`);
  const trickleUrl = new URL(res.json.url);
  const trickle = bytes(MiB + 3, 7);
  const slow = partRequest(trickleUrl, trickle.length);
  for (let off = 0, i = 0; off < trickle.length; off += 4096, i++) {
    slow.req.write(trickle.subarray(off, off + 4096));
    if (i % 32 === 0) await sleep(5);
  }
  slow.req.end();
  const slowAnswer = await slow.answer;
  ok(slowAnswer.status === 200 && /^"[0-9a-f]{32}"$/.test(slowAnswer.etag ?? ''), 'a part sent in 257 pieces with pauses: 200 and an ETag', slowAnswer);
  res = await api('POST', `/e/${ep}/s3/multipart/${enc(tr.uploadId)}/complete?${q({ key: tr.key })}`,
    { parts: [{ PartNumber: 1, ETag: slowAnswer.etag }] });
  is(res.status, 200, 'complete the trickled upload');
  is(s3tool('sha256', tr.key), sha256(trickle), 'the trickled part arrived whole (sha256)');

  // A part cut off half-way: nothing reaches the upload, and the part can be sent again.
  res = await api('POST', `/e/${ep}/s3/multipart`, { filename: 'cut.bin' });
  const half = res.json;
  res = await api('GET', `/e/${ep}/s3/multipart/${enc(half.uploadId)}/1?${q({ key: half.key })}`);
  const cutUrl = new URL(res.json.url);
  const whole = bytes(MiB, 8);
  const broken = partRequest(cutUrl, whole.length);
  broken.answer.catch(() => {});
  broken.req.write(whole.subarray(0, 200 * 1024));
  await sleep(500);
  broken.req.destroy();
  await sleep(500);
  res = await api('GET', `/e/${ep}/s3/multipart/${enc(half.uploadId)}?${q({ key: half.key })}`);
  is(res.json, [], 'a part cut off half-way: no part in the upload');
  const again = await fetch(cutUrl, { method: 'PUT', headers: auth, body: whole });
  is(again.status, 200, 'the same part sent again whole: 200');
  await api('DELETE', `/e/${ep}/s3/multipart/${enc(half.uploadId)}?${q({ key: half.key })}`);

  // Sizes are enforced by httpd before a byte goes on.
  res = await api('POST', `/e/${small}/s3/multipart`, { filename: 'big.bin' });
  const b = res.json;
  res = await api('GET', `/e/${small}/s3/multipart/${enc(b.uploadId)}/1?${q({ key: b.key })}`);
  r = await fetch(res.json.url, { method: 'PUT', headers: auth, body: bytes(6 * MiB + 1, 2) });
  const refusal = await r.json().catch(() => null);
  ok(r.status === 413 && refusal?.error?.code === 'TooLarge', 'a part over the endpoint limit: 413 before anything reaches S3');
  await api('DELETE', `/e/${small}/s3/multipart/${enc(b.uploadId)}?${q({ key: b.key })}`);

  res = await api('GET', `/e/${ep}/s3/params?${q({ filename: 'small.txt' })}`);
  is(res.status, 409, 'no direct-to-S3 form upload in proxy mode');
  ok(!/X-Amz-Signature|Authorization: AWS4/.test(httpd.errorLog()), 'no signatures in the log');
});
