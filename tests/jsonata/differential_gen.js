// Random JSONata test cases for the differential test (differential.js) and nothing else:
// a seeded generator (the same seed gives the same cases on every machine) of input data
// and of expressions over it — paths, predicates, operators, constructors, built-in
// functions with random (often ill-typed) arguments, lambdas, sorting and grouping,
// blocks, transforms, regexes.
//
// Expressions stay cheap in both engines: ranges are short, data small, no recursion, and
// nothing that depends on the clock or on randomness ($now, $millis, $random, $shuffle).
"use strict";

// mulberry32: small, fast, good enough, and the same in every JS engine.
function makeRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ["foo", "bar", "baz", "Hello", "world", "a b", "x-y", "ÄÖü", "日本", "", "123",
               "true", "  pad  ", "a,b,c", "Foo", "BAR", "😀x", "0.5", "-7", "e"];
const CATS = ["x", "y", "z"];
const KEYS = ["name", "price", "qty", "tags", "cat", "a", "b", "id"];
const REGEXES = ["/a/", "/[a-z]+/", "/o+/i", "/(\\w)(\\w)/", "/^F/", "/\\d+/", "/b|z/", "/x?/"];
const PICTURES = ["'#,##0.00'", "'0.0'", "'#'", "'000'", "'#,###'", "'##0%'", "'#.##'"];
// jsonata-js 2.0.6 loops forever formatting zero or a negative number with an exponent
// picture ($formatNumber(-12, '0.00e0'), $formatNumber(0, '0.0e0')): those get only
// positive numbers.
const EXPONENT_PICTURES = ["'0.00e0'", "'00.0e0'", "'0.0e00'"];

class Generator {
  constructor(seed) {
    this.r = makeRandom(seed);
    this.vars = [];  // variables in scope: {name, kind: "num"|"str"|"item"|"any"|"arr"|"fn"}
  }

  // ---- randomness ----
  int(n) { return Math.floor(this.r() * n); }
  range(lo, hi) { return lo + this.int(hi - lo + 1); }
  chance(p) { return this.r() < p; }
  pick(list) { return list[this.int(list.length)]; }
  // Weighted choice over [weight, fn] pairs.
  choose(options) {
    let total = 0;
    for (const [w] of options) total += w;
    let x = this.r() * total;
    for (const [w, f] of options) {
      if ((x -= w) < 0) return f();
    }
    return options[options.length - 1][1]();
  }

  // ---- data ----
  scalar() {
    return this.choose([
      [3, () => this.range(-5, 20)],
      [2, () => this.range(-1000, 1000) / 100],
      [3, () => this.pick(WORDS)],
      [1, () => this.chance(0.5)],
      [1, () => null],
    ]);
  }

  anyValue(depth) {
    if (depth <= 0) return this.scalar();
    return this.choose([
      [5, () => this.scalar()],
      [2, () => Array.from({ length: this.int(4) }, () => this.anyValue(depth - 1))],
      [2, () => {
        const o = {};
        for (let i = this.int(4); i > 0; i--) o[this.pick(KEYS)] = this.anyValue(depth - 1);
        return o;
      }],
    ]);
  }

  item() {
    const it = {
      name: this.pick(WORDS.slice(0, 8)),
      price: this.chance(0.9) ? this.range(0, 5000) / 100 : this.scalar(),
      qty: this.range(0, 9),
      tags: Array.from({ length: this.int(4) }, () => this.pick(WORDS.slice(0, 6))),
      cat: this.pick(CATS),
    };
    if (this.chance(0.15)) delete it[this.pick(KEYS.slice(0, 5))];
    if (this.chance(0.1)) it.extra = this.anyValue(2);
    return it;
  }

