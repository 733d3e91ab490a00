// The console's shell: path routing (history.pushState; every selection in the query), the
// header, themes, the keyboard map and a banner for uncaught errors.

import {h, replace, utcMode, setUtcMode} from '/assets/util.js';
import {dialogOpen, closeDialog} from '/assets/dialog.js';
import {navigate, onRoute} from '/assets/router.js';
import * as machinesPage from '/assets/pages_machines.js';
import * as machinePage from '/assets/pages_machine.js';
import * as executionPage from '/assets/pages_execution.js';
import * as functionsPage from '/assets/pages_functions.js';
import * as triggersPage from '/assets/pages_triggers.js';

// ------------------------------------------------------------------ errors

function showPageError(message) {
  let banner = document.getElementById('page-error');
  if (!banner) {
    banner = h('div', {id: 'page-error', class: 'page-error', role: 'alert', 'data-testid': 'page-error'});
    document.body.prepend(banner);
  }
  const close = h('button', {type: 'button', class: 'small ghost', 'aria-label': 'Dismiss', onclick: () => banner.remove()}, '×');
  banner.replaceChildren(h('span', {}, `Something went wrong in the page: ${message}`), close);
}

window.addEventListener('error', (ev) => {
  showPageError(ev.message || String(ev.error));
});
window.addEventListener('unhandledrejection', (ev) => {
  const r = ev.reason;
  if (r && r.name === 'AbortError') return;
  showPageError(r && r.message ? r.message : String(r));
});

// ------------------------------------------------------------------ theme

const THEME_KEY = 'stepflow.theme';
const THEMES = ['light', 'dark', 'system'];
const media = window.matchMedia('(prefers-color-scheme: dark)');

function themeSetting() {
  try {
    const v = localStorage.getItem(THEME_KEY);
    return THEMES.includes(v) ? v : 'system';
  } catch {
    return 'system';
  }
}

function applyTheme() {
  const setting = themeSetting();
  const resolved = setting === 'system' ? (media.matches ? 'dark' : 'light') : setting;
  document.documentElement.setAttribute('data-theme', resolved);
  document.documentElement.setAttribute('data-theme-setting', setting);
  const button = document.querySelector('[data-testid=theme-toggle]');
  if (button) {
    const icon = setting === 'light' ? '☀' : setting === 'dark' ? '☾' : '◐';
    button.textContent = `${icon} ${setting}`;
    button.title = `Theme: ${setting} (t switches)`;
    button.setAttribute('data-theme-setting', setting);
  }
}

export function cycleTheme() {
  const next = THEMES[(THEMES.indexOf(themeSetting()) + 1) % THEMES.length];
  try {
    localStorage.setItem(THEME_KEY, next);
  } catch {
    // no storage: the theme lasts for this page
  }
  applyTheme();
}

media.addEventListener('change', applyTheme);

// ---------------------------------------------------------------- routing

const routes = [
  {re: /^\/$/, page: machinesPage, key: () => 'machines'},
  {re: /^\/machines\/?$/, page: machinesPage, key: () => 'machines'},
  {re: /^\/machines\/([^/]+)\/?$/, page: machinePage, key: (m) => `machine:${m[1]}`},
  {re: /^\/executions\/([^/]+)\/?$/, page: executionPage, key: (m) => `execution:${m[1]}`},
  {re: /^\/functions\/?$/, page: functionsPage, key: () => 'functions'},
  {re: /^\/functions\/([^/]+)\/?$/, page: functionsPage, key: (m) => `function:${m[1]}`},
  {re: /^\/triggers\/?$/, page: triggersPage, key: () => 'triggers'},
  {re: /^\/triggers\/([^/]+)\/?$/, page: triggersPage, key: (m) => `trigger:${m[1]}`},
];

let current = null;  // {key, instance}
let main = null;

