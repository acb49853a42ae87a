// The admin portal: upload endpoints (list, search, create with one-time secrets), one
// endpoint's page (members, status, expiry, limit, note, labelled upload links, files
// sorted, filtered and grouped in folders by the server, several at once, share addresses
// with their use counts, unfinished uploads, an Uppy Dashboard into the customer's folder,
// deletion).
//
// Routing is in the hash (#/ and #/e/{id}), so the page itself is always <location>/ and
// every address below is relative to it: api/... for the admin API, e/{id}/s3/... for the
// customer routes into an endpoint's folder.
import { Uppy, Dashboard } from './vendor/uppy.min.mjs';
import S3UpUploader from './common/uploader.mjs';
import { api, patiently, offerSignIn } from './common/api.mjs';
import {
  humanSize, parseSize, sizeText, dayFormat, localTime, timeElement, age, endOfDay, dayValue,
} from './common/format.mjs';

const MiB = 1024 * 1024;
const here = new URL('.', location.href);
const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;
// The shortest passcode an admin may choose (the server's minimum too).
const PASSCODE_MIN = 8;

// -- small DOM helpers

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

function show(id, on = true) { $(id).hidden = !on; }

// The parts index.html writes once (<template>), in place of each
// <div data-template="{template}" data-prefix="{p}">: their ids and names, and the
// references to them, get "{p}-"; an element with data-text="{x}" takes the div's data-{x}.
for (const slot of document.querySelectorAll('[data-template]')) {
  const part = $(slot.dataset.template).content.cloneNode(true);
  for (const e of part.querySelectorAll('[id], [name], [for], [aria-describedby]')) {
    for (const a of ['id', 'name', 'for', 'aria-describedby']) {
      const v = e.getAttribute(a);
      if (v) e.setAttribute(a, v.split(' ').map((id) => `${slot.dataset.prefix}-${id}`).join(' '));
    }
  }
  for (const e of part.querySelectorAll('[data-text]')) {
    e.textContent = slot.dataset[e.dataset.text] ?? e.textContent;
  }
  slot.replaceWith(part);
}

// Explicit table roles: at phone width the tables are laid out as blocks, which drops
// their semantics in some browsers.
function tableRoles(root) {
  for (const [sel, role] of [['table', 'table'], ['thead, tbody', 'rowgroup'], ['tr', 'row'], ['th', 'columnheader'], ['td', 'cell']]) {
    for (const e of root.querySelectorAll(sel)) e.setAttribute('role', role);
  }
}
tableRoles(document);
const observer = new MutationObserver((changes) => {
  for (const c of changes) tableRoles(c.target);
});
for (const tbody of document.querySelectorAll('tbody')) observer.observe(tbody, { childList: true });

function setError(id, text) {
  $(id).textContent = text ?? '';
  $(id).hidden = !text;
}

function flash(text) {
  $('flash').textContent = text;
  $('flash').hidden = !text;
}

function problem(title, text) {
  show('loading', false);
  show('view-list', false);
  show('view-endpoint', false);
  $('problem').replaceChildren(el('h2', {}, title), el('p', {}, text));
  show('problem');
  $('problem').focus();
}

function lines(text) {
  return text.split('\n').map((s) => s.trim()).filter(Boolean);
}

// Copy the text of the element named by a button's data-copy; says so in a live region.
async function copyFrom(button, statusId) {
  const target = $(button.dataset.copy);
  const text = ['INPUT', 'TEXTAREA'].includes(target.tagName) ? target.value : target.textContent;
  let done = false;
  try {
    await navigator.clipboard.writeText(text);
    done = true;
  } catch {
    // No clipboard API (a page over plain http on another host): select it for Ctrl+C.
    if (['INPUT', 'TEXTAREA'].includes(target.tagName)) {
      target.select();
      done = document.execCommand?.('copy') ?? false;
    }
  }
  const status = $(statusId);
  if (status) status.textContent = done ? 'Copied.' : 'Select the text and copy it (Ctrl+C).';
  button.textContent = done ? 'Copied' : 'Copy';
  setTimeout(() => { button.textContent = 'Copy'; }, 2000);
}

document.addEventListener('click', (e) => {
  const b = e.target.closest('button.copy');
  if (b) copyFrom(b, b.closest('dialog')?.querySelector('[role=status]')?.id ?? 'flash');
  const close = e.target.closest('[data-close]');
  if (close) close.closest('dialog').close();
});

// Dialogs: showModal keeps focus inside and closes on Escape; on close, focus goes back
// to whatever opened it.
function openDialog(dialog, focus) {
  const opener = document.activeElement;
  dialog.addEventListener('close', () => opener?.focus?.(), { once: true });
  dialog.showModal();
  (focus ?? dialog.querySelector('input:not([disabled]), select, textarea, button'))?.focus();
}

function confirmAction(title, text, yes) {
  const d = $('confirm');
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  $('confirm-yes').textContent = yes;
  d.returnValue = '';
  return new Promise((resolve) => {
    d.addEventListener('close', () => resolve(d.returnValue === 'yes'), { once: true });
    openDialog(d, $('confirm-no'));
  });
}

