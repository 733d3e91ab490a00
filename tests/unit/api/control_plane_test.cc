// api::ControlPlane in process, on a running executor (server mode, the
// system clock) over the memory store: the rules every transport shares, and
// the three defects fixed when the core left the gRPC handlers — a stop on a
// closing engine answers at once, a database fault is not a shorter list, a
// start racing a delete is refused.
#include "engine/api/control_plane.h"

#include <catch2/catch.hpp>
#include <future>
#include <thread>

#include "engine/functions/catalog.h"
#include "engine/store/memory_store.h"
#include "tests/unit/runtime/runtime_test_util.h"

namespace stepflow::api {
namespace {

using namespace std::chrono_literals;
using Catch::Matchers::Contains;

constexpr const char* kPass = R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})";
constexpr const char* kWait =
    R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}})";
constexpr const char* kActivity =
    R"({"StartAt":"A","States":{"A":{"Type":"Task",)"
    R"("Resource":"arn:aws:states:us-east-1:123456789012:activity:review","End":true}}})";

using Pairs = std::vector<std::pair<std::string, std::string>>;

// A store whose ListStateMachineVersions fails for one machine: a fault in
// the middle of a listing.
class FaultyStore : public store::Store {
 public:
  explicit FaultyStore(std::unique_ptr<store::Store> inner) : inner_(std::move(inner)) {}
  std::string broken;  // machine whose versions cannot be read

  using Counts = std::map<std::string, int64_t>;
#define FORWARD(ret, name, params, args) \
  ret name params override { return inner_->name args; }
  FORWARD(Result<int64_t>, PutStateMachineVersion,
          (const std::string& m, const std::string& d, const std::string& s, int64_t n),
          (m, d, s, n))
  FORWARD(Result<store::StateMachineVersion>, GetStateMachineVersion,
          (const std::string& m, int64_t v), (m, v))
  FORWARD(Result<std::vector<std::string>>, ListStateMachines, (), ())
  Result<std::vector<store::StateMachineVersion>> ListStateMachineVersions(
      const std::string& m) override {
    if (m == broken) return Status(StatusCode::kDataLoss, "disk I/O error reading " + m);
    return inner_->ListStateMachineVersions(m);
  }
  FORWARD(Status, DeleteStateMachine, (const std::string& m, bool p), (m, p))
  FORWARD(Result<store::ActivityRecord>, PutActivity, (const std::string& n, int64_t t), (n, t))
  FORWARD(Result<store::ActivityRecord>, GetActivity, (const std::string& n), (n))
  FORWARD(Result<std::vector<store::ActivityRecord>>, ListActivities, (), ())
  FORWARD(Result<bool>, DeleteActivity, (const std::string& n), (n))
  FORWARD(Status, TagResource, (const std::string& r, const Pairs& t, size_t m), (r, t, m))
  FORWARD(Status, UntagResource, (const std::string& r, const std::vector<std::string>& k),
          (r, k))
  FORWARD(Result<Pairs>, ListTags,
          (const std::string& r), (r))
  FORWARD(Result<store::FunctionVersion>, PutFunctionVersion, (const store::FunctionVersion& v),
          (v))
  FORWARD(Result<std::vector<store::FunctionVersion>>, ListFunctionVersions, (), ())
  FORWARD(Status, PutFunctionAlias, (const store::FunctionAlias& a), (a))
  FORWARD(Result<bool>, RemoveFunctionAlias, (const std::string& f, const std::string& a), (f, a))
  FORWARD(Result<std::vector<store::FunctionAlias>>, ListFunctionAliases, (), ())
  FORWARD(Result<bool>, RemoveFunction, (const std::string& n), (n))
  FORWARD(Status, PutIntegration, (const std::string& i, const std::string& f), (i, f))
  FORWARD(Result<bool>, RemoveIntegration, (const std::string& i), (i))
  FORWARD(Result<Pairs>, ListIntegrations, (), ())
  FORWARD(Status, PutDeployFailure, (const store::DeployFailure& f), (f))
  FORWARD(Status, ClearDeployFailure, (const std::string& n), (n))
  FORWARD(Result<std::vector<store::DeployFailure>>, ListDeployFailures, (), ())
  FORWARD(Status, AppendFunctionLogs, (const std::vector<store::FunctionLog>& l), (l))
  FORWARD(Result<std::vector<store::FunctionLog>>, ListFunctionLogs,
          (const store::FunctionLogQuery& q), (q))
  FORWARD(Status, Commit, (const std::vector<store::StepCommit>& s), (s))
  FORWARD(Result<Pairs>, GetCheckpointParts,
          (const std::string& id), (id))
  FORWARD(Result<store::ExecutionRecord>, GetExecution, (const std::string& id), (id))
  FORWARD(Result<std::optional<store::ExecutionRecord>>, FindExecutionByName,
          (const std::string& m, const std::string& n), (m, n))
  FORWARD(Result<std::vector<store::ExecutionRecord>>, ListExecutions,
          (const store::ExecutionFilter& f), (f))
  FORWARD(Result<std::vector<store::ExecutionRecord>>, ListUnfinished, (), ())
  FORWARD(Result<std::vector<store::ExecutionCount>>, CountExecutions, (), ())
  FORWARD(Status, PutTrigger, (const store::TriggerRecord& t), (t))
  FORWARD(Result<store::TriggerRecord>, GetTrigger, (const std::string& n), (n))
  FORWARD(Result<std::vector<store::TriggerRecord>>, ListTriggers, (), ())
  FORWARD(Result<bool>, DeleteTrigger, (const std::string& n), (n))
  FORWARD(Status, RecordOccurrences, (const std::vector<store::TriggerOccurrence>& o), (o))
  FORWARD(Result<std::vector<store::TriggerOccurrence>>, ListOccurrences,
          (const std::string& t, int64_t l), (t, l))
  FORWARD(Result<Counts>, CountOccurrences, (const std::string& t), (t))
  FORWARD(Result<std::optional<store::TriggerOccurrence>>, FindOccurrence,
          (const std::string& t, const std::string& k), (t, k))
  FORWARD(Result<std::optional<store::ExecutionRecord>>, FindExecutionByParentTask,
          (const std::string& k), (k))
  FORWARD(Result<std::vector<store::ExecutionRecord>>, ListChildExecutions,
          (const std::string& p), (p))
  FORWARD(Result<std::vector<store::HistoryEvent>>, GetHistory,
          (const std::string& id, const store::HistoryQuery& q), (id, q))
  FORWARD(Result<std::vector<store::TaskRecord>>, ListTasks, (const std::string& id), (id))
  FORWARD(Result<std::vector<store::TimerRecord>>, ListTimers, (const std::string& id), (id))
#undef FORWARD

