// A state machine: its graph, definition (YAML or JSON), versions with a diff of two, its
// executions (filters, paging) and the "Start execution" dialog.

import {h, replace, enc, fmtNum, fmtTime, fmtDuration, statusBadge, param, intParam, debounce,
        EXECUTION_STATUSES, copyText, timeEl, urlOf} from '/assets/util.js';
import {api, sfn, layout, machineVersion, executionIdOf} from '/assets/api.js';
import {setQuery, navigate} from '/assets/router.js';
import {createGraph} from '/assets/graph.js';
import {jsonView, textView} from '/assets/json.js';
import {lineDiff, diffView} from '/assets/diff.js';
import {dialog, jsonEditor, field} from '/assets/dialog.js';
import {countsView} from '/assets/pages_machines.js';

const TABS = [['graph', 'Graph'], ['definition', 'Definition'], ['versions', 'Versions'], ['executions', 'Executions']];

// The definition of the state at a template path (`Fanout[*]/Charge`, `Both[1]/Right`).
export function stateDefinition(definition, templatePath) {
  if (!definition || !templatePath) return null;
  const parts = templatePath.split('/');
  let states = definition.States;
  let st = null;
  for (let i = 0; i < parts.length; i++) {
    const m = /^(.*)\[(\*|\d+)\]$/.exec(parts[i]);
    const name = m && i < parts.length - 1 ? m[1] : parts[i];
    st = states ? states[name] : null;
    if (!st) return null;
    if (i < parts.length - 1) {
      if (m && m[2] === '*') {
        const proc = st.ItemProcessor || st.Iterator;
        states = proc ? proc.States : null;
      } else if (m) {
        const branch = (st.Branches || [])[Number(m[2])];
        states = branch ? branch.States : null;
      } else {
        return null;
      }
    }
  }
  return st;
}

// Opens the "Start execution" dialog for machine `info` ({name, arn}); on success, goes to
// the new execution.
export function startDialog(info, initialInput = '{\n  \n}') {
  const editor = jsonEditor(initialInput);
  const name = h('input', {type: 'text', 'data-testid': 'name-input', placeholder: 'generated when empty',
                           maxlength: 80, autocomplete: 'off', spellcheck: 'false'});
  const d = dialog({
    title: `Start an execution of ${info.name}`,
    body: [field('Input (JSON)', editor.el), field('Name (optional)', name, 'Letters, digits, - and _; unique per machine.')],
    confirmLabel: 'Start',
    valid: () => editor.valid(),
    action: async () => {
      const body = {stateMachineArn: info.arn, input: JSON.stringify(editor.value())};
      if (name.value.trim()) body.name = name.value.trim();
      const r = await sfn('StartExecution', body);
      const id = await executionIdOf(info.name, r.executionArn || '');
      return id;
    },
    onDone: (id) => {
      if (id) navigate(`/executions/${enc(id)}`);
      else navigate(urlOf(`/machines/${enc(info.name)}`, {tab: 'executions'}));
    },
  });
  editor.textarea.addEventListener('input', d.refresh);
  editor.textarea.focus();
  editor.textarea.setSelectionRange(4, 4);
  return d;
}

