// mod_s3up's own Uppy uploader: files go straight to S3 through presigned URLs that this
// location signs (the Companion-compatible routes of docs/api.md), several parts of one
// file at once.
//
// Why not Uppy's AwsS3: it sends a file's parts one after another, and each part costs a
// sign round trip, a CORS preflight and the PUT. Here:
// - parts of one file go `partsInFlight` at a time (the server's S3UpPartsInFlight), and at
//   most `limit` parts across all files (6: the browser's HTTP/1.1 connections per host);
//   earlier files are served first, so files finish one by one rather than all at the end;
// - part URLs are signed in batches (/batch), ahead of need, and signed again before they
//   expire (the lifetime is read from the URL's X-Amz-Expires);
// - the part size is the server's, grown exactly as the server grows it (s3up_keys_plan) so a
//   file never needs more than 10,000 parts;
// - a part that fails on the network, with 5xx or 429, or stalls, is sent again after an
//   exponential, jittered delay; other 4xx fail the file (a 403 first gets one new URL);
//   while the store cannot be reached (no answer, a stall, 503) the upload waits and tries
//   again for as long as the page is open, and says so ('s3up:status', below);
// - progress comes from XHR upload events, per part, summed per file, and never goes back:
//   a part sent again counts only once it passes what it had reached. An event only notes
//   the bytes; Uppy hears of them every `progressMs` (1 s), all files at once, with the
//   status in the same task, so the Dashboard redraws once a second rather than on every
//   event (each redraw costs the page's renderer and compositor more than the rest of its
//   work: t/bench/browser --profile). A beat longer than Uppy's 500 ms throttle of its
//   total progress also lets that update run in the beat's task (the throttle's leading
//   edge) rather than 500 ms later on its own (its trailing edge), for one file at a time;
//   with several files moving at once, each beat still leaves one trailing update;
// - pause lets the parts in flight finish and starts no new ones; resume sends what is missing;
// - removing a file (or cancel-all) aborts its PUTs and the multipart upload (DELETE);
// - {key, uploadId, partSize} live in the file's state (s3Multipart, the field AwsS3 uses),
//   which GoldenRetriever keeps: after a reload or a crash the upload resumes from ListParts
//   and sends only the missing parts; an upload the server no longer knows starts anew;
// - a new upload carries the file's fingerprint (below): the same file picked in another
//   browser (or after the browser lost the upload) continues the person's unfinished upload
//   of it, with only the missing parts sent, rather than starting a numbered copy;
// - a file that fits in one part goes up as one form POST (/s3/params): two requests, no
//   multipart bookkeeping, and S3 enforces the size limit through the policy;
// - every second while files go up, 's3up:status' says how the whole batch stands (status()
//   below): bytes sent of the batch's total, a smoothed rate, the time left, and whether
//   the store is answering.
//
//   uppy.use(S3UpUploader, { endpoint: 'https://host/upload', partSize, partsInFlight })
//
// `endpoint` is the location's address without a trailing slash; the routes below it are
// s3/params, s3/multipart[/{uploadId}[/batch|/complete]].
// Served beside vendor/ below each portal's location (common/uploader.mjs).
import { BasePlugin } from '../vendor/uppy.min.mjs';
import { api, ApiError } from './api.mjs';

const MiB = 1024 * 1024;
const PART_MIN = 5 * MiB;
const PART_MAX = 5 * 1024 * MiB;
const PARTS_MAX = 10000;

// The part size the server uses for a file (src/s3up_keys.c, s3up_keys_plan).
export function partSizeFor(fileSize, configured) {
  let size = Math.min(Math.max(configured || 64 * MiB, PART_MIN), PART_MAX);
  if (Math.ceil(fileSize / size) > PARTS_MAX) {
    size = Math.ceil(Math.ceil(fileSize / PARTS_MAX) / MiB) * MiB;
  }
  return size;
}

// The pages' ApiError (status, code, retryAfter), and whether sending again may help.
export class UploadError extends ApiError {
  constructor(message, { status = 0, code = '', retryable = false, retryAfter = 0 } = {}) {
    super(status, code, message, retryAfter);
    this.name = 'UploadError';
    this.retryable = retryable;
  }
}

class Aborted extends Error {
  constructor() {
    super('aborted');
    this.name = 'AbortError';
  }
}

const retryableStatus = (s) => s === 0 || s === 408 || s === 429 || s >= 500;
// No answer, a stall, or the store said it is unavailable: waiting helps, however long.
const outageStatus = (s) => s === 0 || s === 503;
const stripQuotes = (etag) => String(etag).replace(/^"+|"+$/g, '');

