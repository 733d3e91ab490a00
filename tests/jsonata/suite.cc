#include "tests/jsonata/suite.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <filesystem>
#include <set>

#include "tests/jsonata/json_text.h"

namespace stepflow::jsonata::testkit {
namespace {

namespace fs = std::filesystem;

constexpr size_t kReportLimit = 4000;  // characters of expected/actual shown

std::string Clip(std::string s) {
  if (s.size() > kReportLimit) {
    s.resize(kReportLimit);
    s += "...";
  }
  return s;
}

std::vector<std::string> SortedEntries(const fs::path& dir, bool directories) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (directories) {
      // As the JS runner: every entry not ending in .json is a group.
      if (entry.is_directory() && !name.ends_with(".json")) names.push_back(name);
    } else if (entry.is_regular_file() && name.ends_with(".json")) {
      names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

class Loader {
 public:
  explicit Loader(fs::path root) : root_(std::move(root)) {}

  void LoadGroup(const std::string& group, std::vector<SuiteCase>* out) {
    fs::path dir = root_ / "groups" / group;
    for (const std::string& file : SortedEntries(dir, false)) {
      std::string error;
      std::optional<std::string> text = ReadFile((dir / file).string());
      std::optional<Json> spec;
      if (!text) {
        error = "cannot read the file";
      } else {
        spec = ParseJsonText(*text, &error);
      }
      if (!spec) {
        SuiteCase c;
        c.group = group;
        c.file = file;
        c.id = group + "/" + file;
        c.problem = "case file does not parse: " + error;
        out->push_back(std::move(c));
        continue;
      }
      if (spec->is_array()) {
        for (size_t i = 0; i < spec->size(); ++i) {
          out->push_back(MakeCase(group, file, static_cast<int>(i), (*spec)[i], dir));
        }
      } else {
        out->push_back(MakeCase(group, file, -1, *spec, dir));
      }
    }
  }

 private:
  std::shared_ptr<const Json> Dataset(const std::string& name, std::string* problem) {
    auto it = datasets_.find(name);
    if (it != datasets_.end()) return it->second;
    std::string error;
    std::optional<std::string> text = ReadFile((root_ / "datasets" / (name + ".json")).string());
    std::optional<Json> data;
    if (text) data = ParseJsonText(*text, &error);
    if (!data) {
      *problem = "dataset " + name + (text ? " does not parse: " + error : " not found");
      return nullptr;
    }
    auto shared = std::make_shared<const Json>(std::move(*data));
    datasets_.emplace(name, shared);
    return shared;
  }

  SuiteCase MakeCase(const std::string& group, const std::string& file, int index,
                     const Json& spec, const fs::path& dir) {
    SuiteCase c;
    c.group = group;
    c.file = file;
    c.index = index;
    c.id = group + "/" + file + (index >= 0 ? "#" + std::to_string(index) : "");
    if (!spec.is_object()) {
      c.problem = "a case is not an object";
      return c;
    }
    if (auto f = spec.find("expr-file"); f != spec.end() && f->is_string()) {
      std::optional<std::string> text = ReadFile((dir / f->get<std::string>()).string());
      if (!text) {
        c.problem = "cannot read expr-file " + f->get<std::string>();
        return c;
      }
      c.expr = std::move(*text);
    } else if (auto e = spec.find("expr"); e != spec.end() && e->is_string()) {
      c.expr = e->get<std::string>();
    } else {
      c.problem = "no expr";
      return c;
    }
    if (auto d = spec.find("data"); d != spec.end()) {
      c.input = std::make_shared<const Json>(*d);
    } else if (auto ds = spec.find("dataset"); ds != spec.end() && ds->is_string()) {
      c.input = Dataset(ds->get<std::string>(), &c.problem);
      if (!c.input) return c;
    } else if (ds == spec.end() || !ds->is_null()) {
      c.problem = "neither data nor dataset";
      return c;
    }
    if (auto b = spec.find("bindings"); b != spec.end() && b->is_object()) c.bindings = *b;
    auto t = spec.find("timelimit");
    auto d = spec.find("depth");
    if (t != spec.end() && d != spec.end() && t->is_number() && d->is_number()) {
      c.timelimit_ms = t->get<int>();
      c.depth = d->get<int>();
    }
    // The JS runner's order of precedence.
    if (spec.contains("undefinedResult")) {
      c.expect = SuiteCase::Expect::kUndefined;
    } else if (spec.contains("result")) {
      c.expect = SuiteCase::Expect::kResult;
      c.result = spec["result"];
    } else if (spec.contains("error")) {
      c.expect = SuiteCase::Expect::kError;
      c.error = spec["error"];
    } else if (spec.contains("code")) {
      c.expect = SuiteCase::Expect::kCode;
    }
    // A compile error is checked against `code` whatever else the case says.
    if (auto code = spec.find("code"); code != spec.end() && code->is_string()) {
      c.code = code->get<std::string>();
    }
    if (auto tok = spec.find("token"); tok != spec.end() && tok->is_string()) {
      c.token = tok->get<std::string>();
    }
    return c;
  }

  fs::path root_;
  std::map<std::string, std::shared_ptr<const Json>> datasets_;
};

std::string ExpectedText(const SuiteCase& c) {
  switch (c.expect) {
    case SuiteCase::Expect::kResult: return JsonText(c.result);
    case SuiteCase::Expect::kUndefined: return "undefined";
    case SuiteCase::Expect::kError: return "error " + JsonText(c.error);
    case SuiteCase::Expect::kCode:
      return "error " + c.code + (c.token ? " (token " + *c.token + ")" : "");
    case SuiteCase::Expect::kNothing: return "(nothing)";
  }
  return "";
}

// chai's .to.deep.contain(expected) on the thrown error object. jsonata-js
// names the function of D3140 in `functionName`; ErrorInfo keeps it in token.
bool ErrorContains(const ErrorInfo& e, const Json& expected, std::string* why) {
  if (!expected.is_object()) {
    *why = "the case's error is not an object";
    return false;
  }
  for (const auto& [key, want] : expected.items()) {
    Json have;
    if (key == "code") {
      have = e.code;
    } else if (key == "message") {
      have = e.message;
    } else if (key == "token" || key == "functionName") {
      have = e.token;
    } else if (key == "position") {
      have = e.position;
    } else if (key == "value") {
      if (!e.value) {
        *why = "error has no value";
        return false;
      }
      have = *e.value;
    } else {
      *why = "error field '" + key + "' is not checked by this runner";
      return false;
    }
    if (!ChaiDeepEqual(have, want)) {
      *why = "error " + key + " is " + JsonText(have) + ", expected " + JsonText(want);
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<Suite> LoadSuite(const std::string& dir, const std::vector<std::string>& groups,
                               std::string* error) {
  fs::path root(dir);
  std::error_code ec;
  if (!fs::is_directory(root / "groups", ec)) {
    *error = "no groups/ directory under " + dir;
    return std::nullopt;
  }
  Suite suite;
  std::vector<std::string> all = SortedEntries(root / "groups", true);
  if (groups.empty()) {
    suite.groups = all;
  } else {
    for (const std::string& g : groups) {
      if (std::find(all.begin(), all.end(), g) == all.end()) {
        *error = "no group " + g + " in " + dir;
        return std::nullopt;
      }
    }
    std::set<std::string> unique(groups.begin(), groups.end());
    suite.groups.assign(unique.begin(), unique.end());
  }
  Loader loader(root);
  for (const std::string& g : suite.groups) loader.LoadGroup(g, &suite.cases);
  return suite;
}

EvalOptions CaseOptions(const SuiteCase& c, std::vector<std::pair<std::string, Value>>* storage) {
  storage->clear();
  for (const auto& [name, value] : c.bindings.items()) {
    storage->emplace_back(name, Value::Borrow(value));
  }
  EvalOptions options;
  options.bindings = *storage;
  if (c.timelimit_ms && c.depth) {
    options.time_limit = std::chrono::milliseconds(*c.timelimit_ms);
    options.max_depth = *c.depth;
  }
  return options;
}

Value CaseInput(const SuiteCase& c) { return c.input ? Value::Borrow(*c.input) : Value(); }

std::string DescribeError(const ErrorInfo& e) {
  std::string s = e.code + ": " + e.message;
  if (e.position >= 0) s += " (position " + std::to_string(e.position) + ")";
  if (!e.token.empty()) s += " (token " + e.token + ")";
  if (e.value) s += " (value " + JsonText(*e.value) + ")";
  return s;
}

CaseOutcome RunCase(const SuiteCase& c) {
  CaseOutcome out;
  out.expected = Clip(ExpectedText(c));
  if (!c.problem.empty()) {
    out.reason = c.problem;
    return out;
  }
  const bool expects_error =
      c.expect == SuiteCase::Expect::kError || c.expect == SuiteCase::Expect::kCode;
  try {
    std::variant<Expression, ErrorInfo> parsed = Expression::Parse(c.expr);
    if (const ErrorInfo* e = std::get_if<ErrorInfo>(&parsed)) {
      out.actual = Clip("compile error " + DescribeError(*e));
      out.lax_pass = expects_error;
      if (c.code.empty()) {
        out.reason = "unexpected compile error";
      } else if (e->code != c.code) {
        out.reason = "compile error code " + e->code + ", expected " + c.code;
      } else if (c.token && e->token != *c.token) {
        out.reason = "compile error token '" + e->token + "', expected '" + *c.token + "'";
      } else {
        out.pass = true;
        out.lax_pass = true;
      }
      return out;
    }
    const Expression& expr = std::get<Expression>(parsed);
    std::vector<std::pair<std::string, Value>> bindings;
    EvalOptions options = CaseOptions(c, &bindings);
    Value input = CaseInput(c);
    ErrorInfo error;
    error.code.clear();
    auto start = std::chrono::steady_clock::now();
    Value result = expr.EvaluateValue(input, options, &error);
    out.eval_micros = std::chrono::duration<double, std::micro>(
                          std::chrono::steady_clock::now() - start).count();
    const bool failed = !error.code.empty();
    out.actual = Clip(failed ? "error " + DescribeError(error)
                             : result.IsUndefined() ? "undefined" : ValueText(result));
    if (failed) {
      out.lax_pass = expects_error;
      if (c.expect == SuiteCase::Expect::kCode) {
        out.pass = error.code == c.code;
        if (!out.pass) out.reason = "error code " + error.code + ", expected " + c.code;
      } else if (c.expect == SuiteCase::Expect::kError) {
        out.pass = ErrorContains(error, c.error, &out.reason);
      } else {
        out.reason = "unexpected error " + error.code;
      }
      return out;
    }
    std::string where;
    switch (c.expect) {
      case SuiteCase::Expect::kUndefined:
        out.pass = result.IsUndefined();
        if (!out.pass) out.reason = "expected undefined";
        break;
      case SuiteCase::Expect::kResult:
        out.pass = ChaiDeepEqual(result, c.result, &where);
        if (!out.pass) out.reason = "result differs at " + where;
        break;
      case SuiteCase::Expect::kError:
      case SuiteCase::Expect::kCode:
        out.reason = "expected an error, got a result";
        break;
      case SuiteCase::Expect::kNothing:
        out.reason = "nothing to test in this case";
        break;
    }
    out.lax_pass = out.pass;
  } catch (const std::exception& e) {
    out.pass = out.lax_pass = false;
    out.reason = std::string("C++ exception escaped the evaluator: ") + e.what();
  } catch (...) {
    out.pass = out.lax_pass = false;
    out.reason = "unknown C++ exception escaped the evaluator";
  }
  return out;
}

}  // namespace stepflow::jsonata::testkit
