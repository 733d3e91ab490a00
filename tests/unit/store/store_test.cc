// The shared Store suite: every backend must pass every case here (STYLE.md,
// "Storage behind an interface with a shared test suite").
#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/unit/store/store_test_util.h"

namespace stepflow::store {
namespace {

using testing::AddMachines;
using testing::CreateStep;
using testing::Event;
using testing::MemoryBackend;
using testing::NewExecution;
using testing::NextStep;
using testing::SqliteBackend;

void CheckSame(const ExecutionRecord& got, const ExecutionRecord& want, bool with_state = true) {
  CHECK(got.id == want.id);
  CHECK(got.machine == want.machine);
  CHECK(got.version == want.version);
  CHECK(got.name == want.name);
  CHECK(got.status == want.status);
  CHECK(got.input == want.input);
  CHECK(got.output == want.output);
  CHECK(got.error == want.error);
  CHECK(got.cause == want.cause);
  if (with_state) {
    CHECK(got.state == want.state);
  } else {
    CHECK(got.state.empty());
  }
  CHECK(got.next_event_id == want.next_event_id);
  CHECK(got.redrive_count == want.redrive_count);
  CHECK(got.start_ms == want.start_ms);
  CHECK(got.stop_ms == want.stop_ms);
  CHECK(got.redrive_ms == want.redrive_ms);
  CHECK(got.parent_id == want.parent_id);
  CHECK(got.parent_task == want.parent_task);
}

std::vector<int64_t> Ids(const std::vector<HistoryEvent>& events) {
  std::vector<int64_t> ids;
  for (const HistoryEvent& e : events) ids.push_back(e.id);
  return ids;
}

std::vector<std::string> Ids(const std::vector<ExecutionRecord>& records) {
  std::vector<std::string> ids;
  for (const ExecutionRecord& r : records) ids.push_back(r.id);
  return ids;
}

void RequireOk(const Status& st) {
  INFO(st.ToString());
  REQUIRE(st.ok());
}

int64_t StoredNextEventId(Store& store, const std::string& id) {
  auto r = store.GetExecution(id);
  REQUIRE(r.ok());
  return r->next_event_id;
}

TEMPLATE_TEST_CASE("store: a new state machine version only for a new definition hash", "[store]",
                   MemoryBackend, SqliteBackend) {
  TestType backend;
  auto store = backend.Open();
  CHECK(*store->PutStateMachineVersion("orders", "{v1}", "sha-1", 100) == 1);
  CHECK(*store->PutStateMachineVersion("orders", "{v1 again}", "sha-1", 200) == 1);
  CHECK(*store->PutStateMachineVersion("orders", "{v2}", "sha-2", 300) == 2);
  // Only the newest version is compared: going back is a new version.
  CHECK(*store->PutStateMachineVersion("orders", "{v1}", "sha-1", 400) == 3);
  CHECK(*store->PutStateMachineVersion("billing", "{b}", "sha-b", 500) == 1);

  auto newest = store->GetStateMachineVersion("orders", 0);
  REQUIRE(newest.ok());
  CHECK(newest->machine == "orders");
  CHECK(newest->version == 3);
  CHECK(newest->sha256 == "sha-1");
  CHECK(newest->created_ms == 400);

  auto second = store->GetStateMachineVersion("orders", 2);
  REQUIRE(second.ok());
  CHECK(second->definition == "{v2}");
  CHECK(second->sha256 == "sha-2");
  CHECK(second->created_ms == 300);

  CHECK(store->GetStateMachineVersion("orders", 4).status().code() == StatusCode::kNotFound);
  CHECK(store->GetStateMachineVersion("nope", 0).status().code() == StatusCode::kNotFound);
  CHECK(store->GetStateMachineVersion("nope", 1).status().code() == StatusCode::kNotFound);
  CHECK(*store->ListStateMachines() == std::vector<std::string>{"billing", "orders"});
}

TEMPLATE_TEST_CASE("store: create, get and find an execution by name", "[store]", MemoryBackend,
                   SqliteBackend) {
  TestType backend;
  auto store = backend.Open();
  AddMachines(*store, {"orders"}, 7);
  ExecutionRecord full = NewExecution("e1", "orders", 5000);
  full.version = 7;
  full.status = kFailed;
  full.output = "{\"out\":1}";
  full.error = "States.TaskFailed";
  full.cause = "the worker said no";
  full.redrive_count = 2;
  full.stop_ms = 6000;
  full.redrive_ms = 5500;
  StepCommit create_full = CreateStep(full, 3);
  StepCommit create_plain = CreateStep(NewExecution("e2", "orders"));
  RequireOk(store->Commit({create_full, create_plain}));

  auto got = store->GetExecution("e1");
  REQUIRE(got.ok());
  CheckSame(*got, create_full.execution);
  got = store->GetExecution("e2");
  REQUIRE(got.ok());
  CheckSame(*got, create_plain.execution);
  CHECK_FALSE(got->output.has_value());
  CHECK_FALSE(got->stop_ms.has_value());

  auto found = store->FindExecutionByName("orders", "name-e1");
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CheckSame(**found, create_full.execution);
  found = store->FindExecutionByName("orders", "name-missing");
  REQUIRE(found.ok());
  CHECK_FALSE(found->has_value());
  found = store->FindExecutionByName("other", "name-e1");
  REQUIRE(found.ok());
  CHECK_FALSE(found->has_value());

  CHECK(store->GetExecution("missing").status().code() == StatusCode::kNotFound);
  RequireOk(store->Commit({}));
}

TEMPLATE_TEST_CASE("store: a step updates the execution row and appends its events", "[store]",
                   MemoryBackend, SqliteBackend) {
  TestType backend;
  auto store = backend.Open();
  AddMachines(*store, {"m"});
  StepCommit create = CreateStep(NewExecution("e1"), 2);
  RequireOk(store->Commit({create}));

  StepCommit finish = NextStep(create.execution, 2);
  finish.execution.status = kSucceeded;
  finish.execution.output = "{\"done\":true}";
  finish.execution.state = "final";
  finish.execution.stop_ms = 9000;
  finish.execution.redrive_count = 1;
  finish.execution.redrive_ms = 8000;
  // Fields fixed at creation are not changed by a step.
  finish.execution.input = "{\"ignored\":1}";
  finish.execution.start_ms = 1;
  finish.execution.parent_id = "ignored";
  RequireOk(store->Commit({finish}));

  auto got = store->GetExecution("e1");
  REQUIRE(got.ok());
  CHECK(got->status == kSucceeded);
  CHECK(got->output == finish.execution.output);
  CHECK(got->state == "final");
  CHECK(got->stop_ms == 9000);
  CHECK(got->redrive_count == 1);
  CHECK(got->redrive_ms == 8000);
  CHECK(got->next_event_id == 5);
  CHECK(got->input == create.execution.input);
  CHECK(got->start_ms == create.execution.start_ms);
  CHECK(got->parent_id.empty());
  CHECK(got->parent_task.empty());
  auto history = store->GetHistory("e1", {});
  REQUIRE(history.ok());
  CHECK(Ids(*history) == std::vector<int64_t>{1, 2, 3, 4});
}

TEMPLATE_TEST_CASE("store: a duplicate execution id or name fails the whole batch", "[store]",
                   MemoryBackend, SqliteBackend) {
  TestType backend;
  auto store = backend.Open();
  AddMachines(*store, {"m", "other-machine"});
  RequireOk(store->Commit({CreateStep(NewExecution("a"))}));

  SECTION("duplicate id") {
    StepCommit again = CreateStep(NewExecution("a"));
    again.execution.name = "another-name";
    Status st = store->Commit({CreateStep(NewExecution("b")), again});
    CHECK(st.code() == StatusCode::kAlreadyExists);
    CHECK(st.message() == "execution a already exists");
    CHECK(store->GetExecution("b").status().code() == StatusCode::kNotFound);
  }
  SECTION("duplicate name in the same machine") {
    StepCommit same_name = CreateStep(NewExecution("c"));
    same_name.execution.name = "name-a";
    Status st = store->Commit({CreateStep(NewExecution("b")), same_name});
    CHECK(st.code() == StatusCode::kAlreadyExists);
    CHECK(st.message() == "state machine m already has an execution named name-a");
    CHECK(store->GetExecution("b").status().code() == StatusCode::kNotFound);
    CHECK(store->GetExecution("c").status().code() == StatusCode::kNotFound);
  }
  SECTION("duplicate within one batch") {
    Status st = store->Commit({CreateStep(NewExecution("b")), CreateStep(NewExecution("b"))});
    CHECK(st.code() == StatusCode::kAlreadyExists);
    CHECK(store->GetExecution("b").status().code() == StatusCode::kNotFound);
    auto found = store->FindExecutionByName("m", "name-b");
    REQUIRE(found.ok());
    CHECK_FALSE(found->has_value());
  }
  SECTION("the earlier steps' updates are undone too") {
    StepCommit advance = NextStep(*store->GetExecution("a"), 3);
    advance.execution.status = kSucceeded;
    Status st = store->Commit({advance, CreateStep(NewExecution("a"))});
    CHECK(st.code() == StatusCode::kAlreadyExists);
    auto a = store->GetExecution("a");
    REQUIRE(a.ok());
    CHECK(a->status == kRunning);
    CHECK(a->next_event_id == 2);
    CHECK(Ids(*store->GetHistory("a", {})) == std::vector<int64_t>{1});
  }
  SECTION("the same name in another machine is fine") {
    StepCommit other = CreateStep(NewExecution("b", "other-machine"));
    other.execution.name = "name-a";
    RequireOk(store->Commit({other}));
    auto found = store->FindExecutionByName("other-machine", "name-a");
    REQUIRE(found.ok());
    REQUIRE(found->has_value());
    CHECK((*found)->id == "b");
  }
}

TEMPLATE_TEST_CASE("store: event ids must continue the stored history", "[store]", MemoryBackend,
                   SqliteBackend) {
  TestType backend;
  auto store = backend.Open();
  AddMachines(*store, {"m"});
  StepCommit create = CreateStep(NewExecution("e"), 2);
  RequireOk(store->Commit({create, CreateStep(NewExecution("f"))}));
  const ExecutionRecord stored = create.execution;  // next_event_id 3

  SECTION("a gap") {
    StepCommit step = NextStep(stored, 1);
    step.events[0].id = 4;
    step.execution.next_event_id = 5;
    Status st = store->Commit({step});
    CHECK(st.code() == StatusCode::kFailedPrecondition);
    CHECK(st.message() ==
          "execution e: stored history continues at event 3, the step starts at event 4");
  }
  SECTION("a repeat of stored events") {
    StepCommit step = NextStep(stored, 1);
    step.events[0].id = 2;
    step.execution.next_event_id = 3;
    CHECK(store->Commit({step}).code() == StatusCode::kFailedPrecondition);
  }
  SECTION("ids not dense within the step") {
    StepCommit step = NextStep(stored, 3);
    step.events[2].id = 7;
    CHECK(store->Commit({step}).code() == StatusCode::kFailedPrecondition);
  }
  SECTION("next_event_id not one past the last event") {
    StepCommit step = NextStep(stored, 2);
    step.execution.next_event_id = 9;
    CHECK(store->Commit({step}).code() == StatusCode::kFailedPrecondition);
  }
  SECTION("a step without events must keep next_event_id") {
    StepCommit step = NextStep(stored, 0);
    step.execution.status = kAborted;
    RequireOk(store->Commit({step}));
    CHECK(store->GetExecution("e")->status == kAborted);
    step.execution.next_event_id = 2;
    CHECK(store->Commit({step}).code() == StatusCode::kFailedPrecondition);
  }
  SECTION("a new execution starts at event 1") {
    StepCommit step = CreateStep(NewExecution("g"), 0);
    step.events = {Event(2, "ExecutionStarted")};
    step.execution.next_event_id = 3;
    CHECK(store->Commit({step}).code() == StatusCode::kFailedPrecondition);
    CHECK(store->GetExecution("g").status().code() == StatusCode::kNotFound);
  }
  SECTION("several steps of one execution in one batch") {
    StepCommit first = NextStep(stored, 2);
    StepCommit second = NextStep(first.execution, 3);
    RequireOk(store->Commit({first, second}));
    CHECK(StoredNextEventId(*store, "e") == 8);
    CHECK(Ids(*store->GetHistory("e", {})) == std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7});
  }
  SECTION("a later step of the batch that repeats an earlier one fails the batch") {
    StepCommit first = NextStep(stored, 2);
    StepCommit other = NextStep(*store->GetExecution("f"), 1);
    Status st = store->Commit({first, other, first});
    CHECK(st.code() == StatusCode::kFailedPrecondition);
    CHECK(StoredNextEventId(*store, "e") == 3);
    CHECK(StoredNextEventId(*store, "f") == 2);
  }
  SECTION("create and advance in one batch") {
    StepCommit create_h = CreateStep(NewExecution("h"), 1);
    StepCommit advance_h = NextStep(create_h.execution, 2);
    advance_h.execution.status = kSucceeded;
    RequireOk(store->Commit({create_h, advance_h}));
    CHECK(store->GetExecution("h")->status == kSucceeded);
    CHECK(Ids(*store->GetHistory("h", {})) == std::vector<int64_t>{1, 2, 3});
  }
  SECTION("a step of an unknown execution") {
    StepCommit step = NextStep(NewExecution("ghost"), 1);
    StepCommit ok_step = NextStep(stored, 1);
    CHECK(store->Commit({ok_step, step}).code() == StatusCode::kNotFound);
    CHECK(StoredNextEventId(*store, "e") == 3);
  }
  // Whatever failed above left the history as it was.
  auto history = store->GetHistory("e", {});
  REQUIRE(history.ok());
  CHECK(history->size() == static_cast<size_t>(StoredNextEventId(*store, "e") - 1));
}

TEMPLATE_TEST_CASE("store: history paging", "[store]", MemoryBackend, SqliteBackend) {
  TestType backend;
  auto store = backend.Open();
  AddMachines(*store, {"m"});
  StepCommit create = CreateStep(NewExecution("e"), 10);
  create.events[4].state_path = "Fanout[2]/Charge";
  create.events[4].details = "{\"input\":\"caf\\u00e9 \xe2\x98\x95\"}";
  RequireOk(store->Commit({create, CreateStep(NewExecution("other"), 3)}));

  auto all = store->GetHistory("e", {});
  REQUIRE(all.ok());
  REQUIRE(all->size() == 10);
  for (size_t i = 0; i < all->size(); ++i) {
    const HistoryEvent& got = (*all)[i];
    const HistoryEvent& want = create.events[i];
    CHECK(got.id == want.id);
    CHECK(got.previous_event_id == want.previous_event_id);
    CHECK(got.timestamp_ms == want.timestamp_ms);
    CHECK(got.type == want.type);
    CHECK(got.state_path == want.state_path);
    CHECK(got.details == want.details);
  }
  CHECK(Ids(*store->GetHistory("e", {3, 4, false})) == std::vector<int64_t>{4, 5, 6, 7});
  CHECK(Ids(*store->GetHistory("e", {8, 0, false})) == std::vector<int64_t>{9, 10});
  CHECK(store->GetHistory("e", {10, 0, false})->empty());
  CHECK(Ids(*store->GetHistory("e", {0, 3, true})) == std::vector<int64_t>{10, 9, 8});
  CHECK(Ids(*store->GetHistory("e", {5, 2, true})) == std::vector<int64_t>{4, 3});
  CHECK(Ids(*store->GetHistory("e", {3, 0, true})) == std::vector<int64_t>{2, 1});
  CHECK(store->GetHistory("e", {1, 0, true})->empty());
  CHECK(Ids(*store->GetHistory("other", {})) == std::vector<int64_t>{1, 2, 3});
  CHECK(store->GetHistory("missing", {}).status().code() == StatusCode::kNotFound);
}

TEMPLATE_TEST_CASE("store: list executions by machine and status, paged", "[store]", MemoryBackend,
                   SqliteBackend) {
  TestType backend;
  auto store = backend.Open();
  AddMachines(*store, {"m1", "m2"});
  // Start times deliberately out of id order; "b" and "c" share one.
  std::vector<StepCommit> creates;
  creates.push_back(CreateStep(NewExecution("d", "m1", 100)));
  creates.push_back(CreateStep(NewExecution("c", "m2", 200)));
  creates.push_back(CreateStep(NewExecution("b", "m1", 200)));
  creates.push_back(CreateStep(NewExecution("a", "m1", 300)));
  creates.push_back(CreateStep(NewExecution("e", "m2", 400)));
  creates[2].execution.status = kSucceeded;
  creates[4].execution.status = kSucceeded;
  RequireOk(store->Commit(creates));

  auto all = store->ListExecutions({});
  REQUIRE(all.ok());
  CHECK(Ids(*all) == std::vector<std::string>{"d", "b", "c", "a", "e"});
  CheckSame((*all)[0], creates[0].execution, /*with_state=*/false);

  CHECK(Ids(*store->ListExecutions({"m1", "", 1000, ""})) ==
        std::vector<std::string>{"d", "b", "a"});
  CHECK(Ids(*store->ListExecutions({"", kSucceeded, 1000, ""})) ==
        std::vector<std::string>{"b", "e"});
  CHECK(Ids(*store->ListExecutions({"m1", kRunning, 1000, ""})) ==
        std::vector<std::string>{"d", "a"});
  CHECK(Ids(*store->ListExecutions({"", "", 2, ""})) == std::vector<std::string>{"d", "b"});
  CHECK(store->ListExecutions({"m3", "", 1000, ""})->empty());

  // Paging with after_id walks the whole list in order, whatever the page size.
  std::vector<std::string> paged;
  std::string after;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = store->ListExecutions({"", "", 2, after});
    REQUIRE(page.ok());
    if (page->empty()) break;
    for (const ExecutionRecord& r : *page) paged.push_back(r.id);
    after = page->back().id;
  }
  CHECK(paged == std::vector<std::string>{"d", "b", "c", "a", "e"});
  CHECK(Ids(*store->ListExecutions({"m1", "", 1000, "b"})) == std::vector<std::string>{"a"});
  CHECK(store->ListExecutions({"", "", 10, "zzz"}).status().code() == StatusCode::kInvalidArgument);
}

