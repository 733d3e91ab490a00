// The pure decide step: Execution methods with time passed in and effects
// inspected, no executor loop, no store.
#include "engine/runtime/execution.h"

#include <catch2/catch.hpp>
#include <map>

#include "engine/graph/compiler.h"

namespace stepflow::testing {
namespace {

using runtime::Execution;
using runtime::StepEffects;
using runtime::TaskOutcome;

constexpr int64_t kT0 = 1'700'000'000'000;

std::shared_ptr<const graph::Graph> Compile(const std::string& text) {
  auto compiled = graph::CompileText(text);
  REQUIRE(compiled.graph != nullptr);
  return compiled.graph;
}

store::ExecutionRecord NewRecord(const std::string& input = "{}") {
  store::ExecutionRecord r;
  r.id = "m:run-1";
  r.machine = "m";
  r.version = 1;
  r.name = "run-1";
  r.input = input;
  r.start_ms = kT0;
  return r;
}

std::vector<std::string> Types(const StepEffects& fx) {
  std::vector<std::string> types;
  for (const auto& e : fx.events) types.push_back(e.type);
  return types;
}

const char* kMapOfTasks = R"j({"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items",
    "ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"work",
      "Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":3}],"End":true}}},"End":true}}})j";

TEST_CASE("a step emits events and commands, and never sends what it did not schedule",
          "[execution]") {
  auto g = Compile(kMapOfTasks);
  Execution x(NewRecord(R"({"items":[10,20,30]})"), g, {});
  StepEffects fx;
  x.Start(kT0, &fx);
  CHECK(Types(fx) == std::vector<std::string>{"ExecutionStarted", "MapStateEntered",
                                              "MapStateStarted", "MapIterationStarted",
                                              "MapIterationStarted", "MapIterationStarted",
                                              "TaskStateEntered", "TaskScheduled", "TaskStarted",
                                              "TaskStateEntered", "TaskScheduled", "TaskStarted",
                                              "TaskStateEntered", "TaskScheduled", "TaskStarted"});
  REQUIRE(fx.dispatches.size() == 3);
  CHECK(fx.dispatches[1].request.state_path == "M[1]/T");
  CHECK(fx.dispatches[1].request.input_json == "20");
  CHECK(fx.dispatches[1].request.idempotency_key ==
        "m:run-1/" + std::to_string(fx.dispatches[1].task_id));
  CHECK(x.tasks_in_flight() == 3);
  // An outcome for a task that is not in flight changes nothing.
  StepEffects none;
  CHECK_FALSE(x.OnTaskOutcome(999, TaskOutcome::Success("1"), kT0, &none));
  CHECK(none.Empty());
}

TEST_CASE("a checkpoint restores mid-Map: tasks re-sent with the same keys, timers re-armed",
          "[execution]") {
  auto g = Compile(kMapOfTasks);
  Execution x(NewRecord(R"({"items":[10,20,30]})"), g, {});
  StepEffects fx;
  x.Start(kT0, &fx);
  const auto first = fx.dispatches;
  // Item 0 succeeds, item 1 fails and waits 3 s to retry, item 2 is in flight.
  StepEffects a, b;
  REQUIRE(x.OnTaskOutcome(first[0].task_id, TaskOutcome::Success("100"), kT0 + 10, &a));
  REQUIRE(x.OnTaskOutcome(first[1].task_id, TaskOutcome::Failure("Flaky", "x"), kT0 + 20, &b));
  REQUIRE(b.timers.size() == 1);
  CHECK(b.timers[0].fire_at_ms == kT0 + 20 + 3000);

  store::ExecutionRecord saved = x.Snapshot();
  auto restored = Execution::Restore(saved, g, {});
  REQUIRE(restored.ok());
  Execution& y = **restored;
  StepEffects recovered;
  y.Recover(&recovered);
  CHECK(recovered.events.empty());
  REQUIRE(recovered.dispatches.size() == 1);
  CHECK(recovered.dispatches[0].request.idempotency_key == first[2].request.idempotency_key);
  CHECK(recovered.dispatches[0].request.input_json == "30");
  REQUIRE(recovered.timers.size() == 1);
  CHECK(recovered.timers[0].fire_at_ms == kT0 + 3020);

  // The restored execution finishes like the original would.
  StepEffects c, d, e;
  REQUIRE(y.OnTaskOutcome(first[2].task_id, TaskOutcome::Success("300"), kT0 + 30, &c));
  REQUIRE(y.OnTimer(recovered.timers[0].timer_id, kT0 + 3020, &d));
  REQUIRE(d.dispatches.size() == 1);
  CHECK(d.dispatches[0].request.attempt == 1);
  CHECK(d.dispatches[0].request.idempotency_key != first[1].request.idempotency_key);
  REQUIRE(y.OnTaskOutcome(d.dispatches[0].task_id, TaskOutcome::Success("200"), kT0 + 3100, &e));
  CHECK(y.finished());
  CHECK(y.record().status == "SUCCEEDED");
  CHECK(*y.record().output == "[100,200,300]");
  // Event ids continue across the restore.
  CHECK(e.events.back().id == y.record().next_event_id - 1);
}

