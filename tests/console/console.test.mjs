// Browser tests of the stepflow console (docs/console.md): a real `stepflow server` with the
// fixture functions deployed (tests/console/fixtures/), Debian's chromium driven by
// playwright-core, one server and one browser for every scenario. Each scenario saves a
// screenshot into $STEPFLOW_CONSOLE_ARTIFACTS (default build/console-artifacts), also when it
// fails. The scale scenario prints "figure: … ms" lines; it asserts the paint budget only with
// STEPFLOW_STRICT_PERF=1.
//
//   bash tests/console/run.sh            (installs playwright-core, then node --test)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  StepflowServer, launchBrowser, artifactsDir, machineFixture, functionFixture, sleep, waitUntil,
} from './harness.mjs';

const UI_TIMEOUT = 10_000; // a page element that should be there
const STRICT_PERF = process.env.STEPFLOW_STRICT_PERF === '1';
const PAINT_BUDGET_MS = 1000;
const MAX_DOM_ROWS = 300;
const SCALE_HISTORY_ITEMS = 6300; // a Map of 6,300 Pass iterations: 25,206 history events
const SCALE_MAP_ITEMS = 10_000;

const MACHINES = ['console-hello', 'console-fail', 'console-retry', 'console-dataflow', 'console-map',
  'console-live', 'console-long', 'console-gate', 'console-scale'];
const FUNCTIONS = ['flaky', 'gate', 'price', 'stock'];

// The data-flow fixture: its input, and what each stage must be by ASL's JSONPath semantics
// (console-dataflow.asl.json; the price function returns sku, qty * unitPrice, "EUR", debug).
const DATAFLOW_INPUT = { order: { sku: 'A-1', qty: 4, note: 'gift' }, customer: 'c-9' };
const DATAFLOW_STAGES = {
  input: DATAFLOW_INPUT,
  afterInputPath: { sku: 'A-1', qty: 4, note: 'gift' },                   // InputPath $.order
  afterParameters: { sku: 'A-1', qty: 4, unitPrice: 2.5 },                // Parameters
  result: { sku: 'A-1', total: 10, currency: 'EUR', debug: { calls: 1 } }, // the function's answer
  afterResultSelector: { total: 10, cur: 'EUR' },                          // ResultSelector
  afterResultPath: {                                                       // ResultPath $.order.priced
    order: { sku: 'A-1', qty: 4, note: 'gift', priced: { total: 10, cur: 'EUR' } }, customer: 'c-9',
  },
  output: { sku: 'A-1', qty: 4, note: 'gift', priced: { total: 10, cur: 'EUR' } }, // OutputPath $.order
};
const MAP_ITEMS = [0, 1, 2, 3, 4, 5, 6, 7].map((n) => ({ n, ok: n !== 1 && n !== 5 }));

let server;
let browser;
let artifacts;
let gateDir;
const x = {}; // the executions the scenarios look at: {arn, id}
let shots = 0;

before(async () => {
  artifacts = artifactsDir();
  gateDir = mkdtempSync(join(tmpdir(), 'stepflow-console-gate-'));
  server = new StepflowServer({ extraArgs: ['--max-history-events', '100000'] });
  await server.start();
  browser = await launchBrowser();
  await Promise.all(FUNCTIONS.map((f) => server.deployFunction(f, functionFixture(f),
    f === 'gate' ? ['--mount', `${gateDir}:ro`] : [])));
  for (const m of MACHINES) await server.createMachine(m, machineFixture(m));

  const start = (machine, input, name) => server.startExecution(machine, input, name);
  [x.hello, x.fail, x.retry, x.dataflow, x.map, x.gate, x.scaleHistory, x.scaleMap] = await Promise.all([
    start('console-hello', { name: 'console' }, 'hello-1'),
    start('console-fail', { sku: 'A-1', qty: 3 }, 'fail-1'),
    start('console-retry', {}, 'retry-1'),
    start('console-dataflow', DATAFLOW_INPUT, 'dataflow-1'),
    start('console-map', { items: MAP_ITEMS }, 'map-1'),
    start('console-gate', { dir: gateDir }, 'gate-1'),
    start('console-scale', { items: Array.from({ length: SCALE_HISTORY_ITEMS }, (_, i) => i) }, 'history-25k'),
    start('console-scale', { items: Array.from({ length: SCALE_MAP_ITEMS }, (_, i) => i) }, 'map-10k'),
  ]);
  const ended = ['SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT'];
  const expect = { hello: 'SUCCEEDED', fail: 'FAILED', retry: 'SUCCEEDED', dataflow: 'SUCCEEDED',
    map: 'SUCCEEDED', gate: 'FAILED', scaleHistory: 'SUCCEEDED', scaleMap: 'SUCCEEDED' };
  for (const [key, status] of Object.entries(expect)) {
    const d = await server.waitForStatus(x[key].arn, ended, 60_000);
    assert.equal(d.status, status, `fixture execution ${x[key].id} ended ${d.status}: ${d.error} ${d.cause}`);
  }
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (server) await server.stop();
  if (gateDir) rmSync(gateDir, { recursive: true, force: true });
});