 private:
  std::unique_ptr<store::Store> inner_;
};

// The core on an executor running in server mode on its own thread.
struct Core {
  FaultyStore store{store::NewMemoryStore()};
  runtime::SystemClock clock;
  testing::FakeInvoker invoker;
  std::unique_ptr<runtime::Executor> executor;
  std::unique_ptr<functions::Catalog> catalog;
  std::unique_ptr<ControlPlane> plane;
  std::thread loop;

  Core() {
    runtime::ExecutorOptions options;
    options.limits.callbacks = true;
    executor = std::make_unique<runtime::Executor>(&store, &invoker, &clock, options);
    catalog = std::make_unique<functions::Catalog>(&store);
    plane = std::make_unique<ControlPlane>(executor.get(), &store, catalog.get());
    loop = std::thread([this] { (void)executor->Run(); });
  }
  ~Core() { Stop(); }

  void Stop() {
    if (!loop.joinable()) return;
    plane->BeginShutdown();
    executor->Shutdown();
    loop.join();
  }

  void Create(const std::string& name, const std::string& definition) {
    auto ref = plane->CreateStateMachine(name, definition);
    INFO(ref.status().ToString());
    REQUIRE(ref.ok());
  }

  Result<Started> Start(const std::string& machine, const std::string& name,
                        const std::string& input = "{}") {
    std::promise<Result<Started>> answer;
    auto future = answer.get_future();
    plane->StartExecution({machine, 0, name, input},
                          [&answer](Result<Started> r) { answer.set_value(std::move(r)); });
    REQUIRE(future.wait_for(10s) == std::future_status::ready);
    return future.get();
  }

