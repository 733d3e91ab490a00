// JSON payload views: pretty text, truncated past ~2 KB with a "show all" button, and the
// lines a list of JSON-pointer changes touches highlighted.

import {h, fmtBytes, copyText} from '/assets/util.js';

export const TRUNCATE_CHARS = 2048;

class Budget extends Error {}

function pointerKey(key) {
  return String(key).replace(/~/g, '~0').replace(/\//g, '~1');
}

// Pretty-printed lines of `value`, each with the JSON pointer of the value it shows. Stops
// (truncated = true) once more than `limit` characters were written.
export function prettyLines(value, limit = Infinity) {
  const lines = [];
  let used = 0;
  let truncated = false;
  const push = (text, ptr) => {
    lines.push({text, ptr});
    used += text.length + 1;
    if (used > limit) {
      // A long last line (a big string) is cut too.
      const keep = Math.max(120, text.length - (used - limit));
      if (keep < text.length) lines[lines.length - 1].text = `${text.slice(0, keep)} …`;
      throw new Budget();
    }
  };
  const walk = (v, indent, prefix, suffix, ptr) => {
    const pad = '  '.repeat(indent);
    if (Array.isArray(v)) {
      if (v.length === 0) return push(`${pad}${prefix}[]${suffix}`, ptr);
      push(`${pad}${prefix}[`, ptr);
      v.forEach((item, i) => walk(item, indent + 1, '', i < v.length - 1 ? ',' : '', `${ptr}/${i}`));
      return push(`${pad}]${suffix}`, ptr);
    }
    if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v);
      if (keys.length === 0) return push(`${pad}${prefix}{}${suffix}`, ptr);
      push(`${pad}${prefix}{`, ptr);
      keys.forEach((k, i) => walk(v[k], indent + 1, `${JSON.stringify(k)}: `, i < keys.length - 1 ? ',' : '',
                                  `${ptr}/${pointerKey(k)}`));
      return push(`${pad}}${suffix}`, ptr);
    }
    return push(`${pad}${prefix}${v === undefined ? 'null' : JSON.stringify(v)}${suffix}`, ptr);
  };
  try {
    walk(value, 0, '', '', '');
  } catch (e) {
    if (!(e instanceof Budget)) throw e;
    truncated = true;
  }
  return {lines, truncated};
}

function changeClass(ptr, changes) {
  let cls = null;
  for (const c of changes) {
    if (ptr === c.path || (c.path === '' ) || ptr.startsWith(`${c.path}/`)) cls = c.op;
  }
  return cls;
}

// A <div class="json"> holding a <pre> with the value's text (attributes `preAttrs` go on the
// <pre>, e.g. a data-testid) and, when it is longer than `limit`, a "show all" button.
export function jsonView(value, {changes = [], limit = TRUNCATE_CHARS, preAttrs = {}, copy = true} = {}) {
  const wrap = h('div', {class: 'json'});
  const render = (max) => {
    const {lines, truncated} = prettyLines(value, max);
    const pre = h('pre', {...preAttrs, class: 'json-text'});
    if (changes.length === 0) {
      pre.textContent = lines.map((l) => l.text).join('\n');
    } else {
      lines.forEach((l, i) => {
        const cls = changeClass(l.ptr, changes);
        pre.appendChild(h('span', {class: cls ? `line chg-${cls}` : 'line'}, l.text + (i < lines.length - 1 ? '\n' : '')));
      });
    }
    const bar = h('div', {class: 'json-bar'});
    if (truncated) {
      const full = JSON.stringify(value);
      bar.appendChild(h('span', {class: 'muted'}, `truncated (${fmtBytes(full.length)})`));
      bar.appendChild(h('button', {class: 'small', 'data-testid': 'show-all', type: 'button',
                                   onclick: () => render(Infinity)}, 'show all'));
    }
    if (copy) {
      bar.appendChild(h('button', {class: 'small ghost', type: 'button', title: 'Copy the JSON',
                                   onclick: () => copyText(JSON.stringify(value, null, 2))}, 'copy'));
    }
    wrap.replaceChildren(pre, bar);
  };
  render(limit);
  return wrap;
}

// A plain text block (definitions, causes) truncated past `limit` characters.
export function textView(text, {limit = TRUNCATE_CHARS * 4, preAttrs = {}, cls = 'code'} = {}) {
  const wrap = h('div', {class: 'json'});
  const render = (all) => {
    const pre = h('pre', {...preAttrs, class: cls});
    const cut = !all && text.length > limit;
    pre.textContent = cut ? text.slice(0, limit) : text;
    const nodes = [pre];
    if (cut) {
      nodes.push(h('div', {class: 'json-bar'}, h('span', {class: 'muted'}, `truncated (${fmtBytes(text.length)})`),
                   h('button', {class: 'small', 'data-testid': 'show-all', type: 'button', onclick: () => render(true)},
                     'show all')));
    }
    wrap.replaceChildren(...nodes);
  };
  render(false);
  return wrap;
}

// JSON.parse with the error's position as line and column: {value} or {error, line, column}.
export function parseJsonInput(text) {
  try {
    return {value: JSON.parse(text)};
  } catch (e) {
    const message = String(e.message || e);
    let pos = null;
    const m = /position (\d+)/.exec(message);
    if (m) pos = Number(m[1]);
    const lc = /line (\d+) column (\d+)/.exec(message);
    let line = null;
    let column = null;
    if (lc) {
      line = Number(lc[1]);
      column = Number(lc[2]);
    } else if (pos !== null) {
      const before = text.slice(0, pos);
      line = before.split('\n').length;
      column = pos - before.lastIndexOf('\n');
    } else if (/end of JSON|Unexpected end/i.test(message)) {
      pos = text.length;
      const before = text;
      line = before.split('\n').length;
      column = pos - before.lastIndexOf('\n');
    }
    const short = message.replace(/^JSON\.parse: /, '').replace(/ (in JSON )?at position \d+( \(line \d+ column \d+\))?/, '');
    return {error: short, line, column, pos};
  }
}
