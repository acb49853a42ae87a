#!/usr/bin/env node
// Who may do what: every route of every handler, asked by each of seven callers, against
// a real httpd + mod_s3up + Ceph RGW; each answer's status is compared with one table.
//
// The routes are read from the module's source (the s3up_route_t tables of
// src/mod_s3up_*.c): a route added there without a row here fails this test, and so does
// a row whose route is gone. Callers: nobody; a member of endpoint A; a member of B; the
// holder of an upload link of A; the holder of a link since revoked; an admin; someone
// signed in who is neither member nor admin. Each request aims at A and at what its
// owner made (A's member under s3up-upload, the link's holder under s3up-drop, the admin
// under s3up-admin's e/{id}/); requests that change something run the allowed callers last,
// on things made for that request, so a refusal that fails shows as a wrong status.
// Every page the module serves carries the Content-Security-Policy.
// CommonJS, as node runs *.t files; the ES modules of t/lib load with require().
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { run, ok, is, like, note, cleanup, passing } = require('../lib/tap.mjs');
const {
  top, requireBed, scratch, startHttpd, htpasswd, basicAuth, s3tool, randomId, rmSync, secret,
} = require('../lib/stack.mjs');

requireBed();

// -- the routes, as the source declares them
const MOUNTS = {
  // table name -> the handlers that serve it, at which prefix below their location
  upload_routes: ['upload', 'drop', 'admin-e'],
  token_routes: ['upload', 'drop', 'admin-e'],
  admin_routes: ['admin'],
  link_routes: ['drop'],
  share_routes: ['drop'],
};
function declaredRoutes() {
  const routes = [];
  for (const file of ['mod_s3up_upload.c', 'mod_s3up_admin.c', 'mod_s3up_drop.c']) {
    const src = readFileSync(join(top, 'src', file), 'utf8');
    for (const [, table, body] of src.matchAll(/static const s3up_route_t (\w+)\[\] = \{([\s\S]*?)\n\};/g)) {
      for (const [, method, pattern] of body.matchAll(/\{"([A-Z]+)", "([^"]*)"/g)) {
        for (const handler of MOUNTS[table] ?? [`unknown table ${table} in ${file}`]) {
          routes.push(`${handler} ${method} ${pattern}`);
        }
      }
    }
  }
  return routes;
}

const CALLERS = ['anon', 'memberA', 'memberB', 'linkA', 'revoked', 'admin', 'nonAdmin'];

