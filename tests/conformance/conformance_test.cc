// Conformance suite: every directory under tests/conformance/cases/ is one
// case, run through the real `stepflow run` binary against the real
// stepflow_test_worker (see tests/conformance/README.md for the case format).
//
// Cases without "own_worker" share one worker started on first use; cases
// with "own_worker": true (destructive ones such as `crash`) each get a fresh
// worker in a separate TEST_CASE. Every subprocess runs with a timeout.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/catch_json.h"
#include "tests/support/process.h"
#include "tests/support/test_worker.h"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using stepflow::testing::RunCommand;
using stepflow::testing::TempDir;
using stepflow::testing::TestWorker;
using namespace std::chrono_literals;

constexpr auto kCommandTimeout = 30s;

// Every function the test worker serves, plus "mystery", which the registry
// maps to the worker although the worker does not know it.
const char* const kFunctionNames[] = {"echo",  "add",      "fail",  "fail_times", "fail_until_flag",
                                      "sleep", "bad_json", "crash", "big",        "count",
                                      "mystery"};

struct Case {
  std::string name;
  fs::path dir;
  fs::path definition;  // definition.asl.json or definition.asl.yaml
  std::optional<std::string> input;  // JSON text; none: run without --input
  Json expected;
};

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

fs::path CasesRoot() { return fs::path(STEPFLOW_SOURCE_DIR) / "tests" / "conformance" / "cases"; }

std::vector<Case> LoadCases() {
  std::vector<Case> cases;
  for (const auto& entry : fs::directory_iterator(CasesRoot())) {
    if (!entry.is_directory()) continue;
    Case c;
    c.name = entry.path().filename().string();
    c.dir = entry.path();
    for (const char* file : {"definition.asl.json", "definition.asl.yaml"}) {
      if (fs::exists(c.dir / file)) c.definition = c.dir / file;
    }
    if (fs::exists(c.dir / "input.json")) c.input = ReadText(c.dir / "input.json");
    c.expected = Json::parse(ReadText(c.dir / "expected.json"));
    cases.push_back(std::move(c));
  }
  std::sort(cases.begin(), cases.end(),
            [](const Case& a, const Case& b) { return a.name < b.name; });
  return cases;
}

const std::vector<Case>& AllCases() {
  static const std::vector<Case> cases = LoadCases();
  return cases;
}

// The one worker shared by all non-destructive cases (killed at exit).
TestWorker& SharedWorker() {
  static std::unique_ptr<TestWorker> worker = std::make_unique<TestWorker>();
  return *worker;
}

// Every function at the worker; `add` also has the alias `prod` (version 1),
// for cases that call a qualified Lambda ARN.
std::string FunctionsYaml(const TestWorker& worker) {
  std::string yaml = "functions:\n";
  for (const char* name : kFunctionNames) {
    yaml += "  " + std::string(name) + ": ";
    if (std::string_view(name) == "add") {
      yaml += "{endpoint: \"" + worker.endpoint() + "\", aliases: {prod: 1}}\n";
    } else {
      yaml += worker.endpoint() + "\n";
    }
  }
  return yaml;
}

// `actual` contains `expected`: objects key by key (extra keys allowed),
// arrays and scalars exactly. A string in `actual` holding JSON text (history
// details carry input/output/parameters as text) is parsed when `expected`
// is not a string.
bool Contains(const Json& actual, const Json& expected) {
  if (actual.is_string() && !expected.is_string()) {
    Json parsed = Json::parse(actual.get<std::string>(), nullptr, false);
    return !parsed.is_discarded() && Contains(parsed, expected);
  }
  if (expected.is_object()) {
    if (!actual.is_object()) return false;
    for (const auto& [key, value] : expected.items()) {
      auto it = actual.find(key);
      if (it == actual.end() || !Contains(*it, value)) return false;
    }
    return true;
  }
  return actual == expected;
}

std::string Dump(const Json& j) { return j.dump(); }

// The last non-empty line of `text`.
std::string LastLine(const std::string& text) {
  std::string last, line;
  std::istringstream in(text);
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return last;
}

void CheckHistory(const Json& events, const Json& expected) {
  REQUIRE(events.is_array());
  INFO("history: " << Dump(events));
  // Structure: ids dense from 1, each previousEventId smaller than its id.
  for (size_t i = 0; i < events.size(); ++i) {
    const Json& e = events[i];
    CHECK(e.value("id", Json()) == Json(i + 1));
    REQUIRE(e.contains("previousEventId"));
    CHECK(e["previousEventId"].get<int64_t>() < e["id"].get<int64_t>());
    CHECK(e["previousEventId"].get<int64_t>() >= 0);
    CHECK(e.contains("timestamp"));
    CHECK(e.contains("type"));
  }
  if (expected.contains("history")) {
    const Json& h = expected["history"];
    if (h.contains("types_in_order")) {
      // A subsequence of the event types.
      size_t next = 0;
      const Json& want = h["types_in_order"];
      for (const Json& e : events) {
        if (next < want.size() && e["type"] == want[next]) ++next;
      }
      INFO("types_in_order " << Dump(want) << ": matched the first " << next);
      CHECK(next == want.size());
    }
    if (h.contains("contains")) {
      for (const Json& want : h["contains"]) {
        bool found = std::any_of(events.begin(), events.end(),
                                 [&](const Json& e) { return Contains(e, want); });
        INFO("no event contains " << Dump(want));
        CHECK(found);
      }
    }
  }
  if (expected.contains("history_count")) {
    for (const auto& [type, count] : expected["history_count"].items()) {
      const auto n = std::count_if(events.begin(), events.end(),
                                   [&](const Json& e) { return e["type"] == type; });
      INFO("events of type " << type);
      CHECK(n == count.get<int64_t>());
    }
  }
}

