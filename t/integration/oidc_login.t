#!/usr/bin/env node
// Sign-in through mod_auth_openidc with the test provider, in headless Chromium.
//
// Starts the provider (t/lib/oidc.sh) and a private httpd (mod_auth_openidc configured by
// t/lib/oidc-conf.sh, the fragment the product tests Include too) with a CGI that prints what
// a handler would see: REMOTE_USER and the OIDC_CLAIM_* environment. Checks what anonymous
// callers get, what a signed-in person's request carries, and that only admins (groups claim)
// pass `Require claim groups:s3up-admins`. Needs: apache2, libapache2-mod-auth-openidc,
// chromium, `npm ci`.

// CommonJS on purpose: node runs a file named *.t as CommonJS; the ES modules of t/lib are
// loaded with require() (node >= 20.19).
const { spawn, execFileSync } = require('node:child_process');
const { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { request } = require('node:http');
const { createServer } = require('node:net');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const {
  run, plan, ok, is, like, note, diag, cleanup, passing, launch, login,
} = require('../lib/browser.mjs');

const LIB = join(__dirname, '..', 'lib');
const MODULES = '/usr/lib/apache2/modules';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

// A plain HTTP GET without redirects, with exactly the headers given.
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

async function waitForHttp(url, child, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`httpd exited with ${child.exitCode}`);
    try { return await get(url); } catch { await new Promise((r) => setTimeout(r, 50)); }
  }
  throw new Error(`no answer from ${url} after ${ms} ms`);
}

// The CGI's text/plain body: NAME=value lines.
function parseEnv(text) {
  const env = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) env[line.slice(0, i)] = line.slice(i + 1);
  }
  return env;
}

const ms = (t0) => Math.round(performance.now() - t0);

