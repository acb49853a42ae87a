#!/usr/bin/env node
// The customer API of s3up-upload, driven directly with fetch against a real
// httpd + mod_s3up + Ceph RGW: every route's success and error shapes, key
// checks, same-origin checks, limits, name collisions, path traversal.
// People sign in with Basic auth here (any httpd authentication sets
// r->user the same way); the OpenID Connect sign-in is the browser tests'.
// CommonJS, as node runs *.t files; the ES modules of t/lib load with require().
const { execFileSync } = require('node:child_process');
const { appendFileSync } = require('node:fs');
const { run, ok, is, like, note, cleanup, passing } = require('../lib/tap.mjs');
const {
  requireBed, scratch, startHttpd, htpasswd, basicAuth, s3tool, bytes, sha256, randomId, rmSync, secret,
} = require('../lib/stack.mjs');

requireBed();
const MiB = 1024 * 1024;

run(async () => {
  const dir = scratch('upload_api');
  // Registered first, so it runs last: after every server is stopped.
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); });
  const tag = randomId();
  const acme = `acme-${tag}`, other = `other-${tag}`, small = `small-${tag}`;
  const closed = `closed-${tag}`, old = `old-${tag}`, second = `second-${tag}`;
  // People are named per run: the bucket (and its member index) outlives a run.
  const person = (name) => `${name}-${tag}`;
  const pw = htpasswd(dir, Object.fromEntries(['alice', 'bob', 'carol'].map((n) => [person(n), `pw-${n}`])));
  const secretFile = secret(dir);
  const httpd = startHttpd(dir, `
S3UpSecretFile "${secretFile}"
<Location /upload>
    SetHandler s3up-upload
    # Small parts, so that small test files have several.
    S3UpPartSize 5M
    ${basicAuth(pw)}
</Location>
<Location /open>
    SetHandler s3up-upload
</Location>
`);
  cleanup(() => httpd.stop());

  s3tool('endpoint', acme, `members=${person('alice')}`);
  s3tool('endpoint', other, `members=${person('bob')}`);
  s3tool('endpoint', small, `members=${person('carol')}`, `max_file_size=${6 * MiB}`);
  s3tool('endpoint', second, `members=${person('carol')}`);
  s3tool('endpoint', closed, `members=${person('carol')}`, 'status=revoked');
  s3tool('endpoint', old, `members=${person('carol')}`, 'expires=2020-01-01T00:00:00Z');

  const base = `${httpd.url}/upload`;
  const auth = (user) => ({ authorization: `Basic ${Buffer.from(`${person(user)}:pw-${user}`).toString('base64')}` });
  const api = async (user, method, path, body, extra = {}) => {
    const headers = { ...auth(user), ...extra };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}${path}`, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, json, text, headers: res.headers };
  };
  const isError = (res, status, code, name) => {
    ok(res.status === status && res.json?.error?.code === code && typeof res.json.error.message === 'string',
      `${name}: ${status} ${code}`, `got ${res.status} ${res.text}`);
  };
  const q = (params) => new URLSearchParams(params).toString();

  // PUT each part to the URL it was signed for, as a browser does: straight to S3, or
  // through httpd (signed in) for an upload of no declared size.
  const uploadParts = async (user, key, uploadId, data, partSize, prefix = '') => {
    const parts = [];
    for (let n = 1, off = 0; off < data.length; n++, off += partSize) {
      const signed = await api(user, 'GET', `${prefix}/s3/multipart/${encodeURIComponent(uploadId)}/${n}?${q({ key })}`);
      if (signed.status !== 200) return { error: signed };
      const viaHttpd = signed.json.url.startsWith(httpd.url);
      const put = await fetch(signed.json.url, {
        method: 'PUT', body: data.subarray(off, off + partSize), headers: viaHttpd ? auth(user) : {},
      });
      if (put.status !== 200) return { error: { status: put.status, text: await put.text() } };
      parts.push({ PartNumber: n, ETag: put.headers.get('etag') });
    }
    return { parts };
  };

  // -- session
  let res = await api('alice', 'GET', '/api/session');
  is(res.status, 200, 'session: 200');
  is(res.json?.user, { name: person('alice'), via: 'httpd' }, 'session: who, signed in through httpd');
  is(res.json?.endpoints?.map((e) => e.id), [acme], 'session: the one endpoint alice may use');
  is(res.json?.endpoints?.[0]?.base, `/upload/e/${acme}`, 'session: the route prefix of that endpoint');
  is(res.json?.part_size, 5 * MiB, "session: the location's part size");
  ok(res.json?.parts_in_flight >= 1 && res.json?.mode === 'direct', 'session: parts in flight and mode');
  like(res.headers.get('cache-control') ?? '', /no-store/, 'API answers are not cached');

  // A name that is not UTF-8 (Latin-1 "café", as some directories send it): refused.
  const latin1 = Buffer.concat([Buffer.from(`caf`), Buffer.from([0xe9]), Buffer.from(`-${tag}`)]);
  const line = execFileSync('htpasswd', ['-nbB', 'x', 'pw-latin'], { encoding: 'utf8' }).trim();
  appendFileSync(pw, Buffer.concat([latin1, Buffer.from(line.slice(1)), Buffer.from('\n')]));
  res = await fetch(`${base}/api/session`, {
    headers: { authorization: `Basic ${Buffer.concat([latin1, Buffer.from(':pw-latin')]).toString('base64')}` },
  });
  const bad = { status: res.status, json: await res.json().catch(() => null) };
  ok(bad.status === 403 && bad.json?.error?.code === 'Forbidden', 'a user name that is not UTF-8: 403 Forbidden', JSON.stringify(bad));
  like(httpd.errorLog(), /S3UP0105: refused an identity \(REMOTE_USER\) that is not valid UTF-8.*caf\\xe9/, 'and logged, escaped');

  res = await fetch(`${httpd.url}/open/api/session`);
  const anon = { status: res.status, json: await res.json().catch(() => null) };
  ok(anon.status === 401 && anon.json?.error?.code === 'NotSignedIn', 'no authentication: 401 NotSignedIn as JSON', JSON.stringify(anon));

  // -- a 3-part upload, end to end
  const data = bytes(11 * MiB + 123, 7);
  res = await api('alice', 'POST', '/s3/multipart', { filename: 'big file.bin', type: 'application/octet-stream', metadata: { name: 'big file.bin', size: data.length } });
  is(res.status, 200, 'create: 200');
  is(res.json?.partSize, 5 * MiB, "create: the part size the part URLs are signed for (the location's S3UpPartSize)");
  const key = res.json?.key, uploadId = res.json?.uploadId;
  is(key, `uploads/${acme}/big file.bin`, 'create: the key is the endpoint folder + the name');
  is(res.json?.bucket, process.env.S3UP_TEST_BUCKET, 'create: the bucket');
  const up = await uploadParts('alice', key, uploadId, data, 5 * MiB);
  ok(up.parts?.length === 3, 'three parts PUT to presigned URLs', JSON.stringify(up.error));

  res = await api('alice', 'GET', `/s3/multipart/${encodeURIComponent(uploadId)}?${q({ key })}`);
  ok(res.status === 200 && res.json?.length === 3 && res.json[2].Size === data.length - 10 * MiB
    && res.json[0].PartNumber === 1 && /^"/.test(res.json[0].ETag) && res.json[0].LastModified,
  'list parts: [{PartNumber, ETag, Size, LastModified}]', res.text);

  res = await api('alice', 'GET', `/s3/multipart/${encodeURIComponent(uploadId)}/batch?${q({ key, partNumbers: '1,2,3' })}`);
  ok(res.status === 200 && Object.keys(res.json?.presignedUrls ?? {}).join() === '1,2,3'
    && res.json.presignedUrls['2'].includes('partNumber=2') && res.json.expires === 3600, 'batch: a URL per part, and their lifetime', res.text);

  // Answers are sent whole from the handler (s3up_reply_json): with their length, not chunked.
  const whole = (r) => r.headers.get('content-length') === String(Buffer.byteLength(r.text))
    && !r.headers.get('transfer-encoding');
  res = await api('alice', 'GET', `/s3/multipart/${encodeURIComponent(uploadId)}/2?${q({ key })}`);
  ok(res.status === 200 && res.json?.url?.includes('partNumber=2') && whole(res),
    'a part signed: the answer with its Content-Length', `${res.status} ${res.headers.get('content-length')} ${res.text}`);
  res = await api('alice', 'GET', `/s3/multipart/${encodeURIComponent(uploadId)}/0?${q({ key })}`);
  ok(res.status === 400 && res.json?.error?.code === 'BadRequest' && whole(res),
    'an error: the answer with its Content-Length', `${res.status} ${res.headers.get('content-length')} ${res.text}`);
  res = await api('alice', 'HEAD', '/api/session');
  ok(res.status === 200 && res.text === '' && Number(res.headers.get('content-length')) > 0
    && /json/.test(res.headers.get('content-type') ?? ''), 'HEAD: the headers of the answer, no body',
  `${res.status} ${res.headers.get('content-length')} ${JSON.stringify(res.text)}`);

  // Uppy may send some ETags without quotes: both forms are fine.
  const mixed = up.parts.map((p, i) => (i === 1 ? { ...p, ETag: p.ETag.replace(/"/g, '') } : p));
  res = await api('alice', 'POST', `/s3/multipart/${encodeURIComponent(uploadId)}/complete?${q({ key })}`, { parts: mixed }, { origin: httpd.url });
  is(res.status, 200, 'complete: 200');
  is(res.json?.key, key, 'complete: key');
  like(res.json?.location ?? '', /big%20file\.bin$/, 'complete: location');
  is(s3tool('sha256', key), sha256(data), "the object's sha256 equals the source's");
  res = await api('alice', 'POST', `/s3/multipart/${encodeURIComponent(uploadId)}/complete?${q({ key })}`, { parts: mixed }, { origin: httpd.url });
  ok(res.status === 200 && res.json?.key === key, 'complete again (its answer lost on the way): the same answer', res.text);
  res = await api('bob', 'POST', `/e/${other}/s3/multipart/${encodeURIComponent(uploadId)}/complete?${q({ key: `uploads/${other}/big file.bin` })}`, { parts: mixed });
  isError(res, 404, 'NoSuchUpload', "a completed upload's id does not complete another key");
  const head = s3tool('head', key);
  is(head?.metadata?.['uploaded-by'], person('alice'), 'uploader recorded in the object metadata');
  is(head?.metadata?.['original-name'], 'big file.bin', 'original name recorded');
  like(httpd.errorLog(), new RegExp(`S3UP0303: upload complete: user=${person('alice')} via=httpd endpoint=${acme} key=uploads/${acme}/big file.bin bytes=${data.length}`), 'completed upload logged with who, where and how much');

  res = await api('alice', 'GET', '/api/files');
  ok(res.status === 200 && res.json?.files?.some((f) => f.key === key && f.name === 'big file.bin' && f.size === data.length && f.last_modified)
    && res.json.next === null, 'files: the received file with name, size and date', res.text);

  // -- another endpoint's key never gets a signature
  res = await api('alice', 'GET', `/s3/multipart/${encodeURIComponent(uploadId)}/1?${q({ key: `uploads/${other}/x.bin` })}`);
  isError(res, 403, 'InvalidKey', "another endpoint's key");
  ok(!res.text.includes('X-Amz-Signature'), 'and no URL in the answer');
  res = await api('alice', 'GET', `/s3/multipart/u/1?${q({ key: `uploads/${acme}/../${other}/x.bin` })}`);
  isError(res, 403, 'InvalidKey', 'a key climbing out of the endpoint');
  res = await api('alice', 'GET', `/s3/multipart/u/1?${q({ key: '.s3up/endpoints/x.json' })}`);
  isError(res, 403, 'InvalidKey', 'a key in the state prefix');
  res = await api('alice', 'GET', `/s3/multipart/u/1?${q({ key: `uploads/${acme}` })}`);
  isError(res, 403, 'InvalidKey', 'the endpoint folder itself');
  res = await api('bob', 'GET', `/e/${acme}/api/files`);
  isError(res, 404, 'NoSuchEndpoint', "someone else's endpoint by path: as if there were none");

  // -- same-origin checks on state-changing routes
  res = await api('alice', 'POST', '/s3/multipart', { filename: 'x.bin' }, { origin: 'http://evil.example' });
  isError(res, 403, 'CrossOrigin', 'a cross-origin POST');
  res = await api('alice', 'POST', '/s3/multipart', { filename: 'x.bin' }, { 'sec-fetch-site': 'cross-site' });
  isError(res, 403, 'CrossOrigin', 'Sec-Fetch-Site: cross-site');
  res = await api('alice', 'DELETE', `/s3/multipart/u?${q({ key })}`, undefined, { origin: 'http://evil.example' });
  isError(res, 403, 'CrossOrigin', 'a cross-origin DELETE');

  // -- bad input
  res = await fetch(`${base}/s3/multipart`, { method: 'POST', headers: { ...auth('alice'), 'content-type': 'text/plain' }, body: '{"filename":"a"}' });
  isError({ status: res.status, json: await res.json(), text: '' }, 400, 'BadRequest', 'a body that is not declared JSON');
  res = await fetch(`${base}/s3/multipart`, { method: 'POST', headers: { ...auth('alice'), 'content-type': 'application/json' }, body: '{"filename":' });
  isError({ status: res.status, json: await res.json(), text: '' }, 400, 'BadRequest', 'broken JSON');
  res = await fetch(`${base}/s3/multipart`, { method: 'POST', headers: { ...auth('alice'), 'content-type': 'application/json' }, body: JSON.stringify({ filename: 'a', pad: 'x'.repeat(70000) }) });
  isError({ status: res.status, json: await res.json(), text: '' }, 413, 'TooLarge', 'a body over 64 KiB');
  res = await api('alice', 'POST', '/s3/multipart', {});
  isError(res, 400, 'BadRequest', 'no filename');
  res = await api('alice', 'GET', `/s3/multipart/${encodeURIComponent(uploadId)}/0?${q({ key })}`);
  isError(res, 400, 'BadRequest', 'part number 0');
  res = await api('alice', 'GET', `/s3/multipart/${encodeURIComponent(uploadId)}/10001?${q({ key })}`);
  isError(res, 400, 'BadRequest', 'part number 10001');
  res = await api('alice', 'PUT', '/api/session');
  isError(res, 405, 'BadRequest', 'a method a route does not take');

  // -- path traversal stays inside the endpoint
  res = await api('alice', 'POST', '/s3/multipart', { filename: '../../escape.txt' });
  isError(res, 400, 'InvalidKey', 'a "../" file name');
  res = await api('alice', 'POST', '/s3/multipart', { filename: 'x.txt', metadata: { relativePath: 'a/../../../b/x.txt' } });
  isError(res, 400, 'InvalidKey', 'a "../" relative path');
  res = await api('alice', 'POST', '/s3/multipart', { filename: 'bad\u0001name.txt' });
  isError(res, 400, 'InvalidKey', 'a control character');
  res = await api('alice', 'POST', '/s3/multipart', { filename: '/etc/passwd' });
  is(res.json?.key, `uploads/${acme}/etc/passwd`, 'an absolute name lands inside the endpoint');
  if (res.json?.uploadId) await api('alice', 'DELETE', `/s3/multipart/${encodeURIComponent(res.json.uploadId)}?${q({ key: res.json.key })}`);

  // -- folder uploads keep their relative paths
  res = await api('alice', 'POST', '/s3/multipart', { filename: 'c.txt', metadata: { relativePath: 'reports/2026/c.txt' } });
  is(res.json?.key, `uploads/${acme}/reports/2026/c.txt`, 'relativePath kept as a sub-path');
  const folderKey = res.json?.key, folderId = res.json?.uploadId;

  // -- abort
  res = await api('alice', 'DELETE', `/s3/multipart/${encodeURIComponent(folderId)}?${q({ key: folderKey })}`);
  ok(res.status === 200 && JSON.stringify(res.json) === '{}', 'abort: {}', res.text);
  is(s3tool('uploads', `uploads/${acme}/reports/`), [], 'aborted upload is gone from S3');
  res = await api('alice', 'DELETE', `/s3/multipart/${encodeURIComponent(folderId)}?${q({ key: folderKey })}`);
  isError(res, 404, 'NoSuchUpload', 'abort again: there is nothing left to abort');
  res = await api('alice', 'GET', `/s3/multipart/${encodeURIComponent(folderId)}?${q({ key: folderKey })}`);
  isError(res, 404, 'NoSuchUpload', 'list parts of an aborted upload');

  // -- no silent overwrite: a taken name gets a number; two at once both survive
  const one = bytes(5 * MiB, 11), two = bytes(5 * MiB, 12);
  const [a, b] = await Promise.all([
    api('alice', 'POST', '/s3/multipart', { filename: 'same.txt', size: one.length }),
    api('alice', 'POST', '/s3/multipart', { filename: 'same.txt', size: two.length }),
  ]);
  const names = [a.json?.key, b.json?.key].sort();
  is(names, [`uploads/${acme}/same (1).txt`, `uploads/${acme}/same.txt`], 'two uploads of one name at once get two keys');
  const [pa, pb] = await Promise.all([
    uploadParts('alice', a.json.key, a.json.uploadId, one, 5 * MiB),
    uploadParts('alice', b.json.key, b.json.uploadId, two, 5 * MiB),
  ]);
  await Promise.all([
    api('alice', 'POST', `/s3/multipart/${encodeURIComponent(a.json.uploadId)}/complete?${q({ key: a.json.key })}`, { parts: pa.parts }),
    api('alice', 'POST', `/s3/multipart/${encodeURIComponent(b.json.uploadId)}/complete?${q({ key: b.json.key })}`, { parts: pb.parts }),
  ]);
  ok(s3tool('sha256', a.json.key) === sha256(one) && s3tool('sha256', b.json.key) === sha256(two), 'both survive with their own bytes');
  res = await api('alice', 'POST', '/s3/multipart', { filename: 'same.txt' });
  is(res.json?.key, `uploads/${acme}/same (2).txt`, 'a third upload of the name gets the next number');
  await api('alice', 'DELETE', `/s3/multipart/${encodeURIComponent(res.json.uploadId)}?${q({ key: res.json.key })}`);

  // -- limits (carol: small has a 6 MiB limit; carol has several endpoints)
  res = await api('carol', 'POST', '/s3/multipart', { filename: 'x.bin' });
  isError(res, 400, 'BadRequest', 'several endpoints and none chosen');
  res = await api('carol', 'GET', '/api/session');
  is(res.json?.endpoints?.map((e) => e.id).sort(), [second, small].sort(), 'session lists only open endpoints');
  is(res.json?.closed?.map((c) => `${c.id} ${c.why}`).sort(), [`${closed} revoked`, `${old} expired`].sort(),
    'and the closed ones apart, with why');
  res = await api('carol', 'POST', `/e/${small}/s3/multipart`, { filename: 'big.bin', size: 7 * MiB });
  isError(res, 413, 'TooLarge', 'a declared size over the limit at create');
  // No declared size: the parts go through httpd (S3UpSecretFile is set here), which can
  // take a file over the limit part by part; complete refuses it.
  res = await api('carol', 'POST', `/e/${small}/s3/multipart`, { filename: 'sneaky.bin' });
  const sneaky = res.json;
  ok(res.status === 200 && !sneaky.partSize, 'no declared size: an upload whose parts go through httpd', res.text);
  const over = await uploadParts('carol', sneaky.key, sneaky.uploadId, bytes(7 * MiB, 3), 5 * MiB, `/e/${small}`);
  res = await api('carol', 'POST', `/e/${small}/s3/multipart/${encodeURIComponent(sneaky.uploadId)}/complete?${q({ key: sneaky.key })}`, { parts: over.parts });
  isError(res, 413, 'TooLarge', 'an upload over the limit at complete');
  is(s3tool('head', sneaky.key), null, 'and it is not stored');
  is(s3tool('uploads', `uploads/${small}/`), [], 'and its multipart upload is aborted');
  res = await api('carol', 'POST', `/e/${small}/s3/multipart`, { filename: 'x.bin', size: 5 });
  ok(res.status === 200, 'a file within the limit may start');
  res = await api('carol', 'GET', `/e/${acme}/api/session`);
  is(res.json?.endpoints, [], "the path form does not open someone else's endpoint");

  // -- closed endpoints
  res = await api('carol', 'POST', `/e/${closed}/s3/multipart`, { filename: 'x.bin' });
  isError(res, 403, 'EndpointRevoked', 'a revoked endpoint');
  res = await api('carol', 'POST', `/e/${old}/s3/multipart`, { filename: 'x.bin' });
  isError(res, 403, 'EndpointExpired', 'an expired endpoint');
  res = await api('carol', 'POST', `/e/nope-${tag}/s3/multipart`, { filename: 'x.bin' });
  isError(res, 404, 'NoSuchEndpoint', 'an unknown endpoint');
  res = await api('bob', 'GET', '/api/session');
  ok(res.json?.endpoints?.length === 1, 'bob sees his one endpoint');
  res = await api('bob', 'POST', `/e/${acme}/s3/multipart`, { filename: 'x.bin' });
  isError(res, 404, 'NoSuchEndpoint', 'a member of another endpoint: as if it did not exist');

  // -- small files: an S3 POST policy pinned to the key, size enforced by S3
  res = await api('alice', 'GET', `/s3/params?${q({ filename: 'note.txt', type: 'text/plain' })}`);
  ok(res.status === 200 && res.json?.method === 'POST' && res.json.url.endsWith('/') && res.json.fields?.key === `uploads/${acme}/note.txt`
    && res.json.fields.policy && res.json.fields['x-amz-signature'], 'params: {method, url, fields}', res.text);
  const form = new FormData();
  for (const [k, v] of Object.entries(res.json.fields)) form.append(k, v);
  form.append('file', new Blob([bytes(1000, 5)]));
  const posted = await fetch(res.json.url, { method: 'POST', body: form });
  res = await api('alice', 'GET', `/s3/params?${q({ filename: 'plain.txt', 'metadata[relativePath]': 'null' })}`);
  is(res.json?.fields?.key, `uploads/${acme}/plain.txt`, 'params: a relativePath of "null" (stock Uppy, plain file) is no path');
  res = await api('alice', 'GET', `/s3/params?${q({ filename: 'x.txt', 'metadata[relativePath]': 'other/name.txt' })}`);
  is(res.json?.fields?.key, `uploads/${acme}/x.txt`, 'params: a relativePath that is not this file\'s is no path');
  ok(posted.status >= 200 && posted.status < 300, 'the browser-style POST is accepted by S3', `${posted.status}`);
  is(s3tool('sha256', `uploads/${acme}/note.txt`), sha256(bytes(1000, 5)), 'the POSTed file is stored whole');
  res = await api('carol', 'GET', `/e/${small}/s3/params?${q({ filename: 'n.txt', 'metadata[size]': 7 * MiB })}`);
  isError(res, 413, 'TooLarge', 'params: a metadata size over the limit');
  res = await api('carol', 'GET', `/e/${small}/s3/params?${q({ filename: 'n.txt' })}`);
  const tooBig = new FormData();
  for (const [k, v] of Object.entries(res.json.fields)) tooBig.append(k, v);
  tooBig.append('file', new Blob([bytes(6 * MiB + 1, 6)]));
  const refused = await fetch(res.json.url, { method: 'POST', body: tooBig });
  like(`${refused.status} ${await refused.text()}`, /^400 .*EntityTooLarge/, 'S3 refuses a POST over the limit');

  // -- pagination of the file list
  res = await api('alice', 'GET', '/api/files?cursor=not-a-real-token');
  ok(res.status === 200 || res.status >= 400, 'a bogus cursor does not crash', res.text);

  note(`httpd log: ${httpd.dir}/error.log`);
});
