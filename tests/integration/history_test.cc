// GetExecutionHistory against a real `stepflow server`: dense ids, reverse
// order, pages with max_results/next_token, and `follow` receiving every
// event of a running execution exactly once, in order, until it closes.
#include <atomic>
#include <thread>

#include "tests/integration/server_harness.h"

namespace {

using namespace stepflow::itest;

// `steps` sequential Tasks on the test worker's `sleep` (ms each).
Json SleepChain(const TestWorker& worker, int steps, int ms) {
  Json states = Json::object();
  for (int i = 0; i < steps; ++i) {
    Json state = {{"Type", "Task"},
                  {"Resource", worker.Resource("sleep")},
                  {"Parameters", {{"ms", ms}, {"step", i}}},
                  {"ResultPath", "$.last"}};
    if (i + 1 < steps) {
      state["Next"] = "S" + std::to_string(i + 1);
    } else {
      state["End"] = true;
    }
    states["S" + std::to_string(i)] = state;
  }
  return {{"StartAt", "S0"}, {"States", states}};
}

std::vector<int64_t> Ids(const std::vector<v1::HistoryEvent>& events) {
  std::vector<int64_t> ids;
  for (const auto& e : events) ids.push_back(e.id());
  return ids;
}

// Pages of `page_size` through the history, one call per page.
std::vector<v1::HistoryEvent> ReadPaged(Server& server, const std::string& id, int page_size,
                                        bool reverse, int* calls) {
  std::vector<v1::HistoryEvent> all;
  std::string token;
  *calls = 0;
  do {
    v1::GetExecutionHistoryRequest req;
    req.set_execution_id(id);
    req.set_max_results(page_size);
    req.set_reverse_order(reverse);
    req.set_next_token(token);
    std::vector<v1::HistoryEvent> page;
    token.clear();
    grpc::Status st = server.ReadHistory(req, &page, &token);
    INFO("page " << *calls << ": " << StatusText(st));
    REQUIRE(st.ok());
    REQUIRE(static_cast<int>(page.size()) <= page_size);
    REQUIRE_FALSE(page.empty());
    all.insert(all.end(), page.begin(), page.end());
    REQUIRE(++*calls < 200);
  } while (!token.empty());
  return all;
}

}  // namespace

