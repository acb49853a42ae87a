// Sizes and times as the pages write them (and, in the admin page's forms, read them back).

// -- sizes

// Sizes as Uppy's Dashboard shows them (1024 steps), so the pages speak one language.
export function humanSize(n) {
  if (!Number.isFinite(n)) return '';
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
  if (i === 0) return `${n} ${n === 1 ? 'byte' : 'bytes'}`;
  return `${n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`;
}

// "10G", "1.5 TB", "500m", "1048576" → bytes (1024 steps, as S3UpMaxFileSize reads them);
// null for empty, NaN for nonsense.
export function parseSize(text) {
  const t = text.trim();
  if (!t) return null;
  const m = t.match(/^(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?$/i);
  if (!m) return NaN;
  const power = ' kmgtp'.indexOf(m[2].toLowerCase() || ' ');
  return Math.round(Number(m[1]) * 1024 ** power);
}

// A size as a form shows it back (parseSize reads it): the largest unit that divides it.
export function sizeText(n) {
  if (!n) return '';
  for (const [u, p] of [['T', 4], ['G', 3], ['M', 2], ['K', 1]]) {
    if (n % 1024 ** p === 0) return `${n / 1024 ** p}${u}`;
  }
  return String(n);
}

// A duration in seconds as people say it: "12 s", "4 min", "1 h 5 min", "3 days".
export function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  return `${Math.round(h / 24)} days`;
}

// -- times, in the reader's own language and time zone

export const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
export const clockFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

// An ISO time written in `format`; null when the text is no time.
export function localTime(iso, format = dateFormat) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : format.format(d);
}

// A <time> element: the ISO time for machines, localTime for people (the ISO text itself
// when it is no time).
export function timeElement(iso, format = dateFormat) {
  const t = document.createElement('time');
  t.dateTime = iso;
  t.textContent = localTime(iso, format) ?? iso;
  return t;
}

// How long ago, in words: "just now", "5 minutes ago", "3 hours ago", "2 days ago".
export function age(iso) {
  const s = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
  if (s < 90) return 'just now';
  if (s < 5400) return `${Math.round(s / 60)} minutes ago`;
  if (s < 129600) return `${Math.round(s / 3600)} hours ago`;
  return `${Math.round(s / 86400)} days ago`;
}

// A date input's value (a local day) → the end of that day, as the ISO time the API takes.
export function endOfDay(value) {
  if (!value) return null;
  const [y, m, d] = value.split('-').map(Number);
  return new Date(y, m - 1, d, 23, 59, 59).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// An ISO time → the local day for a date input.
export function dayValue(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
