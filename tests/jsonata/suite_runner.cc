// stepflow_jsonata_suite: runs the official JSONata test suite against
// stepflow's evaluator, case by case, as jsonata-js's own runner does.
//
//   stepflow_jsonata_suite --suite DIR [--group NAME]... [--case SUBSTR]
//       [--skip-file FILE] [--verbose] [--summary] [--trace]
//
// Prints one line per case (PASS / FAIL / SKIP id), with --verbose the
// expression, expected and actual value under each failure; --summary
// prints a table per group instead of the PASS lines. The totals give the
// strict count (as jsonata-js's runner: error codes exact, results deep-
// equal) and the lax count (any error passes a case that expects one).
// --trace names each case on stderr before running it (to find a crash).
//
// The skip file is a JSON object {"<group>/<file>[#index]": "reason"}; a
// key naming a file skips all of its cases.
//
// Exit: 0 when no case that is not skipped fails, 1 when one does, 2 on bad
// usage or an unreadable suite or skip file.
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/jsonata/json_text.h"
#include "tests/jsonata/suite.h"

namespace {

using stepflow::Json;
using namespace stepflow::jsonata::testkit;

struct Options {
  std::string suite;
  std::vector<std::string> groups;
  std::string case_filter;
  std::string skip_file;
  bool verbose = false;
  bool summary = false;
  bool trace = false;
};

int Usage(const char* message) {
  std::fprintf(stderr,
               "stepflow_jsonata_suite: %s\n"
               "usage: stepflow_jsonata_suite --suite DIR [--group NAME]... [--case SUBSTR]\n"
               "       [--skip-file FILE] [--verbose] [--summary] [--trace]\n",
               message);
  return 2;
}

struct Counts {
  int total = 0, pass = 0, fail = 0, skip = 0, lax_pass = 0;
};

std::string Indent(const std::string& text) {
  std::string out = "      ";
  for (char c : text) {
    out.push_back(c);
    if (c == '\n') out += "      ";
  }
  return out;
}

// The key in the skip file that covers `c`, or nullptr.
const std::string* SkipReason(const std::map<std::string, std::string>& skips,
                              const SuiteCase& c, std::set<std::string>* used) {
  for (const std::string& key : {c.id, c.group + "/" + c.file}) {
    auto it = skips.find(key);
    if (it != skips.end()) {
      used->insert(key);
      return &it->second;
    }
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    if (a == "--suite") {
      if (!value(&opt.suite)) return Usage("--suite needs a directory");
    } else if (a == "--group") {
      std::string g;
      if (!value(&g)) return Usage("--group needs a name");
      opt.groups.push_back(g);
    } else if (a == "--case") {
      if (!value(&opt.case_filter)) return Usage("--case needs a text");
    } else if (a == "--skip-file") {
      if (!value(&opt.skip_file)) return Usage("--skip-file needs a file");
    } else if (a == "--verbose" || a == "-v") {
      opt.verbose = true;
    } else if (a == "--summary") {
      opt.summary = true;
    } else if (a == "--trace") {
      opt.trace = true;
    } else if (a == "--help" || a == "-h") {
      Usage("runs the JSONata test suite");
      return 0;
    } else {
      return Usage(("unknown argument " + a).c_str());
    }
  }
  if (opt.suite.empty()) return Usage("--suite is required");

  std::map<std::string, std::string> skips;
  if (!opt.skip_file.empty()) {
    std::optional<std::string> text = ReadFile(opt.skip_file);
    std::string error;
    std::optional<Json> parsed;
    if (text) parsed = ParseJsonText(*text, &error);
    if (!parsed || !parsed->is_object()) {
      std::fprintf(stderr, "stepflow_jsonata_suite: skip file %s: %s\n", opt.skip_file.c_str(),
                   !text ? "cannot read" : parsed ? "not an object" : error.c_str());
      return 2;
    }
    for (const auto& [key, reason] : parsed->items()) {
      std::string k = key;
      if (!k.empty() && k[0] != '_') {  // "_comment" keys document the file
        skips[k] = reason.is_string() ? reason.get<std::string>() : JsonText(reason);
      }
    }
  }

  std::string error;
  std::optional<Suite> suite = LoadSuite(opt.suite, opt.groups, &error);
  if (!suite) {
    std::fprintf(stderr, "stepflow_jsonata_suite: %s\n", error.c_str());
    return 2;
  }

  std::map<std::string, Counts> per_group;
  Counts all;
  std::set<std::string> used_skips;
  for (const SuiteCase& c : suite->cases) {
    if (!opt.case_filter.empty() && c.id.find(opt.case_filter) == std::string::npos) continue;
    Counts& g = per_group[c.group];
    ++g.total;
    ++all.total;
    if (const std::string* reason = SkipReason(skips, c, &used_skips)) {
      ++g.skip;
      ++all.skip;
      if (!opt.summary) std::printf("SKIP %s: %s\n", c.id.c_str(), reason->c_str());
      continue;
    }
    if (opt.trace) {
      std::fprintf(stderr, "RUN  %s\n", c.id.c_str());
      std::fflush(stderr);
    }
    CaseOutcome r = RunCase(c);
    if (r.lax_pass) {
      ++g.lax_pass;
      ++all.lax_pass;
    }
    if (r.pass) {
      ++g.pass;
      ++all.pass;
      if (!opt.summary) std::printf("PASS %s\n", c.id.c_str());
      continue;
    }
    ++g.fail;
    ++all.fail;
    if (!opt.summary || opt.verbose) {
      std::printf("FAIL %s: %s%s\n", c.id.c_str(), r.reason.c_str(),
                  r.lax_pass ? " (passes lax)" : "");
    }
    if (opt.verbose) {
      std::printf("    expr:\n%s\n", Indent(c.expr).c_str());
      std::printf("    expected: %s\n", r.expected.c_str());
      std::printf("    actual:   %s\n", r.actual.c_str());
    }
    std::fflush(stdout);
  }

  // Stale keys in the skip file (for the groups that were run).
  std::set<std::string> groups_run(suite->groups.begin(), suite->groups.end());
  if (opt.case_filter.empty()) {
    for (const auto& [key, reason] : skips) {
      std::string group = key.substr(0, key.find('/'));
      if (groups_run.count(group) && !used_skips.count(key)) {
        std::printf("NOTE skip-file key %s matches no case\n", key.c_str());
      }
    }
  }

  if (opt.summary) {
    std::printf("%-32s %6s %6s %6s %6s %8s\n", "group", "cases", "pass", "fail", "skip", "lax");
    for (const auto& [name, g] : per_group) {
      std::printf("%-32s %6d %6d %6d %6d %8d\n", name.c_str(), g.total, g.pass, g.fail, g.skip,
                  g.lax_pass);
    }
  }
  int run = all.total - all.skip;
  auto pct = [&](int n) { return run > 0 ? 100.0 * n / run : 100.0; };
  std::printf(
      "\n%d cases: %d run, %d skipped\n"
      "strict: %d passed, %d failed (%.1f%%)\n"
      "lax:    %d passed, %d failed (%.1f%%)\n",
      all.total, run, all.skip, all.pass, all.fail, pct(all.pass), all.lax_pass,
      run - all.lax_pass, pct(all.lax_pass));
  if (all.total == 0) {
    std::fprintf(stderr, "stepflow_jsonata_suite: no case matched\n");
    return 1;
  }
  return all.fail > 0 ? 1 : 0;
}
