// The pages of an upload link before its portal opens (no inline script: the pages' policy
// allows scripts from this origin only).
import { clockFormat, localTime } from './format.mjs';

// Passcode page: the server sends a wrong passcode back with ?wrong=1.
const wrong = document.getElementById('wrong');
if (wrong && new URLSearchParams(location.search).has('wrong')) {
  wrong.hidden = false;
  history.replaceState(null, '', location.pathname);
}

// Locked page: the time of the next try, in the reader's own time.
const at = document.getElementById('retry-at');
const retry = at && localTime(at.dateTime, clockFormat);
if (retry) at.textContent = retry;
