// kill -9 tests: `stepflow run` (SQLite file db, real waits) is SIGKILLed in
// the middle of an execution, then `stepflow resume` runs it to its end. The
// result must equal an uninterrupted run's, the history must stay one dense
// append-only list, in-flight Tasks are re-sent with the same idempotency
// key and committed Tasks are not called again (ARCHITECTURE §3, §5).
#include "tests/crash/crash_test_util.h"

namespace {

using namespace stepflow::crashtest;

// The outcome of one kill-and-resume cycle.
struct Crashed {
  bool killed = false;  // false: the run ended on its own before the kill
  std::string id;       // empty: killed before the execution was stored
  std::vector<Json> before_calls;
  Json before_history;
  Json describe_after_kill;
  CommandResult resume;
  Json result;  // the resume line (or the run's own result when not killed)
  std::vector<Json> after_calls;
  Json final_history;
};

// Starts `stepflow run`, waits until the worker has logged `calls` calls for
// it (plus `extra_delay`) or `delay` has passed when `calls` is 0, SIGKILLs
// it, then resumes.
Crashed CrashAndResume(CrashEnv& env, const std::string& definition, const Json& input,
                       const std::string& db, size_t calls, std::chrono::milliseconds extra_delay) {
  Crashed c;
  const size_t baseline = env.worker().LogLines().size();
  auto engine = env.StartRun(definition, input, db);
  if (calls > 0) WaitForCallsOrExit(env, *engine, baseline + calls);
  if (extra_delay.count() > 0) {
    const auto until = std::chrono::steady_clock::now() + extra_delay;
    while (engine->Running() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(2ms);
    }
  }
  c.killed = KillEngine(*engine);
  // Requests already on the wire when the engine died may still be logged.
  std::this_thread::sleep_for(150ms);

  // The execution id, from `exec list` (the only execution of this machine).
  {
    auto list = Stepflow({"exec", "list", "--db", db, "--json"});
    INFO("exec list: " << Describe(list));
    REQUIRE(list.exit_code == 0);
    Json all = LastJson(list);
    REQUIRE(all.is_array());
    for (const Json& e : all) {
      const std::string id = e.value("executionId", "");
      const std::string machine = fs::path(definition).stem().stem().string();
      if (id.rfind(machine + ":", 0) == 0 && c.id.empty()) c.id = id;
    }
  }
  if (c.id.empty()) {
    // Killed before the execution was committed: nothing durable to resume.
    REQUIRE(c.killed);
    c.resume = env.Resume(db);
    INFO("resume of a database without executions: " << Describe(c.resume));
    CHECK(c.resume.signal == 0);
    CHECK(c.resume.exit_code == 0);
    CHECK(NonEmptyLines(c.resume.out).empty());
    return c;
  }
  c.before_calls = env.Calls(c.id);
  c.before_history = History(c.id, db);
  c.describe_after_kill = DescribeExecution(c.id, db);
  if (!c.killed) {
    // Finished before the kill: there is nothing to resume.
    c.result = c.describe_after_kill;
    c.final_history = c.before_history;
    return c;
  }
  c.resume = env.Resume(db);
  {
    INFO("resume: " << Describe(c.resume));
    REQUIRE_FALSE(c.resume.timed_out);
    CHECK(c.resume.signal == 0);
  }
  c.result = ResumeResultFor(c.resume, c.id);
  std::vector<Json> all = env.Calls(c.id);
  REQUIRE(all.size() >= c.before_calls.size());
  c.after_calls.assign(all.begin() + static_cast<std::ptrdiff_t>(c.before_calls.size()), all.end());
  c.final_history = History(c.id, db);
  return c;
}

Json MapDefinition() {
  return Json::parse(R"json({
    "Comment": "kill -9 mid-Map",
    "StartAt": "Fan",
    "States": {
      "Fan": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 4,
        "ItemSelector": {"v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index"},
        "ItemProcessor": {
          "StartAt": "Nap",
          "States": {
            "Nap": {"Type": "Task", "Resource": "sleep",
                    "Parameters": {"ms": 150, "v.$": "$.v", "i.$": "$.i"}, "Next": "Add"},
            "Add": {"Type": "Task", "Resource": "add",
                    "Parameters": {"a.$": "$.v", "b.$": "$.i"}, "End": true}
          }
        },
        "ResultPath": "$.sums",
        "Next": "Total"
      },
      "Total": {"Type": "Pass", "Parameters": {"sums.$": "$.sums", "n.$": "States.ArrayLength($.sums)"},
                "End": true}
    }
  })json");
}

}  // namespace