// A malformed escape in a deep link (/executions/%E0%A4) is kept as typed: the API then answers
// "not found" for it.
function decodeSegment(p) {
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

function route() {
  const path = location.pathname;
  let found = null;
  for (const r of routes) {
    const m = r.re.exec(path);
    if (m) {
      found = {r, params: m.slice(1).map(decodeSegment), key: r.key(m)};
      break;
    }
  }
  document.querySelectorAll('.nav a').forEach((a) => {
    const section = a.getAttribute('data-section');
    const active = section === 'machines'
      ? !path.startsWith('/functions') && !path.startsWith('/triggers') : path.startsWith(`/${section}`);
    a.classList.toggle('active', active);
  });
  if (current && found && current.key === found.key) {
    if (current.instance.update) current.instance.update();
    return;
  }
  if (current && current.instance.destroy) current.instance.destroy();
  current = null;
  replace(main);
  if (!found) {
    main.appendChild(h('div', {class: 'empty'}, h('h1', {}, 'Not found'),
      h('p', {}, 'No page has this address. '), h('a', {href: '/'}, 'State machines')));
    return;
  }
  const instance = found.r.page.mount(main, ...found.params) || {};
  current = {key: found.key, instance};
  window.scrollTo(0, 0);
}

window.addEventListener('popstate', route);

// Same-origin links open inside the page.
document.addEventListener('click', (ev) => {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const a = ev.target.closest && ev.target.closest('a[href]');
  if (!a || a.target || a.hasAttribute('download')) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/assets/')) return;
  ev.preventDefault();
  navigate(url.pathname + url.search + url.hash);
});

// --------------------------------------------------------------- keyboard

const KEYS = [
  ['?', 'Show or hide this list of keys'],
  ['g m', 'Go to the state machines'],
  ['g f', 'Go to the functions'],
  ['j / ↓', 'Next row (lists, history, iterations)'],
  ['k / ↑', 'Previous row'],
  ['Enter', 'Open the selected row'],
  ['Esc', 'Close the dialog, this list or the state panel'],
  ['/', 'Focus the filter'],
  ['t', 'Switch the theme (light, dark, system)'],
  ['f', 'Find a state in the graph'],
  ['u', 'Show times in UTC or local time'],
];

function toggleHelp(show) {
  const existing = document.getElementById('keys-help');
  if (existing) {
    if (show !== true) existing.remove();
    return;
  }
  if (show === false) return;
  const table = h('table', {class: 'keys'}, h('tbody', {}, KEYS.map(([k, d]) =>
    h('tr', {}, h('td', {}, ...k.split(' ').flatMap((part, i) => [i ? ' ' : '', h('kbd', {}, part)])), h('td', {}, d)))));
  const box = h('div', {class: 'dialog keys-dialog', role: 'dialog', 'aria-label': 'Keyboard shortcuts'},
    h('h2', {}, 'Keyboard'), table,
    h('div', {class: 'dialog-buttons'}, h('button', {type: 'button', class: 'primary', onclick: () => toggleHelp(false)}, 'Close')));
  const backdrop = h('div', {class: 'backdrop', id: 'keys-help', 'data-testid': 'keys-help'}, box);
  backdrop.addEventListener('mousedown', (ev) => {
    if (ev.target === backdrop) toggleHelp(false);
  });
  document.body.appendChild(backdrop);
}

// Row navigation for pages without their own: rows marked data-kbd-row.
function genericMove(delta) {
  const rows = [...main.querySelectorAll('[data-kbd-row]')].filter((r) => r.offsetParent !== null);
  if (!rows.length) return;
  let i = rows.findIndex((r) => r.classList.contains('kbd-focus'));
  if (i >= 0) rows[i].classList.remove('kbd-focus');
  i = i < 0 ? (delta > 0 ? 0 : rows.length - 1) : Math.min(rows.length - 1, Math.max(0, i + delta));
  rows[i].classList.add('kbd-focus');
  rows[i].scrollIntoView({block: 'nearest'});
}

function genericOpen() {
  const row = main.querySelector('.kbd-focus[data-kbd-row]');
  if (!row) return false;
  const link = row.querySelector('a[href]');
  if (link) link.click();
  else row.click();
  return true;
}

let gPending = 0;
document.addEventListener('keydown', (ev) => {
  if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const t = ev.target;
  const typing = t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
  if (ev.key === 'Escape') {
    if (dialogOpen()) {
      closeDialog();
    } else if (document.getElementById('keys-help')) {
      toggleHelp(false);
    } else if (typing) {
      t.blur();
    } else if (current && current.instance.escape) {
      current.instance.escape();
    }
    ev.preventDefault();
    return;
  }
  if (typing || dialogOpen()) return;
  const inst = current ? current.instance : {};
  if (gPending && performance.now() - gPending < 1500) {
    gPending = 0;
    if (ev.key === 'm') {
      ev.preventDefault();
      navigate('/');
      return;
    }
    if (ev.key === 'f') {
      ev.preventDefault();
      navigate('/functions');
      return;
    }
  }
  gPending = 0;
  switch (ev.key) {
    case '?':
      toggleHelp();
      break;
    case 'g':
      gPending = performance.now();
      break;
    case 't':
      cycleTheme();
      break;
    case 'u':
      setUtcMode(!utcMode());
      updateTzButton();
      route();
      if (current && current.instance.refreshTimes) current.instance.refreshTimes();
      break;
    case 'j':
    case 'ArrowDown':
      if (inst.move) inst.move(1);
      else genericMove(1);
      break;
    case 'k':
    case 'ArrowUp':
      if (inst.move) inst.move(-1);
      else genericMove(-1);
      break;
    case 'Enter':
      if (inst.open && inst.open()) break;
      if (!genericOpen()) return;
      break;
    case '/': {
      const filter = [...main.querySelectorAll('[data-filter]')].find((el) => el.offsetParent !== null);
      if (!filter) return;
      filter.focus();
      if (filter.select) filter.select();
      break;
    }
    case 'f': {
      const find = [...main.querySelectorAll('.graph-find')].find((el) => el.offsetParent !== null);
      if (!find) return;
      find.focus();
      break;
    }
    default:
      return;
  }
  ev.preventDefault();
});

// ------------------------------------------------------------------ shell

function updateTzButton() {
  const b = document.querySelector('[data-testid=tz-toggle]');
  if (b) b.textContent = utcMode() ? 'UTC' : 'Local time';
}

function shell() {
  const themeButton = h('button', {type: 'button', class: 'small ghost', 'data-testid': 'theme-toggle', onclick: cycleTheme});
  const tzButton = h('button', {type: 'button', class: 'small ghost', 'data-testid': 'tz-toggle', title: 'Times in UTC or local time (u)',
                                onclick: () => {
                                  setUtcMode(!utcMode());
                                  updateTzButton();
                                  if (current && current.instance.refreshTimes) current.instance.refreshTimes();
                                  else route();
                                }});
  const header = h('header', {class: 'topbar'},
    h('a', {href: '/', class: 'brand'}, h('span', {class: 'logo', 'aria-hidden': 'true'}, '◆'), 'stepflow'),
    h('nav', {class: 'nav'},
      h('a', {href: '/', 'data-section': 'machines'}, 'State machines'),
      h('a', {href: '/functions', 'data-section': 'functions'}, 'Functions'),
      h('a', {href: '/triggers', 'data-section': 'triggers'}, 'Triggers')),
    h('div', {class: 'topbar-right'},
      tzButton, themeButton,
      h('button', {type: 'button', class: 'small ghost', title: 'Keyboard shortcuts (?)', 'data-testid': 'keys-button',
                   onclick: () => toggleHelp()}, '?')));
  main = h('main', {id: 'main'});
  document.body.replaceChildren(header, main);
  applyTheme();
  updateTzButton();
}

onRoute(route);
applyTheme();
shell();
route();