// Passcode choice (radios none/generate/typed + a text field) → the API's passcode value.
function passcodeChoice(radioName, inputId) {
  const choice = document.querySelector(`input[name="${radioName}"]:checked`).value;
  if (choice === 'generate') return true;
  if (choice === 'typed') return $(inputId).value;
  return null;
}

function wirePasscode(radioName, inputId) {
  for (const r of document.querySelectorAll(`input[name="${radioName}"]`)) {
    r.addEventListener('change', () => {
      const typed = r.value === 'typed' && r.checked;
      $(inputId).disabled = !typed;
      if (typed) $(inputId).focus();
    });
  }
}

// -- the list

const list = { endpoints: [], next: null, q: '' };

function matches(ep, text) {
  if (!text) return true;
  const t = text.toLowerCase();
  return ep.id.includes(t) || ep.note.toLowerCase().includes(t)
    || ep.members.some((m) => m.toLowerCase().includes(t));
}

function statusText(ep) {
  if (ep.status !== 'active') return 'revoked';
  if (ep.expires && new Date(ep.expires) < new Date()) return 'expired';
  return 'active';
}

function renderList() {
  const text = $('q').value.trim();
  const shown = list.endpoints.filter((ep) => matches(ep, text));
  $('endpoints-body').replaceChildren(...shown.map((ep) => {
    const st = statusText(ep);
    return el('tr', {},
      el('td', { class: 'name' }, el('a', { href: `#/e/${enc(ep.id)}`, class: 'id' }, ep.id)),
      el('td', {}, el('span', { class: `badge ${st}` }, st)),
      el('td', { class: 'members' }, ep.members.length ? ep.members.join(', ') : '—'),
      el('td', {}, ep.expires ? timeElement(ep.expires, dayFormat) : 'no end'),
      el('td', { class: 'note-cell' }, ep.note || ''));
  }));
  show('endpoints', shown.length > 0);
  show('list-more', Boolean(list.next));
  const total = list.endpoints.length;
  let s;
  if (total === 0) s = list.q ? `No endpoint id starts with “${list.q}”.` : 'No endpoints yet. Make one with “New endpoint”.';
  else if (shown.length === 0) s = `None of the ${total} loaded endpoints matches “${text}”.`;
  else s = `${shown.length} ${shown.length === 1 ? 'endpoint' : 'endpoints'}${shown.length < total ? ` of ${total} loaded` : ''}${list.next ? ', more on the server' : ''}.`;
  $('list-status').textContent = s;
}

async function loadList(more) {
  const params = new URLSearchParams();
  if (list.q) params.set('q', list.q);
  if (more && list.next) params.set('cursor', list.next);
  $('list-status').textContent = 'Loading endpoints…';
  let page;
  try {
    // A store that does not answer is said so, and asked again, rather than "Loading…".
    page = await patiently(() => api('GET', `api/endpoints${params.size ? `?${params}` : ''}`),
      (text) => { $('list-status').textContent = text ?? 'Loading endpoints…'; });
  } catch (err) {
    $('list-status').textContent = `The endpoints could not be loaded: ${err.message}.`;
    return;
  }
  list.endpoints = more ? list.endpoints.concat(page.endpoints) : page.endpoints;
  list.next = page.next;
  renderList();
}

$('q').addEventListener('input', renderList);
$('search').addEventListener('submit', (e) => {
  e.preventDefault();
  // The server searches by id prefix; ids are lowercase.
  list.q = $('q').value.trim().toLowerCase();
  loadList(false);
});
$('list-more').addEventListener('click', () => loadList(true));

// -- create

wirePasscode('c-pc', 'c-passcode');
$('c-link').addEventListener('change', () => show('c-link-opts', $('c-link').checked));
$('new').addEventListener('click', () => {
  $('create-form').reset();
  $('c-passcode').disabled = true;
  show('c-link-opts', false);
  setError('create-error', null);
  openDialog($('create'), $('c-id'));
});

function createBody() {
  const id = $('c-id').value.trim();
  if (!/^[a-z0-9-]{1,63}$/.test(id)) {
    return { error: 'The id must be 1 to 63 lowercase letters, digits or “-”.', field: 'c-id' };
  }
  const limit = parseSize($('c-limit').value);
  if (Number.isNaN(limit) || limit === 0) return { error: 'Largest file: a size such as 500M, 10G or 2T.', field: 'c-limit' };
  const body = { id, members: lines($('c-members').value), note: $('c-note').value.trim() };
  const expires = endOfDay($('c-expires').value);
  if (expires) body.expires = expires;
  if (limit) body.max_file_size = limit;
  if ($('c-link').checked) {
    const passcode = passcodeChoice('c-pc', 'c-passcode');
    if (typeof passcode === 'string' && (passcode.length < PASSCODE_MIN || passcode.length > 128)) {
      return { error: `The passcode must be ${PASSCODE_MIN} to 128 characters.`, field: 'c-passcode' };
    }
    body.link = passcode === null ? {} : { passcode };
    if (expires) body.link.expires = expires;
  }
  if ($('c-cognito').checked) body.cognito = true;
  return { body };
}