TEST_CASE("crash: kill -9 in the middle of a Map, then resume", "[crash]") {
  CrashEnv env;
  const std::string definition = env.Definition("mapcrash", MapDefinition());
  Json items = Json::array();
  for (int i = 0; i < 20; ++i) items.push_back(i * 10);
  const Json input = {{"items", items}};

  // The uninterrupted result, in another database.
  auto clean = env.Run(definition, input, env.File("clean.db"));
  INFO("clean run: " << Describe(clean));
  REQUIRE(clean.exit_code == 0);
  const Json expected = LastJson(clean);
  REQUIRE(expected.value("status", "") == "SUCCEEDED");

  const std::string db = env.File("crash.db");
  Crashed c = CrashAndResume(env, definition, input, db, 10, 0ms);
  REQUIRE(!c.id.empty());
  INFO("execution " << c.id << "\nresume: " << Describe(c.resume));
  REQUIRE(c.killed);
  CHECK(c.describe_after_kill.value("status", "") == "RUNNING");

  REQUIRE(c.result.is_object());
  CHECK(c.result.value("status", "") == "SUCCEEDED");
  CHECK(c.result.value("output", Json()) == expected["output"]);
  CHECK(c.resume.exit_code == 0);
  CHECK(DescribeExecution(c.id, db).value("status", "") == "SUCCEEDED");

  const Json& events = c.final_history;
  CheckCrashConsistency(c.id, c.before_calls, c.before_history, c.after_calls, events);
  CheckEndsWith(events, "ExecutionSucceeded");
  CHECK(CountType(events, "ExecutionSucceeded") == 1);
  INFO("history: " << events.dump());
  for (const char* type : {"MapIterationStarted", "MapIterationSucceeded"}) {
    auto counts = MapIterationCounts(events, type);
    REQUIRE(counts.size() == 1);
    REQUIRE(counts.count("Fan") == 1);
    const auto& per_index = counts["Fan"];
    CHECK(per_index.size() == 20);
    for (int i = 0; i < 20; ++i) {
      INFO(type << " for index " << i);
      CHECK(per_index.count(i) == 1);
      if (per_index.count(i)) CHECK(per_index.at(i) == 1);
    }
  }
  CHECK(CountType(events, "MapIterationFailed") == 0);
  CHECK(CountType(events, "MapIterationAborted") == 0);
  CHECK(CountType(events, "TaskScheduled") == 40);
  CHECK(CountType(events, "TaskSucceeded") == 40);
  // Something was in the middle of happening at the kill: the first half was
  // done before, the rest after.
  CHECK(!c.before_calls.empty());
  CHECK(!c.after_calls.empty());
}

