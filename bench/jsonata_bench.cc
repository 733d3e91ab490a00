// JSONata evaluation time, stepflow's side of bench/jsonata_compare.sh (which runs
// jsonata-js on the same cases in the same run, bench/jsonata_bench.js).
//
//   stepflow_jsonata_bench [--suite DIR] [--skip-file FILE] [--out FILE]
//       [--min-ms N] [--heavy-min-ms N] [--only suite|heavy] [--case SUBSTR]
//
// Two sets of cases:
//  - suite: every case of the official suite that passes here and expects a
//    value or undefined (not an error), with its data and bindings;
//  - heavy: a dozen expressions over larger generated data (group-by, sort,
//    $reduce, regexes, transform, $formatNumber, joins with @ and #, ...).
// Each expression is parsed once (timed apart), evaluated once to warm up,
// then evaluated repeatedly until --min-ms (default 20; heavy: --heavy-min-ms,
// default 200) have passed and at least 3 times. The time per evaluation is
// Expression::Evaluate over the borrowed input up to the result as engine
// JSON. Writes one JSON line per case to --out (default stdout): set, id,
// expr, data, bindings, parse_us, us, iterations and the result (the JS side
// checks that it gets the same), then prints a summary on stderr.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "engine/jsonata/jsonata.h"
#include "tests/jsonata/json_text.h"
#include "tests/jsonata/suite.h"

#ifndef STEPFLOW_JSONATA_SUITE_DIR
#define STEPFLOW_JSONATA_SUITE_DIR "tests/jsonata/suite"
#endif

using stepflow::Json;
using namespace stepflow::jsonata;
using namespace stepflow::jsonata::testkit;

namespace {

struct BenchCase {
  std::string set;  // "suite" | "heavy"
  std::string id;
  std::string expr;
  const Json* input = nullptr;  // nullptr = undefined
  Json bindings = Json::object();
  EvalOptions options;
  std::vector<std::pair<std::string, Value>> binding_values;
};

// Deterministic data: a small linear congruential generator.
class Lcg {
 public:
  explicit Lcg(uint64_t seed) : s_(seed) {}
  uint32_t Next() {
    s_ = s_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(s_ >> 33);
  }
  int Int(int n) { return static_cast<int>(Next() % static_cast<uint32_t>(n)); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) { return v[Int(static_cast<int>(v.size()))]; }

