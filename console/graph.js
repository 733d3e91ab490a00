// The state machine's graph, drawn as SVG from the server's layout (docs/console.md,
// "Layout"): nodes, Parallel/Map clusters, Bézier edges with arrowheads, Choice labels and
// dashed Catch edges. Zoom with the wheel or the buttons, pan by dragging, find a state by
// name. An execution's /states colour it.

import {h, s, clear, STATE_STATUSES} from '/assets/util.js';

let graphCount = 0;

// The template path of an actual path (`Fanout[3]/Charge` → `Fanout[*]/Charge`), given the
// set of template prefixes of the layout (see templatePrefixes).
export function toTemplate(actual, prefixes) {
  if (!actual) return actual;
  const parts = actual.split('/');
  let out = '';
  for (let i = 0; i < parts.length; i++) {
    const seg = parts[i];
    const m = /^(.*)\[(\d+)\]$/.exec(seg);
    let piece = seg;
    if (m && i < parts.length - 1) {
      const star = `${out}${m[1]}[*]`;
      if (prefixes.has(star)) piece = `${m[1]}[*]`;
    }
    out += (i > 0 ? '/' : '') + piece;
  }
  return out;
}

// Every "Name[..]" prefix of the layout's node ids (what a path segment may be turned into).
export function templatePrefixes(layout) {
  const set = new Set();
  for (const n of layout.nodes || []) {
    let idx = n.id.indexOf(']/');
    while (idx >= 0) {
      set.add(n.id.slice(0, idx + 1));
      idx = n.id.indexOf(']/', idx + 1);
    }
  }
  return set;
}

function nodeShape(n) {
  if (n.type === 'Start') {
    return [s('circle', {class: 'shape marker', cx: n.width / 2, cy: n.height / 2, r: Math.min(n.width, n.height) / 2})];
  }
  if (n.type === 'End') {
    const r = Math.min(n.width, n.height) / 2;
    return [s('circle', {class: 'shape marker-ring', cx: n.width / 2, cy: n.height / 2, r}),
            s('circle', {class: 'shape marker', cx: n.width / 2, cy: n.height / 2, r: Math.max(2, r - 4)})];
  }
  if (n.type === 'Choice') {
    const w = n.width;
    const hh = n.height;
    const cut = Math.min(14, w / 6);
    return [s('polygon', {class: 'shape', points: `${cut},0 ${w - cut},0 ${w},${hh / 2} ${w - cut},${hh} ${cut},${hh} 0,${hh / 2}`})];
  }
  return [s('rect', {class: 'shape', x: 0, y: 0, width: n.width, height: n.height, rx: 6, ry: 6})];
}