run(async () => {
  const dir = scratch('authz_matrix');
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); });
  const tag = randomId();
  const A = `ma-${tag}`, B = `mb-${tag}`;
  const who = { memberA: `alice-${tag}`, memberB: `bob-${tag}`, admin: `ada-${tag}`, nonAdmin: `nina-${tag}` };
  const pw = htpasswd(dir, Object.fromEntries(Object.values(who).map((n) => [n, `pw-${n}`])));
  const httpd = startHttpd(dir, `
S3UpSecretFile "${secret(dir)}"
S3UpLinkURL /drop
S3UpPortalURL /upload
<Location /upload>
    SetHandler s3up-upload
    ${basicAuth(pw)}
</Location>
<Location /drop>
    SetHandler s3up-drop
</Location>
<Location /admin>
    SetHandler s3up-admin
    ${basicAuth(pw, `user ${who.admin}`)}
    AuthzSendForbiddenOnFailure On
</Location>
`);
  cleanup(() => httpd.stop());
  const url = httpd.url;
  s3tool('endpoint', A, `members=${who.memberA}`);
  s3tool('endpoint', B, `members=${who.memberB}`);

  const basic = (name) => ({ authorization: `Basic ${Buffer.from(`${name}:pw-${name}`).toString('base64')}` });
  const headers = {
    anon: {}, memberA: basic(who.memberA), memberB: basic(who.memberB), admin: basic(who.admin), nonAdmin: basic(who.nonAdmin),
  };
  const send = async (caller, method, path, body) => {
    const h = { ...headers[caller], origin: url, accept: 'application/json' };
    let payload;
    if (body instanceof Buffer) payload = body;
    else if (body !== undefined) { h['content-type'] = 'application/json'; payload = JSON.stringify(body); }
    const res = await fetch(`${url}${path}`, { method, headers: h, body: payload, redirect: 'manual' });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* a page */ }
    return { status: res.status, json, text, headers: res.headers };
  };
  const must = async (what, promise) => {
    const res = await promise;
    if (res.status >= 400) throw new Error(`${what}: ${res.status} ${res.text.slice(0, 200)}`);
    return res;
  };
  const q = (params) => new URLSearchParams(params).toString();
  const enc = encodeURIComponent;

  // -- the link holders
  const newLink = async (body = {}) => (await must('link', send('admin', 'POST', `/admin/api/endpoints/${A}/links`, body))).json.link;
  const cookieOf = async (link) => {
    const res = await fetch(`${url}/drop/${link.url.split('/').pop()}`, { redirect: 'manual' });
    return (res.headers.get('set-cookie') ?? '').split(';')[0];
  };
  const live = await newLink();
  headers.linkA = { cookie: await cookieOf(live) };
  const gone = await newLink();
  headers.revoked = { cookie: await cookieOf(gone) };
  await must('revoke', send('admin', 'DELETE', `/admin/api/endpoints/${A}/links/${gone.id}`));
  ok(headers.linkA.cookie.startsWith('s3up_link=') && headers.revoked.cookie.startsWith('s3up_link='), 'two link cookies, one of a revoked link');

  // -- what each handler's owner makes, to be asked about
  const base = { upload: `/upload/e/${A}`, drop: '/drop', 'admin-e': `/admin/e/${A}` };
  const owner = { upload: 'memberA', drop: 'linkA', 'admin-e': 'admin' };
  let n = 0;
  const fresh = (stem) => `${stem}-${++n}.bin`;
  const createUpload = async (h, size = 5) => {
    const body = { filename: fresh('m') };
    if (size !== null) body.size = size;
    return (await must(`create (${h})`, send(owner[h], 'POST', `${base[h]}/s3/multipart`, body))).json;
  };
  const withPart = async (h) => {
    const up = await createUpload(h);
    const signed = await must('sign', send(owner[h], 'GET', `${base[h]}/s3/multipart/${enc(up.uploadId)}/1?${q({ key: up.key })}`));
    const put = await fetch(signed.json.url, { method: 'PUT', body: Buffer.from('hello') });
    return { ...up, etag: put.headers.get('etag') };
  };
  // A file sent in one POST form, by the handler's owner.
  const posted = async (h) => {
    const params = (await must(`params (${h})`, send(owner[h], 'GET', `${base[h]}/s3/params?${q({ filename: fresh('s'), size: 5 })}`))).json;
    const form = new FormData();
    for (const [k, v] of Object.entries(params.fields)) form.append(k, v);
    form.append('file', new Blob([Buffer.from('hello')]));
    const res = await fetch(params.url, { method: 'POST', body: form });
    if (res.status >= 300) throw new Error(`POST form: ${res.status}`);
    return params.fields.key;
  };
  const tokenUrl = async (h) => {
    const up = await createUpload(h, null);
    const signed = await must('sign', send(owner[h], 'GET', `${base[h]}/s3/multipart/${enc(up.uploadId)}/1?${q({ key: up.key })}`));
    const u = new URL(signed.json.url);
    return `${u.pathname}${u.search}`;
  };
  const uploadPath = (h, up, tail = '', query = {}) => `${base[h]}/s3/multipart/${enc(up.uploadId)}${tail}?${q({ key: up.key, ...query })}`;

  // Expected statuses: who is turned away before the module (httpd's own auth), who the
  // module does not know, and who may.
  const people = ['memberA', 'memberB', 'admin', 'nonAdmin'];
  const byHandler = {
    // Basic auth, Require valid-user: no person, httpd's 401.
    upload: (allowed, refused) => ({
      anon: 401, linkA: 401, revoked: 401, ...Object.fromEntries(people.map((p) => [p, p === 'memberA' ? allowed : refused])),
    }),
    // No httpd auth: only the live link's cookie names someone.
    drop: (allowed) => ({ ...Object.fromEntries(CALLERS.map((c) => [c, 401])), linkA: allowed }),
    // Require user <admin>: others httpd refuses (401 with no credentials, else 403).
    admin: (allowed) => ({
      anon: 401, linkA: 401, revoked: 401, memberA: 403, memberB: 403, nonAdmin: 403, admin: allowed,
    }),
  };
  byHandler['admin-e'] = byHandler.admin;
  const expectFor = (h, allowed, refused) => (h === 'upload' ? byHandler.upload(allowed, refused) : byHandler[h](allowed));

  // -- the matrix: one row per route and handler
  const rows = {};
  const row = (key, spec) => { rows[key] = spec; };
  for (const h of ['upload', 'drop', 'admin-e']) {
    // Endpoint-wide routes: another's endpoint is as unknown (404), a key outside is 403.
    row(`${h} GET api/session`, { req: () => ({ path: `${base[h]}/api/session` }), expect: expectFor(h, 200, 200) });
    row(`${h} GET api/files`, { req: () => ({ path: `${base[h]}/api/files` }), expect: expectFor(h, 200, 404) });
    row(`${h} GET s3/params`, { req: () => ({ path: `${base[h]}/s3/params?${q({ filename: fresh('p'), size: 5 })}` }), expect: expectFor(h, 200, 404) });
    // Arrived: only who sent the file may say so (others: outside their endpoints).
    row(`${h} POST api/arrived`, { setup: () => posted(h), req: (key) => ({ method: 'POST', path: `${base[h]}/api/arrived`, body: { key } }), expect: expectFor(h, 200, 403) });
    row(`${h} POST s3/multipart`, { req: () => ({ method: 'POST', path: `${base[h]}/s3/multipart`, body: { filename: fresh('c'), size: 5 } }), expect: expectFor(h, 200, 404) });
    row(`${h} GET s3/multipart/{uploadId}`, { setup: () => createUpload(h), req: (up) => ({ path: uploadPath(h, up) }), expect: expectFor(h, 200, 403) });
    row(`${h} DELETE s3/multipart/{uploadId}`, { setup: () => createUpload(h), req: (up) => ({ method: 'DELETE', path: uploadPath(h, up) }), expect: expectFor(h, 200, 403) });
    row(`${h} POST s3/multipart/{uploadId}/complete`, {
      setup: () => withPart(h), req: (up) => ({ method: 'POST', path: uploadPath(h, up, '/complete'), body: { parts: [{ PartNumber: 1, ETag: up.etag }] } }), expect: expectFor(h, 200, 403),
    });
    row(`${h} GET s3/multipart/{uploadId}/batch`, { setup: () => createUpload(h), req: (up) => ({ path: uploadPath(h, up, '/batch', { partNumbers: '1' }) }), expect: expectFor(h, 200, 403) });
    row(`${h} GET s3/multipart/{uploadId}/{partNumber}`, { setup: () => createUpload(h), req: (up) => ({ path: uploadPath(h, up, '/1') }), expect: expectFor(h, 200, 403) });
    // A part through httpd: its token is the authority (like a presigned URL); httpd's
    // own authentication of the location still applies.
    row(`${h} PUT s3/multipart/{uploadId}/{partNumber}/data`, {
      setup: () => tokenUrl(h),
      req: (path) => ({ method: 'PUT', path, body: Buffer.from('bytes') }),
      expect: h === 'drop' ? Object.fromEntries(CALLERS.map((c) => [c, 200])) : expectFor(h, 200, 200),
    });
  }
  const tokenOf = (link) => link.url.split('/').pop();
  // A link's address: open to anyone who has it (this one has no passcode: the cookie).
  row('drop GET {token}', { req: () => ({ path: `/drop/${tokenOf(live)}` }), expect: Object.fromEntries(CALLERS.map((c) => [c, 303])) });
  row('drop POST {token}', { req: () => ({ method: 'POST', path: `/drop/${tokenOf(live)}`, body: Buffer.from('') }), expect: Object.fromEntries(CALLERS.map((c) => [c, 303])) });
  // A share address: the file, for anyone who has it.
  const file = () => { const key = `uploads/${A}/${fresh('f')}`; s3tool('put', key, '-'); return key; };
  const newShare = async () => (await must('share', send('admin', 'POST', '/admin/api/share', { key: file(), expires: 3600 }))).json;
  row('drop GET s/{token}', { setup: newShare, req: (sh) => ({ path: `/drop/s/${tokenOf(sh)}` }), expect: Object.fromEntries(CALLERS.map((c) => [c, 302])) });

  // The admin API.
  const adminRow = (method, pattern, spec) => row(`admin ${method} ${pattern}`, { ...spec, expect: byHandler.admin(spec.allowed) });
  const freshEndpoint = () => { const id = `x-${tag}-${++n}`; s3tool('endpoint', id, 'members='); return id; };
  adminRow('GET', 'api/endpoints', { req: () => ({ path: '/admin/api/endpoints' }), allowed: 200 });
  adminRow('POST', 'api/endpoints', { req: () => ({ method: 'POST', path: '/admin/api/endpoints', body: { id: `n-${tag}-${++n}` } }), allowed: 201 });
  adminRow('GET', 'api/endpoints/{id}', { req: () => ({ path: `/admin/api/endpoints/${A}` }), allowed: 200 });
  adminRow('PATCH', 'api/endpoints/{id}', { req: () => ({ method: 'PATCH', path: `/admin/api/endpoints/${A}`, body: { note: 'n' } }), allowed: 200 });
  adminRow('DELETE', 'api/endpoints/{id}', { setup: freshEndpoint, req: (id) => ({ method: 'DELETE', path: `/admin/api/endpoints/${id}?files=keep` }), allowed: 200 });
  adminRow('POST', 'api/endpoints/{id}/links', { req: () => ({ method: 'POST', path: `/admin/api/endpoints/${A}/links`, body: {} }), allowed: 201 });
  adminRow('DELETE', 'api/endpoints/{id}/links/{link}', { setup: () => newLink(), req: (l) => ({ method: 'DELETE', path: `/admin/api/endpoints/${A}/links/${l.id}` }), allowed: 200 });
  adminRow('DELETE', 'api/endpoints/{id}/links/{link}/lock', { setup: () => newLink({ passcode: true }), req: (l) => ({ method: 'DELETE', path: `/admin/api/endpoints/${A}/links/${l.id}/lock` }), allowed: 200 });
  adminRow('GET', 'api/endpoints/{id}/files', { req: () => ({ path: `/admin/api/endpoints/${A}/files` }), allowed: 200 });
  adminRow('GET', 'api/endpoints/{id}/shares', { req: () => ({ path: `/admin/api/endpoints/${A}/shares` }), allowed: 200 });
  adminRow('DELETE', 'api/endpoints/{id}/shares/{share}', { setup: newShare, req: (sh) => ({ method: 'DELETE', path: `/admin/api/endpoints/${A}/shares/${sh.share.id}` }), allowed: 200 });
  adminRow('GET', 'api/download', { setup: file, req: (key) => ({ path: `/admin/api/download?${q({ key })}` }), allowed: 302 });
  adminRow('POST', 'api/share', { setup: file, req: (key) => ({ method: 'POST', path: '/admin/api/share', body: { key, expires: 3600 } }), allowed: 200 });
  adminRow('DELETE', 'api/files', { setup: file, req: (key) => ({ method: 'DELETE', path: `/admin/api/files?${q({ key })}` }), allowed: 200 });
  adminRow('GET', 'api/uploads', { req: () => ({ path: `/admin/api/uploads?${q({ endpoint: A })}` }), allowed: 200 });
  adminRow('DELETE', 'api/uploads', { setup: () => createUpload('upload'), req: (up) => ({ method: 'DELETE', path: `/admin/api/uploads?${q({ key: up.key, uploadId: up.uploadId })}` }), allowed: 200 });

  // -- every route has a row, every row a route
  const declared = declaredRoutes();
  ok(declared.length > 20, `the route tables read from the source (${declared.length} routes)`);
  for (const r of declared) ok(rows[r], `a row for ${r}`);
  for (const r of Object.keys(rows)) ok(declared.includes(r), `the row ${r} is a route of the module`);

  // -- ask
  const allowed = (expect, c) => expect[c] < 400;
  for (const [key, spec] of Object.entries(rows)) {
    const got = {};
    // Refused callers first, on the same thing; the allowed last.
    const order = [...CALLERS].sort((a, b) => allowed(spec.expect, a) - allowed(spec.expect, b));
    const ctx = spec.setup ? await spec.setup() : undefined;
    for (const caller of order) {
      const { method = 'GET', path, body } = spec.req(ctx);
      got[caller] = (await send(caller, method, path, body)).status;
    }
    const want = Object.fromEntries(CALLERS.map((c) => [c, spec.expect[c]]));
    is(Object.fromEntries(CALLERS.map((c) => [c, got[c]])), want, key);
  }

  // -- pages: every page the module serves carries the policy
  const pages = [
    ['memberA', `/upload/`], ['memberA', `/upload/e/${A}/`], ['admin', '/admin/'], ['linkA', '/drop/'],
    ['anon', `/drop/${tokenOf(await newLink({ passcode: true }))}`], ['anon', `/drop/${'A'.repeat(43)}`],
    ['anon', `/drop/s/${'A'.repeat(43)}`],
  ];
  for (const [caller, path] of pages) {
    const res = await send(caller, 'GET', path);
    const csp = res.headers.get('content-security-policy') ?? '';
    ok(res.status < 500 && /text\/html/.test(res.headers.get('content-type') ?? '')
      && /script-src 'self'/.test(csp) && /frame-ancestors 'none'/.test(csp) && /default-src 'none'/.test(csp)
      && !/unsafe-inline/.test(csp), `${path} (${res.status}): a Content-Security-Policy`, csp);
  }
  const res = await send('memberA', 'GET', '/upload/');
  like(res.headers.get('content-security-policy') ?? '', new RegExp(`connect-src 'self' ${process.env.S3UP_TEST_ENDPOINT.replace(/[.]/g, '\\.')}`),
    'the portal may connect to the store it sends parts to');
  note(`httpd log: ${httpd.dir}/error.log`);
});
