// The shipped examples (conf/examples/) as a test runs them, and the providers they sign in
// at. A test runs an example the way a new user would: the file as it is, with only its
// placeholders (example.com names, CLIENT_ID, /etc/apache2/s3up/, ...) replaced by its own
// values. A placeholder left on a line that is not a comment fails the test: the test then
// does not run what the example says.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { top } from './stack.mjs';

const PLACEHOLDER = /example\.com|CLIENT_ID|CLIENT_SECRET|\/etc\/apache2|\/etc\/letsencrypt|\/var\/log|\*:(80|443)\b/;

// conf/examples/NAME with each [from, to] of `pairs` replaced, in order, written to
// outDir/NAME; returns that path.
export function localise(name, pairs, outDir) {
  let text = readFileSync(join(top, 'conf', 'examples', name), 'utf8');
  for (const [from, to] of pairs) text = text.split(from).join(to);
  const left = text.split('\n').filter((l) => !/^\s*#/.test(l) && PLACEHOLDER.test(l));
  if (left.length) throw new Error(`${name}: placeholders left:\n${left.join('\n')}`);
  const out = join(outDir, name);
  writeFileSync(out, text);
  return out;
}

function readEnv(file) {
  const env = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = line.match(/^([A-Z_0-9]+)=(.*)$/);
    if (m) env[m[1]] = m[2];
  }
  return env;
}

// A test OpenID provider (t/lib/oidc.sh) in dir, with a client `clientId` whose redirect URI
// is `redirectUri`; stopped through cleanup(). Returns {issuer, clientId, clientSecret}.
export function startProvider(dir, redirectUri, clientId, cleanup) {
  const lib = join(top, 't', 'lib');
  execFileSync(join(lib, 'oidc.sh'), ['start', dir], {
    env: { ...process.env, OIDC_REDIRECT_URIS: redirectUri, OIDC_CLIENT_ID: clientId },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  cleanup(() => execFileSync(join(lib, 'oidc.sh'), ['stop', dir], { stdio: 'inherit' }));
  const env = readEnv(join(dir, 'oidc.env'));
  return { issuer: env.OIDC_ISSUER, clientId: env.OIDC_CLIENT_ID, clientSecret: env.OIDC_CLIENT_SECRET };
}

// A free port on 127.0.0.1.
export function freePort() {
  return execFileSync(join(top, 't', 'lib', 'freeport'), { encoding: 'utf8' }).trim();
}

// A JSON call from inside the page (same origin, the page's cookies): {status, json, text}.
export function api(page, method, path, body) {
  return page.evaluate(async ([m, p, b]) => {
    const r = await fetch(p, {
      method: m,
      headers: b === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: b === undefined ? undefined : JSON.stringify(b),
    });
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: r.status, json, text: text.slice(0, 300) };
  }, [method, path, body]);
}
