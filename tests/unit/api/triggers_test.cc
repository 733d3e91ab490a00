// The control plane's triggers on a running executor and a clock the test
// sets: descriptions refused before anything is stored, pause and unpause
// (what fell due meanwhile is one SKIPPED occurrence, never started), manual
// runs and backfills.
#include <catch2/catch.hpp>
#include <future>
#include <thread>

#include "engine/api/control_plane.h"
#include "engine/functions/catalog.h"
#include "engine/store/memory_store.h"
#include "tests/unit/runtime/runtime_test_util.h"

namespace stepflow::api {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kT0 = 1767225600'000;  // 2026-01-01T00:00:00Z
constexpr const char* kPass = R"j({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})j";

// Time the test moves; it never skips by itself.
class ManualClock : public runtime::Clock {
 public:
  int64_t NowMs() const override { return now_.load(); }
  void Set(int64_t ms) { now_ = ms; }

 private:
  std::atomic<int64_t> now_{kT0 + 1000};  // a second after the hour: it is not due
};

struct Core {
  std::unique_ptr<store::Store> store = store::NewMemoryStore();
  ManualClock clock;
  testing::FakeInvoker invoker;
  std::unique_ptr<runtime::Executor> executor;
  std::unique_ptr<functions::Catalog> catalog;
  std::unique_ptr<ControlPlane> plane;
  std::thread loop;

  Core() {
    executor = std::make_unique<runtime::Executor>(store.get(), &invoker, &clock);
    catalog = std::make_unique<functions::Catalog>(store.get());
    plane = std::make_unique<ControlPlane>(executor.get(), store.get(), catalog.get());
    loop = std::thread([this] { (void)executor->Run(); });
    REQUIRE(plane->CreateStateMachine("m", kPass).ok());
  }
  ~Core() {
    plane->BeginShutdown();
    executor->Shutdown();
    loop.join();
  }

  Result<TriggerRun> Run(const std::string& name, std::optional<std::string> input) {
    std::promise<Result<TriggerRun>> answer;
    auto future = answer.get_future();
    plane->RunTrigger(name, input, [&](Result<TriggerRun> r) { answer.set_value(std::move(r)); });
    REQUIRE(future.wait_for(10s) == std::future_status::ready);
    return future.get();
  }

  Result<Backfill> Fill(const std::string& name, int64_t from, int64_t to) {
    std::promise<Result<Backfill>> answer;
    auto future = answer.get_future();
    plane->BackfillTrigger(name, from, to,
                           [&](Result<Backfill> r) { answer.set_value(std::move(r)); });
    REQUIRE(future.wait_for(10s) == std::future_status::ready);
    return future.get();
  }
};

TEST_CASE("triggers api: a description is checked before anything is stored", "[api]") {
  Core core;
  auto refused = [&](const char* description, StatusCode code, const std::string& message) {
    auto put = core.plane->PutTrigger(description, /*create_only=*/true);
    REQUIRE_FALSE(put.ok());
    CHECK(put.status().code() == code);
    CHECK(put.status().message() == message);
  };
  refused(R"j({"name":"t","machine":"nope","schedule":"rate(1 hour)"})j", StatusCode::kNotFound,
          "/machine: state machine 'nope' does not exist");
  refused(R"j({"name":"t","machine":"m:7","schedule":"rate(1 hour)"})j", StatusCode::kNotFound,
          "/machine: state machine 'm' has no version 7");
  refused(R"j({"name":"t","machine":"m","schedule":"at(2025-12-31T23:00:00)"})j",
          StatusCode::kInvalidArgument,
          "/schedule: 'at(2025-12-31T23:00:00)' has no occurrence after now "
          "(2026-01-01T00:00:01.000Z) in its window: nothing would ever fire");
  refused("{\"name\":", StatusCode::kInvalidArgument,
          "the trigger description is not JSON: " +
              ParseJsonData("{\"name\":").status().message());
  refused(R"j({"name":"t","machine":"m","schedule":{"expression":"rate(1 minute)",
              "jitterSeconds":60}})j",
          StatusCode::kInvalidArgument,
          "/schedule/jitterSeconds: 60 is not shorter than the time between occurrences (60 s): "
          "keep it below, so every occurrence fires before the next one is due");
  CHECK(core.store->ListTriggers()->empty());

  const std::string good = R"j({"name":"t","machine":"m","schedule":"rate(1 hour)"})j";
  auto created = core.plane->PutTrigger(good, true);
  REQUIRE(created.ok());
  CHECK_FALSE(created->unchanged);
  CHECK(created->next_fire_ms.size() == 10);
  CHECK(created->next_fire_ms.front() == kT0 + 3600'000);
  CHECK(core.plane->PutTrigger(good, true).status().code() == StatusCode::kAlreadyExists);
  auto again = core.plane->PutTrigger(good, false);
  REQUIRE(again.ok());
  CHECK(again->unchanged);
  CHECK(core.plane->DescribeTrigger("nope").status().code() == StatusCode::kNotFound);
  CHECK(core.plane->DeleteTrigger("t").ok());
  CHECK(core.plane->DeleteTrigger("t").code() == StatusCode::kNotFound);
}