TEMPLATE_TEST_CASE("store: ListUnfinished returns running executions with their state bytes",
                   "[store]", MemoryBackend, SqliteBackend) {
  TestType backend;
  auto store = backend.Open();
  AddMachines(*store, {"m"});
  const std::string binary("\0\x01\xff\xfe state \0 with NULs\x80", 23);
  REQUIRE(binary.size() == 23);
  StepCommit running = CreateStep(NewExecution("run", "m", 10));
  running.execution.state = binary;
  StepCommit empty_state = CreateStep(NewExecution("empty", "m", 20));
  empty_state.execution.state.clear();
  StepCommit done = CreateStep(NewExecution("done", "m", 5));
  done.execution.status = kSucceeded;
  RequireOk(store->Commit({running, empty_state, done}));

  auto unfinished = store->ListUnfinished();
  REQUIRE(unfinished.ok());
  REQUIRE(Ids(*unfinished) == std::vector<std::string>{"run", "empty"});
  CHECK((*unfinished)[0].state == binary);
  CHECK((*unfinished)[1].state.empty());
  CheckSame((*unfinished)[0], running.execution);
  CHECK(store->GetExecution("run")->state == binary);

  StepCommit finish = NextStep(running.execution, 1);
  finish.execution.status = kTimedOut;
  RequireOk(store->Commit({finish}));
  CHECK(Ids(*store->ListUnfinished()) == std::vector<std::string>{"empty"});
}

