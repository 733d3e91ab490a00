// `stepflow exec redrive` (ASL_NOTES §11): same execution id, history
// appended after an ExecutionRedriven event, succeeded work reused, only the
// failed Task / Parallel branches / Map iterations re-run,
// $$.Execution.RedriveCount visible, SUCCEEDED executions refused.
#include "tests/crash/crash_test_util.h"

namespace {

using namespace stepflow::crashtest;

void Touch(const std::string& path) { WriteText(path, "ready\n"); }

// Runs `definition` to its (failed) end; returns its result line.
Json RunToFailure(CrashEnv& env, const std::string& definition, const Json& input,
                  const std::string& db, const std::string& status = "FAILED") {
  auto run = env.Run(definition, input, db);
  INFO("run: " << Describe(run));
  REQUIRE_FALSE(run.timed_out);
  CHECK(run.exit_code == 1);
  Json result = LastJson(run);
  REQUIRE(result.is_object());
  REQUIRE(result.value("status", "") == status);
  return result;
}

Json RedriveToSuccess(CrashEnv& env, const std::string& id, const std::string& db) {
  auto r = env.Redrive(id, db);
  INFO("redrive: " << Describe(r));
  REQUIRE_FALSE(r.timed_out);
  CHECK(r.signal == 0);
  CHECK(r.exit_code == 0);
  Json result = LastJson(r);
  REQUIRE(result.is_object());
  CHECK(result.value("executionId", "") == id);
  CHECK(result.value("status", "") == "SUCCEEDED");
  return result;
}

// The appended part of the history after a redrive: starts with one
// ExecutionRedriven {redriveCount: n} right after the earlier history.
void CheckRedriveAppended(const Json& before, const Json& after, int64_t redrive_count) {
  INFO("history before the redrive: " << before.dump() << "\nafter: " << after.dump());
  CheckHistoryIntegrity(after);
  CheckHistoryPrefix(before, after);
  REQUIRE(after.size() > before.size() + 1);
  const Json& redriven = after[before.size()];
  CHECK(redriven.value("type", "") == "ExecutionRedriven");
  CHECK(redriven.value("executionRedrivenEventDetails", Json()).value("redriveCount", Json()) ==
        Json(redrive_count));
  CHECK(CountType(after, "ExecutionRedriven") == redrive_count);
  CheckEndsWith(after, "ExecutionSucceeded");
  CHECK(CountType(after, "ExecutionSucceeded") == 1);
}

// State paths with events in after[from..].
std::set<std::string> PathsFrom(const Json& events, size_t from) {
  std::set<std::string> paths;
  for (size_t i = from; i < events.size(); ++i) {
    const std::string p = StatePath(events[i]);
    if (!p.empty()) paths.insert(p);
  }
  return paths;
}

std::map<std::string, int> CallsPerPath(const std::vector<Json>& calls) {
  std::map<std::string, int> n;
  for (const Json& c : calls) ++n[c.value("state_path", "")];
  return n;
}

}  // namespace