  Result<int64_t> StopExecution(const std::string& id) {
    std::promise<Result<int64_t>> answer;
    auto future = answer.get_future();
    plane->StopExecution(id, "Halt", std::string("asked"),
                         [&answer](Result<int64_t> r) { answer.set_value(std::move(r)); });
    REQUIRE(future.wait_for(10s) == std::future_status::ready);
    return future.get();
  }

  store::ExecutionRecord WaitForEnd(const std::string& id) {
    auto record = plane->WaitForEnd(id, 10s, {});
    REQUIRE(record.ok());
    return *record;
  }
};

TEST_CASE("names, sizes and definitions are checked before anything is stored", "[api]") {
  Core core;
  auto bad_name = core.plane->CreateStateMachine("has space", kPass);
  CHECK(bad_name.status().code() == StatusCode::kInvalidArgument);
  CHECK(bad_name.status().reason() == "InvalidName");
  auto too_long = core.plane->CreateStateMachine(std::string(81, 'a'), kPass);
  CHECK(too_long.status().reason() == "InvalidName");
  auto invalid = core.plane->CreateStateMachine("m", R"({"StartAt":"Nope","States":{}})");
  CHECK(invalid.status().reason() == "InvalidDefinition");
  CHECK_THAT(invalid.status().message(), Contains("invalid definition"));
  auto huge = core.plane->CreateStateMachine("m", std::string((1 << 20) + 1, ' '));
  CHECK(huge.status().code() == StatusCode::kResourceExhausted);
  CHECK(core.store.ListStateMachines()->empty());

  core.Create("m", kPass);
  auto bad_input = core.Start("m", "x", "{not json");
  CHECK(bad_input.status().reason() == "InvalidExecutionInput");
  auto bad_exec_name = core.Start("m", "a/b");
  CHECK(bad_exec_name.status().reason() == "InvalidName");
  auto big_input = core.Start("m", "big", "\"" + std::string(256 * 1024, 'x') + "\"");
  CHECK(big_input.status().code() == StatusCode::kResourceExhausted);
  auto missing = core.Start("nope", "x");
  CHECK(missing.status().reason() == "StateMachineDoesNotExist");
  CHECK(core.plane->ListExecutions({})->items.empty());
}

TEST_CASE("create is idempotent for one definition, update adds versions", "[api]") {
  Core core;
  auto first = core.plane->CreateStateMachine("m", kPass);
  REQUIRE(first.ok());
  CHECK_FALSE(first->unchanged);
  auto again = core.plane->CreateStateMachine("m", kPass);
  REQUIRE(again.ok());
  CHECK(again->unchanged);
  CHECK(again->version == first->version);
  auto other = core.plane->CreateStateMachine("m", kWait);
  CHECK(other.status().reason() == "StateMachineAlreadyExists");
  auto update = core.plane->UpdateStateMachine("m", kWait);
  REQUIRE(update.ok());
  CHECK(update->version == 2);
  auto missing = core.plane->UpdateStateMachine("nope", kWait);
  CHECK(missing.status().reason() == "StateMachineDoesNotExist");
  auto described = core.plane->DescribeStateMachine("m", 1);
  REQUIRE(described.ok());
  CHECK(described->versions.size() == 2);
  CHECK(described->described.version == 1);
}

