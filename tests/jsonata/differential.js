// Differential test: random JSONata expressions over random data (differential_gen.js,
// seeded), evaluated by jsonata-js (the npm package, in a worker thread) and by stepflow
// (stepflow_jsonata_eval, a child process reading JSON lines), results compared.
//
//   node differential.js --oracle DIR/node_modules/jsonata --eval PATH [--cases N] [--seed S]
//        [--known FILE] [--out FILE] [--verbose] [--show N] [--js-timeout-ms MS]
//
// Values agree when deep-equal (object members in any order, numbers within a relative
// 1e-12); errors agree when both sides raise the same code. Reported apart and not counted:
// cases where jsonata-js itself fails (a JS exception without a JSONata code, no end, a
// value that contains itself, a result read from an input it changed) and differing codes
// where jsonata-js evaluates the failing parts concurrently. A crash of stepflow always
// counts. A disagreement listed in the known file ({"<expression>": "reason",
// "re:<regex>": "reason"}) is reported but does not fail.
// Exit: 0 no unexplained disagreement; 1 some; 2 bad usage or the tool failed.
"use strict";

const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");
const { Worker, isMainThread, parentPort, workerData } = require("worker_threads");
const { Generator } = require("./differential_gen.js");

function parseArgs(argv) {
  const opt = { cases: 2000, seed: 20240607, show: 50, verbose: false, jsTimeoutMs: 10000 };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--oracle") opt.oracle = next();
    else if (a === "--eval") opt.evalTool = next();
    else if (a === "--cases") opt.cases = Number(next());
    else if (a === "--seed") opt.seed = Number(next());
    else if (a === "--known") opt.known = next();
    else if (a === "--out") opt.out = next();
    else if (a === "--show") opt.show = Number(next());
    else if (a === "--verbose") opt.verbose = true;
    else if (a === "--js-timeout-ms") opt.jsTimeoutMs = Number(next());
    else usage(`unknown argument ${a}`);
  }
  if (!opt.oracle || !opt.evalTool) usage("--oracle and --eval are required");
  return opt;
}

function usage(message) {
  console.error(`differential.js: ${message}`);
  console.error("usage: node differential.js --oracle DIR --eval PATH [--cases N] [--seed S] " +
                "[--known FILE] [--out FILE] [--verbose] [--show N]");
  process.exit(2);
}

// A value jsonata-js made that refers to itself (a transform that puts `$` into the object
// it changes shares the object instead of copying it): no JSON has that.
class CycleError extends Error {}

// jsonata-js results in the form stepflow_jsonata_eval prints (json_text.h's markers).
function normalise(v, depth = 0, ancestors = new Set()) {
  if (depth > 1000) return "<deep>";
  if (v === undefined) return "<undefined>";
  if (typeof v === "function" || (v && (v._jsonata_lambda === true || v._jsonata_function === true))) {
    return "<function>";
  }
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "<NaN>";
    if (v === Infinity) return "<Infinity>";
    if (v === -Infinity) return "<-Infinity>";
    return v;
  }
  if (v && typeof v === "object") {
    if (ancestors.has(v)) throw new CycleError("jsonata-js returned a value that contains itself");
    ancestors.add(v);
    let out;
    if (Array.isArray(v)) {
      out = v.map((x) => normalise(x, depth + 1, ancestors));
    } else {
      out = {};
      for (const k of Object.keys(v)) out[k] = normalise(v[k], depth + 1, ancestors);
    }
    ancestors.delete(v);
    return out;
  }
  return v;
}

// jsonata-js evaluates the items of an array constructor and the members of an object
// constructor or group-by concurrently (Promise.all): when two of them fail, which error it
// reports depends on how many awaits each took. Such expressions are told apart by this.
function hasConcurrentParts(node, depth = 0) {
  if (!node || typeof node !== "object" || depth > 500) return false;
  if (node.value === "[" && Array.isArray(node.expressions) && node.expressions.length >= 2) return true;
  if (node.value === "{" && Array.isArray(node.lhs) && node.lhs.length >= 2) return true;
  if (node.group && Array.isArray(node.group.lhs) && node.group.lhs.length >= 2) return true;
  for (const k of Object.keys(node)) {
    if (hasConcurrentParts(node[k], depth + 1)) return true;
  }
  return false;
}

