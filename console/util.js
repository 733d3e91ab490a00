// DOM building, formatting and URL helpers shared by every page of the console.
// Everything that reaches the page goes through text nodes or attributes: data
// (state names, payloads, error causes) is never parsed as HTML.

const SVG_NS = 'http://www.w3.org/2000/svg';

function applyAttrs(el, attrs) {
  if (!attrs) return;
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    } else if (key === 'style' && typeof value === 'object') {
      for (const [p, v] of Object.entries(value)) el.style.setProperty(p, v);
    } else if (key === 'value' && 'value' in el) {
      el.value = value;
    } else if (key === 'checked' || key === 'disabled' || key === 'selected') {
      el[key] = Boolean(value);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
}

function appendChildren(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) appendChildren(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

// h('div', {class: 'x', 'data-testid': 'y', onclick: f}, 'text', child, [more])
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  applyAttrs(el, attrs);
  appendChildren(el, children);
  return el;
}

// The same for SVG elements.
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  applyAttrs(el, attrs);
  appendChildren(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  appendChildren(el, children);
  return el;
}

// ------------------------------------------------------------------ formatting

const TZ_KEY = 'stepflow.tz';

export function utcMode() {
  try {
    return localStorage.getItem(TZ_KEY) === 'utc';
  } catch {
    return false;
  }
}

export function setUtcMode(on) {
  try {
    localStorage.setItem(TZ_KEY, on ? 'utc' : 'local');
  } catch {
    // storage may be unavailable; the setting then lasts for this page only
  }
}

function pad(n, width = 2) {
  return String(n).padStart(width, '0');
}

// "2024-05-01 13:04:05.123" in local time (or UTC when chosen).
export function fmtTime(ms) {
  if (ms === null || ms === undefined || ms === 0) return '—';
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return '—';
  const utc = utcMode();
  const y = utc ? d.getUTCFullYear() : d.getFullYear();
  const mo = utc ? d.getUTCMonth() + 1 : d.getMonth() + 1;
  const da = utc ? d.getUTCDate() : d.getDate();
  const hh = utc ? d.getUTCHours() : d.getHours();
  const mi = utc ? d.getUTCMinutes() : d.getMinutes();
  const ss = utc ? d.getUTCSeconds() : d.getSeconds();
  const ml = utc ? d.getUTCMilliseconds() : d.getMilliseconds();
  return `${y}-${pad(mo)}-${pad(da)} ${pad(hh)}:${pad(mi)}:${pad(ss)}.${pad(ml, 3)}${utc ? 'Z' : ''}`;
}

// "3 min ago", for list columns; the exact time is the element's title.
export function fmtAgo(ms, now = Date.now()) {
  if (!ms) return '—';
  const d = Math.max(0, now - ms) / 1000;
  if (d < 60) return `${Math.floor(d)} s ago`;
  if (d < 3600) return `${Math.floor(d / 60)} min ago`;
  if (d < 86400) return `${Math.floor(d / 3600)} h ago`;
  return `${Math.floor(d / 86400)} d ago`;
}

// 950 → "950 ms", 61500 → "1 min 1.5 s", 2 days → "2 d 0 h".
export function fmtDuration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—';
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const sec = ms / 1000;
  if (sec < 60) return `${sec.toFixed(sec < 10 ? 2 : 1)} s`;
  const min = Math.floor(sec / 60);
  if (min < 60) return `${min} min ${(sec - min * 60).toFixed(1).replace(/\.0$/, '')} s`;
  const hours = Math.floor(min / 60);
  if (hours < 48) return `${hours} h ${min % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

export function fmtNum(n) {
  if (n === null || n === undefined) return '—';
  return Number(n).toLocaleString('en-US');
}

// "2 KB", for payload sizes.
export function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function timeEl(ms) {
  const el = h('time', {title: ms ? new Date(ms).toISOString() : ''}, fmtTime(ms));
  if (ms) el.setAttribute('datetime', new Date(ms).toISOString());
  return el;
}

export function statusBadge(status, attrs = {}) {
  const st = status || 'UNKNOWN';
  return h('span', {...attrs, class: `badge status-${st}`}, st);
}

// --------------------------------------------------------------------- URL

export function query() {
  return new URLSearchParams(location.search);
}

export function param(name, fallback = null) {
  const v = new URLSearchParams(location.search).get(name);
  return v === null || v === '' ? fallback : v;
}

export function intParam(name, fallback = null) {
  const v = param(name);
  if (v === null) return fallback;
  const n = Number.parseInt(v, 10);
  return Number.isFinite(n) ? n : fallback;
}

// A URL of `path` with query parameters; null, undefined and '' values are left out.
export function urlOf(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === '' || v === false) continue;
    q.set(k, String(v));
  }
  const text = q.toString();
  return text ? `${path}?${text}` : path;
}

export function enc(segment) {
  return encodeURIComponent(segment);
}

// ------------------------------------------------------------------- misc

export function debounce(fn, ms) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

// Calls fn at most once every `ms`, the last call always running.
export function throttle(fn, ms) {
  let last = 0;
  let timer = null;
  const wrapped = () => {
    const now = performance.now();
    const wait = last + ms - now;
    if (wait <= 0) {
      last = now;
      fn();
    } else if (timer === null) {
      timer = setTimeout(() => {
        timer = null;
        last = performance.now();
        fn();
      }, wait);
    }
  };
  wrapped.cancel = () => {
    clearTimeout(timer);
    timer = null;
  };
  return wrapped;
}

export function copyText(text) {
  if (navigator.clipboard && navigator.clipboard.writeText) {
    navigator.clipboard.writeText(text).catch(() => {});
  }
}

// The states' statuses and the CSS classes that colour them.
export const STATE_STATUSES = ['SUCCEEDED', 'FAILED', 'RUNNING', 'CAUGHT', 'ABORTED', 'NOT_RUN'];
export const EXECUTION_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];