TEST_CASE("crash: kill -9 during a retry back-off, then resume", "[crash]") {
  CrashEnv env;
  const std::string key = env.File("retry-counter");
  const Json definition = Json::parse(R"json({
    "StartAt": "Flaky",
    "States": {
      "Flaky": {
        "Type": "Task", "Resource": "fail_times",
        "Parameters": {"times": 3, "key.$": "$.key", "rc.$": "$$.State.RetryCount"},
        "Retry": [{"ErrorEquals": ["Worker.Flaky"], "IntervalSeconds": 1, "MaxAttempts": 3,
                   "BackoffRate": 1.0}],
        "Next": "After"
      },
      "After": {"Type": "Pass", "Parameters": {"rc.$": "$.rc", "key.$": "$.key"}, "End": true}
    }
  })json");
  const std::string path = env.Definition("retrycrash", definition);
  const std::string db = env.File("crash.db");
  auto engine = env.StartRun(path, Json{{"key", key}}, db);

  // Wait until two failures are committed (the engine then sits in the 1 s
  // back-off before attempt 2), then kill.
  std::string id;
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  bool in_backoff = false;
  while (!in_backoff && engine->Running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
    auto calls = env.Calls();
    if (calls.empty()) continue;
    id = calls[0].value("execution_id", "");
    if (calls.size() < 2) continue;
    auto r = Stepflow({"exec", "history", id, "--db", db, "--json"});
    Json events = LastJson(r);
    if (r.exit_code == 0 && events.is_array() && CountType(events, "TaskFailed") == 2) {
      in_backoff = true;
    }
  }
  REQUIRE(in_backoff);
  REQUIRE(KillEngine(*engine));
  std::this_thread::sleep_for(100ms);
  const auto before_calls = env.Calls(id);
  const Json before_history = History(id, db);
  INFO("calls before the kill: " << Json(before_calls).dump());
  REQUIRE(before_calls.size() == 2);
  CHECK(DescribeExecution(id, db).value("status", "") == "RUNNING");

  auto resume = env.Resume(db);
  INFO("resume: " << Describe(resume));
  REQUIRE_FALSE(resume.timed_out);
  CHECK(resume.exit_code == 0);
  const Json result = ResumeResultFor(resume, id);
  REQUIRE(result.is_object());
  CHECK(result.value("status", "") == "SUCCEEDED");
  CHECK(result.value("output", Json()) == Json{{"rc", 3}, {"key", key}});

  const Json events = History(id, db);
  INFO("history: " << events.dump());
  CheckHistoryIntegrity(events);
  CheckHistoryPrefix(before_history, events);
  CHECK(CountType(events, "TaskScheduled") == 4);
  CHECK(CountType(events, "TaskFailed") == 3);
  CHECK(CountType(events, "TaskSucceeded") == 1);
  CHECK(CountType(events, "TaskStateEntered") == 1);
  CheckEndsWith(events, "ExecutionSucceeded");

  const auto calls = env.Calls(id);
  INFO("worker calls: " << Json(calls).dump());
  Json attempts = Json::array(), retry_counts = Json::array();
  std::set<std::string> keys;
  for (const Json& c : calls) {
    attempts.push_back(c["attempt"]);
    retry_counts.push_back(c["input"].value("rc", Json()));
    keys.insert(c.value("idempotency_key", ""));
  }
  // The retry counter carried over the crash: 0, 1 before; 2, 3 after.
  CHECK(attempts == Json::array({0, 1, 2, 3}));
  CHECK(retry_counts == Json::array({0, 1, 2, 3}));
  CHECK(keys.size() == 4);  // a new key for every retry attempt
  CheckKeysMatchHistory(calls, id, events);
}

