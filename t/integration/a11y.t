#!/usr/bin/env node
// Accessibility of every page, in each state people meet it in, checked with axe-core in
// Chromium (WCAG 2.1 A/AA and best practices): the customer portal empty, with files
// queued, uploading and complete, at desktop and phone width; the admin page with its
// endpoints and with one endpoint's files; an upload link's passcode page and its portal.
// Zero violations is the target. Beyond axe: every control reached with Tab shows a focus
// ring (:focus-visible with an outline or a box-shadow); files picked by keyboard leave the
// focus on the Upload button; on a phone (narrow, touch) the portal neither says "drop"
// nor offers folders.
const { mkdirSync } = require('node:fs');
const { join } = require('node:path');
const { run, ok, is, note, cleanup, passing, launch, until } = require('../lib/browser.mjs');
const { axeViolations, focusRingGaps } = require('../lib/a11y.mjs');
const {
  requireBed, scratch, startHttpd, htpasswd, basicAuth, secret, s3tool, writeBytesFile, randomId, rmSync,
} = require('../lib/stack.mjs');

requireBed();
const MiB = 1024 * 1024;

run(async () => {
  const dir = scratch('a11y');
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); });
  const tag = randomId();
  const user = `ava-${tag}`, admin = `adm-${tag}`, ep = `a11y-${tag}`;
  const pw = htpasswd(dir, { [user]: 'pw-u', [admin]: 'pw-a' });
  const httpd = startHttpd(dir, `
S3UpSecretFile "${secret(dir)}"
S3UpLinkURL /drop
<Location /upload>
    SetHandler s3up-upload
    ${basicAuth(pw)}
</Location>
<Location /admin>
    SetHandler s3up-admin
    ${basicAuth(pw, `user ${admin}`)}
</Location>
<Location /drop>
    SetHandler s3up-drop
</Location>
`);
  cleanup(() => httpd.stop());
  s3tool('endpoint', ep, `members=${user}`);
  s3tool('cors', httpd.url);
  mkdirSync(join(dir, 'files'));
  const small = join(dir, 'files', 'report.pdf'), big = join(dir, 'files', 'scan.bin');
  writeBytesFile(small, 200 * 1024, 1);
  writeBytesFile(big, 96 * MiB, 2);

  const b = await launch({ timeout: 60000, intercept: false });
  cleanup(() => b.close());
  const check = async (page, what) => {
    const v = await axeViolations(page);
    ok(v.length === 0, `${what}: no axe violations`, ...v);
  };
  const rings = async (page, what) => {
    const { gaps, visited } = await focusRingGaps(page);
    ok(visited > 0 && gaps.length === 0, `${what}: a focus ring on each of the ${visited} controls Tab reaches`,
      ...gaps.map((g) => `no ring: ${g}`));
  };

  // -- the customer portal
  const customer = await b.newContext({ httpCredentials: { username: user, password: 'pw-u' } });
  let page = await customer.newPage();
  await page.goto(`${httpd.url}/upload/`);
  await page.locator('.uppy-Dashboard').waitFor();
  await check(page, 'portal, empty');
  await rings(page, 'portal, empty');
  // Picked by keyboard: Tab to "browse files" from a fresh page, Enter, the browser's file
  // chooser.
  // The listener first: Playwright turns the chooser's interception on only once one is
  // there, and a press racing that would open the real (headless: no) dialog.
  const chosen = new Promise((resolve) => { page.once('filechooser', resolve); });
  await page.reload();
  await page.locator('.uppy-Dashboard').waitFor();
  for (let i = 0; i < 20 && !(await page.evaluate(() => document.activeElement?.matches('.uppy-Dashboard-browse'))); i++) {
    await page.keyboard.press('Tab');
  }
  await page.keyboard.press('Enter');
  const chooser = await chosen;
  await chooser.setFiles([small, big]);
  await page.locator('.uppy-Dashboard-Item').nth(1).waitFor();
  await until(async () => page.evaluate(() => document.activeElement?.matches('.uppy-StatusBar-actionBtn--upload')), 10000)
    .catch(() => {});
  ok(await page.evaluate(() => document.activeElement?.matches('.uppy-StatusBar-actionBtn--upload')),
    'after a keyboard pick the focus is on the Upload button',
    `focus on: ${await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 120))}`);
  await check(page, 'portal, two files queued');
  await rings(page, 'portal, two files queued');
  await page.locator('.uppy-StatusBar-actionBtn--upload').click();
  await until(async () => (await page.locator('.uppy-StatusBar.is-uploading').count()) > 0, 30000);
  await check(page, 'portal, uploading');
  await until(async () => (await page.locator('.uppy-StatusBar.is-complete').count()) > 0, 120000);
  await check(page, 'portal, complete');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await page.locator('.uppy-Dashboard').waitFor();
  await check(page, 'portal, phone width');

  // -- a phone: narrow and touch, so no dropping and no folder picker
  const phone = await b.newContext({
    httpCredentials: { username: user, password: 'pw-u' }, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true,
  });
  page = await phone.newPage();
  await page.goto(`${httpd.url}/upload/`);
  await page.locator('.uppy-Dashboard').waitFor();
  const words = await page.locator('main').innerText();
  ok(!/drop/i.test(words), 'on a phone the portal does not say "drop"', `it says: …${words.match(/.{0,60}drop.{0,60}/is)?.[0]}…`);
  const sendWords = await page.locator('#send').innerText();
  ok(!/folder/i.test(sendWords), 'nor offers folders', `it says: …${sendWords.match(/.{0,60}folder.{0,60}/is)?.[0]}…`);
  ok(await page.locator('#uppy').getByText('pick files').isVisible(), 'it offers to pick files');
  await check(page, 'portal, phone');

  // -- the admin page
  const adm = await b.newContext({ httpCredentials: { username: admin, password: 'pw-a' } });
  page = await adm.newPage();
  await page.goto(`${httpd.url}/admin/`);
  await page.getByText(ep).first().waitFor();
  await check(page, 'admin, endpoints');
  await rings(page, 'admin, endpoints');
  await page.getByText(ep).first().click();
  await page.getByText('report.pdf').first().waitFor();
  await check(page, 'admin, an endpoint with files');
  await rings(page, 'admin, an endpoint with files');

  // -- an upload link: its passcode page and its portal
  const res = await page.evaluate(async ([base, id]) => {
    const r = await fetch(`${base}/admin/api/endpoints/${id}/links`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ passcode: 'open sesame 4711' }),
    });
    return r.json();
  }, [httpd.url, ep]);
  const outsider = await b.newContext();
  page = await outsider.newPage();
  await page.goto(new URL(res.link.url, httpd.url).href);
  await page.locator('input[name=passcode]').waitFor();
  await check(page, 'link, passcode page');
  await rings(page, 'link, passcode page');
  await page.locator('input[name=passcode]').fill('open sesame 4711');
  await page.locator('input[name=passcode]').press('Enter');
  await page.locator('.uppy-Dashboard').waitFor();
  await check(page, 'link, its portal');
  note(`pages checked at ${httpd.url}`);
});
