#!/usr/bin/env node
// A throwaway OpenID Connect provider for mod_s3up's tests (npm `oidc-provider` 9).
//
//   node t/lib/oidc-provider.mjs [--port N] [--client-id ID] [--client-secret S]
//                                [--redirect-uris URI[,URI...]]
//   (or env OIDC_PORT, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URIS; arguments win)
//
// - Listens on 127.0.0.1 only; port 0 (the default) picks a free one. Issuer is plain
//   http://127.0.0.1:PORT. When ready it prints exactly one line on stdout:
//       OIDC_ISSUER=http://127.0.0.1:PORT
//   and nothing else on stdout (warnings go to stderr). SIGTERM/SIGINT close it cleanly.
// - One confidential client (client_secret_basic, authorization code, PKCE S256 allowed but
//   not required) with the given id, secret and redirect URIs (comma-separated list).
// - Scopes: openid email profile groups. Login is oidc-provider's devInteractions: a form
//   with fields `login` and `password` (any values are accepted), then a consent page whose
//   button is "Continue".
// - Accounts are made up from the login name, so tests need no user database:
//     sub                = the login
//     preferred_username = the login
//     email              = the login if it contains '@', else <login>@example.com
//     name               = "Test <login>"
//     groups             = ["s3up-admins","staff"] if the login starts with "admin"
//                          (case-sensitive; e.g. admin, admin2, admin@corp.test),
//                          otherwise ["customers"]
//   The part of the login before any '@' is what "starts with admin" looks at, so
//   "admin@x" is an admin and "bob@admin.test" is not.
// - Claims are put in the ID token too (conformIdTokenClaims off) and are served by userinfo.
// - Everything is in memory; no keys on disk (the signing key is generated at start).

import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uris': { type: 'string' },
  },
});

const env = process.env;
const port = Number(args.port ?? env.OIDC_PORT ?? 0);
const clientId = args['client-id'] ?? env.OIDC_CLIENT_ID ?? 's3up-test';
const clientSecret = args['client-secret'] ?? env.OIDC_CLIENT_SECRET;
const redirectUris = (args['redirect-uris'] ?? env.OIDC_REDIRECT_URIS ?? '')
  .split(',').map((s) => s.trim()).filter(Boolean);

function die(msg) {
  process.stderr.write(`oidc-provider.mjs: ${msg}\n`);
  process.exit(2);
}
if (!Number.isInteger(port) || port < 0 || port > 65535) die(`bad port: ${args.port ?? env.OIDC_PORT}`);
if (!clientSecret) die('a client secret is required (--client-secret or OIDC_CLIENT_SECRET)');
if (redirectUris.length === 0) die('at least one redirect URI is required (--redirect-uris or OIDC_REDIRECT_URIS)');

// The account rule documented above.
function claimsFor(login) {
  const local = login.split('@')[0];
  return {
    sub: login,
    preferred_username: login,
    email: login.includes('@') ? login : `${login}@example.com`,
    // Logins starting "unverified" have an address the provider has not verified.
    email_verified: !local.startsWith('unverified'),
    name: `Test ${login}`,
    groups: local.startsWith('admin') ? ['s3up-admins', 'staff'] : ['customers'],
  };
}

// Listen first (the issuer must carry the real port, also when port 0 picked it), then
// build the provider and hand it the requests.
const server = createServer();
await new Promise((resolve) => {
  server.once('error', (err) => die(`cannot listen on 127.0.0.1:${port}: ${err.message}`));
  server.listen(port, '127.0.0.1', resolve);
});
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: redirectUris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
    groups: ['groups'],
  },
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  cookies: { keys: [randomBytes(32).toString('base64url')] }, // only has to live as long as we do
  async findAccount(_ctx, sub) {
    return { accountId: sub, async claims() { return claimsFor(sub); } };
  },
});
// The default only emits the event; say what went wrong.
provider.on('server_error', (_ctx, err) => process.stderr.write(`oidc-provider: server_error: ${err.stack}\n`));
server.on('request', provider.callback());

process.stdout.write(`OIDC_ISSUER=${issuer}\n`);

function stop() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