TEST_CASE("executions: idempotent names, newest first, pages, stop and redrive", "[api]") {
  Core core;
  core.Create("m", kWait);
  auto a = core.Start("m", "a", R"({"n":1})");
  REQUIRE(a.ok());
  auto repeat = core.Start("m", "a", R"({"n":1})");
  REQUIRE(repeat.ok());
  CHECK(repeat->already_started);
  auto clash = core.Start("m", "a", R"({"n":2})");
  CHECK(clash.status().reason() == "ExecutionAlreadyExists");
  for (const char* name : {"b", "c", "d"}) {
    REQUIRE(core.Start("m", name).ok());
    std::this_thread::sleep_for(2ms);  // distinct start times
  }

  // Newest first, two per page, every execution once.
  std::vector<std::string> seen;
  ExecutionQuery query;
  query.machine = "m";
  query.page.max_results = 2;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = core.plane->ListExecutions(query);
    REQUIRE(page.ok());
    for (const auto& r : page->items) seen.push_back(r.name);
    if (page->next_token.empty()) break;
    query.page.next_token = page->next_token;
  }
  CHECK(seen == std::vector<std::string>{"d", "c", "b", "a"});

  auto stopped = core.StopExecution("m:a");
  REQUIRE(stopped.ok());
  CHECK(*stopped > 0);
  CHECK(core.WaitForEnd("m:a").status == store::kAborted);
  auto twice = core.StopExecution("m:a");
  CHECK(twice.status().reason() == "ExecutionNotRunning");
  auto ghost = core.StopExecution("m:ghost");
  CHECK(ghost.status().reason() == "ExecutionDoesNotExist");

  // Redrive with a client token: the repeat answers the first redrive.
  std::promise<Result<int64_t>> first, second;
  core.plane->RedriveExecution("m:a", "token-1",
                               [&](Result<int64_t> r) { first.set_value(std::move(r)); });
  auto redriven = first.get_future().get();
  REQUIRE(redriven.ok());
  core.plane->RedriveExecution("m:a", "token-1",
                               [&](Result<int64_t> r) { second.set_value(std::move(r)); });
  auto repeated = second.get_future().get();
  REQUIRE(repeated.ok());
  CHECK(*repeated == *redriven);
  auto detail = core.plane->DescribeExecution("m:a");
  REQUIRE(detail.ok());
  CHECK(detail->record.redrive_count == 1);
  CHECK(detail->record.status == store::kRunning);
  CHECK_FALSE(RedriveStatusOf(detail->record).redrivable);
  CHECK(RedriveStatusOf(detail->record).reason == "Execution is RUNNING and cannot be redriven");

  // REDRIVEN filter.
  ExecutionQuery redriven_only;
  redriven_only.machine = "m";
  redriven_only.redrive_filter = "REDRIVEN";
  auto only = core.plane->ListExecutions(redriven_only);
  REQUIRE(only.ok());
  REQUIRE(only->items.size() == 1);
  CHECK(only->items[0].name == "a");
}

TEST_CASE("history pages in both orders with tokens", "[api]") {
  Core core;
  core.Create("m", kPass);
  REQUIRE(core.Start("m", "h").ok());
  REQUIRE(core.WaitForEnd("m:h").status == store::kSucceeded);
  std::vector<int64_t> forward, backward;
  for (bool reverse : {false, true}) {
    HistoryQuery q{"m:h", 2, "", reverse};
    for (int pages = 0; pages < 10; ++pages) {
      auto page = core.plane->GetHistory(q);
      REQUIRE(page.ok());
      for (const auto& e : page->items) (reverse ? backward : forward).push_back(e.id);
      if (page->next_token.empty()) break;
      q.next_token = page->next_token;
    }
  }
  REQUIRE(forward.size() == 4);  // started, entered, exited, succeeded
  CHECK(std::vector<int64_t>(forward.rbegin(), forward.rend()) == backward);
  auto bad = core.plane->GetHistory({"m:h", 2, "abc", false});
  CHECK(bad.status().reason() == "InvalidToken");
}

TEST_CASE("a stop on a closing engine answers at once with the engine's status", "[api]") {
  Core core;
  core.Create("m", kWait);
  REQUIRE(core.Start("m", "w").ok());
  // The loop stops; the core itself is not told (a stop raced the shutdown).
  core.executor->Shutdown();
  core.loop.join();
  const auto before = std::chrono::steady_clock::now();
  std::promise<Result<int64_t>> answer;
  auto future = answer.get_future();
  core.plane->StopExecution("m:w", "Halt", std::nullopt,
                            [&](Result<int64_t> r) { answer.set_value(std::move(r)); });
  REQUIRE(future.wait_for(5s) == std::future_status::ready);
  auto r = future.get();
  CHECK_FALSE(r.ok());
  CHECK(std::chrono::steady_clock::now() - before < 5s);
  core.plane->BeginShutdown();
}