TEST_CASE("a corrupt checkpoint is reported, not trusted", "[execution]") {
  auto g = Compile(kMapOfTasks);
  store::ExecutionRecord r = NewRecord();
  r.status = "RUNNING";
  r.state = "\x01garbage";
  auto restored = Execution::Restore(r, g, {});
  REQUIRE_FALSE(restored.ok());
  CHECK(restored.status().code() == StatusCode::kDataLoss);
}

TEST_CASE("redrive re-runs only the failed iteration and keeps the others' results",
          "[execution]") {
  auto g = Compile(R"j({"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items",
      "ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"work","End":true}}},
      "End":true}}})j");
  Execution x(NewRecord(R"({"items":[1,2,3]})"), g, {});
  StepEffects fx;
  x.Start(kT0, &fx);
  auto first = fx.dispatches;
  StepEffects s1, s2;
  x.OnTaskOutcome(first[0].task_id, TaskOutcome::Success("\"one\""), kT0 + 1, &s1);
  x.OnTaskOutcome(first[1].task_id, TaskOutcome::Failure("Broken", "item 2"), kT0 + 2, &s2);
  CHECK(x.record().status == "FAILED");
  CHECK(x.record().error == "Broken");
  // Item 3 was aborted: its call is forgotten.
  CHECK(std::find(s2.tasks_done.begin(), s2.tasks_done.end(), first[2].task_id) !=
        s2.tasks_done.end());

  // Through a checkpoint, as the CLI does it.
  auto y = Execution::Restore(x.Snapshot(), g, {});
  REQUIRE(y.ok());
  StepEffects r;
  REQUIRE((*y)->Redrive(kT0 + 100, &r).ok());
  CHECK(r.events.front().type == "ExecutionRedriven");
  REQUIRE(r.dispatches.size() == 2);  // the failed and the aborted iteration
  CHECK(r.dispatches[0].request.state_path == "M[1]/T");
  CHECK(r.dispatches[1].request.state_path == "M[2]/T");
  CHECK(r.dispatches[0].request.attempt == 0);
  StepEffects t1, t2;
  (*y)->OnTaskOutcome(r.dispatches[0].task_id, TaskOutcome::Success("\"two\""), kT0 + 200, &t1);
  (*y)->OnTaskOutcome(r.dispatches[1].task_id, TaskOutcome::Success("\"three\""), kT0 + 201, &t2);
  CHECK((*y)->record().status == "SUCCEEDED");
  CHECK(*(*y)->record().output == R"(["one","two","three"])");
  CHECK((*y)->record().redrive_count == 1);

  // A succeeded execution cannot be redriven.
  StepEffects again;
  Status st = (*y)->Redrive(kT0 + 300, &again);
  CHECK(st.code() == StatusCode::kFailedPrecondition);
  CHECK(st.message().find("SUCCEEDED") != std::string::npos);
  CHECK(again.Empty());
}