TEST_CASE("redrive: a failed Task is rescheduled, earlier states are reused", "[redrive]") {
  CrashEnv env;
  const std::string flag = env.File("flag-task");
  const std::string path = env.Definition("redrivetask", Json::parse(R"json({
    "StartAt": "Prep",
    "States": {
      "Prep": {"Type": "Pass", "Parameters": {"flag.$": "$.flag", "x": 1}, "Next": "First"},
      "First": {"Type": "Task", "Resource": "echo", "Parameters": {"step": "first", "x.$": "$.x"},
                "ResultPath": "$.first", "Next": "Flaky"},
      "Flaky": {"Type": "Task", "Resource": "fail_until_flag", "Parameters": {"flag.$": "$.flag"},
                "ResultPath": "$.flaky", "Next": "After"},
      "After": {"Type": "Pass",
                "Parameters": {"redrives.$": "$$.Execution.RedriveCount", "first.$": "$.first",
                               "flaky.$": "$.flaky"},
                "End": true}
    }
  })json"));
  const std::string db = env.File("redrive.db");
  const Json failed = RunToFailure(env, path, Json{{"flag", flag}}, db);
  CHECK(failed.value("error", Json()) == "Worker.NotReady");
  const std::string id = failed.value("executionId", "");
  const Json before = History(id, db);
  {
    const Json d = DescribeExecution(id, db);
    CHECK(d.value("status", "") == "FAILED");
    CHECK(d.value("redriveCount", Json()) == 0);
  }

  Touch(flag);
  const Json result = RedriveToSuccess(env, id, db);
  CHECK(result.value("output", Json()) ==
        Json::parse(R"({"redrives": 1, "first": {"step": "first", "x": 1}, "flaky": {"flag": ")" +
                    flag + R"("}})"));
  const Json d = DescribeExecution(id, db);
  CHECK(d.value("status", "") == "SUCCEEDED");
  CHECK(d.value("redriveCount", Json()) == 1);

  const Json after = History(id, db);
  CheckRedriveAppended(before, after, 1);
  const auto rerun = PathsFrom(after, before.size());
  INFO("state paths after the redrive: " << Json(rerun).dump());
  CHECK(rerun.count("Prep") == 0);
  CHECK(rerun.count("First") == 0);
  CHECK(rerun.count("Flaky") == 1);
  CHECK(rerun.count("After") == 1);

  const auto calls = env.Calls(id);
  INFO("worker calls: " << Json(calls).dump());
  auto per_path = CallsPerPath(calls);
  CHECK(per_path["First"] == 1);
  CHECK(per_path["Flaky"] == 2);
  CheckKeysMatchHistory(calls, id, after);
  std::set<std::string> keys;
  for (const Json& c : calls) keys.insert(c.value("idempotency_key", ""));
  CHECK(keys.size() == calls.size());  // a redrive gets a new key
}

TEST_CASE("redrive: only the failed Parallel branch re-runs", "[redrive]") {
  CrashEnv env;
  const std::string flag = env.File("flag-parallel");
  // The failing branch waits 1 s first so that the other two have finished
  // (not been aborted) when it fails.
  const std::string path = env.Definition("redriveparallel", Json::parse(R"json({
    "StartAt": "Fork",
    "States": {
      "Fork": {
        "Type": "Parallel", "End": true,
        "Branches": [
          {"StartAt": "Echo0", "States": {
             "Echo0": {"Type": "Task", "Resource": "echo", "Parameters": {"b": 0}, "End": true}}},
          {"StartAt": "Hold", "States": {
             "Hold": {"Type": "Wait", "Seconds": 1, "Next": "Flaky"},
             "Flaky": {"Type": "Task", "Resource": "fail_until_flag",
                       "Parameters": {"flag.$": "$.flag", "b": 1}, "End": true}}},
          {"StartAt": "Echo2", "States": {
             "Echo2": {"Type": "Task", "Resource": "echo", "Parameters": {"b": 2}, "End": true}}}
        ]
      }
    }
  })json"));
  const std::string db = env.File("redrive.db");
  const Json failed = RunToFailure(env, path, Json{{"flag", flag}}, db);
  CHECK(failed.value("error", Json()) == "Worker.NotReady");
  const std::string id = failed.value("executionId", "");
  const Json before = History(id, db);

  Touch(flag);
  const Json result = RedriveToSuccess(env, id, db);
  CHECK(result.value("output", Json()) ==
        Json::parse(R"([{"b": 0}, {"flag": ")" + flag + R"(", "b": 1}, {"b": 2}])"));
  CHECK(DescribeExecution(id, db).value("redriveCount", Json()) == 1);

  const Json after = History(id, db);
  CheckRedriveAppended(before, after, 1);
  const auto calls = env.Calls(id);
  INFO("worker calls: " << Json(calls).dump());
  auto per_path = CallsPerPath(calls);
  CHECK(per_path.size() == 3);
  CHECK(per_path["Fork[0]/Echo0"] == 1);
  CHECK(per_path["Fork[1]/Flaky"] == 2);
  CHECK(per_path["Fork[2]/Echo2"] == 1);
  CheckKeysMatchHistory(calls, id, after);
  for (const std::string& p : PathsFrom(after, before.size())) {
    INFO("state path with events after the redrive: " << p);
    CHECK(p.rfind("Fork[0]/", 0) != 0);
    CHECK(p.rfind("Fork[2]/", 0) != 0);
  }
}

