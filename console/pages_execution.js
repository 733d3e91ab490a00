// An execution: its header (status, times, actions), error banner, graph coloured by
// /states, the virtualised history, the state panel, the Map iteration explorer and the live
// stream while it runs.

import {h, replace, enc, fmtNum, fmtDuration, statusBadge, param, intParam, throttle, debounce,
        timeEl, copyText, urlOf} from '/assets/util.js';
import {api, sfn, layout} from '/assets/api.js';
import {setQuery} from '/assets/router.js';
import {createGraph, toTemplate, templatePrefixes} from '/assets/graph.js';
import {createHistory} from '/assets/history.js';
import {renderStatePanel, errorBlock} from '/assets/statepanel.js';
import {createIterationExplorer} from '/assets/iterations.js';
import {jsonView} from '/assets/json.js';
import {dialog, field} from '/assets/dialog.js';
import {startDialog} from '/assets/pages_machine.js';

const REDRIVABLE = new Set(['FAILED', 'ABORTED', 'TIMED_OUT']);

export function mount(root, executionId) {
  document.title = `Execution ${executionId} — stepflow`;
  const controller = new AbortController();
  const signal = controller.signal;
  const base = `executions/${enc(executionId)}`;
  let exec = null;
  let states = null;
  let layoutData = null;
  let layoutP = null;
  let layoutSettle = null;
  // The layout, once the execution named its machine and version (the iteration explorer waits on it).
  const layoutReady = new Promise((resolve, reject) => {
    layoutSettle = {resolve, reject};
  });
  layoutReady.catch(() => {});
  let prefixes = new Set();
  let graph = null;
  let es = null;
  let lastSeen = 0;
  let retryTimer = null;
  let tickTimer = null;
  let destroyed = false;
  let explorer = null;
  let panelKey = null;
  const flowCache = new Map();
  const eventCache = new Map();

  // ------------------------------------------------------------------ layout
  const titleEl = h('h1', {class: 'exec-title'}, executionId);
  const statusEl = h('span', {class: 'exec-status'});
  const liveEl = h('span', {class: 'live', 'data-testid': 'live-indicator', 'aria-live': 'polite'});
  const actionsEl = h('div', {class: 'head-actions'});
  const crumbs = h('div', {class: 'crumbs'}, h('a', {href: '/'}, 'State machines'), ' / ');
  const metaEl = h('dl', {class: 'meta'});
  const bannerEl = h('div', {class: 'error-banner', role: 'alert', hidden: true, 'data-testid': 'error-banner'});
  const graphHolder = h('div', {class: 'graph-holder exec-graph'}, h('div', {class: 'loading'}, 'Loading…'));
  const tabsEl = h('div', {class: 'tabs', role: 'tablist'});
  const historyPane = h('div', {class: 'pane'});
  const ioPane = h('div', {class: 'pane'});
  const iterPane = h('div', {class: 'pane'});
  const panel = h('aside', {class: 'side-panel state-panel', 'data-testid': 'state-panel', hidden: true});
  const filterInput = h('input', {type: 'search', 'data-testid': 'history-filter', 'data-filter': '', class: 'history-filter',
                                  placeholder: 'Filter: text, type:Failed, state:Fanout[3]/', 'aria-label': 'Filter the history',
                                  value: param('filter') || ''});
  const jumpButton = h('button', {type: 'button', class: 'small', 'data-testid': 'jump-failure', disabled: true,
                                  title: 'Select the first failure event'}, 'Jump to first failure');
  root.append(
    h('div', {class: 'page-head'}, h('div', {class: 'head-left'}, crumbs, h('div', {class: 'title-row'}, titleEl, statusEl, liveEl)), actionsEl),
    metaEl, bannerEl,
    h('div', {class: 'exec-layout'},
      h('div', {class: 'exec-main'}, graphHolder, tabsEl, historyPane, ioPane, iterPane),
      panel));

  const history = createHistory({
    executionId,
    startMs: () => (exec ? exec.startMs : null),
    onSelect: (ev) => setQuery({event: ev.id, state: ev.statePath || null, visit: null}),
  });
  historyPane.append(h('div', {class: 'toolbar history-toolbar'}, filterInput, jumpButton, history.followToggle, history.countEl), history.el);
  filterInput.addEventListener('input', debounce(() => setQuery({filter: filterInput.value.trim()}, {replace: true}), 250));
  jumpButton.addEventListener('click', async () => {
    const id = states && states.firstFailureEventId;
    if (!id) return;
    let ev = null;
    try {
      ev = await eventById(id);
    } catch {
      ev = null;
    }
    filterInput.value = '';
    setQuery({event: id, state: ev && ev.statePath ? ev.statePath : null, visit: null, filter: null, tab: null});
  });

  // ------------------------------------------------------------------ helpers
  const running = () => exec && exec.status === 'RUNNING';
  const templateOf = (path) => {
    if (!path) return path;
    if (prefixes.size) return toTemplate(path, prefixes);
    if (states && states.states && !(path in states.states)) {
      const starred = path.replace(/\[\d+\]\//g, '[*]/');
      if (starred in states.states) return starred;
    }
    return path;
  };
  const eventById = (id) => {
    if (!eventCache.has(id)) {
      const p = api(`${base}/history?after=${id - 1}&limit=1`).then((r) => {
        const ev = (r.events || [])[0];
        return ev && ev.id === id ? ev : null;
      });
      p.catch(() => eventCache.delete(id));
      eventCache.set(id, p);
    }
    return eventCache.get(id);
  };

  // ------------------------------------------------------------------ header
  const durationEl = h('span');
  const renderHeader = () => {
    if (!exec) return;
    document.title = `${exec.name} (${exec.status}) — stepflow`;
    titleEl.textContent = exec.name;
    replace(statusEl, statusBadge(exec.status, {'data-testid': 'execution-status'}));
    replace(crumbs, h('a', {href: '/'}, 'State machines'), ' / ',
      h('a', {href: `/machines/${enc(exec.machine)}`, 'data-testid': 'machine-link'}, exec.machine), ' / ',
      h('a', {href: urlOf(`/machines/${enc(exec.machine)}`, {tab: 'executions'})}, 'executions'), ' /');
    durationEl.textContent = fmtDuration((exec.stopMs || Date.now()) - exec.startMs);
    const item = (label, ...value) => [h('dt', {}, label), h('dd', {}, ...value)];
    replace(metaEl,
      item('Machine', h('a', {href: `/machines/${enc(exec.machine)}`}, exec.machine)),
      item('Version', h('a', {href: urlOf(`/machines/${enc(exec.machine)}`, {version: exec.version})}, String(exec.version ?? '—'))),
      item('Started', timeEl(exec.startMs)),
      item('Stopped', exec.stopMs ? timeEl(exec.stopMs) : h('span', {class: 'muted'}, 'running')),
      item('Duration', durationEl),
      item('Redrives', h('span', {'data-testid': 'redrive-count'}, fmtNum(exec.redriveCount || 0)),
        exec.redriveMs ? h('span', {class: 'muted'}, ' last ', timeEl(exec.redriveMs)) : null),
      exec.parentId ? item('Parent', h('a', {href: `/executions/${enc(exec.parentId)}`}, exec.parentId)) : null,
      item('ARN', h('button', {type: 'button', class: 'small ghost', title: exec.arn || '', onclick: () => copyText(exec.arn)}, 'copy ARN')));
    if (exec.error || exec.cause) {
      replace(bannerEl, h('div', {class: 'banner-title'}, `Execution ${exec.status.toLowerCase().replace('_', ' ')}`), errorBlock(exec.error, exec.cause));
      bannerEl.hidden = false;
    } else {
      bannerEl.hidden = true;
      replace(bannerEl);
    }
    const buttons = [];
    if (exec.status === 'RUNNING') {
      buttons.push(h('button', {type: 'button', class: 'danger', 'data-testid': 'stop-button', onclick: stopDialog}, 'Stop'));
    }
    if (REDRIVABLE.has(exec.status)) {
      buttons.push(h('button', {type: 'button', 'data-testid': 'redrive-button', onclick: redriveDialog,
                                title: exec.redriveStatus === 'NOT_REDRIVABLE' ? 'This execution cannot be redriven' : 'Run again from the failed states'}, 'Redrive'));
    }
    if (exec.machineArn) {
      buttons.push(h('button', {type: 'button', class: 'ghost', 'data-testid': 'start-again',
                                onclick: () => startDialog({name: exec.machine, arn: exec.machineArn}, JSON.stringify(exec.input ?? {}, null, 2))},
                     'New execution with this input'));
    }
    replace(actionsEl, ...buttons);
    clearInterval(tickTimer);
    if (exec.status === 'RUNNING') {
      tickTimer = setInterval(() => {
        if (exec) durationEl.textContent = fmtDuration((exec.stopMs || Date.now()) - exec.startMs);
      }, 1000);
    }
    if (currentTab() === 'io') renderIo();
  };

  const renderIo = () => {
    if (!exec) return;
    replace(ioPane,
      h('div', {class: 'io-grid'},
        h('section', {class: 'card', 'data-testid': 'execution-input'}, h('h3', {}, 'Input'), jsonView(exec.input ?? null)),
        h('section', {class: 'card', 'data-testid': 'execution-output'}, h('h3', {}, 'Output'),
          exec.output !== undefined && exec.output !== null ? jsonView(exec.output)
            : h('p', {class: 'muted'}, exec.status === 'RUNNING' ? 'Not yet: the execution runs.' : 'No output.'))));
  };

  // ------------------------------------------------------------------ actions
  const afterAction = async () => {
    await loadExecution();
    history.reload();
    loadStates();
    if (running()) startLive();
  };

  function stopDialog() {
    const error = h('input', {type: 'text', 'data-testid': 'stop-error', placeholder: 'optional', maxlength: 256});
    const cause = h('textarea', {'data-testid': 'stop-cause', rows: 3, placeholder: 'optional', maxlength: 32768});
    dialog({
      title: `Stop ${exec.name}?`,
      body: [h('p', {}, 'The execution ends as ABORTED; work in flight is abandoned.'), field('Error', error), field('Cause', cause)],
      confirmLabel: 'Stop execution',
      danger: true,
      action: () => {
        const body = {executionArn: exec.arn};
        if (error.value.trim()) body.error = error.value.trim();
        if (cause.value.trim()) body.cause = cause.value;
        return sfn('StopExecution', body);
      },
      onDone: afterAction,
    });
  }

  function redriveDialog() {
    dialog({
      title: `Redrive ${exec.name}?`,
      body: [h('p', {}, 'The execution restarts from the states that did not succeed, with the same definition and input; states that succeeded are not run again.'),
        exec.redriveStatus === 'NOT_REDRIVABLE' ? h('p', {class: 'muted'}, 'The server reports this execution as not redrivable.') : null],
      confirmLabel: 'Redrive',
      action: () => sfn('RedriveExecution', {executionArn: exec.arn}),
      onDone: afterAction,
    });
  }

  // ------------------------------------------------------------------ states
  const applyStates = () => {
    if (!states) return;
    if (graph) graph.setStates(states.states || {}, states.transitions || [], exec ? exec.status : states.status);
    jumpButton.disabled = !states.firstFailureEventId;
    jumpButton.setAttribute('data-event-id', states.firstFailureEventId || '');
    applySelection();
  };
  const loadStates = async () => {
    try {
      const r = await api(`${base}/states`, {signal});
      states = r;
      applyStates();
    } catch (e) {
      if (e.name !== 'AbortError') replace(graphHolder.querySelector('.graph-note') || h('span'), `Could not colour the graph: ${e.message}`);
    }
  };
  const refreshStates = throttle(loadStates, 300);
  const refreshIterations = throttle(() => explorer && explorer.refresh(), 1000);

  // ------------------------------------------------------------------ live
  const setLive = (mode, message = '') => {
    liveEl.className = `live live-${mode}`;
    liveEl.setAttribute('data-mode', mode);
    liveEl.textContent = mode === 'live' ? '● live' : mode === 'connecting' ? 'connecting…' : mode === 'reconnecting' ? 'reconnecting…'
      : mode === 'disconnected' ? 'disconnected, retrying' : mode === 'stopped' ? `live follow stopped: ${message}` : '';
  };
  const stopLive = () => {
    if (es) {
      es.close();
      es = null;
    }
    clearTimeout(retryTimer);
  };
  function startLive() {
    stopLive();
    if (destroyed) return;
    setLive('connecting');
    const source = new EventSource(`/api/${base}/events?after=${lastSeen}`);
    es = source;
    source.onopen = () => setLive('live');
    source.addEventListener('history', (m) => {
      let ev;
      try {
        ev = JSON.parse(m.data);
      } catch {
        return;
      }
      if (ev.id > lastSeen) lastSeen = ev.id;
      eventCache.set(ev.id, Promise.resolve(ev));
      history.addLive(ev);
      setLive('live');
      refreshStates();
      if (explorer && param('map')) refreshIterations();
    });
    source.addEventListener('execution', (m) => {
      try {
        const summary = JSON.parse(m.data);
        const changed = !exec || summary.status !== exec.status;
        exec = {...exec, ...summary};
        if (changed) renderHeader();
        else durationEl.textContent = fmtDuration((exec.stopMs || Date.now()) - exec.startMs);
      } catch {
        // a malformed summary changes nothing
      }
    });
    source.addEventListener('end', () => {
      stopLive();
      setLive('ended');
      loadExecution();
      loadStates();
      if (explorer && param('map')) explorer.refresh();
    });
    // The execution can no longer be read (deleted): the server closes the stream for good.
    source.addEventListener('unavailable', (m) => {
      let message = 'the execution can no longer be read';
      try {
        const d = JSON.parse(m.data);
        if (d && typeof d.message === 'string' && d.message) message = d.message;
      } catch {
        // keep the generic message
      }
      stopLive();
      setLive('stopped', message);
    });
    source.onerror = () => {
      if (es !== source) return;
      if (source.readyState === EventSource.CLOSED) {
        setLive('disconnected');
        es = null;
        retryTimer = setTimeout(async () => {
          // The stream resumes after the last event it delivered, not after the execution's
          // newest: the history and the states are fetched again for what the gap missed.
          const resumeAfter = lastSeen;
          await loadExecution();
          if (destroyed) return;
          lastSeen = resumeAfter;
          history.reload();
          loadStates();
          if (explorer && param('map')) explorer.refresh();
          if (running()) startLive();
          else setLive('ended');
        }, 3000);
      } else {
        setLive('reconnecting');
      }
    };
  }

  // --------------------------------------------------------------- execution
  async function loadExecution() {
    try {
      const r = await api(base, {signal});
      exec = r;
      if (r.lastEventId && r.lastEventId > lastSeen) lastSeen = r.lastEventId;
      renderHeader();
      return r;
    } catch (e) {
      if (e.name === 'AbortError') return null;
      if (!exec) {
        replace(root, h('div', {class: 'error-box', role: 'alert'},
          e.status === 404 ? `No execution with id ${executionId}.` : `Could not load the execution: ${e.message}`,
          ' ', h('a', {href: '/'}, 'State machines')));
      }
      return null;
    }
  }

  // --------------------------------------------------------------- selection
  const currentTab = () => param('tab') || (param('map') ? 'iterations' : 'history');
  const renderTabs = () => {
    const tabs = [['history', 'History'], ['io', 'Input & output']];
    if (param('map')) tabs.push(['iterations', `Iterations of ${param('map')}`]);
    const t = currentTab();
    replace(tabsEl, tabs.map(([id, label]) => h('button', {type: 'button', role: 'tab', class: 'tab', 'data-testid': `tab-${id}`,
      'aria-selected': t === id ? 'true' : 'false',
      onclick: () => setQuery({tab: id === (param('map') ? 'iterations' : 'history') ? null : id})}, label)));
    historyPane.hidden = t !== 'history';
    ioPane.hidden = t !== 'io';
    iterPane.hidden = t !== 'iterations';
    if (t === 'history') history.render();
    if (t === 'io') renderIo();
  };

  const dataflowOf = (path, info) => {
    const key = `${path}\u0000${info ? info.lastEventId : ''}\u0000${running() ? states && states.eventCount : 'done'}`;
    if (!flowCache.has(key)) {
      const p = api(`${base}/dataflow?state=${enc(path)}`);
      p.catch(() => flowCache.delete(key));
      flowCache.set(key, p);
    }
    return flowCache.get(key);
  };

  function applySelection() {
    const path = param('state');
    const eventId = intParam('event');
    const visit = intParam('visit');
    history.select(eventId, {scroll: true});
    const tpl = templateOf(path);
    if (graph) graph.select(tpl && graph.nodeIds.has(tpl) ? tpl : null, {scroll: true});
    if (!path && !eventId) {
      panel.hidden = true;
      panelKey = null;
      return;
    }
    const info = states && states.states ? states.states[tpl] || null : null;
    const key = JSON.stringify([path, eventId, visit, info && [info.status, info.visits, info.lastEventId], !!layoutData]);
    if (key === panelKey) return;
    panelKey = key;
    panel.hidden = false;
    const node = graph && tpl ? graph.node(tpl) : layoutData ? (layoutData.nodes || []).find((n) => n.id === tpl) || null : null;
    let openIterations = null;
    if (path) {
      if (node && node.type === 'Map' && !path.includes('[*]')) {
        openIterations = () => setQuery({map: path, iteration: null, istatus: null, ioffset: null, tab: null});
      } else if (path.includes('[*]')) {
        const mapPath = path.slice(0, path.indexOf('[*]'));
        openIterations = () => setQuery({map: mapPath, iteration: null, istatus: null, ioffset: null, tab: null});
      }
    }
    renderStatePanel(panel, {path, template: tpl, node, stateInfo: info, visit, eventId},
      {dataflow: path && !path.includes('[*]') ? dataflowOf(path, info) : null, event: eventId ? eventById(eventId) : null},
      {
        close: () => setQuery({state: null, event: null, visit: null}),
        selectVisit: (n) => setQuery({visit: n, event: null}),
        selectEvent: (id) => setQuery({event: id, tab: null}),
        openIterations,
      });
  }

  const applyFilter = () => {
    const f = param('filter') || '';
    if (document.activeElement !== filterInput) filterInput.value = f;
    history.setFilter(f);
  };

  const applyMap = () => {
    const m = param('map');
    if (!m) {
      if (explorer) {
        explorer.destroy();
        explorer = null;
        replace(iterPane);
      }
      return;
    }
    if (!explorer) {
      explorer = createIterationExplorer({executionId, layoutPromise: layoutReady, running});
      replace(iterPane, explorer.el);
    }
    explorer.update();
  };

  const update = () => {
    renderTabs();
    applyFilter();
    applyMap();
    applySelection();
  };

  // ------------------------------------------------------------------ start
  // The history, the states and the execution are fetched at once; the layout needs the
  // execution's machine and version.
  applyFilter();
  renderTabs();
  const statesP = loadStates();
  const graphDone = loadExecution().then(async (r) => {
    performance.mark('stepflow:header');
    if (!r) {
      layoutSettle.reject(new Error('the execution could not be loaded'));
      return;
    }
    if (r.status === 'RUNNING') startLive();
    else setLive('ended');
    layoutP = layout(r.machine, r.version);
    layoutP.then(layoutSettle.resolve, layoutSettle.reject);
    applyMap();
    try {
      const l = await layoutP;
      if (destroyed) return;
      layoutData = l;
      prefixes = templatePrefixes(l);
      graph = createGraph(l, {testid: 'execution-graph', onSelect: (id) => setQuery({state: id, visit: null, event: null})});
      replace(graphHolder, graph.el);
      applyStates();
      performance.mark('stepflow:graph');
    } catch (e) {
      replace(graphHolder, h('div', {class: 'error-box graph-note'}, e.status === 503
        ? 'The graph needs Graphviz (the `dot` program) on the server; the history and state panel work without it.'
        : `Could not lay out the graph: ${e.message}`));
    }
  });
  update();
  history.painted.then(() => performance.mark('stepflow:history'));
  Promise.all([graphDone, currentTab() === 'history' ? history.painted : null]).then(() => {
    if (!destroyed) requestAnimationFrame(() => performance.mark('stepflow:painted'));
  });
  statesP.then(() => {});

  return {
    update,
    refreshTimes: () => {
      renderHeader();
      panelKey = null;
      applySelection();
    },
    move: (delta) => {
      if (currentTab() === 'iterations' && explorer) explorer.move(delta);
      else if (currentTab() === 'history') history.move(delta);
    },
    open: () => (currentTab() === 'iterations' && explorer ? explorer.open() : false),
    escape: () => {
      if (param('state') || param('event') || param('visit')) setQuery({state: null, event: null, visit: null});
      else if (param('iteration') !== null) setQuery({iteration: null});
      else if (param('map')) setQuery({map: null, tab: null, istatus: null, isort: null, idesc: null, ioffset: null});
    },
    destroy: () => {
      destroyed = true;
      controller.abort();
      stopLive();
      clearInterval(tickTimer);
      history.destroy();
      if (graph) graph.destroy();
      if (explorer) explorer.destroy();
    },
  };
}
