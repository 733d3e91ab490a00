// Shared helpers for the crash and redrive system tests (tests/crash/):
// real `stepflow` processes against the real stepflow_test_worker.
//
//   CrashEnv env;                         a worker, a scratch dir, functions.yaml
//   env.Definition("m", json)             writes <dir>/m.asl.json (machine "m")
//   Stepflow({...})                       runs the binary with a timeout
//   StartRun(...)                         `stepflow run` as a child to SIGKILL
//   History / Describe                    `exec history|describe --json`
//   CheckHistoryIntegrity(events)         ids dense from 1, previousEventId < id
//   CheckCrashConsistency(...)            the at-least-once / no-rerun rules for
//                                         a run killed with SIGKILL and resumed
//
// Every wait is bounded (kCommandTimeout for subprocesses, explicit
// deadlines for polls). Timing is only used to choose when to kill.
#pragma once

#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/catch_json.h"
#include "tests/support/process.h"
#include "tests/support/test_worker.h"

namespace stepflow::crashtest {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using stepflow::testing::CommandResult;
using stepflow::testing::Process;
using stepflow::testing::RunCommand;
using stepflow::testing::SpawnOptions;
using stepflow::testing::TempDir;
using stepflow::testing::TestWorker;
using namespace std::chrono_literals;

constexpr auto kCommandTimeout = 30s;

inline const char* const kFunctionNames[] = {
    "echo",  "add",      "fail",  "fail_times", "fail_until_flag",
    "sleep", "bad_json", "crash", "big",        "count"};

inline std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void WriteText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

// The last non-empty line of `text`.
inline std::string LastLine(const std::string& text) {
  std::string last, line;
  std::istringstream in(text);
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return last;
}

inline std::vector<std::string> NonEmptyLines(const std::string& text) {
  std::vector<std::string> lines;
  std::string line;
  std::istringstream in(text);
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// Runs the stepflow binary with `args` (bounded by kCommandTimeout).
inline CommandResult Stepflow(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {STEPFLOW_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, {}, kCommandTimeout);
}

inline std::string Describe(const CommandResult& r) {
  return "exit " + std::to_string(r.exit_code) + " signal " + std::to_string(r.signal) +
         (r.timed_out ? " (timed out)" : "") + "\nstdout: " + r.out + "\nstderr: " + r.err;
}

// Parses the last stdout line of a `--json` command (discarded on failure).
inline Json LastJson(const CommandResult& r) {
  return Json::parse(LastLine(r.out), nullptr, false);
}

inline Json History(const std::string& id, const std::string& db) {
  auto r = Stepflow({"exec", "history", id, "--db", db, "--json"});
  INFO("exec history: " << Describe(r));
  REQUIRE_FALSE(r.timed_out);
  REQUIRE(r.exit_code == 0);
  Json events = LastJson(r);
  REQUIRE(events.is_array());
  return events;
}

inline Json DescribeExecution(const std::string& id, const std::string& db) {
  auto r = Stepflow({"exec", "describe", id, "--db", db, "--json"});
  INFO("exec describe: " << Describe(r));
  REQUIRE_FALSE(r.timed_out);
  REQUIRE(r.exit_code == 0);
  Json d = LastJson(r);
  REQUIRE(d.is_object());
  return d;
}

inline int64_t CountType(const Json& events, const std::string& type) {
  return std::count_if(events.begin(), events.end(),
                       [&](const Json& e) { return e.value("type", "") == type; });
}

inline std::string StatePath(const Json& event) {
  auto it = event.find("statePath");
  return it != event.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Structure every history must have: ids dense from 1, each previousEventId
// in [0, id), a timestamp and a type; exactly one ExecutionStarted (first).
inline void CheckHistoryIntegrity(const Json& events) {
  REQUIRE(events.is_array());
  REQUIRE(!events.empty());
  INFO("history: " << events.dump());
  CHECK(events[0].value("type", "") == "ExecutionStarted");
  CHECK(CountType(events, "ExecutionStarted") == 1);
  for (size_t i = 0; i < events.size(); ++i) {
    const Json& e = events[i];
    INFO("event #" << i << ": " << e.dump());
    CHECK(e.value("id", Json()) == Json(i + 1));
    REQUIRE(e.contains("previousEventId"));
    REQUIRE(e["previousEventId"].is_number_integer());
    CHECK(e["previousEventId"].get<int64_t>() >= 0);
    CHECK(e["previousEventId"].get<int64_t>() < static_cast<int64_t>(i + 1));
    CHECK(e.contains("timestamp"));
    CHECK(e.contains("type"));
  }
}

// `prefix` (a history read earlier) is an unchanged prefix of `events`:
// same ids, types, state paths and details.
inline void CheckHistoryPrefix(const Json& prefix, const Json& events) {
  INFO("earlier history: " << prefix.dump() << "\nlater history: " << events.dump());
  REQUIRE(events.size() >= prefix.size());
  for (size_t i = 0; i < prefix.size(); ++i) {
    INFO("event #" << i);
    CHECK(events[i] == prefix[i]);
  }
}

// The execution's terminal event(s) appear once and last.
inline void CheckEndsWith(const Json& events, const std::string& type) {
  REQUIRE(!events.empty());
  INFO("history: " << events.dump());
  CHECK(events.back().value("type", "") == type);
}

// One Map index per MapIteration* event, per statePath of the Map state.
inline std::map<std::string, std::map<int64_t, int>> MapIterationCounts(const Json& events,
                                                                        const std::string& type) {
  std::map<std::string, std::map<int64_t, int>> counts;
  std::string details = type;
  details[0] = static_cast<char>(std::tolower(details[0]));
  details += "EventDetails";
  for (const Json& e : events) {
    if (e.value("type", "") != type) continue;
    int64_t index = -1;
    if (e.contains(details) && e[details].contains("index"))
      index = e[details]["index"].get<int64_t>();
    ++counts[StatePath(e)][index];
  }
  return counts;
}

// The TaskScheduled event ids of `events`, by id → statePath.
inline std::map<int64_t, std::string> TaskScheduledIds(const Json& events) {
  std::map<int64_t, std::string> ids;
  for (const Json& e : events) {
    if (e.value("type", "") == "TaskScheduled") ids[e["id"].get<int64_t>()] = StatePath(e);
  }
  return ids;
}

// The event id in an idempotency key "<executionId>/<n>", or -1.
inline int64_t KeyEventId(const std::string& key, const std::string& execution_id) {
  if (key.rfind(execution_id + "/", 0) != 0) return -1;
  try {
    size_t used = 0;
    const std::string tail = key.substr(execution_id.size() + 1);
    int64_t n = std::stoll(tail, &used);
    return used == tail.size() ? n : -1;
  } catch (const std::exception&) {
    return -1;
  }
}

// Every call to the worker for `execution_id` in `calls` names, by its
// idempotency key, a TaskScheduled event of `events` with the call's state
// path.
inline void CheckKeysMatchHistory(const std::vector<Json>& calls, const std::string& execution_id,
                                  const Json& events) {
  const auto scheduled = TaskScheduledIds(events);
  for (const Json& c : calls) {
    const std::string key = c.value("idempotency_key", "");
    INFO("call " << c.dump());
    const int64_t id = KeyEventId(key, execution_id);
    CHECK(id > 0);
    auto it = scheduled.find(id);
    INFO("key should name a TaskScheduled event with statePath " << c.value("state_path", ""));
    CHECK(it != scheduled.end());
    if (it != scheduled.end()) CHECK(it->second == c.value("state_path", ""));
  }
}

// Test fixture: one worker, one scratch dir, a registry of every worker
// function.
class CrashEnv {
 public:
  CrashEnv() : dir_("stepflow-crash") {
    std::string yaml = "functions:\n";
    for (const char* name : kFunctionNames) {
      yaml += "  " + std::string(name) + ": " + worker_.endpoint() + "\n";
    }
    functions_ = dir_.File("functions.yaml");
    WriteText(functions_, yaml);
  }

  TestWorker& worker() { return worker_; }
  const TestWorker& worker() const { return worker_; }
  const TempDir& dir() const { return dir_; }
  std::string File(const std::string& name) const { return dir_.File(name); }
  const std::string& functions() const { return functions_; }

  // Writes <dir>/<machine>.asl.json and returns its path.
  std::string Definition(const std::string& machine, const Json& definition) {
    const std::string path = dir_.File(machine + ".asl.json");
    WriteText(path, definition.dump(2));
    return path;
  }

  // `stepflow run` to its end; returns the command result.
  CommandResult Run(const std::string& definition, const Json& input, const std::string& db,
                    std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run",      definition, "--input", input.dump(), "--functions",
                                     functions_, "--db",     db,        "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Stepflow(args);
  }

  // `stepflow run` as a child process (stdout on a pipe, stderr to a file),
  // to be killed.
  std::unique_ptr<Process> StartRun(const std::string& definition, const Json& input,
                                    const std::string& db) {
    SpawnOptions options;
    options.stderr_path = dir_.File("engine-stderr.txt");
    return std::make_unique<Process>(
        std::vector<std::string>{STEPFLOW_BINARY, "run", definition, "--input", input.dump(),
                                 "--functions", functions_, "--db", db, "--json"},
        options);
  }

  CommandResult Resume(const std::string& db) {
    return Stepflow({"resume", "--db", db, "--functions", functions_, "--json"});
  }

  CommandResult Redrive(const std::string& id, const std::string& db) {
    return Stepflow({"exec", "redrive", id, "--db", db, "--functions", functions_, "--json"});
  }

  // Worker calls (all, or for one execution).
  std::vector<Json> Calls(const std::string& execution_id = {}) const {
    std::vector<Json> calls;
    for (auto& line : worker_.LogLines()) {
      if (execution_id.empty() || line.value("execution_id", "") == execution_id) {
        calls.push_back(std::move(line));
      }
    }
    return calls;
  }

  // Polls the worker log until it has at least `n` calls or `timeout`
  // passes; returns the count seen.
  size_t WaitForCalls(size_t n, std::chrono::milliseconds timeout = 15s) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    size_t seen = 0;
    for (;;) {
      seen = worker_.LogLines().size();
      if (seen >= n || std::chrono::steady_clock::now() >= deadline) return seen;
      std::this_thread::sleep_for(5ms);
    }
  }

 private:
  TestWorker worker_;
  TempDir dir_;
  std::string functions_;
};

// Polls until the worker log holds at least `n` calls, `engine` has ended,
// or `timeout` passes; returns the number of calls seen.
inline size_t WaitForCallsOrExit(const CrashEnv& env, Process& engine, size_t n,
                                 std::chrono::milliseconds timeout = 15s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const size_t seen = env.worker().LogLines().size();
    if (seen >= n || !engine.Running() || std::chrono::steady_clock::now() >= deadline) return seen;
    std::this_thread::sleep_for(2ms);
  }
}

// SIGKILLs `engine` and reaps it. Returns false when it had already ended on
// its own (the kill came too late).
inline bool KillEngine(Process& engine) {
  const bool was_running = engine.Running();
  engine.Kill(SIGKILL);
  auto status = engine.Wait(10s);
  REQUIRE(status.has_value());
  return was_running && status->signal == SIGKILL;
}

// The result line for `id` among `resume --json` lines.
inline Json ResumeResultFor(const CommandResult& r, const std::string& id) {
  for (const std::string& line : NonEmptyLines(r.out)) {
    Json j = Json::parse(line, nullptr, false);
    if (j.is_object() && j.value("executionId", "") == id) return j;
  }
  return Json();
}

// What the tests know about a run killed with SIGKILL and then resumed:
//   before_calls    worker calls logged up to (and a little after) the kill
//   before_history  `exec history` read from the db after the kill
//   after_calls     worker calls logged after that (during resume)
//   final_history   the history at the end
//
// Checks (no Retry in the workflows that use this):
//   - before_history is an unchanged prefix of final_history;
//   - every call's key names a TaskScheduled event with the call's state path;
//   - one TaskScheduled per state path; one key per state path;
//   - a state path whose TaskSucceeded/TaskFailed was committed before the
//     kill is not called again;
//   - a key is sent at most twice, and twice only when it was in flight at
//     the kill (sent before, result not committed);
//   - a state path called both before and after the kill kept its key
//     (re-sent, same key).
inline void CheckCrashConsistency(const std::string& execution_id,
                                  const std::vector<Json>& before_calls, const Json& before_history,
                                  const std::vector<Json>& after_calls, const Json& final_history) {
  INFO("execution " << execution_id);
  INFO("calls before kill: " << Json(before_calls).dump());
  INFO("calls after kill: " << Json(after_calls).dump());
  CheckHistoryIntegrity(final_history);
  CheckHistoryPrefix(before_history, final_history);

  std::vector<Json> all = before_calls;
  all.insert(all.end(), after_calls.begin(), after_calls.end());
  CheckKeysMatchHistory(all, execution_id, final_history);

  // One TaskScheduled per state path.
  std::map<std::string, int> scheduled_per_path;
  for (const auto& [id, path] : TaskScheduledIds(final_history)) ++scheduled_per_path[path];
  for (const auto& [path, n] : scheduled_per_path) {
    INFO("TaskScheduled events for " << path);
    CHECK(n == 1);
  }
  // Each state entered once per state path (no retries, no loops).
  std::map<std::string, int> entered_per_path;
  for (const Json& e : final_history) {
    const std::string type = e.value("type", "");
    if (type.size() > 12 && type.compare(type.size() - 12, 12, "StateEntered") == 0) {
      ++entered_per_path[StatePath(e)];
    }
  }
  for (const auto& [path, n] : entered_per_path) {
    INFO("state entered events for " << path);
    CHECK(n == 1);
  }

  // Results committed before the kill, by state path.
  std::set<std::string> committed_paths;
  for (const Json& e : before_history) {
    const std::string type = e.value("type", "");
    if (type == "TaskSucceeded" || type == "TaskFailed" || type == "TaskTimedOut") {
      committed_paths.insert(StatePath(e));
    }
  }
  std::map<std::string, std::set<std::string>> keys_per_path;
  std::map<std::string, int> calls_per_key;
  std::map<std::string, std::string> before_key_of_path;
  for (const Json& c : before_calls) {
    before_key_of_path[c.value("state_path", "")] = c.value("idempotency_key", "");
  }
  for (const Json& c : all) {
    keys_per_path[c.value("state_path", "")].insert(c.value("idempotency_key", ""));
    ++calls_per_key[c.value("idempotency_key", "")];
  }
  for (const auto& [path, keys] : keys_per_path) {
    INFO("distinct keys sent for " << path);
    CHECK(keys.size() == 1);
  }
  for (const Json& c : after_calls) {
    const std::string path = c.value("state_path", "");
    INFO("call after the kill: " << c.dump());
    INFO("its result was committed before the kill, so it must not be called again");
    CHECK(committed_paths.count(path) == 0);
    auto before = before_key_of_path.find(path);
    if (before != before_key_of_path.end()) {
      INFO("in flight at the kill: re-sent with the same key");
      CHECK(c.value("idempotency_key", "") == before->second);
    }
  }
  if (std::getenv("STEPFLOW_CRASH_VERBOSE") != nullptr) {
    int resent = 0;
    for (const auto& [key, n] : calls_per_key) resent += n == 2;
    WARN(execution_id << ": " << before_calls.size() << " calls before the kill, "
                      << after_calls.size() << " after, " << resent << " re-sent keys, "
                      << before_history.size() << " events before, " << final_history.size()
                      << " at the end");
  }
  for (const auto& [key, n] : calls_per_key) {
    INFO("calls with key " << key);
    CHECK(n <= 2);
    if (n == 2) {
      bool sent_before = std::any_of(before_calls.begin(), before_calls.end(), [&](const Json& c) {
        return c.value("idempotency_key", "") == key;
      });
      CHECK(sent_before);
    }
  }
}

}  // namespace stepflow::crashtest