TEST_CASE("triggers api: unpausing records what fell due as one SKIPPED occurrence", "[api]") {
  Core core;
  REQUIRE(core.plane->PutTrigger(R"j({"name":"t","machine":"m","schedule":"rate(1 minute)",
                                      "remainingRuns":3})j", true).ok());
  core.clock.Set(kT0 + 30'000);
  auto paused = core.plane->SetTriggerPaused("t", true);
  REQUIRE(paused.ok());
  CHECK(paused->paused);
  CHECK(paused->next_fire_ms.empty());
  core.clock.Set(kT0 + 5 * 60'000 + 30'000);
  auto resumed = core.plane->SetTriggerPaused("t", false);
  REQUIRE(resumed.ok());
  REQUIRE(resumed->occurrences.size() == 1);
  const store::TriggerOccurrence& o = resumed->occurrences[0];
  CHECK(o.key == "2026-01-01T00:05:00Z");
  CHECK(o.outcome == "SKIPPED");
  CHECK(o.detail ==
        "the trigger was paused (5 occurrences from 2026-01-01T00:01:00Z to 2026-01-01T00:05:00Z)");
  CHECK(resumed->next_fire_ms.front() == kT0 + 6 * 60'000);
  CHECK(resumed->counts == std::map<std::string, int64_t>{{"SKIPPED", 1}});
  // The description was not rewritten: remainingRuns still counts from its creation.
  CHECK(resumed->updated_ms == kT0 + 1000);
}

TEST_CASE("triggers api: manual runs and backfills", "[api]") {
  Core core;
  REQUIRE(core.plane->PutTrigger(R"j({"name":"t","machine":"m","schedule":"rate(1 hour)",
                                      "input":{"at":"{% $states.input.scheduledTime %}"}})j", true)
              .ok());
  REQUIRE(core.plane->PutTrigger(R"j({"name":"h","machine":"m","webhook":{}})j", true).ok());
  core.clock.Set(kT0 + 10 * 3600'000);

  auto run = core.Run("t", std::string(R"({"given":true})"));
  REQUIRE(run.ok());
  CHECK(run->execution_id == "m:t-manual-" + std::to_string(kT0 + 10 * 3600'000));
  CHECK(core.plane->WaitForEnd(run->execution_id, 10s, {})->input == R"({"given":true})");
  auto templated = core.Run("h", std::nullopt);  // a webhook run without input: an empty body
  REQUIRE(templated.ok());
  CHECK(core.plane->WaitForEnd(templated->execution_id, 10s, {})->input == "{}");

  CHECK(core.Fill("t", kT0, kT0 + 11 * 3600'000).status().code() == StatusCode::kInvalidArgument);
  CHECK(core.Fill("t", kT0 + 3600'000, kT0).status().code() == StatusCode::kInvalidArgument);
  CHECK(core.Fill("h", kT0, kT0 + 3600'000).status().code() == StatusCode::kFailedPrecondition);
  auto filled = core.Fill("t", kT0, kT0 + 3 * 3600'000);  // 00:00, 01:00, 02:00
  REQUIRE(filled.ok());
  CHECK(filled->occurrences == 3);
  CHECK(filled->started == 3);
  REQUIRE(filled->execution_ids.size() == 3);
  CHECK(filled->execution_ids[0] == "m:t-20260101T000000Z");
  auto first = core.plane->WaitForEnd("m:t-20260101T010000Z", 10s, {});
  REQUIRE(first.ok());
  CHECK(first->input == R"({"at":"2026-01-01T01:00:00Z"})");
  auto repeated = core.Fill("t", kT0, kT0 + 3 * 3600'000);
  REQUIRE(repeated.ok());
  CHECK(repeated->started == 0);
  CHECK(repeated->already == 3);
  CHECK(core.plane->DescribeTrigger("t")->counts.at("STARTED") == 4);
}

}  // namespace
}  // namespace stepflow::api
