// Headless Chromium (Debian's /usr/bin/chromium) for the integration tests, through
// playwright-core, plus the sign-in steps of the test OpenID provider (t/lib/oidc-provider.mjs).
//
//   import { launch, login } from '../lib/browser.mjs';
//   const b = await launch();            // Chromium + one fresh context (own temp profile)
//   const page = await b.newPage();
//   await login(page, `${httpd}/upload/`, 'alice');   // now signed in as alice
//   const other = await b.newContext();  // a second person: separate cookies
//   await b.close();                     // closes everything, the profile is removed
//
// Only 127.0.0.1 is reachable: every other request is aborted (the provider's pages import
// web fonts from the Internet) and listed in b.blocked. Never run `npx playwright install`.
// The TAP helpers of t/lib/tap.mjs are re-exported, so a test needs one import.

import { chromium } from 'playwright-core';

export * from './tap.mjs';

export const CHROMIUM = process.env.S3UP_TEST_CHROMIUM || '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

async function loopbackOnly(context, blocked) {
  await context.route('**/*', (route) => {
    const url = route.request().url();
    let host;
    try { host = new URL(url).hostname; } catch { host = ''; }
    if (host === '127.0.0.1') return route.continue();
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
}

// The same rule without interception: every other host name resolves to nothing. Routing
// pauses every request in playwright, request body included, which slows big uploads to
// a crawl (150 MiB: ~10 MiB/s); this leaves them alone. A literal non-loopback IP address
// is not caught this way: tests do not use any.
const RESOLVE_LOOPBACK_ONLY = '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1';

function recordUnresolved(context, blocked) {
  context.on('requestfailed', (request) => {
    if (/ERR_NAME_NOT_RESOLVED/.test(request.failure()?.errorText ?? '')) blocked.push(request.url());
  });
}

// Chromium with a fresh context. launch() gives every browser its own temporary profile
// directory, which playwright removes when the browser closes (also when the test exits).
// intercept: false blocks other hosts by name resolution instead of playwright routing (for
// tests that send big request bodies); b.blocked then lists the requests that failed so.
export async function launch({ timeout = 30000, intercept = true } = {}) {
  const args = intercept ? ARGS : [...ARGS, RESOLVE_LOOPBACK_ONLY];
  const browser = await chromium.launch({ executablePath: CHROMIUM, args, timeout });
  const blocked = [];
  const newContext = async (options = {}) => {
    const context = await browser.newContext(options);
    context.setDefaultTimeout(timeout);
    if (intercept) await loopbackOnly(context, blocked);
    else recordUnresolved(context, blocked);
    return context;
  };
  const context = await newContext();
  return {
    browser,
    context,
    blocked,
    newContext,
    newPage: () => context.newPage(),
    close: () => browser.close(),
  };
}

// Sign in as `user` through the test provider: open `url` (protected by mod_auth_openidc),
// answer the provider's pages (login form, consent) and wait until the browser is back on
// `url`. Works whether or not the provider still knows this browser (then some pages are
// skipped). Returns the last navigation's response.
export async function login(page, url, user, { password = 'secret', timeout = 30000 } = {}) {
  const target = new URL(url).href;
  const deadline = Date.now() + timeout;
  const left = () => Math.max(deadline - Date.now(), 1);
  let response = await page.goto(target, { timeout: left() });
  for (let step = 0; step < 6; step++) {
    if (page.url() === target) return response;
    const form = page.locator('form input[name="login"]');
    const consent = page.locator('form button[type="submit"]', { hasText: 'Continue' });
    // Not back yet, so on one of the provider's pages.
    await form.or(consent).first().waitFor({ timeout: left() }).catch(() => {});
    let click;
    if (await form.count()) {
      await form.fill(user);
      await page.locator('form input[name="password"]').fill(password);
      click = page.locator('form button[type="submit"]').click();
    } else if (await consent.count()) {
      click = consent.click();
    } else {
      const text = (await page.textContent('body').catch(() => '')) ?? '';
      throw new Error(`login(${user}): stuck at ${page.url()}: ${text.slice(0, 300)}`);
    }
    // A redirect chain (provider -> httpd redirect_uri -> target) is one navigation; its
    // response is the last one's.
    [response] = await Promise.all([page.waitForNavigation({ timeout: left() }), click]);
  }
  if (page.url() === target) return response;
  throw new Error(`login(${user}): not back on ${target}, at ${page.url()}`);
}

// A wait started before the action that causes it. Marked handled: if the test fails before
// awaiting it, its later timeout must not kill node before the cleanups (httpd, provider) run.
export function expecting(promise) {
  promise.catch(() => {});
  return promise;
}
