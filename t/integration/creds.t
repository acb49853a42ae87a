#!/usr/bin/env node
// Credentials that are fetched, end to end: web identity (STS
// AssumeRoleWithWebIdentity), the container endpoint (ECS / EKS Pod
// Identity) and the instance metadata service (IMDSv2), each played by
// t/lib/awsmeta.py (they exist only inside AWS) and handing out real keys
// of the test RGW, which checks every signature. Also a profile of the
// shared files. Then the keys are rotated in RGW (the old one deleted):
// after the handed-out credentials expire, every location signs with the
// new key. A source that fails gives 503 StoreUnavailable per request and
// an error at startup, never a crash; status shows the expiry.
const { spawn, execFileSync } = require('node:child_process');
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { run, ok, is, like, cleanup, passing, note } = require('../lib/tap.mjs');
const {
  top, requireBed, scratch, startHttpd, htpasswd, basicAuth, secret, s3tool, bytes, sha256,
  randomId, rmSync,
} = require('../lib/stack.mjs');

requireBed();
const LIFETIME = 8; // seconds: refreshed after 4, expired after 8
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rgwAdmin = (...args) => JSON.parse(execFileSync('bash',
  [join(top, 't/lib/rgw.sh'), 'admin', process.env.S3UP_TEST_RGW_DIR, ...args],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }) || 'null');

// A new key of the test user; the old keys stay until removed.
function newKey() {
  const before = new Set(rgwAdmin('user', 'info', '--uid', 'test').keys.map((k) => k.access_key));
  const after = rgwAdmin('key', 'create', '--uid', 'test', '--key-type', 's3', '--gen-access-key',
    '--gen-secret').keys;
  const k = after.find((x) => !before.has(x.access_key));
  return { AccessKeyId: k.access_key, SecretAccessKey: k.secret_key };
}
const removeKey = (id) => execFileSync('bash', [join(top, 't/lib/rgw.sh'), 'admin',
  process.env.S3UP_TEST_RGW_DIR, 'key', 'rm', '--uid', 'test', '--access-key', id], { stdio: 'ignore' });