const url = (path) => `${server.http}${path}`;
const execUrl = (id, query = '') => url(`/executions/${id}${query}`);

// A scenario: a fresh browser context and page; a screenshot at the end, passed or failed;
// uncaught page errors fail it (after its own assertions, which say more).
function scenario(name, fn, { colorScheme = 'light', timeout = 60_000 } = {}) {
  const number = ++shots; // screenshots keep their number when other scenarios are filtered out
  test(name, { timeout }, async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, colorScheme });
    const page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    const pageErrors = [];
    const consoleErrors = [];
    page.on('pageerror', (e) => pageErrors.push(String(e?.stack || e)));
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('response', (r) => { if (r.status() >= 400) consoleErrors.push(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`); });
    page.on('requestfailed', (r) => consoleErrors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
    const slug = `${String(number).padStart(2, '0')}-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`;
    try {
      await fn(page, { shot: (suffix) => page.screenshot({ path: join(artifacts, `${slug}-${suffix}.png`) }) });
      assert.deepEqual(pageErrors, [], `uncaught errors in the page: ${pageErrors.join('\n')}`);
      const csp = consoleErrors.filter((m) => /Content Security Policy/i.test(m));
      assert.deepEqual(csp, [], 'the page keeps to its Content-Security-Policy');
      const banner = page.locator('[data-testid=page-error]');
      if (await banner.count()) {
        assert.equal(await banner.first().isVisible(), false, `the page's error banner: ${await banner.first().textContent()}`);
      }
    } catch (e) {
      if (consoleErrors.length) e.message += `\nbrowser console errors:\n${consoleErrors.slice(0, 10).join('\n')}`;
      throw e;
    } finally {
      await page.screenshot({ path: join(artifacts, `${slug}.png`) }).catch(() => {});
      await context.close().catch(() => {});
    }
  });
}

// Clicks the first link of a row when it has one, else the row itself.
async function open(row) {
  const link = row.locator('a').first();
  if (await link.count()) await link.click();
  else await row.click();
}

async function expectStatus(page, status, timeout = UI_TIMEOUT) {
  const el = page.locator('[data-testid=execution-status]').first();
  await el.waitFor({ timeout });
  await waitUntil(async () => (await el.textContent()).trim() === status,
    `execution-status to show ${status}`, timeout).catch(async (e) => {
    throw new Error(`${e.message}; it shows "${(await el.textContent().catch(() => '?')).trim()}"`);
  });
}

// The selected history row: {id, type}; waits for one to be selected.
async function selectedEvent(page) {
  const row = page.locator('[data-testid=history-row][aria-selected=true]');
  await row.first().waitFor({ timeout: UI_TIMEOUT });
  assert.equal(await row.count(), 1, 'exactly one history row is selected');
  return { id: Number(await row.getAttribute('data-event-id')), type: await row.getAttribute('data-type') };
}

