// The console tests' harness: a real `stepflow server` on 127.0.0.1 with OS-chosen ports, a
// temporary database and data directory, the fixture functions deployed into it, and small
// clients of the Step Functions HTTP API and of the console's /api/. Also the browser
// (Debian's chromium, driven by playwright-core) and the screenshots directory.
//
//   const server = await startServer();         // server.http "http://127.0.0.1:Q", server.grpc
//   await server.deployFunction('price', dir);  // `stepflow functions deploy`
//   await server.createMachine('m', definition);
//   const x = await server.startExecution('m', input);   // {arn, id}
//   await server.waitForStatus(x.arn, ['SUCCEEDED']);
//   await server.stop();                        // SIGTERM, then SIGKILL; removes its directory
//
// Every wait is bounded and names what it waited for when it gives up.

import { spawn, execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, mkdirSync, readFileSync, accessSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, '..', '..');
export const FIXTURES = join(HERE, 'fixtures');
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const ROLE = `arn:aws:iam::${ACCOUNT}:role/stepflow-console-test`;
export const MACHINE_ARN = (name) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;
export const LAMBDA_ARN = (name) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const DEPLOY_TIMEOUT_MS = 120_000;

export function stepflowBinary() {
  return resolve(process.env.STEPFLOW_BIN || join(ROOT, 'build', 'engine', 'stepflow'));
}

// The console's sources served instead of the ones built in, when the tests run against a
// console being worked on: $STEPFLOW_CONSOLE_DIR, '' for the built-in assets.
export function consoleDir() {
  return process.env.STEPFLOW_CONSOLE_DIR ?? '';
}