function fitText(text, width, charW = 6.6) {
  const max = Math.max(3, Math.floor((width - 10) / charW));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function edgePath(points) {
  if (!points || points.length === 0) return '';
  let d = `M${points[0][0]},${points[0][1]}`;
  let i = 1;
  for (; i + 2 < points.length; i += 3) {
    d += ` C${points[i][0]},${points[i][1]} ${points[i + 1][0]},${points[i + 1][1]} ${points[i + 2][0]},${points[i + 2][1]}`;
  }
  for (; i < points.length; i++) d += ` L${points[i][0]},${points[i][1]}`;
  return d;
}

// A point halfway along the edge's control points (for count labels).
function midPoint(points) {
  if (!points || points.length === 0) return [0, 0];
  if (points.length >= 4) {
    // The middle Bézier segment's point at t = 0.5.
    const segs = Math.floor((points.length - 1) / 3);
    const k = Math.floor(segs / 2) * 3;
    const [p0, p1, p2, p3] = [points[k], points[k + 1], points[k + 2], points[k + 3]];
    const t = segs % 2 === 1 ? 0.5 : 0;
    const u = 1 - t;
    return [u * u * u * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t * t * t * p3[0],
            u * u * u * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t * t * t * p3[1]];
  }
  return points[Math.floor(points.length / 2)];
}

// createGraph(layout, options) → {el, setStates, select, fit, nodeIds, destroy}
//   options.onSelect(nodeId)   a state's node was clicked
//   options.cluster            draw only this cluster's contents (an iteration's graph)
//   options.testid             data-testid of the container
//   options.pathOf(nodeId)     an actual path for data-path (iteration graphs)
export function createGraph(layout, options = {}) {
  const id = ++graphCount;
  const clusters = layout.clusters || [];
  const byCluster = new Map(clusters.map((c) => [c.id, c]));
  let keepCluster = () => true;
  let bbox = {x: 0, y: 0, width: layout.width || 100, height: layout.height || 100};
  if (options.cluster) {
    const root = byCluster.get(options.cluster);
    const inside = (cid) => {
      for (let c = cid; c; c = byCluster.get(c) ? byCluster.get(c).parent : null) {
        if (c === options.cluster) return true;
      }
      return false;
    };
    keepCluster = (cid) => cid !== null && cid !== undefined && inside(cid);
    if (root) bbox = {x: root.x, y: root.y, width: root.width, height: root.height};
  }
  const nodes = (layout.nodes || []).filter((n) => (options.cluster ? keepCluster(n.cluster) && n.id !== options.clusterOwner : true));
  const nodeIds = new Set(nodes.map((n) => n.id));
  const edges = (layout.edges || []).filter((e) => nodeIds.has(e.from) && nodeIds.has(e.to));
  const shownClusters = clusters.filter((c) => (options.cluster ? keepCluster(c.id) && c.id !== options.cluster : true));

  const svg = s('svg', {class: 'graph-svg', role: 'img', 'aria-label': 'state machine graph'});
  const defs = s('defs');
  const markers = {};
  for (const kind of ['plain', 'taken', 'catch']) {
    const mid = `arrow-${id}-${kind}`;
    markers[kind] = `url(#${mid})`;
    defs.appendChild(s('marker', {id: mid, viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7,
                                  orient: 'auto-start-reverse', class: `arrow arrow-${kind}`},
                       s('path', {d: 'M0,0 L10,5 L0,10 z'})));
  }
  svg.appendChild(defs);
  const view = s('g', {class: 'viewport'});
  svg.appendChild(view);

  // Clusters, outermost first (a parent is drawn before its children).
  const depth = (c) => {
    let d = 0;
    for (let p = c.parent; p && byCluster.get(p); p = byCluster.get(p).parent) d++;
    return d;
  };
  for (const c of [...shownClusters].sort((a, b) => depth(a) - depth(b))) {
    view.appendChild(s('g', {class: `cluster cluster-${c.kind}`, 'data-cluster': c.id},
      s('rect', {x: c.x, y: c.y, width: c.width, height: c.height, rx: 8, ry: 8}),
      s('text', {x: c.x + 8, y: c.y + 14, class: 'cluster-label'}, c.label || '')));
  }

  const edgeEls = new Map();
  const edgeLayer = s('g', {class: 'edges'});
  view.appendChild(edgeLayer);
  for (const e of edges) {
    const dashed = e.kind === 'catch';
    const path = s('path', {d: edgePath(e.points), class: `edge edge-${e.kind}`,
                            'marker-end': dashed ? markers.catch : markers.plain});
    const g = s('g', {class: `edge-group edge-${e.kind}`, 'data-from': e.from, 'data-to': e.to}, path);
    if (e.label) {
      const lx = e.labelX ?? midPoint(e.points)[0];
      const ly = e.labelY ?? midPoint(e.points)[1];
      g.appendChild(s('text', {x: lx, y: ly, class: 'edge-label', 'text-anchor': 'middle'},
                      s('title', {}, e.label), fitText(e.label, 200)));
    }
    edgeLayer.appendChild(g);
    const key = `${e.from}\u0000${e.to}`;
    if (!edgeEls.has(key)) edgeEls.set(key, []);
    edgeEls.get(key).push({edge: e, g, path});
  }

  const nodeEls = new Map();
  const nodeLayer = s('g', {class: 'nodes'});
  view.appendChild(nodeLayer);
  for (const n of nodes) {
    const attrs = {class: `node type-${n.type} status-NOT_RUN`, 'data-state': n.id, 'data-visits': '0',
                   transform: `translate(${n.x},${n.y})`, tabindex: n.type === 'Start' || n.type === 'End' ? null : '-1'};
    if (options.pathOf) attrs['data-path'] = options.pathOf(n.id);
    const g = s('g', attrs, ...nodeShape(n));
    g.appendChild(s('title', {}, `${n.name || n.id}${n.type && n.type !== 'Start' && n.type !== 'End' ? ` (${n.type})` : ''}`));
    if (n.type !== 'Start' && n.type !== 'End') {
      g.appendChild(s('text', {x: n.width / 2, y: n.height / 2, class: 'node-label', 'text-anchor': 'middle',
                               'dominant-baseline': 'central'}, fitText(n.name || n.id, n.width)));
    }
    nodeLayer.appendChild(g);
    nodeEls.set(n.id, {node: n, g});
  }
  const countLayer = s('g', {class: 'counts'});
  view.appendChild(countLayer);

  // ------------------------------------------------------------- zoom & pan
  let scale = 1;
  let tx = 0;
  let ty = 0;
  let fitted = false;
  let userMoved = false;  // zoomed, panned or centred: resizing no longer refits
  const apply = () => view.setAttribute('transform', `translate(${tx},${ty}) scale(${scale})`);
  const size = () => ({w: svg.clientWidth || svg.parentNode?.clientWidth || 800, h: svg.clientHeight || 400});
  const fit = () => {
    const {w, h: hh} = size();
    const pad = 16;
    const fitW = (w - 2 * pad) / Math.max(bbox.width, 1);
    const fitH = (hh - 2 * pad) / Math.max(bbox.height, 1);
    scale = Math.min(fitW, fitH, 1.4);
    // A tall graph stays readable: fit its width, start at its top, and let the user pan.
    if (scale < 0.75) scale = Math.min(0.75, fitW);
    scale = Math.max(scale, 0.05);
    tx = (w - bbox.width * scale) / 2 - bbox.x * scale;
    ty = Math.max(pad, (hh - bbox.height * scale) / 2) - bbox.y * scale;
    apply();
    fitted = true;
    userMoved = false;
  };
  const zoomAt = (factor, cx, cy) => {
    userMoved = true;
    const next = Math.min(8, Math.max(0.05, scale * factor));
    const f = next / scale;
    tx = cx - (cx - tx) * f;
    ty = cy - (cy - ty) * f;
    scale = next;
    apply();
  };
  const center = (nid) => {
    const item = nodeEls.get(nid);
    if (!item) return;
    userMoved = true;
    const {w, h: hh} = size();
    if (scale < 0.6) scale = 0.8;
    tx = w / 2 - (item.node.x + item.node.width / 2) * scale;
    ty = hh / 2 - (item.node.y + item.node.height / 2) * scale;
    apply();
  };
  svg.addEventListener('wheel', (ev) => {
    ev.preventDefault();
    const r = svg.getBoundingClientRect();
    zoomAt(Math.exp(-ev.deltaY * (ev.deltaMode === 1 ? 0.05 : 0.0015)), ev.clientX - r.left, ev.clientY - r.top);
  }, {passive: false});
  let drag = null;
  svg.addEventListener('pointerdown', (ev) => {
    if (ev.button !== 0) return;
    drag = {x: ev.clientX, y: ev.clientY, tx, ty, moved: false, id: ev.pointerId};
  });
  svg.addEventListener('pointermove', (ev) => {
    if (!drag) return;
    const dx = ev.clientX - drag.x;
    const dy = ev.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) > 4) {
      drag.moved = true;
      try {
        svg.setPointerCapture(drag.id);
      } catch {
        // the pointer may be gone already
      }
      svg.classList.add('dragging');
    }
    if (drag.moved) {
      userMoved = true;
      tx = drag.tx + dx;
      ty = drag.ty + dy;
      apply();
    }
  });
  const endDrag = (ev) => {
    if (!drag) return;
    const wasDrag = drag.moved;
    drag = null;
    svg.classList.remove('dragging');
    if (!wasDrag && ev.type === 'pointerup') {
      const g = ev.target.closest && ev.target.closest('[data-state]');
      if (g && options.onSelect) {
        const n = nodeEls.get(g.getAttribute('data-state'));
        if (n && n.node.type !== 'Start' && n.node.type !== 'End') options.onSelect(n.node.id, n.node);
      }
    }
  };
  svg.addEventListener('pointerup', endDrag);
  svg.addEventListener('pointercancel', endDrag);

  // ----------------------------------------------------------------- find
  const find = h('input', {type: 'search', class: 'graph-find', placeholder: 'Find state…', 'data-testid': 'graph-find',
                           'aria-label': 'Find a state by name'});
  let findHits = [];
  let findPos = 0;
  const runFind = (advance) => {
    const q = find.value.trim().toLowerCase();
    for (const {g} of nodeEls.values()) g.classList.remove('match');
    findHits = [];
    if (!q) return;
    for (const [nid, {node, g}] of nodeEls) {
      if (node.type === 'Start' || node.type === 'End') continue;
      if ((node.name || nid).toLowerCase().includes(q) || nid.toLowerCase().includes(q)) {
        g.classList.add('match');
        findHits.push(nid);
      }
    }
    if (findHits.length) {
      findPos = advance ? (findPos + 1) % findHits.length : 0;
      center(findHits[findPos]);
    }
  };
  find.addEventListener('input', () => runFind(false));
  find.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') {
      ev.preventDefault();
      if (ev.shiftKey || !findHits.length) runFind(false);
      else runFind(true);
      if (findHits.length && options.onSelect && ev.ctrlKey) options.onSelect(findHits[findPos]);
    }
  });

  const btn = (label, title, fn) => h('button', {type: 'button', class: 'small ghost', title, 'aria-label': title, onclick: fn}, label);
  const toolbar = h('div', {class: 'graph-toolbar'},
    find,
    btn('+', 'Zoom in', () => zoomAt(1.25, size().w / 2, size().h / 2)),
    btn('−', 'Zoom out', () => zoomAt(0.8, size().w / 2, size().h / 2)),
    btn('Fit', 'Fit the graph to the view', fit));
  const el = h('div', {class: 'graph', 'data-testid': options.testid || 'graph'}, toolbar, svg);

  // Fit once the element has a size; keep fitted while the user has not moved it.
  let lastSize = '';
  const ro = new ResizeObserver(() => {
    const key = `${svg.clientWidth}x${svg.clientHeight}`;
    if (svg.clientWidth > 0 && key !== lastSize && (!fitted || !userMoved)) fit();
    lastSize = key;
  });
  ro.observe(svg);
  requestAnimationFrame(() => {
    if (!fitted && svg.clientWidth > 0) fit();
  });

  // ---------------------------------------------------------- colouring
  const statusClasses = STATE_STATUSES.map((st) => `status-${st}`);
  let selected = null;
  // states: {TEMPLATE_PATH: {status, visits}}; transitions: [{from, to, count}]
  const setStates = (states, transitions, executionStatus) => {
    const anyRun = Object.keys(states || {}).length > 0;
    for (const [nid, {node, g}] of nodeEls) {
      let st = states && states[nid];
      let status = st ? st.status || 'NOT_RUN' : 'NOT_RUN';
      if (node.type === 'Start') status = anyRun ? 'SUCCEEDED' : 'NOT_RUN';
      if (node.type === 'End') status = executionStatus === 'SUCCEEDED' ? 'SUCCEEDED' : 'NOT_RUN';
      g.classList.remove(...statusClasses);
      g.classList.add(`status-${status}`);
      const visits = st ? st.visits || 0 : 0;
      g.setAttribute('data-visits', String(visits));
      const old = g.querySelector('.visit-badge');
      if (old) old.remove();
      if (visits > 1) {
        const label = visits > 999 ? `${Math.round(visits / 100) / 10}k` : String(visits);
        const w = 8 + label.length * 6.5;
        g.appendChild(s('g', {class: 'visit-badge', transform: `translate(${node.width - w / 2},${-6})`},
          s('title', {}, `${visits} visits`),
          s('rect', {x: -w / 2, y: -8, width: w, height: 16, rx: 8, ry: 8}),
          s('text', {x: 0, y: 0, 'text-anchor': 'middle', 'dominant-baseline': 'central'}, label)));
      }
    }
    clear(countLayer);
    for (const list of edgeEls.values()) {
      for (const item of list) {
        item.g.classList.remove('taken');
        item.path.setAttribute('marker-end', item.edge.kind === 'catch' ? markers.catch : markers.plain);
      }
    }
    for (const t of transitions || []) {
      const list = edgeEls.get(`${t.from}\u0000${t.to}`);
      if (!list) continue;
      for (const item of list) {
        item.g.classList.add('taken');
        item.path.setAttribute('marker-end', markers.taken);
      }
      const [mx, my] = midPoint(list[0].edge.points);
      const label = `×${t.count}`;
      const w = 8 + label.length * 6.5;
      countLayer.appendChild(s('g', {class: 'edge-count', transform: `translate(${mx},${my})`,
                                     'data-from': t.from, 'data-to': t.to, 'data-count': t.count},
        s('rect', {x: -w / 2, y: -8, width: w, height: 16, rx: 4, ry: 4}),
        s('text', {x: 0, y: 0, 'text-anchor': 'middle', 'dominant-baseline': 'central'}, label)));
    }
  };

  const select = (nid, {scroll = false} = {}) => {
    if (nid === selected) return;
    if (selected && nodeEls.get(selected)) nodeEls.get(selected).g.classList.remove('selected');
    selected = nid;
    const item = nid && nodeEls.get(nid);
    if (item) {
      item.g.classList.add('selected');
      if (scroll && fitted) {
        // Bring it into view only when it is outside.
        const {w, h: hh} = size();
        const x = item.node.x * scale + tx;
        const y = item.node.y * scale + ty;
        if (x < 0 || y < 0 || x > w - 20 || y > hh - 20) center(nid);
      }
    }
  };

  return {
    el,
    fit,
    setStates,
    select,
    nodeIds,
    node: (nid) => (nodeEls.get(nid) ? nodeEls.get(nid).node : null),
    focusFind: () => find.focus(),
    destroy: () => ro.disconnect(),
  };
}