export function mount(root, machineName) {
  document.title = `${machineName} — stepflow`;
  const controller = new AbortController();
  const signal = controller.signal;
  let info = null;
  let contentKey = null;
  let graph = null;
  let execTimer = null;

  const versionSelect = h('select', {'data-testid': 'version-select', 'aria-label': 'Version'});
  const startButton = h('button', {type: 'button', class: 'primary', 'data-testid': 'start-button', disabled: true,
                                   onclick: () => info && startDialog(info)}, 'Start execution');
  const countsEl = h('span');
  const arnEl = h('span', {class: 'muted arn'});
  const tabs = h('div', {class: 'tabs', role: 'tablist'});
  const content = h('div', {class: 'tab-content'});
  root.append(
    h('div', {class: 'page-head'},
      h('div', {class: 'crumbs'}, h('a', {href: '/'}, 'State machines'), ' / '),
      h('h1', {}, machineName),
      h('div', {class: 'head-actions'}, h('label', {class: 'inline'}, 'Version ', versionSelect), startButton)),
    h('div', {class: 'subhead'}, arnEl, countsEl),
    tabs, content);

  versionSelect.addEventListener('change', () => setQuery({version: versionSelect.value, diff: null, state: null}));

  const latest = () => (info && info.versions.length ? info.versions[info.versions.length - 1].version : 1);
  const version = () => param('version') || String(latest());
  const tab = () => param('tab', 'graph');

  const renderTabs = () => {
    replace(tabs, TABS.map(([id, label]) => h('button', {type: 'button', role: 'tab', class: 'tab', 'data-testid': `tab-${id}`,
      'aria-selected': tab() === id ? 'true' : 'false', onclick: () => setQuery({tab: id === 'graph' ? null : id})}, label)));
  };

  // ------------------------------------------------------------------- graph
  const graphTab = () => {
    const wrap = h('div', {class: 'split'});
    const holder = h('div', {class: 'graph-holder'}, h('div', {class: 'loading'}, 'Laying out the graph…'));
    const side = h('aside', {class: 'side-panel', 'data-testid': 'state-panel', hidden: true});
    wrap.append(holder, side);
    replace(content, wrap);
    const v = version();
    layout(machineName, v).then((l) => {
      if (signal.aborted || contentKey !== `graph:${v}`) return;
      graph = createGraph(l, {onSelect: (id) => setQuery({state: id})});
      replace(holder, graph.el);
      graph.setStates({}, [], null);
      selectState();
    }).catch((e) => {
      replace(holder, h('div', {class: 'error-box'}, e.status === 503
        ? 'The graph needs Graphviz (the `dot` program) on the server. The definition tab shows the states.'
        : `Could not lay out the graph: ${e.message}`));
    });
    const selectState = async () => {
      const st = param('state');
      if (graph) graph.select(st, {scroll: true});
      if (!st) {
        side.hidden = true;
        return;
      }
      side.hidden = false;
      const data = await machineVersion(machineName, v).catch(() => null);
      const def = data ? stateDefinition(data.definition, st) : null;
      const node = graph ? graph.node(st) : null;
      replace(side,
        h('div', {class: 'panel-head'}, h('h2', {}, node ? node.name : st),
          h('button', {type: 'button', class: 'small ghost', 'aria-label': 'Close', onclick: () => setQuery({state: null})}, '×')),
        h('div', {class: 'muted'}, node ? node.type : '', ' · ', h('code', {}, st)),
        def ? jsonView(def) : h('p', {class: 'muted'}, 'No definition found for this state.'));
    };
    return {update: selectState};
  };

  // -------------------------------------------------------------- definition
  const definitionTab = () => {
    const v = version();
    const holder = h('div', {class: 'card'}, h('div', {class: 'loading'}, 'Loading…'));
    replace(content, holder);
    machineVersion(machineName, v).then((data) => {
      if (signal.aborted) return;
      const fmt = param('fmt') || data.format || 'json';
      const text = fmt === 'yaml' ? data.yaml : data.json;
      replace(holder,
        h('div', {class: 'toolbar'},
          h('div', {class: 'segmented', role: 'group', 'aria-label': 'Format'},
            h('button', {type: 'button', 'data-testid': 'fmt-yaml', 'aria-pressed': fmt === 'yaml' ? 'true' : 'false',
                         onclick: () => setQuery({fmt: 'yaml'}, {replace: true})}, 'YAML'),
            h('button', {type: 'button', 'data-testid': 'fmt-json', 'aria-pressed': fmt === 'json' ? 'true' : 'false',
                         onclick: () => setQuery({fmt: 'json'}, {replace: true})}, 'JSON')),
          h('span', {class: 'muted'}, `version ${data.version} · created ${fmtTime(data.createdMs)} · sha256 ${String(data.sha256 || '').slice(0, 12)}`),
          h('button', {type: 'button', class: 'small ghost', onclick: () => copyText(text)}, 'Copy')),
        textView(text || '', {preAttrs: {'data-testid': 'definition-text'}, limit: 200000}));
    }).catch((e) => replace(holder, h('div', {class: 'error-box'}, `Could not load the definition: ${e.message}`)));
    return {};
  };

  // ---------------------------------------------------------------- versions
  const versionsTab = () => {
    const list = info.versions.slice().reverse();
    const diffParam = param('diff');
    let a = null;
    let b = null;
    if (diffParam && /^\d+\.\.\d+$/.test(diffParam)) [a, b] = diffParam.split('..');
    else if (info.versions.length >= 2) {
      a = String(info.versions[info.versions.length - 2].version);
      b = String(latest());
    }
    const sel = (value, label) => {
      const s = h('select', {'aria-label': label, 'data-testid': `diff-${label === 'from' ? 'a' : 'b'}`},
        info.versions.map((v) => h('option', {value: String(v.version), selected: String(v.version) === value}, `version ${v.version}`)));
      s.addEventListener('change', () => {
        const sa = content.querySelector('[data-testid=diff-a]').value;
        const sb = content.querySelector('[data-testid=diff-b]').value;
        setQuery({diff: `${sa}..${sb}`});
      });
      return s;
    };
    const diffHolder = h('div', {class: 'diff-holder'});
    const table = h('table', {class: 'table'},
      h('thead', {}, h('tr', {}, h('th', {}, 'Version'), h('th', {}, 'Created'), h('th', {}, 'SHA-256'), h('th', {}, ''))),
      h('tbody', {}, list.map((v) => h('tr', {'data-testid': 'version-row', 'data-version': v.version, 'data-kbd-row': ''},
        h('td', {}, h('a', {href: urlOf(`/machines/${enc(machineName)}`, {version: v.version})}, `version ${v.version}`)),
        h('td', {}, timeEl(v.createdMs)),
        h('td', {}, h('code', {}, String(v.sha256 || '').slice(0, 16))),
        h('td', {}, h('a', {href: urlOf(`/machines/${enc(machineName)}`, {version: v.version, tab: 'definition'})}, 'definition'))))));
    replace(content, h('div', {class: 'card'}, table),
      info.versions.length >= 2
        ? h('div', {class: 'card'}, h('div', {class: 'toolbar'}, h('strong', {}, 'Compare '), sel(a, 'from'), ' → ', sel(b, 'to')), diffHolder)
        : h('p', {class: 'muted'}, 'One version so far: updating the machine adds a version to compare.'));
    if (a && b) {
      diffHolder.appendChild(h('div', {class: 'loading'}, 'Comparing…'));
      Promise.all([machineVersion(machineName, a), machineVersion(machineName, b)]).then(([va, vb]) => {
        if (signal.aborted) return;
        const fmt = param('fmt') === 'yaml' ? 'yaml' : 'json';
        replace(diffHolder, diffView(lineDiff(va[fmt] || '', vb[fmt] || '')));
      }).catch((e) => replace(diffHolder, h('div', {class: 'error-box'}, `Could not compare: ${e.message}`)));
    }
    return {};
  };

  // -------------------------------------------------------------- executions
  const toLocalInput = (ms) => {
    if (!ms) return '';
    const d = new Date(Number(ms));
    const pad = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  };
  const executionsTab = () => {
    const status = h('select', {'data-testid': 'status-filter', 'aria-label': 'Status'},
      h('option', {value: ''}, 'any status'),
      EXECUTION_STATUSES.map((st) => h('option', {value: st, selected: param('status') === st}, st)));
    const name = h('input', {type: 'search', placeholder: 'Name contains…', 'data-filter': '', 'data-testid': 'name-filter',
                             value: param('name') || ''});
    const from = h('input', {type: 'datetime-local', 'data-testid': 'from-filter', 'aria-label': 'Started after', value: toLocalInput(param('from'))});
    const to = h('input', {type: 'datetime-local', 'data-testid': 'to-filter', 'aria-label': 'Started before', value: toLocalInput(param('to'))});
    const order = h('select', {'aria-label': 'Order', 'data-testid': 'order-select'},
      h('option', {value: 'newest', selected: param('order') !== 'oldest'}, 'newest first'),
      h('option', {value: 'oldest', selected: param('order') === 'oldest'}, 'oldest first'));
    const apply = () => setQuery({
      status: status.value, name: name.value.trim(),
      from: from.value ? new Date(from.value).getTime() : null,
      to: to.value ? new Date(to.value).getTime() : null,
      order: order.value === 'oldest' ? 'oldest' : null, after: null,
    }, {replace: true});
    status.addEventListener('change', apply);
    order.addEventListener('change', apply);
    from.addEventListener('change', apply);
    to.addEventListener('change', apply);
    name.addEventListener('input', debounce(apply, 300));
    const tableHolder = h('div', {}, h('div', {class: 'loading'}, 'Loading…'));
    const pager = h('div', {class: 'pager'});
    replace(content, h('div', {class: 'card'},
      h('div', {class: 'toolbar filters'}, status, name, h('label', {class: 'inline'}, 'from ', from),
        h('label', {class: 'inline'}, 'to ', to), order),
      tableHolder, pager));
    const load = async () => {
      const params = new URLSearchParams({machine: machineName, limit: '50'});
      for (const [k, q] of [['status', 'status'], ['name', 'name'], ['fromMs', 'from'], ['toMs', 'to'], ['after', 'after'], ['order', 'order']]) {
        if (param(q)) params.set(k, param(q));
      }
      try {
        const r = await api(`executions?${params}`, {signal});
        const rows = (r.executions || []).map((e) => h('tr', {'data-testid': 'execution-row', 'data-id': e.id, 'data-status': e.status,
                                                             'data-name': e.name, 'data-kbd-row': ''},
          h('td', {}, h('a', {href: `/executions/${enc(e.id)}`, class: 'strong'}, e.name)),
          h('td', {}, statusBadge(e.status)),
          h('td', {class: 'num'}, String(e.version ?? '')),
          h('td', {}, timeEl(e.startMs)),
          h('td', {}, e.stopMs ? timeEl(e.stopMs) : h('span', {class: 'muted'}, '—')),
          h('td', {class: 'num'}, fmtDuration((e.stopMs || Date.now()) - e.startMs)),
          h('td', {class: 'num'}, e.redriveCount ? fmtNum(e.redriveCount) : '')));
        replace(tableHolder, h('table', {class: 'table', 'data-testid': 'executions-table'},
          h('thead', {}, h('tr', {}, ['Name', 'Status', 'Version', 'Started', 'Stopped', 'Duration', 'Redrives'].map((t) => h('th', {}, t)))),
          h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', {colspan: 7, class: 'muted'}, 'No executions match.')))));
        replace(pager,
          param('after') ? h('button', {type: 'button', class: 'small', 'data-testid': 'first-page', onclick: () => setQuery({after: null})}, '« First page') : null,
          r.next ? h('button', {type: 'button', class: 'small', 'data-testid': 'next-page', onclick: () => setQuery({after: r.next})}, 'Next page »') : null);
      } catch (e) {
        if (e.name !== 'AbortError') replace(tableHolder, h('div', {class: 'error-box'}, `Could not load the executions: ${e.message}`));
      }
    };
    load();
    clearInterval(execTimer);
    execTimer = setInterval(() => {
      if (document.visibilityState === 'visible' && !param('after') && tab() === 'executions' &&
          !content.contains(document.activeElement)) load();
    }, 5000);
    return {};
  };

  let tabInstance = {};
  const render = () => {
    if (!info) return;
    renderTabs();
    replace(versionSelect, info.versions.slice().reverse().map((v) =>
      h('option', {value: String(v.version), selected: String(v.version) === version()},
        `${v.version}${v.version === latest() ? ' (latest)' : ''}`)));
    const t = tab();
    let key;
    if (t === 'definition') key = `definition:${version()}:${param('fmt')}`;
    else if (t === 'versions') key = `versions:${param('diff')}:${param('fmt')}`;
    else if (t === 'executions') key = `executions:${['status', 'name', 'from', 'to', 'after', 'order'].map((k) => param(k)).join('|')}`;
    else key = `graph:${version()}`;
    if (key === contentKey) {
      if (tabInstance.update) tabInstance.update();
      return;
    }
    contentKey = key;
    if (graph) graph.destroy();
    graph = null;
    if (t !== 'executions') clearInterval(execTimer);
    tabInstance = t === 'definition' ? definitionTab() : t === 'versions' ? versionsTab()
      : t === 'executions' ? executionsTab() : graphTab();
  };

  api(`machines/${enc(machineName)}`, {signal}).then((r) => {
    info = r;
    replace(arnEl, r.arn, ' ', h('button', {type: 'button', class: 'small ghost', onclick: () => copyText(r.arn)}, 'copy'));
    replace(countsEl, countsView(r.counts));
    startButton.disabled = false;
    render();
  }).catch((e) => {
    if (e.name === 'AbortError') return;
    replace(content, h('div', {class: 'error-box', role: 'alert'}, e.status === 404 ? `No state machine named ${machineName}.` : `Could not load the machine: ${e.message}`));
  });

  return {
    update: render,
    refreshTimes: () => {
      contentKey = null;
      render();
    },
    escape: () => {
      if (param('state')) setQuery({state: null});
    },
    destroy: () => {
      controller.abort();
      clearInterval(execTimer);
      if (graph) graph.destroy();
    },
  };
}
