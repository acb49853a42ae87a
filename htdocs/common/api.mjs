// The pages' calls to their location's JSON API (admin api/..., the portal's api/... and
// s3/...), and the error they fail with. Served beside vendor/ below each portal's location
// (common/api.mjs), like the uploader that calls through it too.
//
// Same origin: the cookies of the sign-in or the upload link go along, and the browser's own
// Origin and Sec-Fetch-Site headers are what the server's same-origin check reads for any
// change (s3up_same_origin); the pages add no header of their own for it.

// A failed call: the HTTP status (0 when the server could not be reached), the server's
// error code and message ({"error": {"code", "message"}}), and its Retry-After in seconds.
export class ApiError extends Error {
  constructor(status, code, message, retryAfter = 0) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

// One call: `path` relative to the page (or a whole URL), `body` sent as JSON when given;
// resolves to the JSON answer (null when there is none). A call stopped through `signal`
// rejects with the browser's AbortError.
export async function api(method, path, body, signal) {
  const init = { method, headers: { accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin', signal };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(new URL(path, location.href), init);
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new ApiError(0, 'Network', 'The server could not be reached. Check your connection and try again');
  }
  const json = await res.json().catch(() => null);
  if (!res.ok) {
    const code = json?.error?.code ?? '';
    let message = json?.error?.message ?? (res.statusText || `HTTP ${res.status}`);
    // An expired sign-in: mod_auth_openidc answers a call (not a page) with 401 and its
    // own HTML, our routes with NotSignedIn. Said the same way, and the page offers to sign in.
    if (res.status === 401 && code !== 'LinkClosed') {
      message = 'you are no longer signed in (your sign-in has expired); sign in again and try once more';
      dispatchEvent(new CustomEvent('s3up:signed-out'));
    }
    throw new ApiError(res.status, code, message, Number(res.headers.get('Retry-After')) || 0);
  }
  return json;
}

// Once a call found the sign-in gone: a line at the top of the page with a link that signs
// in again and comes back to this very page (a page visit to a protected address is sent to
// the sign-in and back, where a call only gets 401). Nothing is lost by following it that
// the page would not lose anyway: what was typed is kept by the browser's own back.
export function offerSignIn() {
  addEventListener('s3up:signed-out', () => {
    if (document.getElementById('signed-out')) return;
    const box = document.createElement('p');
    box.id = 'signed-out';
    box.className = 'signed-out';
    box.setAttribute('role', 'alert');
    const a = document.createElement('a');
    a.href = location.href;
    a.textContent = 'Sign in again';
    box.append('Your sign-in has expired, so nothing more can be saved or sent. ', a,
      ' and you come back to this page.');
    const main = document.querySelector('main');
    main.prepend(box);
  });
}

// Whether a failure means "the store (or the server) does not answer; wait": no answer at
// all, or 503 (StoreUnavailable, with Retry-After).
export const isOutage = (err) => err instanceof ApiError && (err.status === 0 || err.status === 503);

// call() until it answers. While it is slow (no answer after slowMs) or fails because the
// store does not answer, say(text) tells the person, with the time to the next try; say(null)
// once it answered. Any other failure is thrown. The waits grow (1, 2, 4 ... 30 s) and are at
// least the server's Retry-After.
export async function patiently(call, say, { slowMs = 4000 } = {}) {
  for (let attempt = 0; ; attempt++) {
    const slow = setTimeout(() => say('The store is not answering yet. Still waiting for it…'), slowMs);
    try {
      const answer = await call();
      say(null);
      return answer;
    } catch (err) {
      if (!isOutage(err)) { say(null); throw err; }
      for (let left = Math.max(err.retryAfter || 0, Math.min(30, 2 ** attempt)); left > 0; left--) {
        say(`The store is not answering. Trying again in ${left} s…`);
        await new Promise((r) => { setTimeout(r, 1000); });
      }
      say('The store is not answering. Trying again now…');
    } finally {
      clearTimeout(slow);
    }
  }
}