TEMPLATE_TEST_CASE("store: tasks and timers are added and removed with their step", "[store]",
                   MemoryBackend, SqliteBackend) {
  TestType backend;
  auto store = backend.Open();
  AddMachines(*store, {"m"});
  StepCommit create = CreateStep(NewExecution("e"));
  create.tasks_added.push_back(
      TaskRecord{"e/2", "", "Charge", 1, "arn:charge", "{\"a\":1}", "SCHEDULED", 500});
  create.tasks_added.push_back(
      TaskRecord{"e/1", "e", "Fanout[0]/Ship", 2, "arn:ship", "{}", "DISPATCHED", 600});
  create.timers_added.push_back(TimerRecord{"w1", "", 9000, "wait", std::string("p\0q", 3)});
  RequireOk(store->Commit({create, CreateStep(NewExecution("f"))}));

  auto tasks = store->ListTasks("e");
  REQUIRE(tasks.ok());
  REQUIRE(tasks->size() == 2);
  const TaskRecord& t1 = (*tasks)[0];
  CHECK(t1.id == "e/1");
  CHECK(t1.execution_id == "e");
  CHECK(t1.state_path == "Fanout[0]/Ship");
  CHECK(t1.attempt == 2);
  CHECK(t1.resource == "arn:ship");
  CHECK(t1.input == "{}");
  CHECK(t1.status == "DISPATCHED");
  CHECK(t1.visible_at_ms == 600);
  CHECK((*tasks)[1].id == "e/2");
  CHECK((*tasks)[1].execution_id == "e");
  auto timers = store->ListTimers("e");
  REQUIRE(timers.ok());
  REQUIRE(timers->size() == 1);
  CHECK((*timers)[0].id == "w1");
  CHECK((*timers)[0].execution_id == "e");
  CHECK((*timers)[0].fire_at_ms == 9000);
  CHECK((*timers)[0].kind == "wait");
  CHECK((*timers)[0].payload == std::string("p\0q", 3));
  CHECK(store->ListTasks("f")->empty());
  CHECK(store->ListTimers("f")->empty());
  CHECK(store->ListTasks("missing").status().code() == StatusCode::kNotFound);
  CHECK(store->ListTimers("missing").status().code() == StatusCode::kNotFound);

  ExecutionRecord e = *store->GetExecution("e");
  SECTION("remove") {
    StepCommit step = NextStep(e, 1);
    step.tasks_removed = {"e/1", "not-there"};
    step.timers_removed = {"w1"};
    RequireOk(store->Commit({step}));
    CHECK(store->ListTasks("e")->size() == 1);
    CHECK(store->ListTimers("e")->empty());
  }
  SECTION("another execution's task is not removed") {
    StepCommit step = NextStep(*store->GetExecution("f"), 1);
    step.tasks_removed = {"e/1"};
    RequireOk(store->Commit({step}));
    CHECK(store->ListTasks("e")->size() == 2);
  }
  SECTION("a duplicate task id fails the batch") {
    StepCommit step = NextStep(e, 1);
    step.tasks_added.push_back(TaskRecord{"e/3", "", "S", 1, "r", "{}", "SCHEDULED", 0});
    step.tasks_added.push_back(TaskRecord{"e/1", "", "S", 1, "r", "{}", "SCHEDULED", 0});
    Status st = store->Commit({step});
    CHECK(st.code() == StatusCode::kAlreadyExists);
    CHECK(st.message() == "task e/1 already exists");
    CHECK(store->ListTasks("e")->size() == 2);
    CHECK(StoredNextEventId(*store, "e") == e.next_event_id);
  }
  SECTION("a task id must start with its execution's id") {
    StepCommit step = NextStep(*store->GetExecution("f"), 1);
    step.tasks_added.push_back(TaskRecord{"e/3", "", "S", 1, "r", "{}", "SCHEDULED", 0});
    Status st = store->Commit({step});
    CHECK(st.code() == StatusCode::kInvalidArgument);
    CHECK(store->ListTasks("f")->empty());
  }
  SECTION("a duplicate timer id fails the batch") {
    StepCommit step = NextStep(e, 1);
    step.tasks_removed = {"e/1"};
    step.timers_added.push_back(TimerRecord{"w1", "", 1, "retry", ""});
    Status st = store->Commit({step});
    CHECK(st.code() == StatusCode::kAlreadyExists);
    CHECK(st.message() == "execution e already has a timer w1");
    CHECK(store->ListTasks("e")->size() == 2);
    // The same timer id in another execution is fine.
    StepCommit other = NextStep(*store->GetExecution("f"), 1);
    other.timers_added.push_back(TimerRecord{"w1", "f", 1, "retry", ""});
    RequireOk(store->Commit({other}));
    CHECK(store->ListTimers("f")->size() == 1);
  }
  SECTION("remove and add the same ids in one step replaces them") {
    StepCommit step = NextStep(e, 1);
    step.tasks_removed = {"e/1"};
    step.tasks_added.push_back(TaskRecord{"e/1", "", "Ship", 3, "arn:ship", "{}", "SCHEDULED", 7});
    step.timers_removed = {"w1"};
    step.timers_added.push_back(TimerRecord{"w1", "", 100, "heartbeat", "x"});
    RequireOk(store->Commit({step}));
    auto replaced = store->ListTasks("e");
    REQUIRE(replaced->size() == 2);
    CHECK((*replaced)[0].attempt == 3);
    auto timer = store->ListTimers("e");
    REQUIRE(timer->size() == 1);
    CHECK((*timer)[0].kind == "heartbeat");
  }
  SECTION("a task added then removed by later steps of one batch") {
    StepCommit add = NextStep(e, 1);
    add.tasks_added.push_back(TaskRecord{"e/9", "", "S", 1, "r", "{}", "SCHEDULED", 0});
    StepCommit remove = NextStep(add.execution, 1);
    remove.tasks_removed = {"e/9"};
    StepCommit add_again = NextStep(remove.execution, 1);
    add_again.tasks_added.push_back(TaskRecord{"e/9", "", "S", 2, "r", "{}", "SCHEDULED", 0});
    RequireOk(store->Commit({add, remove, add_again}));
    auto listed = store->ListTasks("e");
    REQUIRE(listed->size() == 3);
    CHECK((*listed)[2].id == "e/9");
    CHECK((*listed)[2].attempt == 2);
  }
  SECTION("a task of another execution is refused") {
    StepCommit step = NextStep(e, 1);
    step.tasks_added.push_back(TaskRecord{"e/5", "f", "S", 1, "r", "{}", "SCHEDULED", 0});
    CHECK(store->Commit({step}).code() == StatusCode::kInvalidArgument);
  }
}