TEST_CASE("crash: kill -9 at several moments of a mixed workflow, then resume", "[crash]") {
  CrashEnv env;
  // Timeline after First (calls logged by the worker, in order): NapA and
  // two NapC (calls 2-4), AddC/NapC/AddC (5-10, done ~200 ms in), then only
  // WaitB's 1 s timer, AddB (11) and Last, a 200 ms sleep (12). Every kill
  // point below lands while work remains, with a margin of 150 ms or more.
  const Json definition = Json::parse(R"json({
    "StartAt": "Init",
    "States": {
      "Init": {"Type": "Pass",
               "Parameters": {"n.$": "$.n", "items.$": "$.items", "tag": "mixed"}, "Next": "First"},
      "First": {"Type": "Task", "Resource": "echo",
                "Parameters": {"hello.$": "$.tag"}, "ResultPath": "$.first", "Next": "Route"},
      "Route": {"Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericGreaterThan": 2, "Next": "Fork"}],
                "Default": "TooSmall"},
      "TooSmall": {"Type": "Fail", "Error": "Unexpected", "Cause": "n <= 2"},
      "Fork": {
        "Type": "Parallel", "ResultPath": "$.branches", "Next": "Last",
        "Branches": [
          {"StartAt": "NapA", "States": {
             "NapA": {"Type": "Task", "Resource": "sleep", "Parameters": {"ms": 120, "b": "A"},
                      "Next": "TagA"},
             "TagA": {"Type": "Pass", "Parameters": {"a.$": "$.b"}, "End": true}}},
          {"StartAt": "WaitB", "States": {
             "WaitB": {"Type": "Wait", "Seconds": 1, "Next": "AddB"},
             "AddB": {"Type": "Task", "Resource": "add", "Parameters": {"a.$": "$.n", "b": 10},
                      "End": true}}},
          {"StartAt": "MapC", "States": {
             "MapC": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2,
                      "ItemProcessor": {"StartAt": "NapC", "States": {
                        "NapC": {"Type": "Task", "Resource": "sleep",
                                 "Parameters": {"ms": 80, "v.$": "$"}, "Next": "AddC"},
                        "AddC": {"Type": "Task", "Resource": "add",
                                 "Parameters": {"a.$": "$.v", "b": 100}, "End": true}}},
                      "End": true}}}
        ]
      },
      "Last": {"Type": "Task", "Resource": "sleep",
               "Parameters": {"ms": 200, "branches.$": "$.branches", "first.$": "$.first",
                              "n.$": "$.n"},
               "Next": "Done"},
      "Done": {"Type": "Succeed"}
    }
  })json");
  const std::string path = env.Definition("mixed", definition);
  const Json input = {{"n", 5}, {"items", {1, 2, 3, 4}}};

  auto clean = env.Run(path, input, env.File("clean.db"));
  INFO("clean run: " << Describe(clean));
  REQUIRE(clean.exit_code == 0);
  const Json expected = LastJson(clean);
  REQUIRE(expected.value("status", "") == "SUCCEEDED");

  // Kill points: after the k-th worker call of the run, plus a delay. Each
  // is anchored to a call rather than to the start of the process, so that
  // it cannot come before the execution is stored (a call is sent only once
  // its TaskScheduled is committed) nor after the run has ended. Fixed, so a
  // failure can be reproduced.
  struct KillPoint {
    size_t calls;
    std::chrono::milliseconds delay;
    const char* moment;
  };
  const KillPoint points[] = {
      {1, 0ms, "First in flight or just answered"},
      {2, 30ms, "the Fork's first calls in flight"},
      {4, 0ms, "NapA and two NapC in flight"},
      {6, 50ms, "the second round of the Map"},
      {1, 40ms, "the Fork starting"},
      {10, 150ms, "nothing in flight but WaitB's timer"},
      {9, 0ms, "the Map's last calls"},
      {11, 0ms, "AddB, just after WaitB fired"},
      {12, 50ms, "Last in flight"},
  };
  // A point that misses (the machine was slow to start, or fast to end) is
  // tried again, at most kAttempts times in all; every point must in the
  // end have interrupted a RUNNING execution.
  constexpr int kAttempts = 3;
  size_t interrupted = 0;
  std::vector<std::string> missed;
  for (size_t p = 0; p < std::size(points); ++p) {
    const KillPoint& point = points[p];
    INFO("kill point " << p << " (" << point.moment << "): after " << point.calls << " calls + "
                       << point.delay.count() << " ms");
    bool hit = false;
    for (int attempt = 0; attempt < kAttempts && !hit; ++attempt) {
      INFO("attempt " << attempt);
      const std::string db =
          env.File("crash-" + std::to_string(p) + "-" + std::to_string(attempt) + ".db");
      Crashed c = CrashAndResume(env, path, input, db, point.calls, point.delay);
      INFO("execution " << c.id << " killed " << c.killed << "\nresume: " << Describe(c.resume));
      if (c.id.empty()) {
        WARN("kill point " << p << " came before the execution was stored");
        continue;
      }
      // Interrupted: RUNNING in the database right after the kill, and the
      // resume had work left to do (it appended to the history).
      const bool running = c.describe_after_kill.value("status", "") == "RUNNING";
      hit = c.killed && running && c.final_history.size() > c.before_history.size();
      if (c.killed && running) {
        CHECK(c.resume.exit_code == 0);
        REQUIRE(c.result.is_object());
        CHECK(c.result.value("status", "") == "SUCCEEDED");
        CHECK(c.result.value("output", Json()) == expected["output"]);
      } else {
        // Ended on its own, or killed after committing its end: the resume
        // (if any) found nothing to do.
        WARN("kill point " << p << " came after the run had ended");
        CHECK(c.describe_after_kill.value("status", "") == "SUCCEEDED");
        CHECK(c.describe_after_kill.value("output", Json()) == expected["output"]);
      }
      CheckCrashConsistency(c.id, c.before_calls, c.before_history, c.after_calls, c.final_history);
      CheckEndsWith(c.final_history, "ExecutionSucceeded");
      CHECK(CountType(c.final_history, "ExecutionSucceeded") == 1);
      CHECK(CountType(c.final_history, "TaskScheduled") == 12);
      auto map_counts = MapIterationCounts(c.final_history, "MapIterationSucceeded");
      CHECK(map_counts["Fork[2]/MapC"].size() == 4);
    }
    if (hit) {
      ++interrupted;
    } else {
      missed.push_back(std::to_string(p) + " (" + point.moment + ")");
    }
  }
  INFO("kill points that interrupted no RUNNING execution in " << kAttempts
                                                               << " attempts: " << Json(missed));
  REQUIRE(interrupted == std::size(points));
}

