// The customer portal in a real browser, as the uploader tests use it: httpd with mod_s3up
// behind mod_auth_openidc and the test provider (t/lib/stack.mjs startOidcHttpd), the
// bucket's CORS rule for it, endpoints for the people named; and signed-in pages watched by
// t/lib/s3probe.mjs.
import { launch, login, note } from './browser.mjs';
import { startOidcHttpd, s3tool } from './stack.mjs';
import { s3probe } from './s3probe.mjs';

// The portal most uploader tests want: 8 MiB parts, 4 of a file in flight.
export const UPLOAD_LOCATION = `
<Location /upload>
    SetHandler s3up-upload
    S3UpPartSize 8M
    S3UpPartsInFlight 4
</Location>
`;

// Starts the portal in dir for endpoints ({ id: member }) and a headless Chromium, both
// stopped by cleanup; `location` is its httpd config, the paths in `protect` need a sign-in.
// Returns { url, browser }.
export async function startPortal(dir, endpoints, cleanup,
  { location = UPLOAD_LOCATION, protect = ['/upload'] } = {}) {
  const t0 = performance.now();
  const { url } = startOidcHttpd(dir, location, protect, cleanup);
  for (const [ep, member] of Object.entries(endpoints)) s3tool('endpoint', ep, `members=${member}`);
  s3tool('cors', url);
  note(`provider + httpd + endpoints + CORS: ${Math.round(performance.now() - t0)} ms`);
  const browser = await launch({ timeout: 60000, intercept: false });
  cleanup(() => browser.close());
  return { url, browser };
}

// who signed in to the portal at url + path, in a browser context of their own (cookies,
// IndexedDB; options as browser.newContext takes them), the Dashboard shown. Returns the page
// with what the tests read: every request it made (calls, "METHOD url"), its script errors
// (pushed to problems), its file input, Upload button, completed status bar and s3probe's state.
export async function portalPage(browser, url, who,
  { problems = [], options = {}, path = '/upload/' } = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await page.addInitScript(s3probe);
  const calls = [];
  page.on('request', (r) => calls.push(`${r.method()} ${r.url()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await login(page, `${url}${path}`, who);
  await page.locator('.uppy-Dashboard').waitFor();
  return {
    context, page, calls, problems,
    input: page.locator('.uppy-Dashboard-input:not([webkitdirectory])').first(),
    start: page.locator('.uppy-StatusBar-actionBtn--upload'),
    complete: page.locator('.uppy-StatusBar.is-complete'),
    probe: () => page.evaluate(() => window.s3probe.state()),
  };
}
