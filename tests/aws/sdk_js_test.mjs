// The AWS SDK for JavaScript v3 (@aws-sdk/client-sfn, pinned by tools/aws-sdk/package-lock.json)
// against a real `stepflow server --http`.
//
//   node tests/aws/sdk_js_test.mjs --stepflow build/engine/stepflow [--sdk DIR] [--only SUBSTRING]
//
// DIR is where tools/aws_sdk_js.sh installed the package (its node_modules/@aws-sdk/client-sfn);
// without --sdk (or $STEPFLOW_AWS_SDK_DIR) this script runs tools/aws_sdk_js.sh itself. Without the
// package: exit 77 (skipped), unless CI=true, where that is a failure. tests/aws/sdk_js_test.sh
// is the ctest entry (it also checks Node). Exit 0 all passed, 1 a test failed.
//
// The JS SDK reads an error's name from the X-Amzn-Errortype header and parses every timestamp
// as a JSON number (a string fails the call), so it checks what boto3 does not.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const ARN = `arn:aws:states:${REGION}:${ACCOUNT}`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/stepflow-test`;
const START_TIMEOUT_MS = 30_000;

function arg(name) {
  const i = process.argv.indexOf(name);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(name + '='));
  return eq ? eq.slice(name.length + 1) : undefined;
}

function missing(why) {
  if (process.env.CI === 'true') {
    console.error(`sdk_js_test: FAILED: ${why} (CI=true: this test must run)`);
    process.exit(1);
  }
  console.error(`sdk_js_test: SKIPPED: ${why}`);
  process.exit(77);
}

function sdkDir() {
  const given = arg('--sdk') || process.env.STEPFLOW_AWS_SDK_DIR;
  if (given) return given;
  try {
    return execFileSync('bash', [path.join(root, 'tools', 'aws_sdk_js.sh')], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 300_000,
    }).trim();
  } catch (e) {
    missing(`@aws-sdk/client-sfn could not be installed (tools/aws_sdk_js.sh: ${e.status ?? e.message})`);
  }
}

const dir = sdkDir();
let sfn;
try {
  sfn = createRequire(path.join(dir, 'package.json'))('@aws-sdk/client-sfn');
} catch (e) {
  missing(`@aws-sdk/client-sfn is not installed in ${dir}: ${e.message}`);
}

// --- the server ---------------------------------------------------------------------------------

async function startServer(binary) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-aws-js-'));
  const stderrPath = path.join(tmp, 'server.stderr');
  const errFd = fs.openSync(stderrPath, 'w');
  const child = spawn(binary, ['server', '--db', path.join(tmp, 's.db'), '--listen', '127.0.0.1:0',
    '--http', '127.0.0.1:0', '--data-dir', path.join(tmp, 'data'), '--log-level', 'warn'],
  { cwd: tmp, stdio: ['ignore', 'pipe', errFd] });
  fs.closeSync(errFd);
  const server = {
    child, tmp, endpoint: null, grpc: null,
    tail() {
      try { return fs.readFileSync(stderrPath, 'utf8').split('\n').slice(-40).join('\n'); } catch { return ''; }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(t);
      }
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
  const lines = [];
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(
      `no listening lines within ${START_TIMEOUT_MS / 1000} s; stdout: ${JSON.stringify(lines)}; stderr:\n${server.tail()}`)),
    START_TIMEOUT_MS);
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code ?? sig}) before listening; stderr:\n${server.tail()}`));
    });
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      let m = /^stepflow server listening on (127\.0\.0\.1:\d+)$/.exec(line);
      if (m) server.grpc = m[1];
      m = /^stepflow http listening on (127\.0\.0\.1:\d+)$/.exec(line);
      if (m) server.endpoint = `http://${m[1]}`;
      if (server.grpc && server.endpoint) { clearTimeout(timer); resolve(); }
    });
  }).catch(async (e) => { await server.stop(); throw e; });
  child.removeAllListeners('exit');
  return server;
}

// --- assertions ---------------------------------------------------------------------------------