TEST_CASE("redrive resets retry counters and exposes RedriveCount", "[execution]") {
  auto g = Compile(R"j({"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"work","Retry":[{"ErrorEquals":["E"],"MaxAttempts":1}],"Next":"P"},
      "P":{"Type":"Pass","Parameters":{"redrives.$":"$$.Execution.RedriveCount"},"End":true}}})j");
  Execution x(NewRecord(), g, {});
  StepEffects fx, f1, t1, f2;
  x.Start(kT0, &fx);
  x.OnTaskOutcome(fx.dispatches[0].task_id, TaskOutcome::Failure("E", ""), kT0, &f1);
  REQUIRE(f1.timers.size() == 1);
  x.OnTimer(f1.timers[0].timer_id, kT0 + 1000, &t1);
  x.OnTaskOutcome(t1.dispatches[0].task_id, TaskOutcome::Failure("E", ""), kT0 + 1000, &f2);
  REQUIRE(x.record().status == "FAILED");
  StepEffects r, r1, r2;
  REQUIRE(x.Redrive(kT0 + 5000, &r).ok());
  REQUIRE(r.dispatches.size() == 1);
  CHECK(r.dispatches[0].request.attempt == 0);
  x.OnTaskOutcome(r.dispatches[0].task_id, TaskOutcome::Failure("E", ""), kT0 + 5000, &r1);
  CHECK(r1.timers.size() == 1);  // the retrier has its attempt again
  x.OnTimer(r1.timers[0].timer_id, kT0 + 6000, &r2);
  StepEffects done;
  x.OnTaskOutcome(r2.dispatches[0].task_id, TaskOutcome::Success("{}"), kT0 + 6000, &done);
  CHECK(x.record().status == "SUCCEEDED");
  CHECK(*x.record().output == R"({"redrives":1})");
}

}  // namespace
}  // namespace stepflow::testing

