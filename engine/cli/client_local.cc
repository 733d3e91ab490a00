// LocalApi: the ApiClient of the engine in this process over a database
// file (--db): api::ControlPlane, the core the server serves, called
// directly. How the database is opened depends on the verb (LocalAccess):
// readers open the store alone, without the lock, so they work while a
// server or a `run` holds the file; writers build the engine.
//
// Executions started or redriven here run here: the executor's loop runs on
// a thread of its own from the first write on, and WaitForEnd joins it.
// `exec stop` restores only the execution it stops, with an invoker that
// sends nothing (the execution's calls in flight belong to the process that
// was running it, which is gone: the lock says so), stops it, and returns.
#include <condition_variable>
#include <filesystem>
#include <thread>
#include <unordered_set>

#include "engine/cli/client_api.h"
#include "engine/cli/embedded.h"
#include "engine/cli/format.h"
#include "engine/cli/forwarding_store.h"
#include "engine/runtime/clock.h"

namespace stepflow::cli {
namespace {

// Restores only the executions it is told about (ListUnfinished): the one
// `exec stop` stops.
class OnlyTheseStore final : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  void Allow(const std::string& id) { allowed_.insert(id); }
  Result<std::vector<store::ExecutionRecord>> ListUnfinished() override {
    auto all = inner().ListUnfinished();
    if (!all.ok()) return all;
    std::erase_if(*all, [this](const store::ExecutionRecord& r) { return !allowed_.count(r.id); });
    return all;
  }

 private:
  std::unordered_set<std::string> allowed_;
};

// Sends nothing: a stopped execution's calls are cancelled, never re-sent.
class SilentInvoker final : public runtime::Invoker {
 public:
  void Invoke(runtime::TaskRequest, std::function<void(runtime::TaskOutcome)>) override {}
};

// One answer from a commit callback (the loop's thread) to the caller's.
template <typename T>
class Answer {
 public:
  void Set(Result<T> r) {
    std::lock_guard lock(mu_);
    if (!value_) value_.emplace(std::move(r));
    cv_.notify_all();
  }
  void Abandon() {
    std::lock_guard lock(mu_);
    abandoned_ = true;
    cv_.notify_all();
  }
  // The answer, or null once abandoned without one.
  std::optional<Result<T>> Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return value_.has_value() || abandoned_; });
    return value_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Result<T>> value_;
  bool abandoned_ = false;
};

Status Interrupted(const std::string& what) {
  return Status(StatusCode::kUnavailable, what).WithReason("Interrupted");
}

class LocalApi final : public ApiClient {
 public:
  LocalApi(const std::string& verb, const EngineOptions& options, std::ostream& err)
      : ApiClient(verb, err), options_(options) {}

  ~LocalApi() override {
    if (loop_.joinable()) {
      engine_->executor->Shutdown();
      loop_.join();
    }
    if (watch_) watch_->OnSignal(nullptr);
  }

  // Opens the database for `access`; false after printing why not.
  bool Open(LocalAccess access) {
    const char* verb = this->verb().c_str();
    switch (access) {
      case LocalAccess::kRead: {
        read_store_ = OpenStore(verb, options_, err(), /*must_exist=*/true);
        if (!read_store_) return false;
        plane_ = std::make_unique<api::ControlPlane>(nullptr, read_store_.get(), nullptr);
        store_ = read_store_.get();
        return true;
      }
      case LocalAccess::kCreate:
      case LocalAccess::kWrite: {
        if (access == LocalAccess::kWrite && DatabaseMissing(options_)) {
          OpenStore(verb, options_, err(), /*must_exist=*/true);  // says so
          return false;
        }
        // Executions may run here: signals are watched before any thread starts.
        watch_ = std::make_unique<InterruptWatch>();
        engine_ = OpenEngine(verb, options_, err(), access == LocalAccess::kCreate);
        if (!engine_) return false;
        plane_ = std::make_unique<api::ControlPlane>(engine_->executor.get(), engine_->store.get(),
                                                     engine_->catalog.get());
        store_ = engine_->store.get();
        return true;
      }
      case LocalAccess::kStop: {
        const std::string db = options_.db.empty() ? "stepflow.db" : options_.db;
        auto opened = OpenStore(verb, options_, err(), /*must_exist=*/true);
        if (!opened) return false;
        if (db != ":memory:") {
          // Alone: a process still running the execution would go on with it.
          if (Status st = lock_.Acquire(db, /*exclusive=*/true); !st.ok()) {
            err() << "stepflow " << verb << ": another stepflow process (a run, a resume or a "
                  << "server) is running executions of " << db
                  << ": stop the execution there (Ctrl-C on the run, or through the server "
                  << "with --server HOST:PORT)\n";
            return false;
          }
        }
        auto only = std::make_unique<OnlyTheseStore>(std::move(opened));
        only_ = only.get();
        read_store_ = std::move(only);
        invoker_ = std::make_unique<SilentInvoker>();
        clock_ = std::make_unique<runtime::SystemClock>();
        runtime::ExecutorOptions eo;
        eo.limits.max_history_events = options_.max_history_events;
        eo.limits.callbacks = true;  // it may wait for a callback or an activity
        executor_ = std::make_unique<runtime::Executor>(read_store_.get(), invoker_.get(),
                                                        clock_.get(), std::move(eo));
        plane_ = std::make_unique<api::ControlPlane>(executor_.get(), read_store_.get(), nullptr);
        store_ = read_store_.get();
        return true;
      }
    }
    return false;
  }

