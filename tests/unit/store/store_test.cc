// The shared Store suite: every backend must pass every case here (STYLE.md,
// "Storage behind an interface with a shared test suite").
#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/store/store_test_util.h"

namespace stepflow::store {
namespace {

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
  auto history = store->GetHistory("e1", {});
  REQUIRE(history.ok());
  CHECK(Ids(*history) == std::vector<int64_t>{1, 2, 3, 4});
}

TEMPLATE_TEST_CASE("store: a duplicate execution id or name fails the whole batch", "[store]",
                   MemoryBackend, SqliteBackend) {
  TestType backend;
  auto store = backend.Open();
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

using testing::CreateStep;
using testing::MemoryBackend;
using testing::NewExecution;
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

TEMPLATE_TEST_CASE("store: deleting a state machine removes its versions and closed executions",
                   "[store]", MemoryBackend, SqliteBackend) {
  TestType backend;
  auto store = backend.Open();
  REQUIRE(store->PutStateMachineVersion("orders", "def", "sha", 100).ok());
  REQUIRE(store->PutStateMachineVersion("other", "def", "sha", 100).ok());
  ExecutionRecord running = NewExecution("orders:a", "orders");
  ExecutionRecord other = NewExecution("other:a", "other");
  REQUIRE(store->Commit({CreateStep(running, 2), CreateStep(other)}).ok());

  CHECK(store->DeleteStateMachine("missing").code() == StatusCode::kNotFound);
  Status refused = store->DeleteStateMachine("orders");
  CHECK(refused.code() == StatusCode::kFailedPrecondition);
  CHECK(refused.message().find("RUNNING") != std::string::npos);
  CHECK(store->GetStateMachineVersion("orders", 1).ok());

  StepCommit close;
  close.execution = running;
  close.execution.status = kSucceeded;
  close.execution.next_event_id = 3;
  REQUIRE(store->Commit({close}).ok());
  REQUIRE(store->DeleteStateMachine("orders").ok());
  CHECK(store->GetStateMachineVersion("orders", 0).status().code() == StatusCode::kNotFound);
  CHECK(store->GetExecution("orders:a").status().code() == StatusCode::kNotFound);
  auto found = store->FindExecutionByName("orders", running.name);
  REQUIRE(found.ok());
  CHECK_FALSE(found->has_value());
  CHECK(store->GetExecution("other:a").ok());
  auto names = store->ListStateMachines();
  REQUIRE(names.ok());
  CHECK(*names == std::vector<std::string>{"other"});

  // The name can be used again, from version 1 and with the same execution name.
  auto v = store->PutStateMachineVersion("orders", "def-new", "sha-new", 300);
  REQUIRE(v.ok());
  CHECK(*v == 1);
  CHECK(store->Commit({CreateStep(running, 1)}).ok());
}

TEMPLATE_TEST_CASE("store: the function registry", "[store]", MemoryBackend, SqliteBackend) {
  TestType backend;
  auto store = backend.Open();
  REQUIRE(store->PutFunction("resize", "127.0.0.1:5000").ok());
  REQUIRE(store->PutFunction("echo", "unix:/run/echo.sock").ok());
  REQUIRE(store->PutFunction("resize", "127.0.0.1:6000").ok());
  auto list = store->ListFunctions();
  REQUIRE(list.ok());
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  CHECK(*list == Pairs{{"echo", "unix:/run/echo.sock"}, {"resize", "127.0.0.1:6000"}});
  auto removed = store->RemoveFunction("echo");
  REQUIRE(removed.ok());
  CHECK(*removed);
  removed = store->RemoveFunction("echo");
  REQUIRE(removed.ok());
  CHECK_FALSE(*removed);
  list = store->ListFunctions();
  REQUIRE(list.ok());
  CHECK(*list == Pairs{{"resize", "127.0.0.1:6000"}});
}

}  // namespace
}  // namespace stepflow::store
