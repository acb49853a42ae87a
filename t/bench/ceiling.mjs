// The ceiling of t/bench/browser: one file sent the way the portal's API allows at best,
// without a browser — create the multipart upload (module API), sign every part in one
// /batch call, curl PUTting the parts (already cut into files) PARALLEL at a time straight
// to S3 with the presigned URLs, complete. Timed from the create to the complete's answer.
// Run inside the benchmark's network namespace for the WAN figure. In proxy mode
// (S3UpUploadMode proxy) the part URLs are httpd's own: curl then PUTs the parts through
// httpd, with the same Authorization (t/bench/transfer).
//
//   node t/bench/ceiling.mjs BASE AUTH FILE_SIZE PART_SIZE PARTS_DIR PARALLEL
//     BASE: http://HOST:PORT/upload   AUTH: "Basic ..."   PARTS_DIR: p00001, p00002, ...
// Prints {key, seconds, bytes, parts} as JSON.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [base, auth, fileSizeS, partSizeS, partsDir, parallelS] = process.argv.slice(2);
const fileSize = Number(fileSizeS), partSize = Number(partSizeS), parallel = Number(parallelS);
const count = Math.ceil(fileSize / partSize);
const name = (n) => join(partsDir, `p${String(n).padStart(5, '0')}`);

async function api(method, path, body) {
  const headers = { authorization: auth };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, body: body && JSON.stringify(body) });
  const json = await res.json().catch(() => null);
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const t0 = process.hrtime.bigint();
const { key, uploadId } = await api('POST', '/s3/multipart', {
  filename: 'ceiling.bin', type: 'application/octet-stream', metadata: { size: fileSize },
});
const q = (o) => new URLSearchParams(o).toString();
const urls = {};
for (let first = 1; first <= count; first += 100) {
  const numbers = Array.from({ length: Math.min(100, count - first + 1) }, (_, i) => first + i);
  const { presignedUrls } = await api('GET',
    `/s3/multipart/${encodeURIComponent(uploadId)}/batch?${q({ key, partNumbers: numbers.join(',') })}`);
  Object.assign(urls, presignedUrls);
}
const numberOf = new Map(Object.entries(urls).map(([n, url]) => [url, Number(n)]));
// One curl, PARALLEL transfers at once, new connections right away, no Expect: 100-continue
// (a browser sends none either; it would cost a round trip per part).
const cfg = ['parallel', `parallel-max = ${parallel}`, 'parallel-immediate', 'silent', 'show-error',
  'fail', 'header = "Expect:"', 'write-out = "%{url} %{http_code} %header{etag}\\n"'];
if (new URL(urls[1]).origin === new URL(base).origin) cfg.push(`header = "Authorization: ${auth}"`);
for (let n = 1; n <= count; n++) {
  cfg.push(`url = "${urls[n]}"`, `upload-file = "${name(n)}"`, 'output = "/dev/null"');
}
const cfgFile = join(partsDir, `curl-${process.pid}.cfg`);
writeFileSync(cfgFile, `${cfg.join('\n')}\n`);
const out = await new Promise((resolve, reject) => {
  const p = spawn('curl', ['-K', cfgFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  let s = '';
  p.stdout.on('data', (d) => { s += d; });
  p.on('close', (code) => (code === 0 ? resolve(s) : reject(new Error(`curl exited ${code}`))));
});
const parts = [];
for (const line of out.trim().split('\n')) {
  const [url, code, etag] = line.split(' ');
  if (code !== '200' || !etag) throw new Error(`part PUT: ${line}`);
  const u = new URL(url);
  const n = numberOf.get(url) ?? Number(u.searchParams.get('partNumber') ?? u.pathname.match(/\/(\d+)\/data$/)?.[1]);
  parts.push({ PartNumber: n, ETag: etag });
}
parts.sort((a, b) => a.PartNumber - b.PartNumber);
if (parts.length !== count) throw new Error(`${parts.length} parts sent of ${count}`);
await api('POST', `/s3/multipart/${encodeURIComponent(uploadId)}/complete?${q({ key })}`, { parts });
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
process.stdout.write(`${JSON.stringify({ key, seconds, bytes: fileSize, parts: count })}\n`);