  data() {
    return this.choose([
      [14, () => {
        const d = {
          name: this.pick(WORDS),
          a: this.range(-10, 100),
          b: this.chance(0.8) ? this.range(-1000, 1000) / 10 : this.scalar(),
          flag: this.chance(0.5),
          tags: Array.from({ length: this.int(5) }, () => this.pick(WORDS)),
          nums: Array.from({ length: this.int(6) }, () => this.range(-20, 50)),
          items: Array.from({ length: this.int(7) }, () => this.item()),
          nested: { a: { b: { c: this.anyValue(1) } }, list: [this.anyValue(2), this.anyValue(1)] },
          mixed: Array.from({ length: this.int(5) }, () => this.anyValue(2)),
        };
        if (this.chance(0.2)) delete d[this.pick(Object.keys(d))];
        return d;
      }],
      [2, () => Array.from({ length: this.int(5) }, () => this.item())],
      [1, () => this.anyValue(3)],
      [1, () => undefined],
    ]);
  }

  // ---- expressions ----
  withVars(added, f) {
    const saved = this.vars;
    this.vars = saved.concat(added);
    try {
      return f();
    } finally {
      this.vars = saved;
    }
  }

  varOf(kind) {
    const list = this.vars.filter((v) => v.kind === kind);
    return list.length > 0 ? this.pick(list).name : null;
  }

  numLit() {
    return this.choose([
      [4, () => String(this.range(0, 12))],
      [2, () => String(this.range(-500, 500) / 10)],
      [1, () => this.pick(["0", "-1", "1e3", "0.1", "1.5e-3", "100000000000000000000", "-0.0"])],
    ]);
  }

