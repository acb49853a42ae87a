#!/usr/bin/env node
// The admin API (s3up-admin) and upload links (s3up-drop), driven with
// fetch against a real httpd + mod_s3up + Ceph RGW: endpoints, members,
// links with passcodes, files, download, share, unfinished uploads,
// concurrent edits, deletion, and every refusal. Basic auth stands for the
// sign-in (admins are whom httpd's Require lets through); the OpenID
// Connect sign-in is the browser tests'.
// CommonJS, as node runs *.t files; the ES modules of t/lib load with require().
const { execFileSync } = require('node:child_process');
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { run, ok, is, like, note, cleanup, passing } = require('../lib/tap.mjs');
const {
  top, requireBed, scratch, startHttpd, htpasswd, s3tool, bytes, sha256, randomId, rmSync,
} = require('../lib/stack.mjs');

requireBed();
const MiB = 1024 * 1024;
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

run(async () => {
  const dir = scratch('admin_api');
  // Registered first, so it runs last: after every server is stopped.
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); });
  const tag = randomId();
  const person = (name) => `${name}-${tag}`;
  const pw = htpasswd(dir, Object.fromEntries(['admin', 'alice', 'mallory'].map((n) => [person(n), `pw-${n}`])));
  const secret = join(dir, 'secret');
  writeFileSync(secret, randomId(24), { mode: 0o600 });
  const port = execFileSync(join(top, 't/lib/freeport'), { encoding: 'utf8' }).trim();
  const url = `http://127.0.0.1:${port}`;
  const basic = `AuthType Basic
    AuthName "test"
    AuthBasicProvider file
    AuthUserFile "${pw}"`;
  const httpd = startHttpd(dir, `
S3UpSecretFile "${secret}"
S3UpLinkURL ${url}/drop
S3UpPortalURL ${url}/upload
S3UpCacheTTL 30s
S3UpShareMaxExpires 1d
<Location /admin>
    SetHandler s3up-admin
    ${basic}
    Require user ${person('admin')}
    AuthzSendForbiddenOnFailure On
</Location>
<Location /admin-open>
    SetHandler s3up-admin
</Location>
<Location /upload>
    SetHandler s3up-upload
    ${basic}
    Require valid-user
</Location>
<Location /drop>
    SetHandler s3up-drop
</Location>
LogFormat "%u %{S3UP_USER}e %{S3UP_ENDPOINT}e %{S3UP_KEY}e %{S3UP_BYTES}e %>s" s3up_audit
CustomLog "${dir}/audit.log" s3up_audit
`, { HTTPD_PORT: port });
  cleanup(() => httpd.stop());

  const auth = (user) => (user ? { authorization: `Basic ${Buffer.from(`${person(user)}:pw-${user}`).toString('base64')}` } : {});
  const call = async (user, method, path, body, extra = {}) => {
    const headers = { ...auth(user), ...extra };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${url}${path}`, {
      method, headers, redirect: 'manual', body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, json, text, headers: res.headers };
  };
  const admin = (method, path, body, extra) => call('admin', method, `/admin${path}`, body, extra);
  const isError = (res, status, code, name) => ok(res.status === status && res.json?.error?.code === code,
    `${name}: ${status} ${code}`, `got ${res.status} ${res.text.slice(0, 300)}`);
  const q = (params) => new URLSearchParams(params).toString();
  const enc = encodeURIComponent;

  // An upload through the customer API at base (a prefix of routes), with
  // headers (auth or cookie): create, PUT the parts to S3, complete.
  // The size is declared: each part URL is signed for its exact length, cut at the part
  // size the server says.
  const upload = async (base, headers, filename, data) => {
    const h = { ...headers, 'content-type': 'application/json' };
    let res = await fetch(`${url}${base}/s3/multipart`, { method: 'POST', headers: h, body: JSON.stringify({ filename, size: data.length }) });
    const created = await res.json();
    if (res.status !== 200) return { error: created };
    const { partSize } = created;
    const parts = [];
    for (let n = 1, off = 0; off < data.length || n === 1; n++, off += partSize) {
      res = await fetch(`${url}${base}/s3/multipart/${enc(created.uploadId)}/${n}?${q({ key: created.key })}`, { headers });
      const signed = await res.json();
      const put = await fetch(signed.url, { method: 'PUT', body: data.subarray(off, off + partSize) });
      parts.push({ PartNumber: n, ETag: put.headers.get('etag') });
      if (off + partSize >= data.length) break;
    }
    res = await fetch(`${url}${base}/s3/multipart/${enc(created.uploadId)}/complete?${q({ key: created.key })}`, {
      method: 'POST', headers: h, body: JSON.stringify({ parts }),
    });
    return { status: res.status, ...(await res.json()), uploadId: created.uploadId };
  };

  const acme = `acme-${tag}`;

  // -- who may reach the admin API
  let res = await call(null, 'GET', '/admin-open/api/endpoints');
  isError(res, 403, 'Forbidden', 'the admin handler without any Require');
  res = await call(null, 'POST', '/admin-open/api/endpoints', { id: 'x' });
  isError(res, 403, 'Forbidden', 'and no creating through it');
  const adminRoutes = [
    ['GET', '/api/endpoints'], ['POST', '/api/endpoints', { id: 'x' }], ['GET', `/api/endpoints/${acme}`],
    ['PATCH', `/api/endpoints/${acme}`, {}], ['DELETE', `/api/endpoints/${acme}`],
    ['POST', `/api/endpoints/${acme}/links`, {}], ['DELETE', `/api/endpoints/${acme}/links/abc`],
    ['GET', `/api/endpoints/${acme}/files`], ['GET', '/api/download?key=uploads/x/y'],
    ['POST', '/api/share', { key: 'uploads/x/y', expires: 60 }], ['DELETE', '/api/files?key=uploads/x/y'],
    ['GET', `/api/uploads?endpoint=${acme}`], ['DELETE', '/api/uploads?key=uploads/x/y&uploadId=1'],
    ['POST', `/e/${acme}/s3/multipart`, { filename: 'x' }], ['GET', '/'],
  ];
  let refused = 0;
  for (const [method, path, body] of adminRoutes) {
    res = await call('alice', method, `/admin${path}`, body);
    if (res.status === 403) refused++; else note(`${method} ${path}: ${res.status}`);
  }
  is(refused, adminRoutes.length, 'a signed-in non-admin gets 403 on every admin route');

  // -- create
  res = await admin('POST', '/api/endpoints', {
    id: acme, members: [person('alice')], note: 'Acme "Corp"', max_file_size: 100 * MiB,
    link: { passcode: 'open sesame 4711' },
  }, { origin: url });
  is(res.status, 201, 'create: 201');
  is(res.json?.endpoint?.id, acme, 'create: the endpoint');
  is(res.json?.endpoint?.members, [person('alice')], 'create: its members');
  is(res.json?.portal_url, `${url}/upload/e/${acme}/`, 'create: the portal URL to hand out');
  like(res.json?.link?.url ?? '', new RegExp(`^${url}/drop/[A-Za-z0-9_-]{43}$`), 'create: the upload link URL');
  is(res.json?.link?.passcode, 'open sesame 4711', 'create: the passcode, shown this once');
  const link = res.json?.link;
  const record = s3tool('list', `.s3up/links/${link?.id}`);
  ok(record.length === 1 && !JSON.stringify(s3tool('list', '.s3up/links/')).includes(link.url.split('/').pop()),
    'the link record is stored under the hash of its token, never the token');

  res = await admin('POST', '/api/endpoints', { id: acme });
  isError(res, 409, 'Conflict', 'a taken id');
  res = await admin('POST', '/api/endpoints', { id: 'Bad_ID' });
  isError(res, 400, 'BadRequest', 'a bad id');
  res = await admin('POST', '/api/endpoints', { id: `x-${tag}`, members: ['ok', ''] });
  isError(res, 400, 'BadRequest', 'an empty member name');
  res = await admin('POST', '/api/endpoints', { id: `x-${tag}` }, { origin: 'http://evil.example' });
  isError(res, 403, 'CrossOrigin', 'a cross-origin create');

  res = await admin('GET', `/api/endpoints?${q({ q: acme })}`);
  ok(res.status === 200 && res.json?.endpoints?.length === 1 && res.json.endpoints[0].note === 'Acme "Corp"',
    'list with a search: the endpoint', res.text);

  // -- the member uploads
  const memberData = bytes(6 * MiB + 7, 21);
  res = await upload(`/upload/e/${acme}`, auth('alice'), 'from alice.bin', memberData);
  is(res.status, 200, 'the member uploads a file');

  // -- a person with the link and passcode, in "a fresh browser" (no cookies)
  const token = link.url.split('/').pop();
  res = await call(null, 'GET', `/drop/${token}`);
  ok(res.status === 200 && /passcode/i.test(res.text), 'the link asks for the passcode', `${res.status}`);
  const form = (passcode) => fetch(`${url}/drop/${token}`, {
    method: 'POST', redirect: 'manual', body: new URLSearchParams({ passcode }),
    headers: { origin: url },
  });
  let r = await form('wrong one');
  ok(r.status === 303 && /\?wrong=1$/.test(r.headers.get('location')) && !r.headers.get('set-cookie'),
    'a wrong passcode: back to the form, no cookie');
  r = await form('open sesame 4711');
  const setCookie = r.headers.get('set-cookie') ?? '';
  ok(r.status === 303 && r.headers.get('location') === `${url}/drop/`, 'the right passcode: on to the portal', `${r.status} ${r.headers.get('location')}`);
  like(setCookie, /^s3up_link=v1\.[0-9a-f]{64}\./, 'a signed link cookie');
  like(setCookie, /HttpOnly/, 'HttpOnly');
  like(setCookie, /SameSite=Strict/, 'SameSite=Strict');
  like(setCookie, /Path=\/drop\//, 'scoped to the drop location');
  const cookie = { cookie: setCookie.split(';')[0] };
  res = await call(null, 'GET', '/drop/api/session', undefined, cookie);
  ok(res.status === 200 && res.json?.user?.via === 'link' && res.json.endpoints?.[0]?.id === acme,
    'the link opens its one endpoint', res.text);
  const linkData = bytes(1 * MiB + 3, 22);
  res = await upload('/drop', cookie, 'from link.bin', linkData);
  is(res.status, 200, 'a person with only the link uploads a file');
  res = await call(null, 'GET', '/drop/api/session', undefined, { cookie: cookie.cookie.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) });
  isError(res, 401, 'LinkClosed', 'a tampered link cookie');
  res = await call(null, 'GET', '/drop/api/session');
  isError(res, 401, 'LinkClosed', 'no cookie');
  res = await call(null, 'GET', `/drop/api/files?endpoint=${acme}`, undefined, cookie);
  is(res.json?.files?.map((f) => [f.name, f.size]), [['from link.bin', linkData.length]],
    "the link holder lists only what came through the link, not the member's file");

  // -- wrong passcodes, repeated, are refused for a while
  const statuses = [];
  for (let i = 0; i < 6; i++) statuses.push((await form(`guess ${i}`)).status);
  ok(statuses.includes(429), `repeated wrong passcodes are refused (${statuses.join(' ')})`);
  r = await form('open sesame 4711');
  ok(r.status === 429 && r.headers.get('retry-after'), 'even the right one, until the wait is over (or another process serves it)', `${r.status}`);

  // -- the admin sees both files, with their sizes
  res = await admin('GET', `/api/endpoints/${acme}/files`);
  const files = Object.fromEntries((res.json?.files ?? []).map((f) => [f.name, f.size]));
  is(files, { 'from alice.bin': memberData.length, 'from link.bin': linkData.length }, 'the admin sees both files with their sizes');
  is(s3tool('list', `.s3up/facts/${acme}.json`).length, 1, 'who sent them is kept in the bucket\'s state');
  res = await admin('GET', `/api/endpoints/${acme}`);
  ok(res.json?.totals?.files === 2 && res.json.totals.bytes === memberData.length + linkData.length && res.json.totals.complete,
    'totals per endpoint', JSON.stringify(res.json?.totals));
  ok(res.json?.links?.length === 1 && res.json.links[0].has_passcode && !res.text.includes(token), 'the link is listed, without its token');
  is(res.json?.share_max_expires, 86400, 'the longest share this server makes (S3UpShareMaxExpires), for the page');
  const version = res.json?.endpoint?.version;

  // -- download, share, delete
  const aliceKey = `uploads/${acme}/from alice.bin`;
  res = await admin('GET', `/api/download?${q({ key: aliceKey })}`);
  ok(res.status === 302 && res.headers.get('location').includes('X-Amz-Signature'), 'download: 302 to a presigned GET');
  is(res.headers.get('cache-control'), 'no-store', 'not cached');
  r = await fetch(res.headers.get('location'));
  const got = Buffer.from(await r.arrayBuffer());
  is(sha256(got), sha256(memberData), 'the download is the uploaded bytes');
  like(r.headers.get('content-disposition') ?? '', /^attachment; filename="from alice.bin"; filename\*=UTF-8''from%20alice\.bin$/, 'as an attachment with its name');
  res = await admin('POST', '/api/share', { key: aliceKey, expires: 3600 });
  ok(res.status === 200 && res.json?.url && res.json.expires_at, 'share: a URL and when it expires', res.text);
  like(res.json?.url ?? '', new RegExp(`^${url}/drop/s/[A-Za-z0-9_-]{43}$`), 'a short address on this server, by default');
  const curled = execFileSync('curl', ['-sSL', '-o', '-', res.json.url], { maxBuffer: 64 * MiB });
  is(sha256(curled), sha256(memberData), 'a plain curl fetches the shared file');
  res = await admin('POST', '/api/share', { key: aliceKey, expires: 3600, raw: true });
  ok(res.status === 200 && res.json?.kind === 'presigned' && res.json.url.includes('X-Amz-Signature='), 'raw: a presigned S3 address, on request', res.text);
  const rawCurled = execFileSync('curl', ['-sS', '-o', '-', res.json.url], { maxBuffer: 64 * MiB });
  is(sha256(rawCurled), sha256(memberData), 'which a plain curl fetches too');
  res = await admin('POST', '/api/share', { key: aliceKey, expires: 8 * 86400 });
  isError(res, 400, 'BadRequest', 'a share longer than S3UpShareMaxExpires');
  res = await admin('POST', '/api/share', { key: '.s3up/endpoints/x.json', expires: 60 });
  isError(res, 400, 'InvalidKey', 'sharing a state record');
  res = await admin('GET', `/api/download?${q({ key: `uploads/${acme}/../../.s3up/x` })}`);
  isError(res, 400, 'InvalidKey', 'downloading outside the uploads');
  res = await admin('DELETE', `/api/files?${q({ key: `uploads/${acme}/from link.bin` })}`);
  is(res.status, 200, 'delete a file');
  is(s3tool('head', `uploads/${acme}/from link.bin`), null, 'it is gone from the bucket');

  // -- two admins edit at once
  const [e1, e2] = await Promise.all([
    admin('PATCH', `/api/endpoints/${acme}`, { note: 'first', version }),
    admin('PATCH', `/api/endpoints/${acme}`, { note: 'second', version }),
  ]);
  const codes = [e1.status, e2.status].sort();
  is(codes, [200, 409], 'two concurrent edits of one endpoint: one succeeds, the other gets 409');
  res = await admin('PATCH', `/api/endpoints/${acme}`, { note: 'stale', version });
  isError(res, 409, 'Conflict', 'an edit of an old version');

  // -- members change: a new member appears in the index, a removed one goes
  res = await admin('GET', `/api/endpoints/${acme}`);
  res = await admin('PATCH', `/api/endpoints/${acme}`, { members: [person('mallory')], version: res.json.endpoint.version });
  is(res.status, 200, 'members replaced');
  res = await call('mallory', 'GET', '/upload/api/session');
  is(res.json?.endpoints?.map((e) => e.id), [acme], 'the new member has the endpoint');
  res = await call('alice', 'GET', `/upload/e/${acme}/api/files`);
  isError(res, 404, 'NoSuchEndpoint', 'the removed member has not (as if it did not exist)');

  // -- unfinished uploads (started by the admin, into the customer's folder)
  res = await admin('POST', `/e/${acme}/s3/multipart`, { filename: 'half.bin', size: MiB }, { origin: url });
  const half = res.json;
  ok(res.status === 200 && half?.key === `uploads/${acme}/half.bin`, 'the admin starts an upload into the folder', res.text);
  res = await admin('GET', `/e/${acme}/s3/multipart/${enc(half.uploadId)}/1?${q({ key: half.key })}`);
  await fetch(res.json.url, { method: 'PUT', body: bytes(MiB, 3) });
  res = await admin('GET', `/api/uploads?${q({ endpoint: acme })}`);
  ok(res.json?.uploads?.length === 1 && res.json.uploads[0].bytes === MiB && res.json.uploads[0].parts === 1 && res.json.uploads[0].initiated,
    'unfinished uploads listed with their size so far', res.text);
  res = await admin('DELETE', `/api/uploads?${q({ key: half.key, uploadId: half.uploadId })}`);
  is(res.status, 200, 'abort it');
  is(s3tool('uploads', `uploads/${acme}/`), [], 'none left');

  // -- revoking and expiring links
  res = await admin('POST', `/api/endpoints/${acme}/links`, { expires: new Date(Date.now() + 3000).toISOString() });
  const shortLink = res.json?.link;
  ok(res.status === 201 && shortLink?.passcode === null && shortLink.expires, 'a link without passcode, expiring soon', res.text);
  const shortToken = shortLink.url.split('/').pop();
  r = await fetch(`${url}/drop/${shortToken}`, { redirect: 'manual' });
  ok(r.status === 303 && (r.headers.get('set-cookie') ?? '').startsWith('s3up_link='), 'a link without passcode opens at once');
  const shortCookie = { cookie: r.headers.get('set-cookie').split(';')[0] };
  res = await admin('DELETE', `/api/endpoints/${acme}/links/${link.id}`);
  is(res.status, 200, 'revoke the first link');
  res = await call(null, 'GET', '/drop/api/session', undefined, cookie);
  isError(res, 401, 'LinkClosed', "a revoked link's cookie, at once on this server (S3UpCacheTTL 30s)");
  r = await fetch(`${url}/drop/${token}`, { redirect: 'manual' });
  is(r.status, 404, 'the revoked link itself');
  await sleep(Math.max(0, new Date(shortLink.expires) - Date.now()) + 300);
  r = await fetch(`${url}/drop/${shortToken}`, { redirect: 'manual' });
  is(r.status, 410, 'an expired link');
  res = await call(null, 'GET', '/drop/api/session', undefined, shortCookie);
  isError(res, 401, 'LinkClosed', "an expired link's cookie");
  res = await call(null, 'GET', `/drop/${'A'.repeat(43)}`);
  is(res.status, 404, 'a made-up link');

  // -- revoke the endpoint: uploads refused, files kept
  res = await admin('GET', `/api/endpoints/${acme}`);
  res = await admin('PATCH', `/api/endpoints/${acme}`, { status: 'revoked', version: res.json.endpoint.version });
  is(res.json?.endpoint?.status, 'revoked', 'revoke the endpoint');
  for (let i = 0; i < 4; i++) { // several connections, several httpd processes
    res = await call('mallory', 'POST', `/upload/e/${acme}/s3/multipart`, { filename: 'late.bin' });
    isError(res, 403, 'EndpointRevoked', `uploads into a revoked endpoint are refused at once (${i + 1})`);
  }
  ok(s3tool('head', aliceKey) !== null, 'its files are kept');

  // -- delete it with its files
  await upload(`/admin/e/${acme}`, auth('admin'), 'sub/dir/deep.bin', bytes(10, 1)).catch(() => null);
  await admin('POST', `/e/${acme}/s3/multipart`, { filename: 'pending.bin' }, { origin: url });
  res = await admin('DELETE', `/api/endpoints/${acme}?files=delete`);
  ok(res.status === 200 && res.json?.deleted === acme, 'delete the endpoint and its files', res.text);
  is(s3tool('list', `uploads/${acme}/`), [], 'every object under it is gone');
  is(s3tool('uploads', `uploads/${acme}/`), [], 'and every unfinished upload');
  is(s3tool('list', `.s3up/endpoints/${acme}.json`), [], 'and its record');
  is(s3tool('list', `.s3up/facts/${acme}.json`), [], 'and what its files said of themselves');
  res = await admin('GET', `/api/endpoints/${acme}`);
  isError(res, 404, 'NoSuchEndpoint', 'it is no more');

  // -- an endpoint deleted with its files kept, and made again under its id
  const again = `again-${tag}`;
  res = await admin('POST', '/api/endpoints', { id: again, members: [person('alice')] });
  is(res.status, 201, 'an endpoint for alice');
  res = await upload(`/upload/e/${again}`, auth('alice'), 'old contract.pdf', bytes(1000, 9));
  is(res.status, 200, 'alice uploads a file into it');
  res = await admin('DELETE', `/api/endpoints/${again}?files=keep`);
  is(res.status, 200, 'deleted, its files kept');
  res = await admin('POST', '/api/endpoints', { id: again, members: [person('mallory')] });
  isError(res, 409, 'FolderNotEmpty', 'made again for someone else: the old files are not shown silently');
  like(res.json?.error?.message ?? '', /existing_files "keep".*"delete"/, '... the admin is told the choice');
  res = await admin('POST', '/api/endpoints', { id: again, members: [person('mallory')], existing_files: 'keep' });
  is(res.status, 201, '"keep": made, with the old files');
  res = await call('mallory', 'GET', `/upload/e/${again}/api/files`);
  is(res.json?.files?.map((f) => f.name), ['old contract.pdf'], 'and its new member sees them, as the admin chose');
  res = await admin('DELETE', `/api/endpoints/${again}?files=keep`);
  res = await admin('POST', '/api/endpoints', { id: again, members: [person('mallory')], existing_files: 'delete' });
  is(res.status, 201, '"delete": made, after the old files were removed');
  is(s3tool('list', `uploads/${again}/`), [], 'the folder is empty');
  res = await admin('POST', '/api/endpoints', { id: again, existing_files: 'delete' });
  isError(res, 409, 'Conflict', 'a live endpoint is never emptied this way');

  // -- the audit trail
  const log = httpd.errorLog();
  for (const action of ['endpoint-create', 'link-create', 'download', 'share', 'file-delete', 'endpoint-change', 'upload-abort', 'link-revoke', 'endpoint-delete']) {
    like(log, new RegExp(`S3UP0401: admin: user=${person('admin')} action=${action} `), `audit line for ${action}`);
  }
  like(log, /S3UP0303: upload complete: user=link:[0-9a-f]{12} via=link /, 'uploads through a link are logged as the link');
  const access = readFileSync(join(dir, 'audit.log'), 'utf8');
  like(access, new RegExp(`${person('admin')} ${person('admin')} ${acme} - - 201`), 'S3UP_* variables in the access log');
  like(access, new RegExp(`${person('alice')} ${person('alice')} ${acme} uploads/${acme}/from alice.bin ${memberData.length} 200`), 'a completed upload in the access log');
});