$('create-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const { body, error, field } = createBody();
  if (error) {
    setError('create-error', error);
    $(field).focus();
    return;
  }
  setError('create-error', null);
  $('create-go').disabled = true;
  let made;
  try {
    made = await api('POST', 'api/endpoints', body);
  } catch (err) {
    if (err.code !== 'FolderNotEmpty') {
      setError('create-error', `Not created: ${err.message}.`);
      return;
    }
    // The folder holds files of an earlier endpoint of this id: the admin chooses.
    made = await createOverOldFiles(body, err.message);
    if (!made) return;
  } finally {
    $('create-go').disabled = false;
  }
  $('create').close();
  showSecrets(`Endpoint ${made.endpoint.id} created`, made.endpoint.id, [
    ['Customer portal', made.portal_url, 'For members: they sign in there.'],
    ...(made.link ? [['Upload link', made.link.url, 'For anyone without an account.']] : []),
    ...(made.link?.passcode ? [['Passcode', made.link.passcode, 'Send it separately from the link.']] : []),
    ...(made.cognito ? [['Cognito user', made.cognito.username, null],
      ['Temporary password', made.cognito.temporary_password, 'Must be changed at first sign-in.']] : []),
  ]);
  list.q = '';
  loadList(false);
});

// Files left in the folder by an endpoint of the same id, deleted with its files kept:
// shown to the new members only if the admin says so.
async function createOverOldFiles(body, message) {
  const keep = await confirmAction('The folder holds files from before',
    `${message}. Show those files to the new endpoint's members?`, 'Keep and show them');
  const remove = !keep && await confirmAction('Delete the old files?',
    'They are removed from the bucket before the endpoint is made. This cannot be undone.', 'Delete them');
  if (!keep && !remove) {
    setError('create-error', 'Not created: choose another id, or what becomes of the old files.');
    return null;
  }
  try {
    return await api('POST', 'api/endpoints', { ...body, existing_files: keep ? 'keep' : 'delete' });
  } catch (err) {
    setError('create-error', `Not created: ${err.message}.`);
    return null;
  }
}

// The one-time secrets dialog: each value in a read-only field with a copy button.
function showSecrets(title, id, items) {
  $('secrets-title').textContent = title;
  $('secrets-copied').textContent = '';
  $('secrets-list').replaceChildren(...items.flatMap(([label, value, help], i) => {
    const fid = `secret-${i}`;
    const dt = el('dt', {}, el('label', { for: fid }, label));
    const input = el('input', { id: fid, type: 'text', readonly: '', value, spellcheck: 'false', class: 'secret-value' });
    const dd = el('dd', {}, el('div', { class: 'row' }, input,
      el('button', { type: 'button', class: 'button secondary copy', 'data-copy': fid, 'aria-label': `Copy ${label.toLowerCase()}` }, 'Copy')));
    if (help) dd.append(el('p', { class: 'note' }, help));
    return [dt, dd];
  }));
  $('secrets-open').href = `#/e/${enc(id)}`;
  const openLink = $('secrets-open');
  openLink.hidden = location.hash === `#/e/${enc(id)}`;
  openLink.onclick = () => $('secrets').close();
  openDialog($('secrets'), $('secrets-title'));
}

// -- one endpoint

const current = { id: null, endpoint: null, uppy: null };

function renderEndpoint(data) {
  const ep = data.endpoint;
  current.endpoint = ep;
  $('ep-id').textContent = ep.id;
  const st = statusText(ep);
  $('ep-status').textContent = st;
  $('ep-status').className = `badge ${st}`;
  $('ep-portal').textContent = ep.portal_url ?? '(S3UpPortalURL is not set)';
  $('ep-files').textContent = `${data.totals.files}${data.totals.complete ? '' : ' or more'}`;
  $('ep-bytes').textContent = `${humanSize(data.totals.bytes)}${data.totals.complete ? '' : ' or more'}`;
  $('ep-created').replaceChildren(timeElement(ep.created), ep.created_by ? ` by ${ep.created_by}` : '');
  $('ep-toggle').textContent = ep.status === 'active' ? 'Revoke (refuse new uploads)' : 'Reactivate';
  $('s-members').value = ep.members.join('\n');
  $('s-expires').value = dayValue(ep.expires);
  $('s-limit').value = sizeText(ep.max_file_size);
  $('s-note').value = ep.note;
  $('delete-id').textContent = ep.id;
  $('send-closed').textContent = st === 'active' ? ''
    : `This endpoint is ${st}: uploads into it are refused until it is reactivated${st === 'expired' ? ' or given a later end' : ''}.`;
  show('send-closed', st !== 'active');
  renderLinks(data.links);
}

// A passcode link locked after too many tries says until when, and can be unlocked.
function passcodeCell(l) {
  if (!l.has_passcode) return 'no';
  if (!l.locked_until) return 'yes';
  return el('span', { class: 'locked' }, 'locked until ', timeElement(l.locked_until));
}

// What a link is for: its label, else when it was made (older links have no label).
function linkName(l) {
  return l.label || `Link made ${localTime(l.created) ?? l.created}`;
}

// When a link stops working: its own end or the endpoint's, whichever comes first.
function linkEnds(l) {
  if (!l.ends) return 'until revoked';
  const own = l.expires && l.expires === l.ends;
  return [timeElement(l.ends), own ? '' : el('span', { class: 'note' }, ' (the endpoint closes)')];
}