  bool embedded() const override { return true; }

  Result<api::MachineVersionRef> PutStateMachine(const std::string& name,
                                                 const std::string& definition,
                                                 bool update) override {
    if (!engine_) return ReadOnly();
    return update ? plane_->UpdateStateMachine(name, definition)
                  : plane_->CreateStateMachine(name, definition);
  }

  Result<api::MachineDescription> DescribeStateMachine(const std::string& name,
                                                       int64_t version) override {
    return plane_->DescribeStateMachine(name, version);
  }

  Result<api::Page<api::MachineSummary>> ListStateMachines(const api::PageRequest& page) override {
    return plane_->ListStateMachines(page);
  }

  Status DeleteStateMachine(const std::string& name, bool purge) override {
    if (!engine_) return ReadOnly();
    return plane_->DeleteStateMachine(name, purge);
  }

  Result<api::Validation> ValidateDefinition(const std::string& definition) override {
    return plane_->ValidateDefinition(definition);
  }

  Result<api::Started> StartExecution(const api::StartRequest& request) override {
    if (!engine_) return ReadOnly();
    auto answer = std::make_shared<Answer<api::Started>>();
    plane_->StartExecution(request,
                           [answer](Result<api::Started> r) { answer->Set(std::move(r)); });
    return AwaitWrite(answer);
  }

  Result<api::ExecutionDetail> DescribeExecution(const std::string& id) override {
    return plane_->DescribeExecution(id);
  }

  Result<api::Page<store::ExecutionRecord>> ListExecutions(
      const api::ExecutionQuery& query) override {
    auto page = plane_->ListExecutions(query);
    if (!page.ok()) return page;
    for (store::ExecutionRecord& r : page->items) {  // as the API's list: no data
      r.input.clear();
      r.output.reset();
    }
    return page;
  }

  Result<int64_t> StopExecution(const std::string& id, const std::string& error,
                                const std::optional<std::string>& cause) override {
    if (!executor_) return ReadOnly();
    only_->Allow(id);
    std::vector<std::pair<std::string, Status>> skipped;
    auto resumed = executor_->ResumeAll(&skipped);
    if (!resumed.ok()) return resumed.status();
    for (const auto& [skipped_id, why] : skipped) {
      return Status(why.code(), "execution '" + skipped_id +
                                    "' cannot be restored to be stopped: " + why.message());
    }
    auto answer = std::make_shared<Answer<int64_t>>();
    runtime::Executor* executor = executor_.get();
    plane_->StopExecution(id, error, cause, [answer, executor](Result<int64_t> r) {
      answer->Set(std::move(r));
      executor->Shutdown();  // the stop is committed (or refused): nothing else to do here
    });
    Status loop = executor_->Run();
    auto result = answer->Wait();  // set: Run returns only after the Shutdown above
    if (!loop.ok()) return loop;
    if (result->ok()) ReportRunningChildren(id);
    return *result;
  }

  Result<int64_t> RedriveExecution(const std::string& id) override {
    if (!engine_) return ReadOnly();
    auto answer = std::make_shared<Answer<int64_t>>();
    plane_->RedriveExecution(id, "", [answer](Result<int64_t> r) { answer->Set(std::move(r)); });
    return AwaitWrite(answer);
  }

