// The official JSONata test suite (groups/<group>/*.json, datasets/*.json)
// loaded into memory, and one case checked the way jsonata-js's own runner
// (test/run-test-suite.js) checks it.
//
// Case files hold one case or an array of cases. A case's id is
// "<group>/<file>" for a file of one case and "<group>/<file>#<index>" for
// the index-th case of an array file (0-based), e.g.
// "function-eval/case008.json#2".
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/json_util.h"
#include "engine/jsonata/jsonata.h"

namespace stepflow::jsonata::testkit {

struct SuiteCase {
  std::string id;
  std::string group;
  std::string file;   // file name within the group, "case000.json"
  int index = -1;     // position in an array file, -1 for a file of one case
  std::string expr;   // `expr`, or the text of `expr-file`
  // The input: nullptr = undefined (`"dataset": null`); else `data` or the
  // named dataset (shared between cases).
  std::shared_ptr<const Json> input;
  Json bindings = Json::object();
  // Both given: the evaluation runs under these limits (as the JS runner's
  // timeboxExpression does only when both are present).
  std::optional<int> timelimit_ms;
  std::optional<int> depth;

  enum class Expect { kResult, kUndefined, kError, kCode, kNothing };
  Expect expect = Expect::kNothing;
  Json result;                       // kResult
  std::string code;                  // kCode (also set for kError when it names one)
  std::optional<std::string> token;  // kCode: checked on a compile error only, as in JS
  Json error = Json::object();       // kError: fields the thrown error must deep-contain

  std::string problem;  // non-empty: the case could not be loaded (a failure)
};

struct Suite {
  std::vector<SuiteCase> cases;  // groups and files in byte order, cases in file order
  std::vector<std::string> groups;
};

// Loads the suite under `dir`; `groups` non-empty = only these groups.
// nullopt and `*error` when the directory or a requested group is missing;
// a case file that does not parse becomes one case with `problem` set.
std::optional<Suite> LoadSuite(const std::string& dir, const std::vector<std::string>& groups,
                               std::string* error);

// The outcome of checking one case.
struct CaseOutcome {
  bool pass = false;      // strict: as jsonata-js's runner decides
  bool lax_pass = false;  // any error passes a case that expects an error
  std::string reason;     // why it failed
  std::string expected;   // for reports
  std::string actual;
  double eval_micros = 0;  // time of Evaluate alone (0 when it did not run)
};

// Parses and evaluates `c` with Expression::Parse and EvaluateValue, and
// compares. Never throws (a C++ exception escaping the evaluator fails the
// case with that as its reason).
CaseOutcome RunCase(const SuiteCase& c);

// What RunCase evaluates with: the EvalOptions of a case (bindings kept in
// `*storage`, which must outlive the options) and its input value.
EvalOptions CaseOptions(const SuiteCase& c, std::vector<std::pair<std::string, Value>>* storage);
Value CaseInput(const SuiteCase& c);

// "CODE: message (position P, token T)" for reports.
std::string DescribeError(const ErrorInfo& e);

}  // namespace stepflow::jsonata::testkit
