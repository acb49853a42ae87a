#!/usr/bin/env node
// Upload links under attack, against two real httpd servers sharing one Ceph RGW bucket:
// - 40 wrong passcodes sent at once to one link: at most 5 are verified, the rest get 429,
//   and so does the right passcode after them;
// - the same across two servers: 20 wrong passcodes to each at once, at most 5 verified in
//   all (the tries are counted in the bucket, before they are verified);
// - the locked page says when the next try is possible; the admin page shows the lock and
//   clears it, after which the right passcode opens the portal;
// - 5,000 random link tokens cost one lookup each, and push nothing out of the cache: a
//   member's next request is answered without asking S3 (the S3 requests are counted in
//   httpd's debug log, one line per request).
// CommonJS, as node runs *.t files; the ES modules of t/lib load with require().
const { mkdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { run, ok, is, like, note, cleanup, passing, until } = require('../lib/tap.mjs');
const {
  requireBed, scratch, startHttpd, htpasswd, basicAuth, s3tool, randomId, rmSync, secret,
} = require('../lib/stack.mjs');

requireBed();

run(async () => {
  const dir = scratch('link_limits');
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); });
  const tag = randomId();
  const ep = `links-${tag}`, member = `mia-${tag}`, admin = `ada-${tag}`;
  const pw = htpasswd(dir, { [member]: 'pw-m', [admin]: 'pw-a' });
  const key = secret(dir);
  // One process, so that its cache is the one every request meets; the S3 requests logged.
  const conf = (linkUrl) => `
StartServers 1
ServerLimit 1
ThreadsPerChild 64
MaxRequestWorkers 64
MinSpareThreads 1
MaxSpareThreads 64
LogLevel warn s3up:debug
S3UpSecretFile "${key}"
S3UpCacheTTL 5m
S3UpLinkURL ${linkUrl}
LogFormat "%{S3UP_REQUEST}e %>s" hidden
CustomLog "${join(dir, 'hidden.log')}" hidden env=S3UP_REQUEST
<Location /drop>
    SetHandler s3up-drop
</Location>
<Location /upload>
    SetHandler s3up-upload
    ${basicAuth(pw)}
</Location>
<Location /admin>
    SetHandler s3up-admin
    ${basicAuth(pw, `user ${admin}`)}
</Location>
`;
  for (const d of ['one', 'two']) mkdirSync(join(dir, d), { mode: 0o755 });
  const one = startHttpd(join(dir, 'one'), conf('/drop'));
  cleanup(() => one.stop());
  const two = startHttpd(join(dir, 'two'), conf('/drop'));
  cleanup(() => two.stop());
  s3tool('endpoint', ep, `members=${member}`);

  const basic = (u, p) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
  const adminApi = async (server, method, path, body) => {
    const res = await fetch(`${server.url}/admin${path}`, {
      method,
      headers: { ...basic(admin, 'pw-a'), 'content-type': 'application/json', origin: server.url },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: await res.json().catch(() => null) };
  };
  const newLink = async (passcode) => {
    const res = await adminApi(one, 'POST', `/api/endpoints/${ep}/links`, { passcode });
    if (res.status !== 201) throw new Error(`link: ${res.status} ${JSON.stringify(res.json)}`);
    return res.json.link;
  };
  const tryPasscode = (server, token, passcode) => fetch(`${server.url}/drop/${token}`, {
    method: 'POST', redirect: 'manual', body: new URLSearchParams({ passcode }),
    headers: { origin: server.url },
  });
  const tally = (statuses) => statuses.reduce((t, s) => ({ ...t, [s]: (t[s] ?? 0) + 1 }), {});

  // -- 40 wrong passcodes at once, to one server
  const right = 'correct horse 4711';
  const l1 = await newLink(right);
  const t1 = l1.url.split('/').pop();
  let statuses = (await Promise.all(Array.from({ length: 40 }, (_, i) => tryPasscode(one, t1, `wrong ${i}`)))).map((r) => r.status);
  let seen = tally(statuses);
  note(`40 at once: ${JSON.stringify(seen)}`);
  ok((seen[303] ?? 0) <= 5 && (seen[303] ?? 0) >= 1, 'at most 5 verified (wrong: back to the form)', JSON.stringify(seen));
  is((seen[303] ?? 0) + (seen[429] ?? 0), 40, 'every other one refused with 429');
  let r = await tryPasscode(one, t1, right);
  is(r.status, 429, 'then even the right passcode: 429');
  const text = await r.text();
  ok(Number(r.headers.get('retry-after')) > 60, 'with Retry-After', r.headers.get('retry-after'));
  like(text, /You can try again at <time id="retry-at" datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ">/, 'the page says when the next try is possible');
  like(text, /in 1[45] minutes/, '... in about a quarter of an hour');
  like(r.headers.get('content-security-policy') ?? '', /script-src 'self'/, 'with the pages\' Content-Security-Policy');
  r = await fetch(`${two.url}/drop/${t1}`);
  is(r.status, 429, 'the other server shows the lock too, on a plain visit');

  // -- the same across two servers
  const l2 = await newLink(right);
  const t2 = l2.url.split('/').pop();
  statuses = (await Promise.all(Array.from({ length: 40 }, (_, i) => tryPasscode(i % 2 ? two : one, t2, `wrong ${i}`)))).map((r) => r.status);
  seen = tally(statuses);
  note(`20 + 20 at once on two servers: ${JSON.stringify(seen)}`);
  ok((seen[303] ?? 0) <= 5, 'at most 5 verified across both servers', JSON.stringify(seen));
  r = await tryPasscode(two, t2, right);
  is(r.status, 429, 'then the right passcode on the other server: 429');

  // -- the admin sees the lock and clears it
  let res = await adminApi(one, 'GET', `/api/endpoints/${ep}`);
  const listed = res.json?.links?.find((l) => l.id === l2.id);
  ok(listed?.locked_until && listed.passcode_tries >= 5, 'the admin sees the link locked, and until when', JSON.stringify(listed));
  res = await adminApi(one, 'DELETE', `/api/endpoints/${ep}/links/${l2.id}/lock`);
  ok(res.status === 200 && res.json?.link?.locked_until === null, 'the admin clears the lock', JSON.stringify(res.json));
  r = await tryPasscode(one, t2, right);
  ok(r.status === 303 && /s3up_link=/.test(r.headers.get('set-cookie') ?? ''), 'the right passcode opens the portal again', `${r.status}`);

  // -- random tokens cost one lookup each and evict nothing
  const session = () => fetch(`${one.url}/upload/api/session`, { headers: basic(member, 'pw-m') }).then((x) => x.json());
  let s = await session();
  is(s.endpoints?.map((e) => e.id), [ep], "the member's endpoint (now cached)");
  const s3Lines = () => one.errorLog().split('\n').filter((l) => /\bS3 [A-Za-z]+ [A-Z]+ /.test(l));
  const before = s3Lines().length;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const token = () => Array.from({ length: 43 }, () => alphabet[Math.floor(Math.random() * 64)]).join('');
  const t0 = Date.now();
  let gone = 0;
  for (let batch = 0; batch < 100; batch++) {
    const got = await Promise.all(Array.from({ length: 50 }, () => fetch(`${one.url}/drop/${token()}`).then((x) => x.status)));
    gone += got.filter((st) => st === 404).length;
  }
  const flood = s3Lines().length - before;
  note(`5,000 random tokens: ${Date.now() - t0} ms, ${flood} S3 requests`);
  is(gone, 5000, '5,000 random tokens: the not-found page');
  ok(flood <= 5000, `one lookup each at most (${flood} S3 requests)`);
  const mark = s3Lines().length;
  s = await session();
  is(s.endpoints?.map((e) => e.id), [ep], "then the member's request");
  is(s3Lines().slice(mark), [], '... is answered from the cache: no S3 request');

  // -- the tokens stay out of the logs, and out of the Referer a link's page would send
  const l3 = await newLink(right);
  const t3 = l3.url.split('/').pop();
  r = await fetch(`${one.url}/drop/${t3}`);
  is([r.status, r.headers.get('referrer-policy')], [200, 'no-referrer'], "a link's passcode page: Referrer-Policy no-referrer");
  r = await fetch(`${one.url}/upload/`, { headers: basic(member, 'pw-m') });
  is(r.headers.get('referrer-policy'), 'same-origin', 'the portal: same-origin');
  const partToken = `${randomId()}.${token()}`;
  r = await fetch(`${one.url}/upload/s3/multipart/x/1/data?key=k&t=${partToken}`, { method: 'PUT', body: 'x' });
  is(r.status, 401, "a part's address refused by httpd's Basic auth, before the module's handler");
  // httpd writes the access log line after the response has gone: wait for it.
  const refusedLine = `PUT /upload/s3/multipart/x/1/data?key=k&t=${partToken.split('.')[0]}.[hidden] HTTP/1.1 401`;
  const readHidden = () => readFileSync(join(dir, 'hidden.log'), 'utf8');
  await until(() => readHidden().includes(refusedLine), 5000);
  const hiddenLog = readHidden();
  like(hiddenLog, /^POST \/drop\/\[hidden\] HTTP\/1\.1 429$/m, 'S3UP_REQUEST: the request line with the token hidden');
  ok(hiddenLog.includes(refusedLine), '... also when httpd refuses it before the handler');
  const logs = hiddenLog + one.errorLog() + two.errorLog();
  ok(![t1, t2, t3, right, partToken.split('.')[1]].some((secret) => logs.includes(secret)), 'no token or passcode in any log (debug level included)');

  note(`httpd logs: ${one.dir}/error.log, ${two.dir}/error.log`);
});