function numbersClose(a, b) {
  if (a === b) return true;
  const scale = Math.max(Math.abs(a), Math.abs(b));
  return Math.abs(a - b) <= 1e-12 * scale;
}

// Returns null when equal, else a path and a note.
function compare(a, b, where = "") {
  if (typeof a === "number" && typeof b === "number") {
    return numbersClose(a, b) ? null : `${where || "(top)"}: ${a} vs ${b}`;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b)) return `${where || "(top)"}: array vs not`;
    if (a.length !== b.length) return `${where || "(top)"}: length ${a.length} vs ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = compare(a[i], b[i], `${where}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a), kb = Object.keys(b);
    if (ka.length !== kb.length) return `${where || "(top)"}: keys ${ka} vs ${kb}`;
    for (const k of ka) {
      if (!Object.prototype.hasOwnProperty.call(b, k)) return `${where}.${k}: missing on one side`;
      const d = compare(a[k], b[k], `${where}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return a === b ? null : `${where || "(top)"}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
}

function sameKeyOrder(a, b) {
  if (Array.isArray(a) && Array.isArray(b)) return a.every((x, i) => sameKeyOrder(x, b[i]));
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a), kb = Object.keys(b);
    return ka.every((k, i) => k === kb[i] && sameKeyOrder(a[k], b[k]));
  }
  return true;
}

// jsonata-js runs in a worker thread, so that an expression it never finishes (it has
// such bugs) is cut off after --js-timeout-ms and the run goes on with the next case.
function evaluateAllJs(oracle, cases, timeoutMs) {
  const results = new Array(cases.length);
  let start = 0;
  const runFrom = () => new Promise((resolve) => {
    const worker = new Worker(__filename, { workerData: { oracle, cases: cases.slice(start) } });
    let next = start, last = Date.now(), finished = false;
    const finish = (failure) => {
      if (finished) return;
      finished = true;
      clearInterval(watchdog);
      if (failure && next < cases.length) {
        results[next] = failure;
        next += 1;
      }
      start = failure ? next : cases.length;
      worker.terminate().then(() => resolve(), () => resolve());
    };
    const watchdog = setInterval(() => {
      if (Date.now() - last > timeoutMs) {
        finish({ error: "JS-TIMEOUT", message: `jsonata-js did not finish in ${timeoutMs} ms` });
      }
    }, 200);
    worker.on("message", (m) => {
      if (m.done) return finish(null);
      results[next++] = m.result;
      last = Date.now();
    });
    worker.on("error", (e) => finish({ error: "JS-CRASH", message: String(e && e.message) }));
    worker.on("exit", () => finish(next < cases.length ? { error: "JS-CRASH", message: "worker exited" } : null));
  });
  return (async () => {
    while (start < cases.length) await runFrom();
    return results;
  })();
}

async function workerMain() {
  const jsonata = require(path.resolve(workerData.oracle));
  for (const c of workerData.cases) parentPort.postMessage({ result: await evaluateJs(jsonata, c) });
  parentPort.postMessage({ done: true });
}

async function evaluateJs(jsonata, c) {
  const before = JSON.stringify(c.data);
  try {
    const expr = jsonata(c.expr);
    const result = await expr.evaluate(c.data, c.bindings);
    // A group-by over an empty array pushes undefined into that array of the input; what
    // the expression reads afterwards is then not the input any more.
    const mutated = JSON.stringify(c.data) !== before;
    return result === undefined ? { undefined: true, mutated } : { value: normalise(result), mutated };
  } catch (e) {
    if (e instanceof CycleError) return { error: "JS-CYCLE", message: e.message };
    return { error: e && e.code ? e.code : "JS:" + String(e && e.message ? e.message : e),
             message: e && e.message };
  }
}