// Clicks the tab NAME when the page has it (the panel may show everything without tabs).
async function tabIfPresent(page, name) {
  const tab = page.locator(`[data-testid=tab-${name}]`);
  if (await tab.count()) await tab.first().click();
}

const text = async (locator) => (await locator.textContent()).replace(/\s+/g, ' ').trim();

// The iteration histogram's status buttons ([data-status=S][data-count=N]) are exactly `counts`
// (the "all" button, [data-status=""], is left out).
async function expectHistogram(histogram, counts) {
  const shown = await histogram.locator('[data-status][data-count]').evaluateAll(
    (els) => Object.fromEntries(els.filter((e) => e.dataset.status !== '').map((e) => [e.dataset.status, Number(e.dataset.count)])));
  const nonZero = Object.fromEntries(Object.entries(shown).filter(([, n]) => n > 0));
  assert.deepEqual(nonZero, counts, `the histogram's counts (it shows ${JSON.stringify(shown)})`);
}

// The number after "back-off" in an attempt's text ("back-off 1,500 ms"), in ms.
function backoffMs(attemptText) {
  const m = /back-?off\D{0,20}?([\d,.\u202f\u00a0]+)\s*(ms|s)\b/i.exec(attemptText);
  if (!m) return null;
  const n = Number(m[1].replace(/[,\u202f\u00a0]/g, ''));
  return m[2] === 's' ? n * 1000 : n;
}

// ------------------------------------------------------------------------------------- scenarios

scenario('list, machine, execution', async (page) => {
  await page.goto(url('/'));
  const machineRow = page.locator('[data-testid=machine-row][data-name="console-hello"]');
  await machineRow.waitFor();
  assert.equal(await page.locator('[data-testid=machine-row]').count(), MACHINES.length, 'one row per machine');
  await open(machineRow);
  await page.waitForURL(/\/machines\/console-hello(\?|$)/);
  await page.locator('[data-testid=tab-executions]').click();
  const execRow = page.locator(`[data-testid=execution-row][data-id="${x.hello.id}"]`);
  await execRow.waitFor();
  assert.equal(await execRow.getAttribute('data-status'), 'SUCCEEDED');
  await open(execRow);
  await page.waitForURL((u) => decodeURIComponent(u.pathname) === `/executions/${x.hello.id}`);
  await expectStatus(page, 'SUCCEEDED');
  for (const state of ['Greet', 'Done']) {
    const node = page.locator(`[data-testid=execution-graph] svg [data-state="${state}"]`);
    await node.waitFor();
    assert.match(await node.getAttribute('class'), /\bstatus-succeeded\b/i, `${state} is coloured SUCCEEDED`);
    assert.equal(await node.getAttribute('data-visits'), '1', `${state} was visited once`);
  }
  const rows = page.locator('[data-testid=history-row]');
  await rows.first().waitFor();
  const types = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-type')));
  assert.equal(types[0], 'ExecutionStarted');
  assert.equal(types.at(-1), 'ExecutionSucceeded');
});

scenario('a failed execution: jump to the first failure', async (page) => {
  const states = await server.api(`/api/executions/${x.fail.id}/states`);
  assert.ok(states.firstFailureEventId, '/states names the first failure');
  await page.goto(execUrl(x.fail.id));
  await expectStatus(page, 'FAILED');
  const reserve = page.locator('[data-testid=execution-graph] svg [data-state="Reserve"]');
  await reserve.waitFor();
  assert.match(await reserve.getAttribute('class'), /\bstatus-failed\b/i);
  await page.locator('[data-testid=jump-failure]').click();
  await waitUntil(async () => (await page.locator('[data-testid=history-row][aria-selected=true]').count()) === 1,
    'a selected history row after jump-failure');
  const selected = await selectedEvent(page);
  assert.equal(selected.id, states.firstFailureEventId, 'the first failure event is selected');
  assert.match(selected.type, /Failed$/);
  const panel = page.locator('[data-testid=state-panel]');
  await panel.waitFor();
  assert.match(await text(page.locator('[data-testid=error-name]').first()), /OutOfStock/);
  assert.match(await text(page.locator('[data-testid=error-cause]').first()), /only 2 of A-1 left, 3 asked/);
  await waitUntil(() => new URL(page.url()).searchParams.get('event') === String(selected.id),
    `the URL to name event ${selected.id} (${page.url()})`, 3000);
});