TEMPLATE_TEST_CASE("store: readers on other threads see whole committed batches", "[store]",
                   MemoryBackend, SqliteBackend) {
  TestType backend;
  auto store = backend.Open();
  AddMachines(*store, {"m"});
  StepCommit a = CreateStep(NewExecution("a"), 1);
  StepCommit b = CreateStep(NewExecution("b"), 1);
  RequireOk(store->Commit({a, b}));
  std::atomic<bool> done{false};
  std::atomic<int> reads{0};
  std::string failure;
  std::thread reader([&] {
    // Both executions advance in the same batches, "a" first. Reading "a"
    // before "b", a reader can see "b" ahead (a batch committed between the
    // reads) but never "a" ahead (half a batch); and a history read earlier
    // is dense and no longer than "b"'s next_event_id says.
    while (!done.load() || reads.load() == 0) {
      auto history = store->GetHistory("b", {});
      auto ea = store->GetExecution("a");
      auto eb = store->GetExecution("b");
      if (!history.ok() || !ea.ok() || !eb.ok()) {
        failure = "read failed";
        break;
      }
      if (ea->next_event_id > eb->next_event_id ||
          static_cast<int64_t>(history->size()) > eb->next_event_id - 1) {
        failure = "saw a partial batch";
        break;
      }
      for (size_t i = 0; i < history->size(); ++i) {
        if ((*history)[i].id != static_cast<int64_t>(i) + 1) failure = "history not dense";
      }
      ++reads;
    }
  });
  Status st;
  for (int i = 0; i < 200 && st.ok(); ++i) {
    a = NextStep(a.execution, 2);
    b = NextStep(b.execution, 2);
    st = store->Commit({a, b});
  }
  done = true;
  reader.join();
  RequireOk(st);
  CHECK(failure.empty());
  CHECK(reads.load() > 0);
  CHECK(StoredNextEventId(*store, "b") == 402);
}

}  // namespace
}  // namespace stepflow::store