namespace stepflow::testing {
namespace {

TEST_CASE("deeply nested data is refused, never recursed into", "[execution][limits]") {
  std::string deep(100'000, '[');
  deep += std::string(100'000, ']');
  CHECK(JsonNestingDepth(deep) > kMaxJsonDepth);
  CHECK(JsonNestingDepth(R"({"a":"[[[[[[","b":[[1]]})") == 3);
  CHECK_FALSE(ParseJsonData(deep).ok());
  CHECK(ParseJsonData(std::string(512, '[') + std::string(512, ']')).ok());

  // A worker answering with it: States.TaskFailed, which Catch can handle.
  auto g = Compile(R"j({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"f",
      "Catch":[{"ErrorEquals":["States.TaskFailed"],"Next":"C"}],"End":true},
      "C":{"Type":"Pass","End":true}}})j");
  Execution x(NewRecord(), g, {});
  StepEffects fx, out;
  x.Start(kT0, &fx);
  REQUIRE(fx.dispatches.size() == 1);
  x.OnTaskOutcome(fx.dispatches[0].task_id, TaskOutcome::Success(deep), kT0, &out);
  CHECK(x.record().status == "SUCCEEDED");
  CHECK(x.record().output->find("States.TaskFailed") != std::string::npos);

  // A checkpoint nested beyond any the engine writes is corrupt, not parsed.
  store::ExecutionRecord r = NewRecord();
  r.status = "RUNNING";
  r.state = std::string(100'000, '\x91') + '\xc0';  // 100,000 nested one-element arrays
  auto restored = Execution::Restore(r, g, {});
  REQUIRE_FALSE(restored.ok());
  CHECK(restored.status().code() == StatusCode::kDataLoss);
  r.state = std::string("\x92\x01", 2);  // an array of two with one element: truncated
  CHECK(Execution::Restore(r, g, {}).status().code() == StatusCode::kDataLoss);
}

TEST_CASE("a stored input that no longer parses is data loss on restore, not {}", "[execution]") {
  auto g = Compile(R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":5,"End":true}}})");
  Execution x(NewRecord(), g, {});
  StepEffects fx;
  x.Start(kT0, &fx);
  store::ExecutionRecord saved = x.Snapshot();
  REQUIRE(Execution::Restore(saved, g, {}).ok());
  saved.input = R"({"order": 12)";  // cut short
  auto restored = Execution::Restore(saved, g, {});
  REQUIRE_FALSE(restored.ok());
  CHECK(restored.status().code() == StatusCode::kDataLoss);
  CHECK(restored.status().message().find("input") != std::string::npos);
}

TEST_CASE("a large Map keeps its children in checkpoint pieces and a step rewrites few of them",
          "[execution][checkpoint]") {
  auto g = Compile(R"({"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items",
      "MaxConcurrency":10,"ItemProcessor":{"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"f","End":true}}},"End":true}}})");
  Json items = Json::array();
  for (int i = 0; i < 1000; ++i) items.push_back(Json{{"i", i}});
  Execution x(NewRecord(DumpCompact(Json{{"items", items}})), g, {});
  StepEffects fx;
  x.Start(kT0, &fx);
  REQUIRE(fx.dispatches.size() == 10);
  std::map<std::string, std::string> stored;  // what the store holds
  std::vector<std::pair<std::string, std::string>> parts;
  store::ExecutionRecord row = x.Snapshot(&parts);
  CHECK(parts.size() == 9);  // the input and 8 chunks of children
  for (auto& [k, v] : parts) stored[k] = v;
  CHECK(row.state.size() < 1000);  // the row names the pieces only

  // Each answer rewrites the chunk(s) holding running children, never the
  // input or the chunks of children not yet started or done.
  std::vector<int64_t> waiting;
  for (const auto& d : fx.dispatches) waiting.push_back(d.task_id);
  int answered = 0;
  for (int round = 0; round < 40; ++round) {
    StepEffects out;
    int64_t id = waiting.front();
    waiting.erase(waiting.begin());
    REQUIRE(x.OnTaskOutcome(id, TaskOutcome::Success(R"({"ok":true})"), kT0, &out));
    ++answered;
    for (const auto& d : out.dispatches) waiting.push_back(d.task_id);
    parts.clear();
    row = x.Snapshot(&parts);
    CHECK(parts.size() <= 2);
    for (auto& [k, v] : parts) {
      CHECK(k != "M#in");
      stored[k] = v;
    }
  }

  // A restore from the row and the pieces goes on where it was.
  std::vector<std::pair<std::string, std::string>> all(stored.begin(), stored.end());
  auto restored = Execution::Restore(row, g, {}, all);
  REQUIRE(restored.ok());
  Execution& y = **restored;
  StepEffects recovered;
  y.Recover(&recovered);
  CHECK(recovered.dispatches.size() == 10);
  std::vector<int64_t> again;
  for (const auto& d : recovered.dispatches) again.push_back(d.task_id);
  while (!again.empty()) {
    StepEffects out;
    int64_t id = again.front();
    again.erase(again.begin());
    REQUIRE(y.OnTaskOutcome(id, TaskOutcome::Success(R"({"ok":true})"), kT0, &out));
    for (const auto& d : out.dispatches) again.push_back(d.task_id);
  }
  REQUIRE(y.record().status == "SUCCEEDED");
  Json output = Json::parse(*y.record().output);
  REQUIRE(output.size() == 1000);
  CHECK(output[0] == Json{{"ok", true}});
  CHECK(output[999] == Json{{"ok", true}});

  // A piece that went missing is data loss, not a silently shorter Map.
  all.pop_back();
  CHECK(Execution::Restore(row, g, {}, all).status().code() == StatusCode::kDataLoss);
}

}  // namespace
}  // namespace stepflow::testing
