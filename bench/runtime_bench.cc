// The executor's figures (issue: durable executor), on this machine:
//
//   1. in-memory Pass-chain and Choice-loop throughput, state transitions/s
//      on one core (the executor loop is single-threaded);
//   2. durable (SQLite, synchronous=FULL): 1,000 concurrent executions of a
//      10-Pass chain, committed transitions/s, and that figure divided by the
//      raw SQLite batched-insert rate of history-shaped rows on the same disk;
//   3. Task round trip over gRPC on loopback, durable: p50/p99 of one Task
//      step (commit, call, outcome, next commit) in a 100-Task chain, through
//      the engine's path (catalog lookup, routing invoker, gRPC invoker);
//   4. nested executions: a parent whose Map starts N children with
//      states:startExecution.sync:2 (each a 3-Pass chain), in memory and
//      durable: children started and finished per second.
//
// Usage: stepflow_runtime_bench [DIR] [TEST_WORKER]   DIR holds the database
// files (default /tmp); TEST_WORKER is stepflow_test_worker (default: the
// one built next to this program) — the gRPC figure is skipped without it.
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <string>
#include <vector>

#include "engine/functions/catalog.h"
#include "engine/functions/routing_invoker.h"
#include "engine/rpc/grpc_invoker.h"
#include "engine/runtime/executor.h"
#include "engine/store/memory_store.h"
#include "engine/store/sqlite_store.h"
#include "tests/support/process.h"

using namespace stepflow;
using Clock = std::chrono::steady_clock;

namespace {

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

class NoInvoker : public runtime::Invoker {
 public:
  void Invoke(runtime::TaskRequest, std::function<void(runtime::TaskOutcome)> done) override {
    done(runtime::TaskOutcome::Failure("States.TaskFailed", "no functions in this benchmark"));
  }
};

std::string PassChain(int n) {
  Json states = Json::object();
  for (int i = 0; i < n; ++i) {
    Json s = {{"Type", "Pass"}};
    if (i + 1 < n)
      s["Next"] = "P" + std::to_string(i + 1);
    else
      s["End"] = true;
    states["P" + std::to_string(i)] = s;
  }
  return DumpCompact(Json{{"StartAt", "P0"}, {"States", states}});
}

// Starts `executions` executions of `definition` and runs them all to the
// end; returns {seconds, state transitions}.
std::pair<double, int64_t> RunBatch(store::Store* store, const std::string& definition,
                                    int executions, const std::string& input, int64_t max_history) {
  NoInvoker invoker;
  runtime::FakeClock clock;
  runtime::ExecutorOptions options;
  options.limits.max_history_events = max_history;
  runtime::Executor executor(store, &invoker, &clock, options);
  auto version = executor.PutStateMachine("bench", definition);
  if (!version.ok()) {
    std::fprintf(stderr, "%s\n", version.status().message().c_str());
    std::exit(1);
  }
  auto start = Clock::now();
  for (int i = 0; i < executions; ++i) {
    runtime::StartRequest r;
    r.machine = "bench";
    r.version = *version;
    r.input = input;
    if (!executor.StartExecution(r).ok()) std::exit(1);
  }
  Status st = executor.RunUntilIdle();
  auto end = Clock::now();
  if (!st.ok()) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    std::exit(1);
  }
  // Every state visit is an Entered + Exited pair, plus start and end events.
  auto stats = executor.stats();
  int64_t transitions = (stats.events - 2 * executions) / 2;
  return {Seconds(start, end), transitions};
}