namespace stepflow::store {
namespace {

using testing::AddMachines;
using testing::CreateStep;
using testing::MemoryBackend;
using testing::NewExecution;
using testing::NextStep;
using testing::SqliteBackend;

TEMPLATE_TEST_CASE("store: versions are listed oldest first", "[store]", MemoryBackend,
                   SqliteBackend) {
  TestType backend;
  auto store = backend.Open();
  CHECK(store->ListStateMachineVersions("orders").status().code() == StatusCode::kNotFound);
  REQUIRE(store->PutStateMachineVersion("orders", "def-1", "sha-1", 100).ok());
  REQUIRE(store->PutStateMachineVersion("orders", "def-2", "sha-2", 200).ok());
  auto versions = store->ListStateMachineVersions("orders");
  REQUIRE(versions.ok());
  REQUIRE(versions->size() == 2);
  CHECK((*versions)[0].version == 1);
  CHECK((*versions)[0].definition == "def-1");
  CHECK((*versions)[1].version == 2);
  CHECK((*versions)[1].sha256 == "sha-2");
  CHECK((*versions)[1].created_ms == 200);
}

TEMPLATE_TEST_CASE("store: deleting a state machine with purge removes its closed executions",
                   "[store]", MemoryBackend, SqliteBackend) {
  TestType backend;
  auto store = backend.Open();
  REQUIRE(store->PutStateMachineVersion("orders", "def", "sha", 100).ok());
  REQUIRE(store->PutStateMachineVersion("other", "def", "sha", 100).ok());
  ExecutionRecord running = NewExecution("orders:a", "orders");
  ExecutionRecord other = NewExecution("other:a", "other");
  StepCommit create = CreateStep(running, 2);
  create.tasks_added.push_back(TaskRecord{"orders:a/2", "", "S", 1, "r", "{}", "SCHEDULED", 0});
  create.timers_added.push_back(TimerRecord{"t", "", 5, "wait", ""});
  create.parts_put.emplace_back("chunk", "bytes");
  REQUIRE(store->Commit({create, CreateStep(other)}).ok());

  CHECK(store->DeleteStateMachine("missing", true).code() == StatusCode::kNotFound);
  Status refused = store->DeleteStateMachine("orders", true);
  CHECK(refused.code() == StatusCode::kFailedPrecondition);
  CHECK(refused.message().find("RUNNING") != std::string::npos);
  CHECK(store->GetStateMachineVersion("orders", 1).ok());

  // Closed, as a FAILED execution is: its checkpoint, task and timer rows stay.
  StepCommit close;
  close.execution = running;
  close.execution.status = kFailed;
  close.execution.next_event_id = 3;
  REQUIRE(store->Commit({close}).ok());
  REQUIRE(store->DeleteStateMachine("orders", true).ok());
  CHECK(store->GetStateMachineVersion("orders", 0).status().code() == StatusCode::kNotFound);
  CHECK(store->GetExecution("orders:a").status().code() == StatusCode::kNotFound);
  CHECK(store->GetHistory("orders:a", {}).status().code() == StatusCode::kNotFound);
  CHECK(store->ListTasks("orders:a").status().code() == StatusCode::kNotFound);
  auto parts = store->GetCheckpointParts("orders:a");  // kNotFound or none, by backend
  CHECK((!parts.ok() || parts->empty()));
  auto found = store->FindExecutionByName("orders", running.name);
  REQUIRE(found.ok());
  CHECK_FALSE(found->has_value());
  CHECK(Ids(*store->ListExecutions({"orders", "", 0, ""})).empty());
  CHECK(store->GetExecution("other:a").ok());
  auto names = store->ListStateMachines();
  REQUIRE(names.ok());
  CHECK(*names == std::vector<std::string>{"other"});

  // The name can be used again, from version 1 and with the same execution
  // name (and id), whose task id is free again too.
  auto v = store->PutStateMachineVersion("orders", "def-new", "sha-new", 300);
  REQUIRE(v.ok());
  CHECK(*v == 1);
  RequireOk(store->Commit({create}));
  CHECK(store->GetHistory("orders:a", {})->size() == 2);
}

TEMPLATE_TEST_CASE("store: deleting a state machine keeps its closed executions readable",
                   "[store]", MemoryBackend, SqliteBackend) {
  TestType backend;
  auto store = backend.Open();
  AddMachines(*store, {"orders", "other"}, 2);
  StepCommit failed = CreateStep(NewExecution("orders:failed", "orders", 100), 3);
  failed.execution.status = kFailed;
  failed.execution.error = "States.TaskFailed";
  failed.parts_put.emplace_back("chunk", "bytes");
  StepCommit done = CreateStep(NewExecution("orders:done", "orders", 200), 2);
  done.execution.version = 2;
  done.execution.status = kSucceeded;
  done.execution.output = "{}";
  StepCommit running = CreateStep(NewExecution("orders:running", "orders", 300));
  StepCommit other = CreateStep(NewExecution("other:a", "other", 150));
  RequireOk(store->Commit({failed, done, running, other}));
  RequireOk(store->TagResource(StateMachineTagResource("orders"), {{"team", "a"}}, 50));
  RequireOk(store->TagResource(StateMachineTagResource("other"), {{"team", "b"}}, 50));

  // Still refused while one is RUNNING, and nothing changed.
  Status refused = store->DeleteStateMachine("orders", false);
  CHECK(refused.code() == StatusCode::kFailedPrecondition);
  CHECK(refused.message().find("RUNNING") != std::string::npos);
  CHECK(store->ListStateMachineVersions("orders")->size() == 2);
  CHECK(store->ListTags(StateMachineTagResource("orders"))->size() == 1);

  StepCommit stop = NextStep(running.execution, 1);
  stop.execution.status = kAborted;
  RequireOk(store->Commit({stop}));
  RequireOk(store->DeleteStateMachine("orders", false));

  // The machine, its versions and its tags are gone.
  CHECK(*store->ListStateMachines() == std::vector<std::string>{"other"});
  CHECK(store->GetStateMachineVersion("orders", 0).status().code() == StatusCode::kNotFound);
  CHECK(store->GetStateMachineVersion("orders", 1).status().code() == StatusCode::kNotFound);
  CHECK(store->ListStateMachineVersions("orders").status().code() == StatusCode::kNotFound);
  CHECK(store->ListTags(StateMachineTagResource("orders"))->empty());
  CHECK(store->ListTags(StateMachineTagResource("other"))->size() == 1);
  CHECK(store->DeleteStateMachine("orders", false).code() == StatusCode::kNotFound);

  // Its closed executions stay, with their history and checkpoint.
  auto got = store->GetExecution("orders:failed");
  REQUIRE(got.ok());
  CheckSame(*got, failed.execution);
  CHECK(Ids(*store->GetHistory("orders:failed", {})) == std::vector<int64_t>{1, 2, 3});
  CHECK(store->GetCheckpointParts("orders:failed")->size() == 1);
  CHECK(store->GetExecution("orders:done")->version == 2);
  CHECK(Ids(*store->ListExecutions({"orders", "", 0, ""})) ==
        std::vector<std::string>{"orders:failed", "orders:done", "orders:running"});
  CHECK(Ids(*store->ListExecutions({})) ==
        std::vector<std::string>{"orders:failed", "other:a", "orders:done", "orders:running"});
  auto found = store->FindExecutionByName("orders", "name-orders:done");
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((*found)->status == kSucceeded);
  CHECK(store->ListUnfinished()->size() == 1);  // other:a

  // A kept execution may still take steps that keep it closed, but not be
  // reopened (redriven): its machine version is gone.
  StepCommit later = NextStep(*got, 1);
  RequireOk(store->Commit({later}));
  StepCommit redrive = NextStep(later.execution, 1);
  redrive.execution.status = kRunning;
  redrive.execution.redrive_count = 1;
  Status reopened = store->Commit({redrive});
  CHECK(reopened.code() == StatusCode::kNotFound);
  CHECK(reopened.message() == "state machine 'orders' version 1 does not exist (deleted?)");
  CHECK(store->GetExecution("orders:failed")->status == kFailed);
  CHECK(StoredNextEventId(*store, "orders:failed") == 5);
  CHECK(store->ListUnfinished()->size() == 1);

  // No new execution of the deleted machine.
  Status st = store->Commit({CreateStep(NewExecution("orders:new", "orders"))});
  CHECK(st.code() == StatusCode::kNotFound);
  CHECK(st.message() == "state machine 'orders' version 1 does not exist (deleted?)");

  // Created again, the machine starts at version 1; the kept executions
  // still hold their names.
  auto v = store->PutStateMachineVersion("orders", "def-new", "sha-new", 500);
  REQUIRE(v.ok());
  CHECK(*v == 1);
  StepCommit reuse = CreateStep(NewExecution("orders:again", "orders"));
  reuse.execution.name = "name-orders:done";
  CHECK(store->Commit({reuse}).code() == StatusCode::kAlreadyExists);
  StepCommit again = CreateStep(NewExecution("orders:again", "orders"));
  again.execution.status = kSucceeded;
  RequireOk(store->Commit({again}));
  CHECK(store->ListExecutions({"orders", "", 0, ""})->size() == 4);

  // A purge now removes the kept executions with the new ones.
  RequireOk(store->DeleteStateMachine("orders", true));
  CHECK(store->ListExecutions({"orders", "", 0, ""})->empty());
  CHECK(store->GetHistory("orders:failed", {}).status().code() == StatusCode::kNotFound);
  CHECK(Ids(*store->ListExecutions({})) == std::vector<std::string>{"other:a"});
}

TEMPLATE_TEST_CASE("store: an execution is created only of a stored machine version", "[store]",
                   MemoryBackend, SqliteBackend) {
  TestType backend;
  auto store = backend.Open();
  AddMachines(*store, {"orders"}, 2);
  StepCommit existing = CreateStep(NewExecution("e", "orders"));
  RequireOk(store->Commit({existing}));
  StepCommit advance = NextStep(existing.execution, 1);
  StepCommit ok_create = CreateStep(NewExecution("ok", "orders"));
  ok_create.execution.version = 2;

  StepCommit missing;
  SECTION("an unknown machine") {
    missing = CreateStep(NewExecution("x", "deleted"));
    missing.execution.version = 1;
  }
  SECTION("an unknown version of a stored machine") {
    missing = CreateStep(NewExecution("x", "orders"));
    missing.execution.version = 3;
  }
  SECTION("the machine deleted after the start was checked") {
    AddMachines(*store, {"racing"});
    missing = CreateStep(NewExecution("x", "racing"));
    RequireOk(store->DeleteStateMachine("racing", false));
  }
  // The step is refused as Commit refuses a duplicate: the batch fails
  // whole, and its other steps commit when sent without it (the executor
  // retries a refused batch one step at a time).
  Status st = store->Commit({advance, ok_create, missing});
  CHECK(st.code() == StatusCode::kNotFound);
  CHECK(st.message() == "state machine '" + missing.execution.machine + "' version " +
                            std::to_string(missing.execution.version) +
                            " does not exist (deleted?)");
  CHECK(StoredNextEventId(*store, "e") == 2);
  CHECK(store->GetExecution("ok").status().code() == StatusCode::kNotFound);
  CHECK(store->GetExecution("x").status().code() == StatusCode::kNotFound);
  CHECK(store->Commit({missing}).code() == StatusCode::kNotFound);
  RequireOk(store->Commit({advance, ok_create}));
  CHECK(StoredNextEventId(*store, "e") == 3);
  CHECK(store->GetExecution("ok")->version == 2);
  CHECK(store->GetExecution("x").status().code() == StatusCode::kNotFound);
  auto found = store->FindExecutionByName(missing.execution.machine, missing.execution.name);
  REQUIRE(found.ok());
  CHECK_FALSE(found->has_value());
}

TEMPLATE_TEST_CASE("store: executions listed newest first, paged", "[store]", MemoryBackend,
                   SqliteBackend) {
  TestType backend;
  auto store = backend.Open();
  AddMachines(*store, {"m1", "m2"});
  // Start times out of id order; "b", "c" and "f" share one.
  std::vector<StepCommit> creates;
  creates.push_back(CreateStep(NewExecution("d", "m1", 100)));
  creates.push_back(CreateStep(NewExecution("c", "m2", 200)));
  creates.push_back(CreateStep(NewExecution("b", "m1", 200)));
  creates.push_back(CreateStep(NewExecution("f", "m1", 200)));
  creates.push_back(CreateStep(NewExecution("a", "m1", 300)));
  creates.push_back(CreateStep(NewExecution("e", "m2", 400)));
  creates[2].execution.status = kSucceeded;
  creates[5].execution.status = kSucceeded;
  RequireOk(store->Commit(creates));

  auto list = [&](const std::string& machine, const std::string& status, int64_t limit,
                  const std::string& after, bool newest_first) {
    ExecutionFilter filter;
    filter.machine = machine;
    filter.status = status;
    filter.limit = limit;
    filter.after_id = after;
    filter.newest_first = newest_first;
    auto got = store->ListExecutions(filter);
    INFO(got.status().ToString());
    REQUIRE(got.ok());
    return Ids(*got);
  };
  using Names = std::vector<std::string>;
  CHECK(list("", "", 0, "", false) == Names{"d", "b", "c", "f", "a", "e"});
  CHECK(list("", "", 0, "", true) == Names{"e", "a", "f", "c", "b", "d"});
  CHECK(list("", "", 2, "", true) == Names{"e", "a"});
  CHECK(list("m1", "", 0, "", true) == Names{"a", "f", "b", "d"});
  CHECK(list("m1", "", 2, "", true) == Names{"a", "f"});
  CHECK(list("", kSucceeded, 0, "", true) == Names{"e", "b"});
  CHECK(list("m1", kRunning, 0, "", true) == Names{"a", "f", "d"});
  CHECK(list("m2", kRunning, 0, "", true) == Names{"c"});
  CHECK(list("m3", "", 0, "", true).empty());

  // after_id continues after that record in the chosen order.
  CHECK(list("", "", 0, "f", true) == Names{"c", "b", "d"});
  CHECK(list("", "", 0, "f", false) == Names{"a", "e"});
  CHECK(list("m1", "", 0, "f", true) == Names{"b", "d"});
  CHECK(list("m1", "", 1, "a", true) == Names{"f"});
  CHECK(list("m1", kRunning, 0, "f", true) == Names{"d"});
  // A cursor outside the filter is a position all the same.
  CHECK(list("m1", "", 0, "c", true) == Names{"b", "d"});
  CHECK(list("m2", "", 0, "b", false) == Names{"c", "e"});
  CHECK(list("", "", 0, "d", true).empty());
  CHECK(list("", "", 0, "e", false).empty());

  // Pages of every size walk the whole list in both orders.
  for (bool newest_first : {false, true}) {
    for (int64_t size = 1; size <= 4; ++size) {
      for (const std::string machine : {"", "m1"}) {
        Names paged;
        std::string after;
        for (int pages = 0; pages < 10; ++pages) {
          Names page = list(machine, "", size, after, newest_first);
          if (page.empty()) break;
          paged.insert(paged.end(), page.begin(), page.end());
          after = page.back();
        }
        CHECK(paged == list(machine, "", 0, "", newest_first));
      }
    }
  }
  ExecutionFilter unknown;
  unknown.after_id = "zzz";
  unknown.newest_first = true;
  CHECK(store->ListExecutions(unknown).status().code() == StatusCode::kInvalidArgument);
}

TEMPLATE_TEST_CASE("store: activities", "[store]", MemoryBackend, SqliteBackend) {
  TestType backend;
  auto store = backend.Open();
  CHECK(store->ListActivities()->empty());
  CHECK(store->GetActivity("review").status().code() == StatusCode::kNotFound);

  auto put = store->PutActivity("review", 100);
  REQUIRE(put.ok());
  CHECK(put->name == "review");
  CHECK(put->created_ms == 100);
  // Idempotent: the stored activity, with its first creation time.
  put = store->PutActivity("review", 200);
  REQUIRE(put.ok());
  CHECK(put->name == "review");
  CHECK(put->created_ms == 100);
  REQUIRE(store->PutActivity("approve", 300).ok());

  auto got = store->GetActivity("review");
  REQUIRE(got.ok());
  CHECK(got->created_ms == 100);
  auto listed = store->ListActivities();
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 2);
  CHECK((*listed)[0].name == "approve");
  CHECK((*listed)[0].created_ms == 300);
  CHECK((*listed)[1].name == "review");