class Failure extends Error {}
function fail(msg) { throw new Failure(msg); }
function show(v) { return JSON.stringify(v, (k, x) => (typeof x === 'bigint' ? String(x) : x)); }
function eq(got, want, what) {
  if (show(got) !== show(want)) fail(`${what}: expected ${show(want)}, got ${show(got)}`);
}
function ok(cond, what) { if (!cond) fail(what); }
function recent(d, what) {
  ok(d instanceof Date && !Number.isNaN(d.getTime()), `${what}: not a Date: ${show(d)}`);
  ok(Math.abs(Date.now() - d.getTime()) < 600_000, `${what}: ${d.toISOString()} is not about now`);
}
function parsed(s, what) {
  try { return JSON.parse(s); } catch { fail(`${what}: not JSON: ${show(s)}`); }
}

let client;
let counter = 0;
const unique = (p) => `${p}-${++counter}-${Math.random().toString(16).slice(2, 8)}`;
const send = (Command, input) => client.send(new Command(input));

async function expectError(name, Command, input) {
  let result;
  try {
    result = await send(Command, input);
  } catch (e) {
    if (e instanceof Failure) throw e;
    eq(e.name, name, `${Command.name}(${show(input).slice(0, 200)}) error name (message: ${e.message})`);
    eq(e.$metadata?.httpStatusCode, 400, `${name}: HTTP status`);
    eq(e.$fault, 'client', `${name}: $fault`);
    ok(e.message && e.message !== 'UnknownError', `${name}: no message: ${show(e)}`);
    ok(e.$metadata?.requestId, `${name}: no x-amzn-RequestId`);
    if (sfn[name]) ok(e instanceof sfn[name], `${name}: not an instance of the SDK's ${name} class`);
    return e;
  }
  fail(`${Command.name}(${show(input).slice(0, 200)}): expected ${name}, but it succeeded: ${show(result)}`);
}

async function waitFor(what, fn, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) fail(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${show(last)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitStatus(executionArn, status) {
  let d;
  await waitFor(`${executionArn} to be ${status}`, async () => {
    d = await send(sfn.DescribeExecutionCommand, { executionArn });
    return d.status === status;
  }).catch((e) => { throw new Failure(`${e.message}; last description: ${show(d)}`); });
  return d;
}

async function history(executionArn, extra = {}, pageSize = undefined) {
  const events = [];
  for await (const page of sfn.paginateGetExecutionHistory({ client, pageSize }, { executionArn, ...extra })) {
    events.push(...page.events);
  }
  return events;
}

const PASS = JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', Result: { ok: true }, ResultPath: '$.r', End: true } } });
const FAIL = JSON.stringify({ StartAt: 'F', States: { F: { Type: 'Fail', Error: 'Oops', Cause: 'it broke' } } });
const WAIT = JSON.stringify({ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 3600, End: true } } });
const activityDefinition = (arn) => JSON.stringify({ StartAt: 'Work', States: { Work: { Type: 'Task', Resource: arn, End: true } } });

async function createMachine(definition = PASS, extra = {}) {
  const name = extra.name ?? unique('m');
  const r = await send(sfn.CreateStateMachineCommand, { name, definition, roleArn: ROLE, ...extra });
  eq(r.stateMachineArn, `${ARN}:stateMachine:${name}`, 'stateMachineArn');
  return r.stateMachineArn;
}

// --- tests --------------------------------------------------------------------------------------

const tests = [];
const test = (name, fn) => tests.push([name, fn]);

test('create, describe, list state machines in pages', async () => {
  const name = unique('machine');
  const r = await send(sfn.CreateStateMachineCommand, { name, definition: PASS, roleArn: ROLE });
  recent(r.creationDate, 'creationDate');
  eq(r.$metadata.httpStatusCode, 200, 'HTTP status');
  ok(r.$metadata.requestId, 'x-amzn-RequestId');
  const again = await send(sfn.CreateStateMachineCommand, { name, definition: PASS, roleArn: ROLE });
  eq(again.stateMachineArn, r.stateMachineArn, 'idempotent create');
  await expectError('StateMachineAlreadyExists', sfn.CreateStateMachineCommand, { name, definition: FAIL, roleArn: ROLE });
  const d = await send(sfn.DescribeStateMachineCommand, { stateMachineArn: r.stateMachineArn });
  eq([d.name, d.type, d.status], [name, 'STANDARD', 'ACTIVE'], 'description');
  eq(parsed(d.definition, 'definition'), JSON.parse(PASS), 'definition');
  eq(d.creationDate.getTime(), r.creationDate.getTime(), 'creationDate');
  for (let i = 0; i < 4; i++) await createMachine();
  const pages = [];
  for await (const p of sfn.paginateListStateMachines({ client, pageSize: 2 }, {})) pages.push(p);
  ok(pages.length > 2, `pages of 2: ${pages.length}`);
  const arns = pages.flatMap((p) => p.stateMachines.map((m) => m.stateMachineArn));
  eq(arns.length, new Set(arns).size, 'no machine listed twice');
  ok(arns.includes(r.stateMachineArn), 'the machine is listed');
  const listed = pages.flatMap((p) => p.stateMachines).find((m) => m.name === name);
  eq(listed.type, 'STANDARD', 'listed type');
  recent(listed.creationDate, 'listed creationDate');
  // Known stepflow gap (reported, issue 13): roleArn is answered as a fixed role/stepflow.
  eq(d.roleArn, ROLE, 'roleArn');
});

