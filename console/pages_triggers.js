// Triggers: schedules and webhooks, their next fire times and what each occurrence did
// (started an execution, skipped by the overlap policy, missed while the server was down,
// failed to start and why).

import {h, replace, enc, fmtNum, timeEl} from '/assets/util.js';
import {api, write} from '/assets/api.js';
import {navigate} from '/assets/router.js';
import {jsonView} from '/assets/json.js';

const OUTCOME_CLASS = {STARTED: 'SUCCEEDED', SKIPPED: 'ABORTED', MISSED: 'TIMED_OUT', FAILED: 'FAILED'};

function outcomeBadge(outcome) {
  return h('span', {class: `badge status-${OUTCOME_CLASS[outcome] || 'RUNNING'}`, 'data-testid': 'occurrence-outcome'}, outcome);
}

function whatOf(t) {
  const d = t.description || {};
  if (t.kind === 'webhook') return `POST /hooks/${t.name} (auth ${((d.webhook || {}).auth || {}).type || 'none'})`;
  const s = d.schedule || {};
  return `${s.expression || ''} in ${s.timezone || 'UTC'}`;
}

function countsText(counts) {
  const parts = Object.entries(counts || {}).map(([k, n]) => `${fmtNum(n)} ${k.toLowerCase()}`);
  return parts.length ? parts.join(' · ') : 'none yet';
}

function listView(root, signal) {
  const body = h('div', {class: 'card'}, h('div', {class: 'loading'}, 'Loading…'));
  root.append(h('div', {class: 'page-head'}, h('h1', {}, 'Triggers')), body);
  api('triggers', {signal}).then((r) => {
    const list = r.triggers || [];
    if (!list.length) {
      replace(body, h('div', {class: 'empty'}, h('p', {}, 'No triggers yet. `stepflow trigger create NAME --machine M '
        + '--schedule EXPR` or `--webhook` makes one.')));
      return;
    }
    replace(body, h('table', {class: 'table', 'data-testid': 'triggers-table'},
      h('thead', {}, h('tr', {}, ['Name', 'Trigger', 'Machine', 'State', 'Next fire', 'Occurrences'].map((t) => h('th', {}, t)))),
      h('tbody', {}, list.map((t) => h('tr', {'data-testid': 'trigger-row', 'data-name': t.name, 'data-kbd-row': ''},
        h('td', {}, h('a', {href: `/triggers/${enc(t.name)}`, class: 'strong'}, t.name)),
        h('td', {}, h('code', {}, whatOf(t))),
        h('td', {}, h('a', {href: `/machines/${enc(String((t.description || {}).machine || '').split(':')[0])}`}, (t.description || {}).machine || '')),
        h('td', {}, t.paused ? h('span', {class: 'tag'}, 'paused') : h('span', {class: 'muted'}, 'active')),
        h('td', {}, (t.nextFireMs || []).length ? timeEl(t.nextFireMs[0]) : h('span', {class: 'muted'}, '—')),
        h('td', {}, countsText(t.counts)))))));
  }).catch((e) => {
    if (e.name !== 'AbortError') replace(body, h('div', {class: 'error-box'}, `Could not load the triggers: ${e.message}`));
  });
}

function detailView(root, name, signal) {
  const body = h('div', {}, h('div', {class: 'loading'}, 'Loading…'));
  root.append(h('div', {class: 'page-head'}, h('div', {class: 'crumbs'}, h('a', {href: '/triggers'}, 'Triggers'), ' / '),
    h('h1', {}, name)), body);
  const load = () => api(`triggers/${enc(name)}`, {signal}).then((t) => {
    const note = h('span', {class: 'muted', 'data-testid': 'trigger-action-result'});
    const act = (label, path, then) => h('button', {type: 'button', class: 'small', 'data-testid': `trigger-${label.toLowerCase()}`,
      onclick: (ev) => {
        ev.target.disabled = true;
        write(`triggers/${enc(name)}/${path}`).then(then).catch((e) => {
          replace(note, h('span', {class: 'error-text'}, `${e.type}: ${e.message}`));
          ev.target.disabled = false;
        });
      }}, label);
    const actions = h('div', {class: 'toolbar'},
      t.paused ? act('Unpause', 'unpause', load) : act('Pause', 'pause', load),
      act('Run', 'run', (r) => navigate(`/executions/${enc(r.executionId)}`)), ' ', note);
    replace(body, actions,
      h('section', {class: 'card'}, h('h2', {}, 'Trigger'),
        h('p', {'data-testid': 'trigger-what'}, h('code', {}, whatOf(t)), t.paused ? h('span', {class: 'tag'}, ' paused') : null),
        h('p', {}, `Occurrences: ${countsText(t.counts)}`),
        jsonView(t.description, {copy: true})),
      t.kind === 'schedule' ? h('section', {class: 'card'}, h('h2', {}, 'Next fire times'),
        (t.nextFireMs || []).length ? h('ol', {'data-testid': 'next-fire-times'}, t.nextFireMs.map((ms) => h('li', {}, timeEl(ms))))
          : h('p', {class: 'muted'}, t.paused ? 'Paused.' : 'None to come.')) : null,
      h('section', {class: 'card'}, h('h2', {}, 'Latest occurrences'),
        (t.occurrences || []).length ? h('table', {class: 'table', 'data-testid': 'occurrences-table'},
          h('thead', {}, h('tr', {}, ['Occurrence', 'Outcome', 'Execution', 'Detail', 'Recorded'].map((x) => h('th', {}, x)))),
          h('tbody', {}, t.occurrences.map((o) => h('tr', {'data-key': o.key},
            h('td', {}, h('code', {}, o.key)), h('td', {}, outcomeBadge(o.outcome)),
            h('td', {}, o.executionId ? h('a', {href: `/executions/${enc(o.executionId)}`}, o.executionId) : h('span', {class: 'muted'}, '—')),
            h('td', {}, o.detail || ''), h('td', {}, timeEl(o.recordedMs))))))
          : h('p', {class: 'muted'}, 'None yet.')));
  }).catch((e) => {
    if (e.name !== 'AbortError') replace(body, h('div', {class: 'error-box'}, `Could not load the trigger: ${e.message}`));
  });
  load();
}

export function mount(root, name) {
  document.title = `${name ? `${name} — ` : ''}Triggers — stepflow`;
  const controller = new AbortController();
  if (name) detailView(root, name, controller.signal);
  else listView(root, controller.signal);
  return {destroy: () => controller.abort()};
}
