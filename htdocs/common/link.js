// The pages of an upload link before its portal opens (no inline script: the pages' policy
// allows scripts from this origin only).
//
// Passcode page: the server sends a wrong passcode back with ?wrong=1.
const wrong = document.getElementById('wrong');
if (wrong && new URLSearchParams(location.search).has('wrong')) {
  wrong.hidden = false;
  history.replaceState(null, '', location.pathname);
}

// Locked page: the time of the next try, in the reader's own time.
const at = document.getElementById('retry-at');
if (at) {
  const when = new Date(at.getAttribute('datetime'));
  if (!Number.isNaN(when.getTime())) {
    at.textContent = when.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }
}
