// The iteration explorer of a Map state: a status histogram (a bar filters), a sortable
// paged table of iterations, and the opened iteration's graph coloured from its own events.

import {h, replace, fmtNum, fmtDuration, fmtTime, statusBadge, param, intParam} from '/assets/util.js';
import {api} from '/assets/api.js';
import {setQuery} from '/assets/router.js';
import {createGraph, statesFromEvents, toTemplate, templatePrefixes} from '/assets/graph.js';
import {errorBlock} from '/assets/statepanel.js';

const LIMIT = 100;
const HIST_ORDER = ['SUCCEEDED', 'FAILED', 'RUNNING', 'ABORTED'];

// createIterationExplorer({executionId, layoutPromise, running()}) → {el, update(), refresh(), move, open, destroy}
export function createIterationExplorer({executionId, layoutPromise, running}) {
  const enc = encodeURIComponent;
  const histogram = h('div', {class: 'histogram', 'data-testid': 'iteration-histogram'});
  const tableHolder = h('div', {class: 'iter-table'});
  const pager = h('div', {class: 'pager'});
  const detail = h('div', {class: 'iter-detail'});
  const title = h('h2', {});
  const el = h('div', {class: 'iterations', 'data-testid': 'iterations'},
    h('div', {class: 'iter-head'}, title, h('button', {type: 'button', class: 'small ghost', 'data-testid': 'close-iterations',
      onclick: () => setQuery({map: null, iteration: null, istatus: null, isort: null, idesc: null, ioffset: null, tab: null})}, 'Close')),
    histogram,
    h('div', {class: 'iter-split'}, h('div', {class: 'iter-list'}, tableHolder, pager), detail));
  let listKey = null;
  let detailKey = null;
  let lastList = null;
  let graph = null;
  let controller = new AbortController();
  let focused = -1;
  let paintedOnce = false;

  const mapPath = () => param('map');
  const listParams = () => ({
    status: param('istatus') || '', sort: param('isort') || 'index', desc: param('idesc') === 'true', offset: intParam('ioffset', 0) || 0,
  });

  const renderHistogram = (r) => {
    const hist = r.histogram || {};
    const max = Math.max(1, ...Object.values(hist).map(Number));
    const active = param('istatus');
    const keys = [...HIST_ORDER.filter((k) => k in hist), ...Object.keys(hist).filter((k) => !HIST_ORDER.includes(k))];
    replace(histogram,
      h('button', {type: 'button', class: ['hist-all', !active ? 'active' : ''], 'data-status': '', onclick: () => setQuery({istatus: null, ioffset: null})},
        `All ${fmtNum(Object.values(hist).reduce((a, b) => a + Number(b), 0))}`),
      keys.map((k) => {
        const bar = h('span', {class: `bar status-${k}`});
        bar.style.width = `${Math.max(2, (Number(hist[k]) / max) * 100)}%`;
        return h('button', {type: 'button', class: ['hist-bar', active === k ? 'active' : ''], 'data-status': k, 'data-count': hist[k],
                            title: `Show the ${k.toLowerCase()} iterations`, 'aria-pressed': active === k ? 'true' : 'false',
                            onclick: () => setQuery({istatus: active === k ? null : k, ioffset: null})},
          h('span', {class: 'hist-label'}, k), h('span', {class: 'bar-track'}, bar), h('span', {class: 'hist-count'}, fmtNum(hist[k])));
      }));
  };

  const sortHeader = (key, label) => {
    const {sort, desc} = listParams();
    const on = sort === key;
    return h('th', {'aria-sort': on ? (desc ? 'descending' : 'ascending') : 'none'},
      h('button', {type: 'button', class: 'sort', 'data-testid': `sort-${key}`,
                   onclick: () => setQuery({isort: key === 'index' ? null : key, idesc: on && !desc ? 'true' : null, ioffset: null})},
        label, on ? (desc ? ' ▼' : ' ▲') : ''));
  };

  const renderTable = (r) => {
    const opened = param('iteration');
    const rows = (r.iterations || []).map((it) => h('tr', {'data-testid': 'iteration-row', 'data-index': it.index, 'data-status': it.status,
      class: String(it.index) === opened ? 'selected' : '', 'aria-selected': String(it.index) === opened ? 'true' : 'false',
      onclick: () => setQuery({iteration: it.index, state: null, visit: null, event: null})},
      h('td', {class: 'num'}, String(it.index)),
      h('td', {}, statusBadge(it.status)),
      h('td', {class: 'num', title: `started ${fmtTime(it.startMs)}`}, it.durationMs !== null && it.durationMs !== undefined ? fmtDuration(it.durationMs) : '—'),
      h('td', {class: 'num'}, fmtNum(it.events)),
      h('td', {class: 'error-text ellipsis', title: it.cause || ''}, it.error || '')));
    replace(tableHolder, h('table', {class: 'table compact', 'data-testid': 'iteration-table'},
      h('thead', {}, h('tr', {}, sortHeader('index', '#'), sortHeader('status', 'Status'), sortHeader('duration', 'Duration'),
        h('th', {}, 'Events'), h('th', {}, 'Error'))),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', {colspan: 5, class: 'muted'}, 'No iterations.')))));
    const {offset} = listParams();
    const total = r.matching ?? (r.histogram && param('istatus') ? Number(r.histogram[param('istatus')] || 0) : r.total);
    replace(pager,
      h('span', {class: 'muted'}, total ? `${fmtNum(offset + 1)}–${fmtNum(offset + (r.iterations || []).length)} of ${fmtNum(total)}` : ''),
      offset > 0 ? h('button', {type: 'button', class: 'small', 'data-testid': 'iter-prev', onclick: () => setQuery({ioffset: Math.max(0, offset - LIMIT) || null})}, '« Previous') : null,
      offset + LIMIT < total ? h('button', {type: 'button', class: 'small', 'data-testid': 'iter-next', onclick: () => setQuery({ioffset: offset + LIMIT})}, 'Next »') : null);
    focused = -1;
  };

  const loadList = async (force) => {
    const m = mapPath();
    const p = listParams();
    const key = JSON.stringify([m, p]);
    if (!force && key === listKey) {
      if (lastList) renderTable(lastList);
      return;
    }
    listKey = key;
    title.textContent = `Iterations of ${m}`;
    if (!lastList) replace(tableHolder, h('div', {class: 'loading'}, 'Loading the iterations…'));
    const q = new URLSearchParams({state: m, sort: p.sort, offset: String(p.offset), limit: String(LIMIT)});
    if (p.status) q.set('status', p.status);
    if (p.desc) q.set('desc', 'true');
    try {
      const r = await api(`executions/${enc(executionId)}/iterations?${q}`, {signal: controller.signal});
      if (key !== listKey) return;
      lastList = r;
      renderHistogram(r);
      renderTable(r);
      if (!paintedOnce) {
        paintedOnce = true;
        performance.mark('stepflow:iterations-painted');
      }
    } catch (e) {
      if (e.name === 'AbortError') return;
      replace(tableHolder, h('div', {class: 'error-box'}, e.status === 404 || e.status === 400
        ? `No iterations: ${e.message}` : `Could not load the iterations: ${e.message}`));
    }
  };

  // The opened iteration: its graph, coloured from its events, and its states.
  const loadDetail = async (force) => {
    const m = mapPath();
    const index = param('iteration');
    const key = `${m}[${index}]`;
    const selected = param('state');
    if (!force && key === detailKey) {
      if (graph) graph.select(selected && selected.startsWith(`${key}/`) ? toTemplate(selected, graph.prefixes) : null);
      return;
    }
    detailKey = key;
    if (graph) graph.destroy();
    graph = null;
    if (index === null) {
      replace(detail, h('p', {class: 'muted'}, 'Open an iteration to see its states.'));
      return;
    }
    replace(detail, h('div', {class: 'loading'}, `Loading iteration ${index}…`));
    const prefix = `${m}[${index}]/`;
    const eventsP = (async () => {
      const events = [];
      let after = null;
      for (let page = 0; page < 10; page++) {
        const q = new URLSearchParams({state: prefix, limit: '1000'});
        if (after !== null) q.set('after', String(after));
        const r = await api(`executions/${enc(executionId)}/history?${q}`, {signal: controller.signal});
        events.push(...(r.events || []));
        if (r.next === null || r.next === undefined) break;
        after = r.next;
      }
      return events;
    })();
    let l = null;
    try {
      l = await layoutPromise;
    } catch {
      l = null;
    }
    let events;
    try {
      events = await eventsP;
    } catch (e) {
      if (e.name !== 'AbortError' && key === detailKey) replace(detail, h('div', {class: 'error-box'}, `Could not load iteration ${index}: ${e.message}`));
      return;
    }
    if (key !== detailKey) return;
    const prefixes = l ? templatePrefixes(l) : new Set();
    const tpl = (actual) => toTemplate(actual, prefixes);
    const mapTpl = tpl(m);
    const it = lastList ? (lastList.iterations || []).find((x) => String(x.index) === index) : null;
    const derived = statesFromEvents(events, tpl, running() && (!it || it.status === 'RUNNING'));
    const head = h('div', {class: 'iter-detail-head'},
      h('h3', {}, `Iteration ${index}`), it ? statusBadge(it.status) : null,
      it ? h('span', {class: 'muted'}, ` ${fmtDuration(it.durationMs)} · ${fmtNum(it.events)} events`) : null,
      h('button', {type: 'button', class: 'link', 'data-testid': 'iteration-history',
                   onclick: () => setQuery({tab: 'history', filter: `state:${prefix}`})}, 'its events in the history'));
    const nodes = [head];
    if (it && (it.error || it.cause)) nodes.push(errorBlock(it.error, it.cause));
    const cluster = l ? (l.clusters || []).find((c) => c.owner === mapTpl && c.kind === 'iteration') : null;
    const actualOf = (nodeId) => (nodeId.startsWith(`${mapTpl}[*]/`) ? `${prefix}${nodeId.slice(mapTpl.length + 4)}` : nodeId);
    if (cluster) {
      graph = createGraph(l, {cluster: cluster.id, clusterOwner: mapTpl, testid: 'iteration-graph', pathOf: actualOf,
                              onSelect: (nodeId) => setQuery({state: actualOf(nodeId), visit: null, event: null})});
      graph.prefixes = prefixes;
      graph.setStates(derived.states, derived.transitions, null);
      nodes.push(graph.el);
    } else {
      nodes.push(h('div', {'data-testid': 'iteration-graph', class: 'iteration-graph-missing muted'},
        l ? 'This Map has no processor in the layout.' : 'The graph is not available (the server needs Graphviz).'));
    }
    // The iteration's states as a list (also where the graph is missing).
    const list = Object.entries(derived.states).map(([t, st]) => {
      const path = st.paths[st.paths.length - 1];
      return h('li', {'data-testid': 'iteration-state', 'data-path': path, 'data-status': st.status},
        h('button', {type: 'button', class: 'link', onclick: () => setQuery({state: path, visit: null, event: null})}, path.slice(prefix.length)),
        ' ', statusBadge(st.status), st.visits > 1 ? h('span', {class: 'muted'}, ` ×${st.visits}`) : null,
        st.error ? h('span', {class: 'error-text'}, ` ${st.error}`) : null);
    });
    nodes.push(h('ul', {class: 'iter-states'}, list.length ? list : h('li', {class: 'muted'}, 'No state of this iteration was entered.')));
    replace(detail, ...nodes);
    if (selected && selected.startsWith(prefix)) graph?.select(tpl(selected));
  };

  const update = () => {
    loadList(false);
    loadDetail(false);
  };

  return {
    el,
    update,
    refresh: () => {
      loadList(true);
      if (param('iteration') !== null) loadDetail(true);
    },
    move: (delta) => {
      const rows = [...tableHolder.querySelectorAll('[data-testid=iteration-row]')];
      if (!rows.length) return;
      if (focused < 0) focused = rows.findIndex((r) => r.classList.contains('selected'));
      focused = Math.min(rows.length - 1, Math.max(0, focused < 0 ? 0 : focused + delta));
      rows.forEach((r, i) => r.classList.toggle('kbd-focus', i === focused));
      rows[focused].scrollIntoView({block: 'nearest'});
    },
    open: () => {
      const row = tableHolder.querySelector('.kbd-focus');
      if (!row) return false;
      row.click();
      return true;
    },
    destroy: () => {
      controller.abort();
      controller = new AbortController();
      if (graph) graph.destroy();
    },
  };
}
