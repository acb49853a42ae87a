#!/usr/bin/env node
// Every arrival is recorded and notified: a file sent in one POST (confirmed
// by the page through api/arrived) and a multipart upload both give the
// audit line, the log variables, and one signed event at a local receiver;
// a receiver that fails once gets the event again; a second confirmation
// announces nothing new; the counters say what was delivered.
const { createHmac } = require('node:crypto');
const http = require('node:http');
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { run, ok, is, like, cleanup, passing, note } = require('../lib/tap.mjs');
const {
  requireBed, scratch, startHttpd, htpasswd, basicAuth, secret, s3tool, bytes, randomId, rmSync,
  STATUS_LOCATION,
} = require('../lib/stack.mjs');

requireBed();
const MiB = 1024 * 1024;
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

run(async () => {
  const dir = scratch('notify');
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); });
  const tag = randomId();
  const user = `nora-${tag}`, ep = `told-${tag}`;
  const pw = htpasswd(dir, { [user]: 'pw' });
  const key = join(dir, 'notify-key');
  writeFileSync(key, `${randomId(24)}\n`, { mode: 0o600 });
  const hmacKey = readFileSync(key, 'utf8').trim();

  // The receiver: checks each signature, fails the first delivery of a
  // multipart upload's event once.
  const deliveries = [];
  let failedOnce = false;
  const receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const sig = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(req.headers['x-s3up-signature'] ?? '');
      const good = sig && createHmac('sha256', hmacKey).update(`${sig[1]}.${body}`).digest('hex') === sig[2];
      const event = JSON.parse(body);
      deliveries.push({ good, event, type: req.headers['content-type'], at: Date.now() });
      if (event.name === 'big.bin' && !failedOnce) {
        failedOnce = true;
        res.writeHead(500).end('not now');
        return;
      }
      res.writeHead(good ? 204 : 401).end();
    });
  });
  await new Promise((resolve) => { receiver.listen(0, '127.0.0.1', resolve); });
  cleanup(() => receiver.close());
  const hook = `http://127.0.0.1:${receiver.address().port}/hooks/s3up?from=test`;

  const httpd = startHttpd(dir, `
S3UpNotifyURL "${hook}"
S3UpNotifySecretFile "${key}"
LogFormat "%{S3UP_USER}e %{S3UP_ENDPOINT}e %{S3UP_KEY}e %{S3UP_BYTES}e" arrivals
CustomLog "${join(dir, 'arrivals.log')}" arrivals env=S3UP_KEY
<Location /upload>
    SetHandler s3up-upload
    ${basicAuth(pw)}
</Location>
${STATUS_LOCATION}
`);
  cleanup(() => httpd.stop());
  s3tool('endpoint', ep, `members=${user}`);

  const auth = { authorization: `Basic ${Buffer.from(`${user}:pw`).toString('base64')}` };
  const api = async (method, path, body) => {
    const res = await fetch(`${httpd.url}/upload/e/${ep}${path}`, {
      method, headers: { ...auth, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: await res.json().catch(() => null) };
  };
  const q = (o) => new URLSearchParams(o).toString();
  const enc = encodeURIComponent;
  const waitFor = async (what, test, ms = 15000) => {
    for (const until = Date.now() + ms; Date.now() < until; await sleep(100)) if (test()) return true;
    return ok(false, `in time: ${what}`);
  };

  // A small file: one POST form, then the page's confirmation.
  let res = await api('GET', `/s3/params?${q({ filename: 'note.txt' })}`);
  const small = res.json.fields.key;
  const form = new FormData();
  for (const [k, v] of Object.entries(res.json.fields)) form.append(k, v);
  form.append('file', new Blob([bytes(1234, 2)]));
  ok((await fetch(res.json.url, { method: 'POST', body: form })).status < 300, 'the POST form is taken by S3');
  res = await api('POST', '/api/arrived', { key: small });
  ok(res.status === 200 && res.json?.size === 1234 && res.json.key === small, 'api/arrived: the file, its size', JSON.stringify(res.json));
  res = await api('POST', '/api/arrived', { key: small });
  is(res.status, 200, 'api/arrived again: the same answer');
  res = await api('POST', '/api/arrived', { key: `uploads/${ep}/never-sent.txt` });
  is(res.status, 404, 'api/arrived for nothing: 404');
  res = await api('POST', '/api/arrived', { key: `uploads/${ep}/../x` });
  is(res.status, 403, 'api/arrived outside the folder: 403');

  // A multipart upload.
  const data = bytes(5 * MiB + 11, 3);
  res = await api('POST', '/s3/multipart', { filename: 'big.bin', size: data.length });
  const up = res.json;
  const parts = [];
  for (let n = 1, off = 0; off < data.length; n++, off += up.partSize) {
    res = await api('GET', `/s3/multipart/${enc(up.uploadId)}/${n}?${q({ key: up.key })}`);
    const put = await fetch(res.json.url, { method: 'PUT', body: data.subarray(off, off + up.partSize) });
    parts.push({ PartNumber: n, ETag: put.headers.get('etag') });
  }
  const t0 = Date.now();
  res = await api('POST', `/s3/multipart/${enc(up.uploadId)}/complete?${q({ key: up.key })}`, { parts });
  is(res.status, 200, 'the multipart upload completed');
  ok(Date.now() - t0 < 3000, 'the completion did not wait for the failing receiver');

  await waitFor('three deliveries', () => deliveries.length >= 3);
  const byName = (name) => deliveries.filter((d) => d.event.name === name);
  ok(deliveries.every((d) => d.good), 'every delivery carries a valid signature');
  ok(deliveries.every((d) => d.type === 'application/json'), 'as JSON');
  is(byName('note.txt').length, 1, 'the small file: one event, though confirmed twice');
  const e = byName('note.txt')[0]?.event ?? {};
  ok(e.type === 's3up.file.arrived' && e.endpoint === ep && e.key === small && e.size === 1234
    && e.uploaded_by?.name === user && e.uploaded_by?.via === 'httpd' && /^[0-9a-f]{32}$/.test(e.id)
    && /^"[0-9a-f]{32}"$/.test(e.etag) && e.bucket === process.env.S3UP_TEST_BUCKET, 'the event says what arrived', JSON.stringify(e));
  const big = byName('big.bin');
  is(big.length, 2, 'the multipart upload: delivered again after the receiver failed once');
  ok(big.length === 2 && big[0].event.id === big[1].event.id && big[1].at - big[0].at >= 400, 'the same event, after a wait', `${big[1]?.at - big[0]?.at} ms`);
  is(big[0]?.event.size, data.length, 'with its size');

  const log = httpd.errorLog();
  ok(log.includes(`upload complete: user=${user} via=httpd endpoint=${ep} key=${small} bytes=1234`), 'the audit line of the small file');
  ok(log.includes(`key=${up.key} bytes=${data.length}`), 'the audit line of the multipart upload');
  const arrivals = readFileSync(join(dir, 'arrivals.log'), 'utf8').trim().split('\n');
  ok(arrivals.includes(`${user} ${ep} ${small} 1234`) && arrivals.includes(`${user} ${ep} ${up.key} ${data.length}`),
    'the log variables of both', arrivals.join(' | '));
  like(log, /notify: attempt 1 of 6 failed: HTTP 500/, 'the failed attempt is logged');

  const s = await (await fetch(`${httpd.url}/status`)).json();
  ok(s.notifications_sent === 2 && s.notifications_failed === 0, 'status: two notifications sent, none failed', JSON.stringify(s));
  note(`httpd log: ${httpd.dir}/error.log`);
});
