#!/usr/bin/env node
// One server, many processes: the admin file list's pages land in whichever httpd process
// takes the connection. Here every connection gets a new process (MaxConnectionsPerChild 1,
// each request on a connection of its own, the process ids read from the access log):
// - the pages after the first are cut from the listing the first page's process left on
//   the shared board: the folder is listed once (ListObjectsV2, counted by s3up-status
//   over all processes), not once per process;
// - who uploaded each file is asked once (a HEAD per file), then read from the bucket
//   (.s3up/facts/) by the processes after;
// - a write (a file deleted through the admin API) makes the next page list the folder
//   again, in any process.
const { mkdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { run, ok, is, note, cleanup, passing } = require('../lib/tap.mjs');
const {
  requireBed, scratch, startHttpd, htpasswd, basicAuth, s3tool, s3Requests, randomId, rmSync,
  STATUS_LOCATION,
} = require('../lib/stack.mjs');

requireBed();
const FILES = 12, LIMIT = 4;

run(async () => {
  const dir = scratch('processes');
  cleanup(() => { if (passing()) rmSync(dir, { recursive: true, force: true }); });
  const tag = randomId();
  const ep = `procs-${tag}`, admin = `ada-${tag}`, member = `mo-${tag}`;
  const pw = htpasswd(dir, { [admin]: 'pw-a' });
  mkdirSync(join(dir, 'httpd'), { mode: 0o755 });
  const httpd = startHttpd(join(dir, 'httpd'), `
StartServers 2
ServerLimit 4
ThreadsPerChild 4
MaxRequestWorkers 16
MinSpareThreads 4
MaxSpareThreads 16
MaxConnectionsPerChild 1
S3UpCacheTTL 60s
LogFormat "%P %r %>s" pids
CustomLog "${join(dir, 'pids.log')}" pids
<Location /admin>
    SetHandler s3up-admin
    ${basicAuth(pw, `user ${admin}`)}
</Location>
${STATUS_LOCATION}
`);
  cleanup(() => httpd.stop());
  s3tool('endpoint', ep, `members=${member}`);
  s3tool('fill', `uploads/${ep}/file-`, String(FILES), `uploaded-by=${member}`);

  const auth = { authorization: `Basic ${Buffer.from(`${admin}:pw-a`).toString('base64')}`, connection: 'close' };
  const s3 = () => s3Requests(`${httpd.url}/status`);
  const page = async (cursor) => {
    const q = new URLSearchParams({ limit: String(LIMIT), ...(cursor ? { cursor } : {}) });
    const res = await fetch(`${httpd.url}/admin/api/endpoints/${ep}/files?${q}`, { headers: auth });
    return { status: res.status, json: await res.json() };
  };
  const walk = async () => {
    const before = await s3();
    const names = [];
    let cursor = null, pages = 0;
    do {
      const r = await page(cursor);
      if (r.status !== 200) throw new Error(`page ${pages + 1}: ${r.status} ${JSON.stringify(r.json)}`);
      names.push(...r.json.files.map((f) => `${f.name} ${f.uploaded_by?.name}`));
      cursor = r.json.next;
      pages++;
    } while (cursor);
    const after = await s3();
    const count = (op) => (after[op] ?? 0) - (before[op] ?? 0);
    return { names, pages, lists: count('ListObjectsV2'), heads: count('HeadObject') };
  };
  const want = Array.from({ length: FILES }, (_, i) => `file-${String(i).padStart(6, '0')}.bin ${member}`);

  let w = await walk();
  is(w.names, want, `${w.pages} pages of ${LIMIT}: every file, with who uploaded it`);
  const log = () => readFileSync(join(dir, 'pids.log'), 'utf8').split('\n').filter((l) => l.includes('/files?'));
  const pids = new Set(log().map((l) => l.split(' ')[0]));
  ok(pids.size >= 2, `the pages were served by ${pids.size} processes`);
  is(w.lists, 1, 'the folder was listed once: the later pages took the listing from the board');
  is(w.heads, FILES, 'each file was asked who uploaded it once');

  w = await walk();
  is(w.names, want, 'again, in new processes');
  ok(w.lists <= 1 && w.heads === 0, 'no HEAD: what the files said was read from the bucket', JSON.stringify(w));

  const del = await fetch(`${httpd.url}/admin/api/files?key=${encodeURIComponent(`uploads/${ep}/file-000000.bin`)}`, {
    method: 'DELETE', headers: { ...auth, origin: httpd.url },
  });
  is(del.status, 200, 'a file deleted through the admin API');
  w = await walk();
  is(w.names, want.slice(1), 'the next walk no longer shows it');
  is(w.lists, 1, '... listed again once after the write, then from the board');
  note(`processes: ${[...new Set(log().map((l) => l.split(' ')[0]))].length} in all`);
  s3tool('wipe', `uploads/${ep}/`);
});
