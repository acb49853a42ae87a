// See index.html: create, one /batch sign, PUT the parts 4 at a time, complete.
const api = new URL(new URLSearchParams(location.search).get('api') || '/upload', location.href)
  .href.replace(/\/$/, '');
const IN_FLIGHT = 4;
// ?progress=1 (variant "raw-progress"): each PUT also listens to its upload progress and notes
// the bytes, as a page that shows progress must: what those events cost the browser.
const PROGRESS = new URLSearchParams(location.search).get('progress') === '1';
let sent = 0;

async function json(url, init) {
  const res = await fetch(url, { cache: 'no-store', ...init });
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return res.json();
}

function put(url, body) {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('PUT', url);
    if (PROGRESS) x.upload.addEventListener('progress', (e) => { sent = Math.max(sent, e.loaded); });
    x.onload = () => (x.status === 200 ? resolve(x.getResponseHeader('ETag')) : reject(new Error(`PUT ${x.status}`)));
    x.onerror = () => reject(new Error('PUT failed'));
    x.send(body);
  });
}

document.getElementById('file').addEventListener('change', async (e) => {
  const file = e.target.files[0];
  const session = await json(`${api}/api/session`);
  const size = session.part_size;
  const n = Math.ceil(file.size / size);
  const { key, uploadId } = await json(`${api}/s3/multipart`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ filename: file.name, size: file.size }),
  });
  const q = new URLSearchParams({ key, partNumbers: Array.from({ length: n }, (_, i) => i + 1).join(',') });
  const { presignedUrls } = await json(`${api}/s3/multipart/${encodeURIComponent(uploadId)}/batch?${q}`);
  const parts = [];
  let next = 1;
  async function worker() {
    while (next <= n) {
      const i = next++;
      parts.push({ PartNumber: i, ETag: await put(presignedUrls[i], file.slice((i - 1) * size, i * size)) });
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  parts.sort((a, b) => a.PartNumber - b.PartNumber);
  await json(`${api}/s3/multipart/${encodeURIComponent(uploadId)}/complete?${new URLSearchParams({ key })}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ parts }),
  });
});