 private:
  uint64_t s_;
};

// ~500 orders with 1-6 lines each, 100 customers, ~300 KiB of JSON.
Json MakeShop() {
  Lcg r(42);
  const std::vector<std::string> countries = {"DE", "FR", "GB", "US", "JP", "BR"};
  const std::vector<std::string> categories = {"books", "games", "garden", "tools", "food",
                                               "music", "toys"};
  const std::vector<std::string> statuses = {"open", "paid", "shipped", "cancelled"};
  const std::vector<std::string> words = {"fast", "gift", "fragile", "bulk", "repeat",
                                          "priority", "return", "promo"};
  Json customers = Json::array();
  for (int i = 0; i < 100; ++i) {
    customers.push_back({{"id", "C" + std::to_string(1000 + i)},
                         {"name", "Customer " + std::to_string(i)},
                         {"email", "user" + std::to_string(i) + "@mail" + std::to_string(i % 7) +
                                       ".example"},
                         {"country", r.Pick(countries)},
                         {"vip", r.Int(5) == 0}});
  }
  Json orders = Json::array();
  for (int i = 0; i < 500; ++i) {
    Json lines = Json::array();
    int n = 1 + r.Int(6);
    for (int k = 0; k < n; ++k) {
      lines.push_back({{"sku", "SKU-" + std::to_string(r.Int(300))},
                       {"category", r.Pick(categories)},
                       {"qty", 1 + r.Int(9)},
                       {"price", (100 + r.Int(99900)) / 100.0}});
    }
    std::string note = r.Pick(words) + " " + std::string(1, static_cast<char>('A' + r.Int(26))) +
                       std::string(1, static_cast<char>('A' + r.Int(26))) + "-" +
                       std::to_string(r.Int(100000)) + " " + r.Pick(words);
    orders.push_back({{"id", "O" + std::to_string(100000 + i)},
                      {"customer", "C" + std::to_string(1000 + r.Int(100))},
                      {"date", "2024-" + std::string(r.Int(9) < 9 ? "0" : "") +
                                   std::to_string(1 + r.Int(9)) + "-1" + std::to_string(r.Int(9))},
                      {"status", r.Pick(statuses)},
                      {"note", note},
                      {"lines", lines}});
  }
  return {{"customers", customers}, {"orders", orders}};
}

// A long list of numbers and words.
Json MakeSeries() {
  Lcg r(7);
  Json nums = Json::array();
  Json words = Json::array();
  for (int i = 0; i < 5000; ++i) nums.push_back(r.Int(100000) / 10.0);
  const std::vector<std::string> w = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta"};
  for (int i = 0; i < 2000; ++i) words.push_back(r.Pick(w) + std::to_string(r.Int(50)));
  return {{"nums", nums}, {"words", words}};
}

struct Heavy {
  const char* id;
  const char* dataset;  // "shop" | "series"
  const char* expr;
};

const Heavy kHeavy[] = {
    {"group-by customer: order totals", "shop",
     "orders{customer: $sum(lines.(qty * price))}"},
    {"sort orders by total (desc) then id", "shop",
     "(orders.{'id': id, 'total': $sum(lines.(qty * price))})^(>total, id).id"},
    {"$reduce over all quantities", "shop",
     "$reduce(orders.lines.qty, function($acc, $q){ $acc + $q }, 0)"},
    {"regex $match on notes", "shop", "orders.$match(note, /[A-Z]{2}-[0-9]+/).match"},
    {"regex $replace on emails", "shop",
     "customers.$replace(email, /^([a-z]+)([0-9]+)@(.*)$/, '$3:$1-$2')"},
    {"transform: flag and drop fields", "shop",
     "$ ~> |orders|{'big': $sum(lines.price) > 1000, 'n': $count(lines)}, ['note', 'date']|"},
    {"$formatNumber of every line amount", "shop",
     "orders.lines.$formatNumber(qty * price, '#,##0.00')"},
    {"join orders to customers with @", "shop",
     "orders@$o.customers@$c[$c.id = $o.customer and $c.vip].{'order': $o.id, 'name': $c.name}"},
    {"positional # and a filter", "shop",
     "orders#$i[$i % 10 = 0].{'i': $i, 'id': id, 'lines': $count(lines)}"},
    {"$filter + $map + $sort with a lambda", "shop",
     "$sort($map($filter(orders, function($o){ $o.status = 'open' }), function($o){ "
     "{'id': $o.id, 'sum': $sum($o.lines.price)} }), function($a, $b){ $a.sum < $b.sum })"},
    {"group by category with counts and distinct skus", "shop",
     "orders.lines{category: {'n': $count(sku), 'skus': $count($distinct(sku))}}"},
    {"descendants and $distinct", "shop", "$count($distinct(**.sku))"},
    {"string building over a series", "series",
     "$join(words[$length($) > 5].$uppercase($substring($, 0, 3)), ',') ~> $length()"},
    {"numeric aggregation over a series", "series",
     "{'sum': $sum(nums), 'avg': $average(nums), 'max': $max(nums), 'big': $count(nums[$ > "
     "5000]), 'sorted': $sort(nums)[[0..4]]}"},
};

struct Timing {
  double parse_us = 0;
  double eval_us = 0;
  long iterations = 0;
  std::string result;  // JSON text, "undefined" or "error CODE"
};

double Micros(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

Timing TimeCase(const BenchCase& c, double min_ms) {
  Timing t;
  auto p0 = std::chrono::steady_clock::now();
  std::variant<Expression, ErrorInfo> parsed = Expression::Parse(c.expr);
  t.parse_us = Micros(std::chrono::steady_clock::now() - p0);
  if (const ErrorInfo* e = std::get_if<ErrorInfo>(&parsed)) {
    t.result = "error " + e->code;
    return t;
  }
  const Expression& expr = std::get<Expression>(parsed);
  Evaluation first = expr.Evaluate(c.input, c.options);  // warm-up, and the result to check
  if (first.error) {
    t.result = "error " + first.error->code;
  } else {
    t.result = first.value ? JsonText(*first.value) : "undefined";
  }
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + std::chrono::microseconds(static_cast<long>(min_ms * 1000));
  long n = 0;
  std::chrono::steady_clock::time_point now;
  do {
    Evaluation r = expr.Evaluate(c.input, c.options);
    stepflow::bench::DoNotOptimize(r);
    ++n;
    now = std::chrono::steady_clock::now();
  } while ((now < deadline || n < 3) && n < 10000000);
  t.iterations = n;
  t.eval_us = Micros(now - start) / static_cast<double>(n);
  return t;
}

int Usage(const char* message) {
  std::fprintf(stderr,
               "stepflow_jsonata_bench: %s\n"
               "usage: stepflow_jsonata_bench [--suite DIR] [--skip-file FILE] [--out FILE]\n"
               "       [--min-ms N] [--heavy-min-ms N] [--only suite|heavy] [--case SUBSTR]\n",
               message);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string suite_dir = STEPFLOW_JSONATA_SUITE_DIR;
  std::string skip_file, out_file, only, filter;
  double min_ms = 20, heavy_min_ms = 200;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc && a != "--help") return Usage(("missing value for " + a).c_str());
    if (a == "--suite") suite_dir = argv[++i];
    else if (a == "--skip-file") skip_file = argv[++i];
    else if (a == "--out") out_file = argv[++i];
    else if (a == "--min-ms") min_ms = std::atof(argv[++i]);
    else if (a == "--heavy-min-ms") heavy_min_ms = std::atof(argv[++i]);
    else if (a == "--only") only = argv[++i];
    else if (a == "--case") filter = argv[++i];
    else return Usage(("unknown argument " + a).c_str());
  }
  FILE* out = stdout;
  if (!out_file.empty() && !(out = std::fopen(out_file.c_str(), "w"))) {
    return Usage(("cannot write " + out_file).c_str());
  }

