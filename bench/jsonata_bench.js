// jsonata-js's side of bench/jsonata_compare.sh: times the cases that stepflow_jsonata_bench
// timed (its JSON lines: set, id, expr, data, bindings, us, result), the same way (parse
// once apart, one warm-up evaluation, then evaluations until --min-ms / --heavy-min-ms and
// at least 3), checks that the result is the same, and prints the table: per case stepflow
// µs, jsonata-js µs, their ratio (jsonata-js / stepflow: above 1 = stepflow faster), and
// the geometric mean of each set.
//
//   node bench/jsonata_bench.js --oracle DIR/node_modules/jsonata --cases FILE
//        [--min-ms N] [--heavy-min-ms N] [--brief] [--json-out FILE]
"use strict";

const fs = require("fs");
const path = require("path");
const { performance } = require("perf_hooks");

function parseArgs(argv) {
  const opt = { minMs: 20, heavyMinMs: 200, brief: false };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--oracle") opt.oracle = next();
    else if (a === "--cases") opt.cases = next();
    else if (a === "--min-ms") opt.minMs = Number(next());
    else if (a === "--heavy-min-ms") opt.heavyMinMs = Number(next());
    else if (a === "--json-out") opt.jsonOut = next();
    else if (a === "--brief") opt.brief = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!opt.oracle || !opt.cases) throw new Error("--oracle and --cases are required");
  return opt;
}

// As stepflow's Evaluate gives it: engine JSON, functions as "".
function normalise(v) {
  if (v === undefined) return undefined;
  const isFn = (x) => typeof x === "function" || (x && (x._jsonata_lambda || x._jsonata_function));
  return JSON.parse(JSON.stringify(v, (k, x) => (isFn(x) ? "" : x)));
}

function same(a, b) {
  if (typeof a === "number" && typeof b === "number") {
    return a === b || Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b));
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length &&
           a.every((x, i) => same(x, b[i]));
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length &&
           ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && same(a[k], b[k]));
  }
  return a === b;
}

async function time(jsonata, c, minMs) {
  const p0 = performance.now();
  const expr = jsonata(c.expr);
  const parseUs = (performance.now() - p0) * 1000;
  let result, error = null;
  try {
    result = normalise(await expr.evaluate(c.data, c.bindings));
  } catch (e) {
    error = e.code || String(e.message || e);
  }
  const start = performance.now();
  let n = 0, now;
  do {
    try {
      await expr.evaluate(c.data, c.bindings);
    } catch (e) {
      // timed all the same
    }
    n++;
    now = performance.now();
  } while ((now - start < minMs || n < 3) && n < 10000000);
  return { parseUs, us: ((now - start) * 1000) / n, iterations: n, result, error };
}

function fmt(us) {
  if (us >= 100000) return (us / 1000).toFixed(0) + " ms";
  if (us >= 1000) return (us / 1000).toFixed(2) + " ms";
  if (us >= 100) return us.toFixed(0);
  if (us >= 10) return us.toFixed(1);
  return us.toFixed(2);
}

function geomean(xs) {
  return xs.length ? Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length) : NaN;
}

async function main() {
  const opt = parseArgs(process.argv);
  const jsonata = require(path.resolve(opt.oracle));
  const cases = fs.readFileSync(opt.cases, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
  const rows = [];
  for (const c of cases) {
    const t = await time(jsonata, c, c.set === "heavy" ? opt.heavyMinMs : opt.minMs);
    let ours;
    if (c.result === "undefined") ours = undefined;
    else if (c.result.startsWith("error ")) ours = { error: c.result.slice(6) };
    else ours = JSON.parse(c.result);
    const agree = t.error ? ours && ours.error === t.error : same(ours, t.result);
    rows.push({ set: c.set, id: c.id, expr: c.expr, stepflow_us: c.us, jsonata_js_us: t.us,
                ratio: t.us / c.us, stepflow_parse_us: c.parse_us, jsonata_js_parse_us: t.parseUs,
                stepflow_iterations: c.iterations, jsonata_js_iterations: t.iterations,
                same: agree });
  }

  const width = 52;
  const line = (set, id, sf, js, ratio, agree) =>
    console.log(`${set.padEnd(6)} ${id.slice(0, width).padEnd(width)} ${sf.padStart(11)} ` +
                `${js.padStart(13)} ${ratio.padStart(8)}  ${agree}`);
  const header = () => {
    line("set", "case", "stepflow µs", "jsonata-js µs", "ratio", "same result");
    console.log("-".repeat(6 + 1 + width + 1 + 11 + 1 + 13 + 1 + 8 + 2 + 11));
  };
  const printRow = (r) => line(r.set, r.id, fmt(r.stepflow_us), fmt(r.jsonata_js_us),
                               r.ratio.toFixed(2) + "x", r.same ? "same" : "DIFFERENT");
  header();
  for (const set of ["suite", "heavy"]) {
    const list = rows.filter((r) => r.set === set);
    if (list.length === 0) continue;
    if (set === "suite" && opt.brief) {
      const sorted = [...list].sort((a, b) => a.ratio - b.ratio);
      console.log(`suite  (${list.length} cases; --brief: the 10 with the lowest ratio, then the 5 highest)`);
      sorted.slice(0, 10).forEach(printRow);
      console.log("...");
      sorted.slice(-5).forEach(printRow);
    } else {
      list.forEach(printRow);
    }
    console.log("");
  }
  console.log("set    cases  geomean stepflow µs  geomean jsonata-js µs  geomean ratio  " +
              "min ratio  max ratio  different results");
  for (const set of ["suite", "heavy"]) {
    const list = rows.filter((r) => r.set === set);
    if (list.length === 0) continue;
    const ratios = list.map((r) => r.ratio);
    console.log(`${set.padEnd(6)} ${String(list.length).padStart(5)}  ` +
                `${fmt(geomean(list.map((r) => r.stepflow_us))).padStart(20)}  ` +
                `${fmt(geomean(list.map((r) => r.jsonata_js_us))).padStart(21)}  ` +
                `${(geomean(ratios).toFixed(2) + "x").padStart(13)}  ` +
                `${(Math.min(...ratios).toFixed(2) + "x").padStart(9)}  ` +
                `${(Math.max(...ratios).toFixed(2) + "x").padStart(9)}  ` +
                `${String(list.filter((r) => !r.same).length).padStart(17)}`);
  }
  if (opt.jsonOut) {
    fs.writeFileSync(opt.jsonOut, JSON.stringify({
      node: process.version,
      jsonata: require(path.join(path.resolve(opt.oracle), "package.json")).version,
      rows,
    }, null, 1));
  }
}

main().catch((e) => {
  console.error(`jsonata_bench.js: ${e.stack || e}`);
  process.exit(2);
});