TEST_CASE("a database fault in ListStateMachines is an error, not a shorter list", "[api]") {
  Core core;
  core.Create("a", kPass);
  core.Create("b", kPass);
  core.Create("c", kPass);
  REQUIRE(core.plane->ListStateMachines({})->items.size() == 3);
  core.store.broken = "b";
  auto list = core.plane->ListStateMachines({});
  REQUIRE_FALSE(list.ok());
  CHECK(list.status().code() == StatusCode::kDataLoss);
}

TEST_CASE("a start racing a delete either starts first or is refused", "[api]") {
  Core core;
  for (int round = 0; round < 20; ++round) {
    const std::string machine = "race" + std::to_string(round);
    core.Create(machine, kPass);
    std::promise<Result<Started>> started;
    core.plane->StartExecution({machine, 0, "x", "{}"},
                               [&](Result<Started> r) { started.set_value(std::move(r)); });
    Status deleted = core.plane->DeleteStateMachine(machine);
    auto answer = started.get_future().get();
    auto stored = core.store.GetExecution(machine + ":x");
    if (answer.ok()) {
      REQUIRE(stored.ok());  // committed before the delete
    } else {
      INFO(answer.status().ToString());
      CHECK(answer.status().reason() == "StateMachineDoesNotExist");
      CHECK_FALSE(stored.ok());  // nothing of a deleted machine was committed
    }
    // Whatever the order, a machine that is gone has no RUNNING execution.
    if (deleted.ok() && stored.ok()) CHECK(stored->status != store::kRunning);
  }
}

TEST_CASE("activities, an activity task round trip and tags", "[api]") {
  Core core;
  auto created = core.plane->CreateActivity("review");
  REQUIRE(created.ok());
  auto again = core.plane->CreateActivity("review");
  REQUIRE(again.ok());
  CHECK(again->created_ms == created->created_ms);
  CHECK(core.plane->CreateActivity("bad name").status().reason() == "InvalidName");
  CHECK(core.plane->DescribeActivity("nope").status().reason() == "ActivityDoesNotExist");

  core.Create("m", kActivity);
  REQUIRE(core.Start("m", "t", R"({"doc":1})").ok());
  auto task = core.plane->PollActivity("review", "w1", 5s, {});
  REQUIRE(task.ok());
  REQUIRE(task->has_value());
  CHECK((*task)->input_json == R"({"doc":1})");
  std::promise<Status> bad_output, done;
  core.plane->SendTaskSuccess((*task)->token, "{oops",
                              [&](const Status& st) { bad_output.set_value(st); });
  CHECK(bad_output.get_future().get().reason() == "InvalidOutput");
  core.plane->SendTaskSuccess((*task)->token, R"({"ok":true})",
                              [&](const Status& st) { done.set_value(st); });
  REQUIRE(done.get_future().get().ok());
  CHECK(core.WaitForEnd("m:t").status == store::kSucceeded);
  std::promise<Status> stale;
  core.plane->SendTaskSuccess((*task)->token, "{}", [&](const Status& st) { stale.set_value(st); });
  CHECK(stale.get_future().get().reason() == "TaskDoesNotExist");

  const std::string machine = store::StateMachineTagResource("m");
  REQUIRE(core.plane->TagResource(machine, {{"team", "a"}, {"env", "dev"}}).ok());
  REQUIRE(core.plane->UntagResource(machine, {"env"}).ok());
  auto tags = core.plane->ListTags(machine);
  REQUIRE(tags.ok());
  CHECK(*tags == std::vector<std::pair<std::string, std::string>>{{"team", "a"}});
  std::vector<std::pair<std::string, std::string>> many;
  for (int i = 0; i < 51; ++i) many.emplace_back("k" + std::to_string(i), "v");
  CHECK(core.plane->TagResource(machine, many).reason() == "TooManyTags");
  CHECK(core.plane->ListTags(store::StateMachineTagResource("ghost")).status().reason() ==
        "ResourceNotFound");
}

}  // namespace
}  // namespace stepflow::api