scenario('a retried Task: its attempts, errors and back-off', async (page) => {
  await page.goto(execUrl(x.retry.id));
  await expectStatus(page, 'SUCCEEDED');
  const node = page.locator('[data-testid=execution-graph] svg [data-state="Flaky"]');
  await node.waitFor();
  await node.click();
  const panel = page.locator('[data-testid=state-panel]');
  await panel.waitFor();
  await waitUntil(() => new URL(page.url()).searchParams.get('state') === 'Flaky',
    `clicking the node to put state=Flaky in the URL (${page.url()})`, 3000);
  const attempts = panel.locator('[data-testid=attempt]');
  if (!(await attempts.count())) await tabIfPresent(page, 'attempts');
  await attempts.first().waitFor();
  assert.equal(await attempts.count(), 3, 'two failed attempts and the one that succeeded');
  const a1 = await text(panel.locator('[data-testid=attempt][data-attempt="1"]'));
  const a2 = await text(panel.locator('[data-testid=attempt][data-attempt="2"]'));
  const a3 = await text(panel.locator('[data-testid=attempt][data-attempt="3"]'));
  assert.match(a1, /Flaky\.Unavailable/, `attempt 1 shows its error: "${a1}"`);
  assert.match(a1, /attempt 0 of a flaky call/, `attempt 1 shows its cause: "${a1}"`);
  assert.match(a2, /Flaky\.Unavailable/, `attempt 2 shows its error: "${a2}"`);
  // The retrier (Retry[0]) and its back-off: 1 s after the first failure, 1 s × 1.5 after the
  // second (the measured delay may exceed the planned one by a few ms).
  for (const a of [a1, a2]) {
    assert.match(a, /Retrier #0/, `the attempt names the retrier: "${a}"`);
    assert.match(a, /interval 1 s/, `the retrier's interval: "${a}"`);
    assert.match(a, /backoff rate 1\.5/, `the retrier's backoff rate: "${a}"`);
    assert.match(a, /max attempts 3/, `the retrier's max attempts: "${a}"`);
  }
  // The planned back-off exactly; the one taken is at least that (how much more depends on
  // the machine: a sanitizer build is slower).
  const b1 = backoffMs(a1);
  const b2 = backoffMs(a2);
  assert.equal(b1, 1000, `attempt 1 shows a 1 s back-off: ${b1} ms in "${a1}"`);
  assert.equal(b2, 1500, `attempt 2 shows a 1.5 s back-off: ${b2} ms in "${a2}"`);
  for (const [n, planned] of [[1, 1000], [2, 1500]]) {
    const taken = Number(await panel.locator(`[data-testid=attempt][data-attempt="${n}"] .backoff`).getAttribute('data-taken-ms'));
    assert.ok(taken >= planned, `attempt ${n}: the back-off taken (${taken} ms) is at least the planned one`);
  }
  assert.equal(backoffMs(a3), null, `no back-off after the attempt that succeeded: "${a3}"`);
  assert.equal(await panel.locator('[data-testid=attempt][data-attempt="3"]').getAttribute('data-status'), 'SUCCEEDED');
  assert.doesNotMatch(a3, /Flaky\.Unavailable/, `attempt 3 succeeded: "${a3}"`);
});

scenario('the data-flow inspector of a Task', async (page) => {
  await page.goto(execUrl(x.dataflow.id, '?state=PriceLine'));
  const panel = page.locator('[data-testid=state-panel]');
  await panel.waitFor();
  const stages = page.locator('[data-testid=stage]');
  if (!(await stages.count())) {
    await tabIfPresent(page, 'dataflow');
    await tabIfPresent(page, 'data-flow');
  }
  await stages.first().waitFor();
  const names = await stages.evaluateAll((els) => els.map((e) => e.getAttribute('data-stage')));
  assert.deepEqual(names, Object.keys(DATAFLOW_STAGES), 'the stages, in order');
  for (const [name, expected] of Object.entries(DATAFLOW_STAGES)) {
    const value = page.locator(`[data-testid=stage][data-stage="${name}"] [data-testid=stage-value]`).first();
    const raw = await value.textContent();
    let parsed;
    try { parsed = JSON.parse(raw); } catch (e) { assert.fail(`stage ${name}'s value is not JSON text: ${raw}`); }
    assert.deepEqual(parsed, expected, `stage ${name}`);
  }
});

scenario('a Map iteration opened from the explorer', async (page) => {
  await page.goto(execUrl(x.map.id));
  await expectStatus(page, 'SUCCEEDED');
  const fanout = page.locator('[data-testid=execution-graph] svg [data-state="Fanout"]');
  assert.match(await fanout.getAttribute('class'), /\bstatus-succeeded\b/i, 'the Map tolerated its 2 failures');
  await fanout.click();
  await page.locator('[data-testid=state-panel] [data-testid=open-iterations]').click();
  await waitUntil(() => new URL(page.url()).searchParams.get('map') === 'Fanout',
    `map=Fanout in the URL (${page.url()})`, 3000);
  const histogram = page.locator('[data-testid=iteration-histogram]');
  await histogram.waitFor();
  await expectHistogram(histogram, { SUCCEEDED: 6, FAILED: 2 });
  const rows = page.locator('[data-testid=iteration-row]');
  await rows.first().waitFor();
  const seen = await rows.evaluateAll((els) => els.map((e) => [Number(e.dataset.index), e.dataset.status]));
  assert.deepEqual(seen.sort((a, b) => a[0] - b[0]),
    MAP_ITEMS.map((it, i) => [i, it.ok ? 'SUCCEEDED' : 'FAILED']), 'every iteration and its status');
  await open(page.locator('[data-testid=iteration-row][data-index="3"]'));
  await waitUntil(() => new URL(page.url()).searchParams.get('iteration') === '3',
    `iteration=3 in the URL (${page.url()})`, 3000);
  const graph = page.locator('[data-testid=iteration-graph]');
  await graph.waitFor();
  for (const state of ['Check', 'Ship']) {
    const node = graph.locator(`[data-state$="${state}"]`).first();
    await node.waitFor();
    assert.match(await node.getAttribute('class'), /\bstatus-succeeded\b/i, `iteration 3's ${state} succeeded`);
  }
  const broken = graph.locator('[data-state$="Broken"]');
  if (await broken.count()) {
    assert.doesNotMatch(await broken.first().getAttribute('class'), /\bstatus-(succeeded|failed)\b/i,
      'iteration 3 never entered Broken');
  }
});

scenario('live follow of a running execution', async (page) => {
  const live = await server.startExecution('console-live', {}, 'live-1');
  await page.goto(execUrl(live.id));
  await expectStatus(page, 'RUNNING');
  const indicator = page.locator('[data-testid=live-indicator]');
  await waitUntil(async () => (await indicator.getAttribute('data-mode')) === 'live',
    'the live indicator to say live', 5000);
  await page.evaluate(() => { window.__stepflowNoReload = true; });
  const el = page.locator('[data-testid=execution-status]').first();
  await el.waitFor();
  await page.waitForFunction(() => /SUCCEEDED/i.test(
    document.querySelector('[data-testid=execution-status]')?.textContent ?? ''), null, { timeout: 15_000, polling: 50 });
  const shownMs = Date.now();
  const d = await server.describe(live.arn);
  assert.equal(d.status, 'SUCCEEDED');
  const lagMs = shownMs - new Date(d.stopDate * 1000).getTime();
  console.log(`figure: live follow, SUCCEEDED shown ${lagMs} ms after the execution ended`);
  assert.ok(lagMs <= 2000, `the page showed SUCCEEDED ${lagMs} ms after the end (at most 2000)`);
  assert.equal(await page.evaluate(() => window.__stepflowNoReload), true, 'the page was not reloaded');
  const last = page.locator('[data-testid=history-row][data-type=ExecutionSucceeded]');
  await last.waitFor({ timeout: 2000 });
  const after = page.locator('[data-testid=history-row][data-type=PassStateExited]');
  assert.equal(await after.count(), 1, 'the After state\'s exit arrived live');
  await waitUntil(async () => (await indicator.getAttribute('data-mode')) === 'ended',
    'the live indicator to say the stream ended', 3000);
});

scenario('start an execution with input from the machine page', async (page) => {
  await page.goto(url('/machines/console-hello'));
  await page.locator('[data-testid=start-button]').click();
  const editor = page.locator('[data-testid=input-editor]');
  await editor.waitFor();
  await editor.fill('{"name": ');
  const error = page.locator('[data-testid=input-error]');
  await error.waitFor({ state: 'visible' });
  assert.match(await text(error), /Invalid JSON \(line 1, column \d+\)/, 'the input error says where');
  assert.equal(await page.locator('[data-testid=confirm]').isDisabled(), true, 'invalid input cannot be started');
  assert.match(decodeURIComponent(new URL(page.url()).pathname), /^\/machines\/console-hello$/, 'invalid input starts nothing');
  const name = `from-browser-${Date.now()}`;
  await editor.fill('{"name": "browser-7"}');
  const nameInput = page.locator('[data-testid=name-input]');
  if (await nameInput.count()) await nameInput.fill(name);
  await page.locator('[data-testid=confirm]').click();
  await page.waitForURL((u) => decodeURIComponent(u.pathname).startsWith('/executions/console-hello:'));
  const id = decodeURIComponent(new URL(page.url()).pathname).slice('/executions/'.length);
  if (await nameInput.count()) assert.equal(id, `console-hello:${name}`, 'the execution has the name typed');
  await expectStatus(page, 'SUCCEEDED');
  const desc = await server.describe(`arn:aws:states:us-east-1:123456789012:execution:${id}`);
  assert.deepEqual(JSON.parse(desc.input), { name: 'browser-7' });
  await page.locator('[data-testid=tab-io]').click();
  const shownInput = page.locator('[data-testid=execution-input]');
  await shownInput.waitFor();
  await waitUntil(async () => (await shownInput.textContent()).includes('"browser-7"'),
    'the new execution\'s input shown on its page', 5000);
});

scenario('stop a running execution', async (page) => {
  const long = await server.startExecution('console-long', {}, 'long-1');
  await page.goto(execUrl(long.id));
  await expectStatus(page, 'RUNNING');
  await page.locator('[data-testid=stop-button]').click();
  await page.locator('[data-testid=confirm]').click();
  await expectStatus(page, 'ABORTED');
  assert.equal((await server.describe(long.arn)).status, 'ABORTED');
  await page.locator('[data-testid=history-row][data-type=ExecutionAborted]').waitFor();
  const hold = page.locator('[data-testid=execution-graph] svg [data-state="Hold"]');
  assert.match(await hold.getAttribute('class'), /\bstatus-aborted\b/i, 'Hold is coloured ABORTED');
});

scenario('redrive a failed execution', async (page) => {
  await page.goto(execUrl(x.gate.id));
  await expectStatus(page, 'FAILED');
  writeFileSync(join(gateDir, 'open'), 'open\n'); // what made Gate fail is fixed
  await page.locator('[data-testid=redrive-button]').click();
  const confirm = page.locator('[data-testid=confirm]');
  try { await confirm.waitFor({ timeout: 2000 }); await confirm.click(); } catch { /* no confirmation asked */ }
  await expectStatus(page, 'SUCCEEDED', 20_000);
  const d = await server.describe(x.gate.arn);
  assert.equal(d.status, 'SUCCEEDED');
  assert.equal(d.redriveCount, 1);
  const summary = await server.api(`/api/executions/${x.gate.id}`);
  assert.equal(summary.redriveCount, 1, '/api/ shows redriveCount 1');
  await page.locator('[data-testid=history-row][data-type=ExecutionRedriven]').waitFor();
  const count = page.locator('[data-testid=redrive-count]');
  await waitUntil(async () => /(^|\D)1(\D|$)/.test(await count.textContent()),
    'the redrive count, 1, in the header', 5000).catch(async (e) => {
    throw new Error(`${e.message}; it shows "${await count.textContent().catch(() => '(nothing)')}"`);
  });
  const actionError = page.locator('[data-testid=action-error]');
  if (await actionError.count()) assert.equal(await actionError.first().isVisible(), false, 'no action error');
});

scenario('a deep link survives a reload', async (page) => {
  const states = await server.api(`/api/executions/${x.dataflow.id}/states`);
  const event = states.states.PriceLine.lastEventId;
  assert.ok(event, '/states has PriceLine\'s last event');
  const check = async (when) => {
    const selected = await selectedEvent(page);
    assert.equal(selected.id, event, `${when}: event ${event} is selected`);
    const panel = page.locator('[data-testid=state-panel]');
    await panel.waitFor();
    assert.match(await text(panel), /PriceLine/, `${when}: the state panel shows PriceLine`);
    const params = new URL(page.url()).searchParams;
    assert.equal(params.get('state'), 'PriceLine', `${when}: the URL keeps the state`);
    assert.equal(params.get('event'), String(event), `${when}: the URL keeps the event`);
  };
  await page.goto(execUrl(x.dataflow.id, `?state=PriceLine&event=${event}`));
  await check('after opening the link');
  await page.reload();
  await check('after the reload');
});

scenario('a trigger: its next fire times, a run now, pause and unpause', async (page) => {
  const r = await fetch(url('/api/triggers?create=true'), {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'console-nightly', machine: 'console-hello',
      schedule: { expression: 'cron(0 2 * * ? *)', timezone: 'Europe/Berlin' }, input: { name: 'Night' } }),
  });
  assert.equal(r.status, 201, await r.text());
  await page.goto(url('/triggers'));
  const row = page.locator('[data-testid=trigger-row][data-name="console-nightly"]');
  await row.waitFor();
  await open(row);
  await page.waitForURL(/\/triggers\/console-nightly$/);
  const times = page.locator('[data-testid=next-fire-times] li');
  await times.first().waitFor();
  assert.equal(await times.count(), 10, 'the next ten fire times');
  await page.locator('[data-testid=trigger-pause]').click();
  await page.locator('[data-testid=trigger-unpause]').waitFor();
  assert.equal(await page.locator('[data-testid=next-fire-times]').count(), 0, 'a paused trigger has no fire times');
  await page.locator('[data-testid=trigger-unpause]').click();
  await page.locator('[data-testid=trigger-pause]').waitFor();
  await page.locator('[data-testid=trigger-run]').click();
  await page.waitForURL(/\/executions\/console-hello(%3A|:)console-nightly-manual-/);
  await expectStatus(page, 'SUCCEEDED');
  await page.goto(url('/triggers/console-nightly'));
  const occurrence = page.locator('[data-testid=occurrences-table] [data-testid=occurrence-outcome]');
  await occurrence.first().waitFor();
  assert.equal(await occurrence.first().textContent(), 'STARTED');
});