TEST_CASE("redrive: only failed and aborted Map iterations re-run", "[redrive]") {
  CrashEnv env;
  const std::string ok = env.File("ok");
  Touch(ok);
  Json items = Json::array();
  for (int i = 0; i < 10; ++i) {
    items.push_back(
        {{"i", i}, {"flag", i == 3 || i == 7 ? env.File("flag-" + std::to_string(i)) : ok}});
  }
  const std::string path = env.Definition("redrivemap", Json::parse(R"json({
    "StartAt": "Fan",
    "States": {
      "Fan": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 0, "ToleratedFailureCount": 0,
        "ItemProcessor": {"StartAt": "Work", "States": {
          "Work": {"Type": "Task", "Resource": "fail_until_flag",
                   "Parameters": {"flag.$": "$.flag", "i.$": "$.i"}, "End": true}}},
        "End": true
      }
    }
  })json"));
  const std::string db = env.File("redrive.db");
  const Json failed = RunToFailure(env, path, Json{{"items", items}}, db);
  const std::string id = failed.value("executionId", "");
  const Json before = History(id, db);
  INFO("history before the redrive: " << before.dump());
  auto ints = [](const std::map<std::string, std::map<int64_t, int>>& counts) {
    std::set<int64_t> s;
    for (const auto& [path, per_index] : counts) {
      for (const auto& [i, n] : per_index) s.insert(i);
    }
    return s;
  };
  const std::set<int64_t> succeeded = ints(MapIterationCounts(before, "MapIterationSucceeded"));
  const std::set<int64_t> failed_iterations =
      ints(MapIterationCounts(before, "MapIterationFailed"));
  const std::set<int64_t> aborted = ints(MapIterationCounts(before, "MapIterationAborted"));
  INFO("succeeded " << Json(succeeded).dump() << " failed " << Json(failed_iterations).dump()
                    << " aborted " << Json(aborted).dump());
  CHECK(!failed_iterations.empty());
  for (int64_t i : failed_iterations) CHECK((i == 3 || i == 7));
  CHECK(succeeded.count(3) == 0);
  CHECK(succeeded.count(7) == 0);
  std::set<int64_t> expected_rerun;
  for (int64_t i = 0; i < 10; ++i) {
    if (!succeeded.count(i)) expected_rerun.insert(i);
  }
  const size_t calls_before = env.Calls(id).size();

  Touch(env.File("flag-3"));
  Touch(env.File("flag-7"));
  const Json result = RedriveToSuccess(env, id, db);
  Json want = Json::array();
  for (const Json& item : items) want.push_back({{"flag", item["flag"]}, {"i", item["i"]}});
  CHECK(result.value("output", Json()) == want);
  CHECK(DescribeExecution(id, db).value("redriveCount", Json()) == 1);

  const Json after = History(id, db);
  CheckRedriveAppended(before, after, 1);
  auto succeeded_counts = MapIterationCounts(after, "MapIterationSucceeded");
  for (int64_t i = 0; i < 10; ++i) {
    INFO("MapIterationSucceeded for index " << i << " over the whole history");
    CHECK(succeeded_counts["Fan"][i] == 1);
  }

  auto calls = env.Calls(id);
  INFO("worker calls: " << Json(calls).dump());
  CheckKeysMatchHistory(calls, id, after);
  std::map<int64_t, int> rerun;
  for (size_t k = calls_before; k < calls.size(); ++k)
    ++rerun[calls[k]["input"]["i"].get<int64_t>()];
  std::set<int64_t> rerun_indices;
  for (const auto& [i, n] : rerun) {
    INFO("calls for index " << i << " after the redrive");
    CHECK(n == 1);
    rerun_indices.insert(i);
  }
  CHECK(rerun_indices == expected_rerun);
  CHECK(rerun_indices.count(3) == 1);
  CHECK(rerun_indices.count(7) == 1);
}