test('start the same name twice, describe, list executions newest first in pages', async () => {
  const arn = await createMachine(WAIT);
  const name = unique('exec');
  const r1 = await send(sfn.StartExecutionCommand, { stateMachineArn: arn, name, input: '{"a":1}' });
  eq(r1.executionArn, `${ARN}:execution:${arn.split(':').pop()}:${name}`, 'executionArn');
  recent(r1.startDate, 'startDate');
  const r2 = await send(sfn.StartExecutionCommand, { stateMachineArn: arn, name, input: '{"a":1}' });
  eq(r2.executionArn, r1.executionArn, 'the same name and input while RUNNING');
  eq(r2.startDate.getTime(), r1.startDate.getTime(), 'the same startDate');
  await expectError('ExecutionAlreadyExists', sfn.StartExecutionCommand, { stateMachineArn: arn, name, input: '{"a":2}' });
  const d = await send(sfn.DescribeExecutionCommand, { executionArn: r1.executionArn });
  eq([d.status, d.name, d.stateMachineArn], ['RUNNING', name, arn], 'description');
  eq(parsed(d.input, 'input'), { a: 1 }, 'input');
  const started = [r1.executionArn];
  for (let i = 0; i < 4; i++) {
    started.push((await send(sfn.StartExecutionCommand, { stateMachineArn: arn, name: `${name}-${i}` })).executionArn);
  }
  const pages = [];
  for await (const p of sfn.paginateListExecutions({ client, pageSize: 2 }, { stateMachineArn: arn })) pages.push(p);
  eq(pages.length, 3, 'pages of 2 for 5 executions');
  eq(pages.flatMap((p) => p.executions.map((e) => e.executionArn)), [...started].reverse(), 'newest first');
  const e0 = pages.at(-1).executions.at(-1);
  eq([e0.status, e0.stateMachineArn, e0.name], ['RUNNING', arn, name], 'listed execution');
  recent(e0.startDate, 'listed startDate');
  const stop = await send(sfn.StopExecutionCommand, { executionArn: r1.executionArn, error: 'E', cause: 'C' });
  recent(stop.stopDate, 'stopDate');
  const aborted = await send(sfn.ListExecutionsCommand, { stateMachineArn: arn, statusFilter: 'ABORTED' });
  eq(aborted.executions.map((e) => e.executionArn), [r1.executionArn], 'statusFilter ABORTED');
  for (const ex of started.slice(1)) await send(sfn.StopExecutionCommand, { executionArn: ex });
});