  std::vector<BenchCase> cases;
  std::optional<Suite> suite;
  Json skips = Json::object();
  if (only != "heavy") {
    std::string error;
    suite = LoadSuite(suite_dir, {}, &error);
    if (!suite) return Usage(error.c_str());
    if (!skip_file.empty()) {
      std::optional<std::string> text = ReadFile(skip_file);
      std::optional<Json> parsed = text ? ParseJsonText(*text, &error) : std::nullopt;
      if (!parsed) return Usage(("bad skip file " + skip_file).c_str());
      skips = *parsed;
    }
    int failing = 0;
    for (const SuiteCase& c : suite->cases) {
      if (skips.contains(c.id) || skips.contains(c.group + "/" + c.file)) continue;
      if (c.expect != SuiteCase::Expect::kResult && c.expect != SuiteCase::Expect::kUndefined) {
        continue;
      }
      if (!filter.empty() && c.id.find(filter) == std::string::npos) continue;
      if (!RunCase(c).pass) {
        ++failing;
        continue;
      }
      BenchCase b;
      b.set = "suite";
      b.id = c.id;
      b.expr = c.expr;
      b.input = c.input.get();
      b.bindings = c.bindings;
      b.options = CaseOptions(c, &b.binding_values);
      cases.push_back(std::move(b));
    }
    std::fprintf(stderr, "suite: %zu cases that expect a value pass here (%d such cases fail: left out)\n",
                 cases.size(), failing);
  }
  const Json shop = MakeShop();
  const Json series = MakeSeries();
  if (only != "suite") {
    for (const Heavy& h : kHeavy) {
      if (!filter.empty() && std::string(h.id).find(filter) == std::string::npos) continue;
      BenchCase b;
      b.set = "heavy";
      b.id = h.id;
      b.expr = h.expr;
      b.input = std::strcmp(h.dataset, "shop") == 0 ? &shop : &series;
      cases.push_back(std::move(b));
    }
  }
  // Pointers into `cases` are taken only now that it no longer grows.
  for (BenchCase& b : cases) b.options.bindings = b.binding_values;

  std::vector<double> logs[2];
  for (const BenchCase& c : cases) {
    const bool heavy = c.set == "heavy";
    Timing t = TimeCase(c, heavy ? heavy_min_ms : min_ms);
    if (t.eval_us > 0) logs[heavy].push_back(std::log(t.eval_us));
    std::string line = "{\"set\":\"" + c.set + "\",\"id\":";
    AppendJsonText(Json(c.id), &line);
    line += ",\"expr\":";
    AppendJsonText(Json(c.expr), &line);
    if (c.input) {
      line += ",\"data\":";
      AppendJsonText(*c.input, &line);
    }
    line += ",\"bindings\":";
    AppendJsonText(c.bindings, &line);
    line += ",\"parse_us\":" + NumberText(t.parse_us) + ",\"us\":" + NumberText(t.eval_us) +
            ",\"iterations\":" + std::to_string(t.iterations) + ",\"result\":";
    AppendJsonText(Json(t.result), &line);
    line += "}\n";
    std::fwrite(line.data(), 1, line.size(), out);
    if (heavy) std::fprintf(stderr, "  %-50s %12.1f us\n", c.id.c_str(), t.eval_us);
  }
  if (out != stdout) std::fclose(out);
  for (int s = 0; s < 2; ++s) {
    if (logs[s].empty()) continue;
    double sum = 0;
    for (double l : logs[s]) sum += l;
    std::fprintf(stderr, "%s: %zu cases, geometric mean %.2f us per evaluation\n",
                 s ? "heavy" : "suite", logs[s].size(), std::exp(sum / logs[s].size()));
  }
  return 0;
}