  strLit() {
    const w = this.pick(WORDS);
    return this.chance(0.5) ? JSON.stringify(w) : "'" + w.replace(/'/g, "\\'") + "'";
  }

  itemPath() {
    return this.pick(["items", "items[0]", "items[-1]", "$.items", "items[price > 10]",
                      "items[cat = 'x']", "items[[0..1]]", "items[qty > 2 and price < 30]",
                      "items[tags = 'foo']", "$$.items"]);
  }

  num(d) {
    const v = this.varOf("num");
    const it = this.varOf("item");
    if (d <= 0) {
      return this.choose([
        [3, () => this.numLit()],
        [3, () => this.pick(["a", "b", "price", "items[0].price", "nums[0]", "nums[-1]",
                             "items[1].qty", "$count(items)"])],
        [v ? 3 : 0, () => v],
        [it ? 3 : 0, () => `${it}.${this.pick(["price", "qty"])}`],
      ]);
    }
    const n = () => this.num(d - 1);
    return this.choose([
      [3, () => this.num(0)],
      [4, () => `${n()} ${this.pick(["+", "-", "*", "/", "%"])} ${n()}`],
      [1, () => `-${n()}`],
      [2, () => `$sum(${this.arr(d - 1)})`],
      [2, () => `$count(${this.arr(d - 1)})`],
      [1, () => `$max(${this.arr(d - 1)})`],
      [1, () => `$min(${this.arr(d - 1)})`],
      [1, () => `$average(${this.arr(d - 1)})`],
      [1, () => `$length(${this.str(d - 1)})`],
      [1, () => `$abs(${n()})`],
      [1, () => `$floor(${n()})`],
      [1, () => `$ceil(${n()})`],
      [1, () => `$round(${n()}${this.chance(0.5) ? ", " + this.range(-2, 3) : ""})`],
      [1, () => `$power(${n()}, ${this.range(-2, 4)})`],
      [1, () => `$sqrt(${n()})`],
      [1, () => `$number(${this.chance(0.5) ? this.str(d - 1) : this.any(d - 1)})`],
      [1, () => `${this.bool(d - 1)} ? ${n()} : ${n()}`],
      [1, () => `$reduce(${this.arr(d - 1)}, function($acc, $x){ $acc + $x }${this.chance(0.3) ? ", 0" : ""})`],
      [1, () => `$parseInteger(${this.pick(["'12'", "'1,234'", "'-5'"])}, ${this.pick(["'#'", "'#,##0'", "'0'"])})`],
      [1, () => `(${n()})`],
      [1, () => `$sum(items.(price * qty))`],
    ]);
  }

  str(d) {
    const v = this.varOf("str");
    const it = this.varOf("item");
    if (d <= 0) {
      return this.choose([
        [3, () => this.strLit()],
        [2, () => this.pick(["name", "items[0].name", "tags[0]", "items[-1].cat", "nested.a.b.c"])],
        [v ? 3 : 0, () => v],
        [it ? 2 : 0, () => `${it}.name`],
      ]);
    }
    const s = () => this.str(d - 1);
    return this.choose([
      [3, () => this.str(0)],
      [3, () => `${s()} & ${this.chance(0.7) ? s() : this.any(d - 1)}`],
      [2, () => `$string(${this.any(d - 1)}${this.chance(0.2) ? ", true" : ""})`],
      [1, () => `$uppercase(${s()})`],
      [1, () => `$lowercase(${s()})`],
      [1, () => `$trim(${s()})`],
      [1, () => `$substring(${s()}, ${this.range(-4, 5)}${this.chance(0.5) ? ", " + this.range(-1, 4) : ""})`],
      [1, () => `$substringBefore(${s()}, ${this.strLit()})`],
      [1, () => `$substringAfter(${s()}, ${this.strLit()})`],
      [1, () => `$pad(${s()}, ${this.range(-8, 8)}${this.chance(0.5) ? ", '#'" : ""})`],
      [2, () => `$join(${this.arr(d - 1)}${this.chance(0.6) ? ", " + this.pick(["','", "'-'", "''"]) : ""})`],
      [1, () => `$replace(${s()}, ${this.chance(0.5) ? this.strLit() : this.pick(REGEXES)}, ${this.pick(["'#'", "''", "'$1'", "'[$0]'"])})`],
      [1, () => `$formatNumber(${this.num(d - 1)}, ${this.pick(PICTURES)})`],
      [1, () => `$formatNumber($abs(${this.num(d - 1)}) + 0.5, ${this.pick(EXPONENT_PICTURES)})`],
      [1, () => `$formatBase(${this.num(d - 1)}, ${this.pick([2, 8, 16, 36])})`],
      [1, () => `$formatInteger(${this.range(0, 3000)}, ${this.pick(["'w'", "'W'", "'I'", "'0001'", "'#,##0'"])})`],
      [1, () => `$type(${this.any(d - 1)})`],
      [1, () => `$base64encode(${s()})`],
      [1, () => `$encodeUrlComponent(${s()})`],
      [1, () => `${this.bool(d - 1)} ? ${s()} : ${s()}`],
      [1, () => `$string(${this.num(d - 1)})`],
      [1, () => `$fromMillis(${this.range(0, 2000000000) * 1000}${this.chance(0.5) ? ", '[Y0001]-[M01]-[D01] [H01]:[m01]'" : ""})`],
    ]);
  }

  bool(d) {
    if (d <= 0) {
      return this.choose([
        [2, () => this.pick(["true", "false", "flag", "items[0].price > 10"])],
        [2, () => `${this.num(0)} ${this.pick(["<", "<=", ">", ">=", "=", "!="])} ${this.num(0)}`],
        [1, () => `${this.str(0)} = ${this.str(0)}`],
      ]);
    }
    return this.choose([
      [2, () => this.bool(0)],
      [3, () => `${this.num(d - 1)} ${this.pick(["<", "<=", ">", ">=", "=", "!="])} ${this.num(d - 1)}`],
      [1, () => `${this.str(d - 1)} ${this.pick(["<", ">", "=", "!="])} ${this.str(d - 1)}`],
      [2, () => `${this.bool(d - 1)} ${this.pick(["and", "or"])} ${this.bool(d - 1)}`],
      [1, () => `$not(${this.any(d - 1)})`],
      [1, () => `$boolean(${this.any(d - 1)})`],
      [1, () => `$exists(${this.any(d - 1)})`],
      [1, () => `$contains(${this.str(d - 1)}, ${this.chance(0.7) ? this.strLit() : this.pick(REGEXES)})`],
      [1, () => `${this.any(d - 1)} in ${this.arr(d - 1)}`],
      [1, () => `${this.any(d - 1)} = ${this.any(d - 1)}`],
    ]);
  }

  lambda(params, body) {
    return `function(${params.join(", ")}){ ${body} }`;
  }

  arr(d) {
    const it = this.varOf("item");
    if (d <= 0) {
      return this.choose([
        [3, () => this.pick(["nums", "tags", "items.price", "items.name", "items.tags", "mixed",
                             "items.qty", "nested.list", "$.nums", "items"])],
        [1, () => `[${this.range(0, 3)}..${this.range(0, 8)}]`],
        [1, () => `[${this.numLit()}, ${this.numLit()}]`],
        [it ? 1 : 0, () => `${it}.tags`],
      ]);
    }
    const a = () => this.arr(d - 1);
    const itemFn = (body) => this.withVars([{ name: "$v", kind: "item" }, { name: "$i", kind: "num" }],
                                           () => this.lambda(["$v", "$i"], body()));
    const anyFn = (body) => this.withVars([{ name: "$v", kind: "any" }, { name: "$i", kind: "num" }],
                                          () => this.lambda(["$v", "$i"], body()));
    return this.choose([
      [3, () => this.arr(0)],
      [2, () => `[${Array.from({ length: this.int(4) }, () => this.any(d - 1)).join(", ")}]`],
      [1, () => `$append(${a()}, ${this.any(d - 1)})`],
      [1, () => `$reverse(${a()})`],
      [2, () => `$sort(${a()})`],
      [2, () => `$sort(items, function($l, $r){ $l.${this.pick(["price", "qty", "name"])} ${this.pick(["<", ">"])} $r.${this.pick(["price", "qty", "name"])} })`],
      [1, () => `$distinct(${a()})`],
      [2, () => `$map(items, ${itemFn(() => this.any(d - 1))})`],
      [1, () => `$map(${a()}, ${anyFn(() => this.any(d - 1))})`],
      [2, () => `$filter(items, ${itemFn(() => this.bool(d - 1))})`],
      [1, () => `$filter(${a()}, ${anyFn(() => this.bool(d - 1))})`],
      [1, () => `$keys(${this.obj(d - 1)})`],
      [1, () => `$split(${this.str(d - 1)}, ${this.chance(0.7) ? this.pick(["','", "' '", "''", "'a'"]) : this.pick(REGEXES)}${this.chance(0.3) ? ", " + this.range(0, 3) : ""})`],
      [2, () => `${this.itemPath()}.${this.pick(["name", "price", "tags", "cat", "qty", "extra"])}`],
      [2, () => `items^(${this.pick([">", "<", ""])}${this.pick(["price", "qty", "name", "cat"])}${this.chance(0.3) ? ", " + this.pick(["name", "<qty"]) : ""}).${this.pick(["name", "price", "qty"])}`],
      [1, () => `$zip(${a()}, ${a()})`],
      [1, () => `$match(${this.str(d - 1)}, ${this.pick(REGEXES)}).${this.pick(["match", "index", "groups"])}`],
      [1, () => `items.(price * qty)`],
      [1, () => `items#$pos[$pos < ${this.range(0, 3)}].name`],
      [1, () => `items@$it.tags@$t.{ 'n': $it.name, 't': $t }`],
      [1, () => `$spread(${this.obj(d - 1)})`],
      [1, () => `$each(${this.obj(d - 1)}, function($v, $k){ $k & '=' & $string($v) })`],
      [1, () => `${a()}[${this.chance(0.5) ? this.range(-2, 3) : "$ > " + this.range(0, 10)}]`],
      [1, () => `${a()}[]`],
      [1, () => `[${a()}, ${a()}]`],
      [1, () => `**.${this.pick(["name", "c", "a", "price"])}`],
      [1, () => `*.${this.pick(["name", "price", "a"])}`],
      [1, () => `${a()} ~> $map(${anyFn(() => this.any(d - 1))})`],
      [1, () => `items[${this.bool(d - 1)}].name`],
    ]);
  }

  obj(d) {
    if (d <= 0) {
      return this.pick(["items[0]", "nested", "nested.a", "$", "{}", "{'a': 1, 'b': [2]}",
                        "items[-1]"]);
    }
    const entries = () => Array.from({ length: this.range(1, 3) },
                                      () => `${this.strLit()}: ${this.any(d - 1)}`).join(", ");
    return this.choose([
      [2, () => this.obj(0)],
      [3, () => `{${entries()}}`],
      [2, () => `items{${this.pick(["cat", "name"])}: ${this.pick(["$sum(price)", "$count(qty)", "name", "$.qty", "[price]"])}}`],
      [1, () => `items.{${this.pick(["name", "cat"])}: ${this.pick(["price", "qty", "tags"])}}`],
      [1, () => `$merge([${this.obj(d - 1)}, ${this.obj(d - 1)}])`],
      [1, () => `$sift(${this.obj(d - 1)}, function($v, $k){ ${this.chance(0.5) ? "$type($v) = 'number'" : "$k != 'name'"} })`],
      [1, () => `$ ~> |${this.pick(["items", "nested", "$"])}|{'flag': ${this.any(d - 1)}}${this.chance(0.5) ? ", " + this.pick(["'name'", "['tags', 'cat']"]) : ""}|`],
      [1, () => `$lookup(${this.chance(0.5) ? "items" : this.obj(d - 1)}, ${this.pick(["'name'", "'price'", "'a'"])})`],
      [1, () => `$single(items, function($v){ $v.${this.pick(["qty", "price"])} = ${this.range(0, 9)} })`],
    ]);
  }

  any(d) {
    return this.choose([
      [3, () => this.num(d)],
      [3, () => this.str(d)],
      [2, () => this.bool(d)],
      [3, () => this.arr(d)],
      [2, () => this.obj(d)],
      [1, () => this.pick(["null", "$", "$$", "()", "undefinedField", "/ab+/", "$uppercase",
                           "function($x){$x}"])],
      [d > 0 ? 1 : 0, () => {
        const x = `$${this.pick(["x", "y"])}`;
        const def = this.any(d - 1);
        return `(${x} := ${def}; ${this.withVars([{ name: x, kind: "any" }], () => this.any(d - 1))})`;
      }],
      [d > 0 ? 1 : 0, () => `(${this.any(d - 1)}; ${this.any(d - 1)})`],
      [d > 0 ? 1 : 0, () => `${this.any(d - 1)} ~> ${this.pick(["$string", "$count", "$type", "$exists", "$boolean"])}()`],
      [d > 0 ? 1 : 0, () => `(${this.lambda(["$a", "$b"], "$a " + this.pick(["+", "&", "*", "="]) + " $b")})(${this.any(d - 1)}, ${this.any(d - 1)})`],
      // Partial application. jsonata-js does not check the arguments given to a partial
      // application of a built-in ($power(?, 3)('') is 0 there, $substring(?, 1)(5) a
      // TypeError) where stepflow raises T0410, so they are literals of the right types here.
      [d > 0 ? 1 : 0, () => this.choose([
        [1, () => `$substring(?, ${this.range(0, 3)})(${this.strLit()})`],
        [1, () => `$power(?, ${this.range(0, 3)})(${this.numLit()})`],
        [1, () => `$join(?, '/')(${this.pick(["tags", "items.name", "['a', 'b']"])})`],
      ])],
      [d > 0 ? 1 : 0, () => `${this.any(d - 1)} ${this.pick(["=", "!=", "<", "&", "+", "and", "or", "in"])} ${this.any(d - 1)}`],
      [d > 0 ? 1 : 0, () => `${this.bool(d - 1)} ? ${this.any(d - 1)}${this.chance(0.7) ? " : " + this.any(d - 1) : ""}`],
      [1, () => `${this.pick(["name", "a", "items", "nested", "mixed", "tags"])}.${this.pick(["name", "a", "b", "c", "price", "$", "*"])}`],
    ]);
  }

  testCase() {
    const depth = this.range(1, 4);
    const data = this.data();
    const expr = this.any(depth);
    const bindings = this.chance(0.2) ? { x: this.anyValue(2), y: this.range(0, 9) } : {};
    return { expr, data, bindings };
  }
}

module.exports = { Generator };
