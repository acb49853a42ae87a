// Unfinished uploads after a reload or a crash: GoldenRetriever brings the files back, but a
// file too big to keep in the browser comes back without its bytes (a "ghost"), and Uppy
// then only disables its Upload button. Here such files are listed with what is left of each,
// and one button continues them all: the browser asks for files again only where it lost
// them, and says so; files whose upload ended meanwhile (the reload came just after the
// last part) are shown as complete, not asked for again.
// Served beside app.js: the same relative addresses.
import { api } from './common/api.mjs';
import { humanSize } from './common/format.mjs';

const $ = (id) => document.getElementById(id);

// Restored files not yet arrived.
const pending = (uppy) => uppy.getFiles().filter((f) => f.isRestored && !f.progress?.uploadComplete);

// A restored multipart upload that the server no longer has (ListParts: 404) and whose key
// holds a file of the same size among the caller's files: it was completed before the page
// went away. Marked complete, as the server has it.
async function settleArrived(uppy, files, base) {
  const gone = [];
  for (const f of files) {
    const saved = f.s3Multipart;
    if (!saved?.uploadId) continue;
    try {
      await api('GET', `${base}s3/multipart/${encodeURIComponent(saved.uploadId)}?key=${encodeURIComponent(saved.key)}`);
    } catch (err) {
      if (err.status === 404) gone.push(f);
    }
  }
  if (gone.length === 0) return;
  let listed = [];
  try {
    listed = (await api('GET', `${base}api/files`)).files;
  } catch {
    return;
  }
  for (const f of gone) {
    const arrived = listed.find((o) => o.key === f.s3Multipart.key && o.size === f.size);
    if (!arrived) continue;
    uppy.setFileState(f.id, {
      isGhost: false,
      s3Multipart: undefined,
      response: { status: 200, body: { key: arrived.key }, uploadURL: '' },
      progress: { ...f.progress, uploadStarted: f.progress?.uploadStarted ?? Date.now(), uploadComplete: true, percentage: 100, bytesUploaded: f.size, bytesTotal: f.size },
    });
  }
}

function line(f, keepUpTo) {
  const li = document.createElement('li');
  li.dataset.fileId = f.id;
  const name = document.createElement('strong');
  name.textContent = f.meta?.relativePath || f.name;
  const sent = Number(f.progress?.bytesUploaded) || 0;
  li.append(name, `: ${humanSize(Math.max(0, f.size - sent))} of ${humanSize(f.size)} left`);
  if (f.isGhost) {
    const why = document.createElement('span');
    why.className = 'note';
    why.textContent = ` (pick this file again: this browser keeps only files up to ${humanSize(keepUpTo)}; what was sent is not sent again)`;
    li.append(why);
  }
  return li;
}

// The panel (#unfinished): shown while restored files wait, gone once they go on.
function render(uppy, keepUpTo) {
  const files = pending(uppy);
  const panel = $('unfinished');
  if (files.length === 0) {
    panel.hidden = true;
    return;
  }
  $('unfinished-list').replaceChildren(...files.map((f) => line(f, keepUpTo)));
  const ghosts = files.filter((f) => f.isGhost).length;
  $('unfinished-go').textContent = ghosts > 0
    ? `Continue: pick ${ghosts === 1 ? 'the file' : `the ${ghosts} files`} again`
    : `Continue ${files.length === 1 ? 'the upload' : `the ${files.length} uploads`}`;
  panel.hidden = false;
}

// Files picked again: each replaces the restored file of the same name and size (Uppy keeps
// its upload state); the rest are said to match none.
function takePicked(uppy, picked) {
  const stray = [];
  for (const data of picked) {
    const ghost = pending(uppy).find((f) => f.isGhost && f.name === data.name && f.size === data.size);
    if (!ghost) { stray.push(data.name); continue; }
    try {
      uppy.addFile({ source: 'Dashboard', name: data.name, type: ghost.type || data.type, data, meta: ghost.meta });
    } catch (err) {
      stray.push(`${data.name} (${err.message})`);
    }
  }
  return stray;
}

function go(uppy) {
  const left = pending(uppy).filter((f) => f.isGhost);
  const said = $('unfinished-said');
  if (left.length > 0) {
    said.textContent = `Still to pick: ${left.map((f) => f.name).join(', ')}.`;
    return;
  }
  said.textContent = '';
  $('unfinished').hidden = true;
  // What the Dashboard's Upload button does with restored uploads (GoldenRetriever goes on
  // with them); upload() alone would start none of them.
  if (uppy.getState().recoveredState) uppy.emit('restore-confirmed');
  else uppy.upload().catch((err) => { said.textContent = err.message; });
}

// keepUpTo: the largest file GoldenRetriever keeps (its indexedDB.maxFileSize).
export function offerUnfinished(uppy, { keepUpTo, base = '' }) {
  const input = $('unfinished-pick');
  let checked = false;
  uppy.on('restored', async () => {
    if (!checked) {
      checked = true;
      await settleArrived(uppy, pending(uppy), base);
    }
    render(uppy, keepUpTo);
  });
  // Once files go on (this button, or the Dashboard's), the Dashboard shows them.
  uppy.on('upload', () => { $('unfinished').hidden = true; });
  uppy.on('file-removed', () => { if (!$('unfinished').hidden) render(uppy, keepUpTo); });
  $('unfinished-go').addEventListener('click', () => {
    if (pending(uppy).some((f) => f.isGhost)) input.click();
    else go(uppy);
  });
  input.addEventListener('change', () => {
    const stray = takePicked(uppy, [...input.files]);
    input.value = '';
    render(uppy, keepUpTo);
    $('unfinished-said').textContent = stray.length
      ? `Not one of the unfinished files (name and size differ): ${stray.join(', ')}.` : '';
    if (stray.length === 0) go(uppy);
  });
}
