#!/usr/bin/env node
// How objects are stored: S3UpServerSideEncryption and S3UpStorageClass
// reach every upload path (multipart straight to S3, a single POST, parts
// through httpd), and encryption reaches the module's own state records,
// whose storage class stays the bucket's. The test bed's RGW has SSE-KMS
// with a test key and a second storage class, COLD; HEAD shows both.
const { run, ok, is, cleanup, passing, note } = require('../lib/tap.mjs');
const {
  requireBed, scratch, startHttpd, htpasswd, basicAuth, secret, s3tool, bytes, sha256, randomId,
  rmSync,
} = require('../lib/stack.mjs');

requireBed();
const MiB = 1024 * 1024;
const kmsKey = process.env.S3UP_TEST_KMS_KEY_ID;
const storageClass = process.env.S3UP_TEST_STORAGE_CLASS;

run(async () => {
  if (!kmsKey || !storageClass) {
    ok(false, 'the test bed offers SSE-KMS and a storage class (S3UP_TEST_KMS_KEY_ID, S3UP_TEST_STORAGE_CLASS)');
    return;
  }
  const dir = scratch('storage');
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); });
  const tag = randomId();
  const user = `sam-${tag}`, ep = `kept-${tag}`;
  const pw = htpasswd(dir, { [user]: 'pw' });
  const stored = `S3UpServerSideEncryption aws:kms ${kmsKey}\n    S3UpStorageClass ${storageClass}`;
  const httpd = startHttpd(dir, `
S3UpSecretFile "${secret(dir)}"
<Location /upload>
    SetHandler s3up-upload
    ${stored}
    ${basicAuth(pw)}
</Location>
<Location /proxy>
    SetHandler s3up-upload
    S3UpUploadMode proxy
    ${stored}
    ${basicAuth(pw)}
</Location>
<Location /plain>
    SetHandler s3up-upload
    ${basicAuth(pw)}
</Location>
`);
  cleanup(() => httpd.stop());
  s3tool('endpoint', ep, `members=${user}`);

  const auth = { authorization: `Basic ${Buffer.from(`${user}:pw`).toString('base64')}` };
  const api = async (loc, method, path, body) => {
    const res = await fetch(`${httpd.url}/${loc}/e/${ep}${path}`, {
      method, headers: { ...auth, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: await res.json().catch(() => null) };
  };
  const q = (o) => new URLSearchParams(o).toString();
  const enc = encodeURIComponent;
  const isStored = (key, what) => {
    const h = s3tool('head', key);
    is(h?.sse, 'aws:kms', `${what}: encrypted with KMS`);
    is(h?.kms_key, kmsKey, `${what}: with the configured key`);
    is(h?.storage_class, storageClass, `${what}: in ${storageClass}`);
  };
  // A multipart upload through loc: parts to wherever the part URLs point.
  const multipart = async (loc, name, data) => {
    let res = await api(loc, 'POST', '/s3/multipart', { filename: name, size: data.length });
    const { key, uploadId, partSize } = res.json ?? {};
    const parts = [];
    for (let n = 1, off = 0; off < data.length; n++, off += partSize) {
      res = await api(loc, 'GET', `/s3/multipart/${enc(uploadId)}/${n}?${q({ key })}`);
      const body = data.subarray(off, off + partSize);
      const put = await fetch(res.json.url, { method: 'PUT', headers: loc === 'proxy' ? auth : {}, body });
      parts.push({ PartNumber: n, ETag: put.headers.get('etag') });
    }
    res = await api(loc, 'POST', `/s3/multipart/${enc(uploadId)}/complete?${q({ key })}`, { parts });
    is(res.status, 200, `${loc}: ${name} completed`);
    is(s3tool('sha256', key), sha256(data), `${loc}: ${name} stored whole`);
    return key;
  };

  const data = bytes(6 * MiB + 3, 41);
  isStored(await multipart('upload', 'direct.bin', data), 'parts straight to S3');
  isStored(await multipart('proxy', 'proxied.bin', data), 'parts through httpd');

  let res = await api('upload', 'GET', `/s3/params?${q({ filename: 'small.txt' })}`);
  ok(res.json?.fields?.['x-amz-server-side-encryption'] === 'aws:kms'
    && res.json.fields['x-amz-storage-class'] === storageClass, 'a POST form carries the settings as fields');
  const form = new FormData();
  for (const [k, v] of Object.entries(res.json?.fields ?? {})) form.append(k, v);
  form.append('file', new Blob([bytes(100, 3)]));
  const posted = await fetch(res.json.url, { method: 'POST', body: form });
  ok(posted.status >= 200 && posted.status < 300, 'the POST is accepted', `${posted.status}`);
  isStored(res.json.fields.key, 'a single POST');

  // The policy requires them: a form without them is refused by S3.
  const stripped = new FormData();
  res = await api('upload', 'GET', `/s3/params?${q({ filename: 'stripped.txt' })}`);
  for (const [k, v] of Object.entries(res.json.fields)) {
    if (k !== 'x-amz-storage-class') stripped.append(k, v);
  }
  stripped.append('file', new Blob([bytes(10, 4)]));
  const refused = await fetch(res.json.url, { method: 'POST', body: stripped });
  is(refused.status, 403, 'a form without the storage class is refused by S3 (the policy names it)');

  // The module's own records: encrypted, in the bucket's storage class.
  res = await api('upload', 'POST', '/s3/multipart', { filename: 'open.bin', size: 10 });
  const entries = s3tool('list', `.s3up/unfinished/${ep}/`).map((o) => o.key);
  const records = entries.concat(entries.map((k) => `.s3up/reservations/${k.split('/').pop()}`));
  is(records.length, 2, 'the start wrote an unfinished entry and a reservation', records.join(' '));
  for (const k of records) {
    const h = s3tool('head', k);
    ok(h?.sse === 'aws:kms' && h.kms_key === kmsKey && !h.storage_class,
      `a state record (${k.split('/')[1]}): encrypted, in the bucket's storage class`, JSON.stringify(h));
  }
  await api('upload', 'DELETE', `/s3/multipart/${enc(res.json.uploadId)}?${q({ key: res.json.key })}`);

  // Without the directives, nothing is asked for.
  const plain = await multipart('plain', 'plain.bin', bytes(100, 5));
  const p = s3tool('head', plain);
  ok(!p.sse && !p.storage_class, 'without the directives: the bucket\'s defaults', JSON.stringify(p));
  note(`httpd log: ${httpd.dir}/error.log`);
});
