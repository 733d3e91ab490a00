// An execution's history as a virtualised table: rows of a fixed height, only the visible
// ones in the DOM, pages fetched on demand from /api/executions/ID/history. Unfiltered, event
// ids are 1..N, so any page can be fetched directly (?after=E); filtered, pages are fetched in
// order with the answer's "next" cursor.

import {h, replace, fmtTime, fmtDuration, fmtNum} from '/assets/util.js';
import {api} from '/assets/api.js';

export const ROW_HEIGHT = 28;
const PAGE = 200;
const OVERSCAN = 10;

// "type:Failed state:Fanout[3]/ card declined" → {type, state, text}
export function parseFilter(text) {
  const out = {type: '', state: '', text: ''};
  const rest = [];
  for (const token of (text || '').trim().split(/\s+/)) {
    if (!token) continue;
    const m = /^(type|state|text):(.*)$/i.exec(token);
    if (m) out[m[1].toLowerCase()] = m[2];
    else rest.push(token);
  }
  if (rest.length) out.text = out.text ? `${out.text} ${rest.join(' ')}` : rest.join(' ');
  return out;
}

function matches(ev, f) {
  if (f.type && !(ev.type || '').toLowerCase().includes(f.type.toLowerCase())) return false;
  if (f.state && !(ev.statePath || '').startsWith(f.state)) return false;
  if (f.text && !JSON.stringify(ev.details || {}).includes(f.text) && !(ev.type || '').includes(f.text) &&
      !(ev.statePath || '').includes(f.text)) {
    return false;
  }
  return true;
}

function isFailure(type) {
  return /Failed$|TimedOut$|Aborted$/.test(type) || type === 'FailStateEntered';
}