TEST_CASE("crash: kill -9 of the run and then of the resume, then resume again", "[crash]") {
  CrashEnv env;
  const std::string definition = env.Definition("doublecrash", MapDefinition());
  Json items = Json::array();
  for (int i = 0; i < 20; ++i) items.push_back(i);
  const Json input = {{"items", items}};
  auto clean = env.Run(definition, input, env.File("clean.db"));
  REQUIRE(clean.exit_code == 0);
  const Json expected = LastJson(clean);

  const std::string db = env.File("crash.db");
  size_t baseline = env.worker().LogLines().size();
  auto engine = env.StartRun(definition, input, db);
  WaitForCallsOrExit(env, *engine, baseline + 8);
  REQUIRE(KillEngine(*engine));
  std::this_thread::sleep_for(150ms);
  baseline = env.worker().LogLines().size();

  // The first resume is killed too.
  SpawnOptions options;
  options.stderr_path = env.File("resume-stderr.txt");
  Process resume({STEPFLOW_BINARY, "resume", "--db", db, "--functions", env.functions(), "--json"},
                 options);
  WaitForCallsOrExit(env, resume, baseline + 10);
  REQUIRE(KillEngine(resume));
  std::this_thread::sleep_for(150ms);

  auto list = LastJson(Stepflow({"exec", "list", "--db", db, "--json"}));
  REQUIRE(list.is_array());
  REQUIRE(list.size() == 1);
  const std::string id = list[0].value("executionId", "");
  CHECK(list[0].value("status", "") == "RUNNING");

  auto last = env.Resume(db);
  INFO("final resume: " << Describe(last));
  CHECK(last.exit_code == 0);
  const Json result = ResumeResultFor(last, id);
  REQUIRE(result.is_object());
  CHECK(result.value("status", "") == "SUCCEEDED");
  CHECK(result.value("output", Json()) == expected["output"]);

  const Json events = History(id, db);
  INFO("history: " << events.dump());
  CheckHistoryIntegrity(events);
  CheckEndsWith(events, "ExecutionSucceeded");
  const auto calls = env.Calls(id);
  INFO("worker calls: " << Json(calls).dump());
  CheckKeysMatchHistory(calls, id, events);
  std::map<std::string, std::set<std::string>> keys_per_path;
  for (const Json& c : calls) {
    keys_per_path[c.value("state_path", "")].insert(c.value("idempotency_key", ""));
  }
  CHECK(keys_per_path.size() == 40);
  for (const auto& [path, keys] : keys_per_path) {
    INFO("keys for " << path);
    CHECK(keys.size() == 1);
  }
  CHECK(CountType(events, "TaskScheduled") == 40);
  auto per_index = MapIterationCounts(events, "MapIterationSucceeded")["Fan"];
  CHECK(per_index.size() == 20);
  for (const auto& [i, n] : per_index) CHECK(n == 1);
}