  Result<api::Page<store::HistoryEvent>> GetHistory(const api::HistoryQuery& query) override {
    return plane_->GetHistory(query);
  }

  // The database may be written by another process (a `run`, a server):
  // read what is new every 200 ms until the execution has closed.
  Status FollowHistory(
      const std::string& id,
      const std::function<void(const std::vector<store::HistoryEvent>&)>& on_events) override {
    api::HistoryQuery query;
    query.execution_id = id;
    for (;;) {
      auto now = plane_->DescribeExecution(id);
      if (!now.ok()) return now.status();
      const bool closed = now->record.status != store::kRunning;
      for (;;) {
        auto page = plane_->GetHistory(query);
        if (!page.ok()) return page.status();
        if (page->items.empty()) break;
        query.next_token = std::to_string(page->items.back().id);
        on_events(page->items);
        if (page->next_token.empty()) break;
      }
      if (closed) return Status::Ok();
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

  Result<store::ExecutionRecord> WaitForEnd(const std::string& id) override {
    if (!engine_) return ReadOnly();
    if (loop_.joinable()) loop_.join();
    watch_->OnSignal(nullptr);
    if (!loop_status_.ok()) return loop_status_;
    if (watch_->interrupted()) {
      ReportInterrupted(verb().c_str(), options_, *store_, {id}, err());
      return Interrupted("interrupted");
    }
    ReportHeld(verb().c_str(), *engine_->executor, err());
    return store_->GetExecution(id);
  }

  Result<CallLogMap> GetCallLogs(const std::string& execution_id) override {
    store::FunctionLogQuery query;
    query.execution_id = execution_id;
    auto rows = store_->ListFunctionLogs(query);
    if (!rows.ok()) return rows.status();
    CallLogMap logs;
    for (const auto& row : *rows) logs[row.idempotency_key] += row.text;
    return logs;
  }

 private:
  static Status ReadOnly() {
    return Status::Internal("this verb opened the database for reading only");
  }

  // Runs the loop (on its own thread, from the first write on) until the
  // write's answer comes; a signal first answers "interrupted".
  template <typename T>
  Result<T> AwaitWrite(const std::shared_ptr<Answer<T>>& answer) {
    if (!loop_.joinable()) {
      runtime::Executor* executor = engine_->executor.get();
      watch_->OnSignal([executor] { executor->Shutdown(); });
      loop_ = std::thread([this, executor, answer] {
        loop_status_ = executor->RunUntilIdle();
        answer->Abandon();  // a write the loop never took (interrupted) has no answer
      });
    }
    auto result = answer->Wait();
    if (result) return std::move(*result);
    if (!loop_status_.ok()) return loop_status_;
    err() << "stepflow " << verb() << ": interrupted before anything was committed\n";
    return Interrupted("interrupted");
  }

  // Nested executions the stopped one started and that still run: said,
  // with the command that stops each.
  void ReportRunningChildren(const std::string& id) {
    auto children = store_->ListChildExecutions(id);
    if (!children.ok()) return;
    for (const store::ExecutionRecord& child : *children) {
      if (child.status != store::kRunning) continue;
      err() << "stepflow " << verb() << ": " << id << " started " << child.id
            << ", which is still RUNNING: stepflow exec stop " << ShellWord(child.id) << " --db "
            << DbArgument(options_) << "\n";
    }
  }

  EngineOptions options_;
  std::unique_ptr<InterruptWatch> watch_;  // before the engine: its threads inherit the mask
  host::DatabaseLock lock_;
  std::unique_ptr<store::Store> read_store_;
  OnlyTheseStore* only_ = nullptr;  // kStop: read_store_ as its type
  std::unique_ptr<runtime::Invoker> invoker_;
  std::unique_ptr<runtime::Clock> clock_;
  std::unique_ptr<runtime::Executor> executor_;  // kStop
  std::unique_ptr<host::Engine> engine_;         // kCreate, kWrite
  store::Store* store_ = nullptr;
  std::unique_ptr<api::ControlPlane> plane_;
  std::thread loop_;
  Status loop_status_;
};

}  // namespace

std::unique_ptr<ApiClient> OpenLocal(const std::string& verb, const EngineOptions& options,
                                     LocalAccess access, std::ostream& err) {
  auto local = std::make_unique<LocalApi>(verb, options, err);
  if (!local->Open(access)) return nullptr;
  return local;
}

}  // namespace stepflow::cli
