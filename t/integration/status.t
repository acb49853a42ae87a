#!/usr/bin/env node
// s3up-status: the server's counters as JSON and as Prometheus text (read
// by the Prometheus client library's parser), shared by all of httpd's
// processes, moving as uploads start, complete, fail and are aborted.
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');
const { run, ok, is, cleanup, passing, note } = require('../lib/tap.mjs');
const {
  top, requireBed, scratch, startHttpd, htpasswd, basicAuth, s3tool, bytes, randomId, rmSync,
  STATUS_LOCATION,
} = require('../lib/stack.mjs');

requireBed();
const MiB = 1024 * 1024;

run(async () => {
  const dir = scratch('status');
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); });
  const tag = randomId();
  const user = `stan-${tag}`, ep = `count-${tag}`;
  const pw = htpasswd(dir, { [user]: 'pw' });
  const httpd = startHttpd(dir, `
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
  const status = async () => (await fetch(`${httpd.url}/status`)).json();
  const prometheus = async () => {
    const res = await fetch(`${httpd.url}/status?format=prometheus`);
    is(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8', 'Prometheus text format 0.0.4');
    const parsed = JSON.parse(execFileSync('/usr/bin/python3', [join(top, 't/lib/promparse.py')], { input: await res.text() }));
    return (name, labels = {}) => parsed.find((s) => s.name === name
      && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
  };

  let s = await status();
  ok(s.uploads_started === 0 && s.bytes_completed === 0, 'a new server starts from zero', JSON.stringify(s));

  // One upload that arrives, one that is aborted, one that S3 refuses to complete.
  const data = bytes(5 * MiB + 7, 9);
  let res = await api('POST', '/s3/multipart', { filename: 'one.bin', size: data.length });
  const up = res.json;
  const parts = [];
  for (let n = 1, off = 0; off < data.length; n++, off += up.partSize) {
    res = await api('GET', `/s3/multipart/${enc(up.uploadId)}/${n}?${q({ key: up.key })}`);
    const put = await fetch(res.json.url, { method: 'PUT', body: data.subarray(off, off + up.partSize) });
    parts.push({ PartNumber: n, ETag: put.headers.get('etag') });
  }
  res = await api('POST', `/s3/multipart/${enc(up.uploadId)}/complete?${q({ key: up.key })}`, { parts });
  is(res.status, 200, 'an upload completed');
  res = await api('POST', '/s3/multipart', { filename: 'two.bin', size: 10 });
  res = await api('DELETE', `/s3/multipart/${enc(res.json.uploadId)}?${q({ key: res.json.key })}`);
  is(res.status, 200, 'an upload aborted');
  res = await api('POST', '/s3/multipart', { filename: 'three.bin', size: 10 });
  const bad = res.json;
  res = await api('POST', `/s3/multipart/${enc(bad.uploadId)}/complete?${q({ key: bad.key })}`,
    { parts: [{ PartNumber: 1, ETag: '"0123456789abcdef0123456789abcdef"' }] });
  ok(res.status >= 400, 'an upload S3 would not complete', `${res.status}`);
  await api('DELETE', `/s3/multipart/${enc(bad.uploadId)}?${q({ key: bad.key })}`);

  s = await status();
  is(s.uploads_started, 3, 'JSON: three started');
  is(s.uploads_completed, 1, 'JSON: one completed');
  is(s.uploads_aborted, 2, 'JSON: two aborted (one asked for, one after the failure)');
  is(s.uploads_failed, 1, 'JSON: one failed');
  is(s.bytes_completed, data.length, 'JSON: the bytes that arrived');
  ok(s.requests?.CreateMultipartUpload?.requests === 3 && s.requests?.CompleteMultipartUpload?.errors >= 1,
    'JSON: S3 requests and errors by operation', JSON.stringify(s.requests));
  is(s.signing?.count, parts.length, 'JSON: one signing per part URL asked for');

  const sample = await prometheus();
  is(sample('s3up_uploads_started_total'), 3, 'Prometheus: uploads started');
  is(sample('s3up_bytes_completed_total'), data.length, 'Prometheus: bytes completed');
  is(sample('s3up_s3_requests_total', { operation: 'CreateMultipartUpload' }), 3, 'Prometheus: requests by operation');
  is(sample('s3up_signing_seconds_count'), parts.length, 'Prometheus: the signing histogram count');
  is(sample('s3up_signing_seconds_bucket', { le: '+Inf' }), parts.length, 'Prometheus: its +Inf bucket');

  // Shared by every process: many requests land on several children.
  const seen = await Promise.all(Array.from({ length: 24 }, () => status()));
  ok(seen.every((x) => x.uploads_completed === 1), 'every process reads the same counters');
  res = await fetch(`${httpd.url}/status?format=xml`);
  is(res.status, 400, 'an unknown format: 400');
  res = await fetch(`${httpd.url}/status`, { method: 'POST' });
  is(res.status, 405, 'only GET');
  note(`httpd log: ${httpd.dir}/error.log`);
});