function summary(details) {
  if (!details || typeof details !== 'object') return '';
  const parts = [];
  if (details.error) parts.push(`${details.error}${details.cause ? `: ${details.cause}` : ''}`);
  for (const [k, v] of Object.entries(details)) {
    if (k === 'error' || k === 'cause' || k === 'name' || k.endsWith('Details') || v === null || v === undefined) continue;
    parts.push(`${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
    if (parts.join(' ').length > 240) break;
  }
  const out = parts.join('  ');
  return out.length > 240 ? `${out.slice(0, 239)}…` : out;
}

// createHistory({executionId, startMs, onSelect(event)}) → {el, setFilter, select, render,
//   addLive, move, painted (a promise), scrollToEvent, total(), destroy}
export function createHistory({executionId, startMs, onSelect}) {
  let filterText = null;
  let filter = parseFilter('');
  let dense = true;
  let rows = new Map();            // index → event
  let total = 0;
  let loadedSeq = 0;               // filtered: rows 0..loadedSeq-1 are loaded
  let nextCursor = null;           // filtered: where the next page starts, null at the end
  let countedThrough = 0;          // filtered: the server's last count covered events 1..countedThrough
  let liveAfter = [];              // filtered: matching live events after countedThrough
  let pending = new Set();         // dense: pages being fetched
  let seqLoading = null;
  let generation = 0;              // bumps on each filter change; stale answers are dropped
  let selectedId = null;
  let follow = false;
  let paintedResolve;
  const painted = new Promise((resolve) => {
    paintedResolve = resolve;
  });
  let error = null;
  let known = false;               // the first answer arrived
  let pendingScroll = null;        // an event to scroll to once the total is known

  const countEl = h('span', {class: 'muted', 'data-testid': 'history-count'});
  const followBox = h('input', {type: 'checkbox', 'data-testid': 'history-follow'});
  const spacer = h('div', {class: 'vlist-spacer'});
  const viewport = h('div', {class: 'vlist', 'data-testid': 'history', role: 'grid', 'aria-label': 'History events', tabindex: '0'}, spacer);
  const status = h('div', {class: 'vlist-status'});
  const head = h('div', {class: 'hist-row hist-head', role: 'row'},
    h('span', {class: 'c-id'}, '#'), h('span', {class: 'c-time'}, 'Time'), h('span', {class: 'c-type'}, 'Type'),
    h('span', {class: 'c-state'}, 'State'), h('span', {class: 'c-details'}, 'Details'));
  const el = h('div', {class: 'history'}, head, viewport, status);
  const elements = new Map();  // index → row element

  followBox.addEventListener('change', () => {
    follow = followBox.checked;
    if (follow) viewport.scrollTop = viewport.scrollHeight;
  });

  const rowEl = (index, ev) => {
    if (!ev) {
      return h('div', {class: 'hist-row placeholder', role: 'row', 'data-index': index}, h('span', {class: 'muted'}, 'Loading…'));
    }
    const fail = isFailure(ev.type || '');
    const start = typeof startMs === 'function' ? startMs() : startMs;
    const offset = start ? ev.timestampMs - start : null;
    const row = h('div', {class: ['hist-row', fail ? 'failure' : '', ev.id === selectedId ? 'selected' : ''], role: 'row',
                          'data-testid': 'history-row', 'data-event-id': ev.id, 'data-type': ev.type, 'data-index': index,
                          'data-state-path': ev.statePath || '', 'aria-selected': ev.id === selectedId ? 'true' : 'false'},
      h('span', {class: 'c-id'}, String(ev.id)),
      h('span', {class: 'c-time', title: fmtTime(ev.timestampMs)}, offset === null ? fmtTime(ev.timestampMs) : `+${fmtDuration(offset)}`),
      h('span', {class: 'c-type'}, ev.type),
      h('span', {class: 'c-state', title: ev.statePath || ''}, ev.statePath || ''),
      h('span', {class: 'c-details'}, summary(ev.details)));
    row.addEventListener('click', () => onSelect(ev));
    return row;
  };

  let frame = 0;
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(() => {
      frame = 0;
      render();
    });
  };

  const fetchDense = (page) => {
    if (pending.has(page)) return;
    pending.add(page);
    const gen = generation;
    api(`executions/${encodeURIComponent(executionId)}/history?after=${page * PAGE}&limit=${PAGE}`).then((r) => {
      if (gen !== generation) return;
      for (const ev of r.events || []) rows.set(ev.id - 1, ev);
      // Mark the page's slots as tried, so a gap in ids does not refetch for ever.
      for (let i = page * PAGE; i < (page + 1) * PAGE; i++) if (!rows.has(i) && i < r.total) rows.set(i, null);
      total = Math.max(total, r.total || 0);
      known = true;
      error = null;
      if (pendingScroll !== null) {
        spacer.style.height = `${total * ROW_HEIGHT}px`;
        scrollToIndex(indexOf(pendingScroll));
        pendingScroll = null;
      }
      schedule();
    }).catch((e) => {
      if (gen !== generation) return;
      error = e;
      known = true;
      schedule();
    }).finally(() => {
      if (gen === generation) pending.delete(page);
    });
  };

  const queryOf = () => {
    const p = new URLSearchParams();
    if (filter.type) p.set('type', filter.type);
    if (filter.state) p.set('state', filter.state);
    if (filter.text) p.set('text', filter.text);
    return p;
  };

  // Filtered: loads pages in order until row `upTo` is loaded (or the end).
  const fetchSeq = (upTo) => {
    if (seqLoading || (known && nextCursor === null)) return seqLoading;
    const gen = generation;
    const p = queryOf();
    if (nextCursor !== null) p.set('after', String(nextCursor));
    p.set('limit', String(Math.min(1000, Math.max(PAGE, upTo - loadedSeq + 1))));
    seqLoading = api(`executions/${encodeURIComponent(executionId)}/history?${p}`).then((r) => {
      if (gen !== generation) return;
      for (const ev of r.events || []) rows.set(loadedSeq++, ev);
      nextCursor = r.next ?? null;
      // The answer counted events 1..r.total; live events after those are not in it.
      countedThrough = r.total || 0;
      liveAfter = liveAfter.filter((ev) => ev.id > countedThrough);
      if (nextCursor === null) {
        for (const ev of liveAfter) rows.set(loadedSeq++, ev);
        liveAfter = [];
        total = loadedSeq;
      } else {
        total = Math.max((r.matching ?? r.total ?? 0) + liveAfter.length, loadedSeq);
      }
      known = true;
      error = null;
      schedule();
    }).catch((e) => {
      if (gen !== generation) return;
      error = e;
      known = true;
      nextCursor = null;
      schedule();
    }).finally(() => {
      if (gen === generation) seqLoading = null;
    });
    return seqLoading;
  };

  const render = () => {
    spacer.style.height = `${Math.max(total, 0) * ROW_HEIGHT}px`;
    const height = viewport.clientHeight || 480;
    if (follow && known) viewport.scrollTop = Math.max(0, total * ROW_HEIGHT - height);
    const first = Math.max(0, Math.floor(viewport.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(total - 1, Math.ceil((viewport.scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
    for (const [index, node] of elements) {
      if (index < first || index > last) {
        node.remove();
        elements.delete(index);
      }
    }
    let missingFrom = -1;
    for (let i = first; i <= last; i++) {
      const ev = rows.get(i);
      const existing = elements.get(i);
      if (existing && (existing.classList.contains('placeholder') ? !ev : true)) continue;
      if (existing) existing.remove();
      if (!ev && missingFrom < 0) missingFrom = i;
      const node = rowEl(i, ev);
      node.style.transform = `translateY(${i * ROW_HEIGHT}px)`;
      spacer.appendChild(node);
      elements.set(i, node);
    }
    if (missingFrom >= 0 || (!known && total === 0 && pending.size === 0 && !seqLoading)) {
      if (dense) {
        const pFirst = Math.floor(Math.max(missingFrom, first) / PAGE);
        const pLast = Math.floor(Math.max(last, 0) / PAGE);
        for (let p = pFirst; p <= pLast; p++) {
          let missing = false;
          for (let i = Math.max(first, p * PAGE); i <= Math.min(last, (p + 1) * PAGE - 1); i++) {
            if (!rows.has(i)) {
              missing = true;
              break;
            }
          }
          if (missing || !known) fetchDense(p);
        }
      } else {
        fetchSeq(last);
      }
    }
    countEl.textContent = known ? `${fmtNum(total)} event${total === 1 ? '' : 's'}${filterText ? ' match' : ''}` : '';
    if (error) replace(status, h('span', {class: 'error-text'}, `Could not load the history: ${error.message}`));
    else if (known && total === 0) replace(status, h('span', {class: 'muted'}, filterText ? 'No event matches the filter.' : 'No events yet.'));
    else replace(status);
    if (known && (total === 0 || elements.size > 0 && [...elements.values()].some((n) => !n.classList.contains('placeholder')) || error)) {
      paintedResolve();
    }
  };

  viewport.addEventListener('scroll', () => {
    if (follow && viewport.scrollTop + viewport.clientHeight < viewport.scrollHeight - ROW_HEIGHT * 2) {
      follow = false;
      followBox.checked = false;
    }
    schedule();
  }, {passive: true});

  const indexOf = (id) => {
    if (dense) return id - 1;
    for (const [i, ev] of rows) if (ev && ev.id === id) return i;
    return -1;
  };

  const scrollToIndex = (index) => {
    const height = viewport.clientHeight || 480;
    const top = index * ROW_HEIGHT;
    if (top < viewport.scrollTop || top + ROW_HEIGHT > viewport.scrollTop + height) {
      viewport.scrollTop = Math.max(0, top - height / 2);
    }
  };

  // Scrolls to event `id`, loading filtered pages until it is found (bounded by the total).
  const scrollToEvent = async (id) => {
    if (dense && !known) {
      pendingScroll = id;
      return;
    }
    let index = indexOf(id);
    let guard = 0;
    while (!dense && index < 0 && nextCursor !== null && guard++ < 100) {
      const gen = generation;
      await fetchSeq(loadedSeq + 1000);
      if (gen !== generation) return;
      index = indexOf(id);
    }
    if (index >= 0) {
      scrollToIndex(index);
      schedule();
    }
  };

  const setFilter = (text) => {
    const t = text || '';
    if (t === filterText) return;
    filterText = t;
    filter = parseFilter(t);
    dense = !filter.type && !filter.state && !filter.text;
    generation++;
    rows = new Map();
    pending = new Set();
    seqLoading = null;
    loadedSeq = 0;
    nextCursor = null;
    countedThrough = 0;
    liveAfter = [];
    known = false;
    error = null;
    total = 0;
    for (const node of elements.values()) node.remove();
    elements.clear();
    viewport.scrollTop = 0;
    if (dense) {
      const target = selectedId && selectedId > 0 ? Math.floor((selectedId - 1) / PAGE) : 0;
      if (selectedId) pendingScroll = selectedId;
      fetchDense(target);
    } else {
      const loading = fetchSeq(PAGE - 1);
      if (selectedId && loading) {
        loading.then(() => {
          const index = indexOf(selectedId);
          if (index >= 0) scrollToIndex(index);
        });
      }
    }
    schedule();
  };

  // Selects event `id`; scrolls to it only when the selection changed (live updates re-apply
  // the same selection and must not pull the view back).
  const select = (id, {scroll = true} = {}) => {
    const changed = id !== selectedId;
    selectedId = id;
    for (const node of elements.values()) {
      const on = Number(node.getAttribute('data-event-id')) === id;
      node.classList.toggle('selected', on);
      node.setAttribute('aria-selected', on ? 'true' : 'false');
    }
    if (id && scroll && changed) scrollToEvent(id);
  };

  // A live event: appended when it belongs to the rows shown.
  const addLive = (ev) => {
    if (dense) {
      if (!rows.get(ev.id - 1)) rows.set(ev.id - 1, ev);
      total = Math.max(total, ev.id);
      known = true;
    } else if (matches(ev, filter)) {
      if (known && nextCursor === null && !seqLoading) {
        if (![...rows.values()].some((r) => r && r.id === ev.id)) {
          rows.set(loadedSeq++, ev);
          total = loadedSeq;
        }
      } else if (ev.id > countedThrough && !liveAfter.some((r) => r.id === ev.id)) {
        // Counted (and, at the end, appended) until a page answer covers it.
        liveAfter.push(ev);
        total++;
      }
    }
    schedule();
  };

  // j/k: the neighbour of the selected event (loaded rows only).
  const move = (delta) => {
    let index = selectedId ? indexOf(selectedId) : -1;
    index = index < 0 ? (delta > 0 ? Math.floor(viewport.scrollTop / ROW_HEIGHT) : Math.floor(viewport.scrollTop / ROW_HEIGHT)) : index + delta;
    if (index < 0 || index >= total) return;
    const ev = rows.get(index);
    if (ev) onSelect(ev);
    else {
      scrollToIndex(index);
      schedule();
    }
  };

  const ro = new ResizeObserver(schedule);
  ro.observe(viewport);

  const toolbar = h('div', {class: 'toolbar history-toolbar'});
  return {
    el,
    toolbar,
    countEl,
    followToggle: h('label', {class: 'inline', title: 'Keep the newest events in view'}, followBox, ' follow'),
    setFilter,
    // Fetches everything again (after a redrive or stop added events the stream did not carry).
    reload: () => {
      const text = filterText;
      filterText = null;
      setFilter(text);
    },
    select,
    render: schedule,
    addLive,
    move,
    painted,
    scrollToEvent,
    total: () => total,
    destroy: () => {
      ro.disconnect();
      generation++;
    },
  };
}