// Runs the tool over `lines`; a crash of the tool marks that case and goes on with the next.
function evaluateOurs(tool, cases) {
  const results = new Array(cases.length);
  let start = 0;
  while (start < cases.length) {
    const input = cases.slice(start).map((c) => JSON.stringify(
      c.data === undefined ? { expr: c.expr, bindings: c.bindings }
                           : { expr: c.expr, data: c.data, bindings: c.bindings })).join("\n") + "\n";
    const r = spawnSync(tool, [], { input, maxBuffer: 1 << 30, timeout: 600000 });
    if (r.error) {
      console.error(`differential.js: cannot run ${tool}: ${r.error.message}`);
      process.exit(2);
    }
    const lines = r.stdout.toString("utf8").split("\n").filter((l) => l.length > 0);
    for (let i = 0; i < lines.length && start + i < cases.length; i++) {
      results[start + i] = JSON.parse(lines[i]);
    }
    start += lines.length;
    if (start < cases.length && (r.status !== 0 || r.signal)) {
      results[start] = { error: "TOOL-CRASH", message: `${r.signal || "exit " + r.status}: ` +
                         r.stderr.toString("utf8").slice(-2000) };
      start += 1;
    } else if (start < cases.length) {
      console.error("differential.js: the tool stopped early without an error");
      process.exit(2);
    }
  }
  return results;
}

function loadKnown(file) {
  if (!file || !fs.existsSync(file)) return { exact: new Map(), patterns: [] };
  const spec = JSON.parse(fs.readFileSync(file, "utf8"));
  const exact = new Map(), patterns = [];
  for (const [k, reason] of Object.entries(spec)) {
    if (k.startsWith("_")) continue;
    if (k.startsWith("re:")) patterns.push({ key: k, re: new RegExp(k.slice(3)), reason });
    else exact.set(k, reason);
  }
  return { exact, patterns };
}

function knownReason(known, expr, used) {
  if (known.exact.has(expr)) {
    used.add(expr);
    return known.exact.get(expr);
  }
  for (const p of known.patterns) {
    if (p.re.test(expr)) {
      used.add(p.key);
      return p.reason;
    }
  }
  return null;
}

function clip(s, n = 600) {
  return s.length > n ? s.slice(0, n) + "..." : s;
}

function show(v) {
  if (v.error) return `error ${v.error}${v.message ? " (" + clip(v.message, 200) + ")" : ""}`;
  if (v.undefined) return "undefined";
  return clip(JSON.stringify(v.value));
}

function astOf(jsonata, expr) {
  try {
    return jsonata(expr).ast();
  } catch (e) {
    return null;
  }
}

