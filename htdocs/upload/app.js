// The customer portal: who is signed in, which folder (endpoint) files go to, Uppy's
// Dashboard sending them straight to S3 through this location's Companion-compatible API,
// and the files already received.
//
// Every address is relative to the page's folder: the page is served at <location>/ and at
// <location>/e/{endpoint}/, and the API (api/..., s3/...) lies below the same folder.
import { Uppy, Dashboard, AwsS3, GoldenRetriever } from './vendor/uppy.min.mjs';
import S3UpUploader, { partSizeFor } from './common/uploader.mjs';
import { api, patiently, offerSignIn } from './common/api.mjs';
import { humanSize, timeElement, duration, dateFormat } from './common/format.mjs';
import { offerUnfinished } from './unfinished.mjs';

const MiB = 1024 * 1024;
// Uppy's stock AwsS3 plugin only: below this a file goes up in one form POST (/s3/params);
// above it in parts. Our uploader sends a file in parts when it needs more than one.
const MULTIPART_ABOVE = 100 * MiB;
// Which uploader sends the files: ours (uploader.mjs), or with ?uploader=stock in the page's
// address Uppy's own AwsS3 plugin against the same server (to compare them).
const STOCK = new URLSearchParams(location.search).get('uploader') === 'stock';
// Files up to this size are kept in the browser (IndexedDB) so an upload resumes after a
// reload by itself; bigger ones are picked again after a reload (their parts still resume).
const KEEP_IN_BROWSER = 32 * MiB;
// Cancelling (or removing) unfinished files of this many bytes or more asks first.
const CONFIRM_CANCEL_ABOVE = 100 * MiB;
const here = new URL('.', location.href);
const $ = (id) => document.getElementById(id);

function show(id, on = true) { $(id).hidden = !on; }

// A problem the person must read: replaces the page's content below the header.
function problem(title, text, action) {
  show('loading', false);
  const box = $('problem');
  box.replaceChildren();
  const h = document.createElement('h2');
  h.textContent = title;
  const p = document.createElement('p');
  p.textContent = text;
  box.append(h, p);
  if (action) box.append(action);
  box.hidden = false;
  box.focus();
}

function link(text, href) {
  const a = document.createElement('a');
  a.href = href;
  a.textContent = text;
  a.className = 'button';
  return a;
}

// -- the store not answering: said plainly (common/api.mjs, patiently), tried again by itself

// The page-wide line that says the store is not answering (#store-state); null hides it.
function storeState(text) {
  const line = $('store-state');
  line.textContent = text ?? '';
  line.hidden = !text;
}

function sessionProblem(err) {
  if (err.code === 'LinkClosed') {
    problem('This upload link can no longer be used',
      'It has expired or was withdrawn, or it was not opened in this browser. Open the link you were sent again; if it still does not work, ask the sender for a new one.',
      null);
  } else if (err.status === 401) {
    problem('You are not signed in',
      'Your sign-in is missing or has expired. Sign in again to send files.',
      link('Sign in', location.href));
  } else if (err.status === 403 || err.status === 404) {
    problem('This folder is not open to you', err.message, null);
  } else {
    const again = document.createElement('button');
    again.type = 'button';
    again.className = 'button';
    again.textContent = 'Try again';
    again.addEventListener('click', () => location.reload());
    problem('The upload service is not available right now',
      `${err.message || 'No answer'}${err.status ? ` (HTTP ${err.status})` : ''}. Try again in a few minutes.`,
      again);
  }
}

// The endpoint chosen in the address (<location>/e/{id}/), if any.
function chosenEndpoint() {
  const m = location.pathname.match(/\/e\/([^/]+)\/[^/]*$/);
  return m ? decodeURIComponent(m[1]) : null;
}

function showPicker(endpoints) {
  const list = $('picker-list');
  list.replaceChildren(...endpoints.map((ep) => {
    const li = document.createElement('li');
    const a = link(ep.id, `${ep.base}/`);
    li.append(a);
    if (ep.expires) {
      const s = document.createElement('span');
      s.className = 'note';
      s.append(' open until ', timeElement(ep.expires));
      li.append(s);
    }
    return li;
  }));
  show('picker');
  list.querySelector('a')?.focus();
}

function showEndpoint(ep) {
  shown = ep;
  $('endpoint-id').textContent = ep.id;
  const p = $('endpoint-facts');
  p.replaceChildren(`Files up to ${humanSize(ep.max_file_size)} each.`);
  if (ep.expires) p.append(' Open until ', timeElement(ep.expires), '.');
  show('endpoint');
}