function renderLinks(links) {
  $('links-body').replaceChildren(...links.map((l) => el('tr', {},
    el('td', { class: 'name', 'data-label': 'For' }, l.label ? l.label : el('span', { class: 'note' }, linkName(l))),
    el('td', { 'data-label': 'Made' }, timeElement(l.created), l.created_by ? ` by ${l.created_by}` : ''),
    el('td', { 'data-label': 'Works until' }, ...[linkEnds(l)].flat()),
    el('td', { 'data-label': 'Passcode' }, passcodeCell(l)),
    el('td', { class: 'act' },
      ...(l.locked_until ? [el('button', {
        type: 'button',
        class: 'button small secondary',
        'aria-label': `Unlock ${linkName(l)}`,
        onclick: () => unlockLink(l),
      }, 'Unlock')] : []),
      el('button', {
        type: 'button',
        class: 'button small secondary',
        'aria-label': `Revoke ${linkName(l)}`,
        onclick: () => revokeLink(l),
      }, 'Revoke')))));
  show('links', links.length > 0);
  $('links-status').textContent = links.length ? '' : 'No upload links.';
}

async function loadEndpoint() {
  const data = await api('GET', `api/endpoints/${enc(current.id)}`);
  renderEndpoint(data);
  // The server's longest share (S3UpShareMaxExpires): offer no longer lifetimes.
  for (const o of $('share-life').options) o.disabled = Number(o.value) > data.share_max_expires;
  return data;
}

// A change (PATCH) with the version the page shows, so a change made meanwhile by someone
// else is not overwritten: on 409 the page reloads and says so.
async function change(fields, errorId) {
  setError(errorId, null);
  try {
    const res = await api('PATCH', `api/endpoints/${enc(current.id)}`, { ...fields, version: current.endpoint.version });
    flash('Saved.');
    await loadEndpoint().catch(() => renderEndpoint({ endpoint: res.endpoint, totals: { files: 0, bytes: 0, complete: false }, links: [] }));
    return true;
  } catch (err) {
    if (err.status === 409) {
      await loadEndpoint().catch(() => {});
      setError(errorId, 'Someone else changed this endpoint while you were editing it. The page now shows their version: check it and make your change again.');
    } else {
      setError(errorId, `Not saved: ${err.message}.`);
    }
    $(errorId).focus?.();
    return false;
  }
}

$('settings').addEventListener('submit', (e) => {
  e.preventDefault();
  const limit = parseSize($('s-limit').value);
  if (Number.isNaN(limit) || limit === 0) {
    setError('settings-error', 'Largest file: a size such as 500M, 10G or 2T, or empty.');
    $('s-limit').focus();
    return;
  }
  change({
    members: lines($('s-members').value),
    expires: endOfDay($('s-expires').value),
    max_file_size: limit,
    note: $('s-note').value.trim(),
  }, 'settings-error');
});

$('ep-toggle').addEventListener('click', async () => {
  const ep = current.endpoint;
  if (ep.status === 'active') {
    const yes = await confirmAction(`Revoke ${ep.id}?`,
      'New uploads are refused at once (on other servers within a minute). Files already received stay. You can reactivate it later.', 'Revoke');
    if (!yes) return;
  }
  await change({ status: ep.status === 'active' ? 'revoked' : 'active' }, 'settings-error');
});

// -- links

wirePasscode('l-pc', 'l-passcode');
$('link-new').addEventListener('click', () => {
  $('link-form').reset();
  $('l-passcode').disabled = true;
  setError('link-error', null);
  openDialog($('link-dialog'));
});

$('link-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const passcode = passcodeChoice('l-pc', 'l-passcode');
  if (typeof passcode === 'string' && (passcode.length < PASSCODE_MIN || passcode.length > 128)) {
    setError('link-error', `The passcode must be ${PASSCODE_MIN} to 128 characters.`);
    $('l-passcode').focus();
    return;
  }
  const body = {};
  if (passcode !== null) body.passcode = passcode;
  const label = $('l-label').value.trim();
  if (label) body.label = label;
  const expires = endOfDay($('l-expires').value);
  if (expires) body.expires = expires;
  let made;
  try {
    made = await api('POST', `api/endpoints/${enc(current.id)}/links`, body);
  } catch (err) {
    setError('link-error', `No link made: ${err.message}.`);
    return;
  }
  $('link-dialog').close();
  showSecrets('Upload link made', current.id, [
    ['Upload link', made.link.url, made.link.label ? `For ${made.link.label}.` : 'For anyone without an account.'],
    ...(made.link.passcode ? [['Passcode', made.link.passcode, 'Send it separately from the link.']] : []),
  ]);
  loadEndpoint().catch(() => {});
});

async function unlockLink(l) {
  try {
    await api('DELETE', `api/endpoints/${enc(current.id)}/links/${enc(l.id)}/lock`);
    flash('Link unlocked: the passcode may be tried again.');
  } catch (err) {
    flash(`The link was not unlocked: ${err.message}.`);
  }
  await loadEndpoint().catch(() => {});
  $('links-title').focus?.();
}

async function revokeLink(l) {
  const yes = await confirmAction('Revoke this upload link?',
    'Whoever has it can no longer upload (pages already open stop working within a minute).', 'Revoke link');
  if (!yes) return;
  try {
    await api('DELETE', `api/endpoints/${enc(current.id)}/links/${enc(l.id)}`);
    flash('Link revoked.');
  } catch (err) {
    flash(`The link was not revoked: ${err.message}.`);
  }
  await loadEndpoint().catch(() => {});
  $('links-title').focus?.();
}