void InMemory(bool pass_chain = true) {
  std::printf("\n== in memory (one core) ==\n");
  if (pass_chain) {
    std::string def = PassChain(1000);
    double best = 0;
    for (int round = 0; round < 3; ++round) {
      auto store = store::NewMemoryStore();
      auto [secs, transitions] = RunBatch(store.get(), def, 200, "{}", 1'000'000);
      best = std::max(best, transitions / secs);
    }
    std::printf(
        "Pass chain (1,000 states x 200 executions)      %12.0f transitions/s  (target >= "
        "2,000,000)\n",
        best);
  }
  {
    std::string def = R"j({"StartAt":"Init","States":{
      "Init":{"Type":"Pass","Result":0,"ResultPath":"$.i","Next":"Loop"},
      "Loop":{"Type":"Choice","Choices":[{"Variable":"$.i","NumericLessThan":10000,"Next":"Inc"}],"Default":"Done"},
      "Inc":{"Type":"Pass","Parameters":{"i.$":"States.MathAdd($.i, 1)"},"Next":"Loop"},
      "Done":{"Type":"Succeed"}}})j";
    double best = 0;
    for (int round = 0; round < 3; ++round) {
      auto store = store::NewMemoryStore();
      auto [secs, transitions] = RunBatch(store.get(), def, 20, "{}", 1'000'000);
      best = std::max(best, transitions / secs);
    }
    std::printf(
        "Choice loop (10,000 rounds x 20 executions)     %12.0f transitions/s  (target >= "
        "2,000,000)\n",
        best);
  }
}

