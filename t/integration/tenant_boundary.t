#!/usr/bin/env node
// The tenant boundary, held by S3 itself: every URL the module hands out is tried as an
// attacker would, with raw HTTP straight at Ceph RGW (which, unlike AWS, obeys headers a
// presigned URL does not sign).
// - A part URL (single or from /batch) PUT with an empty body and an unsigned
//   x-amz-copy-source (whole object, or a one-byte range) naming another customer's file
//   or a state record: refused, and no ETag of the source leaks. With a body of the right
//   length, the copy header does not copy either.
// - A part body one byte longer or shorter than signed: refused by S3.
// - The right bytes still go up, and the file is whole.
// - A bogus abort of someone else's upload frees nothing: a second upload of the name
//   gets its own key, and both files survive completion.
// - The same name, size and metadata.fingerprint continue only the caller's own upload:
//   another member of the endpoint, or a person of another endpoint, gets a new upload.
// CommonJS, as node runs *.t files; the ES modules of t/lib load with require().
const http = require('node:http');
const { createHash } = require('node:crypto');
const { run, ok, is, like, note, cleanup, passing } = require('../lib/tap.mjs');
const {
  requireBed, scratch, startHttpd, htpasswd, basicAuth, s3tool, bytes, sha256, randomId, rmSync,
} = require('../lib/stack.mjs');

requireBed();
const MiB = 1024 * 1024;
const BUCKET = process.env.S3UP_TEST_BUCKET;