TEST_CASE("redrive: a SUCCEEDED execution is refused and left unchanged", "[redrive]") {
  CrashEnv env;
  const std::string path = env.Definition("redrivedone", Json::parse(R"json({
    "StartAt": "Hello", "States": {
      "Hello": {"Type": "Task", "Resource": "echo", "End": true}}})json"));
  const std::string db = env.File("redrive.db");
  auto run = env.Run(path, Json{{"x", 1}}, db);
  INFO("run: " << Describe(run));
  REQUIRE(run.exit_code == 0);
  const std::string id = LastJson(run).value("executionId", "");
  const Json before = History(id, db);
  const Json describe_before = DescribeExecution(id, db);

  auto r = env.Redrive(id, db);
  INFO("redrive: " << Describe(r));
  REQUIRE_FALSE(r.timed_out);
  CHECK(r.signal == 0);
  CHECK(r.exit_code != 0);
  CHECK(r.exit_code != -1);
  CHECK((r.out + r.err).find("SUCCEEDED") != std::string::npos);

  CHECK(History(id, db) == before);
  const Json describe_after = DescribeExecution(id, db);
  CHECK(describe_after == describe_before);
  CHECK(describe_after.value("redriveCount", Json()) == 0);
  CHECK(env.Calls(id).size() == 1);
}

TEST_CASE("redrive: a TIMED_OUT execution can be redriven (machine timeout resets)", "[redrive]") {
  CrashEnv env;
  // The Task sleeps 4 s on the first attempt (past the 1 s machine timeout)
  // and 10 ms after a redrive: durations[$$.Execution.RedriveCount].
  const std::string path = env.Definition("redrivetimeout", Json::parse(R"json({
    "TimeoutSeconds": 1,
    "StartAt": "Slow", "States": {
      "Slow": {"Type": "Task", "Resource": "sleep",
               "Parameters": {"ms.$": "States.ArrayGetItem($.durations, $$.Execution.RedriveCount)"},
               "End": true}}})json"));
  const std::string db = env.File("redrive.db");
  const Json timed_out = RunToFailure(env, path, Json{{"durations", {4000, 10}}}, db, "TIMED_OUT");
  CHECK(timed_out.value("error", Json()) == "States.Timeout");
  const std::string id = timed_out.value("executionId", "");
  const Json before = History(id, db);
  CHECK(CountType(before, "ExecutionTimedOut") == 1);

  const Json result = RedriveToSuccess(env, id, db);
  CHECK(result.value("output", Json()) == Json{{"ms", 10}});
  CHECK(DescribeExecution(id, db).value("redriveCount", Json()) == 1);
  const Json after = History(id, db);
  CheckRedriveAppended(before, after, 1);

  const auto calls = env.Calls(id);
  INFO("worker calls: " << Json(calls).dump());
  REQUIRE(calls.size() == 2);
  CHECK(calls[0]["input"] == Json{{"ms", 4000}});
  CHECK(calls[1]["input"] == Json{{"ms", 10}});
  CHECK(calls[0]["idempotency_key"] != calls[1]["idempotency_key"]);
  CheckKeysMatchHistory(calls, id, after);
}

