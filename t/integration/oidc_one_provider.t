#!/usr/bin/env node
// One OpenID provider for customers and admins, over TLS: conf/examples/tls-mod_ssl.conf as
// shipped, Including portal-oidc.conf and admin-oidc.conf as shipped (placeholders replaced:
// a self-signed certificate, the test provider, this run's paths and ports). What a new
// user gets from them: http goes to https; anonymous API calls get mod_s3up's JSON 401 and
// pages the provider's login (asking for the groups scope); a customer with a verified
// email uses the portal and uploads a file (logged in the uploads log); an unverified
// address and a non-admin get 403 where the examples say; an admin signs in through the
// customer portal's one redirect URI, creates an endpoint and an upload link with a
// passcode, which a stranger opens; session and link cookies are Secure. Real httpd with
// mod_ssl + mod_s3up + mod_auth_openidc, the test provider, Ceph RGW of t/run, Chromium.
// Needs: apache2, libapache2-mod-auth-openidc, chromium, openssl, `npm ci`, `make`.
// CommonJS, as node runs *.t files; the ES modules of t/lib load with require().
const { execFileSync } = require('node:child_process');
const { mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const { join } = require('node:path');
const { randomBytes } = require('node:crypto');
const {
  run, ok, is, like, note, cleanup, passing, launch, login,
} = require('../lib/browser.mjs');
const {
  requireBed, scratch, startHttpd, randomId, rmSync, OIDC_MODULE,
} = require('../lib/stack.mjs');
const { localise, startProvider, freePort, api } = require('../lib/examples.mjs');

requireBed();
const ms = (t0) => Math.round(performance.now() - t0);

// A plain GET without redirects (any certificate): {status, headers, body}.
function get(url, headers = {}) {
  const { request } = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, rejectUnauthorized: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

run(async () => {
  const dir = scratch('oidc_one_provider');
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); else note(`kept ${dir}`); });
  const tag = randomId();
  const customer = `carol-${tag}`, boss = `admin-${tag}`, ep = `tls-${tag}`;
  const tlsPort = freePort(), plainPort = freePort();
  const site = `https://127.0.0.1:${tlsPort}`;

  let t0 = performance.now();
  const idp = startProvider(join(dir, 'idp'), `${site}/upload/redirect_uri`, 's3up-portal', cleanup);

  // -- what a new user makes: secrets, a certificate, the examples filled in
  const etc = join(dir, 'etc'), log = join(dir, 'log'), tls = join(dir, 'tls');
  mkdirSync(etc, { mode: 0o700 });
  mkdirSync(log, { mode: 0o755 });
  mkdirSync(tls, { mode: 0o700 });
  for (const f of ['link-secret', 'oidc-passphrase']) {
    writeFileSync(join(etc, f), `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  }
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', join(tls, 'privkey.pem'), '-out', join(tls, 'fullchain.pem')], { stdio: 'ignore' });
  const pairs = [
    ['/etc/letsencrypt/live/upload.example.com/', `${tls}/`],
    ['/etc/apache2/s3up/', `${etc}/`],
    ['/var/log/apache2/', `${log}/`],
    ['https://idp.example.com', idp.issuer],
    ['CLIENT_ID', idp.clientId],
    ['CLIENT_SECRET', idp.clientSecret],
    ['https://upload.example.com', site],
    ['ServerName upload.example.com', 'ServerName 127.0.0.1'],
    ['*:80', `127.0.0.1:${plainPort}`],
    ['*:443', `127.0.0.1:${tlsPort}`],
  ];
  localise('portal-oidc.conf', pairs, etc);
  localise('admin-oidc.conf', pairs, etc);
  const tlsConf = localise('tls-mod_ssl.conf', pairs, dir);
  const httpd = startHttpd(dir, `
LoadModule socache_shmcb_module /usr/lib/apache2/modules/mod_socache_shmcb.so
LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so
${OIDC_MODULE}
Listen 127.0.0.1:${plainPort}
Listen 127.0.0.1:${tlsPort}
Include "${tlsConf}"
`);
  cleanup(() => httpd.stop());
  note(`provider + httpd: ${ms(t0)} ms`);

  // -- anonymous
  let res = await get(`http://127.0.0.1:${plainPort}/upload/`);
  is([res.status, res.headers.location], [301, `${site}/upload/`], 'http: a permanent redirect to https');
  res = await get(`${site}/upload/api/session`, { Accept: 'application/json', 'Sec-Fetch-Mode': 'cors' });
  is([res.status, JSON.parse(res.body || '{}').error?.code], [401, 'NotSignedIn'], 'anonymous API call: mod_s3up\'s JSON 401');
  res = await get(`${site}/upload/`, { Accept: 'text/html', 'Sec-Fetch-Mode': 'navigate' });
  like(res.headers.location ?? '', new RegExp(`^${idp.issuer}/auth\\?`), 'anonymous page visit: sent to the provider');
  const auth = new URL(res.headers.location ?? 'http://x/');
  is([auth.searchParams.get('scope'), auth.searchParams.get('redirect_uri')],
    ['openid email profile groups', `${site}/upload/redirect_uri`], '... asking for groups, with the one redirect URI');
  like(res.headers['strict-transport-security'] ?? '', /max-age=\d+/, '... and Strict-Transport-Security');

  const b = await launch();
  cleanup(() => b.close());
  const context = () => b.newContext({ ignoreHTTPSErrors: true });

  // -- a customer
  const carol = await (await context()).newPage();
  t0 = performance.now();
  res = await login(carol, `${site}/upload/`, customer);
  note(`customer login: ${ms(t0)} ms`);
  is(res?.status(), 200, 'a customer with a verified email: the portal');
  let r = await api(carol, 'GET', 'api/session');
  is(r.json?.user?.name, `${customer}@example.com`, '... named by her email');
  const session = (await carol.context().cookies()).find((c) => c.name === 'mod_auth_openidc_session');
  is([session?.secure, session?.httpOnly], [true, true], '... her session cookie is Secure and HttpOnly');
  res = await carol.goto(`${site}/admin/`);
  is(res.status(), 403, '... and she is no admin: 403 at /admin');

  const ursula = await (await context()).newPage();
  res = await login(ursula, `${site}/upload/`, `unverified-${tag}`);
  is(res?.status(), 403, 'an unverified email: 403 at the portal');

  // -- an admin, through the same provider and redirect URI
  const admin = await (await context()).newPage();
  res = await login(admin, `${site}/admin/`, boss);
  is(res?.status(), 200, 'an admin (groups claim): the admin portal');
  r = await api(admin, 'POST', 'api/endpoints', {
    id: ep, members: [`${customer}@example.com`], link: { passcode: true },
  });
  is(r.status, 201, 'the admin creates an endpoint with an upload link and a passcode', r.text);
  like(r.json?.link?.url ?? '', new RegExp(`^${site}/drop/`), '... the link is on this host (S3UpLinkURL)');
  like(r.json?.link?.passcode ?? '', /^[a-z2-9]{13}$/, '... with a passcode made up, shown once');
  const link = r.json?.link ?? {};

  // -- the customer uploads a small file through the API; the bytes go to S3
  await carol.goto(`${site}/upload/`);
  r = await api(carol, 'POST', `e/${ep}/s3/multipart`, { filename: 'hello.txt', type: 'text/plain', metadata: { size: 11 } });
  is(r.status, 200, 'the customer starts an upload', r.text);
  const { key, uploadId } = r.json ?? {};
  r = await api(carol, 'GET', `e/${ep}/s3/multipart/${encodeURIComponent(uploadId)}/1?key=${encodeURIComponent(key)}`);
  const put = await fetch(r.json?.url, { method: 'PUT', body: Buffer.from('hello world') });
  is(put.status, 200, '... its part goes to S3 at the signed URL');
  r = await api(carol, 'POST', `e/${ep}/s3/multipart/${encodeURIComponent(uploadId)}/complete?key=${encodeURIComponent(key)}`,
    { parts: [{ PartNumber: 1, ETag: put.headers.get('etag') }] });
  is([r.status, r.json?.key], [200, `uploads/${ep}/hello.txt`], '... and completes');

  // -- a stranger with the link and its passcode
  const stranger = await (await context()).newPage();
  res = await stranger.goto(link.url);
  is(res.status(), 200, 'the link: its passcode page');
  await stranger.fill('input[name="passcode"]', link.passcode);
  await Promise.all([stranger.waitForNavigation(), stranger.click('button[type="submit"]')]);
  is(stranger.url(), `${site}/drop/`, '... the right passcode opens the upload page');
  const linkCookie = (await stranger.context().cookies()).find((c) => c.name === 's3up_link');
  is([linkCookie?.secure, linkCookie?.httpOnly, linkCookie?.sameSite], [true, true, 'Strict'], '... its cookie is Secure, HttpOnly, SameSite=Strict');

  // -- the logs of the examples
  r = await api(admin, 'DELETE', `api/endpoints/${ep}?files=delete`);
  is(r.status, 200, 'the admin deletes the endpoint and its files');
  like(readFileSync(join(log, 's3up-uploads.log'), 'utf8'),
    new RegExp(`user="${customer}@example.com" endpoint="${ep}" key="uploads/${ep}/hello.txt" bytes=11 status=200`),
    'the uploads log has the upload');
  like(readFileSync(join(log, 's3up-admin.log'), 'utf8'),
    new RegExp(`admin="${boss}@example.com" endpoint="${ep}" key="-" status=201 "POST /admin/api/endpoints"`),
    'the admin log has the admin\'s action');
  ok(b.blocked.every((u) => /fonts\.(googleapis|gstatic)\.com/.test(u)), 'only web fonts were blocked', b.blocked.join('\n'));
  const errors = httpd.errorLog().split('\n')
    .filter((l) => /:(error|crit|alert|emerg)\]/.test(l) && !/\[authz_core:error\]/.test(l));
  is(errors, [], 'no other errors in httpd\'s error log');
});
