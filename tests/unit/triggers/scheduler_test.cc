// The scheduler on the engine's fake clock: occurrences start once each,
// with names and inputs derived from them; catch-up, overlap, pause and
// remaining runs as the policies say.
#include "engine/triggers/scheduler.h"

#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/common/json_util.h"
#include "tests/unit/runtime/runtime_test_util.h"

namespace stepflow::triggers {
namespace {

constexpr int64_t kT0 = 1767225600'000;  // 2026-01-01T00:00:00Z
constexpr int64_t kMinute = 60'000;

const char* kPass = R"j({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})j";
// Runs until the test answers its Task (the invoker holds the calls).
const char* kTask = R"j({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"work","End":true}}})j";

// Pass machines run with RunUntilIdle on the test's thread; Task machines
// (whose calls the invoker holds, so they stay RUNNING) on a loop thread, as
// the server runs them.
struct Fixture {
  stepflow::testing::Harness h;
  std::unique_ptr<Scheduler> scheduler;
  std::thread loop;

  explicit Fixture(const char* definition) {
    h.clock.AdvanceTo(kT0);
    REQUIRE(h.executor->PutStateMachine("m", definition).ok());
    if (definition == kTask) {
      h.invoker.hold = true;
      loop = std::thread([this] { (void)h.executor->Run(); });
    }
  }
  ~Fixture() {
    if (loop.joinable()) {
      h.executor->Shutdown();
      loop.join();
    }
  }

  // Stores a trigger as the control plane does, written at `at_ms`.
  void Put(Json description, int64_t at_ms, bool paused = false) {
    description["machine"] = "m";
    auto spec = ParseTriggerSpec(description);
    REQUIRE(spec.ok());
    store::TriggerRecord r{spec->name, DumpCompact(TriggerSpecJson(*spec)), paused, at_ms, at_ms};
    REQUIRE(h.store->PutTrigger(r).ok());
    if (scheduler) scheduler->Reload(spec->name);
  }

  void Open(SchedulerOptions options = {}) {
    scheduler = std::make_unique<Scheduler>(h.store.get(), h.executor.get(), &h.clock, options);
    REQUIRE(scheduler->LoadAll().ok());
  }

  // One pass of the scheduler at `now_ms`, the engine runs what it started,
  // and the scheduler hears the answers.
  void At(int64_t now_ms) {
    h.clock.AdvanceTo(now_ms);
    REQUIRE(h.clock.NowMs() == now_ms);
    scheduler->RunOnce();
    if (loop.joinable()) {
      REQUIRE(scheduler->WaitForStarts(std::chrono::seconds(10)));
    } else {
      REQUIRE(h.executor->RunUntilIdle().ok());
    }
    scheduler->RunOnce();
  }

  size_t Running() {
    store::ExecutionFilter filter;
    filter.status = "RUNNING";
    auto all = h.store->ListExecutions(filter);
    REQUIRE(all.ok());
    return all->size();
  }