// -- files: filtered, sorted and paged by the server; a folder view; several selected at
// once; one actions menu per row (one Tab stop, not three)

const files = {
  q: '', sort: 'name', order: 'asc', folders: false, prefix: '', cursor: null,
  shown: new Map(), selected: new Set(),
};

function uploaderCell(f) {
  const by = f.uploaded_by;
  if (!by) return el('span', { class: 'note' }, 'unknown');
  if (by.via !== 'link') return by.name;
  return by.name ? [el('span', { class: 'via' }, 'link: '), by.name]
    : [el('span', { class: 'note' }, 'an upload link (revoked or unlabelled)')];
}

function nameCell(f) {
  const cell = el('td', { class: 'name', 'data-label': 'Name' }, el('span', { class: 'file-name' }, f.name));
  if (f.copy_of) cell.append(el('span', { class: 'copy-of' }, 'copy of ', el('span', { class: 'id' }, f.copy_of)));
  if (f.checksum) cell.title = f.checksum;
  return cell;
}

function fileRow(f) {
  const pick = el('input', { type: 'checkbox', 'aria-label': `Select ${f.name}` });
  pick.checked = files.selected.has(f.key);
  pick.addEventListener('change', () => {
    if (pick.checked) files.selected.add(f.key); else files.selected.delete(f.key);
    renderChosen();
  });
  return el('tr', { 'data-key': f.key, class: f.copy_of ? 'copy' : '' },
    el('td', { class: 'pick' }, pick),
    nameCell(f),
    el('td', { class: 'num', 'data-label': 'Size', 'data-bytes': f.size, title: `${f.size.toLocaleString()} bytes` }, humanSize(f.size)),
    el('td', { 'data-label': 'Arrived' }, timeElement(f.last_modified)),
    el('td', { class: 'by', 'data-label': 'Uploaded by' }, ...[uploaderCell(f)].flat()),
    el('td', { class: 'act' }, el('button', {
      type: 'button', class: 'button small secondary', 'aria-haspopup': 'menu', 'aria-expanded': 'false',
      'aria-label': `Actions for ${f.name}`, onclick: (e) => openMenu(e.currentTarget, f),
    }, 'Actions ▾')));
}

function folderRow(d) {
  const inside = d.name.slice(files.prefix.length);
  return el('tr', { class: 'folder' },
    el('td', { class: 'pick' }),
    el('td', { class: 'name', 'data-label': 'Folder' }, el('button', {
      type: 'button', class: 'linkish', onclick: () => openFolder(d.name),
    }, `📁 ${inside}`)),
    el('td', { class: 'num', 'data-label': 'Size' }, humanSize(d.size)),
    el('td', { 'data-label': 'Latest' }, timeElement(d.last_modified)),
    el('td', { 'data-label': 'Files' }, `${d.files} ${d.files === 1 ? 'file' : 'files'}`),
    el('td'));
}

function renderChosen() {
  const n = files.selected.size;
  show('files-bulk', n > 0);
  $('files-chosen').textContent = `${n} selected`;
  const boxes = [...$('files-body').querySelectorAll('.pick input')];
  $('files-all').checked = boxes.length > 0 && boxes.every((b) => b.checked);
}

function renderSortHeads() {
  for (const th of document.querySelectorAll('#files th[data-sort]')) {
    const on = th.dataset.sort === files.sort;
    th.setAttribute('aria-sort', on ? (files.order === 'asc' ? 'ascending' : 'descending') : 'none');
    th.querySelector('button').dataset.arrow = on ? (files.order === 'asc' ? '▲' : '▼') : '';
  }
}

function renderCrumb() {
  show('files-crumb', files.folders && files.prefix !== '');
  if (!files.folders || !files.prefix) return;
  const parts = files.prefix.split('/').filter(Boolean);
  const links = [el('button', { type: 'button', class: 'linkish', onclick: () => openFolder('') }, 'All files')];
  parts.forEach((p, i) => {
    const to = `${parts.slice(0, i + 1).join('/')}/`;
    links.push(' / ', i === parts.length - 1 ? el('strong', {}, p)
      : el('button', { type: 'button', class: 'linkish', onclick: () => openFolder(to) }, p));
  });
  $('files-crumb').replaceChildren(...links);
}

function openFolder(prefix) {
  files.prefix = prefix;
  loadFiles(false);
  $('files-title').focus();
}