  RequireOk(store->TagResource(ActivityTagResource("review"), {{"k", "v"}}, 50));
  RequireOk(store->TagResource(ActivityTagResource("approve"), {{"k", "v"}}, 50));
  // A state machine of the same name is another resource.
  RequireOk(store->TagResource(StateMachineTagResource("review"), {{"k", "v"}}, 50));
  auto deleted = store->DeleteActivity("review");
  REQUIRE(deleted.ok());
  CHECK(*deleted);
  deleted = store->DeleteActivity("review");
  REQUIRE(deleted.ok());
  CHECK_FALSE(*deleted);
  CHECK(store->GetActivity("review").status().code() == StatusCode::kNotFound);
  CHECK(store->ListActivities()->size() == 1);
  CHECK(store->ListTags(ActivityTagResource("review"))->empty());
  CHECK(store->ListTags(ActivityTagResource("approve"))->size() == 1);
  CHECK(store->ListTags(StateMachineTagResource("review"))->size() == 1);

  // Created again: a new activity, with a new creation time and no tags.
  put = store->PutActivity("review", 400);
  REQUIRE(put.ok());
  CHECK(put->created_ms == 400);
  CHECK(store->ListTags(ActivityTagResource("review"))->empty());
}

TEMPLATE_TEST_CASE("store: tags of a resource", "[store]", MemoryBackend, SqliteBackend) {
  TestType backend;
  auto store = backend.Open();
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  const std::string r = "stateMachine:orders";
  CHECK(store->ListTags(r)->empty());
  RequireOk(store->TagResource(r, {{"team", "a"}, {"env", "prod"}}, 3));
  CHECK(*store->ListTags(r) == Pairs{{"env", "prod"}, {"team", "a"}});
  CHECK(store->ListTags("activity:orders")->empty());

  SECTION("tagging again replaces values and adds keys") {
    RequireOk(store->TagResource(r, {{"team", "b"}, {"cost", "1"}}, 3));
    CHECK(*store->ListTags(r) == Pairs{{"cost", "1"}, {"env", "prod"}, {"team", "b"}});
    // At the limit, replacing a value is still fine.
    RequireOk(store->TagResource(r, {{"cost", "2"}}, 3));
    CHECK(*store->ListTags(r) == Pairs{{"cost", "2"}, {"env", "prod"}, {"team", "b"}});
  }
  SECTION("a key given twice: the last value wins") {
    RequireOk(store->TagResource(r, {{"team", "x"}, {"team", "y"}}, 2));
    CHECK(*store->ListTags(r) == Pairs{{"env", "prod"}, {"team", "y"}});
  }
  SECTION("more than max_tags changes nothing") {
    Status st = store->TagResource(r, {{"team", "changed"}, {"x", "1"}, {"y", "2"}}, 3);
    CHECK(st.code() == StatusCode::kResourceExhausted);
    CHECK(st.message().find(r) != std::string::npos);
    CHECK(*store->ListTags(r) == Pairs{{"env", "prod"}, {"team", "a"}});
    // Counted per resource.
    RequireOk(store->TagResource("activity:orders", {{"x", "1"}, {"y", "2"}, {"z", "3"}}, 3));
    CHECK(store->TagResource(r, {{"new", "1"}, {"team", "c"}}, 2).code() ==
          StatusCode::kResourceExhausted);
    CHECK(*store->ListTags(r) == Pairs{{"env", "prod"}, {"team", "a"}});
  }
  SECTION("untag removes keys; missing keys are ignored") {
    RequireOk(store->UntagResource(r, {"team", "missing"}));
    CHECK(*store->ListTags(r) == Pairs{{"env", "prod"}});
    RequireOk(store->UntagResource("unknown-resource", {"team"}));
    RequireOk(store->UntagResource(r, {}));
    RequireOk(store->UntagResource(r, {"env"}));
    CHECK(store->ListTags(r)->empty());
    RequireOk(store->TagResource(r, {{"k", ""}}, 1));
    CHECK(*store->ListTags(r) == Pairs{{"k", ""}});
  }
  SECTION("deleting the state machine deletes its tags, with or without purge") {
    AddMachines(*store, {"orders2"});
    RequireOk(store->TagResource("stateMachine:orders2", {{"k", "v"}}, 50));
    for (bool purge : {false, true}) {
      AddMachines(*store, {"orders"});
      RequireOk(store->TagResource(r, {{"team", "a"}}, 50));
      RequireOk(store->DeleteStateMachine("orders", purge));
      CHECK(store->ListTags(r)->empty());
    }
    CHECK(store->ListTags("stateMachine:orders2")->size() == 1);
  }
}

FunctionVersion Grpc(const std::string& name, const std::string& target, int64_t created_ms,
                     const std::string& source = "api") {
  FunctionVersion v;
  v.name = name;
  v.target = target;
  v.source = source;
  v.created_ms = created_ms;
  return v;
}

FunctionVersion PutOrFail(Store& store, const FunctionVersion& request) {
  auto put = store.PutFunctionVersion(request);
  INFO(put.status().ToString());
  REQUIRE(put.ok());
  return *put;
}

// "name:version:target:source:created_ms" per version, in list order.
std::vector<std::string> Describe(const std::vector<FunctionVersion>& versions) {
  std::vector<std::string> out;
  for (const FunctionVersion& v : versions) {
    CHECK(v.kind == "grpc");
    CHECK_FALSE(v.unchanged);
    out.push_back(v.name + ":" + std::to_string(v.version) + ":" + v.target + ":" + v.source + ":" +
                  std::to_string(v.created_ms));
  }
  return out;
}

std::vector<std::string> Describe(const std::vector<FunctionAlias>& aliases) {
  std::vector<std::string> out;
  for (const FunctionAlias& a : aliases) {
    out.push_back(a.function + ":" + a.alias + "=" + std::to_string(a.version));
  }
  return out;
}

TEMPLATE_TEST_CASE("store: function versions are numbered per function", "[store]", MemoryBackend,
                   SqliteBackend) {
  TestType backend;
  auto store = backend.Open();
  CHECK(store->ListFunctionVersions()->empty());

  FunctionVersion v1 = PutOrFail(*store, Grpc("resize", "127.0.0.1:5000", 100));
  CHECK(v1.name == "resize");
  CHECK(v1.version == 1);
  CHECK(v1.kind == "grpc");
  CHECK(v1.target == "127.0.0.1:5000");
  CHECK(v1.source == "api");
  CHECK(v1.created_ms == 100);
  CHECK_FALSE(v1.unchanged);

  FunctionVersion echo = PutOrFail(*store, Grpc("echo", "unix:/run/echo.sock", 150, "file"));
  CHECK(echo.version == 1);
  CHECK(echo.source == "file");

  SECTION("the same target again is the newest version, unchanged") {
    FunctionVersion again = PutOrFail(*store, Grpc("resize", "127.0.0.1:5000", 200, "file"));
    CHECK(again.unchanged);
    CHECK(again.version == 1);
    // As stored, not as requested.
    CHECK(again.created_ms == 100);
    CHECK(again.source == "api");
    CHECK(Describe(*store->ListFunctionVersions()) ==
          std::vector<std::string>{"echo:1:unix:/run/echo.sock:file:150",
                                   "resize:1:127.0.0.1:5000:api:100"});
  }
  SECTION("a new target is a new version; only the newest is compared") {
    FunctionVersion v2 = PutOrFail(*store, Grpc("resize", "127.0.0.1:6000", 200));
    CHECK(v2.version == 2);
    CHECK_FALSE(v2.unchanged);
    CHECK(v2.created_ms == 200);
    // The store numbers versions: a requested number is ignored.
    FunctionVersion request = Grpc("resize", "127.0.0.1:5000", 300);
    request.version = 42;
    FunctionVersion v3 = PutOrFail(*store, request);
    CHECK(v3.version == 3);
    CHECK_FALSE(v3.unchanged);
    CHECK(PutOrFail(*store, Grpc("resize", "127.0.0.1:5000", 400)).unchanged);
    CHECK(Describe(*store->ListFunctionVersions()) ==
          std::vector<std::string>{
              "echo:1:unix:/run/echo.sock:file:150", "resize:1:127.0.0.1:5000:api:100",
              "resize:2:127.0.0.1:6000:api:200", "resize:3:127.0.0.1:5000:api:300"});
  }
  SECTION("another kind with the same target is a new version") {
    FunctionVersion other = Grpc("resize", "127.0.0.1:5000", 200);
    other.kind = "other";
    FunctionVersion v2 = PutOrFail(*store, other);
    CHECK(v2.version == 2);
    CHECK(v2.kind == "other");
    CHECK_FALSE(v2.unchanged);
  }
}

TEMPLATE_TEST_CASE("store: function aliases point to stored versions", "[store]", MemoryBackend,
                   SqliteBackend) {
  TestType backend;
  auto store = backend.Open();
  PutOrFail(*store, Grpc("resize", "a:1", 100));
  PutOrFail(*store, Grpc("resize", "a:2", 200));
  PutOrFail(*store, Grpc("echo", "e:1", 300));
  CHECK(store->ListFunctionAliases()->empty());

  RequireOk(store->PutFunctionAlias({"resize", "prod", 1}));
  RequireOk(store->PutFunctionAlias({"resize", "canary", 2}));
  RequireOk(store->PutFunctionAlias({"echo", "prod", 1}));
  CHECK(Describe(*store->ListFunctionAliases()) ==
        std::vector<std::string>{"echo:prod=1", "resize:canary=2", "resize:prod=1"});

  SECTION("an alias to a missing version or function is not found") {
    Status st = store->PutFunctionAlias({"resize", "prod", 3});
    CHECK(st.code() == StatusCode::kNotFound);
    CHECK(st.message().find("resize") != std::string::npos);
    CHECK(st.message().find("3") != std::string::npos);
    st = store->PutFunctionAlias({"missing", "prod", 1});
    CHECK(st.code() == StatusCode::kNotFound);
    CHECK(st.message().find("missing") != std::string::npos);
    CHECK(store->PutFunctionAlias({"resize", "new", 0}).code() == StatusCode::kNotFound);
    // Nothing changed.
    CHECK(Describe(*store->ListFunctionAliases()) ==
          std::vector<std::string>{"echo:prod=1", "resize:canary=2", "resize:prod=1"});
  }
  SECTION("an alias moves to another version") {
    RequireOk(store->PutFunctionAlias({"resize", "prod", 2}));
    CHECK(Describe(*store->ListFunctionAliases()) ==
          std::vector<std::string>{"echo:prod=1", "resize:canary=2", "resize:prod=2"});
  }
  SECTION("remove an alias") {
    auto removed = store->RemoveFunctionAlias("resize", "canary");
    REQUIRE(removed.ok());
    CHECK(*removed);
    removed = store->RemoveFunctionAlias("resize", "canary");
    REQUIRE(removed.ok());
    CHECK_FALSE(*removed);
    removed = store->RemoveFunctionAlias("missing", "prod");
    REQUIRE(removed.ok());
    CHECK_FALSE(*removed);
    CHECK(Describe(*store->ListFunctionAliases()) ==
          std::vector<std::string>{"echo:prod=1", "resize:prod=1"});
  }
  SECTION("removing a function removes its versions and aliases") {
    auto removed = store->RemoveFunction("resize");
    REQUIRE(removed.ok());
    CHECK(*removed);
    CHECK(Describe(*store->ListFunctionVersions()) ==
          std::vector<std::string>{"echo:1:e:1:api:300"});
    CHECK(Describe(*store->ListFunctionAliases()) == std::vector<std::string>{"echo:prod=1"});
    removed = store->RemoveFunction("resize");
    REQUIRE(removed.ok());
    CHECK_FALSE(*removed);
    CHECK(store->PutFunctionAlias({"resize", "prod", 1}).code() == StatusCode::kNotFound);
    // The name starts again from version 1.
    FunctionVersion again = PutOrFail(*store, Grpc("resize", "a:2", 500));
    CHECK(again.version == 1);
    CHECK_FALSE(again.unchanged);
    CHECK(Describe(*store->ListFunctionAliases()) == std::vector<std::string>{"echo:prod=1"});
  }
}

TEMPLATE_TEST_CASE("store: service integrations map to functions", "[store]", MemoryBackend,
                   SqliteBackend) {
  TestType backend;
  auto store = backend.Open();
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  CHECK(store->ListIntegrations()->empty());
  RequireOk(store->PutIntegration("sns:publish", "notifier:prod"));
  RequireOk(store->PutIntegration("dynamodb:putItem", "writer"));
  CHECK(*store->ListIntegrations() ==
        Pairs{{"dynamodb:putItem", "writer"}, {"sns:publish", "notifier:prod"}});
  RequireOk(store->PutIntegration("sns:publish", "notifier:canary"));
  CHECK(*store->ListIntegrations() ==
        Pairs{{"dynamodb:putItem", "writer"}, {"sns:publish", "notifier:canary"}});
  auto removed = store->RemoveIntegration("dynamodb:putItem");
  REQUIRE(removed.ok());
  CHECK(*removed);
  removed = store->RemoveIntegration("dynamodb:putItem");
  REQUIRE(removed.ok());
  CHECK_FALSE(*removed);
  CHECK(*store->ListIntegrations() == Pairs{{"sns:publish", "notifier:canary"}});
  // Integrations are not part of a function: removing one leaves them.
  PutOrFail(*store, Grpc("notifier", "n:1", 1));
  REQUIRE(store->RemoveFunction("notifier").ok());
  CHECK(store->ListIntegrations()->size() == 1);
}

TEMPLATE_TEST_CASE("store: nested executions are linked to their parent", "[store]", MemoryBackend,
                   SqliteBackend) {
  TestType backend;
  auto store = backend.Open();
  AddMachines(*store, {"outer", "inner"});
  StepCommit parent = CreateStep(NewExecution("parent", "outer", 100));
  StepCommit child_b = CreateStep(NewExecution("child-b", "inner", 300), 2);
  child_b.execution.parent_id = "parent";
  child_b.execution.parent_task = "parent/5";
  StepCommit child_a = CreateStep(NewExecution("child-a", "inner", 200));
  child_a.execution.parent_id = "parent";
  child_a.execution.parent_task = "parent/3";
  // Started through the API by the parent (no Task of the parent behind it).
  StepCommit child_c = CreateStep(NewExecution("child-c", "inner", 300));
  child_c.execution.parent_id = "parent";
  StepCommit other = CreateStep(NewExecution("other", "inner", 50));
  other.execution.parent_id = "someone-else";
  other.execution.parent_task = "someone-else/2";
  RequireOk(store->Commit({parent, child_b, child_a, child_c, other}));

  // Every reader returns the links; top-level executions have none.
  auto got = store->GetExecution("child-b");
  REQUIRE(got.ok());
  CheckSame(*got, child_b.execution);
  got = store->GetExecution("parent");
  REQUIRE(got.ok());
  CHECK(got->parent_id.empty());
  CHECK(got->parent_task.empty());
  auto by_name = store->FindExecutionByName("inner", "name-child-a");
  REQUIRE(by_name.ok());
  REQUIRE(by_name->has_value());
  CheckSame(**by_name, child_a.execution);
  auto listed = store->ListExecutions({"inner", "", 0, ""});
  REQUIRE(listed.ok());
  REQUIRE(Ids(*listed) == std::vector<std::string>{"other", "child-a", "child-b", "child-c"});
  CheckSame((*listed)[2], child_b.execution, false);
  CheckSame((*listed)[3], child_c.execution, false);
  auto unfinished = store->ListUnfinished();
  REQUIRE(unfinished.ok());
  REQUIRE(Ids(*unfinished) ==
          std::vector<std::string>{"other", "parent", "child-a", "child-b", "child-c"});
  CheckSame((*unfinished)[0], other.execution);
  CheckSame((*unfinished)[1], parent.execution);

  auto found = store->FindExecutionByParentTask("parent/5");
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CheckSame(**found, child_b.execution);  // with state
  found = store->FindExecutionByParentTask("parent/4");
  REQUIRE(found.ok());
  CHECK_FALSE(found->has_value());
  found = store->FindExecutionByParentTask("");
  REQUIRE(found.ok());
  CHECK_FALSE(found->has_value());

  auto children = store->ListChildExecutions("parent");
  REQUIRE(children.ok());
  REQUIRE(Ids(*children) == std::vector<std::string>{"child-a", "child-b", "child-c"});
  CheckSame((*children)[0], child_a.execution, false);
  CheckSame((*children)[1], child_b.execution, false);
  CHECK(store->ListChildExecutions("child-a")->empty());
  CHECK(store->ListChildExecutions("missing")->empty());
  CHECK(store->ListChildExecutions("")->empty());

  SECTION("a step may change parent_task, never parent_id") {
    // A redriven child is taken over by the parent's new Task.
    StepCommit takeover = NextStep(child_b.execution, 1);
    takeover.execution.parent_task = "parent/9";
    takeover.execution.parent_id = "ignored";
    RequireOk(store->Commit({takeover}));
    got = store->GetExecution("child-b");
    REQUIRE(got.ok());
    CHECK(got->parent_task == "parent/9");
    CHECK(got->parent_id == "parent");
    CHECK_FALSE(store->FindExecutionByParentTask("parent/5")->has_value());
    found = store->FindExecutionByParentTask("parent/9");
    REQUIRE(found.ok());
    REQUIRE(found->has_value());
    CHECK((*found)->id == "child-b");
    CHECK((*found)->state == child_b.execution.state);
    CHECK(Ids(*store->ListChildExecutions("parent")) ==
          std::vector<std::string>{"child-a", "child-b", "child-c"});

    // Steps that keep parent_task keep the link.
    StepCommit keep = NextStep(takeover.execution, 1);
    keep.execution.status = kSucceeded;
    RequireOk(store->Commit({keep}));
    CHECK((*store->FindExecutionByParentTask("parent/9"))->status == kSucceeded);

    // And a step may clear it.
    StepCommit clear = NextStep(keep.execution, 1);
    clear.execution.parent_task.clear();
    RequireOk(store->Commit({clear}));
    CHECK(store->GetExecution("child-b")->parent_task.empty());
    CHECK(store->GetExecution("child-b")->parent_id == "parent");
    CHECK_FALSE(store->FindExecutionByParentTask("parent/9")->has_value());
  }
  SECTION("a top-level execution may be given a parent_task by a step") {
    StepCommit adopt = NextStep(other.execution, 1);
    adopt.execution.parent_task = "someone-else/7";
    StepCommit adopt_parent = NextStep(parent.execution, 1);
    adopt_parent.execution.parent_task = "x/1";
    RequireOk(store->Commit({adopt, adopt_parent}));
    CHECK((*store->FindExecutionByParentTask("x/1"))->id == "parent");
    CHECK(store->GetExecution("parent")->parent_id.empty());
  }
  SECTION("deleting the child's state machine unlinks it") {
    for (const StepCommit* c : {&child_a, &child_b, &child_c, &other}) {
      StepCommit close = NextStep(c->execution, 1);
      close.execution.status = kAborted;
      RequireOk(store->Commit({close}));
    }
    REQUIRE(store->PutStateMachineVersion("inner", "def", "sha", 1).ok());
    RequireOk(store->DeleteStateMachine("inner", /*purge_executions=*/true));
    CHECK(store->ListChildExecutions("parent")->empty());
    CHECK_FALSE(store->FindExecutionByParentTask("parent/5")->has_value());
  }
}

}  // namespace
}  // namespace stepflow::store