test('history in pages, reverse, without data', async () => {
  const states = {};
  for (let i = 0; i < 5; i++) states[`S${i}`] = i < 4 ? { Type: 'Pass', Next: `S${i + 1}` } : { Type: 'Pass', End: true };
  const arn = await createMachine(JSON.stringify({ StartAt: 'S0', States: states }));
  const { executionArn } = await send(sfn.StartExecutionCommand, { stateMachineArn: arn, input: '{"h":true}' });
  const d = await waitStatus(executionArn, 'SUCCEEDED');
  eq(parsed(d.output, 'output'), { h: true }, 'output');
  recent(d.stopDate, 'stopDate');
  const whole = await send(sfn.GetExecutionHistoryCommand, { executionArn, maxResults: 1000 });
  const events = whole.events;
  eq(events.map((e) => e.id), Array.from({ length: 12 }, (_, i) => i + 1), 'event ids');
  eq(events[0].type, 'ExecutionStarted', 'first event');
  eq(events.at(-1).type, 'ExecutionSucceeded', 'last event');
  for (const e of events) {
    recent(e.timestamp, `event ${e.id} timestamp`);
    ok(typeof e.previousEventId === 'number' && e.previousEventId < e.id, `previousEventId of ${show(e)}`);
  }
  eq(parsed(events[0].executionStartedEventDetails.input, 'input'), { h: true }, 'ExecutionStarted input');
  eq(events[1].stateEnteredEventDetails.name, 'S0', 'PassStateEntered name');
  eq(events[2].stateExitedEventDetails.name, 'S0', 'PassStateExited name');
  eq(await history(executionArn, {}, 5), events, 'pages of 5');
  eq(await history(executionArn, { reverseOrder: true }, 5), [...events].reverse(), 'reverse order');
  for (const e of await history(executionArn, { includeExecutionData: false })) {
    for (const [k, v] of Object.entries(e)) {
      if (k.endsWith('EventDetails')) ok(!('input' in v) && !('output' in v), `includeExecutionData=false: ${show(e)}`);
    }
  }
  const sm = await send(sfn.DescribeStateMachineForExecutionCommand, { executionArn });
  eq(sm.stateMachineArn, arn, 'DescribeStateMachineForExecution stateMachineArn');
  eq(parsed(sm.definition, 'definition'), JSON.parse(JSON.stringify({ StartAt: 'S0', States: states })), 'its definition');
  recent(sm.updateDate, 'updateDate');
});

test('a failing execution redriven to success, an activity round trip', async () => {
  const actName = unique('act');
  const act = await send(sfn.CreateActivityCommand, { name: actName });
  eq(act.activityArn, `${ARN}:activity:${actName}`, 'activityArn');
  recent(act.creationDate, 'creationDate');
  const da = await send(sfn.DescribeActivityCommand, { activityArn: act.activityArn });
  eq(da.name, actName, 'DescribeActivity name');
  const acts = await send(sfn.ListActivitiesCommand, {});
  ok(acts.activities.some((a) => a.activityArn === act.activityArn), 'ListActivities lists it');
  const arn = await createMachine(activityDefinition(act.activityArn));
  const { executionArn } = await send(sfn.StartExecutionCommand, { stateMachineArn: arn, input: '{"job":1}' });
  await waitFor('ActivityScheduled', async () => (await history(executionArn)).some((e) => e.type === 'ActivityScheduled'));
  let task = await send(sfn.GetActivityTaskCommand, { activityArn: act.activityArn, workerName: 'js' });
  ok(task.taskToken, `a task token: ${show(task)}`);
  eq(parsed(task.input, 'task input'), { job: 1 }, 'task input');
  await send(sfn.SendTaskHeartbeatCommand, { taskToken: task.taskToken });
  await send(sfn.SendTaskFailureCommand, { taskToken: task.taskToken, error: 'Boom', cause: 'first' });
  let d = await waitStatus(executionArn, 'FAILED');
  eq([d.error, d.cause, d.redriveCount, d.redriveStatus], ['Boom', 'first', 0, 'REDRIVABLE'], 'failed execution');
  const r = await send(sfn.RedriveExecutionCommand, { executionArn });  // the SDK fills clientToken
  recent(r.redriveDate, 'redriveDate');
  await waitFor('the activity again', async () => (await history(executionArn)).filter((e) => e.type === 'ActivityScheduled').length === 2);
  task = await send(sfn.GetActivityTaskCommand, { activityArn: act.activityArn, workerName: 'js' });
  await expectError('InvalidOutput', sfn.SendTaskSuccessCommand, { taskToken: task.taskToken, output: 'nope' });
  await send(sfn.SendTaskSuccessCommand, { taskToken: task.taskToken, output: '{"done":1}' });
  d = await waitStatus(executionArn, 'SUCCEEDED');
  eq(parsed(d.output, 'output'), { done: 1 }, 'output');
  eq([d.redriveCount, d.redriveStatus], [1, 'NOT_REDRIVABLE'], 'redrive fields');
  recent(d.redriveDate, 'redriveDate');
  const events = await history(executionArn);
  const redriven = events.find((e) => e.type === 'ExecutionRedriven');
  eq(redriven?.executionRedrivenEventDetails, { redriveCount: 1 }, 'ExecutionRedriven details');
  eq(events.find((e) => e.type === 'ActivityStarted')?.activityStartedEventDetails, { workerName: 'js' }, 'ActivityStarted');
  await expectError('ExecutionNotRedrivable', sfn.RedriveExecutionCommand, { executionArn });
  await send(sfn.DeleteActivityCommand, { activityArn: act.activityArn });
  await expectError('ActivityDoesNotExist', sfn.DescribeActivityCommand, { activityArn: act.activityArn });
});