// The endpoint this page sends to, as the server last described it.
let shown = null;

// A phone (or a window as narrow as one): no dropping files, and no folder picking, which
// phones' file pickers do not offer.
const PHONE = matchMedia('(pointer: coarse) and (hover: none), (max-width: 34rem)').matches;

// The limit and expiry the server states now: the page says them again when they changed
// (a limit lowered while the page was open, say), and Uppy checks new files against them.
async function refreshLimits(uppy) {
  let session;
  try {
    session = await api('GET', 'api/session');
  } catch {
    return;
  }
  const ep = session.endpoints.find((e) => e.id === shown.id);
  if (!ep || (ep.max_file_size === shown.max_file_size && ep.expires === shown.expires)) return;
  showEndpoint(ep);
  uppy.setOptions({ restrictions: { maxFileSize: ep.max_file_size } });
  uppy.getPlugin('Dashboard')?.setOptions({ note: limitNote(ep) });
}

const limitNote = (ep) => `Any number of files, each up to ${humanSize(ep.max_file_size)}.`;

// -- files the page or the server would not take: listed below the Dashboard with the reason
// and what to do, until the person clears the list (a toast that vanishes is easily missed).

function refuse(name, text) {
  const box = $('refused');
  const item = document.createElement('li');
  const b = document.createElement('strong');
  b.textContent = name;
  item.append(b, ` ${text}`);
  $('refused-list').append(item);
  box.hidden = false;
}

function tooBig(file, limit) {
  refuse(file.name, `(${humanSize(file.size ?? 0)}) is larger than this folder takes: files up to ${humanSize(limit)} each. It was not sent; split it or ask the person who invited you for a higher limit.`);
}

// What the server's refusal of a file means, when sending it again will not help; null
// for failures worth another try (Uppy's Retry stays for those).
function refusal(err) {
  if (err?.code === 'TooLarge' || err?.status === 413) return 'too-large';
  if (err?.code === 'EndpointExpired') return 'This folder\'s time to receive files has ended. Nothing more can be sent to it; ask the person who invited you to open it again.';
  if (err?.code === 'EndpointRevoked') return 'This folder was closed. Nothing more can be sent to it; ask the person who invited you.';
  if (err?.code === 'LinkClosed') return 'This upload link has expired or was withdrawn. Ask the sender for a new link.';
  return null;
}

function watchRefusals(uppy) {
  uppy.on('restriction-failed', (file, error) => {
    if (file && shown && (file.size ?? 0) > shown.max_file_size) tooBig(file, shown.max_file_size);
    else if (file) refuse(file.name, `was not added: ${error?.message ?? 'it cannot be sent'}.`);
  });
  uppy.on('upload-error', async (file, err) => {
    const why = refusal(err);
    if (!why || !uppy.getFile(file.id)) return;
    uppy.removeFile(file.id);
    if (why === 'too-large') {
      await refreshLimits(uppy);
      tooBig(file, shown.max_file_size);
    } else {
      refuse(file.name, `was not sent. ${why}`);
    }
  });
  $('refused-clear').addEventListener('click', () => {
    $('refused-list').replaceChildren();
    show('refused', false);
    document.querySelector('#uppy .uppy-Dashboard-browse, #uppy .uppy-StatusBar-actionBtn--upload')?.focus();
  });
  addEventListener('visibilitychange', () => { if (!document.hidden) refreshLimits(uppy); });
}

// After files are picked (by keyboard too) the picker's button is gone from the Dashboard:
// the keyboard goes on to the Upload button instead of starting again at the page's top.
function focusAfterPick(uppy) {
  uppy.on('files-added', () => {
    setTimeout(() => {
      const now = document.activeElement;
      if (now && now !== document.body && !$('uppy').contains(now)) return;
      $('uppy').querySelector('.uppy-StatusBar-actionBtn--upload')?.focus();
    }, 0);
  });
}

// A person with several folders, on one folder's page: offer the way back to the choice.
async function offerSwitch(ep) {
  const root = ep.base.slice(0, -`/e/${ep.id}`.length);
  try {
    const all = await api('GET', `${root}/api/session`);
    if (all.endpoints.length > 1) {
      $('switch-link').href = `${root}/`;
      show('switch');
    }
  } catch { /* only an offer */ }
}