run(async () => {
  const dir = scratch('creds');
  const meta = join(dir, 'meta');
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); });
  execFileSync('mkdir', ['-p', meta]);

  // The endpoints' checks: what a caller must present.
  const role = 'arn:aws:iam::000000000000:role/s3up-uploads';
  writeFileSync(join(meta, 'role_arn'), role);
  writeFileSync(join(meta, 'web_token'), `eyJ.web-identity.${randomId()}`);
  writeFileSync(join(meta, 'ecs_token'), `ecs-${randomId()}`);
  writeFileSync(join(dir, 'web-token'), readFileSync(join(meta, 'web_token')));
  writeFileSync(join(dir, 'ecs-token'), readFileSync(join(meta, 'ecs_token')));
  let keyA = newKey(), keyB = null;
  cleanup(() => { for (const k of [keyA, keyB]) if (k) try { removeKey(k.AccessKeyId); } catch { /* gone */ } });
  writeFileSync(join(meta, 'creds.json'), JSON.stringify({ ...keyA, lifetime: LIFETIME }));

  const fake = spawn('/usr/bin/python3', [join(top, 't/lib/awsmeta.py'), meta], { stdio: 'inherit' });
  cleanup(() => fake.kill());
  for (let i = 0; i < 100 && !existsSync(join(meta, 'port')); i++) await sleep(50);
  const fakeUrl = `http://127.0.0.1:${readFileSync(join(meta, 'port'), 'utf8')}`;
  const requests = () => (existsSync(join(meta, 'requests.log'))
    ? readFileSync(join(meta, 'requests.log'), 'utf8').trim().split('\n') : []);
  const fetches = (what) => requests().filter((l) => l.startsWith(what) && l.endsWith(' 200')).length;
  const STS = 'POST / ', ECS = 'GET /ecs/creds ', IMDS = 'GET /latest/meta-data/iam/security-credentials/s3up-test-role ';

  // A profile of the shared files: keys (read at startup), and one whose
  // web identity token file does not exist (a broken source).
  writeFileSync(join(dir, 'aws-credentials'), `[uploads]
aws_access_key_id = ${process.env.S3UP_TEST_ACCESS_KEY}
aws_secret_access_key = ${readFileSync(process.env.S3UP_TEST_SECRET_KEY_FILE, 'utf8').trim()}
`);
  writeFileSync(join(dir, 'aws-config'), `[profile broken]
role_arn = ${role}
web_identity_token_file = ${join(dir, 'no-such-token')}
[profile irsa]
role_arn = ${role}
web_identity_token_file = ${join(dir, 'web-token')}
`);
  const env = {
    AWS_ROLE_ARN: role,
    AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, 'web-token'),
    AWS_ENDPOINT_URL_STS: fakeUrl,
    AWS_CONTAINER_CREDENTIALS_FULL_URI: `${fakeUrl}/ecs/creds`,
    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: join(dir, 'ecs-token'),
    AWS_EC2_METADATA_SERVICE_ENDPOINT: fakeUrl,
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'aws-credentials'),
    AWS_CONFIG_FILE: join(dir, 'aws-config'),
  };
  const tag = randomId();
  const user = `cred-${tag}`, ep = `creds-${tag}`;
  const pw = htpasswd(dir, { [user]: 'pw' });
  const sources = {
    wi: 'web-identity', ecs: 'ecs', imds: 'imds', profile: 'profile uploads', irsa: 'profile irsa',
    broken: 'profile broken',
  };
  const httpd = startHttpd(dir, `
S3UpSecretFile "${secret(dir)}"
${Object.entries(sources).map(([loc, src]) => `<Location /${loc}>
    SetHandler s3up-upload
    S3UpCredentials ${src}
    ${basicAuth(pw)}
</Location>`).join('\n')}
<Location /status>
    SetHandler s3up-status
</Location>
`, env);
  cleanup(() => httpd.stop());
  s3tool('endpoint', ep, `members=${user}`);

  // The startup fetch: one line per source, the broken one an error.
  const log = httpd.errorLog();
  for (const from of ['web-identity', 'the container credentials endpoint', 'the instance metadata service']) {
    like(log, new RegExp(`S3UP0106: S3UpCredentials: credentials from ${from}, expiring 20`), `startup: credentials from ${from}`);
  }
  like(log, /S3UP0107: S3UpCredentials: no credentials from profile 'broken': cannot read the web identity token file .*no-such-token/,
    'startup: the broken source is named, with why');
  ok(!/eyJ\.web-identity|ecs-[0-9a-f]{12}|session-[0-9a-f]/.test(log), 'startup: no token or session token in the log');

  const auth = { authorization: `Basic ${Buffer.from(`${user}:pw`).toString('base64')}` };
  const api = async (loc, method, path, body) => {
    const res = await fetch(`${httpd.url}/${loc}/e/${ep}${path}`, {
      method, headers: { ...auth, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), json: await res.json().catch(() => null) };
  };
  const enc = encodeURIComponent;
  // One upload through loc, signed by the module (create, the part URL,
  // complete): RGW accepts each only with a key it knows.
  const upload = async (loc, what) => {
    const data = bytes(256 * 1024, what.length);
    const name = `${loc}-${what}.bin`;
    let res = await api(loc, 'POST', '/s3/multipart', { filename: name, size: data.length });
    if (res.status !== 200) {
      return res;
    }
    const { key, uploadId } = res.json;
    res = await api(loc, 'GET', `/s3/multipart/${enc(uploadId)}/1?key=${enc(key)}`);
    const put = await fetch(res.json.url, { method: 'PUT', body: data });
    res = await api(loc, 'POST', `/s3/multipart/${enc(uploadId)}/complete?key=${enc(key)}`,
      { parts: [{ PartNumber: 1, ETag: put.headers.get('etag') }] });
    is(put.status, 200, `${loc} (${what}): the part URL works`);
    is(s3tool('sha256', key), sha256(data), `${loc} (${what}): stored whole`);
    return res;
  };

  for (const loc of ['wi', 'ecs', 'imds', 'profile', 'irsa']) {
    is((await upload(loc, 'first')).status, 200, `${loc}: an upload completes with ${sources[loc]} credentials`);
  }
  const broken = await api('broken', 'POST', '/s3/multipart', { filename: 'x.bin', size: 10 });
  is(broken.status, 503, 'a failing source: 503');
  is(broken.json?.error?.code, 'StoreUnavailable', 'a failing source: StoreUnavailable');
  ok(Number(broken.retryAfter) > 0, 'a failing source: Retry-After in seconds');
  like(httpd.errorLog(), /S3UP0201: no S3 access: no credentials from profile 'broken'/, 'a failing source: logged per request');

  let status = await (await fetch(`${httpd.url}/status`)).json();
  const expire = Date.parse(status.credentials_expire);
  ok(expire > Date.now() && expire <= Date.now() + LIFETIME * 1000 + 2000, 'status: when the credentials in hand expire');
  ok(status.credentials_fetched >= 3, 'status: credentials fetched are counted');
  ok(status.credentials_failed >= 1, 'status: failed fetches are counted');

  // Rotation: RGW gets key B, key A is deleted; the endpoints hand out B.
  const before = { sts: fetches(STS), ecs: fetches(ECS), imds: fetches(IMDS) };
  keyB = newKey();
  writeFileSync(join(meta, 'creds.json'), JSON.stringify({ ...keyB, lifetime: LIFETIME }));
  removeKey(keyA.AccessKeyId);
  const oldKey = keyA;
  keyA = null;
  await sleep(1000);
  let refused = false;
  try {
    execFileSync('/usr/bin/python3', [join(top, 't/lib/s3tool.py'), 'sha256', 'nothing'], {
      env: { ...process.env, S3UP_TEST_ACCESS_KEY: oldKey.AccessKeyId, S3UP_TEST_SECRET_KEY: oldKey.SecretAccessKey },
      stdio: 'ignore',
    });
  } catch {
    refused = true;
  }
  ok(refused, 'RGW refuses the deleted key (so what follows proves the refresh)');
  // Past the lifetime of every credential handed out before the rotation.
  await sleep(LIFETIME * 1000 + 500);
  for (const loc of ['wi', 'ecs', 'imds', 'irsa']) {
    is((await upload(loc, 'rotated')).status, 200, `${loc}: after expiry, an upload completes with the new key`);
  }
  ok(fetches(STS) > before.sts && fetches(ECS) > before.ecs && fetches(IMDS) > before.imds,
    'each source was asked again');
  status = await (await fetch(`${httpd.url}/status`)).json();
  ok(Date.parse(status.credentials_expire) > expire, 'status: the new expiry');

  // The endpoints fail and the credentials in hand expire: 503, then
  // uploads again once the endpoints are back.
  writeFileSync(join(meta, 'mode'), 'fail');
  await sleep(LIFETIME * 1000 + 500);
  const down = await api('imds', 'POST', '/s3/multipart', { filename: 'y.bin', size: 10 });
  is(down.status, 503, 'endpoints down, credentials expired: 503');
  is(down.json?.error?.code, 'StoreUnavailable', 'endpoints down: StoreUnavailable');
  like(httpd.errorLog(), /no credentials from the instance metadata service: MetadataToken answered HTTP 500/,
    'endpoints down: the log says which source and what it answered');
  writeFileSync(join(meta, 'mode'), 'ok');
  await sleep(5500); // S3UP_CREDS_RETRY_AFTER
  is((await upload('imds', 'back')).status, 200, 'endpoints back: uploads again');
  ok(!/child pid \d+ exit signal/.test(httpd.errorLog()), 'no httpd process crashed');
});