// Exponential backoff with jitter: attempt 0 waits 0.25-0.5 s, then 0.5-1, 1-2 ... up to
// 10-20 s; a server's Retry-After is the least wait.
export function backoff(attempt, retryAfter = 0, base = 500, cap = 20000) {
  const d = Math.min(cap, base * 2 ** Math.min(attempt, 30));
  return Math.max(d / 2 + Math.random() * (d / 2), retryAfter * 1000);
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(new Aborted()); return; }
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      // Offline: no use trying before the browser is back on a network.
      if (navigator.onLine === false) {
        addEventListener('online', () => resolve(), { once: true });
      } else {
        resolve();
      }
    }, ms);
    const onAbort = () => { clearTimeout(t); reject(new Aborted()); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

// S3's error document, for a message a person can read.
function s3Message(xhr) {
  let text = '';
  try { text = xhr.responseText || ''; } catch { /* not text */ }
  const code = text.match(/<Code>([^<]*)<\/Code>/)?.[1] ?? '';
  const message = text.match(/<Message>([^<]*)<\/Message>/)?.[1] ?? '';
  return { code, message: message || code || xhr.statusText || `HTTP ${xhr.status}` };
}

// What identifies a file's content for continuing its upload from another browser (the
// server's metadata.fingerprint): SHA-256 of its size, first MiB and last MiB. Cheap for any
// size; with the name and the size it tells one file from another well enough, and it is
// looked up only among the person's own uploads. null where the browser cannot hash.
export async function fingerprint(blob) {
  if (!crypto.subtle || !blob) return null;
  try {
    const head = blob.slice(0, Math.min(MiB, blob.size));
    const tail = blob.slice(Math.max(0, blob.size - MiB));
    const whole = new Blob([`${blob.size}\n`, head, tail]);
    const digest = await crypto.subtle.digest('SHA-256', await whole.arrayBuffer());
    return `sha256-ht:${[...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
  } catch {
    return null;
  }
}

// How long a presigned URL lives, in ms (X-Amz-Expires); 5 min when it does not say.
function urlLifetime(url) {
  try {
    const s = Number(new URL(url, location.href).searchParams.get('X-Amz-Expires'));
    return Number.isFinite(s) && s > 0 ? s * 1000 : 300000;
  } catch {
    return 300000;
  }
}

// One request with a body, through XHR (fetch has no upload progress). holder.xhr is set
// while it runs; abort(holder) stops it (the promise then rejects with Aborted). A request
// with no progress for stallMs is aborted as a network error: a progress event notes the
// time, and one timer of the request looks at it (rather than a timer set again on every
// event).
function send(holder, method, url, body, onProgress, stallMs) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    let stalled = false;
    const moved = () => { holder.moved = performance.now(); };
    const watchdog = setInterval(() => {
      if (performance.now() - holder.moved > stallMs) {
        stalled = true;
        xhr.abort();
      }
    }, Math.min(1000, stallMs / 4));
    const done = () => { clearInterval(watchdog); holder.xhr = null; };
    xhr.open(method, url);
    xhr.upload.addEventListener('progress', (e) => { moved(); onProgress?.(e.loaded); });
    // Body sent: S3 answers soon; the watchdog keeps running until it does.
    xhr.upload.addEventListener('load', moved);
    xhr.addEventListener('load', () => {
      done();
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(xhr);
        return;
      }
      const { code, message } = s3Message(xhr);
      reject(new UploadError(message, {
        status: xhr.status,
        code,
        retryable: retryableStatus(xhr.status),
        retryAfter: Number(xhr.getResponseHeader('Retry-After')) || 0,
      }));
    });
    xhr.addEventListener('error', () => {
      done();
      reject(new UploadError('The storage could not be reached', { retryable: true }));
    });
    xhr.addEventListener('abort', () => {
      done();
      reject(stalled ? new UploadError('The upload stalled', { retryable: true }) : new Aborted());
    });
    holder.xhr = xhr;
    moved();
    xhr.send(body);
  });
}

function abort(holder) {
  holder.xhr?.abort();
}

// One file's upload. States: queued (waits for a slot), starting (create/ListParts, or the
// single POST), running (parts), completing, and the ends: done, failed, canceled.
class Job {
  constructor(plugin, file) {
    this.p = plugin;
    this.uppy = plugin.uppy;
    this.id = file.id;
    this.data = file.data;
    this.size = file.data.size;
    this.state = 'queued';
    this.paused = false;
    this.partSize = file.s3Multipart?.partSize || partSizeFor(this.size, plugin.opts.partSize);
    this.multipart = Boolean(file.s3Multipart?.uploadId) || this.size > this.partSize;
    this.parts = [];
    this.urls = new Map();
    this.signing = false;
    this.inflight = 0;
    this.single = { xhr: null, sent: 0 };
    // The most bytes reported so far: progress never goes back.
    this.reported = 0;
    // Bytes moved since Uppy last heard of them (the plugin's beat tells it).
    this.progressDue = false;
    this.timers = new Set();
    // Stops control requests (ListParts, signing, complete) on cancel.
    this.ctrl = new AbortController();
    this.promise = new Promise((resolve) => { this.resolve = resolve; });
  }

  get file() { return this.uppy.getFile(this.id); }

  get ended() { return ['done', 'failed', 'canceled'].includes(this.state); }

  // Start what may start now: the file's first step, or parts.
  fill() {
    const file = this.file;
    if (this.ended || this.paused || !file || file.isPaused) return;
    if (this.state === 'queued') {
      if (this.p.free() <= 0) return;
      this.p.take();
      this.state = 'starting';
      (this.multipart ? this.begin() : this.sendWhole()).finally(() => this.p.release());
    } else if (this.state === 'running') {
      this.startParts();
    }
  }

  // The file's meta as the server takes it: no null fields (Dashboard's relativePath of a
  // plain file), and the size, so an over-limit file is refused before a byte is sent.
  meta() {
    const meta = {};
    for (const [k, v] of Object.entries(this.file?.meta ?? {})) {
      if (v != null && typeof v !== 'object') meta[k] = v;
    }
    if (this.file) meta.size = this.file.size;
    return meta;
  }

  // -- the whole file in one form POST

  async sendWhole() {
    const file = this.file;
    for (let attempt = 0; ; attempt++) {
      try {
        const query = { filename: file.name, type: file.type || 'application/octet-stream' };
        for (const [k, v] of Object.entries(this.meta())) query[`metadata[${k}]`] = String(v);
        const params = await this.p.api('GET', 's3/params', { query, signal: this.ctrl.signal });
        const form = new FormData();
        for (const [k, v] of Object.entries(params.fields)) form.set(k, v);
        form.set('file', this.data);
        await send(this.single, params.method || 'POST', params.url, form, (n) => {
          this.single.sent = n;
          this.progressSoon();
        }, this.p.opts.stallMs);
        if (this.ended) return;
        // S3 took it; the server records its arrival (as it does at a
        // multipart complete), and may refuse it (over the limit: deleted).
        await this.arrived(params.fields.key);
        if (this.ended) return;
        // The bucket's address ends with "/" (Uppy's convention).
        this.succeed({ location: `${params.url}${params.fields.key}`, key: params.fields.key });
        return;
      } catch (err) {
        this.single.sent = 0;
        this.progressSoon();
        if (this.ended) return;
        if (err instanceof Aborted) {
          // Back in the queue, sent again from the start.
          this.state = 'queued';
          return;
        }
        const outage = err.retryable && outageStatus(err.status);
        if (!err.retryable || (!outage && attempt >= this.p.opts.retries)) {
          this.fail(err);
          return;
        }
        const wait = backoff(attempt, err.retryAfter, 500, this.p.opts.outageWaitMax);
        if (outage) this.p.lost(err, wait);
        this.uppy.log(`[S3Up] ${file.name}: ${err.message}, trying again`, 'warning');
        try { await sleep(wait, this.ctrl.signal); } catch { return; }
        if (this.paused) { this.state = 'queued'; return; }
      }
    }
  }

  // The file is in the bucket: only a refusal (an answer, not a lost
  // connection) turns it into a failure; it is not sent again.
  async arrived(key) {
    try {
      await this.p.api('POST', 'api/arrived', { body: { key }, signal: this.ctrl.signal });
    } catch (err) {
      if (err instanceof Aborted || !(err.status >= 400)) {
        this.uppy.log(`[S3Up] ${this.file?.name}: its arrival could not be recorded: ${err.message}`, 'warning');
        return;
      }
      err.retryable = false;
      throw err;
    }
  }

  // -- multipart: create (or find again), parts, complete

  async begin() {
    try {
      const saved = this.file?.s3Multipart;
      this.makeParts();
      if (saved?.uploadId) {
        // Known before ListParts answers, so that a cancel meanwhile aborts it.
        this.key = saved.key;
        this.uploadId = saved.uploadId;
        if (!await this.findParts(saved)) {
          this.key = undefined;
          this.uploadId = undefined;
        }
      }
      if (!this.uploadId && !this.ended) {
        this.makeParts(partSizeFor(this.size, this.p.opts.partSize));
        await this.create();
      }
      if (this.ended) return;
      this.state = 'running';
      this.emitProgress();
      this.p.pumpSoon();
    } catch (err) {
      if (!(err instanceof Aborted)) this.fail(err);
    }
  }

  makeParts(size = this.partSize) {
    this.partSize = size;
    this.parts = [];
    this.first = 0;
    for (let start = 0, n = 1; start < this.size || n === 1; start += size, n++) {
      const end = Math.min(start + size, this.size);
      this.parts.push({ n, start, end, size: end - start, state: 'pending', sent: 0, tries: 0, resigned: false, xhr: null });
      if (end >= this.size) break;
    }
  }

  // ListParts of an upload kept from before: the parts there (of the right size) are done.
  // False when the server no longer knows the upload.
  async findParts({ key, uploadId }) {
    let listed;
    try {
      listed = await this.p.api('GET', `s3/multipart/${encodeURIComponent(uploadId)}`, { query: { key }, signal: this.ctrl.signal });
    } catch (err) {
      if (err.status === 404) {
        this.uppy.log(`[S3Up] upload ${uploadId} is gone, starting anew`);
        this.uppy.setFileState(this.id, { s3Multipart: undefined });
        return false;
      }
      throw err;
    }
    this.markDone(listed);
    return true;
  }

  // Parts S3 holds (ListParts' [{PartNumber, ETag, Size}]), those of the right size, are done.
  markDone(listed) {
    for (const { PartNumber, ETag, Size } of listed) {
      const part = this.parts[PartNumber - 1];
      if (part && ETag && Number(Size) === part.size) {
        part.state = 'done';
        part.etag = stripQuotes(ETag);
        part.sent = part.size;
      }
    }
  }

  async create() {
    const file = this.file;
    const metadata = this.meta();
    const fp = await fingerprint(this.data);
    if (fp) metadata.fingerprint = fp;
    // Not aborted with the job: an upload the server creates while the file is removed
    // is aborted right after (below).
    const { key, uploadId, partSize, resumed, parts } = await this.p.api('POST', 's3/multipart', {
      body: { filename: file.name, type: file.type || 'application/octet-stream', metadata },
    });
    this.key = key;
    this.uploadId = uploadId;
    // The server signs each part for its exact length, cut at its part size.
    if (partSize && partSize !== this.partSize) this.makeParts(partSize);
    // The same file's upload begun in another browser (or before this one lost it): the
    // parts S3 holds are not sent again.
    if (resumed) {
      this.markDone(parts ?? []);
      this.uppy.log(`[S3Up] ${file.name}: continuing upload ${uploadId}`);
    }
    if (this.state === 'canceled') {
      this.p.abortUpload(key, uploadId);
      return;
    }
    this.uppy.setFileState(this.id, { s3Multipart: { key, uploadId, partSize: this.partSize } });
  }

  fresh(n) {
    const u = this.urls.get(n);
    return u && u.until - Date.now() > Math.min(60000, u.life / 2) ? u.url : null;
  }

  startParts() {
    const { partsInFlight } = this.p.opts;
    const { parts } = this;
    // Parts before `first` are all done: a file may have 10,000 parts.
    while (this.first < parts.length && parts[this.first].state === 'done') this.first += 1;
    if (this.first === parts.length) {
      if (this.state === 'running') this.complete();
      return;
    }
    let ready = 0;
    for (let i = this.first; i < parts.length && ready < partsInFlight; i++) {
      const part = parts[i];
      if (part.state !== 'pending') continue;
      const url = this.fresh(part.n);
      if (!url) continue;
      if (this.inflight >= partsInFlight || this.p.free() <= 0) ready += 1;
      else this.sendPart(part, url);
    }
    if (ready < partsInFlight) this.signAhead();
  }

  // Sign the next parts that have no (fresh) URL, one batch at a time.
  async signAhead() {
    if (this.signing || this.ended || this.paused) return;
    const want = [];
    for (let i = this.first; i < this.parts.length; i++) {
      const part = this.parts[i];
      if ((part.state === 'pending' || part.state === 'waiting') && !this.fresh(part.n)) want.push(part.n);
      if (want.length >= this.p.opts.signBatch) break;
    }
    if (want.length === 0) return;
    this.signing = true;
    try {
      const { presignedUrls } = await this.p.api('GET', `s3/multipart/${encodeURIComponent(this.uploadId)}/batch`, {
        query: { key: this.key, partNumbers: want.join(',') },
        signal: this.ctrl.signal,
      });
      const now = Date.now();
      for (const [n, url] of Object.entries(presignedUrls ?? {})) {
        const life = urlLifetime(url);
        this.urls.set(Number(n), { url, life, until: now + life });
      }
      if (want.some((n) => !this.fresh(n))) {
        throw new UploadError('The server did not sign every part asked for');
      }
    } catch (err) {
      if (!(err instanceof Aborted)) this.fail(err);
    } finally {
      this.signing = false;
    }
    this.p.pumpSoon();
  }

  async sendPart(part, url) {
    part.state = 'inflight';
    this.inflight += 1;
    this.p.take();
    let etag = null;
    let error = null;
    try {
      const xhr = await send(part, 'PUT', url, this.data.slice(part.start, part.end), (n) => {
        part.sent = n;
        this.progressSoon();
      }, this.p.opts.stallMs);
      etag = xhr.getResponseHeader('ETag');
      if (!etag) {
        error = new UploadError('S3 answered without an ETag: the bucket\'s CORS rules must expose it', { status: xhr.status });
      }
    } catch (err) {
      error = err;
    } finally {
      this.inflight -= 1;
      this.p.release();
    }
    if (this.ended) return;
    if (!error) {
      this.p.answered();
      part.state = 'done';
      part.etag = stripQuotes(etag);
      part.sent = part.size;
      this.progressSoon();
      const file = this.file;
      if (file) this.uppy.emit('s3-multipart:part-uploaded', file, { PartNumber: part.n, ETag: part.etag });
      return;
    }
    part.sent = 0;
    this.progressSoon();
    if (error instanceof Aborted) {
      // A part of a file that failed or was cancelled: sent again later, if ever.
      part.state = 'pending';
      return;
    }
    if (error.status === 403 && !part.resigned) {
      // An expired or refused signature: one new URL.
      part.resigned = true;
      this.urls.delete(part.n);
      part.state = 'pending';
      return;
    }
    const outage = error.retryable && outageStatus(error.status);
    if (!error.retryable || (!outage && part.tries >= this.p.opts.retries)) {
      this.fail(new UploadError(`Part ${part.n}: ${error.message}`, error));
      return;
    }
    const wait = backoff(part.tries, error.retryAfter, 500, this.p.opts.outageWaitMax);
    if (outage) this.p.lost(error, wait);
    part.tries += 1;
    part.state = 'waiting';
    this.uppy.log(`[S3Up] part ${part.n}: ${error.message}, again in ${Math.round(wait)} ms`, 'warning');
    const t = setTimeout(() => {
      this.timers.delete(t);
      const back = () => {
        if (part.state !== 'waiting') return;
        part.state = 'pending';
        this.p.pumpSoon();
      };
      if (navigator.onLine === false) addEventListener('online', back, { once: true });
      else back();
    }, wait);
    this.timers.add(t);
  }

  async complete() {
    this.state = 'completing';
    const parts = this.parts.map((p) => ({ PartNumber: p.n, ETag: p.etag }));
    let res;
    try {
      res = await this.p.api('POST', `s3/multipart/${encodeURIComponent(this.uploadId)}/complete`, {
        query: { key: this.key },
        body: { parts },
        signal: this.ctrl.signal,
      });
    } catch (err) {
      if (!(err instanceof Aborted)) this.fail(err);
      return;
    }
    if (this.ended) return;
    this.uppy.setFileState(this.id, { s3Multipart: undefined });
    this.succeed({ location: res.location, key: res.key });
  }

  // -- progress and ends

  // Said with the plugin's next beat.
  progressSoon() {
    this.progressDue = true;
  }

  flushProgress() {
    if (!this.progressDue) return;
    this.progressDue = false;
    this.emitProgress();
  }

  emitProgress() {
    const file = this.file;
    if (!file || this.ended) return;
    const now = this.multipart
      ? this.parts.reduce((sum, p) => sum + p.sent, 0)
      : this.single.sent;
    // A part sent again counts from where it had reached: no jump back.
    this.reported = Math.min(this.size, Math.max(this.reported, now));
    this.uppy.emit('upload-progress', file, {
      uploadStarted: file.progress.uploadStarted ?? Date.now(),
      bytesUploaded: this.reported,
      bytesTotal: this.size,
    });
  }

  // Parts (or a whole-file POST) on their way now.
  get moving() {
    return this.multipart ? this.inflight : (this.single.xhr ? 1 : 0);
  }

  // When bytes of this file last moved (performance.now()), or 0.
  get lastMoved() {
    let t = this.single.xhr ? this.single.moved ?? 0 : 0;
    for (const p of this.parts) if (p.xhr && (p.moved ?? 0) > t) t = p.moved;
    return t;
  }

  stopAll() {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const part of this.parts) abort(part);
    abort(this.single);
  }

  succeed({ location: where, key }) {
    const file = this.file;
    this.emitProgress();
    this.state = 'done';
    this.stopAll();
    this.p.forget(this);
    if (file) {
      this.uppy.emit('upload-success', file, { status: 200, body: { location: where, key }, uploadURL: where });
    }
    this.resolve();
  }

  // The multipart upload stays: Uppy's retry continues it (ListParts).
  fail(err) {
    if (this.ended) return;
    this.state = 'failed';
    this.stopAll();
    this.ctrl.abort();
    this.p.forget(this);
    const file = this.file;
    if (file) this.uppy.emit('upload-error', file, err);
    this.resolve();
  }

  // New parts wait; those on their way finish (their bytes are not thrown away).
  pause() {
    if (this.ended) return;
    this.paused = true;
  }

  resume() {
    this.paused = false;
    this.p.pumpSoon();
  }

  cancel() {
    if (this.ended) return;
    this.state = 'canceled';
    this.stopAll();
    this.ctrl.abort();
    this.p.forget(this);
    // While it is being created, create() aborts the upload once it has its answer.
    if (this.uploadId) this.p.abortUpload(this.key, this.uploadId);
    this.resolve();
  }
}

const defaults = {
  id: 'S3Up',
  // Parts of one file at once (the server's S3UpPartsInFlight).
  partsInFlight: 4,
  // How often Uppy hears of the bytes sent (its Dashboard redraws each time). Over 500 ms,
  // Uppy's throttle of its total progress, so that its update joins the beat's redraw.
  progressMs: 1000,
  // Half-life of the smoothed rate behind the time left.
  rateHalfLifeMs: 8000,
  // Parts at once across files: the browser opens 6 connections to one host over HTTP/1.1.
  limit: 6,
  // Part size the server was configured with (session.part_size).
  partSize: 64 * MiB,
  // Part URLs asked for in one /batch request.
  signBatch: 12,
  // Retries of one part (or of a control request) on network errors, 5xx and 429.
  retries: 6,
  // A PUT with no progress for this long is dropped and sent again.
  stallMs: 15000,
  // No byte moved for this long while parts are on their way: the connection is said lost.
  quietMs: 5000,
  // Longest wait between tries while the store does not answer.
  outageWaitMax: 30000,
};

export default class S3UpUploader extends BasePlugin {
  #jobs = new Map();

  #cancelled = new Set();

  #busy = 0;

  #pumping = false;

  // The batch: every file of the uploads started since the last one ended (id -> size).
  #batch = new Map();

  #doneBytes = 0; // bytes of batch files that have ended (done), or left it

  #rate = null; // bytes per ms, smoothed

  #sample = null; // {t, bytes} of the last tick

  #base = null; // {t, bytes} when the batch started moving (bytes kept from before a reload)

  #ticker = null;

  #statusAt = 0; // performance.now() of the last 's3up:status'

  // The store does not answer: {since, retryAt, message}, or null.
  #outage = null;

  constructor(uppy, opts = {}) {
    // An option given as undefined (e.g. a field an older server does not send) keeps its default.
    super(uppy, { ...defaults, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) });
    if (typeof this.opts.endpoint !== 'string') throw new TypeError('S3UpUploader: endpoint is required');
    this.opts.endpoint = this.opts.endpoint.replace(/\/+$/, '');
    this.opts.partsInFlight = Math.max(1, Math.min(this.opts.partsInFlight, this.opts.limit));
    this.id = this.opts.id;
    this.type = 'uploader';
  }

  install() {
    this.#capability(true);
    this.uppy.addUploader(this.#upload);
    for (const [event, handler] of this.#handlers()) this.uppy.on(event, handler);
  }

  uninstall() {
    this.#capability(false);
    this.uppy.removeUploader(this.#upload);
    for (const [event, handler] of this.#handlers()) this.uppy.off(event, handler);
    for (const job of [...this.#jobs.values()]) {
      job.pause();
      job.stopAll();
    }
    clearInterval(this.#ticker);
  }

  // Uppy's events the plugin follows (Uppy's side, below).
  #handlers() {
    return [
      ['file-removed', this.#onRemoved],
      ['cancel-all', this.#onCancelAll],
      ['upload-pause', this.#onPause],
      ['pause-all', this.#onPauseAll],
      ['resume-all', this.#onResumeAll],
    ];
  }

  #capability(on) {
    const { capabilities } = this.uppy.getState();
    this.uppy.setState({ capabilities: { ...capabilities, resumableUploads: on } });
  }

  // -- slots for parts (and whole-file POSTs) in flight across files

  free() { return this.opts.limit - this.#busy; }

  take() { this.#busy += 1; }

  release() {
    this.#busy -= 1;
    this.pumpSoon();
  }

  pumpSoon() {
    if (this.#pumping) return;
    this.#pumping = true;
    queueMicrotask(() => {
      this.#pumping = false;
      for (const job of this.#jobs.values()) job.fill();
    });
  }

  forget(job) {
    if (this.#jobs.get(job.id) === job) {
      this.#jobs.delete(job.id);
      this.#batchEnd(job);
    }
    this.pumpSoon();
    this.#tick();
  }

  // -- the API of the location (same-origin fetch; cookies go along)

  // A call that fails because the store (or the server) does not answer is tried again
  // for as long as it takes, unless `persist` is false; other retryable failures `retries`
  // times.
  async api(method, path, { query, body, signal, retries = this.opts.retries, persist = true } = {}) {
    const url = new URL(`${this.opts.endpoint}/${path}`, location.href);
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
    for (let attempt = 0; ; attempt++) {
      try {
        const answer = await this.#fetchJSON(method, url, body, signal);
        // Signing asks nothing of the store: its answer says nothing about it.
        if (!path.endsWith('/batch')) this.answered();
        return answer;
      } catch (err) {
        const outage = persist && err.retryable && outageStatus(err.status);
        if (!err.retryable || (!outage && attempt >= retries) || signal?.aborted) throw err;
        const wait = backoff(attempt, err.retryAfter, 500, this.opts.outageWaitMax);
        if (outage) this.lost(err, wait);
        this.uppy.log(`[S3Up] ${method} ${url.pathname}: ${err.message}, trying again`, 'warning');
        await sleep(wait, signal);
      }
    }
  }

  // -- how the batch stands, for the page ('s3up:status' every second while files go up)

  // The store did not answer (err), next try in `wait` ms.
  lost(err, wait) {
    const now = Date.now();
    this.#outage = { since: this.#outage?.since ?? now, retryAt: now + wait, message: err.message };
    this.#tick();
  }

  // An answer came: the connection is back.
  answered() {
    if (!this.#outage) return;
    this.#outage = null;
    this.#sample = null;
    this.#tick();
  }

  // {state: 'idle'|'sending'|'paused'|'lost', bytes, total, rate (bytes/s or null),
  //  secondsLeft (or null), retryIn (s, or null when waiting for an answer), moving (parts on
  //  their way), files (of the batch)}.
  status() {
    const jobs = [...this.#jobs.values()];
    let bytes = this.#doneBytes;
    let moving = 0;
    let lastMoved = 0;
    for (const job of jobs) {
      if (this.#batch.has(job.id)) bytes += job.reported;
      moving += job.moving;
      lastMoved = Math.max(lastMoved, job.lastMoved);
    }
    const total = [...this.#batch.values()].reduce((a, b) => a + b, 0);
    const paused = jobs.length > 0 && jobs.every((j) => j.paused);
    // Parts on their way, and not a byte for quietMs: the line is down, whatever the
    // browser thinks.
    const quiet = moving > 0 && lastMoved > 0 && performance.now() - lastMoved > this.opts.quietMs;
    let state = 'idle';
    if (jobs.length > 0) {
      if (paused && moving === 0) state = 'paused';
      else state = this.#outage || quiet ? 'lost' : paused ? 'paused' : 'sending';
    }
    const retryIn = this.#outage && this.#outage.retryAt > Date.now() && !quiet
      ? Math.ceil((this.#outage.retryAt - Date.now()) / 1000) : null;
    const rate = this.#rate === null ? null : this.#rate * 1000;
    const secondsLeft = state === 'sending' && rate > 0 ? Math.max(0, (total - bytes) / rate) : null;
    return { state, bytes: Math.min(bytes, total), total, rate, secondsLeft, retryIn, moving, files: this.#batch.size };
  }

  // Every progressMs while files go up: the files' progress, and every second the status,
  // in one task, so that the page redraws once for both.
  #beat = () => {
    for (const job of this.#jobs.values()) job.flushProgress();
    if (performance.now() - this.#statusAt >= 1000 - this.opts.progressMs / 2) this.#tick();
  };

  #tick = () => {
    const now = performance.now();
    this.#statusAt = now;
    const st = this.status();
    // The rate: the average since the start for the first seconds, then an exponential
    // moving average of one-second samples (half-life rateHalfLifeMs); it stands still while
    // nothing can move (paused, connection lost).
    if (st.state === 'sending') {
      this.#base ??= { t: now, bytes: st.bytes };
      if (this.#sample && now > this.#sample.t) {
        const dt = now - this.#sample.t;
        const instant = Math.max(0, st.bytes - this.#sample.bytes) / dt;
        if (now - this.#base.t < 5000 || this.#rate === null) {
          this.#rate = (st.bytes - this.#base.bytes) / Math.max(1, now - this.#base.t);
        } else {
          const a = 1 - 2 ** (-dt / this.opts.rateHalfLifeMs);
          this.#rate += a * (instant - this.#rate);
        }
      }
      this.#sample = { t: now, bytes: st.bytes };
    } else {
      this.#sample = null;
    }
    this.uppy.emit('s3up:status', this.status());
    if (st.state === 'idle') {
      clearInterval(this.#ticker);
      this.#ticker = null;
    }
  };

  #batchAdd(files) {
    if (this.#jobs.size === 0 && this.#ticker === null) {
      this.#batch.clear();
      this.#doneBytes = 0;
      this.#rate = null;
      this.#sample = null;
      this.#base = null;
    }
    for (const f of files) if (!this.#batch.has(f.id)) this.#batch.set(f.id, f.size ?? 0);
    if (this.#ticker === null) this.#ticker = setInterval(this.#beat, this.opts.progressMs);
  }

  // A job ended: its bytes stay in the batch when it arrived, leave it when not.
  #batchEnd(job) {
    if (!this.#batch.has(job.id)) return;
    if (job.state === 'done') this.#doneBytes += job.size;
    else this.#batch.delete(job.id);
  }

  // The pages' JSON call (common/api.mjs); its errors as UploadError, retryable or not.
  async #fetchJSON(method, url, body, signal) {
    try {
      return await api(method, url, body, signal);
    } catch (err) {
      if (signal?.aborted) throw new Aborted();
      if (!(err instanceof ApiError)) throw err;
      throw new UploadError(err.message, {
        status: err.status,
        code: err.code,
        // Too many unfinished uploads is no passing state: waiting will not help.
        retryable: retryableStatus(err.status) && err.code !== 'TooManyUploads',
        retryAfter: err.retryAfter,
      });
    }
  }

  // DELETE a multipart upload (cancel); a few tries, never an error for the person.
  abortUpload(key, uploadId) {
    this.api('DELETE', `s3/multipart/${encodeURIComponent(uploadId)}`, { query: { key }, retries: 3, persist: false })
      .catch((err) => {
        // 404: the upload has ended already (completed, or aborted before).
        if (err.status !== 404) this.uppy.log(`[S3Up] could not abort ${uploadId}: ${err.message}`, 'warning');
      });
  }

  // -- Uppy's side

  #upload = async (fileIDs) => {
    const files = this.uppy.getFilesByIds(fileIDs)
      .filter((f) => !f.error && !f.progress.uploadComplete);
    if (files.length === 0) return;
    this.#batchAdd(files);
    this.uppy.emit('upload-start', files.filter((f) => !f.progress?.uploadStarted || !f.isRestored));
    const waits = files.map((file) => {
      const running = this.#jobs.get(file.id);
      if (running) return running.promise;
      if (!file.data || file.isRemote) {
        this.uppy.emit('upload-error', file, new UploadError('This file must be picked again before it can be sent'));
        return null;
      }
      const job = new Job(this, file);
      this.#jobs.set(file.id, job);
      return job.promise;
    });
    this.pumpSoon();
    await Promise.allSettled(waits);
  };

  #onRemoved = (file) => {
    const job = this.#jobs.get(file.id);
    if (job) {
      job.cancel();
    } else if (this.#cancelled.delete(file.id)) {
      // cancel-all has aborted it already.
    } else if (file.s3Multipart?.uploadId && !file.progress?.uploadComplete) {
      // A file kept from before a reload, removed before it went on.
      this.abortUpload(file.s3Multipart.key, file.s3Multipart.uploadId);
    }
  };

  #onCancelAll = () => {
    // Uppy removes every file next (file-removed); queued jobs must not start meanwhile.
    for (const job of [...this.#jobs.values()]) {
      this.#cancelled.add(job.id);
      job.cancel();
    }
  };

  #onPause = (file, isPaused) => {
    const job = file && this.#jobs.get(file.id);
    if (!job) return;
    if (isPaused) job.pause(); else job.resume();
  };

  #onPauseAll = () => {
    for (const job of this.#jobs.values()) if (this.uppy.getFile(job.id)?.isPaused) job.pause();
  };

  #onResumeAll = () => {
    for (const job of this.#jobs.values()) if (!this.uppy.getFile(job.id)?.isPaused) job.resume();
  };
}