async function loadFiles(more) {
  const params = new URLSearchParams({ sort: files.sort, order: files.order, limit: '100' });
  if (files.q) params.set('q', files.q);
  if (files.folders) {
    params.set('view', 'folders');
    if (files.prefix) params.set('prefix', files.prefix);
  }
  if (more && files.cursor) params.set('cursor', files.cursor);
  $('files-status').textContent = more ? 'Loading more files…' : 'Loading files…';
  let page;
  try {
    page = await api('GET', `api/endpoints/${enc(current.id)}/files?${params}`);
  } catch (err) {
    $('files-status').textContent = `The files could not be loaded: ${err.message}.`;
    return;
  }
  if (!more) {
    files.shown.clear();
    files.selected.clear();
    $('folders-body').replaceChildren(...page.folders.map(folderRow));
  }
  for (const f of page.files) files.shown.set(f.key, f);
  const rows = page.files.map(fileRow);
  if (more) $('files-body').append(...rows); else $('files-body').replaceChildren(...rows);
  files.cursor = page.next;
  const n = $('files-body').children.length;
  const t = page.totals;
  show('files', n + page.folders.length > 0);
  show('files-more', Boolean(files.cursor));
  renderSortHeads();
  renderCrumb();
  renderChosen();
  $('files-totals').textContent = t.files === 0 ? ''
    : `${t.files.toLocaleString()} ${t.files === 1 ? 'file' : 'files'}, ${humanSize(t.bytes)}${files.q ? ` matching “${files.q}”` : ''}${t.complete ? '' : ' (counted up to the first 10,000)'}.`;
  let status;
  if (n === 0 && page.folders.length === 0) status = files.q ? `No file name contains “${files.q}”.` : 'No files yet.';
  else status = `${n} ${n === 1 ? 'file' : 'files'} shown${files.cursor ? ', more below' : ''}.`;
  $('files-status').textContent = status;
}

for (const th of document.querySelectorAll('#files th[data-sort]')) {
  th.querySelector('button').addEventListener('click', () => {
    const col = th.dataset.sort;
    if (files.sort === col) files.order = files.order === 'asc' ? 'desc' : 'asc';
    else {
      files.sort = col;
      files.order = col === 'size' || col === 'arrived' ? 'desc' : 'asc';
    }
    loadFiles(false);
  });
}

let filterTimer = null;
$('files-q').addEventListener('input', () => {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(() => { files.q = $('files-q').value.trim(); loadFiles(false); }, 250);
});
$('files-find').addEventListener('submit', (e) => {
  e.preventDefault();
  clearTimeout(filterTimer);
  files.q = $('files-q').value.trim();
  loadFiles(false);
});
$('files-folders').addEventListener('change', () => {
  files.folders = $('files-folders').checked;
  files.prefix = '';
  loadFiles(false);
});
$('files-all').addEventListener('change', () => {
  for (const box of $('files-body').querySelectorAll('.pick input')) {
    box.checked = $('files-all').checked;
    box.dispatchEvent(new Event('change'));
  }
});
$('files-refresh').addEventListener('click', () => { loadFiles(false); loadEndpoint().catch(() => {}); });
$('files-more').addEventListener('click', async () => {
  await loadFiles(true);
  if ($('files-more').hidden) $('files-title').focus();
});

// The row menu: one shared element, placed under the button that opened it; arrow keys
// move, Escape (or Tab, or a click elsewhere) closes it and focus goes back.
const menu = { file: null, opener: null };

function closeMenu(refocus = true) {
  if ($('row-menu').hidden) return;
  $('row-menu').hidden = true;
  menu.opener?.setAttribute('aria-expanded', 'false');
  if (refocus) menu.opener?.focus();
}

function openMenu(button, f) {
  if (!$('row-menu').hidden && menu.opener === button) { closeMenu(); return; }
  closeMenu(false);
  menu.file = f;
  menu.opener = button;
  const box = button.getBoundingClientRect();
  const m = $('row-menu');
  m.hidden = false;
  m.style.top = `${window.scrollY + box.bottom + 2}px`;
  m.style.left = `${Math.max(4, window.scrollX + box.right - m.offsetWidth)}px`;
  button.setAttribute('aria-expanded', 'true');
  m.querySelector('[role=menuitem]').focus();
}

$('row-menu').addEventListener('keydown', (e) => {
  const items = [...$('row-menu').querySelectorAll('[role=menuitem]')];
  const i = items.indexOf(document.activeElement);
  const go = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: items.length - 1 }[e.key];
  if (go !== undefined) {
    e.preventDefault();
    items[(go + items.length) % items.length].focus();
  } else if (e.key === 'Escape') {
    e.preventDefault();
    closeMenu();
  } else if (e.key === 'Tab') {
    closeMenu(false);
  }
});
$('row-menu').addEventListener('click', (e) => {
  const item = e.target.closest('[data-act]');
  if (!item) return;
  const f = menu.file;
  closeMenu();
  if (item.dataset.act === 'download') location.href = new URL(`api/download?key=${enc(f.key)}`, here).href;
  else if (item.dataset.act === 'share') openShare(f);
  else deleteFiles([f]);
});
document.addEventListener('click', (e) => {
  if (!e.target.closest('#row-menu') && !e.target.closest('[aria-haspopup=menu]')) closeMenu(false);
});

async function deleteFiles(list) {
  const one = list.length === 1;
  const bytes = list.reduce((n, f) => n + f.size, 0);
  const yes = await confirmAction(one ? `Delete ${list[0].name}?` : `Delete ${list.length} files?`,
    `${one ? 'The file' : 'They'} (${humanSize(bytes)}) ${one ? 'is' : 'are'} removed from the bucket. This cannot be undone.`,
    one ? 'Delete file' : `Delete ${list.length} files`);
  if (!yes) return;
  const failed = [];
  for (const f of list) {
    try {
      await api('DELETE', `api/files?key=${enc(f.key)}`);
    } catch (err) {
      failed.push(`${f.name} (${err.message})`);
    }
  }
  const done = list.length - failed.length;
  flash(failed.length ? `${done} deleted; not deleted: ${failed.join(', ')}.`
    : (one ? `${list[0].name} deleted.` : `${done} files deleted.`));
  await loadFiles(false);
  loadEndpoint().catch(() => {});
  $('files-title').focus();
}