// One request as a client writes it: these headers (and Host, Content-Length of the body
// given), nothing added. {status, headers, text}.
function raw(method, url, headers = {}, body = Buffer.alloc(0)) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request({
      method, host: u.hostname, port: u.port, path: `${u.pathname}${u.search}`,
      headers: { ...headers, 'content-length': String(body.length) },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const md5 = (buf) => createHash('md5').update(buf).digest('hex');

run(async () => {
  const dir = scratch('tenant_boundary');
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); });
  const tag = randomId();
  const A = `a-${tag}`, B = `b-${tag}`;
  const person = (name) => `${name}-${tag}`;
  const pw = htpasswd(dir, Object.fromEntries(['alice', 'carol', 'bob'].map((n) => [person(n), `pw-${n}`])));
  const httpd = startHttpd(dir, `
<Location /upload>
    SetHandler s3up-upload
    S3UpPartSize 5M
    ${basicAuth(pw)}
</Location>
`);
  cleanup(() => httpd.stop());
  s3tool('endpoint', A, `members=${person('alice')},${person('carol')}`);
  s3tool('endpoint', B, `members=${person('bob')}`);

  const auth = (user) => ({ authorization: `Basic ${Buffer.from(`${person(user)}:pw-${user}`).toString('base64')}` });
  const api = async (user, method, path, body) => {
    const headers = { ...auth(user), accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${httpd.url}/upload${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, json, text };
  };
  const q = (params) => new URLSearchParams(params).toString();
  const enc = encodeURIComponent;

  // B's secret file, uploaded by bob through the portal (so it is a real customer file).
  const secret = bytes(3 * MiB + 5, 77);
  let res = await api('bob', 'POST', '/s3/multipart', { filename: 'secret.txt', size: secret.length });
  const sec = res.json;
  res = await api('bob', 'GET', `/s3/multipart/${enc(sec.uploadId)}/1?${q({ key: sec.key })}`);
  let put = await raw('PUT', res.json.url, {}, secret);
  is(put.status, 200, "B's file goes up through its own part URL");
  res = await api('bob', 'POST', `/s3/multipart/${enc(sec.uploadId)}/complete?${q({ key: sec.key })}`, { parts: [{ PartNumber: 1, ETag: put.headers.etag }] });
  is(res.status, 200, "B's file is complete");
  const secretEtag = s3tool('head', sec.key).etag.replace(/"/g, '');
  const firstByteMd5 = md5(secret.subarray(0, 1));
  const stateKey = `.s3up/endpoints/${B}.json`;

  // A's upload: two parts, 5 MiB and 1 MiB + 1.
  const data = bytes(6 * MiB + 1, 5);
  res = await api('alice', 'POST', '/s3/multipart', { filename: 'mine.bin', size: data.length });
  ok(res.status === 200 && res.json.partSize === 5 * MiB, "alice's upload, in 5 MiB parts", res.text);
  const { key, uploadId } = res.json;
  res = await api('alice', 'GET', `/s3/multipart/${enc(uploadId)}/1?${q({ key })}`);
  const single = res.json.url;
  res = await api('alice', 'GET', `/s3/multipart/${enc(uploadId)}/batch?${q({ key, partNumbers: '1,2' })}`);
  const batch = res.json.presignedUrls;
  ok(single && batch?.['1'] && batch['2'], 'part URLs, single and batch');
  like(single, /X-Amz-SignedHeaders=content-length%3Bhost/, 'a part URL signs its length');

  // -- UploadPartCopy through part URLs: every source, every way
  const leaks = (r) => r.text.includes('CopyPartResult') || r.text.includes(secretEtag)
    || r.text.includes(firstByteMd5) || (r.headers.etag ?? '').includes(secretEtag);
  const sources = [[`${BUCKET}/${sec.key}`, "another customer's file"], [`${BUCKET}/${stateKey}`, 'a state record']];
  for (const [url, which] of [[single, 'single'], [batch['1'], 'batch']]) {
    for (const [source, what] of sources) {
      for (const range of [null, 'bytes=0-0']) {
        const headers = { 'x-amz-copy-source': encodeURI(source) };
        if (range) headers['x-amz-copy-source-range'] = range;
        const r = await raw('PUT', url, headers);
        ok(r.status === 403 && !leaks(r), `UploadPartCopy of ${what}${range ? ' (one byte)' : ''} through a ${which} part URL: refused, nothing leaks`,
          `${r.status} ${r.text.slice(0, 300)}`);
      }
    }
  }
  let parts = s3tool('parts', key, uploadId);
  is(parts, [], 'no part was made by any of it');

  // With a body of the signed length, the copy header still copies nothing.
  put = await raw('PUT', single, { 'x-amz-copy-source': encodeURI(`${BUCKET}/${sec.key}`) }, data.subarray(0, 5 * MiB));
  ok(!leaks(put), 'a copy header beside a body of the right length: no copy', `${put.status} ${put.text.slice(0, 300)}`);
  parts = s3tool('parts', key, uploadId);
  ok(parts.length === 0 || (put.status === 200 && put.headers.etag === `"${md5(data.subarray(0, 5 * MiB))}"`),
    'whatever was stored is the body sent, not the source', JSON.stringify({ parts, etag: put.headers.etag }));

  // -- a body of another length than signed
  put = await raw('PUT', single, {}, Buffer.concat([data.subarray(0, 5 * MiB), Buffer.from('x')]));
  is(put.status, 403, 'one byte more than signed: refused by S3');
  put = await raw('PUT', single, {}, data.subarray(0, 5 * MiB - 1));
  is(put.status, 403, 'one byte less than signed: refused by S3');
  put = await raw('PUT', batch['2'], {}, data.subarray(0, 5 * MiB));
  is(put.status, 403, 'a full-size body to the short last part: refused');

  // -- the right bytes still go up
  const p1 = await raw('PUT', single, {}, data.subarray(0, 5 * MiB));
  const p2 = await raw('PUT', batch['2'], {}, data.subarray(5 * MiB));
  ok(p1.status === 200 && p2.status === 200, 'each part with its own length: accepted', `${p1.status} ${p2.status}`);
  res = await api('alice', 'POST', `/s3/multipart/${enc(uploadId)}/complete?${q({ key })}`,
    { parts: [{ PartNumber: 1, ETag: p1.headers.etag }, { PartNumber: 2, ETag: p2.headers.etag }] });
  is(res.status, 200, 'complete');
  is(s3tool('sha256', key), sha256(data), "the file is whole: its sha256 is the source's");
  is(s3tool('sha256', sec.key), sha256(secret), "and B's file is untouched");

  // -- a bogus abort, then a second upload of the same name
  const first = bytes(5 * MiB, 31), second = bytes(5 * MiB, 32);
  res = await api('alice', 'POST', '/s3/multipart', { filename: 'contract.pdf', size: first.length });
  const a = res.json;
  is(a.key, `uploads/${A}/contract.pdf`, "alice's contract.pdf");
  res = await fetch(`${httpd.url}/upload/s3/multipart/BOGUS?${q({ key: a.key })}`, { method: 'DELETE', headers: auth('carol') });
  is(res.status, 404, "carol's abort naming a bogus upload of the key: 404, nothing freed");
  res = await fetch(`${httpd.url}/upload/s3/multipart/${enc(a.uploadId)}?${q({ key: a.key })}`, { method: 'DELETE', headers: auth('carol') });
  is(res.status, 404, "carol's abort of alice's real upload: 404 too (not hers)");
  res = await api('carol', 'POST', '/s3/multipart', { filename: 'contract.pdf', size: second.length });
  const c = res.json;
  is(c.key, `uploads/${A}/contract (1).pdf`, 'carol gets another key for the same name');
  const sendWhole = async (user, up, body) => {
    const s = await api(user, 'GET', `/s3/multipart/${enc(up.uploadId)}/1?${q({ key: up.key })}`);
    const p = await raw('PUT', s.json.url, {}, body);
    return api(user, 'POST', `/s3/multipart/${enc(up.uploadId)}/complete?${q({ key: up.key })}`, { parts: [{ PartNumber: 1, ETag: p.headers.etag }] });
  };
  const [ra, rc] = await Promise.all([sendWhole('alice', a, first), sendWhole('carol', c, second)]);
  ok(ra.status === 200 && rc.status === 200, 'both complete');
  ok(s3tool('sha256', a.key) === sha256(first) && s3tool('sha256', c.key) === sha256(second), 'both files survive, each with its own bytes');

  // -- a fingerprint is no secret: it never continues another person's upload
  const fp = `sha256-ht:${'ab'.repeat(32)}`;
  const scan = { filename: 'scan.bin', type: 'application/octet-stream', metadata: { size: 12 * MiB, fingerprint: fp } };
  const started = [];
  const startAs = async (user, path = '/s3/multipart', body = scan) => {
    const r = await api(user, 'POST', path, body);
    if (r.status === 200 && !r.json.resumed) started.push([user, r.json]);
    return r;
  };
  res = await startAs('alice');
  const mine = res.json;
  ok(res.status === 200 && !mine.resumed, 'alice starts scan.bin with a fingerprint', res.text);
  res = await startAs('alice');
  ok(res.status === 200 && res.json.resumed === true && res.json.uploadId === mine.uploadId && res.json.key === mine.key && Array.isArray(res.json.parts),
    'alice again (another browser): her own upload is continued', res.text);
  res = await startAs('carol');
  ok(res.status === 200 && !res.json.resumed && res.json.uploadId !== mine.uploadId && res.json.key === `uploads/${A}/scan (1).bin`,
    "carol, in the same endpoint, with alice's name, size and fingerprint: her own new upload", res.text);
  res = await startAs('bob', `/e/${A}/s3/multipart`);
  ok(res.status === 404 && !res.text.includes(mine.uploadId) && !res.text.includes('scan.bin'), "bob naming alice's endpoint: 404, nothing of hers", res.text);
  res = await startAs('bob');
  ok(res.status === 200 && !res.json.resumed && res.json.key === `uploads/${B}/scan.bin`, 'bob in his own endpoint: his own new upload', res.text);
  res = await api('alice', 'POST', '/s3/multipart', { ...scan, metadata: { ...scan.metadata, fingerprint: 'x y' } });
  ok(res.status === 400 && res.json?.error?.code === 'BadRequest', 'a malformed fingerprint: 400 BadRequest', res.text);
  for (const [user, up] of started) {
    await fetch(`${httpd.url}/upload/s3/multipart/${enc(up.uploadId)}?${q({ key: up.key })}`, { method: 'DELETE', headers: auth(user) });
  }
  is(s3tool('uploads', `uploads/${A}/scan`).length + s3tool('uploads', `uploads/${B}/scan`).length, 0, 'the uploads of scan.bin are aborted');

  note(`httpd log: ${httpd.dir}/error.log`);
});