TEST_CASE("GetExecutionHistory: dense ids, reverse order and pages", "[integration][history]") {
  TestWorker worker;
  Server server;
  server.CreateMachine("chain", SleepChain(worker, 3, 1));
  const std::string id = server.Start("chain", R"({"n":1})");
  server.WaitForStatus(id, "SUCCEEDED");

  std::vector<v1::HistoryEvent> events = server.History(id);
  CheckDense(events);
  CHECK(events.back().type() == "ExecutionSucceeded");
  CHECK(CountType(events, "TaskScheduled") == 3);
  CHECK(CountType(events, "TaskSucceeded") == 3);
  CHECK(Details(events.front()).value("input", "") == R"({"n":1})");
  const size_t n = events.size();
  REQUIRE(n > 8);

  SECTION("reverse order: the same events, newest first") {
    v1::GetExecutionHistoryRequest req;
    req.set_execution_id(id);
    req.set_reverse_order(true);
    std::vector<v1::HistoryEvent> reversed;
    REQUIRE(server.ReadHistory(req, &reversed).ok());
    REQUIRE(reversed.size() == n);
    for (size_t i = 0; i < n; ++i) {
      CHECK(reversed[i].id() == events[n - 1 - i].id());
      CHECK(reversed[i].type() == events[n - 1 - i].type());
      CHECK(reversed[i].details_json() == events[n - 1 - i].details_json());
    }
  }

  SECTION("pages of max_results follow each other through next_token") {
    for (int page_size : {1, 2, 3, 5, static_cast<int>(n), static_cast<int>(n) + 1}) {
      INFO("max_results " << page_size);
      int calls = 0;
      std::vector<v1::HistoryEvent> paged = ReadPaged(server, id, page_size, false, &calls);
      CHECK(Ids(paged) == Ids(events));
      CHECK(Types(paged) == Types(events));
      CHECK(calls == static_cast<int>((n + page_size - 1) / page_size));
    }
  }

  SECTION("reverse pages") {
    int calls = 0;
    std::vector<v1::HistoryEvent> paged = ReadPaged(server, id, 4, true, &calls);
    std::vector<int64_t> expected = Ids(events);
    std::reverse(expected.begin(), expected.end());
    CHECK(Ids(paged) == expected);
  }

  SECTION("follow of a closed execution sends everything and ends") {
    v1::GetExecutionHistoryRequest req;
    req.set_execution_id(id);
    req.set_follow(true);
    std::vector<v1::HistoryEvent> followed;
    REQUIRE(server.ReadHistory(req, &followed).ok());
    CHECK(Ids(followed) == Ids(events));
  }

  SECTION("follow with reverse_order is INVALID_ARGUMENT") {
    v1::GetExecutionHistoryRequest req;
    req.set_execution_id(id);
    req.set_follow(true);
    req.set_reverse_order(true);
    std::vector<v1::HistoryEvent> none;
    CHECK(server.ReadHistory(req, &none).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  }
}

TEST_CASE("GetExecutionHistory follow receives every event once, in order, then ends",
          "[integration][history]") {
  TestWorker worker;
  Server server;
  // sleep, sleep, then held on an activity until the test opens the gate,
  // then three more sleeps: events keep coming after the follow began.
  Json def = SleepChain(worker, 5, 100);
  def["States"]["S1"]["Next"] = "Gate";
  def["States"]["Gate"] = {
      {"Type", "Task"}, {"Resource", "activity:gate"}, {"ResultPath", nullptr}, {"Next", "S2"}};
  server.CreateMachine("chain", def);
  const std::string id = server.Start("chain");

  std::vector<v1::HistoryEvent> followed;
  std::atomic<int> pages{0};
  grpc::Status finish;
  grpc::ClientContext ctx;
  SetDeadline(ctx, 20s);  // bounds the whole stream
  std::thread follower([&] {
    v1::GetExecutionHistoryRequest req;
    req.set_execution_id(id);
    req.set_follow(true);
    auto reader = server.stub().GetExecutionHistory(&ctx, req);
    v1::HistoryPage page;
    while (reader->Read(&page)) {
      for (const auto& e : page.events()) followed.push_back(e);
      ++pages;
    }
    finish = reader->Finish();
  });
  struct Join {
    std::thread& t;
    grpc::ClientContext& ctx;
    ~Join() {
      if (t.joinable()) {
        ctx.TryCancel();
        t.join();
      }
    }
  } join{follower, ctx};

  // The follow is open and has sent a page; now let the execution go on.
  WaitUntil([&] { return pages.load() > 0; }, "the first page of the followed history");
  v1::PollTaskRequest poll;
  poll.set_activity("gate");
  poll.set_wait_seconds(5);
  v1::PollTaskResponse task;
  REQUIRE(server.Call(&Stub::PollTask, poll, &task).ok());
  REQUIRE(task.execution_id() == id);
  const int pages_before_gate = pages.load();
  v1::SendTaskSuccessRequest open;
  open.set_task_token(task.task_token());
  open.set_output_json("{}");
  v1::SendTaskResponse ack;
  REQUIRE(server.Call(&Stub::SendTaskSuccess, open, &ack).ok());
  follower.join();

  INFO(StatusText(finish));
  REQUIRE(finish.ok());
  REQUIRE_FALSE(followed.empty());
  for (size_t i = 0; i < followed.size(); ++i) {
    INFO("event #" << i << " " << followed[i].type());
    CHECK(followed[i].id() == static_cast<int64_t>(i + 1));
  }
  CHECK(followed.back().type() == "ExecutionSucceeded");
  CHECK(CountType(followed, "ExecutionSucceeded") == 1);
  CHECK(CountType(followed, "TaskSucceeded") == 5);
  // Events arrived after the gate opened, on later pages of the same stream.
  CHECK(pages.load() > pages_before_gate);
  // The stream ended because the execution closed.
  CHECK(server.Describe(id).status() == "SUCCEEDED");

  std::vector<v1::HistoryEvent> stored = server.History(id);
  CHECK(Ids(followed) == Ids(stored));
  CHECK(Types(followed) == Types(stored));
}