TEST_CASE("redrive: a redriven Task's retry counter restarts at 0, a second redrive counts 2",
          "[redrive]") {
  CrashEnv env;
  const std::string flag = env.File("flag-retry");
  const std::string path = env.Definition("redriveretry", Json::parse(R"json({
    "StartAt": "Flaky",
    "States": {
      "Flaky": {"Type": "Task", "Resource": "fail_until_flag",
                "Parameters": {"flag.$": "$.flag", "rc.$": "$$.State.RetryCount"},
                "Retry": [{"ErrorEquals": ["Worker.NotReady"], "IntervalSeconds": 1,
                           "MaxAttempts": 1}],
                "Next": "After"},
      "After": {"Type": "Pass",
                "Parameters": {"redrives.$": "$$.Execution.RedriveCount",
                               "redriveTime.$": "$$.Execution.RedriveTime", "rc.$": "$.rc"},
                "End": true}
    }
  })json"));
  const std::string db = env.File("redrive.db");
  const Json failed = RunToFailure(env, path, Json{{"flag", flag}}, db);
  const std::string id = failed.value("executionId", "");
  const Json first = History(id, db);

  // First redrive: still no flag, fails again (after its own retry).
  auto again = env.Redrive(id, db);
  INFO("first redrive: " << Describe(again));
  REQUIRE_FALSE(again.timed_out);
  CHECK(again.signal == 0);
  CHECK(again.exit_code == 1);
  CHECK(LastJson(again).value("status", "") == "FAILED");
  CHECK(LastJson(again).value("error", Json()) == "Worker.NotReady");
  CHECK(DescribeExecution(id, db).value("redriveCount", Json()) == 1);
  const Json second = History(id, db);
  CheckHistoryIntegrity(second);
  CheckHistoryPrefix(first, second);

  Touch(flag);
  const Json result = RedriveToSuccess(env, id, db);
  const Json output = result.value("output", Json());
  INFO("output: " << output.dump());
  CHECK(output.value("redrives", Json()) == 2);
  CHECK(output.value("rc", Json()) == 0);
  CHECK(output.value("redriveTime", Json()).is_string());
  CHECK(DescribeExecution(id, db).value("redriveCount", Json()) == 2);

  const Json events = History(id, db);
  CheckHistoryIntegrity(events);
  CheckHistoryPrefix(second, events);
  INFO("history: " << events.dump());
  Json counts = Json::array();
  for (const Json& e : events) {
    if (e.value("type", "") == "ExecutionRedriven") {
      counts.push_back(
          e.value("executionRedrivenEventDetails", Json()).value("redriveCount", Json()));
    }
  }
  CHECK(counts == Json::array({1, 2}));
  CHECK(second[first.size()].value("type", "") == "ExecutionRedriven");
  CHECK(events[second.size()].value("type", "") == "ExecutionRedriven");
  CHECK(CountType(events, "ExecutionFailed") == 2);
  CheckEndsWith(events, "ExecutionSucceeded");

  const auto calls = env.Calls(id);
  INFO("worker calls: " << Json(calls).dump());
  Json attempts = Json::array(), rcs = Json::array();
  for (const Json& c : calls) {
    attempts.push_back(c["attempt"]);
    rcs.push_back(c["input"].value("rc", Json()));
  }
  // Each redrive resets the Task's retry counter (ASL_NOTES §11).
  CHECK(attempts == Json::array({0, 1, 0, 1, 0}));
  CHECK(rcs == Json::array({0, 1, 0, 1, 0}));
  CheckKeysMatchHistory(calls, id, events);
}

TEST_CASE("redrive: an execution that ended in a Fail state fails again", "[redrive]") {
  CrashEnv env;
  const std::string path = env.Definition("redrivefail", Json::parse(R"json({
    "StartAt": "Hello",
    "States": {
      "Hello": {"Type": "Task", "Resource": "echo", "Next": "Stop"},
      "Stop": {"Type": "Fail", "Error": "Custom.Stop", "Cause": "always"}
    }
  })json"));
  const std::string db = env.File("redrive.db");
  const Json failed = RunToFailure(env, path, Json{{"x", 1}}, db);
  CHECK(failed.value("error", Json()) == "Custom.Stop");
  const std::string id = failed.value("executionId", "");
  const Json before = History(id, db);

  auto r = env.Redrive(id, db);
  INFO("redrive: " << Describe(r));
  REQUIRE_FALSE(r.timed_out);
  CHECK(r.signal == 0);
  CHECK(r.exit_code == 1);
  const Json result = LastJson(r);
  CHECK(result.value("status", "") == "FAILED");
  CHECK(result.value("error", Json()) == "Custom.Stop");
  const Json after = History(id, db);
  INFO("history: " << after.dump());
  CheckHistoryIntegrity(after);
  CheckHistoryPrefix(before, after);
  CHECK(CountType(after, "ExecutionRedriven") == 1);
  CHECK(CountType(after, "FailStateEntered") == 2);
  CHECK(CountType(after, "ExecutionFailed") == 2);
  CheckEndsWith(after, "ExecutionFailed");
  CHECK(env.Calls(id).size() == 1);  // Hello succeeded: not re-run
  const Json d = DescribeExecution(id, db);
  CHECK(d.value("status", "") == "FAILED");
  CHECK(d.value("redriveCount", Json()) == 1);
}

