// Functions: the registered (gRPC) and deployed (package) functions, their versions,
// aliases, instances and deploy failures; a function's logs, newest last.

import {h, replace, enc, fmtNum, fmtTime, timeEl} from '/assets/util.js';
import {api} from '/assets/api.js';
import {jsonView, textView} from '/assets/json.js';

function instancesText(inst) {
  if (!inst) return '—';
  const parts = [`${fmtNum(inst.idle)} idle`, `${fmtNum(inst.busy)} busy`];
  if (inst.starting) parts.push(`${fmtNum(inst.starting)} starting`);
  if (inst.queued) parts.push(`${fmtNum(inst.queued)} queued`);
  parts.push(`${fmtNum(inst.startedTotal)} started in all`);
  return parts.join(' · ');
}

// A target: an endpoint (HOST:PORT) as it is, a content hash shortened.
function targetView(target) {
  const text = String(target || '');
  return h('code', {title: text}, /^[0-9a-f]{40,}$/.test(text) ? `${text.slice(0, 12)}…` : text);
}

function latestVersion(f) {
  const vs = f.versions || [];
  return vs.length ? vs[vs.length - 1] : null;
}

function listView(root, signal) {
  const body = h('div', {class: 'card'}, h('div', {class: 'loading'}, 'Loading…'));
  root.append(h('div', {class: 'page-head'}, h('h1', {}, 'Functions')), body);
  const load = () => api('functions', {signal}).then((r) => {
    const fns = r.functions || [];
    if (!fns.length) {
      replace(body, h('div', {class: 'empty'}, h('p', {}, 'No functions yet. Workers register gRPC functions when they connect; '
        + '`stepflow server --functions-dir DIR` deploys packaged ones.')));
      return;
    }
    replace(body, h('table', {class: 'table', 'data-testid': 'functions-table'},
      h('thead', {}, h('tr', {}, ['Name', 'Kind', 'Versions', 'Latest target', 'Aliases', 'Instances', 'Deploy'].map((t) => h('th', {}, t)))),
      h('tbody', {}, fns.map((f) => {
        const latest = latestVersion(f);
        return h('tr', {'data-testid': 'function-row', 'data-name': f.name, 'data-kbd-row': ''},
          h('td', {}, h('a', {href: `/functions/${enc(f.name)}`, class: 'strong'}, f.name)),
          h('td', {}, h('span', {class: 'tag'}, f.kind || '')),
          h('td', {class: 'num'}, fmtNum((f.versions || []).length)),
          h('td', {}, latest ? targetView(latest.target) : '—'),
          h('td', {}, (f.aliases || []).map((a) => h('span', {class: 'tag'}, `${a.alias} → ${a.version}`))),
          h('td', {}, instancesText(f.instances)),
          h('td', {}, f.deployFailure ? h('span', {class: 'error-text', title: f.deployFailure.message, 'data-testid': 'deploy-failure'},
            `failed ${fmtTime(f.deployFailure.timeMs)}`) : h('span', {class: 'muted'}, 'ok')));
      }))));
  }).catch((e) => {
    if (e.name !== 'AbortError') replace(body, h('div', {class: 'error-box'}, `Could not load the functions: ${e.message}`));
  });
  load();
  return load;
}

function detailView(root, name, signal) {
  const body = h('div', {}, h('div', {class: 'loading'}, 'Loading…'));
  const logs = h('div', {class: 'logs', 'data-testid': 'function-logs'});
  const more = h('div', {class: 'pager'});
  root.append(
    h('div', {class: 'page-head'}, h('div', {class: 'crumbs'}, h('a', {href: '/functions'}, 'Functions'), ' / '), h('h1', {}, name)),
    body,
    h('section', {class: 'card'}, h('h2', {}, 'Logs'), logs, more));
  api('functions', {signal}).then((r) => {
    const f = (r.functions || []).find((x) => x.name === name);
    if (!f) {
      replace(body, h('div', {class: 'error-box'}, `No function named ${name}.`));
      return;
    }
    replace(body,
      f.deployFailure ? h('div', {class: 'error-banner', 'data-testid': 'deploy-failure'},
        h('div', {class: 'banner-title'}, `Deploy failed ${fmtTime(f.deployFailure.timeMs)}`), textView(f.deployFailure.message || '')) : null,
      h('section', {class: 'card'}, h('h2', {}, 'Instances'), h('p', {'data-testid': 'function-instances'}, instancesText(f.instances))),
      h('section', {class: 'card'}, h('h2', {}, 'Aliases'),
        (f.aliases || []).length ? h('ul', {}, f.aliases.map((a) => h('li', {}, h('strong', {}, a.alias), ` → version ${a.version}`)))
          : h('p', {class: 'muted'}, 'No aliases.')),
      h('section', {class: 'card'}, h('h2', {}, 'Versions'),
        h('table', {class: 'table', 'data-testid': 'function-versions'},
          h('thead', {}, h('tr', {}, ['Version', 'Kind', 'Target', 'Source', 'Created', 'Config'].map((t) => h('th', {}, t)))),
          h('tbody', {}, (f.versions || []).slice().reverse().map((v) => h('tr', {'data-version': v.version},
            h('td', {class: 'num'}, String(v.version)), h('td', {}, v.kind || ''), h('td', {}, targetView(v.target)),
            h('td', {}, h('code', {}, String(v.source || ''))), h('td', {}, timeEl(v.createdMs)),
            h('td', {}, v.config ? jsonView(v.config, {copy: false}) : h('span', {class: 'muted'}, '—'))))))));
  }).catch((e) => {
    if (e.name !== 'AbortError') replace(body, h('div', {class: 'error-box'}, `Could not load the function: ${e.message}`));
  });

  let after = 0;
  const loadLogs = () => api(`functions/${enc(name)}/logs?after=${after}&limit=200`, {signal}).then((r) => {
    const list = r.logs || [];
    if (after === 0 && list.length === 0) replace(logs, h('p', {class: 'muted'}, 'No logs yet.'));
    for (const l of list) {
      logs.appendChild(h('div', {class: 'log-line', 'data-testid': 'log-line', 'data-id': l.id},
        h('span', {class: 'muted log-time'}, fmtTime(l.timeMs)), ' ',
        h('span', {class: 'tag'}, `v${l.version}`), ' ',
        l.executionId ? h('a', {href: `/executions/${enc(l.executionId)}`, class: 'log-exec'}, l.executionId) : null, ' ',
        h('span', {class: 'log-text'}, String(l.text ?? '').replace(/\n$/, ''))));
      after = Math.max(after, l.id);
    }
    replace(more, h('button', {type: 'button', class: 'small', 'data-testid': 'logs-more', onclick: loadLogs},
      r.next ? 'Load more' : 'Check for newer'));
  }).catch((e) => {
    if (e.name !== 'AbortError') replace(more, h('span', {class: 'error-text'}, `Could not load the logs: ${e.message}`));
  });
  loadLogs();
}

export function mount(root, name) {
  document.title = `${name ? `${name} — ` : ''}Functions — stepflow`;
  const controller = new AbortController();
  if (name) detailView(root, name, controller.signal);
  else listView(root, controller.signal);
  return {destroy: () => controller.abort()};
}