TEST_CASE("crash: kill -9 during a redrive, then resume", "[crash][redrive]") {
  CrashEnv env;
  const std::string flag = env.File("flag");
  const std::string definition = env.Definition("redrivecrash", Json::parse(R"json({
    "StartAt": "First",
    "States": {
      "First": {"Type": "Task", "Resource": "echo", "Parameters": {"step": 1}, "ResultPath": "$.first",
                "Next": "Flaky"},
      "Flaky": {"Type": "Task", "Resource": "fail_until_flag", "Parameters": {"flag.$": "$.flag"},
                "ResultPath": null, "Next": "Nap"},
      "Nap": {"Type": "Task", "Resource": "sleep", "Parameters": {"ms": 800}, "ResultPath": "$.nap",
              "Next": "After"},
      "After": {"Type": "Pass",
                "Parameters": {"redrives.$": "$$.Execution.RedriveCount", "nap.$": "$.nap",
                               "first.$": "$.first"},
                "End": true}
    }
  })json"));
  const std::string db = env.File("crash.db");
  auto run = env.Run(definition, Json{{"flag", flag}}, db);
  INFO("run: " << Describe(run));
  REQUIRE(run.exit_code == 1);
  const std::string id = LastJson(run).value("executionId", "");
  REQUIRE(!id.empty());
  WriteText(flag, "ready\n");

  const size_t baseline = env.worker().LogLines().size();
  SpawnOptions options;
  options.stderr_path = env.File("redrive-stderr.txt");
  Process redrive({STEPFLOW_BINARY, "exec", "redrive", id, "--db", db, "--functions",
                   env.functions(), "--json"},
                  options);
  // Flaky (re-sent after the redrive), then Nap: kill while Nap sleeps.
  WaitForCallsOrExit(env, redrive, baseline + 2);
  REQUIRE(KillEngine(redrive));
  std::this_thread::sleep_for(150ms);
  const auto before_calls = env.Calls(id);
  const Json before = History(id, db);
  CHECK(DescribeExecution(id, db).value("status", "") == "RUNNING");
  CHECK(CountType(before, "ExecutionRedriven") == 1);

  auto resume = env.Resume(db);
  INFO("resume: " << Describe(resume));
  CHECK(resume.exit_code == 0);
  const Json result = ResumeResultFor(resume, id);
  REQUIRE(result.is_object());
  CHECK(result.value("status", "") == "SUCCEEDED");
  CHECK(result.value("output", Json()) ==
        Json::parse(R"json({"redrives": 1, "nap": {"ms": 800}, "first": {"step": 1}})json"));
  const Json d = DescribeExecution(id, db);
  CHECK(d.value("redriveCount", Json()) == 1);
  CHECK(d.value("status", "") == "SUCCEEDED");

  const Json events = History(id, db);
  INFO("history: " << events.dump());
  CheckHistoryIntegrity(events);
  CheckHistoryPrefix(before, events);
  CHECK(CountType(events, "ExecutionRedriven") == 1);
  CheckEndsWith(events, "ExecutionSucceeded");
  const auto calls = env.Calls(id);
  INFO("worker calls: " << Json(calls).dump());
  CheckKeysMatchHistory(calls, id, events);
  std::map<std::string, int> per_path;
  for (const Json& c : calls) ++per_path[c.value("state_path", "")];
  CHECK(per_path["First"] == 1);
  CHECK(per_path["Flaky"] == 2);
  // Nap: sent by the redrive, re-sent with the same key by the resume.
  std::set<std::string> nap_keys;
  for (const Json& c : calls) {
    if (c.value("state_path", "") == "Nap") nap_keys.insert(c.value("idempotency_key", ""));
  }
  CHECK(nap_keys.size() == 1);
  CHECK(per_path["Nap"] <= 2);
  CHECK(per_path["Nap"] >= 1);
}