// Per-state statuses of one Map iteration (or any event list), derived from its history
// events the way the server derives /states: a state entered is RUNNING until it exits
// (SUCCEEDED, or CAUGHT when it failed first: a Catch took it), fails (FAILED), or another
// state of the same scope is entered after a failure (CAUGHT). A retry that succeeds clears the
// failure. `toTpl` turns an actual path into a node id.
export function statesFromEvents(events, toTpl, stillRunning) {
  const visits = [];
  const latest = new Map();
  const scopeOpen = new Map();
  const left = new Map();
  const transitions = new Map();
  const scopeOf = (p) => {
    const i = p.lastIndexOf(']/');
    return i < 0 ? '' : p.slice(0, i + 2);
  };
  const isFailure = (t) => t.endsWith('Failed') || t.endsWith('TimedOut') || t === 'FailStateEntered';
  const isSuccess = (t) => t === 'TaskSucceeded' || t === 'ActivitySucceeded' || t === 'MapStateSucceeded' ||
      t === 'ParallelStateSucceeded';
  const addTransition = (from, to) => {
    const key = `${from}\u0000${to}`;
    transitions.set(key, (transitions.get(key) || 0) + 1);
  };
  for (const e of events) {
    const path = e.statePath || '';
    const type = e.type || '';
    if (!path) continue;
    const cur = latest.has(path) ? visits[latest.get(path)] : null;
    if (type.endsWith('StateEntered')) {
      const scope = scopeOf(path);
      const tpl = toTpl(path);
      const open = scopeOpen.get(scope);
      if (open && open !== path) {
        const before = latest.has(open) ? visits[latest.get(open)] : null;
        if (before && before.open) {
          before.open = false;
          before.status = before.failed ? 'CAUGHT' : 'SUCCEEDED';
          left.set(scope, before.tpl);
        }
      }
      if (left.has(scope)) addTransition(left.get(scope), tpl);
      const v = {path, tpl, open: true, failed: false, status: 'RUNNING', error: '', cause: '', first: e.id, last: e.id};
      if (type === 'FailStateEntered') {
        v.open = false;
        v.failed = true;
        v.status = 'FAILED';
      }
      latest.set(path, visits.length);
      visits.push(v);
      scopeOpen.set(scope, path);
      continue;
    }
    if (cur) cur.last = e.id;
    if (type.endsWith('StateExited')) {
      if (cur) {
        cur.open = false;
        cur.status = cur.failed ? 'CAUGHT' : 'SUCCEEDED';
      }
      const scope = scopeOf(path);
      left.set(scope, toTpl(path));
      scopeOpen.delete(scope);
      continue;
    }
    if (isSuccess(type) && cur) {
      cur.failed = false;
      cur.error = '';
      cur.cause = '';
      continue;
    }
    if (isFailure(type) && cur && !type.startsWith('MapIteration')) {
      cur.failed = true;
      const d = e.details || {};
      if (typeof d.error === 'string') cur.error = d.error;
      if (typeof d.cause === 'string') cur.cause = d.cause;
    }
  }
  for (const v of visits) {
    if (v.open) v.status = stillRunning ? 'RUNNING' : v.failed ? 'FAILED' : 'ABORTED';
  }
  const rank = {FAILED: 5, RUNNING: 4, CAUGHT: 3, ABORTED: 2, SUCCEEDED: 1};
  const states = {};
  for (const v of visits) {
    const st = states[v.tpl] || (states[v.tpl] = {status: '', visits: 0, error: '', cause: '', firstEventId: v.first, lastEventId: v.last, paths: []});
    st.visits++;
    st.lastEventId = Math.max(st.lastEventId, v.last);
    if (v.error) {
      st.error = v.error;
      st.cause = v.cause;
    }
    if (!st.paths.includes(v.path)) st.paths.push(v.path);
  }
  for (const idx of latest.values()) {
    const v = visits[idx];
    const st = states[v.tpl];
    if ((rank[v.status] || 0) > (rank[st.status] || 0)) st.status = v.status;
  }
  const list = [];
  for (const [key, count] of transitions) {
    const [from, to] = key.split('\u0000');
    list.push({from, to, count});
  }
  return {states, transitions: list};
}
