// DeleteStateMachine against the executor's queued work: a start or a
// redrive checked before the delete and committed after it is refused by the
// store (in the commit's transaction) and its caller hears kNotFound; the
// deleted machine's closed executions stay readable.
#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>

#include "engine/store/sqlite_store.h"
#include "tests/unit/runtime/runtime_test_util.h"
#include "tests/unit/store/store_test_util.h"

namespace stepflow::testing {
namespace {

constexpr const char* kPass = R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})";
constexpr const char* kTask =
    R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"work","End":true}}})";

// The Harness on the memory store, or on a SQLite file.
struct Engine {
  store::testing::TempDir dir;
  Harness h;

  explicit Engine(bool sqlite) {
    if (!sqlite) return;
    h.executor.reset();
    h.store = store::testing::OpenSqliteOrFail(dir.File("engine.db"));
    h.executor = std::make_unique<runtime::Executor>(h.store.get(), &h.invoker, &h.clock);
  }

  void Put(const std::string& machine, const std::string& definition) {
    auto v = h.executor->PutStateMachine(machine, definition);
    INFO(v.status().ToString());
    REQUIRE(v.ok());
  }

  // Queues a start; its `committed` answer lands in answers[name].
  std::string Start(const std::string& machine, const std::string& name) {
    runtime::StartRequest request;
    request.machine = machine;
    request.name = name;
    request.committed = [this, name](const Status& st) { answers[name] = st; };
    auto id = h.executor->StartExecution(request);
    INFO(id.status().ToString());
    REQUIRE(id.ok());
    return *id;
  }

  void RunUntilIdle() {
    Status st = h.executor->RunUntilIdle();
    INFO(st.ToString());
    REQUIRE(st.ok());
  }

  std::map<std::string, Status> answers;
};

TEST_CASE("a start queued before its machine is deleted is refused, its batch commits",
          "[runtime][delete]") {
  const bool sqlite = GENERATE(false, true);
  INFO((sqlite ? "sqlite store" : "memory store"));
  Engine e(sqlite);
  e.Put("doomed", kPass);
  e.Put("kept", kPass);
  // Checked and queued: the executor holds the compiled machine.
  e.Start("doomed", "a");
  e.Start("doomed", "b");
  const std::string kept = e.Start("kept", "c");
  // Deleted behind the executor's back (another engine on the same file, or
  // a delete that passed its check just before the starts were queued).
  REQUIRE(e.h.store->DeleteStateMachine("doomed", false).ok());
  e.RunUntilIdle();  // not a store failure: the loop goes on

  const std::string why = "state machine 'doomed' version 1 does not exist (deleted?)";
  for (const char* name : {"a", "b"}) {
    INFO(name);
    REQUIRE(e.answers.count(name));
    CHECK(e.answers[name].code() == StatusCode::kNotFound);
    CHECK(e.answers[name].message() == why);
  }
  REQUIRE(e.answers.count("c"));
  CHECK(e.answers["c"].ok());
  CHECK(e.h.store->GetExecution("doomed:a").status().code() == StatusCode::kNotFound);
  CHECK(e.h.store->GetExecution("doomed:b").status().code() == StatusCode::kNotFound);
  CHECK(e.h.store->ListExecutions({"doomed", "", 0, ""})->empty());
  CHECK(e.h.Record(kept).status == store::kSucceeded);
  CHECK(e.h.executor->stats().failed_steps == 2);

  // Alone in its batch, the same; the names are free (nothing was stored).
  e.Start("doomed", "a");
  e.RunUntilIdle();
  CHECK(e.answers["a"].code() == StatusCode::kNotFound);
  CHECK(e.h.store->GetExecution("doomed:a").status().code() == StatusCode::kNotFound);
  // And the engine keeps working.
  const std::string later = e.Start("kept", "d");
  e.RunUntilIdle();
  CHECK(e.answers["d"].ok());
  CHECK(e.h.Record(later).status == store::kSucceeded);
}

TEST_CASE("the executor refuses to delete a machine with a start queued", "[runtime][delete]") {
  Engine e(false);
  e.Put("m", kPass);
  const std::string id = e.Start("m", "a");
  Status st = e.h.executor->DeleteStateMachine("m");
  CHECK(st.code() == StatusCode::kFailedPrecondition);
  e.RunUntilIdle();
  CHECK(e.answers["a"].ok());
  REQUIRE(e.h.executor->DeleteStateMachine("m").ok());
  // Kept (closed), and no new start of the machine.
  CHECK(e.h.Record(id).status == store::kSucceeded);
  runtime::StartRequest again;
  again.machine = "m";
  CHECK(e.h.executor->StartExecution(again).status().code() == StatusCode::kNotFound);
}

TEST_CASE("a deleted machine's closed executions stay readable and cannot be redriven",
          "[runtime][delete]") {
  const bool sqlite = GENERATE(false, true);
  INFO((sqlite ? "sqlite store" : "memory store"));
  Engine e(sqlite);
  bool fail = true;
  e.h.invoker.handler = [&](const runtime::TaskRequest& r) {
    return fail ? runtime::TaskOutcome::Failure("Work.Failed", "no")
                : runtime::TaskOutcome::Success(r.input_json);
  };
  e.Put("flaky", kTask);
  const std::string failed = e.Start("flaky", "one");
  e.RunUntilIdle();
  REQUIRE(e.h.Record(failed).status == store::kFailed);
  const size_t events = e.h.History(failed).size();

  SECTION("deleted through the executor: the redrive is refused at once") {
    REQUIRE(e.h.executor->DeleteStateMachine("flaky").ok());
    fail = false;
    Status st = e.h.executor->Redrive(failed);
    CHECK(st.code() == StatusCode::kNotFound);
    CHECK(e.h.Record(failed).status == store::kFailed);
    CHECK(e.h.History(failed).size() == events);
    CHECK(e.h.store->ListExecutions({"flaky", "", 0, ""})->size() == 1);

    // A purge of the machine created again removes the old executions too.
    e.Put("flaky", kTask);
    REQUIRE(e.h.executor->DeleteStateMachine("flaky", /*purge_executions=*/true).ok());
    CHECK(e.h.store->GetExecution(failed).status().code() == StatusCode::kNotFound);
  }
  SECTION("deleted behind the executor: the redrive's commit is refused") {
    const std::string second = e.Start("flaky", "two");
    e.RunUntilIdle();
    REQUIRE(e.h.Record(second).status == store::kFailed);
    // The executor still holds the compiled definition: both redrives are
    // queued, and both are refused in one batch without stopping the loop.
    REQUIRE(e.h.store->DeleteStateMachine("flaky", false).ok());
    fail = false;
    std::map<std::string, Status> redriven;
    for (const std::string& id : {failed, second}) {
      REQUIRE(
          e.h.executor->Redrive(id, [&redriven, id](const Status& st) { redriven[id] = st; }).ok());
    }
    e.RunUntilIdle();
    for (const std::string& id : {failed, second}) {
      INFO(id);
      REQUIRE(redriven.count(id));
      CHECK(redriven[id].code() == StatusCode::kNotFound);
      auto record = e.h.Record(id);
      CHECK(record.status == store::kFailed);
      CHECK(record.redrive_count == 0);
    }
    CHECK(e.h.History(failed).size() == events);
    CHECK(e.h.store->ListUnfinished()->empty());
  }
}

}  // namespace
}  // namespace stepflow::testing