$('files-delete').addEventListener('click', () => {
  deleteFiles([...files.selected].map((k) => files.shown.get(k)).filter(Boolean));
});

$('files-links').addEventListener('click', () => {
  show('links-many-result', false);
  setError('links-many-error', null);
  $('links-many-copied').textContent = '';
  $('links-many-title').textContent = `Download addresses of ${files.selected.size} ${files.selected.size === 1 ? 'file' : 'files'}`;
  openDialog($('links-many'), $('links-many-life'));
});

$('links-many-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  setError('links-many-error', null);
  const chosen = [...files.selected].map((k) => files.shown.get(k)).filter(Boolean);
  const lines = [];
  const failed = [];
  for (const f of chosen) {
    try {
      const res = await api('POST', 'api/share', { key: f.key, expires: Number($('links-many-life').value) });
      lines.push(`${f.name}  ${res.url}`);
    } catch (err) {
      failed.push(`${f.name} (${err.message})`);
    }
  }
  if (failed.length) setError('links-many-error', `No address for: ${failed.join(', ')}.`);
  $('links-many-text').value = lines.join('\n');
  show('links-many-result', lines.length > 0);
  $('links-many-text').focus();
  loadShares();
});

let shared = null;
function openShare(f) {
  shared = f;
  $('share-name').textContent = f.name;
  show('share-result', false);
  $('share-copied').textContent = '';
  $('share-raw').checked = false;
  setError('share-error', null);
  $('share-go').textContent = 'Make address';
  openDialog($('share'), $('share-life'));
}

$('share-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  setError('share-error', null);
  let res;
  try {
    res = await api('POST', 'api/share', { key: shared.key, expires: Number($('share-life').value), raw: $('share-raw').checked });
  } catch (err) {
    setError('share-error', `No address made: ${err.message}.`);
    $('share-life').focus();
    return;
  }
  $('share-url').value = res.url;
  $('share-until').replaceChildren('Works until ', timeElement(res.expires_at),
    res.kind === 'short' ? ', unless revoked (under “Shared files”).' : '. It cannot be revoked.');
  show('share-result');
  $('share-go').textContent = 'Make another';
  $('share-url').focus();
  $('share-url').select();
  loadShares();
});

// -- shares of this endpoint's files

async function loadShares() {
  let res;
  try {
    res = await api('GET', `api/endpoints/${enc(current.id)}/shares`);
  } catch (err) {
    $('shares-status').textContent = `The shares could not be loaded: ${err.message}.`;
    return;
  }
  $('shares-body').replaceChildren(...res.shares.map((s) => el('tr', { 'data-share': s.id },
    el('td', { class: 'name', 'data-label': 'File' }, s.name),
    el('td', { 'data-label': 'Made' }, timeElement(s.created), s.created_by ? ` by ${s.created_by}` : ''),
    el('td', { 'data-label': 'Expires' }, s.expired ? el('span', { class: 'locked' }, 'expired') : timeElement(s.expires)),
    el('td', { class: 'num uses', 'data-label': 'Used', title: s.last_used ? `last ${localTime(s.last_used)}` : 'never' },
      `${s.uses} ${s.uses === 1 ? 'time' : 'times'}`),
    el('td', { class: 'act' }, el('button', {
      type: 'button', class: 'button small secondary', 'aria-label': `Revoke the share of ${s.name}`, onclick: () => revokeShare(s),
    }, 'Revoke')))));
  show('shares', res.shares.length > 0);
  $('shares-status').textContent = res.shares.length ? '' : 'No shared files.';
}

async function revokeShare(s) {
  const yes = await confirmAction(`Revoke the share of ${s.name}?`, 'Its address stops working at once.', 'Revoke share');
  if (!yes) return;
  try {
    await api('DELETE', `api/endpoints/${enc(current.id)}/shares/${enc(s.id)}`);
    flash('Share revoked.');
  } catch (err) {
    flash(`The share was not revoked: ${err.message}.`);
  }
  await loadShares();
  $('shares-title').focus();
}

$('shares-refresh').addEventListener('click', loadShares);

// -- unfinished uploads

async function loadUploads() {
  $('uploads-status').textContent = 'Loading…';
  let res;
  try {
    res = await api('GET', `api/uploads?endpoint=${enc(current.id)}`);
  } catch (err) {
    $('uploads-status').textContent = `The unfinished uploads could not be loaded: ${err.message}.`;
    return;
  }
  const prefix = current.endpoint?.prefix ?? '';
  $('uploads-body').replaceChildren(...res.uploads.map((u) => {
    const name = u.key.startsWith(prefix) ? u.key.slice(prefix.length) : u.key;
    return el('tr', {},
      el('td', { class: 'name' }, name),
      el('td', {}, el('time', { datetime: u.initiated, title: localTime(u.initiated) ?? u.initiated }, age(u.initiated))),
      el('td', { class: 'num' }, `${humanSize(u.bytes)} in ${u.parts} ${u.parts === 1 ? 'part' : 'parts'}`),
      el('td', { class: 'act' }, el('button', {
        type: 'button', class: 'button small bad-outline', 'aria-label': `Abort the upload of ${name}`, onclick: () => abortUpload(u, name),
      }, 'Abort')));
  }));
  show('uploads', res.uploads.length > 0);
  $('uploads-status').textContent = res.uploads.length === 0 ? 'None.'
    : `${res.uploads.length}${res.truncated ? ' (and more)' : ''} unfinished.`;
}