TEST_CASE("crash: redrive of a RUNNING (killed) execution is refused", "[crash][redrive]") {
  CrashEnv env;
  const std::string definition = env.Definition("runningredrive", Json::parse(R"json({
    "StartAt": "Nap",
    "States": {"Nap": {"Type": "Task", "Resource": "sleep", "Parameters": {"ms": 500}, "End": true}}
  })json"));
  const std::string db = env.File("crash.db");
  auto engine = env.StartRun(definition, Json::object(), db);
  REQUIRE(WaitForCallsOrExit(env, *engine, 1) == 1);
  REQUIRE(KillEngine(*engine));
  std::this_thread::sleep_for(100ms);
  const std::string id = env.Calls()[0].value("execution_id", "");
  const Json before = History(id, db);

  auto r = env.Redrive(id, db);
  INFO("redrive: " << Describe(r));
  REQUIRE_FALSE(r.timed_out);
  CHECK(r.signal == 0);
  CHECK(r.exit_code > 0);
  CHECK((r.out + r.err).find("RUNNING") != std::string::npos);
  CHECK(History(id, db) == before);
  CHECK(DescribeExecution(id, db).value("redriveCount", Json()) == 0);
  CHECK(DescribeExecution(id, db).value("status", "") == "RUNNING");

  auto resume = env.Resume(db);
  INFO("resume: " << Describe(resume));
  CHECK(ResumeResultFor(resume, id).value("status", "") == "SUCCEEDED");
}

TEST_CASE("crash: two killed executions in one database are both resumed", "[crash]") {
  CrashEnv env;
  const std::string definition = env.Definition("twice", Json::parse(R"json({
    "StartAt": "Nap",
    "States": {
      "Nap": {"Type": "Task", "Resource": "sleep", "Parameters": {"ms": 400, "who.$": "$.who"},
              "Next": "Add"},
      "Add": {"Type": "Task", "Resource": "add", "Parameters": {"a.$": "$.who", "b": 1}, "End": true}
    }
  })json"));
  const std::string db = env.File("crash.db");
  auto first = env.StartRun(definition, Json{{"who", 1}}, db);
  REQUIRE(WaitForCallsOrExit(env, *first, 1) == 1);
  auto second = env.StartRun(definition, Json{{"who", 2}}, db);
  REQUIRE(WaitForCallsOrExit(env, *second, 2) == 2);
  REQUIRE(KillEngine(*first));
  REQUIRE(KillEngine(*second));
  std::this_thread::sleep_for(100ms);

  auto resume = env.Resume(db);
  INFO("resume: " << Describe(resume));
  CHECK(resume.exit_code == 0);
  const auto lines = NonEmptyLines(resume.out);
  CHECK(lines.size() == 2);
  std::map<int, std::string> by_output;
  for (const std::string& line : lines) {
    Json j = Json::parse(line, nullptr, false);
    REQUIRE(j.is_object());
    CHECK(j.value("status", "") == "SUCCEEDED");
    if (j.value("output", Json()).is_number_integer()) by_output[j["output"].get<int>()] = line;
  }
  CHECK(by_output.size() == 2);
  CHECK(by_output.count(2) == 1);
  CHECK(by_output.count(3) == 1);
  for (const Json& e : LastJson(Stepflow({"exec", "list", "--db", db, "--json"}))) {
    CHECK(e.value("status", "") == "SUCCEEDED");
    CheckHistoryIntegrity(History(e.value("executionId", ""), db));
  }
}