function startUppy(session, ep) {
  const safe = (s) => s.replace(/[^A-Za-z0-9_-]/g, '_');
  const uppy = new Uppy({
    // Per person and folder: what GoldenRetriever restores belongs to this page only.
    id: `s3up-${safe(ep.id)}-${safe(session.user.name)}`,
    autoProceed: false,
    restrictions: { maxFileSize: ep.max_file_size },
    // Our uploader sends meta as the server takes it (common/uploader.mjs, meta()); for the
    // stock AwsS3, which sends every meta field: relativePath only for files of a folder,
    // and the size, so an over-limit file is refused before any byte is sent.
    ...(STOCK && { onBeforeFileAdded: (file) => {
      const { relativePath, ...meta } = file.meta;
      if (relativePath) meta.relativePath = relativePath;
      meta.size = file.size;
      return { ...file, meta };
    } }),
  });
  uppy.use(Dashboard, {
    inline: true,
    target: '#uppy',
    width: '100%',
    height: matchMedia('(max-width: 34rem)').matches ? 320 : 420,
    fileManagerSelectionType: PHONE ? 'files' : 'both',
    proudlyDisplayPoweredByUppy: false,
    note: limitNote(ep),
    // Uppy names every file's remove button the same; a screen reader user needs to know
    // which file a button removes (or cancels, while it uploads).
    locale: { strings: {
      removeFile: 'Remove file %{file}',
      ...(PHONE && { dropPasteFiles: 'Choose the files to send: %{browseFiles}', browseFiles: 'pick files', dropHint: 'Your files go here' }),
    } },
  });
  if (STOCK) {
    uppy.use(AwsS3, {
      // No trailing slash: the plugin appends "/s3/...".
      companionEndpoint: here.href.replace(/\/$/, ''),
      shouldUseMultipart: (file) => (file.size ?? 0) > MULTIPART_ABOVE,
      // The server signs each part URL for its exact length, cut at its part size (grown
      // for files over 10,000 parts): the file's size (meta.size above) and this must agree.
      getChunkSize: (file) => partSizeFor(file.size, session.part_size),
      // Files at once; a big file's parts go one after another.
      limit: 4,
    });
  } else {
    uppy.use(S3UpUploader, {
      endpoint: here.href.replace(/\/$/, ''),
      partSize: session.part_size,
      // Parts of one file at once (S3UpPartsInFlight); across files at most 6, the browser's
      // connections to one host. In proxy mode the parts go to this host too: keep one
      // connection for the API.
      partsInFlight: session.parts_in_flight,
      limit: session.mode === 'proxy' ? 5 : 6,
    });
  }
  // Before GoldenRetriever, which announces what it restored ('restored').
  offerUnfinished(uppy, { keepUpTo: KEEP_IN_BROWSER });
  uppy.use(GoldenRetriever, {
    indexedDB: { maxFileSize: KEEP_IN_BROWSER, maxTotalSize: 8 * KEEP_IN_BROWSER },
  });
  uppy.on('upload-success', (file, res) => {
    arrivedKeys.add(res?.body?.key);
    refreshSoon();
  });
  uppy.on('complete', (result) => {
    refreshSoon();
    showReceipt(result.successful ?? []);
  });
  uppy.on('upload-start', () => hideReceipt());
  uppy.on('s3up:status', showTransfer);
  guardLeaving();
  guardCancel(uppy);
  watchRefusals(uppy);
  focusAfterPick(uppy);
  show('send');
}

// -- how the batch stands (the uploader's 's3up:status'), below the Dashboard

let lastTransfer = { state: 'idle' };

function showTransfer(st) {
  lastTransfer = st;
  const line = $('transfer');
  line.dataset.state = st.state;
  line.dataset.bytes = String(st.bytes);
  line.dataset.total = String(st.total);
  if (st.state === 'idle') {
    line.hidden = true;
    return;
  }
  const sent = `${humanSize(st.bytes)} of ${humanSize(st.total)} sent`;
  let text;
  if (st.state === 'lost') {
    text = st.retryIn ? `Connection lost, retrying in ${st.retryIn} s. ${sent}; nothing sent is lost.`
      : `Connection lost, retrying: waiting for the store to answer. ${sent}; nothing sent is lost.`;
  } else if (st.state === 'paused') {
    text = st.moving > 0
      ? `Pausing: the ${st.moving} ${st.moving === 1 ? 'part' : 'parts'} on the way finish first. ${sent}.`
      : `Paused. ${sent}; resuming continues from there.`;
  } else {
    const left = st.secondsLeft === null ? 'estimating the time left' : `about ${duration(st.secondsLeft)} left`;
    text = `${sent} · ${left}`;
  }
  line.textContent = text;
  line.hidden = false;
}

// Leaving the page while bytes move asks first (the browser's own question).
function guardLeaving() {
  addEventListener('beforeunload', (e) => {
    const { state, moving } = lastTransfer;
    if (state === 'idle' || (state === 'paused' && !moving)) return;
    e.preventDefault();
    e.returnValue = '';
  });
}

