#!/usr/bin/env node
// Driver of bench/compare.sh: runs each workload (workloads.mjs) with stepflow and with
// the reference interpreter, aws-local-stepfunctions, checks that both produce the same
// output, and prints a table and one JSON document.
//
//   node compare.mjs --stepflow PATH [--short] [--rounds N] [--budget SECONDS]
//                    [--reference-dir DIR | --reference-skip REASON] [--json-out FILE] [--keep]
//
// stepflow: one process per round, `stepflow run --db :memory: --max-history-events N
// --json --input-file INPUT DEF`, wall time from spawn to exit (process start, parse,
// validation, compilation, the run with its history kept, output). The result line is
// {"executionId","output","status"} (or {"cause","error",...} when not SUCCEEDED).
//
// Reference: one Node process per workload (`--reference-worker`), the package loaded from
// DIR/node_modules (installed by compare.sh outside the repository). Each round builds
// `new StateMachine(definition)` (default validation, timed separately) and then times
// `stateMachine.run(input)` -> `await execution.result` with performance.now(). The
// package keeps every execution event in an in-memory queue (the `eventLogs` generator; it
// has no switch to turn that off), which is its equivalent of stepflow's history; nothing
// consumes it here. Rounds after the first run with a warm JIT; gc() runs between rounds.
//
// Rounds: R (default 5, 1 with --short) per engine and workload, fewer when the engine's
// time on that workload passes the budget (default 100 s; at least one round).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { workloads } from './workloads.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PACKAGE = 'aws-local-stepfunctions';
const MAX_HISTORY_EVENTS = 100000000; // far above any workload here (choice loop: ~400,000)

function parseArgs(argv) {
  const opts = { short: false, rounds: null, budget: 100, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--short': opts.short = true; break;
      case '--keep': opts.keep = true; break;
      case '--stepflow': opts.stepflow = value(); break;
      case '--rounds': opts.rounds = Number(value()); break;
      case '--budget': opts.budget = Number(value()); break;
      case '--json-out': opts.jsonOut = value(); break;
      case '--reference-dir': opts.referenceDir = value(); break;
      case '--reference-skip': opts.referenceSkip = value(); break;
      case '--git-commit': opts.gitCommit = value(); break;
      case '--reference-worker': opts.worker = true; break;
      case '--entry': opts.entry = value(); break;
      case '--def': opts.def = value(); break;
      case '--input': opts.input = value(); break;
      case '-h': case '--help': usage(); break;
      default: usage(`unknown argument ${a}`);
    }
  }
  if (opts.rounds !== null && !(Number.isInteger(opts.rounds) && opts.rounds >= 1)) usage('--rounds must be a positive integer');
  if (!(opts.budget > 0)) usage('--budget must be a positive number of seconds');
  return opts;
}

function usage(message) {
  if (message) console.error(`compare.mjs: ${message}`);
  console.error('usage: node compare.mjs --stepflow PATH [--short] [--rounds N] [--budget SECONDS] ' +
    '[--reference-dir DIR | --reference-skip REASON] [--json-out FILE] [--keep]');
  process.exit(message ? 2 : 0);
}

const median = (xs) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round1 = (x) => (x === null || x === undefined ? null : Math.round(x * 10) / 10);

// ---------------------------------------------------------------------------------------
// Reference worker: runs in its own process, prints one JSON line.

async function referenceWorker(opts) {
  const reply = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
  try {
    if (typeof AbortSignal.any !== 'function') {
      reply({ error: `Node ${process.version} lacks AbortSignal.any, which ${PACKAGE} 3 needs (it asks for Node >= 22)` });
      return;
    }
    const { StateMachine } = await import(pathToFileURL(opts.entry).href);
    const definition = JSON.parse(fs.readFileSync(opts.def, 'utf8'));
    const input = JSON.parse(fs.readFileSync(opts.input, 'utf8'));
    const constructMs = [];
    const runMs = [];
    let output;
    let spent = 0;
    for (let r = 0; r < opts.rounds; r++) {
      if (r > 0 && spent >= opts.budget * 1000) break;
      if (globalThis.gc) globalThis.gc();
      const t0 = performance.now();
      const stateMachine = new StateMachine(definition);
      const t1 = performance.now();
      const execution = stateMachine.run(input);
      output = await execution.result;
      const t2 = performance.now();
      constructMs.push(t1 - t0);
      runMs.push(t2 - t1);
      spent += t2 - t0;
    }
    reply({ construct_ms: constructMs, run_ms: runMs, output });
  } catch (err) {
    const name = err?.cause?.name ?? err?.name ?? 'Error';
    const message = err?.cause?.message ?? err?.message ?? String(err);
    reply({ error: `${name}: ${message}`.slice(0, 2000) });
  }
}