export function artifactsDir() {
  const dir = resolve(process.env.STEPFLOW_CONSOLE_ARTIFACTS || join(ROOT, 'build', 'console-artifacts'));
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function chromiumPath() {
  return process.env.STEPFLOW_CHROMIUM || '/usr/bin/chromium';
}

// playwright-core from the cache directory tools/console_test_deps.sh installed it in:
// $STEPFLOW_CONSOLE_DEPS (run.sh sets it), else what the script prints (it installs on first use).
export function loadPlaywright() {
  let deps = process.env.STEPFLOW_CONSOLE_DEPS;
  if (!deps) {
    deps = execFileSync('bash', [join(ROOT, 'tools', 'console_test_deps.sh')],
      { encoding: 'utf8', timeout: 240_000, stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  }
  const require = createRequire(join(resolve(deps), 'package.json'));
  return require('playwright-core');
}

export async function launchBrowser() {
  const { chromium } = loadPlaywright();
  return chromium.launch({
    executablePath: chromiumPath(),
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    timeout: 30_000,
  });
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// Calls fn until it returns a truthy value, which it returns; throws naming `what` after
// timeoutMs, with the last value seen.
export async function waitUntil(fn, what, timeoutMs = 20_000, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    }
    await sleep(intervalMs);
  }
}

export class StepflowServer {
  constructor({ binary = stepflowBinary(), extraArgs = [], logLevel = 'warn', console = consoleDir() } = {}) {
    this.binary = binary;
    this.extraArgs = extraArgs;
    this.logLevel = logLevel;
    this.consoleDir = console;
    this.dir = null;
    this.proc = null;
    this.http = null; // "http://127.0.0.1:Q"
    this.grpc = null; // "127.0.0.1:P"
    this.stdout = [];
    this.stderr = [];
  }

  async start() {
    accessSync(this.binary, constants.X_OK);
    this.dir = mkdtempSync(join(tmpdir(), 'stepflow-console-test-'));
    const args = ['server', '--db', join(this.dir, 's.db'), '--data-dir', join(this.dir, 'data'),
      '--listen', '127.0.0.1:0', '--http', '127.0.0.1:0', '--log-level', this.logLevel,
      ...this.extraArgs];
    if (this.consoleDir) args.push('--console-dir', resolve(this.consoleDir));
    this.proc = spawn(this.binary, args, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.exited = new Promise((r) => this.proc.once('exit', (code, signal) => r({ code, signal })));
    const keep = (sink) => {
      let partial = '';
      return (chunk) => {
        partial += chunk.toString('utf8');
        const lines = partial.split('\n');
        partial = lines.pop();
        sink.push(...lines);
        if (sink.length > 2000) sink.splice(0, sink.length - 2000);
      };
    };
    this.proc.stdout.on('data', keep(this.stdout));
    this.proc.stderr.on('data', keep(this.stderr));
    let gone = null;
    this.exited.then((e) => { gone = e; });
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(this.http && this.grpc)) {
      for (const line of this.stdout) {
        let m = /^stepflow server listening on (127\.0\.0\.1:\d+)$/.exec(line);
        if (m) this.grpc = m[1];
        m = /^stepflow http listening on (127\.0\.0\.1:\d+)$/.exec(line);
        if (m) this.http = `http://${m[1]}`;
      }
      if (this.http && this.grpc) break;
      if (gone) {
        const tail = this.logTail();
        await this.stop();
        throw new Error(`stepflow server exited before listening (${JSON.stringify(gone)}):\n${tail}`);
      }
      if (Date.now() > deadline) {
        const tail = this.logTail();
        await this.stop();
        throw new Error(`stepflow server did not print both listening lines in ${START_TIMEOUT_MS} ms:\n${tail}`);
      }
      await sleep(50);
    }
    return this;
  }

  logTail(n = 40) {
    return [...this.stdout.slice(-5), ...this.stderr.slice(-n)].join('\n');
  }

  async stop() {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      try { process.kill(-this.proc.pid, 'SIGTERM'); } catch { /* already gone */ }
      const done = await Promise.race([this.exited, sleep(STOP_TIMEOUT_MS).then(() => null)]);
      if (!done) {
        try { process.kill(-this.proc.pid, 'SIGKILL'); } catch { /* already gone */ }
        await Promise.race([this.exited, sleep(STOP_TIMEOUT_MS)]);
      }
    }
    if (this.dir && !process.env.STEPFLOW_CONSOLE_KEEP) rmSync(this.dir, { recursive: true, force: true });
  }

  // `stepflow functions deploy NAME DIR --server P [extra]`.
  deployFunction(name, dir, extra = []) {
    return new Promise((res, rej) => {
      execFile(this.binary, ['functions', 'deploy', name, dir, '--server', this.grpc, ...extra],
        { timeout: DEPLOY_TIMEOUT_MS, cwd: this.dir }, (err, stdout, stderr) => {
          if (err) rej(new Error(`functions deploy ${name} failed: ${err.message}\n${stdout}\n${stderr}`));
          else res(stdout);
        });
    });
  }

  // A Step Functions API call: the answer's JSON, or an Error carrying __type and message.
  async sfn(operation, body) {
    const r = await fetch(`${this.http}/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': `AWSStepFunctions.${operation}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await r.text();
    const json = text ? JSON.parse(text) : {};
    if (!r.ok) {
      const e = new Error(`${operation}: HTTP ${r.status} ${json.__type}: ${json.message}`);
      e.type = json.__type;
      throw e;
    }
    return json;
  }

  // GET of the console's /api/ (path starting with /api/): the JSON answer; throws on non-2xx.
  async api(path) {
    const r = await fetch(`${this.http}${path}`, { signal: AbortSignal.timeout(15_000) });
    const text = await r.text();
    if (!r.ok) throw new Error(`GET ${path}: HTTP ${r.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text);
  }

  async createMachine(name, definition) {
    return this.sfn('CreateStateMachine', {
      name, roleArn: ROLE,
      definition: typeof definition === 'string' ? definition : JSON.stringify(definition),
    });
  }

  // Starts an execution of machine `name`; {arn, id}, id being what the console's URLs use.
  async startExecution(machine, input = {}, name = undefined) {
    const body = { stateMachineArn: MACHINE_ARN(machine), input: JSON.stringify(input) };
    if (name) body.name = name;
    const { executionArn } = await this.sfn('StartExecution', body);
    return { arn: executionArn, id: executionId(executionArn) };
  }

  describe(arn) {
    return this.sfn('DescribeExecution', { executionArn: arn });
  }

  // Polls DescribeExecution until the status is one of `statuses`; the description.
  async waitForStatus(arn, statuses, timeoutMs = 30_000) {
    let last = null;
    return waitUntil(async () => {
      last = await this.describe(arn);
      return statuses.includes(last.status) ? last : null;
    }, `${arn} to be ${statuses.join('|')}`, timeoutMs, 100).catch((e) => {
      throw new Error(`${e.message}; last status ${last?.status}\nserver log:\n${this.logTail(10)}`);
    });
  }
}

// The console's execution id: what follows "execution:" in the execution's ARN.
export function executionId(arn) {
  const i = arn.indexOf(':execution:');
  if (i < 0) throw new Error(`not an execution ARN: ${arn}`);
  return arn.slice(i + ':execution:'.length);
}

// A machine definition from tests/console/fixtures/machines/NAME.asl.json.
export function machineFixture(name) {
  return readFileSync(join(FIXTURES, 'machines', `${name}.asl.json`), 'utf8');
}

export function functionFixture(name) {
  const dir = join(FIXTURES, 'functions', name);
  if (!existsSync(dir)) throw new Error(`no fixture function ${dir}`);
  return dir;
}