async function main() {
  const opt = parseArgs(process.argv);
  const jsonata = require(path.resolve(opt.oracle));
  const gen = new Generator(opt.seed);
  const cases = [];
  for (let i = 0; i < opt.cases; i++) cases.push(gen.testCase());

  // Ours first: the inputs are serialised before jsonata-js has touched them.
  const ours = evaluateOurs(opt.evalTool, cases);
  const theirs = await evaluateAllJs(opt.oracle, cases, opt.jsTimeoutMs);

  const known = loadKnown(opt.known);
  const used = new Set();
  const counts = { values: 0, undefined: 0, errors: 0, valueDiff: 0, codeDiff: 0, oneSided: 0,
                   known: 0, keyOrder: 0, oracle: 0, concurrent: 0, crash: 0 };
  const problems = [];
  for (let i = 0; i < cases.length; i++) {
    const js = theirs[i], sf = ours[i];
    let kind = null, note = "";
    if (["CRASH", "TOOL-CRASH", "BADLINE"].includes(sf.error)) {
      kind = "crash";
    // A JS exception without a JSONata code is a bug of jsonata-js (a TypeError inside it).
    } else if (["JS-TIMEOUT", "JS-CRASH", "JS-CYCLE"].includes(js.error) ||
               String(js.error).startsWith("JS:")) {
      kind = "oracle";
    } else if (js.error || sf.error) {
      if (js.error && sf.error) {
        if (js.error === sf.error) counts.errors++;
        else kind = hasConcurrentParts(astOf(jsonata, cases[i].expr)) ? "concurrent" : "code";
      } else {
        kind = "one-sided";
      }
    } else if (js.undefined || sf.undefined) {
      if (js.undefined && sf.undefined) counts.undefined++;
      else kind = "value";
    } else {
      const d = compare(js.value, sf.value);
      if (d) {
        kind = "value";
        note = d;
      } else {
        counts.values++;
        if (!sameKeyOrder(js.value, sf.value)) counts.keyOrder++;
      }
    }
    if (!kind) continue;
    if (js.mutated && (kind === "value" || kind === "one-sided")) kind = "oracle";
    const reason = kind === "oracle" ? "jsonata-js itself failed"
                 : kind === "concurrent" ? "jsonata-js evaluates the parts concurrently"
                 : knownReason(known, cases[i].expr, used);
    if (kind === "oracle") counts.oracle++;
    else if (kind === "concurrent") counts.concurrent++;
    else if (reason) counts.known++;
    else if (kind === "code") counts.codeDiff++;
    else if (kind === "crash") counts.crash++;
    else if (kind === "one-sided") counts.oneSided++;
    else counts.valueDiff++;
    problems.push({ index: i, kind, known: reason, note, expr: cases[i].expr,
                    data: cases[i].data, bindings: cases[i].bindings, jsonata_js: js, stepflow: sf });
  }

  const unexplained = problems.filter((p) => !p.known);
  const print = (p) => {
    console.log(`#${p.index} ${p.expr}`);
    if (opt.verbose) console.log(`   data:       ${clip(JSON.stringify(p.data) ?? "undefined")}`);
    console.log(`   jsonata-js: ${show(p.jsonata_js)}`);
    console.log(`   stepflow:   ${show(p.stepflow)}${p.note ? "   [" + p.note + "]" : ""}`);
  };
  const sections = [["crash", "stepflow_jsonata_eval crashed or threw a C++ exception"],
                    ["value", "values differ"], ["one-sided", "only one side raised an error"],
                    ["code", "both raised errors, codes differ"]];
  let printed = 0;
  for (const [kind, title] of sections) {
    const list = unexplained.filter((p) => p.kind === kind);
    if (list.length === 0) continue;
    console.log(`\n== ${title}: ${list.length}`);
    for (const p of list) {
      if (printed >= opt.show && !opt.verbose) break;
      print(p);
      printed++;
    }
  }
  if (printed < unexplained.length) {
    console.log(`(${unexplained.length - printed} more; --verbose or --out FILE shows all)`);
  }
  const concurrent = problems.filter((p) => p.kind === "concurrent");
  if (concurrent.length > 0) {
    console.log(`\n== error codes differ where jsonata-js evaluates the failing parts concurrently ` +
                `(array or object constructor, group-by; not counted): ${concurrent.length}`);
    concurrent.slice(0, 5).forEach(print);
  }
  const oracle = problems.filter((p) => p.kind === "oracle");
  if (oracle.length > 0) {
    console.log(`\n== jsonata-js failed (a JS exception without a JSONata code, no end, a value ` +
                `containing itself, its input changed): ${oracle.length}` +
                " (not counted)");
    oracle.slice(0, 10).forEach(print);
  }
  for (const k of [...known.exact.keys(), ...known.patterns.map((p) => p.key)]) {
    if (!used.has(k)) console.log(`NOTE known entry matched nothing: ${clip(k, 200)}`);
  }
  if (opt.out) fs.writeFileSync(opt.out, JSON.stringify(problems, null, 2));

  console.log(`\n${cases.length} cases (seed ${opt.seed}): agree ${counts.values} values, ` +
              `${counts.undefined} undefined, ${counts.errors} errors (same code); ` +
              `disagree ${counts.crash} crashes, ${counts.valueDiff} values, ${counts.oneSided} one-sided errors, ` +
              `${counts.codeDiff} error codes; ${counts.known} known (differential_known.json); ` +
              `${counts.oracle} where jsonata-js failed; ${counts.concurrent} codes differing in ` +
              `concurrently evaluated parts; ` +
              `${counts.keyOrder} agreeing values with another member order`);
  process.exit(unexplained.length > 0 ? 1 : 0);
}

(isMainThread ? main : workerMain)().catch((e) => {
  console.error(e);
  process.exit(2);
});