// ---------------------------------------------------------------------------------------
// Output comparison: objects compared by key set (order-insensitive), arrays in order.

function firstDifference(a, b, where = '$') {
  if (a === b) return null;
  const kind = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  if (kind(a) !== kind(b)) return { where, a, b };
  if (kind(a) === 'array') {
    if (a.length !== b.length) return { where: `${where}.length`, a: a.length, b: b.length };
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${where}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (kind(a) === 'object') {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    for (const k of new Set([...ka, ...kb])) {
      if (!(k in a) || !(k in b)) return { where: `${where}.${k}`, a: k in a ? a[k] : '(absent)', b: k in b ? b[k] : '(absent)' };
      const d = firstDifference(a[k], b[k], `${where}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return { where, a, b }; // different numbers, strings or booleans
}

const short = (v) => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 120 ? `${s.slice(0, 117)}...` : s;
};

// ---------------------------------------------------------------------------------------
// The engines.

function runStepflow(opts, defPath, inputPath, rounds) {
  const args = ['run', '--db', ':memory:', '--max-history-events', String(MAX_HISTORY_EVENTS),
    '--json', '--input-file', inputPath, defPath];
  const ms = [];
  let output;
  let spent = 0;
  for (let r = 0; r < rounds; r++) {
    if (r > 0 && spent >= opts.budget * 1000) break;
    const t0 = performance.now();
    const res = spawnSync(opts.stepflow, args, { encoding: 'utf8', maxBuffer: 256 << 20, timeout: 900_000 });
    const elapsed = performance.now() - t0;
    if (res.error) return { status: 'failed', reason: `could not run ${opts.stepflow}: ${res.error.message}`, ms };
    const lines = res.stdout.trim().split('\n');
    let result;
    try {
      result = JSON.parse(lines[lines.length - 1]);
    } catch {
      return { status: 'failed', reason: `exit ${res.status ?? res.signal}, no JSON result line; stderr: ${res.stderr.trim().slice(0, 500)}`, ms };
    }
    if (res.status !== 0 || result.status !== 'SUCCEEDED') {
      return { status: 'failed', reason: `${result.status ?? 'exit ' + res.status}: ${result.error ?? ''} ${result.cause ?? res.stderr.trim()}`.slice(0, 500), ms };
    }
    ms.push(elapsed);
    spent += elapsed;
    output = result.output;
  }
  return { status: 'ok', ms, output };
}

function runReference(opts, entry, defPath, inputPath, rounds) {
  const args = ['--expose-gc', fileURLToPath(import.meta.url), '--reference-worker', '--entry', entry,
    '--def', defPath, '--input', inputPath, '--rounds', String(rounds), '--budget', String(opts.budget)];
  const timeoutMs = Math.max(600, 3 * opts.budget) * 1000;
  const res = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 256 << 20, timeout: timeoutMs });
  if (res.error?.code === 'ETIMEDOUT' || res.signal === 'SIGTERM') {
    return { status: 'failed', reason: `timed out after ${timeoutMs / 1000} s`, ms: [] };
  }
  let reply;
  try {
    const lines = res.stdout.trim().split('\n');
    reply = JSON.parse(lines[lines.length - 1]);
  } catch {
    return { status: 'failed', reason: `worker exit ${res.status ?? res.signal}: ${res.stderr.trim().slice(-500)}`, ms: [] };
  }
  if (reply.error) return { status: 'failed', reason: reply.error, ms: [] };
  return { status: 'ok', ms: reply.run_ms, constructMs: reply.construct_ms, output: reply.output };
}

function referenceEntry(dir) {
  const pkgDir = path.join(dir, 'node_modules', PACKAGE);
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  const exp = pkg.exports ?? {};
  const rel = (typeof exp === 'object' && (exp.import ?? exp['.']?.import)) ?? pkg.module ?? pkg.main;
  return { entry: path.join(pkgDir, rel), version: pkg.version };
}

// ---------------------------------------------------------------------------------------
// Main.

function pad(s, n, right = false) {
  s = String(s);
  return right ? s.padStart(n) : s.padEnd(n);
}
const fmtMs = (x) => (x === null || x === undefined ? '' : x >= 100 ? x.toFixed(0) : x.toFixed(1));

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.worker) return referenceWorker({ ...opts, rounds: opts.rounds ?? 1 });
  if (!opts.stepflow) usage('--stepflow PATH is required');
  if (!fs.existsSync(opts.stepflow)) {
    console.error(`compare: no stepflow binary at ${opts.stepflow} (build it, or pass --stepflow PATH)`);
    process.exit(2);
  }
  const rounds = opts.rounds ?? (opts.short ? 1 : 5);
  const loadStart = os.loadavg().map((x) => Math.round(x * 100) / 100);

  let reference = { status: 'skipped', reason: opts.referenceSkip ?? 'no --reference-dir given' };
  let entry = null;
  if (opts.referenceDir && !opts.referenceSkip) {
    try {
      const found = referenceEntry(opts.referenceDir);
      entry = found.entry;
      reference = { status: 'ran', package: PACKAGE, version: found.version, dir: opts.referenceDir };
    } catch (err) {
      reference = { status: 'skipped', reason: `${PACKAGE} not loadable from ${opts.referenceDir}: ${err.message}` };
    }
  }
  if (reference.status === 'skipped') {
    console.log(`compare: the reference interpreter is skipped (${reference.reason}); running stepflow alone`);
  }

  const stepflowVersion = spawnSync(opts.stepflow, ['--version'], { encoding: 'utf8' }).stdout?.trim() || null;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-compare-'));
  const mode = opts.short ? 'short' : 'full';
  console.log(`compare: ${mode} mode, ${rounds} round(s) per engine and workload (budget ${opts.budget} s each), ` +
    `stepflow ${opts.stepflow}${reference.status === 'ran' ? `, ${PACKAGE} ${reference.version} on Node ${process.version}` : ''}`);
  console.log(`compare: workloads in ${tmp}${opts.keep ? ' (kept)' : ''}`);

  const results = [];
  let ok = true;
  for (const w of workloads(opts.short)) {
    const defPath = path.join(tmp, `${w.name}.asl.json`);
    const inputPath = path.join(tmp, `${w.name}.input.json`);
    fs.writeFileSync(defPath, JSON.stringify(w.definition, null, 1));
    fs.writeFileSync(inputPath, JSON.stringify(w.input));
    process.stdout.write(`compare: ${w.label}: stepflow...`);
    const sf = runStepflow(opts, defPath, inputPath, rounds);
    process.stdout.write(sf.status === 'ok' ? ` ${fmtMs(median(sf.ms))} ms` : ' FAILED');
    let ref = { status: 'skipped', reason: reference.reason, ms: [] };
    if (entry) {
      process.stdout.write(', reference...');
      ref = runReference(opts, entry, defPath, inputPath, rounds);
      process.stdout.write(ref.status === 'ok' ? ` ${fmtMs(median(ref.ms))} ms` : ' FAILED');
    }
    process.stdout.write('\n');

    const row = {
      name: w.name,
      label: w.label,
      transitions: w.transitions,
      stepflow: {
        status: sf.status,
        ...(sf.reason ? { reason: sf.reason } : {}),
        rounds: sf.ms.length,
        median_ms: round1(median(sf.ms)),
        ms: sf.ms.map(round1),
      },
      reference: {
        status: ref.status,
        ...(ref.reason ? { reason: ref.reason } : {}),
        rounds: ref.ms.length,
        median_ms: round1(median(ref.ms)),
        ms: ref.ms.map(round1),
        ...(ref.constructMs ? { construct_median_ms: round1(median(ref.constructMs)), construct_ms: ref.constructMs.map(round1) } : {}),
      },
      ratio: null,
      ratio_with_validation: null,
      outputs_match: null,
      problems: [],
    };
    if (sf.status !== 'ok') {
      ok = false;
      row.problems.push(`stepflow failed: ${sf.reason}`);
    } else {
      const d = firstDifference(sf.output, w.expected);
      if (d) {
        ok = false;
        row.problems.push(`stepflow output differs from the expected output at ${d.where}: ${short(d.a)} vs ${short(d.b)}`);
      }
    }
    if (entry && ref.status !== 'ok') {
      ok = false;
      row.problems.push(`reference failed: ${ref.reason}`);
    }
    if (sf.status === 'ok' && ref.status === 'ok') {
      const d = firstDifference(sf.output, ref.output);
      row.outputs_match = !d;
      if (d) {
        ok = false;
        row.problems.push(`OUTPUT MISMATCH at ${d.where}: stepflow ${short(d.a)}, reference ${short(d.b)}`);
      }
      row.ratio = Math.round((median(ref.ms) / median(sf.ms)) * 100) / 100;
      // Like for like: stepflow's time includes validating and compiling the
      // definition; this counts the reference's validation too.
      if (ref.constructMs && ref.constructMs.length) {
        row.ratio_with_validation =
          Math.round(((median(ref.ms) + median(ref.constructMs)) / median(sf.ms)) * 100) / 100;
      }
    }
    results.push(row);
  }
  if (!opts.keep) fs.rmSync(tmp, { recursive: true, force: true });

  // The table.
  const head = ['workload', 'stepflow ms', 'reference ms', 'ratio', 'rounds sf/ref', 'ref new StateMachine ms', 'ratio incl. validation', 'outputs'];
  const rows = results.map((r) => [
    r.label,
    r.stepflow.status === 'ok' ? fmtMs(r.stepflow.median_ms) : 'FAILED',
    r.reference.status === 'ok' ? fmtMs(r.reference.median_ms)
      : r.reference.status === 'skipped' ? `skipped (${r.reference.reason})` : 'FAILED',
    r.ratio === null ? '' : `${r.ratio.toFixed(2)}x`,
    `${r.stepflow.rounds}/${r.reference.rounds}` +
      ((r.stepflow.rounds < rounds && r.stepflow.status === 'ok') || (r.reference.rounds < rounds && r.reference.status === 'ok') ? ' (budget)' : ''),
    r.reference.construct_median_ms === undefined ? '' : fmtMs(r.reference.construct_median_ms),
    r.ratio_with_validation === null ? '' : `${r.ratio_with_validation.toFixed(2)}x`,
    r.outputs_match === true ? 'same' : r.outputs_match === false ? 'MISMATCH'
      : r.problems.length ? 'see below' : 'stepflow as expected',
  ]);
  const right = [false, true, true, true, true, true, true, false];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => pad(c, widths[i], right[i])).join('  ').trimEnd();
  console.log('');
  console.log(line(head));
  console.log(widths.map((n) => '-'.repeat(n)).join('  '));
  for (const r of rows) console.log(line(r));
  console.log('');
  console.log(`median of the rounds; ratio = reference / stepflow. stepflow: whole process (start, validate, ` +
    `compile, run with history, exit), --db :memory:. reference: stateMachine.run() to its result, in process; ` +
    `its definition validation (new StateMachine) has its own column; "ratio incl. validation" adds it to the reference's time.`);
  for (const r of results) for (const p of r.problems) console.error(`!! ${r.label}: ${p}`);
  if (!ok) console.error('!! compare: PROBLEMS FOUND (above)');

  const doc = {
    benchmark: `stepflow vs ${PACKAGE}`,
    mode,
    date: new Date().toISOString(),
    ok,
    machine: {
      nproc: os.availableParallelism ? os.availableParallelism() : os.cpus().length,
      cpu: os.cpus()[0]?.model ?? null,
      memory_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      os: `${os.type()} ${os.release()}`,
      node: process.version,
      loadavg_start: loadStart,
      loadavg_end: os.loadavg().map((x) => Math.round(x * 100) / 100),
    },
    stepflow: { binary: opts.stepflow, version: stepflowVersion, repo_commit: opts.gitCommit ?? null,
      command: `stepflow run --db :memory: --max-history-events ${MAX_HISTORY_EVENTS} --json --input-file INPUT DEF` },
    reference: { package: PACKAGE, ...reference,
      timed: 'await stateMachine.run(input).result, in process; new StateMachine(definition) (default validation) timed apart' },
    settings: { rounds, budget_s: opts.budget, max_history_events: MAX_HISTORY_EVENTS },
    workloads: results,
  };
  const text = JSON.stringify(doc, null, 2);
  console.log('');
  console.log(text);
  if (opts.jsonOut) fs.writeFileSync(opts.jsonOut, text + '\n');
  process.exit(ok ? 0 : 1);
}

await main();