scenario('dark mode', async (page, { shot }) => {
  await page.goto(url('/'));
  await page.locator('[data-testid=machine-row]').first().waitFor();
  const toggle = page.locator('[data-testid=theme-toggle]');
  for (let i = 0; i < 3; i++) {
    if ((await page.getAttribute('html', 'data-theme')) === 'dark') break;
    await toggle.click();
    await sleep(100);
  }
  assert.equal(await page.getAttribute('html', 'data-theme'), 'dark', 'the toggle reaches the dark theme');
  await sleep(300); // past any colour transition
  await shot('dark');
  const { colour, luminance } = await page.evaluate(() => {
    const parse = (c) => (c.match(/[\d.]+/g) || []).map(Number);
    let [r, g, b, a = 1] = parse(getComputedStyle(document.body).backgroundColor);
    if (a === 0) [r, g, b] = parse(getComputedStyle(document.documentElement).backgroundColor);
    const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return { colour: `rgb(${r}, ${g}, ${b})`, luminance: 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b) };
  });
  console.log(`figure: dark theme body background ${colour}, relative luminance ${luminance.toFixed(3)}`);
  assert.ok(luminance < 0.1, `the dark background is dark: ${colour}, luminance ${luminance}`);
  await page.reload();
  await page.locator('[data-testid=machine-row]').first().waitFor();
  assert.equal(await page.getAttribute('html', 'data-theme'), 'dark', 'the theme is kept across a reload');
});

