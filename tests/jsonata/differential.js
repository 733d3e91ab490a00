// Differential test: random JSONata expressions over random data, evaluated by jsonata-js
// (the npm package, in this process) and by stepflow (stepflow_jsonata_eval, a child
// process reading JSON lines), results compared.
//
//   node differential.js --oracle DIR/node_modules/jsonata --eval PATH [--cases N] [--seed S]
//        [--known FILE] [--out FILE] [--verbose] [--show N]
//
// Values agree when deep-equal (object members in any order, numbers within a relative
// 1e-12); errors agree when both sides raise the same code. A disagreement listed in the
// known file ({"<expression>": "reason", "re:<regex>": "reason"}) is reported but does not
// fail. Exit: 0 no unexplained disagreement; 1 some; 2 bad usage or the tool failed.
"use strict";

const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");
const { Generator } = require("./differential_gen.js");

function parseArgs(argv) {
  const opt = { cases: 2000, seed: 20240607, show: 50, verbose: false };
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

// jsonata-js results in the form stepflow_jsonata_eval prints (json_text.h's markers).
function normalise(v, depth = 0) {
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
  if (Array.isArray(v)) return v.map((x) => normalise(x, depth + 1));
  if (v && typeof v === "object") {
    const out = {};
    for (const k of Object.keys(v)) out[k] = normalise(v[k], depth + 1);
    return out;
  }
  return v;
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

async function evaluateJs(jsonata, c) {
  try {
    const expr = jsonata(c.expr);
    const result = await expr.evaluate(c.data, c.bindings);
    return result === undefined ? { undefined: true } : { value: normalise(result) };
  } catch (e) {
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

async function main() {
  const opt = parseArgs(process.argv);
  const jsonata = require(path.resolve(opt.oracle));
  const gen = new Generator(opt.seed);
  const cases = [];
  for (let i = 0; i < opt.cases; i++) cases.push(gen.testCase());

  // Ours first: the inputs are serialised before jsonata-js has touched them.
  const ours = evaluateOurs(opt.evalTool, cases);
  const theirs = [];
  for (const c of cases) theirs.push(await evaluateJs(jsonata, c));

  const known = loadKnown(opt.known);
  const used = new Set();
  const counts = { values: 0, undefined: 0, errors: 0, valueDiff: 0, codeDiff: 0, oneSided: 0,
                   known: 0, keyOrder: 0 };
  const problems = [];
  for (let i = 0; i < cases.length; i++) {
    const js = theirs[i], sf = ours[i];
    let kind = null, note = "";
    if (js.error || sf.error) {
      if (js.error && sf.error) {
        if (js.error === sf.error) counts.errors++;
        else kind = "code";
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
    const reason = knownReason(known, cases[i].expr, used);
    if (reason) counts.known++;
    else if (kind === "code") counts.codeDiff++;
    else if (kind === "one-sided") counts.oneSided++;
    else counts.valueDiff++;
    problems.push({ index: i, kind, known: reason, note, expr: cases[i].expr,
                    data: cases[i].data, bindings: cases[i].bindings, jsonata_js: js, stepflow: sf });
  }

  const unexplained = problems.filter((p) => !p.known);
  const sections = [["value", "values differ"], ["one-sided", "only one side raised an error"],
                    ["code", "both raised errors, codes differ"]];
  let shown = 0;
  for (const [kind, title] of sections) {
    const list = unexplained.filter((p) => p.kind === kind);
    if (list.length === 0) continue;
    console.log(`\n== ${title}: ${list.length}`);
    for (const p of list) {
      if (shown++ >= opt.show && !opt.verbose) break;
      console.log(`#${p.index} ${p.expr}`);
      if (opt.verbose) console.log(`   data:      ${clip(JSON.stringify(p.data) ?? "undefined")}`);
      console.log(`   jsonata-js: ${show(p.jsonata_js)}`);
      console.log(`   stepflow:   ${show(p.stepflow)}${p.note ? "   [" + p.note + "]" : ""}`);
    }
  }
  if (shown > opt.show && !opt.verbose) console.log(`(${shown - opt.show} more; --verbose shows all)`);
  for (const k of [...known.exact.keys(), ...known.patterns.map((p) => p.key)]) {
    if (!used.has(k)) console.log(`NOTE known entry matched nothing: ${clip(k, 200)}`);
  }
  if (opt.out) fs.writeFileSync(opt.out, JSON.stringify(problems, null, 2));

  console.log(`\n${cases.length} cases (seed ${opt.seed}): agree ${counts.values} values, ` +
              `${counts.undefined} undefined, ${counts.errors} errors (same code); ` +
              `disagree ${counts.valueDiff} values, ${counts.oneSided} one-sided errors, ` +
              `${counts.codeDiff} error codes; ${counts.known} known (differential_known.json); ` +
              `${counts.keyOrder} agreeing values with another member order`);
  process.exit(unexplained.length > 0 ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