// Raw SQLite: history-shaped rows keyed as the store keys them (execution
// sequence number, event id), `per_commit` rows per transaction.
double RawInsertRate(const std::string& path, int per_commit, int total) {
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", nullptr, nullptr, nullptr);
  sqlite3_exec(
      db,
      "CREATE TABLE h(execution_seq INTEGER, event_id INTEGER, type TEXT, timestamp INTEGER,"
      " state_path TEXT, details TEXT, PRIMARY KEY(execution_seq, event_id)) WITHOUT ROWID",
      nullptr, nullptr, nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO h VALUES(?,?,?,?,?,?)", -1, &st, nullptr);
  std::string details = R"({"input":"{}","inputDetails":{"truncated":false},"name":"P3"})";
  auto start = Clock::now();
  for (int done = 0; done < total;) {
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    for (int i = 0; i < per_commit; ++i, ++done) {
      sqlite3_bind_int64(st, 1, done / 22 + 1);  // as the store keys history
      sqlite3_bind_int64(st, 2, done % 22 + 1);
      sqlite3_bind_text(st, 3, "PassStateEntered", -1, SQLITE_STATIC);
      sqlite3_bind_int64(st, 4, 1'700'000'000'000 + done);
      sqlite3_bind_text(st, 5, "P3", -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 6, details.c_str(), -1, SQLITE_STATIC);
      sqlite3_step(st);
      sqlite3_reset(st);
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  double rate = total / Seconds(start, Clock::now());
  sqlite3_finalize(st);
  sqlite3_close(db);
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  return rate;
}

void Durable(const std::string& dir) {
  std::printf("\n== durable: SQLite in %s, synchronous=FULL ==\n", dir.c_str());
  std::string def = PassChain(10);
  double best = 0, best_events = 0;
  for (int round = 0; round < 3; ++round) {
    std::string path = dir + "/stepflow-bench.db";
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
    auto store = store::OpenSqliteStore(path);
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.status().message().c_str());
      std::exit(1);
    }
    auto [secs, transitions] = RunBatch(store->get(), def, 1000, "{}", 25'000);
    best = std::max(best, transitions / secs);
    best_events = std::max(best_events, (transitions * 2 + 2000) / secs);
    store->reset();
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
  }
  double raw100 = RawInsertRate(dir + "/stepflow-raw.db", 100, 200'000);
  double raw1000 = RawInsertRate(dir + "/stepflow-raw.db", 1000, 400'000);
  double raw = std::max(raw100, raw1000);
  std::printf(
      "1,000 executions x 10-Pass chain                %12.0f committed transitions/s (target >= "
      "100,000)\n",
      best);
  std::printf("  history rows written                          %12.0f rows/s\n", best_events);
  std::printf("raw SQLite insert, 100 rows/commit              %12.0f rows/s\n", raw100);
  std::printf("raw SQLite insert, 1,000 rows/commit            %12.0f rows/s\n", raw1000);
  std::printf("engine rows/s divided by the best raw rate      %12.2f\n", best_events / raw);
  std::printf("transitions/s divided by the best raw rate      %12.2f\n", best / raw);
}

// Records when each call leaves, then forwards to the real invoker.
class TimingInvoker : public runtime::Invoker {
 public:
  explicit TimingInvoker(runtime::Invoker* inner) : inner_(inner) {}
  void Invoke(runtime::TaskRequest r, std::function<void(runtime::TaskOutcome)> done) override {
    {
      std::lock_guard lock(mu_);
      sent_.push_back(Clock::now());
    }
    inner_->Invoke(std::move(r), [this, done = std::move(done)](runtime::TaskOutcome o) {
      {
        std::lock_guard lock(mu_);
        answered_.push_back(Clock::now());
      }
      done(std::move(o));
    });
  }
  std::vector<Clock::time_point> answered() {
    std::lock_guard lock(mu_);
    return answered_;
  }
  std::vector<Clock::time_point> sent() {
    std::lock_guard lock(mu_);
    return sent_;
  }

 private:
  runtime::Invoker* inner_;
  std::mutex mu_;
  std::vector<Clock::time_point> sent_, answered_;
};

// A parent Map of `children` iterations, each a .sync:2 child of 3 Pass states.
void Nested(const std::string& dir) {
  std::printf("\n== nested executions: a Map of .sync:2 children (3-Pass chains) ==\n");
  const std::string child = PassChain(3);
  const std::string parent = DumpCompact(Json{
      {"StartAt", "Fan"},
      {"States",
       {{"Fan",
         {{"Type", "Map"},
          {"ItemsPath", "$.items"},
          {"MaxConcurrency", 0},
          {"ItemProcessor",
           {{"StartAt", "Child"},
            {"States",
             {{"Child",
               {{"Type", "Task"},
                {"Resource", "arn:aws:states:::states:startExecution.sync:2"},
                {"Parameters", {{"StateMachineArn", "child"}, {"Input", {{"n.$", "$"}}}}},
                {"ResultSelector", {{"status.$", "$.Status"}}},
                {"End", true}}}}}}},
          {"End", true}}}}}});
  for (bool durable : {false, true}) {
    for (int children : {1000, 5000}) {
      std::string path = dir + "/stepflow-nested.db";
      for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
      std::unique_ptr<store::Store> st;
      if (durable) {
        auto opened = store::OpenSqliteStore(path);
        if (!opened.ok()) std::exit(1);
        st = std::move(opened).value();
      } else {
        st = store::NewMemoryStore();
      }
      NoInvoker invoker;
      runtime::FakeClock clock;
      runtime::ExecutorOptions options;
      options.limits.max_history_events = 1'000'000;
      runtime::Executor executor(st.get(), &invoker, &clock, options);
      (void)executor.PutStateMachine("child", child);
      auto version = executor.PutStateMachine("parent", parent);
      Json items = Json::array();
      for (int i = 0; i < children; ++i) items.push_back(i);
      runtime::StartRequest r;
      r.machine = "parent";
      r.version = *version;
      r.input = DumpCompact(Json{{"items", items}});
      auto start = Clock::now();
      auto id = executor.StartExecution(r);
      Status run = executor.RunUntilIdle();
      double secs = Seconds(start, Clock::now());
      auto record = st->GetExecution(*id);
      if (!run.ok() || !record.ok() || record->status != store::kSucceeded) {
        std::fprintf(stderr, "nested run failed: %s\n", run.message().c_str());
        std::exit(1);
      }
      std::printf("%-8s %5d children: %8.3f s, %10.0f children/s\n",
                  durable ? "durable" : "memory", children, secs, children / secs);
      st.reset();
      for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    }
  }
}

// Times Store::Commit, delegating everything to a real store.
class TimingStore : public store::Store {
 public:
  explicit TimingStore(store::Store* inner) : s_(inner) {}
  std::vector<double> commit_ms;
  Result<int64_t> PutStateMachineVersion(const std::string& m, const std::string& d,
                                         const std::string& h, int64_t now) override {
    return s_->PutStateMachineVersion(m, d, h, now);
  }
  Result<store::StateMachineVersion> GetStateMachineVersion(const std::string& m,
                                                            int64_t v) override {
    return s_->GetStateMachineVersion(m, v);
  }
  Result<std::vector<std::string>> ListStateMachines() override { return s_->ListStateMachines(); }
  Result<std::vector<store::StateMachineVersion>> ListStateMachineVersions(
      const std::string& m) override {
    return s_->ListStateMachineVersions(m);
  }
  Status DeleteStateMachine(const std::string& m, bool purge) override {
    return s_->DeleteStateMachine(m, purge);
  }
  Result<store::ActivityRecord> PutActivity(const std::string& n, int64_t now) override {
    return s_->PutActivity(n, now);
  }
  Result<store::ActivityRecord> GetActivity(const std::string& n) override {
    return s_->GetActivity(n);
  }
  Result<std::vector<store::ActivityRecord>> ListActivities() override {
    return s_->ListActivities();
  }
  Result<bool> DeleteActivity(const std::string& n) override { return s_->DeleteActivity(n); }
  Status TagResource(const std::string& r, const std::vector<std::pair<std::string, std::string>>& t,
                     size_t max_tags) override {
    return s_->TagResource(r, t, max_tags);
  }
  Status UntagResource(const std::string& r, const std::vector<std::string>& k) override {
    return s_->UntagResource(r, k);
  }
  Result<std::vector<std::pair<std::string, std::string>>> ListTags(
      const std::string& r) override {
    return s_->ListTags(r);
  }
  Result<store::FunctionVersion> PutFunctionVersion(const store::FunctionVersion& v) override {
    return s_->PutFunctionVersion(v);
  }
  Result<std::vector<store::FunctionVersion>> ListFunctionVersions() override {
    return s_->ListFunctionVersions();
  }
  Status PutFunctionAlias(const store::FunctionAlias& a) override {
    return s_->PutFunctionAlias(a);
  }
  Result<bool> RemoveFunctionAlias(const std::string& f, const std::string& a) override {
    return s_->RemoveFunctionAlias(f, a);
  }
  Result<std::vector<store::FunctionAlias>> ListFunctionAliases() override {
    return s_->ListFunctionAliases();
  }
  Result<bool> RemoveFunction(const std::string& n) override { return s_->RemoveFunction(n); }
  Status PutIntegration(const std::string& i, const std::string& f) override {
    return s_->PutIntegration(i, f);
  }
  Result<bool> RemoveIntegration(const std::string& i) override {
    return s_->RemoveIntegration(i);
  }
  Result<std::vector<std::pair<std::string, std::string>>> ListIntegrations() override {
    return s_->ListIntegrations();
  }
  Status PutDeployFailure(const store::DeployFailure& f) override {
    return s_->PutDeployFailure(f);
  }
  Status ClearDeployFailure(const std::string& n) override { return s_->ClearDeployFailure(n); }
  Result<std::vector<store::DeployFailure>> ListDeployFailures() override {
    return s_->ListDeployFailures();
  }
  Status AppendFunctionLogs(const std::vector<store::FunctionLog>& l) override {
    return s_->AppendFunctionLogs(l);
  }
  Result<std::vector<store::FunctionLog>> ListFunctionLogs(
      const store::FunctionLogQuery& q) override {
    return s_->ListFunctionLogs(q);
  }
  Result<std::optional<store::ExecutionRecord>> FindExecutionByParentTask(
      const std::string& k) override {
    return s_->FindExecutionByParentTask(k);
  }
  Result<std::vector<store::ExecutionRecord>> ListChildExecutions(const std::string& p) override {
    return s_->ListChildExecutions(p);
  }
  Result<std::vector<std::pair<std::string, std::string>>> GetCheckpointParts(
      const std::string& id) override {
    return s_->GetCheckpointParts(id);
  }
  Status Commit(const std::vector<store::StepCommit>& steps) override {
    auto start = Clock::now();
    Status st = s_->Commit(steps);
    commit_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    return st;
  }
  Result<store::ExecutionRecord> GetExecution(const std::string& id) override {
    return s_->GetExecution(id);
  }
  Result<std::optional<store::ExecutionRecord>> FindExecutionByName(const std::string& m,
                                                                    const std::string& n) override {
    return s_->FindExecutionByName(m, n);
  }
  Result<std::vector<store::ExecutionRecord>> ListExecutions(
      const store::ExecutionFilter& f) override {
    return s_->ListExecutions(f);
  }
  Result<std::vector<store::ExecutionRecord>> ListUnfinished() override {
    return s_->ListUnfinished();
  }
  Result<std::vector<store::ExecutionCount>> CountExecutions() override {
    return s_->CountExecutions();
  }
  Status PutTrigger(const store::TriggerRecord& t) override { return s_->PutTrigger(t); }
  Result<store::TriggerRecord> GetTrigger(const std::string& n) override {
    return s_->GetTrigger(n);
  }
  Result<std::vector<store::TriggerRecord>> ListTriggers() override { return s_->ListTriggers(); }
  Result<bool> DeleteTrigger(const std::string& n) override { return s_->DeleteTrigger(n); }
  Status RecordOccurrences(const std::vector<store::TriggerOccurrence>& o) override {
    return s_->RecordOccurrences(o);
  }
  Result<std::vector<store::TriggerOccurrence>> ListOccurrences(const std::string& t,
                                                                int64_t l) override {
    return s_->ListOccurrences(t, l);
  }
  Result<std::map<std::string, int64_t>> CountOccurrences(const std::string& t) override {
    return s_->CountOccurrences(t);
  }
  Result<std::optional<store::TriggerOccurrence>> FindOccurrence(const std::string& t,
                                                                 const std::string& k) override {
    return s_->FindOccurrence(t, k);
  }
  Result<std::vector<store::HistoryEvent>> GetHistory(const std::string& id,
                                                      const store::HistoryQuery& q) override {
    return s_->GetHistory(id, q);
  }
  Result<std::vector<store::TaskRecord>> ListTasks(const std::string& id) override {
    return s_->ListTasks(id);
  }
  Result<std::vector<store::TimerRecord>> ListTimers(const std::string& id) override {
    return s_->ListTimers(id);
  }

 private:
  store::Store* s_;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * (v.size() - 1))];
}

// Starts the test worker on an OS-chosen loopback port; nullopt (and a
// "skipped" line) when it is missing or does not start.
std::optional<int> StartWorker(const std::string& worker_binary,
                               std::unique_ptr<stepflow::testing::Process>* worker) {
  if (!std::filesystem::exists(worker_binary)) {
    std::printf("skipped: no test worker at %s\n", worker_binary.c_str());
    return std::nullopt;
  }
  *worker = std::make_unique<stepflow::testing::Process>(
      std::vector<std::string>{worker_binary, "--port", "0", "--listen", "127.0.0.1"});
  auto port = (*worker)->ReadPortLine();
  if (!port) std::printf("skipped: the test worker did not start\n");
  return port;
}

void TaskRoundTrip(const std::string& dir, const std::string& worker_binary) {
  std::printf("\n== Task round trip over gRPC on loopback, durable (FULL) ==\n");
  std::unique_ptr<stepflow::testing::Process> worker;
  std::optional<int> port = StartWorker(worker_binary, &worker);
  if (!port) return;
  Json states = Json::object();
  const int n = 100;
  for (int i = 0; i < n; ++i) {
    Json s = {{"Type", "Task"}, {"Resource", "echo"}};
    if (i + 1 < n)
      s["Next"] = "T" + std::to_string(i + 1);
    else
      s["End"] = true;
    states["T" + std::to_string(i)] = s;
  }
  std::string def = DumpCompact(Json{{"StartAt", "T0"}, {"States", states}});
  // The engine's path: the catalog resolves the name, the gRPC invoker calls.
  auto catalog_store = store::NewMemoryStore();
  functions::Catalog catalog(catalog_store.get());
  (void)catalog.Register("echo", "127.0.0.1:" + std::to_string(*port), "api", 0);
  rpc::GrpcInvoker grpc_invoker;
  functions::RoutingInvoker grpc(&catalog, &grpc_invoker);
  std::vector<double> steps_ms, commit_ms, rpc_ms;
  for (int round = 0; round < 5; ++round) {
    std::string path = dir + "/stepflow-rtt.db";
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
    auto store = store::OpenSqliteStore(path);
    if (!store.ok()) std::exit(1);
    TimingInvoker timing(&grpc);
    runtime::SystemClock clock;
    TimingStore timed(store->get());
    runtime::Executor executor(&timed, &timing, &clock);
    auto version = executor.PutStateMachine("rtt", def);
    runtime::StartRequest r;
    r.machine = "rtt";
    r.version = *version;
    r.input = R"({"payload":"0123456789abcdef"})";
    if (!executor.StartExecution(r).ok() || !executor.RunUntilIdle().ok()) std::exit(1);
    auto sent = timing.sent();
    auto answered = timing.answered();
    for (size_t i = 0; i < sent.size() && i < answered.size(); ++i) {
      rpc_ms.push_back(std::chrono::duration<double, std::milli>(answered[i] - sent[i]).count());
    }
    for (size_t i = 1; i < sent.size(); ++i) {
      steps_ms.push_back(std::chrono::duration<double, std::milli>(sent[i] - sent[i - 1]).count());
    }
    commit_ms.insert(commit_ms.end(), timed.commit_ms.begin(), timed.commit_ms.end());
    store->reset();
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
  }
  std::printf("  of which the call (Invoke to its answer)    p50 %.3f ms  p99 %.3f ms\n",
              Percentile(rpc_ms, 0.5), Percentile(rpc_ms, 0.99));
  std::printf("  of which the step's commit (Store::Commit)  p50 %.3f ms  p99 %.3f ms\n",
              Percentile(commit_ms, 0.5), Percentile(commit_ms, 0.99));
  std::sort(steps_ms.begin(), steps_ms.end());
  auto pct = [&](double p) { return steps_ms[static_cast<size_t>(p * (steps_ms.size() - 1))]; };
  std::printf(
      "one Task step (100-Task chain, %zu steps)       p50 %.3f ms  p99 %.3f ms  (target p50 <= "
      "0.5 ms)\n",
      steps_ms.size(), pct(0.5), pct(0.99));
}

// A durable Map whose items each call a function: every answer is a step,
// so the cost of a step's checkpoint shows as time per item growing with
// the number of items.
void DurableMap(const std::string& dir, const std::string& worker_binary) {
  std::printf("\n== durable Map of Task items over gRPC (FULL) ==\n");
  std::unique_ptr<stepflow::testing::Process> worker;
  std::optional<int> port = StartWorker(worker_binary, &worker);
  if (!port) return;
  const std::string def = R"({"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items",
      "MaxConcurrency":100,"ItemProcessor":{"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"echo","End":true}}},"End":true}}})";
  auto catalog_store = store::NewMemoryStore();
  functions::Catalog catalog(catalog_store.get());
  (void)catalog.Register("echo", "127.0.0.1:" + std::to_string(*port), "api", 0);
  rpc::GrpcInvoker grpc_invoker;
  functions::RoutingInvoker grpc(&catalog, &grpc_invoker);
  double per_item[2] = {0, 0};
  const int sizes[2] = {1'000, 10'000};
  for (int k = 0; k < 2; ++k) {
    const int n = sizes[k];
    Json items = Json::array();
    for (int i = 0; i < n; ++i) items.push_back(Json{{"i", i}});
    std::vector<double> rounds;
    for (int round = 0; round < 3; ++round) {
      std::string path = dir + "/stepflow-map.db";
      for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
      auto store = store::OpenSqliteStore(path);
      if (!store.ok()) std::exit(1);
      runtime::SystemClock clock;
      runtime::ExecutorOptions options;
      options.limits.max_history_events = 1'000'000;
      runtime::Executor executor(store->get(), &grpc, &clock, options);
      auto version = executor.PutStateMachine("map", def);
      runtime::StartRequest r;
      r.machine = "map";
      r.version = *version;
      r.input = DumpCompact(Json{{"items", items}});
      auto start = Clock::now();
      if (!executor.StartExecution(r).ok() || !executor.RunUntilIdle().ok()) std::exit(1);
      rounds.push_back(Seconds(start, Clock::now()) * 1e6 / n);
      store->reset();
      for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
    }
    std::sort(rounds.begin(), rounds.end());
    per_item[k] = rounds[rounds.size() / 2];
    std::printf("Map of %6d Task items (MaxConcurrency 100)   %8.1f us/item\n", n, per_item[k]);
  }
  std::printf("10,000 items / 1,000 items, time per item        %8.2f   (target <= 1.5)\n",
              per_item[1] / per_item[0]);
}

// Resident memory of this process, in bytes.
size_t ResidentBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (f != nullptr) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<size_t>(resident) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// 10,000 executions waiting in a Wait state: memory each, and how long a
// new engine takes to resume them all (load, restore, re-arm the timers).
void Parked(const std::string& dir) {
  std::printf("\n== 10,000 executions waiting in a Wait state (SQLite, FULL) ==\n");
  const int n = 10'000;
  const std::string def = R"({"StartAt":"Nap","States":{"Nap":{"Type":"Wait","Seconds":3600,"End":true}}})";
  std::string path = dir + "/stepflow-parked.db";
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
  size_t before = 0, after = 0;
  {
    auto store = store::OpenSqliteStore(path);
    if (!store.ok()) std::exit(1);
    runtime::SystemClock clock;
    NoInvoker invoker;
    runtime::Executor executor(store->get(), &invoker, &clock);
    auto version = executor.PutStateMachine("parked", def);
    std::thread loop([&] { (void)executor.Run(); });
    before = ResidentBytes();
    for (int i = 0; i < n; ++i) {
      runtime::StartRequest r;
      r.machine = "parked";
      r.version = *version;
      r.input = R"({"order":")" + std::to_string(i) + R"(","amount":12.5})";
      if (!executor.StartExecution(r).ok()) std::exit(1);
    }
    while (executor.stats().armed_timers < n) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    after = ResidentBytes();
    executor.Shutdown();
    loop.join();
  }
  std::printf("resident memory per waiting execution            %8.0f bytes (target <= 4096)\n",
              static_cast<double>(after - before) / n);
  auto store = store::OpenSqliteStore(path);
  if (!store.ok()) std::exit(1);
  runtime::SystemClock clock;
  NoInvoker invoker;
  auto start = Clock::now();
  runtime::Executor executor(store->get(), &invoker, &clock);
  auto resumed = executor.ResumeAll();
  if (!resumed.ok() || resumed->size() != static_cast<size_t>(n)) std::exit(1);
  std::thread loop([&] { (void)executor.Run(); });
  while (executor.stats().armed_timers < n) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  double secs = Seconds(start, Clock::now());
  executor.Shutdown();
  loop.join();
  std::printf("a restart resumes all 10,000 (timers re-armed)   %8.3f s (target <= 2 s)\n", secs);
  store->reset();
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : "/tmp";
  std::string worker = argc > 2 ? argv[2] : "";
  if (worker.empty()) {
    std::filesystem::path self = std::filesystem::canonical("/proc/self/exe");
    worker = (self.parent_path().parent_path() / "tools" / "stepflow_test_worker").string();
  }
  const char* only = std::getenv("STEPFLOW_BENCH_ONLY");  // memory|choice|durable|task|nested|map|parked
  std::string part = only ? only : "";
  if (part.empty() || part == "memory") InMemory();
  if (part == "choice") InMemory(/*pass_chain=*/false);
  if (part.empty() || part == "durable") Durable(dir);
  if (part.empty() || part == "task") TaskRoundTrip(dir, worker);
  if (part.empty() || part == "nested") Nested(dir);
  if (part.empty() || part == "map") DurableMap(dir, worker);
  if (part.empty() || part == "parked") Parked(dir);
  return 0;
}
