#!/usr/bin/env node
// Several servers, one bucket: two httpd nodes sharing the bucket and their
// S3UpSecretFile, behind a third httpd with mod_proxy_balancer (round robin
// by request, no stickiness), as any load balancer would put them:
// - uploads whose requests alternate between the nodes complete with the
//   right bytes: straight to S3 (create on one node, parts signed by both,
//   complete on either), and through httpd (part tokens made by one node,
//   checked by the other);
// - an endpoint revoked on one node is refused by the other within
//   S3UpCacheTTL (5 s here), even when that one had it cached;
// - the passcode limit of an upload link holds across both;
// - the audit lines of both nodes account for every upload, once each;
// - who uploaded each file, learned by one node's admin file list (a HEAD per
//   file), is read by the other's from the bucket: no HEAD there.
const { mkdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { run, ok, is, note, cleanup, passing } = require('../lib/tap.mjs');
const {
  requireBed, scratch, startHttpd, htpasswd, basicAuth, s3tool, bytes, sha256, randomId, rmSync,
  secret, s3Requests, STATUS_LOCATION,
} = require('../lib/stack.mjs');

requireBed();
const TTL = 5;
const MiB = 1024 * 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const moddir = process.env.HTTPD_MODULE_DIR ?? '/usr/lib/apache2/modules';

run(async () => {
  const dir = scratch('nodes');
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); });
  const tag = randomId();
  const ep = `nodes-${tag}`, gone = `gone-${tag}`, member = `nia-${tag}`, admin = `ned-${tag}`;
  const pw = htpasswd(dir, { [member]: 'pw-m', [admin]: 'pw-a' });
  const key = secret(dir); // one key for both nodes: cookies and part tokens cross over
  const node = (name) => `
S3UpSecretFile "${key}"
S3UpCacheTTL ${TTL}s
S3UpLinkURL /drop
LogFormat "%r %>s" plain
CustomLog "${join(dir, `${name}.access.log`)}" plain
<Location /upload>
    SetHandler s3up-upload
    ${basicAuth(pw)}
</Location>
<Location /proxy>
    SetHandler s3up-upload
    S3UpUploadMode proxy
    ${basicAuth(pw)}
</Location>
<Location /drop>
    SetHandler s3up-drop
</Location>
<Location /admin>
    SetHandler s3up-admin
    ${basicAuth(pw, `user ${admin}`)}
</Location>
${STATUS_LOCATION}
`;
  const nodes = {};
  for (const name of ['one', 'two']) {
    mkdirSync(join(dir, name), { mode: 0o755 });
    nodes[name] = startHttpd(join(dir, name), node(name));
    cleanup(() => nodes[name].stop());
  }
  mkdirSync(join(dir, 'lb'), { mode: 0o755 });
  const lb = startHttpd(join(dir, 'lb'), `
LoadModule proxy_module "${moddir}/mod_proxy.so"
LoadModule proxy_http_module "${moddir}/mod_proxy_http.so"
LoadModule proxy_balancer_module "${moddir}/mod_proxy_balancer.so"
LoadModule lbmethod_byrequests_module "${moddir}/mod_lbmethod_byrequests.so"
LoadModule slotmem_shm_module "${moddir}/mod_slotmem_shm.so"
<Proxy "balancer://nodes">
    BalancerMember "${nodes.one.url}"
    BalancerMember "${nodes.two.url}"
    ProxySet lbmethod=byrequests
</Proxy>
ProxyPreserveHost On
ProxyPass "/" "balancer://nodes/"
ProxyPassReverse "/" "balancer://nodes/"
# As docs/deployment.md has it: no secret in this server's logs (t/run scans them).
SetEnvIf Request_URI "^/drop/(s/)?[A-Za-z0-9_-]{43}$" S3UP_REQUEST="(an upload link's address, hidden)"
SetEnvIfExpr "%{QUERY_STRING} =~ /(^|&)t=/" S3UP_REQUEST="(a proxy part's address, hidden)"
LogLevel debug proxy:info proxy_balancer:info proxy_http:info
`);
  cleanup(() => lb.stop());
  s3tool('endpoint', ep, `members=${member}`);
  s3tool('endpoint', gone, `members=${member}`);

  const basic = (u, p) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
  const call = async (base, method, path, body, who = [member, 'pw-m']) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...basic(...who), origin: base, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: await res.json().catch(() => null) };
  };
  const enc = encodeURIComponent;
  const q = (o) => new URLSearchParams(o).toString();

  // One upload through the balancer, every request a new round: straight to
  // S3 at /upload, through httpd at /proxy.
  const upload = async (loc, name, data) => {
    let res = await call(lb.url, 'POST', `/${loc}/e/${ep}/s3/multipart`, { filename: name, size: data.length });
    if (res.status !== 200) return { res };
    const { key: k, uploadId, partSize } = res.json;
    const parts = [];
    for (let n = 1, off = 0; off < data.length; n++, off += partSize) {
      res = await call(lb.url, 'GET', `/${loc}/e/${ep}/s3/multipart/${enc(uploadId)}/${n}?${q({ key: k })}`);
      const url = loc === 'proxy' ? res.json.url.replace(/^https?:\/\/[^/]+/, lb.url) : res.json.url;
      const put = await fetch(url, { method: 'PUT', headers: loc === 'proxy' ? basic(member, 'pw-m') : {}, body: data.subarray(off, off + partSize) });
      parts.push({ PartNumber: n, ETag: put.headers.get('etag') });
    }
    res = await call(lb.url, 'POST', `/${loc}/e/${ep}/s3/multipart/${enc(uploadId)}/complete?${q({ key: k })}`, { parts });
    return { res, key: k, uploadId };
  };
  const accessLog = (name) => readFileSync(join(dir, `${name}.access.log`), 'utf8');

  // -- uploads alternating between the nodes
  const keys = [];
  for (const [loc, size] of [['upload', 9 * MiB + 5], ['proxy', 11 * MiB + 7]]) {
    const data = bytes(size, size);
    const { res, key: k, uploadId } = await upload(loc, `${loc}-${tag}.bin`, data);
    is(res.status, 200, `${loc}: completed through the balancer`);
    is(s3tool('sha256', k), sha256(data), `${loc}: the bytes are right`);
    const seen = ['one', 'two'].filter((n) => accessLog(n).includes(enc(uploadId)));
    is(seen.length, 2, `${loc}: both nodes served requests of the same upload`);
    keys.push(k);
  }
  for (let i = 0; i < 6; i++) {
    const data = bytes(64 * 1024 + i, i + 1);
    const { res, key: k } = await upload('upload', `small-${i}-${tag}.bin`, data);
    is(res.status, 200, `small upload ${i} completed`);
    keys.push(k);
  }

  // -- the audit lines: each upload once, over both nodes
  const audit = ['one', 'two'].map((n) => nodes[n].errorLog()).join('\n').split('\n')
    .filter((l) => l.includes('S3UP0303'));
  const counts = keys.map((k) => audit.filter((l) => l.includes(`key=${k} `)).length);
  is(counts.join(','), keys.map(() => 1).join(','), `each of the ${keys.length} uploads has one audit line`);
  ok(['one', 'two'].every((n) => nodes[n].errorLog().includes('S3UP0303')), 'both nodes wrote some');

  // -- who uploaded each file: asked once, by one node, for both
  const heads = async (n) => (await s3Requests(`${nodes[n].url}/status`)).HeadObject ?? 0;
  const files = async (n) => call(nodes[n].url, 'GET', `/admin/api/endpoints/${ep}/files`, null, [admin, 'pw-a']);
  const uploaders = (r) => (r.json?.files ?? []).map((f) => f.uploaded_by?.name);
  let before = await heads('one');
  let listed = await files('one');
  is(uploaders(listed), keys.map(() => member), `node one lists the ${keys.length} files, each with its uploader`);
  is(await heads('one') - before, keys.length, '... asking S3 (a HEAD per file)');
  is(s3tool('list', `.s3up/facts/${ep}.json`).length, 1, '... and keeps what it learned in the bucket');
  before = await heads('two');
  listed = await files('two');
  is(uploaders(listed), keys.map(() => member), 'node two lists them with their uploaders too');
  is(await heads('two') - before, 0, '... from the bucket: no HEAD');

  // -- revoked on one node, refused by the other within S3UpCacheTTL
  let res = await call(nodes.two.url, 'POST', `/upload/e/${gone}/s3/multipart`, { filename: 'warm.bin', size: 10 });
  is(res.status, 200, 'node two serves the endpoint (and caches it)');
  res = await call(nodes.one.url, 'PATCH', `/admin/api/endpoints/${gone}`, { status: 'revoked' }, [admin, 'pw-a']);
  is(res.status, 200, 'revoked on node one');
  const t0 = Date.now();
  let refused = null;
  while (Date.now() - t0 < (TTL + 5) * 1000) {
    res = await call(nodes.two.url, 'POST', `/upload/e/${gone}/s3/multipart`, { filename: 'late.bin', size: 10 });
    if (res.status !== 200) {
      refused = Date.now() - t0;
      break;
    }
    await sleep(250);
  }
  note(`node two refused the revoked endpoint after ${refused} ms (${res.status} ${res.json?.error?.code})`);
  ok(refused !== null && refused <= (TTL + 1) * 1000, `node two refuses it within S3UpCacheTTL (${TTL} s)`);

  // -- the passcode limit across both, through the balancer
  res = await call(lb.url, 'POST', `/admin/api/endpoints/${ep}/links`, { passcode: 'correct horse 4711' }, [admin, 'pw-a']);
  is(res.status, 201, 'a link with a passcode');
  const token = res.json.link.url.split('/').pop();
  const statuses = (await Promise.all(Array.from({ length: 30 }, (_, i) => fetch(`${lb.url}/drop/${token}`, {
    method: 'POST', redirect: 'manual', body: new URLSearchParams({ passcode: `wrong ${i}` }),
    headers: { origin: lb.url },
  })))).map((r) => r.status);
  const tally = statuses.reduce((t, s) => ({ ...t, [s]: (t[s] ?? 0) + 1 }), {});
  note(`30 wrong passcodes at once through the balancer: ${JSON.stringify(tally)}`);
  ok((tally[303] ?? 0) <= 5 && (tally[303] ?? 0) + (tally[429] ?? 0) === 30, 'at most 5 verified in all, the rest 429');
  ok(['one', 'two'].every((n) => accessLog(n).includes(`POST /drop/${token}`)), 'both nodes took tries');
});
