// An init script for browser tests of the portal's uploads: it wraps XMLHttpRequest in the
// page, so a test can watch and steer the PUTs of multipart parts without touching S3.
//
//   await page.addInitScript(s3probe);
//   await page.evaluate(() => { window.s3probe.fail[2] = ['network', 503]; });
//   ... upload ...
//   const p = await page.evaluate(() => window.s3probe.state());
//
// window.s3probe:
//   state()   -> {max, inflight, puts: {partNumber: PUTs sent}, injected: [[n, kind]],
//                 done: [partNumbers answered 2xx], held: [partNumbers held]}
//   fail[n] = [kind, ...]   the next PUTs of part n fail, one kind each, without a request:
//                           'network' (an XHR error event) or an HTTP status (e.g. 503)
//   holdFrom = n            PUTs of parts >= n wait (not sent) until release(); an abort of
//                           a held PUT ends it as the abort of a request in flight would
//   release()               send the held PUTs (those not aborted) and hold no more
//   reset()                 forget what was counted (between uploads)
// Only part PUTs count: to S3 (partNumber and uploadId in the query) or, in proxy mode, to
// httpd (.../s3/multipart/{uploadId}/{n}/data). State lives in the page: a reload
// starts it again.
export const s3probe = `(() => {
  const probe = {
    inflight: 0, max: 0, puts: {}, injected: [], done: [], fail: {}, holdFrom: Infinity, waiting: [],
    state() {
      return { max: this.max, inflight: this.inflight, puts: { ...this.puts }, injected: [...this.injected],
        done: [...this.done], held: this.waiting.map((w) => w.n) };
    },
    reset() {
      Object.assign(this, { max: this.inflight, puts: {}, injected: [], done: [], fail: {} });
    },
    release() {
      this.holdFrom = Infinity;
      const waiting = this.waiting.splice(0);
      for (const w of waiting) w.go();
    },
  };
  window.s3probe = probe;
  const P = XMLHttpRequest.prototype;
  const { open, send, abort } = P;
  const fire = (xhr, type) => xhr.dispatchEvent(new ProgressEvent(type));
  const partOf = (url) => {
    try {
      const u = new URL(url, location.href);
      const q = u.searchParams;
      if (q.has('uploadId') && q.has('partNumber')) return Number(q.get('partNumber'));
      return Number(u.pathname.match(/\\/s3\\/multipart\\/[^/]+\\/(\\d+)\\/data$/)?.[1] || 0);
    } catch { return 0; }
  };
  // Counted as ended at its first load, error or abort event: these listeners come before the
  // page's own (added after open), which may start the next PUT at once.
  const ended = function () {
    if (!this.__counted) return;
    this.__counted = false;
    probe.inflight -= 1;
    if (this.status >= 200 && this.status < 300) probe.done.push(this.__part);
  };
  P.open = function (method, url, ...rest) {
    this.__part = String(method).toUpperCase() === 'PUT' ? partOf(url) : 0;
    if (this.__part) for (const type of ['load', 'error', 'abort']) this.addEventListener(type, ended);
    return open.call(this, method, url, ...rest);
  };
  P.send = function (body) {
    const n = this.__part;
    if (!n) return send.call(this, body);
    const kind = probe.fail[n]?.shift();
    if (kind !== undefined) {
      probe.injected.push([n, kind]);
      setTimeout(() => {
        if (kind === 'network') {
          fire(this, 'error');
        } else {
          Object.defineProperty(this, 'status', { get: () => kind });
          Object.defineProperty(this, 'readyState', { get: () => 4 });
          fire(this, 'load');
        }
        fire(this, 'loadend');
      }, 20);
      return undefined;
    }
    const go = () => {
      probe.inflight += 1;
      probe.max = Math.max(probe.max, probe.inflight);
      probe.puts[n] = (probe.puts[n] || 0) + 1;
      this.__counted = true;
      send.call(this, body);
    };
    if (n >= probe.holdFrom) {
      this.__held = { n, go };
      probe.waiting.push(this.__held);
      return undefined;
    }
    go();
    return undefined;
  };
  P.abort = function () {
    const held = this.__held;
    if (held && probe.waiting.includes(held)) {
      probe.waiting.splice(probe.waiting.indexOf(held), 1);
      this.__held = null;
      fire(this, 'abort');
      fire(this, 'loadend');
      return undefined;
    }
    return abort.call(this);
  };
})();`;