async function abortUpload(u, name) {
  const yes = await confirmAction(`Abort the upload of ${name}?`,
    'Its parts are deleted. If someone is still sending it, their upload fails.', 'Abort upload');
  if (!yes) return;
  try {
    await api('DELETE', `api/uploads?key=${enc(u.key)}&uploadId=${enc(u.upload_id)}`);
    flash(`The upload of ${name} was aborted.`);
  } catch (err) {
    flash(`Not aborted: ${err.message}.`);
  }
  await loadUploads();
  $('uploads-title').focus?.();
}

$('uploads-refresh').addEventListener('click', loadUploads);

// -- Uppy into the customer's folder, through <location>/e/{id}/s3/...

async function startUppy(id) {
  current.uppy?.destroy();
  const base = new URL(`e/${enc(id)}`, here).href;
  let session = { part_size: 64 * MiB, parts_in_flight: 4, mode: 'direct' };
  try {
    session = await api('GET', `e/${enc(id)}/api/session`);
  } catch { /* the defaults are fine: the server plans the parts anyway */ }
  const uppy = new Uppy({ id: `s3up-admin-${id}`, autoProceed: false });
  uppy.use(Dashboard, {
    inline: true,
    target: '#uppy',
    width: '100%',
    height: matchMedia('(max-width: 34rem)').matches ? 300 : 360,
    fileManagerSelectionType: 'both',
    proudlyDisplayPoweredByUppy: false,
    metaFields: [],
    locale: { strings: { removeFile: 'Remove file %{file}' } },
  });
  uppy.use(S3UpUploader, {
    endpoint: base,
    partSize: session.part_size,
    partsInFlight: session.parts_in_flight,
    // The browser's connections to one host; in proxy mode one stays for the API.
    limit: session.mode === 'proxy' ? 5 : 6,
  });
  uppy.on('complete', () => { loadFiles(false); loadEndpoint().catch(() => {}); loadUploads(); });
  current.uppy = uppy;
}

// -- delete the endpoint

$('delete-confirm').addEventListener('input', () => {
  $('delete-go').disabled = $('delete-confirm').value.trim() !== current.id;
});

$('delete-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  if ($('delete-confirm').value.trim() !== current.id) return;
  const files = document.querySelector('#delete-form input[name=files]:checked').value;
  setError('delete-error', null);
  $('delete-go').disabled = true;
  try {
    const res = await api('DELETE', `api/endpoints/${enc(current.id)}?files=${files}`);
    keepFlash = true;
    location.hash = '#/';
    flash(files === 'delete'
      ? `Endpoint ${res.deleted} deleted with its ${res.files_deleted} ${res.files_deleted === 1 ? 'file' : 'files'}.`
      : `Endpoint ${res.deleted} deleted; its files are kept in the bucket.`);
  } catch (err) {
    setError('delete-error', `Not deleted: ${err.message}.`);
    $('delete-go').disabled = false;
  }
});

// -- routing

// A message meant for the next view (after deleting an endpoint) outlives one route change.
let keepFlash = false;

async function route() {
  const m = location.hash.match(/^#\/e\/([^/]+)$/);
  if (!keepFlash) flash('');
  keepFlash = false;
  show('problem', false);
  show('loading', false);
  for (const d of document.querySelectorAll('dialog[open]')) if (d.id !== 'secrets') d.close();
  if (!m) {
    current.uppy?.destroy();
    current.uppy = null;
    current.id = null;
    document.title = 'Upload endpoints · admin';
    show('view-endpoint', false);
    show('view-list');
    $('list-title').focus();
    await loadList(false);
    return;
  }
  const id = decodeURIComponent(m[1]);
  current.id = id;
  Object.assign(files, { q: '', sort: 'name', order: 'asc', folders: false, prefix: '', cursor: null });
  $('files-q').value = '';
  $('files-folders').checked = false;
  document.title = `${id} · upload endpoints`;
  show('view-list', false);
  try {
    await loadEndpoint();
  } catch (err) {
    if (err.status === 404) problem('No such endpoint', `There is no endpoint “${id}”. It may have been deleted.`);
    else problem('The endpoint could not be loaded', `${err.message}${err.status ? ` (HTTP ${err.status})` : ''}.`);
    return;
  }
  $('delete-form').reset();
  $('delete-go').disabled = true;
  setError('settings-error', null);
  setError('delete-error', null);
  show('view-endpoint');
  $('ep-title').focus();
  loadFiles(false);
  loadShares();
  loadUploads();
  startUppy(id);
}

offerSignIn();
window.addEventListener('hashchange', route);
route();