run(async () => {
  plan(27);

  const dir = mkdtempSync(join(tmpdir(), 's3up-oidc-'));
  chmodSync(dir, 0o755); // httpd's children (www-data when we are root) read the CGI here
  // Kept for a look when a test failed.
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); else diag(`kept ${dir}`); });

  // 1. httpd's address first: the provider must know the redirect URI when it starts.
  const httpd = `http://127.0.0.1:${await freePort()}`;
  const env = { ...process.env, HTTPD_URL: httpd };
  const redirectUri = execFileSync(`${LIB}/oidc-conf.sh`, ['--redirect-uri', '/upload'], { env }).toString().trim();

  // 2. The provider.
  let t0 = performance.now();
  execFileSync(`${LIB}/oidc.sh`, ['start', dir], { env: { ...env, OIDC_REDIRECT_URIS: redirectUri }, stdio: ['ignore', 'ignore', 'inherit'] });
  cleanup(() => execFileSync(`${LIB}/oidc.sh`, ['stop', dir], { stdio: 'inherit' }));
  note(`provider start (oidc.sh start, node + oidc-provider until ready): ${ms(t0)} ms`);
  const oidc = parseEnv(readFileSync(join(dir, 'oidc.env'), 'utf8'));
  like(oidc.OIDC_ISSUER, /^http:\/\/127\.0\.0\.1:\d+$/, 'oidc.sh wrote the issuer');
  const discovery = JSON.parse((await get(`${oidc.OIDC_ISSUER}/.well-known/openid-configuration`)).body);
  is(discovery.issuer, oidc.OIDC_ISSUER, 'provider serves its discovery document');

  // 3. httpd with the fragment of oidc-conf.sh and a CGI that shows the environment.
  const fragment = execFileSync(`${LIB}/oidc-conf.sh`, [dir, '/upload', '/admin=claim groups:s3up-admins', '/verified=claim email_verified:true'], { env }).toString();
  writeFileSync(join(dir, 'oidc.conf'), fragment);
  writeFileSync(join(dir, 'whoami.cgi'), [
    '#!/bin/sh',
    'printf "Content-Type: text/plain\\n\\n"',
    'echo "REMOTE_USER=$REMOTE_USER"',
    'echo "AUTH_TYPE=$AUTH_TYPE"',
    'env | grep -E "^(OIDC_|HTTP_OIDC)" | sort',
    '',
  ].join('\n'), { mode: 0o755 });
  const root = process.getuid() === 0;
  const load = ['mpm_event', 'authz_core', 'authz_user', 'authn_core', 'auth_openidc', 'mime', 'env',
    'headers', 'setenvif', 'alias', 'dir', 'cgid'];
  writeFileSync(join(dir, 'httpd.conf'), `
ServerRoot "${dir}"
ServerName 127.0.0.1
Listen ${httpd.replace('http://', '')}
${load.map((m) => `LoadModule ${m}_module ${MODULES}/mod_${m}.so`).join('\n')}
${root ? 'User www-data\nGroup www-data' : ''}
PidFile ${dir}/httpd.pid
DefaultRuntimeDir ${dir}
ScriptSock ${dir}/cgid.sock
ErrorLog ${dir}/error.log
LogLevel warn auth_openidc:info
LogFormat "%h %u \\"%r\\" %>s %b %Dus" t
CustomLog ${dir}/access.log t
StartServers 1
ServerLimit 1
ThreadsPerChild 16
MaxRequestWorkers 16
MinSpareThreads 1
MaxSpareThreads 16
TypesConfig /etc/mime.types
DocumentRoot ${dir}
<Directory />
    Require all denied
    AllowOverride None
</Directory>
ScriptAlias /upload/whoami ${dir}/whoami.cgi
ScriptAlias /admin/whoami ${dir}/whoami.cgi
ScriptAlias /verified/whoami ${dir}/whoami.cgi
<Files whoami.cgi>
    Require all granted
</Files>
Include ${dir}/oidc.conf
`);
  t0 = performance.now();
  const child = spawn('apache2', ['-f', join(dir, 'httpd.conf'), '-DFOREGROUND'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  cleanup(async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10000);
    await exited;
    clearTimeout(killer);
  });
  await waitForHttp(`${httpd}/`, child, 15000);
  note(`httpd start: ${ms(t0)} ms`);

  // 4. Anonymous: a page navigation is sent to the provider, an API call gets 401.
  const whoami = `${httpd}/upload/whoami`;
  let res = await get(whoami, { Accept: 'text/html', 'Sec-Fetch-Mode': 'navigate' });
  is(res.status, 302, 'anonymous navigation: 302');
  like(res.headers.location ?? '', new RegExp(`^${oidc.OIDC_ISSUER}/auth\\?`), '... to the provider\'s authorization endpoint');
  const auth = new URL(res.headers.location ?? 'http://x/');
  is(auth.searchParams.get('code_challenge_method'), 'S256', '... with PKCE S256');
  is(auth.searchParams.get('scope'), 'openid email profile groups', '... asking for the groups scope');
  res = await get(whoami, { Accept: 'application/json', 'Sec-Fetch-Mode': 'cors', 'X-Requested-With': 'XMLHttpRequest' });
  is(res.status, 401, 'anonymous API-style request: 401');
  res = await get(`${httpd}/admin/whoami`, { Accept: 'application/json', 'Sec-Fetch-Mode': 'cors' });
  is(res.status, 401, 'anonymous API-style request to the admin location: 401');

  // 5. A customer signs in.
  const b = await launch();
  cleanup(() => b.close());
  const page = await b.newPage();
  t0 = performance.now();
  res = await login(page, whoami, 'alice');
  note(`login round trip (alice, cold: provider login + consent + httpd callback): ${ms(t0)} ms`);
  is(res?.status(), 200, 'alice: back on the protected URL with 200');
  let seen = parseEnv(await page.textContent('body'));
  is(seen.REMOTE_USER, 'alice', 'alice: REMOTE_USER is preferred_username');
  is(seen.AUTH_TYPE, 'openid-connect', 'alice: AUTH_TYPE');
  is(seen.OIDC_CLAIM_email, 'alice@example.com', 'alice: OIDC_CLAIM_email');
  is(seen.OIDC_CLAIM_groups, 'customers', 'alice: OIDC_CLAIM_groups');
  is(seen.OIDC_CLAIM_preferred_username, 'alice', 'alice: OIDC_CLAIM_preferred_username');
  is(Object.keys(seen).filter((k) => k.startsWith('HTTP_OIDC')), [], 'alice: claims are not passed as request headers');

  // Same browser, an API call (fetch from the page) is now authenticated by the session cookie.
  const api = await page.evaluate(async (u) => {
    const r = await fetch(u, { headers: { Accept: 'application/json' } });
    return { status: r.status, text: await r.text() };
  }, whoami);
  is(api.status, 200, 'alice: fetch() from the page carries the session');
  is(parseEnv(api.text).REMOTE_USER, 'alice', '... and is alice');

  res = await page.goto(`${httpd}/admin/whoami`);
  is(res.status(), 403, 'alice (not in s3up-admins): 403 on the admin location');
  res = await page.goto(`${httpd}/verified/whoami`);
  is(res.status(), 200, 'alice (email verified): `Require claim email_verified:true` lets her in');

  // An address the provider has not verified (conf/examples identify people by email).
  const unverified = await (await b.newContext()).newPage();
  res = await login(unverified, `${httpd}/verified/whoami`, 'unverified-ursula');
  is(res?.status(), 403, 'an unverified email: 403 where email_verified is required');

  // 6. An admin signs in, in a separate context (own cookies).
  const adminCtx = await b.newContext();
  const adminPage = await adminCtx.newPage();
  t0 = performance.now();
  res = await login(adminPage, `${httpd}/admin/whoami`, 'admin1');
  note(`login round trip (admin1, browser warm): ${ms(t0)} ms`);
  is(res?.status(), 200, 'admin1: 200 on the admin location');
  seen = parseEnv(await adminPage.textContent('body'));
  is(seen.REMOTE_USER, 'admin1', 'admin1: REMOTE_USER');
  is(seen.OIDC_CLAIM_groups, 's3up-admins,staff', 'admin1: groups joined with ","');
  is(seen.OIDC_CLAIM_email, 'admin1@example.com', 'admin1: email');

  res = await adminPage.goto(whoami);
  is(res.status(), 200, 'admin1: the customer location too');

  // 7. Only loopback was used; what was blocked is expected to be the provider's web fonts.
  ok(b.blocked.every((u) => /fonts\.(googleapis|gstatic)\.com/.test(u)), 'only web fonts were blocked', b.blocked.join('\n'));

  // authz_core logs every refusal as an error: those were asked for above.
  const errors = readFileSync(join(dir, 'error.log'), 'utf8').split('\n')
    .filter((l) => /:(error|crit|alert|emerg)\]/.test(l) && !/\[authz_core:error\]/.test(l));
  is(errors, [], 'no other errors in httpd\'s error log');
});