namespace stepflow::store {
namespace {

TriggerOccurrence Occurrence(const std::string& trigger, const std::string& key,
                             int64_t scheduled_ms, const std::string& outcome,
                             const std::string& execution_id = "") {
  return TriggerOccurrence{trigger, key, scheduled_ms, outcome, execution_id, "why", 9000};
}

TEMPLATE_TEST_CASE("store: triggers are put, replaced, listed and deleted with their occurrences",
                   "[store]", testing::MemoryBackend, testing::SqliteBackend) {
  TestType backend;
  auto store = backend.Open();
  RequireOk(
      store->PutTrigger({"nightly", R"J({"schedule":"cron(0 2 * * ? *)"})J", false, 100, 100}));
  RequireOk(store->PutTrigger({"hook", R"({"webhook":true})", true, 200, 200}));
  // A second put replaces the spec and the pause, and keeps the creation time.
  RequireOk(store->PutTrigger({"nightly", R"J({"schedule":"rate(1 hour)"})J", true, 300, 300}));
  auto got = store->GetTrigger("nightly");
  REQUIRE(got.ok());
  CHECK(got->spec == R"J({"schedule":"rate(1 hour)"})J");
  CHECK(got->paused);
  CHECK(got->created_ms == 100);
  CHECK(got->updated_ms == 300);
  auto all = store->ListTriggers();
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].name == "hook");
  CHECK((*all)[1].name == "nightly");
  CHECK(store->GetTrigger("missing").status().code() == StatusCode::kNotFound);

