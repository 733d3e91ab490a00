#include "engine/runtime/executor.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>
#include <unordered_set>

#include "engine/graph/compiler.h"
#include "engine/runtime/arn.h"

namespace stepflow::runtime {

struct Executor::Inbox {
  enum class Kind { kStart, kResume, kRedrive, kOutcome, kStop, kStarted, kHeartbeat, kHeld };
  struct Item {
    Item(Kind k, std::string id, std::unique_ptr<Execution> x)
        : kind(k), execution_id(std::move(id)), exec(std::move(x)) {}
    Kind kind;
    std::string execution_id;
    std::unique_ptr<Execution> exec;  // kStart, kResume, kRedrive
    int64_t task_id = 0;
    TaskOutcome outcome;
    std::string error;
    std::optional<std::string> cause;
    std::string info;  // kStarted: worker name or the callback call's answer
    Committed committed;
    std::shared_ptr<Dispatch> dispatch;  // kHeld: the call to try again
    std::vector<store::TriggerOccurrence> occurrences;  // kStart
  };
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Item> items;
  int64_t in_flight = 0;
  int64_t duplicates = 0;              // second answers to one call, dropped
  std::atomic<bool> has_items{false};  // set with each outcome, for SpinForOutcome
  bool shutdown = false;               // Shutdown() was called
  bool closed = false;                 // the loop has returned: nothing is queued
  // Executions being started and not yet committed (idempotent starts).
  struct Starting {
    std::string input;
    int64_t version = 0;
    int64_t start_ms = 0;
    std::vector<Committed> repeats;  // repeated starts, answered with the first
  };
  std::unordered_map<std::string, Starting> starting;

  // Queues an item that answers a Task and wakes the loop (the spin in
  // SpinForOutcome watches has_items). Requires mu.
  void PushLocked(Item item) {
    items.push_back(std::move(item));
    has_items.store(true, std::memory_order_release);
    cv.notify_one();
  }
  // A Task's answer: kStarted with `outcome.output_json` as its info
  // (`started`: a callback's call returned, a child started), else kOutcome.
  // Requires mu.
  void AnswerLocked(const std::string& execution_id, int64_t task_id, TaskOutcome outcome,
                    bool started) {
    Item item(started ? Kind::kStarted : Kind::kOutcome, execution_id, nullptr);
    item.task_id = task_id;
    if (started) {
      item.info = std::move(outcome.output_json);
    } else {
      item.outcome = std::move(outcome);
    }
    PushLocked(std::move(item));
  }
  // Executions ResumeAll could not restore (a parent waiting for one fails).
  std::unordered_set<std::string> unrestorable;
};

struct Executor::Pending {
  Execution* exec = nullptr;
  bool create = false;
  bool redrive = false;  // the step reopens a closed execution
  StepEffects fx;
  std::vector<Committed> committed;  // called once the step is durable
  std::vector<store::TriggerOccurrence> occurrences;  // recorded with the creating step
};

namespace {

Status EngineClosed() { return Status(StatusCode::kUnavailable, "the engine is shutting down"); }

// Whether a stored input (JSON text) is the same JSON as `input` (whose
// DumpCompact is `input_text`), members in any order: a repeated start with
// {"b":1,"a":2} is the start of {"a":2,"b":1} (inputs stored before objects
// kept their order were stored sorted).
bool SameJsonText(const std::string& stored, const std::string& input_text, const Json& input) {
  if (stored == input_text) return true;
  Result<Json> parsed = ParseJsonData(stored);
  return parsed.ok() && *parsed == input;
}

// Step Functions' name rules: 1-80 characters, none of whitespace, brackets,
// wildcards, control characters or " # % \ ^ | ~ ` $ & , ; : /.
Status CheckName(const std::string& name, const char* what) {
  if (name.empty() || name.size() > 80) {
    return Status::InvalidArgument(std::string(what) + " must have 1 to 80 characters");
  }
  static const std::string kForbidden = " \t\n\r<>{}[]?*\"#%\\^|~`$&,;:/";
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f || kForbidden.find(static_cast<char>(c)) != std::string::npos) {
      return Status::InvalidArgument(std::string(what) + " '" + name +
                                     "' contains a character that is not allowed (whitespace, "
                                     "brackets, wildcards, control characters or "
                                     "\" # % \\ ^ | ~ ` $ & , ; : /)");
    }
  }
  return Status::Ok();
}

}  // namespace

