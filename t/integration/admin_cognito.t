#!/usr/bin/env node
// Creating an endpoint with a Cognito user (S3UpCognitoUserPool), against
// npm cognito-local: the answer carries the username and a temporary
// password, the user exists in the pool (asked with the aws command), and
// the user is the endpoint's member.
// CommonJS, as node runs *.t files; the ES modules of t/lib load with require().
const { execFileSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { run, ok, is, like, cleanup, passing } = require('../lib/tap.mjs');
const {
  top, requireBed, scratch, startHttpd, htpasswd, basicAuth, randomId, rmSync,
} = require('../lib/stack.mjs');

requireBed();

function readEnv(file) {
  return Object.fromEntries(readFileSync(file, 'utf8').split('\n')
    .map((l) => l.match(/^([A-Z_]+)=(.*)$/)).filter(Boolean).map((m) => [m[1], m[2]]));
}

run(async () => {
  const dir = scratch('admin_cognito');
  // Registered first, so it runs last: after every server is stopped.
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); });
  const tag = randomId();
  const cognitoDir = join(dir, 'cognito');
  execFileSync('sh', [join(top, 't/lib/cognito.sh'), 'start', cognitoDir], { stdio: ['ignore', 'inherit', 'inherit'] });
  cleanup(() => execFileSync('sh', [join(top, 't/lib/cognito.sh'), 'stop', cognitoDir]));
  const cognito = readEnv(join(cognitoDir, 'cognito.env'));
  const pw = htpasswd(dir, { [`admin-${tag}`]: 'pw' });
  const httpd = startHttpd(dir, `
S3UpCognitoUserPool ${cognito.COGNITO_USER_POOL_ID}
S3UpCognitoEndpoint ${cognito.COGNITO_ENDPOINT}
<Location /admin>
    SetHandler s3up-admin
    ${basicAuth(pw)}
</Location>
`);
  cleanup(() => httpd.stop());

  const create = (body) => fetch(`${httpd.url}/admin/api/endpoints`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`admin-${tag}:pw`).toString('base64')}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const id = `cust-${tag}`;
  let res = await create({ id, cognito: true });
  const json = await res.json();
  is(res.status, 201, 'create with cognito: 201');
  is(json.cognito?.username, id, 'the Cognito username is the endpoint id');
  const password = json.cognito?.temporary_password ?? '';
  ok(password.length >= 12 && /[A-Z]/.test(password) && /[a-z]/.test(password) && /[0-9]/.test(password) && /[^A-Za-z0-9]/.test(password),
    'a strong temporary password, shown once');
  is(json.endpoint?.members, [id], 'the Cognito user is the endpoint\'s member');

  const user = JSON.parse(execFileSync('aws', ['cognito-idp', 'admin-get-user', '--endpoint-url', cognito.COGNITO_ENDPOINT,
    '--region', 'local', '--user-pool-id', cognito.COGNITO_USER_POOL_ID, '--username', id, '--output', 'json'], {
    encoding: 'utf8', env: { ...process.env, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_PAGER: '' },
  }));
  is(user.Username, id, 'the user exists in the pool');
  is(user.UserStatus, 'FORCE_CHANGE_PASSWORD', 'and must set a new password at first sign-in');

  res = await create({ id, cognito: true });
  is(res.status, 409, 'the same id again: 409, and no second user is tried');
  like(httpd.errorLog(), new RegExp(`S3UP0401: admin: user=admin-${tag} action=cognito-create endpoint=${id} key=- outcome=ok`), 'the Cognito user creation is in the audit log');
  ok(!httpd.errorLog().includes(password), 'the temporary password is not in the log');
});