  RequireOk(store->RecordOccurrences({Occurrence("nightly", "2026-12-01T02:00:00Z", 1000, "MISSED"),
                                      Occurrence("hook", "key-1", 1500, "FAILED")}));
  auto deleted = store->DeleteTrigger("nightly");
  REQUIRE(deleted.ok());
  CHECK(*deleted);
  CHECK(store->ListOccurrences("nightly", 0)->empty());
  CHECK(store->ListOccurrences("hook", 0)->size() == 1);
  CHECK_FALSE(*store->DeleteTrigger("nightly"));
}

TEMPLATE_TEST_CASE("store: an occurrence is recorded once, with the execution it starts",
                   "[store]", testing::MemoryBackend, testing::SqliteBackend) {
  TestType backend;
  auto store = backend.Open();
  testing::AddMachines(*store, {"orders"});
  const std::string key = "2026-12-04T02:00:00Z";
  StepCommit first = testing::CreateStep(testing::NewExecution("e1", "orders"));
  first.occurrences = {Occurrence("nightly", key, 5000, "STARTED", "e1")};
  RequireOk(store->Commit({first}));
  auto found = store->FindOccurrence("nightly", key);
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((*found)->execution_id == "e1");
  CHECK((*found)->outcome == "STARTED");
  CHECK((*found)->scheduled_ms == 5000);
  CHECK((*found)->detail == "why");

  // The same occurrence again (a restart that decided it twice): the whole
  // batch is refused, its execution is not created.
  StepCommit again = testing::CreateStep(testing::NewExecution("e2", "orders"));
  again.occurrences = {Occurrence("nightly", key, 5000, "STARTED", "e2")};
  Status st = store->Commit({again});
  CHECK(st.code() == StatusCode::kAlreadyExists);
  CHECK(store->GetExecution("e2").status().code() == StatusCode::kNotFound);
  CHECK(store->RecordOccurrences({Occurrence("nightly", key, 5000, "SKIPPED")}).code() ==
        StatusCode::kAlreadyExists);
  // Twice in one call: nothing is recorded.
  CHECK(store->RecordOccurrences({Occurrence("nightly", "a", 1, "MISSED"),
                                  Occurrence("nightly", "a", 1, "MISSED")})
            .code() == StatusCode::kAlreadyExists);
  CHECK_FALSE(store->FindOccurrence("nightly", "a")->has_value());

  RequireOk(store->RecordOccurrences({Occurrence("nightly", "b", 7000, "SKIPPED"),
                                      Occurrence("nightly", "c", 6000, "MISSED")}));
  auto latest = store->ListOccurrences("nightly", 2);
  REQUIRE(latest.ok());
  REQUIRE(latest->size() == 2);
  CHECK((*latest)[0].key == "b");
  CHECK((*latest)[1].key == "c");
  CHECK((*latest)[0].execution_id.empty());
  CHECK(store->ListOccurrences("nightly", 0)->size() == 3);
  CHECK_FALSE(store->FindOccurrence("other", key)->has_value());

  // A missed occurrence started later (a backfill): the start replaces it,
  // once; a second start of it is refused.
  StepCommit late = testing::CreateStep(testing::NewExecution("e3", "orders"));
  late.occurrences = {Occurrence("nightly", "c", 6000, "STARTED", "e3")};
  RequireOk(store->Commit({late}));
  CHECK((*store->FindOccurrence("nightly", "c"))->outcome == "STARTED");
  CHECK((*store->FindOccurrence("nightly", "c"))->execution_id == "e3");
  CHECK(store->ListOccurrences("nightly", 0)->size() == 3);
  CHECK(*store->CountOccurrences("nightly") ==
        std::map<std::string, int64_t>{{"SKIPPED", 1}, {"STARTED", 2}});
  CHECK(store->CountOccurrences("other")->empty());
  StepCommit later = testing::CreateStep(testing::NewExecution("e4", "orders"));
  later.occurrences = {Occurrence("nightly", "c", 6000, "STARTED", "e4")};
  CHECK(store->Commit({later}).code() == StatusCode::kAlreadyExists);
  CHECK(store->GetExecution("e4").status().code() == StatusCode::kNotFound);
}

}  // namespace
}  // namespace stepflow::store