std::string NewUuid() {
  // One random_device read per process, not per thread: gRPC creates
  // threads freely, and opening the device costs as much as the rest.
  static const uint64_t seed =
      std::random_device{}() * 0x9E3779B97F4A7C15ULL ^ std::random_device{}();
  static std::atomic<uint64_t> streams{0};
  thread_local std::mt19937_64 rng{seed + 0x632BE59BD9B4E019ULL * ++streams};
  uint64_t ms = static_cast<uint64_t>(SystemNowMs());
  uint64_t hi = (ms << 16) | 0x7000 | (rng() & 0x0fff);
  uint64_t lo = (rng() & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

Executor::Executor(store::Store* store, Invoker* invoker, Clock* clock, ExecutorOptions options)
    : store_(store),
      invoker_(invoker),
      clock_(clock),
      options_(std::move(options)),
      inbox_(std::make_shared<Inbox>()) {}

Executor::~Executor() = default;

Executor::Stats Executor::stats() const {
  Stats s;
  {
    std::lock_guard lock(stats_mu_);
    s = stats_;
  }
  std::lock_guard lock(inbox_->mu);
  s.stale_outcomes += inbox_->duplicates;
  return s;
}

Result<int64_t> Executor::PutStateMachine(const std::string& machine,
                                          const std::string& definition) {
  STEPFLOW_RETURN_IF_ERROR(CheckName(machine, "state machine name"));
  graph::CompileResult compiled = graph::CompileText(definition);
  if (!compiled.graph) {
    std::string message = "invalid definition for '" + machine + "'";
    int shown = 0;
    for (const auto& d : compiled.diagnostics) {
      if (d.severity != asl::Severity::kError) continue;
      if (shown++ == 3) {
        message += "; ...";
        break;
      }
      message += "; " + d.code + " at " + (d.pointer.empty() ? "/" : d.pointer) + ": " + d.message;
    }
    return Status::InvalidArgument(message);
  }
  return PutStateMachine(machine, definition, std::move(compiled.graph));
}

Result<int64_t> Executor::PutStateMachine(const std::string& machine,
                                          const std::string& definition,
                                          std::shared_ptr<const graph::Graph> graph) {
  STEPFLOW_RETURN_IF_ERROR(CheckName(machine, "state machine name"));
  if (options_.check_definition) STEPFLOW_RETURN_IF_ERROR(options_.check_definition(*graph));
  STEPFLOW_ASSIGN_OR_RETURN(int64_t version,
                            store_->PutStateMachineVersion(machine, definition,
                                                           graph->content_hash(), clock_->NowMs()));
  std::lock_guard lock(graphs_mu_);
  graphs_[{machine, version}] = std::move(graph);
  int64_t& newest = newest_[machine];
  newest = std::max(newest, version);
  return version;
}

Status Executor::DeleteStateMachine(const std::string& machine, bool purge_executions) {
  {
    std::lock_guard lock(inbox_->mu);
    const std::string prefix = machine + ":";
    for (const auto& [id, starting] : inbox_->starting) {
      if (id.compare(0, prefix.size(), prefix) == 0) {
        return Status::FailedPrecondition("state machine " + machine +
                                          " has an execution starting; stop it first");
      }
    }
  }
  STEPFLOW_RETURN_IF_ERROR(store_->DeleteStateMachine(machine, purge_executions));
  std::lock_guard lock(graphs_mu_);
  std::erase_if(graphs_, [&](const auto& entry) { return entry.first.first == machine; });
  newest_.erase(machine);
  return Status::Ok();
}

uint64_t Executor::WaitForCommit(uint64_t seen, std::chrono::milliseconds timeout) {
  std::unique_lock lock(commit_mu_);
  commit_cv_.wait_for(lock, timeout, [&] { return commit_count_.load() > seen || stopping_; });
  return commit_count_.load();
}

Result<std::shared_ptr<const graph::Graph>> Executor::LoadGraph(const std::string& machine,
                                                                int64_t version) {
  {
    std::lock_guard lock(graphs_mu_);
    if (auto it = graphs_.find({machine, version}); it != graphs_.end()) return it->second;
  }
  STEPFLOW_ASSIGN_OR_RETURN(store::StateMachineVersion v,
                            store_->GetStateMachineVersion(machine, version));
  graph::CompileResult compiled = graph::CompileText(v.definition);
  if (!compiled.graph) {
    return Status(StatusCode::kDataLoss, "the stored definition of '" + machine + "' version " +
                                             std::to_string(v.version) + " no longer compiles");
  }
  std::lock_guard lock(graphs_mu_);
  graphs_[{machine, v.version}] = compiled.graph;
  graphs_[{machine, version}] = compiled.graph;
  return compiled.graph;
}

bool Executor::Unrestorable(const std::string& execution_id) {
  std::lock_guard lock(inbox_->mu);
  return inbox_->unrestorable.count(execution_id) > 0;
}

Result<std::string> Executor::StartExecution(const StartRequest& request, StartInfo* info) {
  std::string name = request.name.empty() ? NewUuid() : request.name;
  STEPFLOW_RETURN_IF_ERROR(CheckName(name, "execution name"));
  Result<Json> input = ParseJsonData(request.input.empty() ? "{}" : request.input);
  if (!input.ok()) {
    return Status::InvalidArgument("the execution input is unusable: " + input.status().message());
  }
  int64_t version = request.version;
  if (version <= 0) {  // the newest: known here, or ask the store
    {
      std::lock_guard lock(graphs_mu_);
      if (auto it = newest_.find(request.machine); it != newest_.end()) version = it->second;
    }
    if (version <= 0) {
      STEPFLOW_ASSIGN_OR_RETURN(store::StateMachineVersion newest,
                                store_->GetStateMachineVersion(request.machine, 0));
      version = newest.version;
      std::lock_guard lock(graphs_mu_);
      int64_t& known = newest_[request.machine];
      known = std::max(known, version);
    }
  }
  STEPFLOW_ASSIGN_OR_RETURN(auto graph, LoadGraph(request.machine, version));
  std::string id = request.machine + ":" + name;
  std::string input_text = DumpCompact(*input);
  auto already = [&](int64_t pinned, int64_t start_ms) -> Result<std::string> {
    if (info != nullptr) *info = StartInfo{pinned, start_ms, true};
    if (request.committed) request.committed(Status::Ok());
    return id;
  };
  auto name_used = [&] {
    return Status(StatusCode::kAlreadyExists,
                  "an execution named '" + name + "' of '" + request.machine +
                      "' already exists (a repeated start must be RUNNING with the same input)");
  };
  // The name is claimed in `starting` first and looked up in the store
  // second: a start of the same name committed (and released from
  // `starting`) in between is then found in the store, never inserted twice.
  const int64_t start_ms = clock_->NowMs();
  {
    std::lock_guard lock(inbox_->mu);
    auto [it, inserted] =
        inbox_->starting.try_emplace(id, Inbox::Starting{input_text, version, start_ms, {}});
    if (!inserted) {
      Inbox::Starting& first = it->second;
      if (!SameJsonText(first.input, input_text, *input)) return name_used();
      // Being started, not yet committed: a repeat, answered when the first
      // start is (so it never hears of an execution that then fails to start).
      if (info != nullptr) *info = StartInfo{first.version, first.start_ms, true};
      if (request.committed) first.repeats.push_back(request.committed);
      return id;
    }
  }
  // Gives the name back, answering repeats that came meanwhile with `st`.
  auto release = [&](const Status& st) {
    std::vector<Committed> repeats;
    {
      std::lock_guard lock(inbox_->mu);
      auto it = inbox_->starting.find(id);
      if (it != inbox_->starting.end()) {
        repeats.swap(it->second.repeats);
        inbox_->starting.erase(it);
      }
    }
    for (Committed& c : repeats) c(st);
  };
  auto existing = store_->FindExecutionByName(request.machine, name);
  if (!existing.ok() || existing->has_value()) {
    if (!existing.ok()) {
      release(existing.status());
      return existing.status();
    }
    const store::ExecutionRecord& e = **existing;
    if (e.status == store::kRunning && SameJsonText(e.input, input_text, *input)) {
      release(Status::Ok());
      return already(e.version, e.start_ms);
    }
    release(name_used());
    return name_used();
  }
  store::ExecutionRecord record;
  record.id = id;
  record.machine = request.machine;
  record.version = version;
  record.name = name;
  record.input = input_text;
  record.start_ms = start_ms;
  record.parent_id = request.parent_id;
  record.parent_task = request.parent_task;
  if (record.parent_id.empty() && input->is_object()) {
    // As on AWS: the input names the execution that started this one.
    auto by = input->find("AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID");
    if (by != input->end() && by->is_string()) {
      record.parent_id = ExecutionIdFromArn(by->get_ref<const std::string&>());
    }
  }
  if (info != nullptr) *info = StartInfo{version, record.start_ms, false};
  auto exec = std::make_unique<Execution>(std::move(record), std::move(graph), options_.limits);
  std::unique_lock lock(inbox_->mu);
  if (inbox_->closed) {
    lock.unlock();
    release(EngineClosed());
    return EngineClosed();
  }
  Inbox::Item item(Inbox::Kind::kStart, id, std::move(exec));
  item.committed = request.committed;
  item.occurrences = request.occurrences;
  for (store::TriggerOccurrence& o : item.occurrences) {
    o.execution_id = id;
    if (o.recorded_ms == 0) o.recorded_ms = start_ms;
  }
  inbox_->items.push_back(std::move(item));
  inbox_->cv.notify_one();
  return id;
}

Status Executor::Redrive(const std::string& execution_id, Committed committed) {
  return QueueRedrive(execution_id, std::move(committed), nullptr);
}

Status Executor::QueueRedrive(const std::string& execution_id, Committed committed,
                              const std::string* parent_task) {
  STEPFLOW_ASSIGN_OR_RETURN(store::ExecutionRecord record, store_->GetExecution(execution_id));
  if (parent_task != nullptr) record.parent_task = *parent_task;
  if (record.status == store::kRunning) {
    return Status::FailedPrecondition("execution '" + execution_id +
                                      "' is RUNNING; only FAILED, TIMED_OUT or ABORTED "
                                      "executions can be redriven");
  }
  if (record.status == store::kSucceeded) {
    return Status::FailedPrecondition("execution '" + execution_id +
                                      "' SUCCEEDED; only FAILED, TIMED_OUT or ABORTED "
                                      "executions can be redriven");
  }
  STEPFLOW_ASSIGN_OR_RETURN(auto graph, LoadGraph(record.machine, record.version));
  STEPFLOW_ASSIGN_OR_RETURN(auto parts, store_->GetCheckpointParts(execution_id));
  STEPFLOW_ASSIGN_OR_RETURN(auto exec,
                            Execution::Restore(std::move(record), graph, options_.limits, parts));
  std::lock_guard lock(inbox_->mu);
  if (inbox_->closed) return EngineClosed();
  Inbox::Item item(Inbox::Kind::kRedrive, execution_id, std::move(exec));
  item.committed = std::move(committed);
  inbox_->items.push_back(std::move(item));
  inbox_->cv.notify_one();
  return Status::Ok();
}

Result<std::vector<std::string>> Executor::ResumeAll(
    std::vector<std::pair<std::string, Status>>* skipped) {
  STEPFLOW_ASSIGN_OR_RETURN(auto records, store_->ListUnfinished());
  std::vector<std::string> ids;
  for (store::ExecutionRecord& record : records) {
    std::string id = record.id;
    auto graph = LoadGraph(record.machine, record.version);
    auto parts = store_->GetCheckpointParts(id);
    Result<std::unique_ptr<Execution>> exec =
        !graph.ok()   ? Result<std::unique_ptr<Execution>>(graph.status())
        : !parts.ok() ? Result<std::unique_ptr<Execution>>(parts.status())
                      : Execution::Restore(std::move(record), *graph, options_.limits, *parts);
    if (!exec.ok()) {
      if (skipped == nullptr) return exec.status();
      skipped->emplace_back(id, exec.status());
      std::lock_guard lock(inbox_->mu);
      inbox_->unrestorable.insert(id);
      continue;
    }
    std::lock_guard lock(inbox_->mu);
    inbox_->items.emplace_back(Inbox::Kind::kResume, id, std::move(exec).value());
    ids.push_back(std::move(id));
  }
  inbox_->cv.notify_one();
  return ids;
}

Status Executor::Stop(const std::string& execution_id, const std::string& error,
                      const std::optional<std::string>& cause, Committed committed) {
  std::lock_guard lock(inbox_->mu);
  if (inbox_->closed) return EngineClosed();
  Inbox::Item item(Inbox::Kind::kStop, execution_id, nullptr);
  item.error = error;
  item.cause = cause;
  item.committed = std::move(committed);
  inbox_->items.push_back(std::move(item));
  inbox_->cv.notify_one();
  return Status::Ok();
}

namespace {

// A token is "<execution id>/<event id>" (the task's idempotency key).
Result<int64_t> ParseToken(const std::string& token) {
  size_t slash = token.rfind('/');
  if (token.empty() || token.size() > 1024 || slash == std::string::npos || slash == 0 ||
      slash + 1 == token.size() ||
      token.find_first_not_of("0123456789", slash + 1) != std::string::npos ||
      token.size() - slash > 19) {
    return Status::InvalidArgument("malformed task token (expected the $$.Task.Token text)");
  }
  return std::stoll(token.substr(slash + 1));
}

Status NoSuchTask() {
  return Status::NotFound(
      "no task waits on this token (it finished, timed out, its execution stopped, or the "
      "token was never issued)");
}

}  // namespace

std::optional<ActivityTask> Executor::PollActivity(const std::string& activity,
                                                   const std::string& worker_name,
                                                   std::chrono::milliseconds wait,
                                                   const std::function<bool()>& cancelled) {
  std::optional<ActivityTask> task = broker_.Poll(activity, wait, cancelled);
  if (!task) return task;
  std::lock_guard lock(inbox_->mu);
  Inbox::Item item(Inbox::Kind::kStarted, task->execution_id, nullptr);
  item.task_id = task->task_id;
  item.info = worker_name;
  inbox_->items.push_back(std::move(item));
  inbox_->cv.notify_one();
  return task;
}

Status Executor::CompleteTask(const std::string& token, TaskOutcome outcome, Committed committed) {
  STEPFLOW_ASSIGN_OR_RETURN(int64_t task_id, ParseToken(token));
  {
    std::lock_guard lock(inbox_->mu);
    if (inbox_->closed) return EngineClosed();
  }
  std::optional<WaitingTask> task = broker_.Take(token);
  if (!task || task->task_id != task_id) return NoSuchTask();
  std::lock_guard lock(inbox_->mu);
  if (inbox_->closed) return EngineClosed();
  Inbox::Item item(Inbox::Kind::kOutcome, task->execution_id, nullptr);
  item.task_id = task->task_id;
  item.outcome = std::move(outcome);
  item.committed = std::move(committed);
  inbox_->PushLocked(std::move(item));
  return Status::Ok();
}

Status Executor::Heartbeat(const std::string& token) {
  STEPFLOW_ASSIGN_OR_RETURN(int64_t task_id, ParseToken(token));
  std::optional<WaitingTask> task = broker_.Find(token);
  if (!task || task->task_id != task_id) return NoSuchTask();
  std::lock_guard lock(inbox_->mu);
  Inbox::Item item(Inbox::Kind::kHeartbeat, task->execution_id, nullptr);
  item.task_id = task->task_id;
  inbox_->items.push_back(std::move(item));
  inbox_->cv.notify_one();
  return Status::Ok();
}

StepEffects& Executor::EffectsFor(Execution& x, bool created, Committed committed) {
  auto [it, inserted] = pending_index_.try_emplace(x.id(), pending_.size());
  if (inserted) {
    auto p = std::make_unique<Pending>();
    p->exec = &x;
    p->create = created;
    pending_.push_back(std::move(p));
  }
  Pending& p = *pending_[it->second];
  if (committed) p.committed.push_back(std::move(committed));
  return p.fx;
}

void Executor::ProcessInbox() {
  std::vector<Inbox::Item> items;
  {
    std::lock_guard lock(inbox_->mu);
    items.swap(inbox_->items);
    inbox_->has_items.store(false, std::memory_order_relaxed);
  }
  const int64_t now = clock_->NowMs();
  for (Inbox::Item& item : items) {
    switch (item.kind) {
      case Inbox::Kind::kStart: {
        Execution& x = *item.exec;
        live_[item.execution_id] = std::move(item.exec);
        x.Start(now, &EffectsFor(x, /*created=*/true, std::move(item.committed)));
        pending_[pending_index_[x.id()]]->occurrences = std::move(item.occurrences);
        break;
      }
      case Inbox::Kind::kResume: {
        if (live_.count(item.execution_id)) break;
        Execution& x = *item.exec;
        live_[item.execution_id] = std::move(item.exec);
        StepEffects fx;
        x.Recover(&fx);
        Perform(x.id(), fx);
        break;
      }
      case Inbox::Kind::kRedrive: {
        if (live_.count(item.execution_id)) {
          if (item.committed) {
            item.committed(Status::FailedPrecondition("execution '" + item.execution_id +
                                                      "' is being redriven already"));
          }
          break;
        }
        Execution& x = *item.exec;
        live_[item.execution_id] = std::move(item.exec);
        StepEffects scratch;
        Status st = x.Redrive(now, &scratch);
        if (!st.ok()) {
          live_.erase(item.execution_id);
          if (item.committed) item.committed(st);
          break;
        }
        for (Dispatch& d : scratch.dispatches) d.redriven = true;
        EffectsFor(x, false, std::move(item.committed)).Append(std::move(scratch));
        pending_[pending_index_.at(x.id())]->redrive = true;
        break;
      }
      case Inbox::Kind::kOutcome: {
        CallAnswered(item.execution_id, item.task_id);
        auto it = live_.find(item.execution_id);
        bool applied = false;
        if (it != live_.end()) {
          // Effects are gathered per execution; look them up only when the
          // outcome is current.
          StepEffects scratch;
          applied = it->second->OnTaskOutcome(item.task_id, item.outcome, now, &scratch);
          if (applied) {
            EffectsFor(*it->second, false, std::move(item.committed)).Append(std::move(scratch));
          }
        }
        // SendTaskSuccess/Failure that lost a race (a timeout, a stop) hears so.
        if (!applied && item.committed) item.committed(NoSuchTask());
        if (!applied) {
          std::lock_guard lock(stats_mu_);
          ++stats_.stale_outcomes;
        }
        break;
      }
      case Inbox::Kind::kStop: {
        auto it = live_.find(item.execution_id);
        if (it != live_.end() && !it->second->finished()) {
          it->second->Stop(item.error, item.cause, now,
                           &EffectsFor(*it->second, false, std::move(item.committed)));
        } else if (item.committed) {
          item.committed(
              Status::FailedPrecondition("execution '" + item.execution_id + "' is not running"));
        }
        break;
      }
      case Inbox::Kind::kHeld: {
        const std::string key = TaskKey(item.execution_id, item.task_id);
        calls_in_flight_.erase(key);
        auto it = live_.find(item.execution_id);
        if (it == live_.end() || !it->second->WaitsOn(item.task_id)) break;
        HeldTask report;
        bool first = false;  // told once per call, not at every retry
        {
          std::lock_guard lock(held_mu_);
          auto [h, inserted] = held_.try_emplace(key);
          first = inserted;
          if (!inserted) h->second.delay_ms = std::min<int64_t>(h->second.delay_ms * 2, 30'000);
          h->second.dispatch = *item.dispatch;
          h->second.execution_id = item.execution_id;
          h->second.cause = item.outcome.cause;
          h->second.trying = false;
          h->second.next_try_ms = SteadyNowMs() + h->second.delay_ms;
          report = {item.execution_id, item.dispatch->request.state_path,
                    item.dispatch->request.function, item.outcome.cause};
        }
        if (first && options_.on_held) options_.on_held(report);
        break;
      }
      case Inbox::Kind::kStarted:
      case Inbox::Kind::kHeartbeat: {
        if (item.kind == Inbox::Kind::kStarted) CallAnswered(item.execution_id, item.task_id);
        auto it = live_.find(item.execution_id);
        if (it == live_.end()) break;
        StepEffects scratch;
        bool applied = item.kind == Inbox::Kind::kStarted
                           ? it->second->OnTaskStarted(item.task_id, item.info, now, &scratch)
                           : it->second->OnHeartbeat(item.task_id, now, &scratch);
        if (applied) EffectsFor(*it->second).Append(std::move(scratch));
        break;
      }
    }
  }
}

void Executor::FireTimers() {
  const int64_t now = clock_->NowMs();
  while (!timers_.empty() && timers_.top().fire_at_ms <= now) {
    TimerHeap::Entry t = timers_.Pop();
    auto it = live_.find(t.execution_id);
    if (it == live_.end()) continue;
    StepEffects scratch;
    if (!it->second->OnTimer(t.timer_id, now, &scratch)) continue;
    EffectsFor(*it->second).Append(std::move(scratch));
  }
}

Status Executor::CommitPending() {
  // Work cancelled in the same step it was created in never leaves.
  for (auto& p : pending_) {
    StepEffects& fx = p->fx;
    if (!fx.tasks_done.empty()) {
      std::unordered_set<int64_t> done(fx.tasks_done.begin(), fx.tasks_done.end());
      std::erase_if(fx.dispatches, [&](const Dispatch& d) {
        if (!done.count(d.task_id)) return false;
        fx.tasks_done.erase(std::find(fx.tasks_done.begin(), fx.tasks_done.end(), d.task_id));
        return true;
      });
    }
    if (!fx.timers_done.empty()) {
      std::unordered_set<int64_t> done(fx.timers_done.begin(), fx.timers_done.end());
      std::erase_if(fx.timers, [&](const TimerArm& t) { return done.count(t.timer_id) > 0; });
    }
  }
  // Tokens of tasks that stopped waiting stop working before the commit, so
  // a SendTaskSuccess racing a timeout is refused rather than ignored.
  if (broker_.size() > 0) {
    for (auto& p : pending_) {
      for (int64_t id : p->fx.tasks_done) broker_.Forget(TaskKey(p->exec->id(), id));
    }
  }
  // A callback's token works from the moment its TaskScheduled can be read:
  // registered before the commit (a refused step forgets its execution's).
  for (auto& p : pending_) {
    for (const Dispatch& d : p->fx.dispatches) {
      if (d.kind == TaskKind::kCallback) {
        broker_.Expect(d.request.task_token, WaitingTask{p->exec->id(), d.task_id});
      }
    }
  }
  // How each pending step fared; `fatal` is a store failure that stops the
  // loop. A step the store refuses for what it is (a duplicate, a history
  // that does not continue) fails alone: its execution is dropped here (the
  // store keeps its last committed state) and the others commit.
  const Status not_attempted(StatusCode::kUnavailable, "not committed: the store failed");
  std::vector<Status> outcome(pending_.size(), not_attempted);
  Status fatal = Status::Ok();
  auto store_failure = [](const Status& st) {
    return st.code() != StatusCode::kAlreadyExists && st.code() != StatusCode::kNotFound &&
           st.code() != StatusCode::kFailedPrecondition &&
           st.code() != StatusCode::kInvalidArgument;
  };
  for (size_t begin = 0; begin < pending_.size() && fatal.ok();
       begin += options_.max_batch_executions) {
    size_t end = std::min(pending_.size(), begin + options_.max_batch_executions);
    std::vector<store::StepCommit> batch;
    batch.reserve(end - begin);
    int64_t events = 0;
    for (size_t i = begin; i < end; ++i) {
      Pending& p = *pending_[i];
      store::StepCommit step;
      step.execution = p.exec->Snapshot(&step.parts_put);
      step.create = p.create;
      step.occurrences = std::move(p.occurrences);
      events += static_cast<int64_t>(p.fx.events.size());
      step.events = std::move(p.fx.events);
      for (const Dispatch& d : p.fx.dispatches) {
        store::TaskRecord t;
        t.id = d.request.idempotency_key;
        t.execution_id = p.exec->id();
        t.state_path = d.request.state_path;
        t.attempt = d.request.attempt;
        t.resource = d.request.function;
        t.input = d.request.input_json;
        t.visible_at_ms = clock_->NowMs();
        step.tasks_added.push_back(std::move(t));
      }
      for (int64_t id : p.fx.tasks_done) {
        step.tasks_removed.push_back(TaskKey(p.exec->id(), id));
      }
      for (const TimerArm& t : p.fx.timers) {
        store::TimerRecord r;
        r.id = std::to_string(t.timer_id);
        r.execution_id = p.exec->id();
        r.fire_at_ms = t.fire_at_ms;
        r.kind = t.timer_id == kExecutionTimeoutTimer ? "execution-timeout" : "state";
        step.timers_added.push_back(std::move(r));
      }
      for (int64_t id : p.fx.timers_done) step.timers_removed.push_back(std::to_string(id));
      batch.push_back(std::move(step));
    }
    Status st = store_->Commit(batch);
    if (st.ok()) {
      std::fill(outcome.begin() + begin, outcome.begin() + end, Status::Ok());
    } else if (store_failure(st)) {
      fatal = st;
      break;
    } else if (batch.size() == 1) {
      outcome[begin] = st;
    } else {
      // One by one: a refused step fails alone. Should every step fail, or
      // the store fail meanwhile, the store is the problem, not the steps;
      // except for starts and redrives refused for themselves (their machine
      // deleted meanwhile; a start's name taken by another engine on the
      // same store), as every step of a batch of starts racing one
      // DeleteStateMachine is.
      bool any = false;
      for (size_t k = 0; k < batch.size() && fatal.ok(); ++k) {
        const Status& got = outcome[begin + k] = store_->Commit({batch[k]});
        if (store_failure(got)) fatal = got;
        const Pending& p = *pending_[begin + k];
        any = any || got.ok() || ((p.create || p.redrive) && got.code() == StatusCode::kNotFound) ||
              (p.create && got.code() == StatusCode::kAlreadyExists);
      }
      if (fatal.ok() && !any) fatal = st;
      if (!fatal.ok()) break;
    }
    std::lock_guard lock(stats_mu_);
    ++stats_.commits;
    stats_.steps += static_cast<int64_t>(batch.size());
    stats_.events += events;
  }
  std::vector<std::unique_ptr<Pending>> done;
  done.swap(pending_);
  pending_index_.clear();
  {
    std::lock_guard lock(inbox_->mu);
    for (auto& p : done) {
      if (!p->create) continue;
      auto it = inbox_->starting.find(p->exec->id());
      if (it == inbox_->starting.end()) continue;
      for (Committed& c : it->second.repeats) p->committed.push_back(std::move(c));
      inbox_->starting.erase(it);
    }
  }
  for (size_t i = 0; i < done.size(); ++i) {
    const Status& st = outcome[i].ok() || fatal.ok() ? outcome[i] : fatal;
    for (Committed& c : done[i]->committed) c(st);
  }
  if (!fatal.ok()) return fatal;
  {
    std::lock_guard lock(commit_mu_);
    commit_count_.fetch_add(1);
  }
  commit_cv_.notify_all();
  for (size_t i = 0; i < done.size(); ++i) {
    Pending& p = *done[i];
    std::string id = p.exec->id();
    if (!outcome[i].ok()) {
      {
        std::lock_guard lock(stats_mu_);
        ++stats_.failed_steps;
      }
      broker_.ForgetExecution(id);
      if (!child_waiters_.empty()) ChildLost(id, outcome[i]);
      live_.erase(id);
      timers_.RemoveExecution(id);
      continue;
    }
    bool finished = p.exec->finished();
    Perform(id, p.fx);
    if (finished) {
      if (!child_waiters_.empty()) ChildEnded(*p.exec);
      live_.erase(id);
      timers_.RemoveExecution(id);
    }
  }
  return Status::Ok();
}

void Executor::Perform(const std::string& execution_id, StepEffects& fx) {
  for (int64_t id : fx.timers_done) timers_.Remove(execution_id, id);
  for (const TimerArm& t : fx.timers) timers_.Arm(t.fire_at_ms, execution_id, t.timer_id);
  // Work that stopped waiting (a stop, a timeout, an aborted branch): its
  // call is cancelled, its child execution stopped.
  if (!calls_in_flight_.empty() || !child_of_task_.empty()) {
    for (int64_t id : fx.tasks_done) Abandon(execution_id, id);
  }
  if (fx.dispatches.empty()) return;
  // A nested execution is started here, an activity queued for pollers;
  // what is left are calls for the Invoker.
  auto starts_child = [](const Dispatch& d) {
    return (d.kind == TaskKind::kChild || d.kind == TaskKind::kCallback) &&
           d.request.function.compare(0, kStartExecution.size(), kStartExecution) == 0;
  };
  size_t calls = 0;
  for (Dispatch& d : fx.dispatches) {
    // Committed steps registered their tokens before the commit; re-sent
    // calls (after a restart) register theirs here.
    if (d.kind == TaskKind::kCallback && d.resent) {
      broker_.Expect(d.request.task_token, WaitingTask{execution_id, d.task_id});
    }
    if (starts_child(d)) {
      StartChild(execution_id, d);
    } else if (d.kind == TaskKind::kActivity) {
      ActivityTask task{
          d.request.task_token, d.request.input_json, execution_id, d.request.state_name, d.task_id,
          d.heartbeat_seconds};
      broker_.Enqueue(d.activity, std::move(task));
    } else {
      ++calls;
    }
  }
  std::erase_if(fx.dispatches, [&](const Dispatch& d) {
    return d.kind == TaskKind::kActivity || starts_child(d);
  });
  if (calls == 0) return;
  {
    std::lock_guard lock(inbox_->mu);
    inbox_->in_flight += static_cast<int64_t>(calls);
  }
  {
    std::lock_guard lock(stats_mu_);
    stats_.dispatched += static_cast<int64_t>(fx.dispatches.size());
  }
  for (Dispatch& d : fx.dispatches) {
    std::shared_ptr<Inbox> inbox = inbox_;
    int64_t task_id = d.task_id;
    // A callback's call only hands over the token: its answer is recorded
    // (TaskSubmitted) and the task keeps waiting; its failure fails the task.
    const bool callback = d.kind == TaskKind::kCallback;
    // An Invoker calls `done` once; a second call (a misbehaving invoker)
    // is dropped here so the in-flight count stays right.
    auto answered = std::make_shared<std::atomic<bool>>(false);
    // A re-sent call whose function is missing is held, not failed.
    std::shared_ptr<Dispatch> resend;
    if (d.resent) resend = std::make_shared<Dispatch>(d);
    calls_in_flight_.insert(d.request.idempotency_key);
    invoker_->Invoke(std::move(d.request),
                     [inbox, execution_id, task_id, answered, callback,
                      resend](TaskOutcome outcome) {
                       std::lock_guard lock(inbox->mu);
                       if (answered->exchange(true)) {
                         ++inbox->duplicates;
                         return;
                       }
                       --inbox->in_flight;
                       if (outcome.unresolved && resend) {
                         Inbox::Item item(Inbox::Kind::kHeld, execution_id, nullptr);
                         item.task_id = task_id;
                         item.outcome = std::move(outcome);
                         item.dispatch = resend;
                         inbox->PushLocked(std::move(item));
                         return;
                       }
                       const bool submitted = callback && outcome.ok;
                       inbox->AnswerLocked(execution_id, task_id, std::move(outcome), submitted);
                     });
  }
}

// A Task answer usually comes back within a fraction of a millisecond; a
// short spin catches it without the wake-up latency of a condition variable
// (which is a good part of a Task step on loopback). Gives up after ~50 us.
bool Executor::SpinForOutcome(std::unique_lock<std::mutex>& lock) {
  lock.unlock();
  auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
  bool got = false;
  while (!(got = inbox_->has_items.load(std::memory_order_acquire)) &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::yield();
  }
  lock.lock();
  return got || !inbox_->items.empty();
}

Status Executor::RunUntilIdle() { return Loop(/*until_idle=*/true); }

void Executor::CallAnswered(const std::string& execution_id, int64_t task_id) {
  if (calls_in_flight_.empty() && held_.empty()) return;
  const std::string key = TaskKey(execution_id, task_id);
  calls_in_flight_.erase(key);
  if (!held_.empty()) {
    std::lock_guard lock(held_mu_);
    held_.erase(key);
  }
}

void Executor::PruneHeldLocked() {
  for (auto it = held_.begin(); it != held_.end();) {
    auto x = live_.find(it->second.execution_id);
    if (x == live_.end() || !x->second->WaitsOn(it->second.dispatch.task_id)) {
      it = held_.erase(it);  // its Task ended meanwhile (a stop, a timeout)
    } else {
      ++it;
    }
  }
}

void Executor::Abandon(const std::string& execution_id, int64_t task_id) {
  const std::string key = TaskKey(execution_id, task_id);
  if (calls_in_flight_.erase(key) > 0) invoker_->Cancel(key);
  auto child = child_of_task_.find(key);
  if (child == child_of_task_.end()) return;
  std::string child_id = std::move(child->second);
  child_of_task_.erase(child);
  // Only this Task's wait goes; the child is stopped when nobody else waits.
  auto waiters = child_waiters_.find(child_id);
  if (waiters != child_waiters_.end()) {
    std::erase_if(waiters->second, [&](const ChildWait& w) { return w.task_key == key; });
    if (!waiters->second.empty()) return;
    child_waiters_.erase(waiters);
  }
  auto it = live_.find(child_id);
  if (it != live_.end() && !it->second->finished()) {
    (void)Stop(child_id, "",
               "stopped by its parent execution " + execution_id + ", which no longer waits for it");
  }
}

void Executor::PushOutcome(const std::string& execution_id, int64_t task_id, TaskOutcome outcome,
                           bool started) {
  std::lock_guard lock(inbox_->mu);
  if (inbox_->closed) return;
  inbox_->AnswerLocked(execution_id, task_id, std::move(outcome), started);
}

void Executor::RetryHeldTasks() {
  retry_held_.store(true);
  std::lock_guard lock(inbox_->mu);
  inbox_->cv.notify_one();
}

std::vector<HeldTask> Executor::HeldTasks() const {
  std::lock_guard lock(held_mu_);
  std::vector<HeldTask> out;
  for (const auto& [key, h] : held_) {
    out.push_back({h.execution_id, h.dispatch.request.state_path, h.dispatch.request.function,
                   h.cause});
  }
  return out;
}

bool Executor::OnlyHeldLeft() {
  std::unordered_set<std::string> waiting;
  {
    std::lock_guard lock(held_mu_);
    PruneHeldLocked();
    for (const auto& [key, h] : held_) waiting.insert(h.execution_id);
  }
  if (waiting.empty()) return false;
  {
    std::lock_guard lock(inbox_->mu);
    if (inbox_->in_flight > 0 || !inbox_->items.empty()) return false;
  }
  for (const auto& [id, x] : live_) {
    if (!waiting.count(id)) return false;
  }
  return true;
}

int64_t Executor::NextHeldRetryMs() const {
  std::lock_guard lock(held_mu_);
  int64_t next = INT64_MAX;
  for (const auto& [key, h] : held_) {
    if (!h.trying) next = std::min(next, h.next_try_ms);
  }
  return next;
}

void Executor::RetryHeld(bool all) {
  const int64_t now = SteadyNowMs();
  std::vector<std::pair<std::string, Dispatch>> due;
  {
    std::lock_guard lock(held_mu_);
    PruneHeldLocked();
    for (auto& [key, h] : held_) {
      if (!h.trying && (all || h.next_try_ms <= now)) {
        h.trying = true;
        due.emplace_back(h.execution_id, h.dispatch);
      }
    }
  }
  for (auto& [execution_id, d] : due) {
    StepEffects fx;
    fx.dispatches.push_back(std::move(d));
    Perform(execution_id, fx);
  }
}

Status Executor::Run() { return Loop(/*until_idle=*/false); }

void Executor::Shutdown() {
  broker_.Close();
  {
    std::lock_guard lock(commit_mu_);
    stopping_ = true;
  }
  commit_cv_.notify_all();
  std::lock_guard lock(inbox_->mu);
  inbox_->shutdown = true;
  inbox_->cv.notify_all();
}

Status Executor::Loop(bool until_idle) {
  Status st = Turns(until_idle);
  // RunUntilIdle may be called again; a stopped or failed loop may not.
  if (!until_idle || !st.ok()) {
    Close(st.ok() ? Status(StatusCode::kUnavailable, "the engine is shutting down")
                  : Status(StatusCode::kUnavailable, "the engine stopped: " + st.message()));
  }
  return st;
}

void Executor::Close(const Status& why) {
  std::vector<Inbox::Item> left;
  std::vector<Committed> repeats;
  {
    std::lock_guard lock(inbox_->mu);
    inbox_->closed = true;
    inbox_->shutdown = true;
    left.swap(inbox_->items);
    for (auto& [id, starting] : inbox_->starting) {
      for (Committed& c : starting.repeats) repeats.push_back(std::move(c));
    }
    inbox_->starting.clear();
  }
  for (Committed& c : repeats) c(why);
  broker_.Close();
  {
    std::lock_guard lock(commit_mu_);
    stopping_ = true;
  }
  commit_cv_.notify_all();
  // Nothing will decide these any more: whoever waits on them hears so.
  for (Inbox::Item& item : left) {
    if (item.committed) item.committed(why);
  }
}

Status Executor::Turns(bool until_idle) {
  while (true) {
    {
      // Once asked to stop, take nothing new: commit what is decided, return.
      std::lock_guard lock(inbox_->mu);
      if (inbox_->shutdown && pending_.empty()) return Status::Ok();
    }
    if (!pending_.empty() && inbox_->shutdown) {
      STEPFLOW_RETURN_IF_ERROR(CommitPending());
      continue;
    }
    ProcessInbox();
    FireTimers();
    // The flag is cleared every turn, held calls or not (it wakes the loop).
    if (const bool all = retry_held_.exchange(false); !until_idle && !held_.empty()) {
      RetryHeld(all);
    }
    if (!pending_.empty()) {
      STEPFLOW_RETURN_IF_ERROR(CommitPending());
      continue;
    }
    // (timers_ holds timers of live executions only: an execution leaving
    // live_ takes its timers with it, so time never skips to a dead one.)
    {
      std::lock_guard stats_lock(stats_mu_);
      stats_.armed_timers = static_cast<int64_t>(timers_.size());
    }
    // Embedded: executions that wait only for held calls stay RUNNING (their
    // timers are not waited for: nobody can register the function meanwhile).
    if (until_idle && !held_.empty() && OnlyHeldLeft()) return Status::Ok();
    std::unique_lock lock(inbox_->mu);
    if (!inbox_->items.empty()) continue;
    // Everything decided so far is committed: stopping here loses nothing.
    if (inbox_->shutdown) return Status::Ok();
    if (until_idle) {
      if (live_.empty() && inbox_->in_flight == 0) return Status::Ok();
      if (inbox_->in_flight == 0 && timers_.empty()) {
        return Status::Internal(std::to_string(live_.size()) +
                                " execution(s) wait for something that cannot happen in "
                                "embedded mode (a callback or activity?)");
      }
    }
    // Time skips only when nobody could answer first: no call in flight and,
    // in server mode, no activity or callback waiting for a worker.
    if (inbox_->in_flight == 0 && (until_idle || broker_.size() == 0) && !timers_.empty() &&
        clock_->CanSkip()) {
      int64_t next = timers_.top().fire_at_ms;
      lock.unlock();
      clock_->AdvanceTo(next);
      continue;
    }
    if (inbox_->in_flight > 0 && SpinForOutcome(lock)) continue;
    auto woken = [&] {
      return !inbox_->items.empty() || inbox_->shutdown || retry_held_.load();
    };
    int64_t wait_ms = -1;  // -1 = until woken
    if (!timers_.empty()) {
      wait_ms = std::max<int64_t>(0, timers_.top().fire_at_ms - clock_->NowMs());
    }
    if (!until_idle && !held_.empty()) {
      const int64_t next = NextHeldRetryMs();  // INT64_MAX: every held call is being tried
      if (next != INT64_MAX) {
        int64_t held_ms = std::max<int64_t>(0, next - SteadyNowMs());
        wait_ms = wait_ms < 0 ? held_ms : std::min(wait_ms, held_ms);
      }
    }
    if (wait_ms < 0) {
      inbox_->cv.wait(lock, woken);
    } else {
      inbox_->cv.wait_for(lock, std::chrono::milliseconds(wait_ms), woken);
    }
  }
}

}  // namespace stepflow::runtime
