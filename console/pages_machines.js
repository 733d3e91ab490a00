// The list of state machines: name, versions, executions by status, last run.

import {h, replace, enc, fmtNum, fmtAgo, fmtTime, statusBadge, param, debounce} from '/assets/util.js';
import {api} from '/assets/api.js';
import {setQuery} from '/assets/router.js';

const COUNT_ORDER = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

export function countsView(counts) {
  const wrap = h('span', {class: 'counts'});
  for (const st of COUNT_ORDER) {
    const n = counts ? counts[st] || 0 : 0;
    if (!n) continue;
    wrap.appendChild(h('span', {class: `count status-${st}`, title: `${fmtNum(n)} ${st.toLowerCase().replace('_', ' ')}`,
                                'data-status': st}, fmtNum(n)));
  }
  if (!wrap.firstChild) wrap.appendChild(h('span', {class: 'muted'}, 'none'));
  return wrap;
}

export function mount(root) {
  document.title = 'State machines — stepflow';
  const filter = h('input', {type: 'search', placeholder: 'Filter by name…', 'data-filter': '', 'data-testid': 'machine-filter',
                             'aria-label': 'Filter machines by name', value: param('q') || ''});
  const body = h('div', {class: 'card'}, h('div', {class: 'loading'}, 'Loading…'));
  root.append(h('div', {class: 'page-head'}, h('h1', {}, 'State machines'), filter), body);
  let machines = null;
  const controller = new AbortController();

  const render = () => {
    if (!machines) return;
    const q = (param('q') || '').toLowerCase();
    const shown = machines.filter((m) => !q || m.name.toLowerCase().includes(q));
    if (machines.length === 0) {
      replace(body, h('div', {class: 'empty'},
        h('p', {}, 'No state machines yet. Create one with the AWS CLI or SDKs against this server, e.g.'),
        h('pre', {class: 'code'}, 'aws stepfunctions create-state-machine --endpoint-url http://127.0.0.1:8083 \\\n' +
          '  --name demo --definition file://demo.json --role-arn arn:aws:iam::123456789012:role/x')));
      return;
    }
    const rows = shown.map((m) => h('tr', {'data-testid': 'machine-row', 'data-name': m.name, 'data-kbd-row': ''},
      h('td', {}, h('a', {href: `/machines/${enc(m.name)}`, class: 'strong'}, m.name)),
      h('td', {class: 'num'}, fmtNum(m.versions), m.latestVersion !== undefined ? h('span', {class: 'muted'}, ` (latest ${m.latestVersion})`) : null),
      h('td', {}, countsView(m.counts)),
      h('td', {}, m.lastRun
        ? h('span', {class: 'last-run'}, statusBadge(m.lastRun.status), ' ',
            h('a', {href: `/executions/${enc(m.lastRun.id)}`}, m.lastRun.name), ' ',
            h('span', {class: 'muted', title: fmtTime(m.lastRun.startMs)}, fmtAgo(m.lastRun.startMs)))
        : h('span', {class: 'muted'}, 'never run')),
      h('td', {class: 'muted', title: fmtTime(m.createdMs)}, fmtTime(m.createdMs))));
    replace(body, h('table', {class: 'table', 'data-testid': 'machines-table'},
      h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Versions'), h('th', {}, 'Executions'),
        h('th', {}, 'Last run'), h('th', {}, 'Created'))),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', {colspan: 5, class: 'muted'}, 'No machine matches the filter.')))));
  };

  const load = async () => {
    try {
      const r = await api('machines', {signal: controller.signal});
      machines = (r.machines || []).slice().sort((a, b) => a.name.localeCompare(b.name));
      render();
    } catch (e) {
      if (e.name === 'AbortError') return;
      replace(body, h('div', {class: 'error-box', role: 'alert'}, `Could not load the machines: ${e.message}`));
    }
  };
  filter.addEventListener('input', debounce(() => setQuery({q: filter.value}, {replace: true}), 150));
  load();
  const timer = setInterval(() => {
    if (document.visibilityState === 'visible') load();
  }, 10000);
  return {
    update: render,
    refreshTimes: render,
    destroy: () => {
      controller.abort();
      clearInterval(timer);
    },
  };
}