  // Waits (bounded) until `check` holds.
  void Await(const std::function<bool()>& check, const char* what) {
    for (int i = 0; i < 2000 && !check(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    INFO(what);
    REQUIRE(check());
  }

  std::map<std::string, store::TriggerOccurrence> Occurrences(const std::string& trigger = "t") {
    auto all = h.store->ListOccurrences(trigger, 0);
    REQUIRE(all.ok());
    std::map<std::string, store::TriggerOccurrence> out;
    for (const auto& o : *all) out[o.key] = o;
    return out;
  }

  std::map<std::string, std::string> Outcomes(const std::string& trigger = "t") {
    std::map<std::string, std::string> out;
    for (const auto& [key, o] : Occurrences(trigger)) out[key] = o.outcome;
    return out;
  }

  size_t Executions() {
    auto all = h.store->ListExecutions({});
    REQUIRE(all.ok());
    return all->size();
  }

  // Answers the held Task call of the running execution; waits for its end.
  void FinishHeld() {
    std::vector<stepflow::testing::FakeInvoker::Held> held;
    Await([&] {
      auto more = h.invoker.TakeHeld();
      for (auto& m : more) held.push_back(std::move(m));
      return !held.empty();
    }, "a held call");
    for (auto& call : held) call.done(runtime::TaskOutcome::Success("{}"));
    Await([&] { return Running() == 0; }, "no execution running");
  }
};

Json Rate(const std::string& expression = "rate(1 minute)") {
  return Json::object({{"name", "t"}, {"schedule", Json::object({{"expression", expression}})}});
}

TEST_CASE("scheduler: an occurrence starts one execution named after it, once") {
  Fixture f(kPass);
  f.Put(Rate(), kT0 + 1);
  f.Open();
  f.At(kT0 + kMinute - 1);
  CHECK(f.Executions() == 0);
  f.At(kT0 + kMinute);
  auto occurrences = f.Occurrences();
  REQUIRE(occurrences.size() == 1);
  const store::TriggerOccurrence& o = occurrences.at("2026-01-01T00:01:00Z");
  CHECK(o.outcome == "STARTED");
  CHECK(o.execution_id == "m:t-20260101T000100Z");
  auto record = f.h.store->GetExecution(o.execution_id);
  REQUIRE(record.ok());
  CHECK(record->status == "SUCCEEDED");
  Json input = Json::parse(record->input);
  CHECK(input["trigger"] == "t");
  CHECK(input["source"] == "schedule");
  CHECK(input["scheduledTime"] == "2026-01-01T00:01:00Z");
  CHECK(input["actualTime"] == "2026-01-01T00:01:00Z");

  // A restart (a second scheduler on the same store) starts nothing again.
  f.Open();
  f.At(kT0 + kMinute + 30'000);
  CHECK(f.Executions() == 1);
  CHECK(f.Occurrences().size() == 1);
  f.At(kT0 + 2 * kMinute);
  CHECK(f.Executions() == 2);
  CHECK(f.scheduler->Stats().started >= 1);
}

TEST_CASE("scheduler: the input template reads the trigger context") {
  Fixture f(kPass);
  Json d = Rate();
  d["input"] = Json::parse(R"j({"day":"{% $substring($states.input.scheduledTime, 0, 10) %}","k":1})j");
  f.Put(d, kT0 + 1);
  f.Open();
  f.At(kT0 + kMinute);
  auto record = f.h.store->GetExecution("m:t-20260101T000100Z");
  REQUIRE(record.ok());
  CHECK(Json::parse(record->input) == Json::parse(R"({"day":"2026-01-01","k":1})"));
}

TEST_CASE("scheduler: jitter delays each occurrence by its own fixed amount") {
  Fixture f(kPass);
  Json d = Rate();
  d["schedule"]["jitterSeconds"] = 30;
  f.Put(d, kT0 + 1);
  f.Open();
  const int64_t delay = Jitter("t", (kT0 + kMinute) / 1000, 30) * 1000;
  REQUIRE(delay <= 30'000);
  if (delay > 0) {
    f.At(kT0 + kMinute + delay - 1);
    CHECK(f.Executions() == 0);
  }
  f.At(kT0 + kMinute + delay);
  CHECK(f.Outcomes() == std::map<std::string, std::string>{{"2026-01-01T00:01:00Z", "STARTED"}});
}

TEST_CASE("scheduler: nothing before the trigger was written fires") {
  Fixture f(kPass);
  f.Put(Rate(), kT0 + 10 * kMinute + 1);  // written at 00:10:00.001
  f.Open();
  f.At(kT0 + 10 * kMinute + 5'000);
  CHECK(f.Executions() == 0);
  CHECK(f.Occurrences().empty());
  f.At(kT0 + 11 * kMinute);
  CHECK(f.Outcomes() == std::map<std::string, std::string>{{"2026-01-01T00:11:00Z", "STARTED"}});
}

TEST_CASE("scheduler: catch-up after downtime follows the policy") {
  SchedulerOptions quick;  // an occurrence more than 10 s late was missed
  quick.grace_ms = 10'000;
  SECTION("LATEST (the default): only the latest due one starts, the others are MISSED") {
    Fixture f(kPass);
    f.Put(Rate(), kT0 + 1);
    f.Open(quick);
    // Down from 00:00 to 00:10:05: 00:01 ... 00:09 were missed, 00:10 is
    // within the grace period (on time).
    f.At(kT0 + 10 * kMinute + 5'000);
    auto outcomes = f.Outcomes();
    CHECK(outcomes.size() == 10);
    CHECK(outcomes["2026-01-01T00:10:00Z"] == "STARTED");
    for (int m = 1; m <= 9; ++m) {
      CHECK(outcomes["2026-01-01T00:0" + std::to_string(m) + ":00Z"] == "MISSED");
    }
    CHECK(f.Executions() == 1);
    CHECK(f.Occurrences()["2026-01-01T00:05:00Z"].detail.find("LATEST") != std::string::npos);
    // Down again past the grace period: the latest missed one starts.
    f.At(kT0 + 15 * kMinute + 30'000);
    outcomes = f.Outcomes();
    CHECK(outcomes["2026-01-01T00:15:00Z"] == "STARTED");
    CHECK(outcomes["2026-01-01T00:14:00Z"] == "MISSED");
    CHECK(f.Executions() == 2);
  }
  SECTION("LATEST within its window only") {
    Fixture f(kPass);
    Json d = Rate("rate(1 hour)");
    d["catchup"] = Json::object({{"policy", "LATEST"}, {"windowSeconds", 600}});
    f.Put(d, kT0 + 1);
    f.Open(quick);
    f.At(kT0 + 60 * kMinute + 20 * kMinute);  // 01:00 is 20 minutes late, outside the window
    CHECK(f.Outcomes() == std::map<std::string, std::string>{{"2026-01-01T01:00:00Z", "MISSED"}});
    CHECK(f.Executions() == 0);
  }
  SECTION("NONE: every missed one is MISSED") {
    Fixture f(kPass);
    Json d = Rate();
    d["catchup"] = "NONE";
    f.Put(d, kT0 + 1);
    f.Open(quick);
    f.At(kT0 + 5 * kMinute + 30'000);
    auto outcomes = f.Outcomes();
    CHECK(outcomes.size() == 5);
    for (const auto& [key, outcome] : outcomes) CHECK(outcome == "MISSED");
    CHECK(f.Executions() == 0);
  }
  SECTION("ALL: the missed ones start oldest first, up to maxRuns") {
    Fixture f(kPass);
    Json d = Rate();
    d["catchup"] = Json::object({{"policy", "ALL"}, {"maxRuns", 3}});
    d["overlap"] = "ALLOW_ALL";
    f.Put(d, kT0 + 1);
    f.Open(quick);
    f.At(kT0 + 5 * kMinute + 30'000);  // 00:01 ... 00:05 missed
    auto outcomes = f.Outcomes();
    CHECK(outcomes["2026-01-01T00:01:00Z"] == "STARTED");
    CHECK(outcomes["2026-01-01T00:02:00Z"] == "STARTED");
    CHECK(outcomes["2026-01-01T00:03:00Z"] == "STARTED");
    CHECK(outcomes["2026-01-01T00:04:00Z"] == "MISSED");
    CHECK(outcomes["2026-01-01T00:05:00Z"] == "MISSED");
    CHECK(f.Executions() == 3);
  }
  SECTION("a long outage records a bounded number of rows and counts the rest") {
    Fixture f(kPass);
    Json d = Rate();
    d["catchup"] = "NONE";
    f.Put(d, kT0 + 1);
    quick.max_missed_rows = 10;
    f.Open(quick);
    f.At(kT0 + 1000 * kMinute + 30'000);  // 1000 missed
    auto occurrences = f.Occurrences();
    CHECK(occurrences.size() == 10);
    CHECK(occurrences.begin()->second.detail.find("990 earlier occurrences") != std::string::npos);
    CHECK(f.scheduler->Stats().missed == 1000);
  }
}

TEST_CASE("scheduler: overlapping occurrences follow the overlap policy") {
  SECTION("SKIP (the default)") {
    Fixture f(kTask);
    f.Put(Rate(), kT0 + 1);
    f.Open();
    f.At(kT0 + kMinute);
    f.At(kT0 + 2 * kMinute);
    auto occurrences = f.Occurrences();
    CHECK(occurrences["2026-01-01T00:01:00Z"].outcome == "STARTED");
    CHECK(occurrences["2026-01-01T00:02:00Z"].outcome == "SKIPPED");
    CHECK(occurrences["2026-01-01T00:02:00Z"].detail ==
          "overlap policy SKIP: m:t-20260101T000100Z was still running");
    f.FinishHeld();
    f.At(kT0 + 3 * kMinute);
    CHECK(f.Outcomes()["2026-01-01T00:03:00Z"] == "STARTED");
  }
  SECTION("BUFFER_ONE keeps the newest and starts it when the other ends") {
    Fixture f(kTask);
    Json d = Rate();
    d["overlap"] = "BUFFER_ONE";
    f.Put(d, kT0 + 1);
    f.Open();
    f.At(kT0 + kMinute);
    f.At(kT0 + 2 * kMinute);
    f.At(kT0 + 3 * kMinute);
    CHECK(f.Outcomes() == std::map<std::string, std::string>{
                              {"2026-01-01T00:01:00Z", "STARTED"},
                              {"2026-01-01T00:02:00Z", "SKIPPED"}});
    CHECK(f.scheduler->Stats().buffered == 1);
    f.FinishHeld();
    f.At(kT0 + 3 * kMinute + 1000);
    CHECK(f.Outcomes()["2026-01-01T00:03:00Z"] == "STARTED");
    CHECK(f.scheduler->Stats().buffered == 0);
  }
  SECTION("BUFFER_ALL starts them one after the other") {
    Fixture f(kTask);
    Json d = Rate();
    d["overlap"] = "BUFFER_ALL";
    f.Put(d, kT0 + 1);
    f.Open();
    f.At(kT0 + kMinute);
    f.At(kT0 + 2 * kMinute);
    f.At(kT0 + 3 * kMinute);
    CHECK(f.Outcomes().size() == 1);
    CHECK(f.scheduler->Stats().buffered == 2);
    f.FinishHeld();
    f.At(kT0 + 3 * kMinute + 1000);
    CHECK(f.Outcomes().size() == 2);
    CHECK(f.Outcomes()["2026-01-01T00:02:00Z"] == "STARTED");
    f.FinishHeld();
    f.At(kT0 + 3 * kMinute + 2000);
    CHECK(f.Outcomes()["2026-01-01T00:03:00Z"] == "STARTED");
  }
  SECTION("CANCEL_OTHER stops the running one") {
    Fixture f(kTask);
    Json d = Rate();
    d["overlap"] = "CANCEL_OTHER";
    f.Put(d, kT0 + 1);
    f.Open();
    f.At(kT0 + kMinute);
    f.At(kT0 + 2 * kMinute);
    CHECK(f.Outcomes()["2026-01-01T00:02:00Z"] == "STARTED");
    f.Await([&] { return f.h.store->GetExecution("m:t-20260101T000100Z")->status == "ABORTED"; },
            "the first execution stopped");
    auto first = f.h.store->GetExecution("m:t-20260101T000100Z");
    REQUIRE(first.ok());
    CHECK(first->error.value_or("") == "stepflow.TriggerOverlap");
  }
  SECTION("ALLOW_ALL runs them side by side") {
    Fixture f(kTask);
    Json d = Rate();
    d["overlap"] = "ALLOW_ALL";
    f.Put(d, kT0 + 1);
    f.Open();
    f.At(kT0 + kMinute);
    f.At(kT0 + 2 * kMinute);
    CHECK(f.Outcomes() == std::map<std::string, std::string>{
                              {"2026-01-01T00:01:00Z", "STARTED"},
                              {"2026-01-01T00:02:00Z", "STARTED"}});
  }
}

TEST_CASE("scheduler: a paused trigger does not fire and unpausing never back-fills") {
  Fixture f(kPass);
  f.Put(Rate(), kT0 + 1, /*paused=*/true);
  f.Open();
  f.At(kT0 + 5 * kMinute);
  CHECK(f.Occurrences().empty());
  // Unpaused at 00:05:30: 00:01 ... 00:05 are neither started nor MISSED.
  f.h.clock.AdvanceTo(kT0 + 5 * kMinute + 30'000);
  f.Put(Rate(), kT0 + 5 * kMinute + 30'000, /*paused=*/false);
  f.At(kT0 + 5 * kMinute + 40'000);
  CHECK(f.Occurrences().empty());
  f.At(kT0 + 6 * kMinute);
  CHECK(f.Outcomes() == std::map<std::string, std::string>{{"2026-01-01T00:06:00Z", "STARTED"}});
}

TEST_CASE("scheduler: remainingRuns stops the trigger after that many starts") {
  Fixture f(kPass);
  Json d = Rate();
  d["remainingRuns"] = 2;
  f.Put(d, kT0 + 1);
  f.Open();
  for (int m = 1; m <= 4; ++m) f.At(kT0 + m * kMinute);
  CHECK(f.Executions() == 2);
  // Restarted, it remembers.
  f.Open();
  f.At(kT0 + 5 * kMinute);
  CHECK(f.Executions() == 2);
}

TEST_CASE("scheduler: a deleted machine records the occurrence FAILED with why") {
  Fixture f(kPass);
  f.Put(Rate(), kT0 + 1);
  f.Open();
  REQUIRE(f.h.executor->DeleteStateMachine("m").ok());
  f.At(kT0 + kMinute);
  auto occurrences = f.Occurrences();
  REQUIRE(occurrences.size() == 1);
  CHECK(occurrences.begin()->second.outcome == "FAILED");
  CHECK(occurrences.begin()->second.detail.find("m") != std::string::npos);
  CHECK(f.scheduler->Stats().failed == 1);
}

TEST_CASE("scheduler: an at() schedule fires once and a deleted trigger stops") {
  Fixture f(kPass);
  Json d = Json::object({{"name", "t"},
                         {"schedule", Json::object({{"expression", "at(2026-01-01T01:00:00)"},
                                                    {"timezone", "Europe/Berlin"}})}});
  f.Put(d, kT0);
  Json g = Rate();
  g["name"] = "g";
  f.Put(g, kT0 + 1);
  f.Open();
  f.At(kT0);  // 01:00 in Berlin is 00:00Z: written at that very millisecond, it fires
  CHECK(f.Outcomes() == std::map<std::string, std::string>{{"2026-01-01T00:00:00Z", "STARTED"}});
  f.At(kT0 + 2 * kMinute);
  CHECK(f.Occurrences().size() == 1);
  REQUIRE(f.h.store->DeleteTrigger("g").ok());
  f.scheduler->Reload("g");
  f.At(kT0 + 3 * kMinute);
  CHECK(f.Occurrences("g").empty());
}

}  // namespace
}  // namespace stepflow::triggers