test('start-sync: success and failure', async () => {
  const okArn = await createMachine(PASS, { type: 'EXPRESS' });
  const r = await send(sfn.StartSyncExecutionCommand, { stateMachineArn: okArn, input: '{"s":1}' });
  eq(r.status, 'SUCCEEDED', `status (${show(r)})`);
  eq(parsed(r.output, 'output'), { s: 1, r: { ok: true } }, 'output');
  recent(r.startDate, 'startDate');
  recent(r.stopDate, 'stopDate');
  const badArn = await createMachine(FAIL, { type: 'EXPRESS' });
  const f = await send(sfn.StartSyncExecutionCommand, { stateMachineArn: badArn });
  eq([f.status, f.error, f.cause], ['FAILED', 'Oops', 'it broke'], 'failed sync execution');
  await expectError('StateMachineDoesNotExist', sfn.StartSyncExecutionCommand, { stateMachineArn: `${ARN}:stateMachine:absent` });
  // Known stepflow gap (reported, issue 13): the type is not kept (always STANDARD).
  eq((await send(sfn.DescribeStateMachineCommand, { stateMachineArn: okArn })).type, 'EXPRESS', 'the type created');
});

test('tags, versions, validate', async () => {
  const name = unique('v');
  const base = `${ARN}:stateMachine:${name}`;
  const c = await send(sfn.CreateStateMachineCommand, { name, definition: PASS, roleArn: ROLE, publish: true, tags: [{ key: 'a', value: '1' }] });
  eq(c.stateMachineVersionArn, `${base}:1`, 'published version');
  const u = await send(sfn.UpdateStateMachineCommand, { stateMachineArn: base, definition: FAIL, publish: true });
  eq(u.stateMachineVersionArn, `${base}:2`, 'updated version');
  recent(u.updateDate, 'updateDate');
  const v1 = await send(sfn.DescribeStateMachineCommand, { stateMachineArn: `${base}:1` });
  eq(parsed(v1.definition, 'definition'), JSON.parse(PASS), 'version 1 definition');
  const versions = await send(sfn.ListStateMachineVersionsCommand, { stateMachineArn: base });
  eq(versions.stateMachineVersions.map((v) => v.stateMachineVersionArn), [`${base}:2`, `${base}:1`], 'versions');
  const p = await send(sfn.PublishStateMachineVersionCommand, { stateMachineArn: base });
  eq(p.stateMachineVersionArn, `${base}:2`, 'publishing an unchanged machine');
  await send(sfn.TagResourceCommand, { resourceArn: base, tags: [{ key: 'b', value: '2' }] });
  let tags = (await send(sfn.ListTagsForResourceCommand, { resourceArn: base })).tags;
  eq(tags.map((t) => `${t.key}=${t.value}`).sort(), ['a=1', 'b=2'], 'tags');
  await send(sfn.UntagResourceCommand, { resourceArn: base, tagKeys: ['a'] });
  tags = (await send(sfn.ListTagsForResourceCommand, { resourceArn: base })).tags;
  eq(tags, [{ key: 'b', value: '2' }], 'tags after untag');
  await expectError('TooManyTags', sfn.TagResourceCommand, { resourceArn: base, tags: Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: 'v' })) });
  await expectError('ResourceNotFound', sfn.ListTagsForResourceCommand, { resourceArn: `${ARN}:stateMachine:absent` });
  const good = await send(sfn.ValidateStateMachineDefinitionCommand, { definition: PASS });
  eq([good.result, good.diagnostics], ['OK', []], 'validate OK');
  const bad = await send(sfn.ValidateStateMachineDefinitionCommand, { definition: '{"StartAt":"X","States":{}}' });
  eq(bad.result, 'FAIL', 'validate FAIL');
  ok(bad.diagnostics.length > 0 && bad.diagnostics.every((x) => x.severity && x.code && x.message), `diagnostics: ${show(bad.diagnostics)}`);
});