// Cancelling unfinished files of CONFIRM_CANCEL_ABOVE bytes or more (the status bar's
// Cancel, a file's remove button while it uploads) asks first. Caught before Uppy sees the
// click; keyboard presses of a button arrive as clicks too.
function guardCancel(uppy) {
  const unfinished = (f) => f.progress?.uploadStarted && !f.progress?.uploadComplete && !f.error;
  document.addEventListener('click', (e) => {
    const button = e.target instanceof Element ? e.target.closest('button') : null;
    if (!button || !$('uppy').contains(button)) return;
    let files = [];
    if (button.matches('[data-cy="cancel"], .uppy-StatusBar-actionBtn--cancel')) {
      files = uppy.getFiles().filter(unfinished);
    } else if (button.matches('.uppy-Dashboard-Item-action--remove')) {
      const item = button.closest('[id^="uppy_"]');
      const file = item && uppy.getFile(item.id.replace(/^uppy_/, ''));
      files = file && unfinished(file) ? [file] : [];
    }
    const bytes = files.reduce((n, f) => n + (f.size ?? 0), 0);
    if (bytes < CONFIRM_CANCEL_ABOVE) return;
    const sent = files.reduce((n, f) => n + (f.progress?.bytesUploaded ?? 0), 0);
    const what = files.length === 1 ? `"${files[0].name}"` : `${files.length} files`;
    const question = `Cancel the upload of ${what} (${humanSize(bytes)})? `
      + `The ${humanSize(sent)} already sent will be thrown away.`;
    if (!confirm(question)) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);
}

// -- the receipt of what arrived

function hideReceipt() { show('receipt', false); }

// Files up to this size get their SHA-256 in the receipt, computed in the browser after the
// upload (the whole file is read into memory for it); bigger ones none.
const HASH_UP_TO = 64 * MiB;

async function sha256(blob) {
  if (!crypto.subtle || !blob || blob.size > HASH_UP_TO) return null;
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function receiptText(rows, at) {
  const lines = [`Files received by ${location.host} (${dateFormat.format(at)})`, ''];
  for (const r of rows) {
    lines.push(`${r.name}\t${humanSize(r.size)} (${r.size} bytes)\t${r.key}${r.sum ? `\tsha256 ${r.sum}` : ''}`);
  }
  lines.push('', `${rows.length} ${rows.length === 1 ? 'file' : 'files'}, ${humanSize(rows.reduce((n, r) => n + r.size, 0))} in all.`);
  return `${lines.join('\n')}\n`;
}

async function showReceipt(successful) {
  if (successful.length === 0) return;
  const at = new Date();
  const rows = successful.map((f) => ({
    name: f.meta?.relativePath || f.name,
    size: f.size ?? 0,
    key: f.response?.body?.key ?? '',
    data: f.data,
    sum: null,
  }));
  for (const r of rows) r.sum = await sha256(r.data).catch(() => null);
  $('receipt-time').replaceChildren(timeElement(at.toISOString()));
  $('receipt-body').replaceChildren(...rows.map((r) => {
    const tr = document.createElement('tr');
    const name = document.createElement('td');
    name.className = 'name';
    name.textContent = r.name;
    const size = document.createElement('td');
    size.className = 'num';
    size.textContent = humanSize(r.size);
    size.title = `${r.size} bytes`;
    const sum = document.createElement('td');
    sum.className = 'sum';
    sum.textContent = r.sum ?? 'not computed';
    tr.append(name, size, sum);
    return tr;
  }));
  $('receipt-count').textContent = `${rows.length} ${rows.length === 1 ? 'file' : 'files'}, ${humanSize(rows.reduce((n, r) => n + r.size, 0))} in all.`;
  const save = $('receipt-save');
  URL.revokeObjectURL(save.href);
  save.href = URL.createObjectURL(new Blob([receiptText(rows, at)], { type: 'text/plain' }));
  save.download = `receipt-${at.toISOString().slice(0, 19).replace(/[:T]/g, '-')}.txt`;
  show('receipt');
}

// -- files received

let cursor = null;
let refreshTimer = null;
// Keys that arrived in this page and that the list has not shown yet.
const arrivedKeys = new Set();
// A load under way (it may be waiting for the store): refreshes wait their turn.
let loadingFiles = false;

// Reload the list after an arrival; again (a few times) while a file that arrived is not in
// it yet, so the list ends up showing it.
function refreshSoon(tries = 4) {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(async () => {
    if (loadingFiles) { refreshSoon(tries); return; }
    const shown = await loadFiles(false);
    for (const k of shown ?? []) arrivedKeys.delete(k);
    arrivedKeys.delete(undefined);
    if (arrivedKeys.size > 0 && !cursor && tries > 1) refreshSoon(tries - 1);
  }, 500);
}

async function loadFiles(more) {
  const status = $('files-status');
  const body = $('files-body');
  const params = new URLSearchParams();
  if (more && cursor) params.set('cursor', cursor);
  status.textContent = more ? 'Loading more files…' : 'Loading files…';
  let page;
  loadingFiles = true;
  try {
    const query = params.toString();
    page = await patiently(() => api('GET', query ? `api/files?${query}` : 'api/files'), storeState);
  } catch (err) {
    status.textContent = `The list of files could not be loaded: ${err.message}.`;
    return null;
  } finally {
    loadingFiles = false;
  }
  const rows = page.files.map((f) => {
    // Explicit roles: at phone width the table is laid out as blocks, which drops the
    // table semantics in some browsers.
    const tr = document.createElement('tr');
    tr.setAttribute('role', 'row');
    const name = document.createElement('td');
    name.className = 'name';
    name.textContent = f.name;
    const size = document.createElement('td');
    size.className = 'num';
    size.textContent = humanSize(f.size);
    const when = document.createElement('td');
    when.append(timeElement(f.last_modified));
    for (const td of [name, size, when]) td.setAttribute('role', 'cell');
    tr.append(name, size, when);
    return tr;
  });
  if (more) body.append(...rows); else body.replaceChildren(...rows);
  cursor = page.next;
  const count = body.children.length;
  show('files', count > 0);
  show('more', Boolean(cursor));
  status.textContent = count === 0 ? 'No files received yet.'
    : `${count} ${count === 1 ? 'file' : 'files'}${cursor ? ' shown, more below' : ''}.`;
  $('files-updated').replaceChildren('Updated ', timeElement(new Date().toISOString()), '.');
  return page.files.map((f) => f.key);
}

async function main() {
  if (PHONE) $('send-title').textContent = 'Add files';
  if (PHONE) $('send-note').textContent = 'Pick the files to send below. Large files go up in parts; if the page is closed or the connection is lost, open this page again and the upload continues where it stopped (for big files you may be asked to pick them again).';
  let session;
  try {
    session = await patiently(() => api('GET', 'api/session'), storeState);
  } catch (err) {
    sessionProblem(err);
    return;
  }
  // From here on a call that finds the sign-in gone offers it again (before, the page's
  // own message does).
  offerSignIn();
  show('loading', false);
  $('who-name').textContent = session.user.name;
  show('who');

  const chosen = chosenEndpoint();
  const { endpoints } = session;
  const closed = (session.closed ?? []).find((c) => !chosen || c.id === chosen);
  if (endpoints.length === 0 && closed) {
    const text = document.createElement('p');
    if (closed.why === 'expired') {
      text.append(`The folder "${closed.id}" took files until `, timeElement(closed.expires),
        '. Nothing more can be sent to it. If you still have files to send, ask the person who invited you to open it again.');
    } else {
      text.append(`The folder "${closed.id}" was closed, so nothing more can be sent to it. If you still have files to send, ask the person who invited you.`);
    }
    problem(closed.why === 'expired' ? 'This folder has expired' : 'This folder was closed', '', null);
    $('problem').querySelector('p').replaceWith(text);
    return;
  }
  if (endpoints.length === 0) {
    if (chosen) {
      problem('This folder is not open to you',
        `There is no folder "${chosen}" you may send files to. It may have been closed, or the address may be wrong.`,
        link('See your folders', new URL('../../', here).href));
    } else {
      problem('No folder to send files to',
        'You are signed in, but no folder is open to you now: none was opened for you, or the time to send files has ended or it was closed. Ask the person who invited you to open one for you.',
        null);
    }
    return;
  }
  if (!chosen && endpoints.length > 1) {
    showPicker(endpoints);
    return;
  }
  const ep = chosen ? endpoints.find((e) => e.id === chosen) ?? endpoints[0] : endpoints[0];
  showEndpoint(ep);
  if (chosen) offerSwitch(ep);
  startUppy(session, ep);

  $('receipt-print').addEventListener('click', () => print());
  show('received');
  $('refresh').addEventListener('click', () => loadFiles(false));
  $('more').addEventListener('click', async () => {
    await loadFiles(true);
    // The button goes away after the last page: keep the keyboard in the list.
    if ($('more').hidden) $('received-title').focus();
  });
  await loadFiles(false);
}

main();
