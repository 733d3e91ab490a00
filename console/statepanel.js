// The state panel of the execution page: the selected state's status, error and cause, its
// attempts with the retrier that matched, and the data-flow inspector of each visit (every
// stage's JSON, what changed from the stage before, the field that made it).

import {h, replace, fmtTime, fmtDuration, fmtNum, statusBadge} from '/assets/util.js';
import {jsonView, textView} from '/assets/json.js';

const STAGE_LABELS = {
  input: 'Input',
  afterInputPath: 'After InputPath',
  afterParameters: 'After Parameters',
  afterArguments: 'After Arguments',
  result: 'Result',
  afterResultSelector: 'After ResultSelector',
  afterResultPath: 'After ResultPath',
  output: 'Output',
};

// An event's details with its JSON-text payload fields (input, output, ...) parsed for display.
function readableDetails(details) {
  if (!details || typeof details !== 'object') return details ?? {};
  const out = {};
  for (const [k, v] of Object.entries(details)) {
    if (typeof v === 'string' && /^(input|output|result|parameters|payload|cause)$/.test(k) && /^\s*[[{"]/.test(v)) {
      try {
        out[k] = JSON.parse(v);
        continue;
      } catch {
        // not JSON: shown as the text it is
      }
    }
    out[k] = v;
  }
  return out;
}

export function errorBlock(error, cause) {
  if (!error && !cause) return null;
  let causeView = null;
  if (cause) {
    let parsed = null;
    try {
      parsed = JSON.parse(cause);
    } catch {
      parsed = null;
    }
    causeView = parsed !== null && typeof parsed === 'object'
      ? h('div', {class: 'cause', 'data-testid': 'error-cause'}, jsonView(parsed, {copy: false}))
      : h('div', {class: 'cause', 'data-testid': 'error-cause'}, textView(cause, {cls: 'cause-text'}));
  }
  return h('div', {class: 'error-block'},
    error ? h('div', {class: 'error-name', 'data-testid': 'error-name'}, error) : null,
    causeView);
}

function retrierText(r) {
  const parts = [`Retrier #${r.index}`, `ErrorEquals ${JSON.stringify(r.errorEquals || [])}`];
  if (r.intervalSeconds !== undefined && r.intervalSeconds !== null) parts.push(`interval ${r.intervalSeconds} s`);
  if (r.backoffRate !== undefined && r.backoffRate !== null) parts.push(`backoff rate ${r.backoffRate}`);
  if (r.maxAttempts !== undefined && r.maxAttempts !== null) parts.push(`max attempts ${r.maxAttempts}`);
  if (r.maxDelaySeconds) parts.push(`max delay ${r.maxDelaySeconds} s`);
  if (r.jitterStrategy && r.jitterStrategy !== 'NONE') parts.push(`jitter ${r.jitterStrategy}`);
  return parts.join(' · ');
}

function attemptsView(attempts, onEvent) {
  if (!attempts || attempts.length === 0) return null;
  return h('section', {class: 'panel-section'},
    h('h3', {}, `Attempts (${attempts.length})`),
    h('ol', {class: 'attempts'}, attempts.map((a) => h('li', {class: `attempt status-${a.status}`, 'data-testid': 'attempt',
                                                             'data-attempt': a.attempt, 'data-status': a.status || ''},
      h('div', {class: 'attempt-head'},
        h('strong', {}, `Attempt ${a.attempt}`), ' ', statusBadge(a.status), ' ',
        h('span', {class: 'muted'}, a.startMs ? `${fmtTime(a.startMs)} · ${a.endMs ? fmtDuration(a.endMs - a.startMs) : 'running'}` : ''),
        a.scheduledEventId ? h('button', {type: 'button', class: 'link', onclick: () => onEvent(a.scheduledEventId)}, `event ${a.scheduledEventId}`) : null),
      a.error || a.cause ? h('div', {class: 'attempt-error'}, h('code', {class: 'error-name'}, a.error || ''),
        a.cause ? h('span', {class: 'attempt-cause'}, ` ${a.cause.length > 500 ? `${a.cause.slice(0, 500)}…` : a.cause}`) : null) : null,
      a.retrier ? h('div', {class: 'retrier'}, retrierText(a.retrier),
        a.plannedBackoffMs !== undefined && a.plannedBackoffMs !== null
          ? h('span', {class: 'backoff', 'data-planned-ms': a.plannedBackoffMs, 'data-taken-ms': a.backoffMs ?? ''},
              ` → back-off ${fmtNum(a.plannedBackoffMs)} ms planned` +
              (a.backoffMs !== undefined && a.backoffMs !== null ? `, ${fmtNum(a.backoffMs)} ms taken before the next attempt` : ''))
          : null)
        : a.error ? h('div', {class: 'retrier muted'}, 'not retried (no retrier matched, or its attempts were used up)') : null))));
}

function changesList(changes) {
  if (!changes || changes.length === 0) return h('span', {class: 'muted small-text'}, 'no change');
  const shown = changes.slice(0, 50);
  return h('ul', {class: 'changes'}, shown.map((c) => h('li', {class: `chg chg-${c.op}`, 'data-op': c.op, 'data-path': c.path},
    h('span', {class: 'op'}, c.op === 'add' ? '+' : c.op === 'remove' ? '−' : '~'), ' ', h('code', {}, c.path || '(whole value)'))),
    changes.length > shown.length ? h('li', {class: 'muted'}, `… ${changes.length - shown.length} more`) : null);
}

function stagesView(visit) {
  const stages = visit.stages || [];
  return h('section', {class: 'panel-section'},
    h('h3', {}, 'Data flow'),
    h('ol', {class: 'stages'}, stages.map((st, i) => h('li', {class: 'stage', 'data-testid': 'stage', 'data-stage': st.name},
      h('div', {class: 'stage-head'},
        h('span', {class: 'stage-step'}, String(i + 1)),
        h('strong', {}, STAGE_LABELS[st.name] || st.name),
        st.field !== undefined && st.field !== null && st.field !== ''
          ? h('code', {class: 'stage-field', title: 'the field that made this stage'}, typeof st.field === 'string' ? st.field : JSON.stringify(st.field))
          : null),
      i > 0 ? changesList(st.changes) : null,
      st.error ? h('div', {class: 'error-text'}, st.error)
        : jsonView(st.value, {changes: i > 0 ? st.changes || [] : [], preAttrs: {'data-testid': 'stage-value'}})))),
    visit.assigned ? h('div', {class: 'assigned', 'data-testid': 'assigned'}, h('h4', {}, 'Variables assigned'), jsonView(visit.assigned)) : null,
    visit.matchesRecord === true
      ? h('div', {class: 'match ok', 'data-testid': 'matches-record', 'data-matches': 'true'}, '✓ matches the recorded output')
      : visit.matchesRecord === false && !(visit.status !== 'SUCCEEDED' && (visit.recordedOutput === null || visit.recordedOutput === undefined))
        ? h('div', {class: 'match bad', 'data-testid': 'matches-record', 'data-matches': 'false'},
          '✗ differs from the recorded output', visit.recordedOutput !== undefined ? h('div', {}, h('h4', {}, 'Recorded output'), jsonView(visit.recordedOutput)) : null)
        : null);
}

// Renders the panel into `el`.
//   sel: {path, template, node (layout node or null), stateInfo (from /states or null),
//         visit (1-based or null), eventId}
//   data: {dataflow: promise|null, event: promise|null}
//   actions: {close(), selectVisit(n), selectEvent(id), openIterations(mapPath)|null, definition: promise|null}
export function renderStatePanel(el, sel, data, actions) {
  const info = sel.stateInfo;
  const name = sel.node ? sel.node.name : sel.path ? sel.path.slice(sel.path.lastIndexOf('/') + 1) : '';
  const type = sel.node ? sel.node.type : '';
  const body = h('div', {class: 'panel-body'});
  replace(el,
    h('div', {class: 'panel-head'},
      h('h2', {}, sel.path ? name : `Event ${sel.eventId}`),
      h('button', {type: 'button', class: 'small ghost', 'aria-label': 'Close the panel (Esc)', 'data-testid': 'close-panel',
                   onclick: actions.close}, '×')),
    sel.path ? h('div', {class: 'muted panel-sub'}, type ? `${type} · ` : '', h('code', {}, sel.path)) : null,
    body);

  if (sel.path) {
    const status = info ? info.status : 'NOT_RUN';
    body.appendChild(h('div', {class: 'state-status'},
      statusBadge(status, {'data-testid': 'state-status'}),
      info ? h('span', {class: 'muted'}, ` ${fmtNum(info.visits)} visit${info.visits === 1 ? '' : 's'}`,
        info.attempts ? ` · ${fmtNum(info.attempts)} attempt${info.attempts === 1 ? '' : 's'}` : '',
        sel.template !== sel.path ? ' (all iterations)' : '') : h('span', {class: 'muted'}, ' never entered'),
      info && info.counts && Object.keys(info.counts).length > 1
        ? h('span', {class: 'muted'}, ' · ', Object.entries(info.counts).map(([k, v]) => `${k} ${fmtNum(v)}`).join(', ')) : null));
    if (info && (info.error || info.cause)) body.appendChild(errorBlock(info.error, info.cause));
    if (info && info.firstEventId) {
      body.appendChild(h('div', {class: 'panel-links'},
        h('button', {type: 'button', class: 'link', onclick: () => actions.selectEvent(info.firstEventId)}, `first event ${info.firstEventId}`), ' · ',
        h('button', {type: 'button', class: 'link', onclick: () => actions.selectEvent(info.lastEventId)}, `last event ${info.lastEventId}`)));
    }
    if (actions.openIterations) {
      body.appendChild(h('div', {class: 'panel-links'}, h('button', {type: 'button', class: 'primary small', 'data-testid': 'open-iterations',
                                                                   onclick: actions.openIterations}, 'Explore the iterations')));
    }
  }

  // The selected event.
  if (data.event) {
    const holder = h('section', {class: 'panel-section', 'data-testid': 'event-panel'}, h('div', {class: 'loading'}, 'Loading the event…'));
    body.appendChild(holder);
    data.event.then((ev) => {
      if (!ev) {
        replace(holder);
        return;
      }
      replace(holder, h('h3', {}, `Event ${ev.id}: ${ev.type}`),
        h('div', {class: 'muted'}, fmtTime(ev.timestampMs), ev.previousEventId ? ` · after event ${ev.previousEventId}` : ''),
        jsonView(readableDetails(ev.details), {preAttrs: {'data-testid': 'event-details'}}));
    }).catch((e) => replace(holder, h('div', {class: 'error-text'}, `Could not load the event: ${e.message}`)));
  }

  if (!sel.path) return;
  if (sel.path.includes('[*]')) {
    body.appendChild(h('p', {class: 'muted'}, 'This state runs in each iteration of a Map: open one iteration to see its data flow.'));
    return;
  }
  if (!data.dataflow) return;
  const flow = h('div', {class: 'dataflow'}, h('div', {class: 'loading'}, 'Loading the data flow…'));
  body.appendChild(flow);
  data.dataflow.then((df) => {
    const visits = df.visits || [];
    if (visits.length === 0) {
      replace(flow, h('p', {class: 'muted'}, 'No recorded visit of this state.'));
      return;
    }
    let chosen = null;
    if (sel.visit) chosen = visits.find((v) => v.visit === sel.visit) || null;
    if (!chosen && sel.eventId) {
      chosen = visits.find((v) => v.enteredEventId <= sel.eventId && (v.exitedEventId === null || v.exitedEventId === undefined || sel.eventId <= v.exitedEventId)) || null;
    }
    if (!chosen) chosen = visits[visits.length - 1];
    const picker = visits.length > 1
      ? h('div', {class: 'visits', role: 'tablist', 'data-testid': 'visits'}, visits.length <= 30
        ? visits.map((v) => h('button', {type: 'button', class: ['visit', `status-${v.status}`], 'data-visit': v.visit,
                                         'aria-selected': v === chosen ? 'true' : 'false', onclick: () => actions.selectVisit(v.visit)}, String(v.visit)))
        : (() => {
          const sel2 = h('select', {'aria-label': 'Visit'}, visits.map((v) => h('option', {value: v.visit, selected: v === chosen}, `visit ${v.visit} (${v.status})`)));
          sel2.addEventListener('change', () => actions.selectVisit(Number(sel2.value)));
          return sel2;
        })())
      : null;
    const visitFailed = (chosen.attempts || []).filter((a) => a.error).pop();
    replace(flow,
      h('h3', {}, `Visit ${chosen.visit} of ${visits.length}`, ' ', statusBadge(chosen.status)),
      picker,
      h('div', {class: 'muted'}, `${df.type || ''}${df.queryLanguage ? ` · ${df.queryLanguage}` : ''} · events ${chosen.enteredEventId}–${chosen.exitedEventId ?? '…'}`),
      !info && visitFailed ? errorBlock(visitFailed.error, visitFailed.cause) : null,
      attemptsView(chosen.attempts, actions.selectEvent),
      chosen.caught ? h('div', {class: 'caught', 'data-testid': 'caught'},
        `Caught by Catcher #${chosen.caught.index} ${JSON.stringify(chosen.caught.errorEquals || [])} → ${chosen.caught.next}`,
        chosen.caught.resultPath !== undefined ? ` (ResultPath ${chosen.caught.resultPath === null ? 'null' : chosen.caught.resultPath})` : '') : null,
      stagesView(chosen));
  }).catch((e) => replace(flow, h('div', {class: 'error-text'}, `Could not load the data flow: ${e.message}`)));
}