void CheckWorkerCalls(const TestWorker& worker, const std::string& execution_id,
                      const Json& want) {
  std::vector<Json> calls;
  for (auto& line : worker.LogLines()) {
    if (line.value("execution_id", "") == execution_id) calls.push_back(std::move(line));
  }
  INFO("worker calls for " << execution_id << ": " << Dump(Json(calls)));
  if (want.contains("count")) CHECK(calls.size() == want["count"].get<size_t>());
  if (want.contains("inputs")) {
    Json inputs = Json::array();
    for (const Json& c : calls) inputs.push_back(c["input"]);
    CHECK(inputs == want["inputs"]);
  }
  if (want.contains("attempts")) {
    Json attempts = Json::array();
    for (const Json& c : calls) attempts.push_back(c["attempt"]);
    CHECK(attempts == want["attempts"]);
  }
}

void RunCase(const Case& c, TestWorker& worker) {
  TempDir scratch("stepflow-conformance");
  const std::string port = std::to_string(worker.port());
  auto substitute = [&](std::string text) {
    text = ReplaceAll(std::move(text), "{{PORT}}", port);
    return ReplaceAll(std::move(text), "{{CASE_DIR}}", c.dir.string());
  };
  REQUIRE(!c.definition.empty());
  const Json& expected = c.expected;
  const std::string extension = c.definition.extension().string();  // .json / .yaml
  // The file name becomes the state machine name ($$.StateMachine.Name).
  const fs::path definition = scratch.path() / (c.name + ".asl" + extension);
  WriteText(definition, substitute(ReadText(c.definition)));
  const fs::path functions = scratch.path() / "functions.yaml";
  WriteText(functions, FunctionsYaml(worker));

  const bool wants_history = expected.contains("history") || expected.contains("history_count");
  const std::string db = wants_history ? (scratch.path() / "stepflow.db").string() : ":memory:";
  std::vector<std::string> argv = {STEPFLOW_BINARY, "run",  definition.string(), "--functions",
                                   functions.string(), "--db", db, "--skip-waits", "--json"};
  if (c.input) {
    argv.push_back("--input");
    argv.push_back(substitute(*c.input));
  }
  if (expected.contains("execution_name")) {
    argv.push_back("--name");
    argv.push_back(expected["execution_name"].get<std::string>());
  }
  auto run = RunCommand(argv, {}, kCommandTimeout);
  INFO("stdout: " << run.out);
  INFO("stderr: " << run.err);
  REQUIRE_FALSE(run.timed_out);

  if (expected.contains("exit_code")) {
    CHECK(run.exit_code == expected["exit_code"].get<int>());
    if (!expected.contains("status")) return;
  }

  const Json result = Json::parse(LastLine(run.out), nullptr, false);
  REQUIRE(result.is_object());
  const std::string status = expected.value("status", "SUCCEEDED");
  CHECK(result.value("status", "") == status);
  CHECK(run.exit_code == (status == "SUCCEEDED" ? 0 : 1));
  if (expected.contains("output")) {
    Json want = Json::parse(substitute(expected["output"].dump()));
    INFO("output: " << Dump(result.value("output", Json())) << "\nexpected: " << Dump(want));
    CHECK(result.value("output", Json()) == want);
  }
  if (expected.contains("error")) {
    CHECK(result.value("error", Json()) == expected["error"]);
  }
  if (expected.contains("cause_contains")) {
    const Json cause = result.value("cause", Json());
    const std::string needle = expected["cause_contains"].get<std::string>();
    INFO("cause " << Dump(cause) << " should contain '" << needle << "'");
    CHECK((cause.is_string() && cause.get<std::string>().find(needle) != std::string::npos));
  }
  const std::string id = result.value("executionId", "");
  if (expected.contains("worker_calls")) CheckWorkerCalls(worker, id, expected["worker_calls"]);
  if (wants_history) {
    auto history = RunCommand({STEPFLOW_BINARY, "exec", "history", id, "--db", db, "--json"}, {},
                              kCommandTimeout);
    INFO("history stderr: " << history.err);
    REQUIRE_FALSE(history.timed_out);
    REQUIRE(history.exit_code == 0);
    const Json events = Json::parse(LastLine(history.out), nullptr, false);
    CheckHistory(events, expected);
  }
}

bool OwnWorker(const Case& c) { return c.expected.value("own_worker", false); }

}  // namespace

TEST_CASE("conformance: cases run against the shared test worker", "[conformance]") {
  REQUIRE(AllCases().size() > 0);
  for (const Case& c : AllCases()) {
    if (OwnWorker(c)) continue;
    DYNAMIC_SECTION(c.name) { RunCase(c, SharedWorker()); }
  }
}

TEST_CASE("conformance: destructive cases, each with its own test worker",
          "[conformance][own-worker]") {
  for (const Case& c : AllCases()) {
    if (!OwnWorker(c)) continue;
    DYNAMIC_SECTION(c.name) {
      TestWorker worker;
      RunCase(c, worker);
    }
  }
}