test('errors by name, from the header', async () => {
  const arn = await createMachine();
  const machine = arn.split(':').pop();
  await expectError('ExecutionDoesNotExist', sfn.DescribeExecutionCommand, { executionArn: `${ARN}:execution:${machine}:absent` });
  await expectError('StateMachineDoesNotExist', sfn.DescribeStateMachineCommand, { stateMachineArn: `${ARN}:stateMachine:absent-js` });
  await expectError('InvalidArn', sfn.DescribeExecutionCommand, { executionArn: arn });
  await expectError('InvalidArn', sfn.DescribeStateMachineCommand, { stateMachineArn: 'nope' });
  await expectError('InvalidDefinition', sfn.CreateStateMachineCommand, { name: unique('bad'), definition: '{"StartAt":"X","States":{}}', roleArn: ROLE });
  await expectError('InvalidName', sfn.CreateStateMachineCommand, { name: 'bad name', definition: PASS, roleArn: ROLE });
  await expectError('InvalidName', sfn.StartExecutionCommand, { stateMachineArn: arn, name: 'a*b' });
  await expectError('InvalidExecutionInput', sfn.StartExecutionCommand, { stateMachineArn: arn, input: '{' });
  await expectError('InvalidToken', sfn.SendTaskSuccessCommand, { taskToken: 'nope', output: '{}' });
  await expectError('InvalidToken', sfn.ListExecutionsCommand, { stateMachineArn: arn, nextToken: 'nope' });
  await expectError('MissingRequiredParameter', sfn.UpdateStateMachineCommand, { stateMachineArn: arn });
  await expectError('ValidationException', sfn.ListExecutionsCommand, { stateMachineArn: arn, maxResults: 1001 });
  await expectError('ActivityDoesNotExist', sfn.DescribeActivityCommand, { activityArn: `${ARN}:activity:absent-js` });
  const { executionArn } = await send(sfn.StartExecutionCommand, { stateMachineArn: arn });
  await waitStatus(executionArn, 'SUCCEEDED');
  await expectError('ExecutionNotRedrivable', sfn.RedriveExecutionCommand, { executionArn });
  // Operations of the API that stepflow does not offer: the name is UnknownOperationException.
  const e = await expectError('UnknownOperationException', sfn.ListStateMachineAliasesCommand, { stateMachineArn: arn });
  ok(e.message.includes('ListStateMachineAliases'), `the message names the operation: ${e.message}`);
  await expectError('UnknownOperationException', sfn.TestStateCommand, { definition: PASS, roleArn: ROLE });
});

// --- main ---------------------------------------------------------------------------------------

const binary = path.resolve(arg('--stepflow') || process.env.STEPFLOW_BIN || path.join(root, 'build', 'engine', 'stepflow'));
const only = arg('--only');
let server;
try {
  server = await startServer(binary);
} catch (e) {
  console.error(`sdk_js_test: FAILED to start the server: ${e.message}`);
  process.exit(1);
}
// The pinned SDK runs on Node 20; its notice about later versions needing Node 22 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
client = new sfn.SFNClient({
  endpoint: server.endpoint,
  region: REGION,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  disableHostPrefix: true,  // StartSyncExecution's "sync-" host prefix, with a custom endpoint
  maxAttempts: 1,
});
let failed = 0;
let ran = 0;
for (const [name, fn] of tests) {
  if (only && !name.includes(only)) continue;
  ran++;
  const t0 = Date.now();
  try {
    await fn();
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e instanceof Failure ? e.message : `${e.name}: ${e.message}\n${e.stack}`}`);
  }
}
const alive = server.child.exitCode === null && server.child.signalCode === null;
if (failed || !alive) console.error(`--- server stderr (last lines) ---\n${server.tail()}`);
if (!alive) console.error('sdk_js_test: the server died during the tests');
client.destroy();
await server.stop();
const sdkVersion = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', '@aws-sdk', 'client-sfn', 'package.json'), 'utf8')).version;
console.log(`${ran - failed}/${ran} passed (@aws-sdk/client-sfn ${sdkVersion})`);
process.exit(failed || !alive ? 1 : 0);