// The first meaningful paint of the page just opened: the mark's startTime (ms after navigation).
async function paintMark(page, mark) {
  const handle = await page.waitForFunction((m) => performance.getEntriesByName(m)[0]?.startTime ?? false,
    mark, { timeout: 30_000, polling: 50 });
  return Math.round(await handle.jsonValue());
}

function reportPaint(what, ms) {
  console.log(`figure: ${what} painted in ${ms} ms`);
  if (STRICT_PERF) assert.ok(ms <= PAINT_BUDGET_MS, `${what}: ${ms} ms > ${PAINT_BUDGET_MS} ms`);
}

scenario('scale: 25,000 history events and a 10,000-iteration Map', async (page, { shot }) => {
  const summary = await server.api(`/api/executions/${x.scaleHistory.id}`);
  const lastEventId = summary.lastEventId;
  assert.ok(lastEventId >= 25_000, `the fixture has ${lastEventId} events`);

  await page.goto(execUrl(x.scaleHistory.id));
  reportPaint(`execution of ${lastEventId} events`, await paintMark(page, 'stepflow:painted'));
  await expectStatus(page, 'SUCCEEDED');
  await tabIfPresent(page, 'history');
  const rows = page.locator('[data-testid=history-row]');
  await rows.first().waitFor();
  let maxRows = await rows.count();
  // Scrolls the history's scrolling box to its end until the last event's row is there.
  const t0 = Date.now();
  const deadline = t0 + 30_000;
  for (;;) {
    const reached = await page.evaluate((last) => {
      const box = document.querySelector('[data-testid=history]'); // the virtualised viewport
      box.scrollTop = box.scrollHeight;
      box.dispatchEvent(new Event('scroll'));
      return !!document.querySelector(`[data-testid=history-row][data-event-id="${last}"]`);
    }, lastEventId);
    maxRows = Math.max(maxRows, await rows.count());
    if (reached) break;
    if (Date.now() > deadline) assert.fail(`the last event's row (${lastEventId}) never appeared when scrolling the history to its end`);
    await sleep(100);
  }
  const scrollMs = Date.now() - t0;
  await sleep(200);
  maxRows = Math.max(maxRows, await rows.count());
  console.log(`figure: history scrolled to event ${lastEventId} in ${scrollMs} ms; at most ${maxRows} history rows in the DOM`);
  await shot('history-end');
  assert.ok(maxRows < MAX_DOM_ROWS, `the history is virtualised: ${maxRows} rows in the DOM`);
  assert.ok(await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(true)))), 'the page still paints');

  await page.goto(execUrl(x.scaleMap.id, '?map=Fan'));
  reportPaint(`iteration explorer of ${SCALE_MAP_ITEMS} iterations`, await paintMark(page, 'stepflow:iterations-painted'));
  const histogram = page.locator('[data-testid=iteration-histogram]');
  await histogram.waitFor();
  await expectHistogram(histogram, { SUCCEEDED: SCALE_MAP_ITEMS });
  const iterationRows = await page.locator('[data-testid=iteration-row]').count();
  console.log(`figure: ${iterationRows} iteration rows in the DOM for ${SCALE_MAP_ITEMS} iterations`);
  assert.ok(iterationRows > 0 && iterationRows < MAX_DOM_ROWS, `the iteration list is paged or virtualised: ${iterationRows} rows`);

  await page.goto(execUrl(x.scaleMap.id));
  reportPaint(`execution of ${SCALE_MAP_ITEMS} iterations`, await paintMark(page, 'stepflow:painted'));
}, { timeout: 120_000 });