TEST_CASE("redrive: a Parallel that failed with States.DataLimitExceeded re-runs whole",
          "[redrive]") {
  CrashEnv env;
  // Each branch's output is below 256 KiB, both together are above it; after
  // a redrive the second branch is small ($$.Execution.RedriveCount picks the
  // size).
  const std::string path = env.Definition("redrivedatalimit", Json::parse(R"json({
    "StartAt": "Fork",
    "States": {
      "Fork": {
        "Type": "Parallel", "Next": "Sizes",
        "Branches": [
          {"StartAt": "Big0", "States": {
             "Big0": {"Type": "Task", "Resource": "big", "Parameters": {"bytes": 150000}, "End": true}}},
          {"StartAt": "Big1", "States": {
             "Big1": {"Type": "Task", "Resource": "big",
                      "Parameters": {"bytes.$": "States.ArrayGetItem($.sizes, $$.Execution.RedriveCount)"},
                      "End": true}}}
        ]
      },
      "Sizes": {"Type": "Pass",
                "Parameters": {"branches.$": "States.ArrayLength($)", "small.$": "$[1]"},
                "End": true}
    }
  })json"));
  const std::string db = env.File("redrive.db");
  const Json failed = RunToFailure(env, path, Json{{"sizes", {150000, 10}}}, db);
  CHECK(failed.value("error", Json()) == "States.DataLimitExceeded");
  const std::string id = failed.value("executionId", "");
  const Json before = History(id, db);
  const size_t calls_before = env.Calls(id).size();
  CHECK(calls_before == 2);

  auto r = env.Redrive(id, db);
  INFO("redrive: " << Describe(r));
  REQUIRE_FALSE(r.timed_out);
  CHECK(r.signal == 0);
  const Json result = LastJson(r);
  CHECK(result.value("status", "") == "SUCCEEDED");
  CHECK(result.value("output", Json()) == Json{{"branches", 2}, {"small", std::string(10, 'x')}});
  const Json after = History(id, db);
  CheckHistoryIntegrity(after);
  CheckHistoryPrefix(before, after);
  const auto calls = env.Calls(id);
  INFO("worker calls: " << Json(calls).dump());
  std::map<std::string, int> per_path;
  for (size_t k = calls_before; k < calls.size(); ++k) ++per_path[calls[k].value("state_path", "")];
  // The whole state re-runs: both branches are called again (ASL_NOTES §11).
  CHECK(per_path["Fork[0]/Big0"] == 1);
  CHECK(per_path["Fork[1]/Big1"] == 1);
}

TEST_CASE("redrive: a Map inside a Parallel re-runs only its unfinished iterations", "[redrive]") {
  CrashEnv env;
  const std::string ok = env.File("ok");
  Touch(ok);
  const std::string flag = env.File("flag-2");
  // Sequential Map (MaxConcurrency 1): item 2 fails, item 3 never starts;
  // branch 0 is still in its Wait when the Map fails (aborted).
  const std::string path = env.Definition("redrivenested", Json::parse(R"json({
    "StartAt": "Fork",
    "States": {
      "Fork": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "Hold", "States": {
           "Hold": {"Type": "Wait", "Seconds": 1, "Next": "E0"},
           "E0": {"Type": "Task", "Resource": "echo", "Parameters": {"b": 0}, "End": true}}},
        {"StartAt": "Items", "States": {
           "Items": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1, "End": true,
                     "ItemProcessor": {"StartAt": "Work", "States": {
                       "Work": {"Type": "Task", "Resource": "fail_until_flag",
                                "Parameters": {"flag.$": "$"}, "End": true}}}}}}
      ]}
    }
  })json"));
  const std::string db = env.File("redrive.db");
  const Json items = {ok, ok, flag, ok};
  const Json failed = RunToFailure(env, path, Json{{"items", items}}, db);
  const std::string id = failed.value("executionId", "");
  const Json before = History(id, db);
  const size_t calls_before = env.Calls(id).size();

  Touch(flag);
  const Json result = RedriveToSuccess(env, id, db);
  Json mapped = Json::array();
  for (const Json& f : items) mapped.push_back({{"flag", f}});
  CHECK(result.value("output", Json()) == Json::array({Json{{"b", 0}}, mapped}));
  const Json after = History(id, db);
  CheckRedriveAppended(before, after, 1);

  const auto calls = env.Calls(id);
  INFO("worker calls: " << Json(calls).dump());
  std::map<std::string, int> rerun;
  for (size_t k = calls_before; k < calls.size(); ++k) ++rerun[calls[k].value("state_path", "")];
  CHECK(rerun == std::map<std::string, int>{{"Fork[0]/E0", 1},
                                            {"Fork[1]/Items[2]/Work", 1},
                                            {"Fork[1]/Items[3]/Work", 1}});
  CheckKeysMatchHistory(calls, id, after);
}
