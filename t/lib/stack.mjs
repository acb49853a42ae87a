// The pieces an integration test starts and inspects, for node tests:
// a private httpd with mod_s3up (t/lib/httpd.sh) and the bucket as botocore
// sees it (t/lib/s3tool.py). The Ceph RGW comes from t/run, through the
// S3UP_TEST_* variables.
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdtempSync, readFileSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash, randomBytes } from 'node:crypto';

export const top = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function readEnv(file) {
  const env = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = line.match(/^([A-Z_0-9]+)=(.*)$/);
    if (m) env[m[1]] = m[2].replace(/^"(.*)"$/, '$1');
  }
  return env;
}

export function requireBed() {
  for (const v of ['S3UP_TEST_ENDPOINT', 'S3UP_TEST_BUCKET', 'S3UP_TEST_ACCESS_KEY']) {
    if (!process.env[v]) {
      process.stdout.write(`Bail out! ${v} is not set: run integration tests through t/run\n`);
      process.exit(1);
    }
  }
}

// A scratch folder under t/tmp (kept when a test fails, for its logs).
// httpd's workers (www-data) must be able to pass through it.
export function scratch(name) {
  mkdirSync(join(top, 't', 'tmp'), { recursive: true });
  const dir = mkdtempSync(join(top, 't', 'tmp', `${name}-`));
  chmodSync(dir, 0o755);
  return dir;
}

// Start httpd with extraConf (text) included; returns {url, dir, stop()}.
export function startHttpd(dir, extraConf, env = {}) {
  const extra = join(dir, 'extra.conf');
  writeFileSync(extra, extraConf);
  execFileSync('bash', [join(top, 't/lib/httpd.sh'), 'start', join(dir, 'httpd'), extra], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, ...env },
  });
  const e = readEnv(join(dir, 'httpd', 'httpd.env'));
  return {
    url: e.HTTPD_URL,
    dir: join(dir, 'httpd'),
    errorLog: () => readFileSync(join(dir, 'httpd', 'error.log'), 'utf8'),
    stop: () => execFileSync('bash', [join(top, 't/lib/httpd.sh'), 'stop', join(dir, 'httpd')]),
    graceful: () => execFileSync('bash', [join(top, 't/lib/httpd.sh'), 'graceful', join(dir, 'httpd')],
      { env: { ...process.env, ...env } }),
  };
}

// A Basic-auth password file with users (name -> password).
export function htpasswd(dir, users) {
  const file = join(dir, 'htpasswd');
  writeFileSync(file, '');
  for (const [name, pw] of Object.entries(users)) {
    execFileSync('htpasswd', ['-bB', file, name, pw], { stdio: 'ignore' });
  }
  return file;
}

export function s3tool(...args) {
  const out = execFileSync('/usr/bin/python3', [join(top, 't/lib/s3tool.py'), ...args], {
    encoding: 'utf8',
  }).trim();
  return out.startsWith('{') || out.startsWith('[') || out === 'null' ? JSON.parse(out) : out;
}

// Deterministic bytes, so a test can say what it sent.
export function bytes(size, seed = 1) {
  const buf = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  const whole = size - (size % 4);
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    if (i < whole) buf.writeUInt32LE(x, i);
    else for (let j = i; j < size; j++) buf[j] = (x >>> (8 * (j - i))) & 255;
  }
  return buf;
}

// The directives of a <Location> that asks for Basic auth against file (from htpasswd()).
export function basicAuth(file, require = 'valid-user') {
  return `AuthType Basic
    AuthName "test"
    AuthBasicProvider file
    AuthUserFile "${file}"
    Require ${require}`;
}

// A S3UpSecretFile for httpd in dir: a random HMAC key, mode 0600.
export function secret(dir) {
  const file = join(dir, 'secret');
  writeFileSync(file, randomBytes(24).toString('hex'), { mode: 0o600 });
  return file;
}

// s3up-status at /status, open to all: for a test server's configuration.
export const STATUS_LOCATION = `
<Location /status>
    SetHandler s3up-status
    Require all granted
</Location>
`;

// The module's S3 requests so far by operation ({HeadObject: n, ...}), from the
// s3up-status handler at statusUrl: counted over all of that httpd's processes.
export async function s3Requests(statusUrl) {
  const res = await fetch(statusUrl);
  const j = await res.json();
  if (!res.ok) throw new Error(`${statusUrl}: ${res.status} ${JSON.stringify(j)}`);
  return Object.fromEntries(Object.entries(j.requests ?? {}).map(([op, v]) => [op, v.requests]));
}

export const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');
export const randomId = (n = 6) => randomBytes(n).toString('hex');
export { rmSync };

// Loads mod_auth_openidc. Under t/run's secret scan (LogLevel debug) it stays at info: at
// debug it writes whole request addresses and its session cookie (docs/configuration.md).
export const OIDC_MODULE = `LoadModule auth_openidc_module /usr/lib/apache2/modules/mod_auth_openidc.so
${/^debug/.test(process.env.S3UP_TEST_LOGLEVEL ?? '') ? 'LogLevel auth_openidc:info' : ''}`;

// httpd with mod_s3up behind mod_auth_openidc and the test provider (t/lib/oidc.sh), for
// browser tests. `locations` is the httpd config of the protected locations (SetHandler
// ...); each of `protect` (URL paths, the first holds the redirect URI) gets AuthType
// openid-connect + Require valid-user from t/lib/oidc-conf.sh. The provider must know the
// redirect URI before it starts, and httpd.sh picks its port only when it starts httpd: so
// the browser-facing port is chosen here, and httpd also Listens on it.
// `locations` may also be a function of that URL (for S3UpLinkURL and the like).
// Returns {url, httpd, issuer}; the provider and httpd stop through cleanup().
export function startOidcHttpd(dir, locations, protect, cleanup) {
  const port = execFileSync(join(top, 't/lib/freeport'), { encoding: 'utf8' }).trim();
  const url = `http://127.0.0.1:${port}`;
  const env = { ...process.env, HTTPD_URL: url };
  const lib = join(top, 't/lib');
  const redirect = execFileSync(join(lib, 'oidc-conf.sh'), ['--redirect-uri', protect[0]], { env, encoding: 'utf8' }).trim();
  execFileSync(join(lib, 'oidc.sh'), ['start', dir], {
    env: { ...env, OIDC_REDIRECT_URIS: redirect }, stdio: ['ignore', 'ignore', 'inherit'],
  });
  cleanup(() => execFileSync(join(lib, 'oidc.sh'), ['stop', dir], { stdio: 'inherit' }));
  const oidcConf = execFileSync(join(lib, 'oidc-conf.sh'), [dir, ...protect], { env, encoding: 'utf8' });
  const httpd = startHttpd(dir, `
Listen 127.0.0.1:${port}
${OIDC_MODULE}
${oidcConf}
${typeof locations === 'function' ? locations(url) : locations}
`);
  cleanup(() => httpd.stop());
  return { url, httpd, issuer: readEnv(join(dir, 'oidc.env')).OIDC_ISSUER };
}

// A file of deterministic bytes (bytes() in 8 MiB pieces, seeds seed, seed+1, ...), written
// without holding it whole in memory; returns its sha256.
export function writeBytesFile(path, size, seed = 1) {
  const hash = createHash('sha256');
  writeFileSync(path, '');
  const piece = 8 * 1024 * 1024;
  for (let off = 0, s = seed; off < size; off += piece, s++) {
    const chunk = bytes(Math.min(piece, size - off), s);
    hash.update(chunk);
    appendFileSync(path, chunk);
  }
  return hash.digest('hex');
}
