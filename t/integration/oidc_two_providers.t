#!/usr/bin/env node
// Customers at one OpenID provider, admins at another: conf/examples/two-providers-*.conf as
// shipped (placeholders replaced), each half in a virtual host of one httpd, with two test
// providers of different issuers (t/lib/oidc.sh twice). Real logins in headless Chromium:
// a customer of provider A uses the customer portal and cannot reach the admin portal,
// whose host trusts provider B only (not even someone whom A puts in s3up-admins); an admin
// of provider B can, and creates an endpoint for the customer and an upload link that opens
// at the customers' host; a non-admin of B gets 403. Both hosts run on 127.0.0.1 on two
// ports, so the browser sends each host's cookies to the other too: the worst case of a
// shared cookie domain. Real httpd + mod_s3up + mod_auth_openidc, Ceph RGW of t/run.
// Needs: apache2, libapache2-mod-auth-openidc, chromium, `npm ci`, `make`.
// CommonJS, as node runs *.t files; the ES modules of t/lib load with require().
const { mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const { request } = require('node:http');
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

// A plain GET without redirects, with exactly the headers given: {status, headers, body}.
function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
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
  const dir = scratch('oidc_two_providers');
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); else note(`kept ${dir}`); });
  const tag = randomId();
  const ep = `split-${tag}`;
  const customer = `alice-${tag}`;
  const upload = `http://127.0.0.1:${freePort()}`; // the customers' host
  const admin = `http://127.0.0.1:${freePort()}`; //  the admins' host

  // -- two providers, the redirect URIs of the examples
  let t0 = performance.now();
  const A = startProvider(join(dir, 'customers-idp'), `${upload}/upload/redirect_uri`, 's3up-customers', cleanup);
  const B = startProvider(join(dir, 'staff-idp'), `${admin}/admin/redirect_uri`, 's3up-admins', cleanup);
  ok(A.issuer !== B.issuer, `two providers, two issuers (${A.issuer}, ${B.issuer})`);

  // -- the examples as a new user fills them in
  const etc = join(dir, 'etc'), log = join(dir, 'log');
  mkdirSync(etc, { mode: 0o700 });
  mkdirSync(log, { mode: 0o755 });
  for (const f of ['link-secret', 'oidc-passphrase-customers', 'oidc-passphrase-admins']) {
    writeFileSync(join(etc, f), `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  }
  const common = [
    ['/etc/apache2/s3up/', `${etc}/`],
    ['/var/log/apache2/', `${log}/`],
    ['https://upload.example.com', upload],
    ['https://admin.example.com', admin],
  ];
  const customers = localise('two-providers-customers.conf', [
    ['https://customers-idp.example.com', A.issuer],
    ['CUSTOMERS_CLIENT_ID', A.clientId],
    ['CUSTOMERS_CLIENT_SECRET', A.clientSecret],
    ...common], dir);
  const admins = localise('two-providers-admins.conf', [
    ['https://staff-idp.example.com', B.issuer],
    ['ADMINS_CLIENT_ID', B.clientId],
    ['ADMINS_CLIENT_SECRET', B.clientSecret],
    ...common], dir);
  const port = (u) => u.replace('http://127.0.0.1:', '');
  const httpd = startHttpd(dir, `
Listen 127.0.0.1:${port(upload)}
Listen 127.0.0.1:${port(admin)}
${OIDC_MODULE}
<VirtualHost 127.0.0.1:${port(upload)}>
    ServerName 127.0.0.1
    Include "${customers}"
</VirtualHost>
<VirtualHost 127.0.0.1:${port(admin)}>
    ServerName 127.0.0.1
    Include "${admins}"
</VirtualHost>
`);
  cleanup(() => httpd.stop());
  note(`two providers + httpd: ${ms(t0)} ms`);

  // -- anonymous: each host sends people to its own provider
  let res = await get(`${upload}/upload/`, { Accept: 'text/html', 'Sec-Fetch-Mode': 'navigate' });
  like(res.headers.location ?? '', new RegExp(`^${A.issuer}/auth\\?`), 'anonymous at the customers\' host: sent to provider A');
  res = await get(`${admin}/admin/`, { Accept: 'text/html', 'Sec-Fetch-Mode': 'navigate' });
  like(res.headers.location ?? '', new RegExp(`^${B.issuer}/auth\\?`), 'anonymous at the admins\' host: sent to provider B');
  const scope = new URL(res.headers.location ?? 'http://x/').searchParams.get('scope');
  is(scope, 'openid email profile groups', '... asking B for the groups scope');
  res = await get(`${upload}/upload/api/session`, { Accept: 'application/json', 'Sec-Fetch-Mode': 'cors' });
  is([res.status, JSON.parse(res.body || '{}').error?.code], [401, 'NotSignedIn'], 'anonymous API call at the customers\' host: mod_s3up\'s JSON 401');

  const b = await launch();
  cleanup(() => b.close());
  const onProviderB = (page) => page.url().startsWith(`${B.issuer}/`);

  // -- a customer of provider A
  const alice = await b.newPage();
  t0 = performance.now();
  res = await login(alice, `${upload}/upload/`, customer);
  note(`alice at provider A: ${ms(t0)} ms`);
  is(res?.status(), 200, 'alice (provider A): the customer portal');
  let r = await api(alice, 'GET', 'api/session');
  is([r.status, r.json?.user], [200, { name: `${customer}@example.com`, via: 'oidc' }], 'alice: api/session names her by her verified email');
  res = await alice.goto(`${admin}/admin/`);
  ok(onProviderB(alice), 'alice at the admins\' host: no session there, sent to provider B\'s login', alice.url());
  r = await alice.request.get(`${admin}/admin/api/endpoints`, {
    headers: { Accept: 'application/json', 'Sec-Fetch-Mode': 'cors' }, maxRedirects: 0,
  });
  is(r.status(), 401, 'alice: the admin API with her cookies: 401');
  const cookies = (await alice.context().cookies()).map((c) => c.name);
  ok(cookies.includes('s3up_customer_session') && !cookies.includes('s3up_admin_session'),
    'alice holds the customers\' session cookie only (OIDCCookie)', cookies.join(' '));

  const ursula = await (await b.newContext()).newPage();
  res = await login(ursula, `${upload}/upload/`, `unverified-${tag}`);
  is(res?.status(), 403, 'an address provider A has not verified: 403 at the customer portal');

  // -- someone provider A puts in s3up-admins is still nobody at the admins' host
  const fake = await (await b.newContext()).newPage();
  res = await login(fake, `${upload}/upload/`, 'admin-at-a');
  is(res?.status(), 200, 'admin-at-a (provider A, groups s3up-admins at A): the customer portal');
  res = await fake.goto(`${admin}/admin/`);
  ok(onProviderB(fake), 'admin-at-a at the admins\' host: A\'s claims count for nothing, sent to provider B', fake.url());
  r = await fake.request.get(`${admin}/admin/api/endpoints`, {
    headers: { Accept: 'application/json', 'Sec-Fetch-Mode': 'cors' }, maxRedirects: 0,
  });
  is(r.status(), 401, 'admin-at-a: the admin API: 401');

  // -- an admin of provider B
  const boss = await (await b.newContext()).newPage();
  t0 = performance.now();
  res = await login(boss, `${admin}/admin/`, `admin-${tag}`);
  note(`admin at provider B: ${ms(t0)} ms`);
  is(res?.status(), 200, 'an admin of provider B: the admin portal');
  r = await api(boss, 'POST', 'api/endpoints', { id: ep, members: [`${customer}@example.com`], link: {} });
  is(r.status, 201, 'the admin creates an endpoint for alice, with an upload link', r.text);
  is(r.json?.portal_url, `${upload}/upload/e/${ep}/`, '... its portal address is at the customers\' host (S3UpPortalURL)');
  like(r.json?.link?.url ?? '', new RegExp(`^${upload}/drop/[A-Za-z0-9_-]{43}$`), '... and so is its link (S3UpLinkURL)');
  const linkUrl = r.json?.link?.url;
  const elsewhere = await boss.context().newPage();
  await elsewhere.goto(`${upload}/upload/`);
  ok(elsewhere.url().startsWith(`${A.issuer}/`), 'the admin at the customers\' host: sent to provider A, like anyone without a session there', elsewhere.url());

  // -- a non-admin of provider B
  const bob = await (await b.newContext()).newPage();
  res = await login(bob, `${admin}/admin/`, 'bob');
  is(res?.status(), 403, 'bob (provider B, not in s3up-admins): 403 at the admin portal');

  // -- the customer sees the new endpoint; the link opens at the customers' host
  res = await alice.goto(`${upload}/upload/`);
  is(res.status(), 200, 'alice: back at the customer portal, still signed in');
  r = await api(alice, 'GET', 'api/session');
  is((r.json?.endpoints ?? []).map((e) => e.id), [ep], 'alice: the admin\'s endpoint is hers');
  const stranger = await (await b.newContext()).newPage();
  res = await stranger.goto(linkUrl);
  is([res.status(), stranger.url()], [200, `${upload}/drop/`], 'the upload link (made at the admins\' host) opens at the customers\' host');
  r = await api(stranger, 'GET', 'api/session');
  is([r.json?.user?.via, (r.json?.endpoints ?? []).map((e) => e.id)], ['link', [ep]], '... with a link cookie signed by the shared S3UpSecretFile');

  // -- clean up, and what the logs say
  r = await api(boss, 'DELETE', `api/endpoints/${ep}?files=delete`);
  is(r.status, 200, 'the admin deletes the endpoint');
  const adminLog = readFileSync(join(log, 's3up-admin.log'), 'utf8');
  like(adminLog, new RegExp(`admin="admin-${tag}@example.com" endpoint="${ep}" .*"POST /admin/api/endpoints"`), 'the admins\' log names the admin and the endpoint');
  ok(b.blocked.every((u) => /fonts\.(googleapis|gstatic)\.com/.test(u)), 'only web fonts were blocked', b.blocked.join('\n'));
  const errors = httpd.errorLog().split('\n')
    .filter((l) => /:(error|crit|alert|emerg)\]/.test(l) && !/\[authz_core:error\]/.test(l));
  is(errors, [], 'no other errors in httpd\'s error log');
});
