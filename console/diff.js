// A line diff by longest common subsequence, for comparing two versions of a definition.

import {h} from '/assets/util.js';

// The diff of two texts as [{op: ' '|'-'|'+', text, a, b}] (a, b: 1-based line numbers in
// each text, null where the line is absent). Common head and tail lines are matched first;
// when what remains is too large for the quadratic table, it is shown as removed then added.
export function lineDiff(aText, bText, maxCells = 4e6) {
  const a = aText.split('\n');
  const b = bText.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head &&
         a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);
  const out = [];
  for (let i = 0; i < head; i++) out.push({op: ' ', text: a[i], a: i + 1, b: i + 1});
  const n = am.length;
  const m = bm.length;
  if (n * m > maxCells) {
    am.forEach((t, i) => out.push({op: '-', text: t, a: head + i + 1, b: null}));
    bm.forEach((t, j) => out.push({op: '+', text: t, a: null, b: head + j + 1}));
  } else {
    // lcs[i][j] = length of the LCS of am[i..] and bm[j..], in one flat array.
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * w + j] = am[i] === bm[j] ? lcs[(i + 1) * w + j + 1] + 1
                                         : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && am[i] === bm[j]) {
        out.push({op: ' ', text: am[i], a: head + i + 1, b: head + j + 1});
        i++;
        j++;
      } else if (i < n && (j === m || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1])) {
        out.push({op: '-', text: am[i], a: head + i + 1, b: null});
        i++;
      } else {
        out.push({op: '+', text: bm[j], a: null, b: head + j + 1});
        j++;
      }
    }
  }
  for (let k = 0; k < tail; k++) {
    const ai = a.length - tail + k;
    const bi = b.length - tail + k;
    out.push({op: ' ', text: a[ai], a: ai + 1, b: bi + 1});
  }
  return out;
}

// A table of the diff; runs of more than 2*context unchanged lines are folded.
export function diffView(rows, context = 3) {
  const added = rows.filter((r) => r.op === '+').length;
  const removed = rows.filter((r) => r.op === '-').length;
  const table = h('table', {class: 'diff', 'data-testid': 'diff'});
  const tbody = h('tbody');
  table.appendChild(tbody);
  const keep = new Uint8Array(rows.length);
  rows.forEach((r, i) => {
    if (r.op === ' ') return;
    for (let k = Math.max(0, i - context); k <= Math.min(rows.length - 1, i + context); k++) keep[k] = 1;
  });
  let i = 0;
  while (i < rows.length) {
    if (!keep[i]) {
      let j = i;
      while (j < rows.length && !keep[j]) j++;
      const hidden = rows.slice(i, j);
      const fold = h('tr', {class: 'diff-fold'}, h('td', {colspan: 4},
        h('button', {class: 'small ghost', type: 'button', onclick: () => {
          const frag = document.createDocumentFragment();
          hidden.forEach((r) => frag.appendChild(diffRow(r)));
          fold.replaceWith(frag);
        }}, `… ${hidden.length} unchanged lines`)));
      tbody.appendChild(fold);
      i = j;
      continue;
    }
    tbody.appendChild(diffRow(rows[i]));
    i++;
  }
  return h('div', {class: 'diff-wrap'},
    h('div', {class: 'diff-summary'}, h('span', {class: 'diff-add'}, `+${added}`), ' ',
      h('span', {class: 'diff-del'}, `−${removed}`), added + removed === 0 ? ' (identical)' : ''),
    table);
}

function diffRow(r) {
  const cls = r.op === '+' ? 'add' : r.op === '-' ? 'del' : 'same';
  return h('tr', {class: `diff-${cls}`},
    h('td', {class: 'ln'}, r.a === null ? '' : String(r.a)),
    h('td', {class: 'ln'}, r.b === null ? '' : String(r.b)),
    h('td', {class: 'op'}, r.op),
    h('td', {class: 'txt'}, r.text));
}
