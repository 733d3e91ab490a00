#include "engine/store/memory_store.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "engine/store/commit_checks.h"

namespace stepflow::store {
namespace {

std::string NameKey(const std::string& machine, const std::string& name) {
  std::string key;
  key.reserve(machine.size() + 1 + name.size());
  key.append(machine).push_back('\0');
  key.append(name);
  return key;
}

// One execution's history packed into one byte buffer, so appending an
// event costs a copy of its bytes and no allocation of its own (the memory
// store is on the in-memory engine's hot path). Event i has id i + 1.
class PackedHistory {
 public:
  size_t size() const { return offsets_.size(); }

  void Append(const std::vector<HistoryEvent>& events) {
    size_t bytes = 0;
    for (const HistoryEvent& e : events) {
      bytes += sizeof(Header) + e.type.size() + e.state_path.size() + e.details.size();
    }
    // Grow geometrically, or a long history would be copied on every step.
    if (bytes_.capacity() < bytes_.size() + bytes) {
      bytes_.reserve(std::max(bytes_.size() + bytes, 2 * bytes_.capacity()));
    }
    for (const HistoryEvent& e : events) {
      offsets_.push_back(bytes_.size());
      Header h{e.id,          e.previous_event_id, e.timestamp_ms,
               e.type.size(), e.state_path.size(), e.details.size()};
      bytes_.append(reinterpret_cast<const char*>(&h), sizeof h);
      bytes_.append(e.type).append(e.state_path).append(e.details);
    }
  }

  HistoryEvent At(size_t i) const {
    const char* p = bytes_.data() + offsets_[i];
    Header h;
    std::memcpy(&h, p, sizeof h);
    p += sizeof h;
    HistoryEvent e;
    e.id = h.id;
    e.previous_event_id = h.previous_event_id;
    e.timestamp_ms = h.timestamp_ms;
    e.type.assign(p, h.type_size);
    e.state_path.assign(p + h.type_size, h.path_size);
    e.details.assign(p + h.type_size + h.path_size, h.details_size);
    return e;
  }

 private:
  struct Header {
    int64_t id, previous_event_id, timestamp_ms;
    uint64_t type_size, path_size, details_size;
  };
  std::string bytes_;
  std::vector<size_t> offsets_;
};

class MemoryStore final : public Store {
 public:
  Result<int64_t> PutStateMachineVersion(const std::string& machine, const std::string& definition,
                                         const std::string& sha256, int64_t now_ms) override;
  Result<StateMachineVersion> GetStateMachineVersion(const std::string& machine,
                                                     int64_t version) override;
  Result<std::vector<std::string>> ListStateMachines() override;
  Result<std::vector<StateMachineVersion>> ListStateMachineVersions(
      const std::string& machine) override;
  Status DeleteStateMachine(const std::string& machine, bool purge_executions) override;
  Result<ActivityRecord> PutActivity(const std::string& name, int64_t now_ms) override;
  Result<ActivityRecord> GetActivity(const std::string& name) override;
  Result<std::vector<ActivityRecord>> ListActivities() override;
  Result<bool> DeleteActivity(const std::string& name) override;
  Status TagResource(const std::string& resource,
                     const std::vector<std::pair<std::string, std::string>>& tags,
                     size_t max_tags) override;
  Status UntagResource(const std::string& resource, const std::vector<std::string>& keys) override;
  Result<std::vector<std::pair<std::string, std::string>>> ListTags(
      const std::string& resource) override;
  Result<FunctionVersion> PutFunctionVersion(const FunctionVersion& version) override;
  Result<std::vector<FunctionVersion>> ListFunctionVersions() override;
  Status PutFunctionAlias(const FunctionAlias& alias) override;
  Result<bool> RemoveFunctionAlias(const std::string& function, const std::string& alias) override;
  Result<std::vector<FunctionAlias>> ListFunctionAliases() override;
  Result<bool> RemoveFunction(const std::string& name) override;
  Status PutIntegration(const std::string& integration, const std::string& function) override;
  Result<bool> RemoveIntegration(const std::string& integration) override;
  Result<std::vector<std::pair<std::string, std::string>>> ListIntegrations() override;
  Status PutDeployFailure(const DeployFailure& failure) override;
  Status ClearDeployFailure(const std::string& name) override;
  Result<std::vector<DeployFailure>> ListDeployFailures() override;
  Status AppendFunctionLogs(const std::vector<FunctionLog>& logs) override;
  Result<std::vector<FunctionLog>> ListFunctionLogs(const FunctionLogQuery& query) override;
  Status Commit(const std::vector<StepCommit>& steps) override;
  Result<std::vector<std::pair<std::string, std::string>>> GetCheckpointParts(
      const std::string& execution_id) override;
  Result<ExecutionRecord> GetExecution(const std::string& id) override;
  Result<std::optional<ExecutionRecord>> FindExecutionByName(const std::string& machine,
                                                             const std::string& name) override;
  Result<std::vector<ExecutionRecord>> ListExecutions(const ExecutionFilter& filter) override;
  Result<std::vector<ExecutionCount>> CountExecutions() override;
  Status PutTrigger(const TriggerRecord& trigger) override;
  Result<TriggerRecord> GetTrigger(const std::string& name) override;
  Result<std::vector<TriggerRecord>> ListTriggers() override;
  Result<bool> DeleteTrigger(const std::string& name) override;
  Status RecordOccurrences(const std::vector<TriggerOccurrence>& occurrences) override;
  Result<std::vector<TriggerOccurrence>> ListOccurrences(const std::string& trigger,
                                                         int64_t limit) override;
  Result<std::optional<TriggerOccurrence>> FindOccurrence(const std::string& trigger,
                                                          const std::string& key) override;
  Result<std::map<std::string, int64_t>> CountOccurrences(const std::string& trigger) override;
  Result<std::vector<ExecutionRecord>> ListUnfinished() override;
  Result<std::optional<ExecutionRecord>> FindExecutionByParentTask(
      const std::string& task_key) override;
  Result<std::vector<ExecutionRecord>> ListChildExecutions(const std::string& parent_id) override;
  Result<std::vector<HistoryEvent>> GetHistory(const std::string& execution_id,
                                               const HistoryQuery& query) override;
  Result<std::vector<TaskRecord>> ListTasks(const std::string& execution_id) override;
  Result<std::vector<TimerRecord>> ListTimers(const std::string& execution_id) override;

 private:
  struct Execution {
    ExecutionRecord record;
    PackedHistory history;
    std::map<std::string, TaskRecord> tasks;
    std::map<std::string, TimerRecord> timers;
    std::map<std::string, std::string> parts;  // checkpoint pieces by key
  };

  // Validation of a batch against the stored data plus the effects of the
  // batch's earlier steps (the overlays below). Requires mu_.
  Status Validate(const std::vector<StepCommit>& steps);
  Status ValidateStep(const StepCommit& step, Execution*& stored);
  void Apply(const StepCommit& step, Execution* stored);
  // The execution owning task `id` after the validated steps; "" when none.
  std::string_view TaskOwner(std::string_view id) const;
  bool TimerPresent(const Execution* stored, const std::string& execution_id,
                    const std::string& id) const;
  Execution* Find(const std::string& id) {
    auto it = executions_.find(id);
    return it == executions_.end() ? nullptr : &it->second;
  }
  // Keep parent_links_ / parent_tasks_ in step with a record's parent fields.
  void LinkParent(const ExecutionRecord& r);
  void UnlinkParent(const ExecutionRecord& r);
  // The records of `ids`, by start time then id; `state` only when asked.
  std::vector<ExecutionRecord> Records(const std::set<std::string>& ids, bool with_state);

  // Whether `machine` has `version` (a create step's check). Requires mu_.
  bool HasVersion(const std::string& machine, int64_t version) const {
    auto it = machines_.find(machine);
    return it != machines_.end() && version >= 1 &&
           version <= static_cast<int64_t>(it->second.size());
  }

  std::mutex mu_;  // guards everything below
  std::map<std::string, std::vector<StateMachineVersion>> machines_;
  std::map<std::string, int64_t> activities_;  // name -> created_ms
  std::map<std::string, TriggerRecord> triggers_;
  std::map<std::pair<std::string, std::string>, TriggerOccurrence> occurrences_;  // (trigger, key)
  // kAlreadyExists when an occurrence of `batch` is recorded or given twice
  // (recorded without starting an execution is fine if `replace_unstarted`).
  Status CheckNewOccurrences(const std::vector<const TriggerOccurrence*>& batch,
                             bool replace_unstarted) const;
  // Tags: resource -> key -> value.
  std::map<std::string, std::map<std::string, std::string>> tags_;
  // Node-based: pointers to the values stay valid as the map grows.
  std::unordered_map<std::string, Execution> executions_;
  std::unordered_map<std::string, std::string> names_;       // NameKey -> execution id
  std::unordered_map<std::string, std::string> task_owner_;  // task id -> execution id
  // Indexes of the parent fields ("" is not indexed, as in the SQLite store).
  std::unordered_map<std::string, std::set<std::string>> parent_links_;  // parent_id -> ids
  std::unordered_map<std::string, std::set<std::string>> parent_tasks_;  // parent_task -> ids
  // The function catalog. Versions are dense from 1 per function (only a
  // whole function is ever removed): version v is at index v - 1.
  std::map<std::string, std::vector<FunctionVersion>> functions_;
  std::map<std::pair<std::string, std::string>, int64_t> aliases_;  // (function, alias)
  std::map<std::string, std::string> integrations_;                 // integration -> function
  std::map<std::string, DeployFailure> deploy_failures_;             // by function name
  std::vector<FunctionLog> function_logs_;                           // by id

  // Per-Commit scratch, kept to reuse its memory. Keys view the steps' strings.
  struct Touched {
    int64_t next_event_id = 0;
    bool running = false;  // status RUNNING
  };
  std::unordered_map<std::string_view, Touched> touched_;  // executions the batch touched
  std::unordered_set<std::string> new_names_;
  std::unordered_map<std::string_view, std::string_view> task_overlay_;  // id -> owner or ""
  std::unordered_map<std::string, bool> timer_overlay_;                  // NameKey(exec, id)
  std::vector<Execution*> stored_;                                       // per step
};

Result<int64_t> MemoryStore::PutStateMachineVersion(const std::string& machine,
                                                    const std::string& definition,
                                                    const std::string& sha256, int64_t now_ms) {
  std::lock_guard lock(mu_);
  std::vector<StateMachineVersion>& versions = machines_[machine];
  if (!versions.empty() && versions.back().sha256 == sha256) return versions.back().version;
  const int64_t version = static_cast<int64_t>(versions.size()) + 1;
  versions.push_back(StateMachineVersion{machine, version, definition, sha256, now_ms});
  return version;
}

Result<StateMachineVersion> MemoryStore::GetStateMachineVersion(const std::string& machine,
                                                                int64_t version) {
  std::lock_guard lock(mu_);
  auto it = machines_.find(machine);
  if (it == machines_.end() || it->second.empty()) {
    return Status::NotFound("state machine " + machine + " not found");
  }
  const std::vector<StateMachineVersion>& versions = it->second;
  if (version == 0) return versions.back();
  if (version < 0 || version > static_cast<int64_t>(versions.size())) {
    return Status::NotFound("state machine " + machine + " has no version " +
                            std::to_string(version));
  }
  return versions[version - 1];
}

Result<std::vector<std::string>> MemoryStore::ListStateMachines() {
  std::lock_guard lock(mu_);
  std::vector<std::string> names;
  for (const auto& [name, versions] : machines_) names.push_back(name);
  return names;
}

Result<std::vector<StateMachineVersion>> MemoryStore::ListStateMachineVersions(
    const std::string& machine) {
  std::lock_guard lock(mu_);
  auto it = machines_.find(machine);
  if (it == machines_.end()) return Status::NotFound("state machine " + machine + " not found");
  return it->second;
}

Status MemoryStore::DeleteStateMachine(const std::string& machine, bool purge_executions) {
  std::lock_guard lock(mu_);
  if (!machines_.count(machine)) return Status::NotFound("state machine " + machine + " not found");
  int64_t running = 0;
  for (const auto& [id, x] : executions_) {
    if (x.record.machine == machine && x.record.status == kRunning) ++running;
  }
  if (running > 0) {
    return Status::FailedPrecondition("state machine " + machine + " has " +
                                      std::to_string(running) +
                                      " RUNNING execution(s); stop them first");
  }
  for (auto it = executions_.begin(); purge_executions && it != executions_.end();) {
    if (it->second.record.machine != machine) {
      ++it;
      continue;
    }
    for (const auto& [task_id, t] : it->second.tasks) task_owner_.erase(task_id);
    UnlinkParent(it->second.record);
    names_.erase(NameKey(machine, it->second.record.name));
    it = executions_.erase(it);
  }
  machines_.erase(machine);
  tags_.erase(StateMachineTagResource(machine));
  return Status::Ok();
}

Result<ActivityRecord> MemoryStore::PutActivity(const std::string& name, int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = activities_.try_emplace(name, now_ms);
  return ActivityRecord{it->first, it->second};
}

Result<ActivityRecord> MemoryStore::GetActivity(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = activities_.find(name);
  if (it == activities_.end()) return ActivityNotFound(name);
  return ActivityRecord{it->first, it->second};
}

Result<std::vector<ActivityRecord>> MemoryStore::ListActivities() {
  std::lock_guard lock(mu_);
  std::vector<ActivityRecord> out;
  for (const auto& [name, created_ms] : activities_) out.push_back({name, created_ms});
  return out;
}

Result<bool> MemoryStore::DeleteActivity(const std::string& name) {
  std::lock_guard lock(mu_);
  tags_.erase(ActivityTagResource(name));
  return activities_.erase(name) > 0;
}

Status MemoryStore::TagResource(const std::string& resource,
                                const std::vector<std::pair<std::string, std::string>>& tags,
                                size_t max_tags) {
  std::lock_guard lock(mu_);
  std::map<std::string, std::string> updated;
  if (auto it = tags_.find(resource); it != tags_.end()) updated = it->second;
  for (const auto& [key, value] : tags) updated[key] = value;
  if (updated.size() > max_tags) return TooManyTags(resource, updated.size(), max_tags);
  if (!updated.empty()) tags_[resource] = std::move(updated);
  return Status::Ok();
}

Status MemoryStore::UntagResource(const std::string& resource,
                                  const std::vector<std::string>& keys) {
  std::lock_guard lock(mu_);
  auto it = tags_.find(resource);
  if (it == tags_.end()) return Status::Ok();
  for (const std::string& key : keys) it->second.erase(key);
  if (it->second.empty()) tags_.erase(it);
  return Status::Ok();
}

Result<std::vector<std::pair<std::string, std::string>>> MemoryStore::ListTags(
    const std::string& resource) {
  std::lock_guard lock(mu_);
  auto it = tags_.find(resource);
  if (it == tags_.end()) return std::vector<std::pair<std::string, std::string>>();
  return std::vector<std::pair<std::string, std::string>>(it->second.begin(), it->second.end());
}

Result<FunctionVersion> MemoryStore::PutFunctionVersion(const FunctionVersion& request) {
  std::lock_guard lock(mu_);
  std::vector<FunctionVersion>& versions = functions_[request.name];
  if (!versions.empty() && versions.back().kind == request.kind &&
      versions.back().target == request.target && versions.back().config == request.config) {
    FunctionVersion newest = versions.back();
    newest.unchanged = true;
    return newest;
  }
  FunctionVersion added = request;
  added.version = static_cast<int64_t>(versions.size()) + 1;
  added.unchanged = false;
  versions.push_back(added);
  return added;
}

Result<std::vector<FunctionVersion>> MemoryStore::ListFunctionVersions() {
  std::lock_guard lock(mu_);
  std::vector<FunctionVersion> out;
  for (const auto& [name, versions] : functions_) {
    out.insert(out.end(), versions.begin(), versions.end());
  }
  return out;
}

Status MemoryStore::PutFunctionAlias(const FunctionAlias& alias) {
  std::lock_guard lock(mu_);
  auto it = functions_.find(alias.function);
  if (it == functions_.end() || alias.version < 1 ||
      alias.version > static_cast<int64_t>(it->second.size())) {
    return FunctionVersionNotFound(alias.function, alias.version);
  }
  aliases_[{alias.function, alias.alias}] = alias.version;
  return Status::Ok();
}

Result<bool> MemoryStore::RemoveFunctionAlias(const std::string& function,
                                              const std::string& alias) {
  std::lock_guard lock(mu_);
  return aliases_.erase({function, alias}) > 0;
}

Result<std::vector<FunctionAlias>> MemoryStore::ListFunctionAliases() {
  std::lock_guard lock(mu_);
  std::vector<FunctionAlias> out;
  for (const auto& [key, version] : aliases_) out.push_back({key.first, key.second, version});
  return out;
}

Result<bool> MemoryStore::RemoveFunction(const std::string& name) {
  std::lock_guard lock(mu_);
  // (name, "") is the smallest key of the function's aliases.
  for (auto it = aliases_.lower_bound({name, ""});
       it != aliases_.end() && it->first.first == name;) {
    it = aliases_.erase(it);
  }
  deploy_failures_.erase(name);
  auto it = functions_.find(name);
  if (it == functions_.end()) return false;
  const bool existed = !it->second.empty();
  functions_.erase(it);
  return existed;
}

Status MemoryStore::PutIntegration(const std::string& integration, const std::string& function) {
  std::lock_guard lock(mu_);
  integrations_[integration] = function;
  return Status::Ok();
}

Result<bool> MemoryStore::RemoveIntegration(const std::string& integration) {
  std::lock_guard lock(mu_);
  return integrations_.erase(integration) > 0;
}

Result<std::vector<std::pair<std::string, std::string>>> MemoryStore::ListIntegrations() {
  std::lock_guard lock(mu_);
  return std::vector<std::pair<std::string, std::string>>(integrations_.begin(),
                                                          integrations_.end());
}

Status MemoryStore::PutDeployFailure(const DeployFailure& failure) {
  std::lock_guard lock(mu_);
  deploy_failures_[failure.name] = failure;
  return Status::Ok();
}

Status MemoryStore::ClearDeployFailure(const std::string& name) {
  std::lock_guard lock(mu_);
  deploy_failures_.erase(name);
  return Status::Ok();
}

Result<std::vector<DeployFailure>> MemoryStore::ListDeployFailures() {
  std::lock_guard lock(mu_);
  std::vector<DeployFailure> out;
  for (const auto& [name, failure] : deploy_failures_) out.push_back(failure);
  return out;
}

Status MemoryStore::AppendFunctionLogs(const std::vector<FunctionLog>& logs) {
  std::lock_guard lock(mu_);
  for (FunctionLog log : logs) {
    log.id = static_cast<int64_t>(function_logs_.size()) + 1;
    function_logs_.push_back(std::move(log));
  }
  return Status::Ok();
}

Result<std::vector<FunctionLog>> MemoryStore::ListFunctionLogs(const FunctionLogQuery& query) {
  std::lock_guard lock(mu_);
  std::vector<FunctionLog> out;
  for (const FunctionLog& log : function_logs_) {
    if (log.id <= query.after_id) continue;
    if (!query.function.empty() && log.function != query.function) continue;
    if (!query.execution_id.empty() && log.execution_id != query.execution_id) continue;
    if (!query.call.empty() && log.idempotency_key != query.call) continue;
    out.push_back(log);
    if (query.limit > 0 && static_cast<int64_t>(out.size()) == query.limit) break;
  }
  return out;
}

void MemoryStore::LinkParent(const ExecutionRecord& r) {
  if (!r.parent_id.empty()) parent_links_[r.parent_id].insert(r.id);
  if (!r.parent_task.empty()) parent_tasks_[r.parent_task].insert(r.id);
}

void MemoryStore::UnlinkParent(const ExecutionRecord& r) {
  auto unlink = [&](std::unordered_map<std::string, std::set<std::string>>& index,
                    const std::string& key) {
    if (key.empty()) return;
    auto it = index.find(key);
    if (it == index.end()) return;
    it->second.erase(r.id);
    if (it->second.empty()) index.erase(it);
  };
  unlink(parent_links_, r.parent_id);
  unlink(parent_tasks_, r.parent_task);
}

std::vector<ExecutionRecord> MemoryStore::Records(const std::set<std::string>& ids,
                                                  bool with_state) {
  std::vector<ExecutionRecord> out;
  out.reserve(ids.size());
  for (const std::string& id : ids) {
    out.push_back(Find(id)->record);
    if (!with_state) out.back().state.clear();
  }
  std::sort(out.begin(), out.end(), [](const ExecutionRecord& a, const ExecutionRecord& b) {
    return a.start_ms != b.start_ms ? a.start_ms < b.start_ms : a.id < b.id;
  });
  return out;
}

std::string_view MemoryStore::TaskOwner(std::string_view id) const {
  if (auto it = task_overlay_.find(id); it != task_overlay_.end()) return it->second;
  if (auto it = task_owner_.find(std::string(id)); it != task_owner_.end()) return it->second;
  return {};
}

bool MemoryStore::TimerPresent(const Execution* stored, const std::string& execution_id,
                               const std::string& id) const {
  if (!timer_overlay_.empty()) {
    auto it = timer_overlay_.find(NameKey(execution_id, id));
    if (it != timer_overlay_.end()) return it->second;
  }
  return stored != nullptr && stored->timers.count(id) > 0;
}

Status MemoryStore::ValidateStep(const StepCommit& step, Execution*& stored) {
  const ExecutionRecord& ex = step.execution;
  auto [pending, first_touch] = touched_.try_emplace(ex.id);
  stored = Find(ex.id);
  if (step.create) {
    if (!HasVersion(ex.machine, ex.version)) {
      return StateMachineVersionMissing(ex.machine, ex.version);
    }
    if (!first_touch || stored != nullptr) return DuplicateExecutionId(ex.id);
    std::string key = NameKey(ex.machine, ex.name);
    if (names_.count(key) > 0 || !new_names_.insert(std::move(key)).second) {
      return DuplicateExecutionName(ex.machine, ex.name);
    }
  } else {
    Touched current;
    if (!first_touch) {
      current = pending->second;  // as left by this batch's earlier step
    } else if (stored != nullptr) {
      current = {stored->record.next_event_id, stored->record.status == kRunning};
    } else {
      return ExecutionNotFound(ex.id);
    }
    if (FirstEventId(step) != current.next_event_id) {
      return HistoryMismatch(ex.id, current.next_event_id, FirstEventId(step));
    }
    // Reopened (a redrive): its machine version must still be stored.
    if (!current.running && ex.status == kRunning && !HasVersion(ex.machine, ex.version)) {
      return StateMachineVersionMissing(ex.machine, ex.version);
    }
  }
  pending->second = {ex.next_event_id, ex.status == kRunning};

  for (const std::string& id : step.tasks_removed) {
    if (TaskOwner(id) == ex.id) task_overlay_[id] = std::string_view();
  }
  for (const std::string& id : step.timers_removed) {
    if (TimerPresent(stored, ex.id, id)) timer_overlay_[NameKey(ex.id, id)] = false;
  }
  for (const TaskRecord& task : step.tasks_added) {
    if (!TaskOwner(task.id).empty()) return DuplicateTask(task.id);
    task_overlay_[task.id] = ex.id;
  }
  for (const TimerRecord& timer : step.timers_added) {
    if (TimerPresent(stored, ex.id, timer.id)) return DuplicateTimer(ex.id, timer.id);
    timer_overlay_[NameKey(ex.id, timer.id)] = true;
  }
  return Status::Ok();
}

Status MemoryStore::Validate(const std::vector<StepCommit>& steps) {
  touched_.clear();
  new_names_.clear();
  task_overlay_.clear();
  timer_overlay_.clear();
  stored_.resize(steps.size());
  // Shapes first, as the SQLite store does before it touches the database.
  for (const StepCommit& step : steps) STEPFLOW_RETURN_IF_ERROR(CheckStepShape(step));
  for (size_t i = 0; i < steps.size(); ++i) {
    STEPFLOW_RETURN_IF_ERROR(ValidateStep(steps[i], stored_[i]));
  }
  return Status::Ok();
}

void MemoryStore::Apply(const StepCommit& step, Execution* e) {
  const ExecutionRecord& ex = step.execution;
  if (step.create) {
    e = &executions_[ex.id];
    e->record = ex;
    names_.emplace(NameKey(ex.machine, ex.name), ex.id);
    LinkParent(ex);
  } else {
    if (e == nullptr) e = Find(ex.id);  // created earlier in this batch
    ExecutionRecord& r = e->record;
    r.status = ex.status;
    r.output = ex.output;
    r.error = ex.error;
    r.cause = ex.cause;
    r.state = ex.state;
    r.next_event_id = ex.next_event_id;
    r.redrive_count = ex.redrive_count;
    r.stop_ms = ex.stop_ms;
    r.redrive_ms = ex.redrive_ms;
    if (r.parent_task != ex.parent_task) {
      UnlinkParent(r);
      r.parent_task = ex.parent_task;
      LinkParent(r);
    }
  }
  if (!step.events.empty()) e->history.Append(step.events);
  if (ex.state.empty()) e->parts.clear();
  for (const auto& [key, data] : step.parts_put) e->parts[key] = data;
  for (const std::string& id : step.tasks_removed) {
    if (e->tasks.erase(id) > 0) task_owner_.erase(id);
  }
  for (const std::string& id : step.timers_removed) e->timers.erase(id);
  for (const TaskRecord& task : step.tasks_added) {
    TaskRecord& t = e->tasks[task.id] = task;
    t.execution_id = ex.id;
    task_owner_.emplace(task.id, ex.id);
  }
  for (const TimerRecord& timer : step.timers_added) {
    TimerRecord& t = e->timers[timer.id] = timer;
    t.execution_id = ex.id;
  }
}

Status MemoryStore::Commit(const std::vector<StepCommit>& steps) {
  std::lock_guard lock(mu_);
  STEPFLOW_RETURN_IF_ERROR(Validate(steps));
  std::vector<const TriggerOccurrence*> occurrences;
  for (const StepCommit& step : steps) {
    for (const TriggerOccurrence& o : step.occurrences) occurrences.push_back(&o);
  }
  STEPFLOW_RETURN_IF_ERROR(CheckNewOccurrences(occurrences, /*replace_unstarted=*/true));
  for (size_t i = 0; i < steps.size(); ++i) Apply(steps[i], stored_[i]);
  for (const TriggerOccurrence* o : occurrences) occurrences_[{o->trigger, o->key}] = *o;
  return Status::Ok();
}

Status MemoryStore::CheckNewOccurrences(const std::vector<const TriggerOccurrence*>& batch,
                                        bool replace_unstarted) const {
  std::set<std::pair<std::string, std::string>> seen;
  for (const TriggerOccurrence* o : batch) {
    std::pair<std::string, std::string> key{o->trigger, o->key};
    auto it = occurrences_.find(key);
    bool taken = it != occurrences_.end() &&
                 (!replace_unstarted || it->second.outcome == "STARTED");
    if (taken || !seen.insert(key).second) {
      return OccurrenceRecorded(o->trigger, o->key);
    }
  }
  return Status::Ok();
}

Status MemoryStore::PutTrigger(const TriggerRecord& trigger) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = triggers_.try_emplace(trigger.name, trigger);
  if (!inserted) {
    const int64_t created = it->second.created_ms;
    it->second = trigger;
    it->second.created_ms = created;
  }
  return Status::Ok();
}

Result<TriggerRecord> MemoryStore::GetTrigger(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = triggers_.find(name);
  if (it == triggers_.end()) return TriggerNotFound(name);
  return it->second;
}

Result<std::vector<TriggerRecord>> MemoryStore::ListTriggers() {
  std::lock_guard lock(mu_);
  std::vector<TriggerRecord> out;
  for (const auto& [name, t] : triggers_) out.push_back(t);
  return out;
}

Result<bool> MemoryStore::DeleteTrigger(const std::string& name) {
  std::lock_guard lock(mu_);
  const bool existed = triggers_.erase(name) > 0;
  std::erase_if(occurrences_, [&](const auto& entry) { return entry.first.first == name; });
  return existed;
}

Status MemoryStore::RecordOccurrences(const std::vector<TriggerOccurrence>& occurrences) {
  std::lock_guard lock(mu_);
  std::vector<const TriggerOccurrence*> batch;
  for (const TriggerOccurrence& o : occurrences) batch.push_back(&o);
  STEPFLOW_RETURN_IF_ERROR(CheckNewOccurrences(batch, /*replace_unstarted=*/false));
  for (const TriggerOccurrence& o : occurrences) occurrences_[{o.trigger, o.key}] = o;
  return Status::Ok();
}

Result<std::map<std::string, int64_t>> MemoryStore::CountOccurrences(const std::string& trigger) {
  std::lock_guard lock(mu_);
  std::map<std::string, int64_t> out;
  for (auto it = occurrences_.lower_bound({trigger, ""});
       it != occurrences_.end() && it->first.first == trigger; ++it) {
    ++out[it->second.outcome];
  }
  return out;
}

Result<std::vector<TriggerOccurrence>> MemoryStore::ListOccurrences(const std::string& trigger,
                                                                   int64_t limit) {
  std::lock_guard lock(mu_);
  std::vector<TriggerOccurrence> out;
  for (auto it = occurrences_.lower_bound({trigger, ""});
       it != occurrences_.end() && it->first.first == trigger; ++it) {
    out.push_back(it->second);
  }
  std::sort(out.begin(), out.end(), [](const TriggerOccurrence& a, const TriggerOccurrence& b) {
    return a.scheduled_ms != b.scheduled_ms ? a.scheduled_ms > b.scheduled_ms : a.key > b.key;
  });
  if (limit > 0 && static_cast<int64_t>(out.size()) > limit) out.resize(static_cast<size_t>(limit));
  return out;
}

Result<std::optional<TriggerOccurrence>> MemoryStore::FindOccurrence(const std::string& trigger,
                                                                    const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = occurrences_.find({trigger, key});
  if (it == occurrences_.end()) return std::optional<TriggerOccurrence>();
  return std::optional<TriggerOccurrence>(it->second);
}

Result<std::vector<std::pair<std::string, std::string>>> MemoryStore::GetCheckpointParts(
    const std::string& execution_id) {
  std::lock_guard lock(mu_);
  const Execution* e = Find(execution_id);
  if (e == nullptr) return ExecutionNotFound(execution_id);
  return std::vector<std::pair<std::string, std::string>>(e->parts.begin(), e->parts.end());
}

Result<ExecutionRecord> MemoryStore::GetExecution(const std::string& id) {
  std::lock_guard lock(mu_);
  const Execution* e = Find(id);
  if (e == nullptr) return ExecutionNotFound(id);
  return e->record;
}

Result<std::optional<ExecutionRecord>> MemoryStore::FindExecutionByName(const std::string& machine,
                                                                        const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = names_.find(NameKey(machine, name));
  if (it == names_.end()) return std::optional<ExecutionRecord>();
  return std::optional<ExecutionRecord>(Find(it->second)->record);
}

Result<std::vector<ExecutionCount>> MemoryStore::CountExecutions() {
  std::lock_guard lock(mu_);
  std::map<std::pair<std::string, std::string>, int64_t> counts;
  for (const auto& [id, e] : executions_) ++counts[{e.record.machine, e.record.status}];
  std::vector<ExecutionCount> out;
  for (const auto& [key, n] : counts) out.push_back({key.first, key.second, n});
  return out;
}

Result<std::vector<ExecutionRecord>> MemoryStore::ListExecutions(const ExecutionFilter& filter) {
  std::lock_guard lock(mu_);
  // Whether `a` comes before `b` in the list's order.
  auto before = [newest_first = filter.newest_first](const ExecutionRecord* a,
                                                     const ExecutionRecord* b) {
    if (newest_first) std::swap(a, b);
    return a->start_ms != b->start_ms ? a->start_ms < b->start_ms : a->id < b->id;
  };
  const ExecutionRecord* cursor = nullptr;
  if (!filter.after_id.empty()) {
    const Execution* e = Find(filter.after_id);
    if (e == nullptr) return UnknownPagingCursor(filter.after_id);
    cursor = &e->record;
  }
  std::vector<const ExecutionRecord*> matches;
  for (const auto& [id, e] : executions_) {
    const ExecutionRecord& r = e.record;
    if (!filter.machine.empty() && r.machine != filter.machine) continue;
    if (!filter.status.empty() && r.status != filter.status) continue;
    if (cursor != nullptr && !before(cursor, &r)) continue;
    matches.push_back(&r);
  }
  const size_t limit = filter.limit > 0 ? static_cast<size_t>(filter.limit) : matches.size();
  const size_t n = std::min(limit, matches.size());
  std::partial_sort(matches.begin(), matches.begin() + n, matches.end(), before);
  std::vector<ExecutionRecord> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    ExecutionRecord r = *matches[i];
    r.state.clear();  // List* omits the checkpoint
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<ExecutionRecord>> MemoryStore::ListUnfinished() {
  std::lock_guard lock(mu_);
  std::vector<ExecutionRecord> out;
  for (const auto& [id, e] : executions_) {
    if (e.record.status == kRunning) out.push_back(e.record);
  }
  std::sort(out.begin(), out.end(), [](const ExecutionRecord& a, const ExecutionRecord& b) {
    return a.start_ms != b.start_ms ? a.start_ms < b.start_ms : a.id < b.id;
  });
  return out;
}

Result<std::optional<ExecutionRecord>> MemoryStore::FindExecutionByParentTask(
    const std::string& task_key) {
  std::lock_guard lock(mu_);
  auto it = parent_tasks_.find(task_key);
  if (it == parent_tasks_.end()) return std::optional<ExecutionRecord>();
  // Normally one; with several, the first by start time then id (as SQLite).
  std::vector<ExecutionRecord> records = Records(it->second, true);
  return std::optional<ExecutionRecord>(std::move(records.front()));
}

Result<std::vector<ExecutionRecord>> MemoryStore::ListChildExecutions(
    const std::string& parent_id) {
  std::lock_guard lock(mu_);
  auto it = parent_links_.find(parent_id);
  if (it == parent_links_.end()) return std::vector<ExecutionRecord>();
  return Records(it->second, false);
}

Result<std::vector<HistoryEvent>> MemoryStore::GetHistory(const std::string& execution_id,
                                                          const HistoryQuery& query) {
  std::lock_guard lock(mu_);
  const Execution* e = Find(execution_id);
  if (e == nullptr) return ExecutionNotFound(execution_id);
  // Ids are dense from 1 (Commit checks it): event id n is at index n - 1.
  const PackedHistory& h = e->history;
  const int64_t size = static_cast<int64_t>(h.size());
  const int64_t limit = query.limit > 0 ? query.limit : size;
  std::vector<HistoryEvent> out;
  if (!query.reverse) {
    // Events with id > after_event_id.
    for (int64_t i = std::max<int64_t>(query.after_event_id, 0);
         i < size && static_cast<int64_t>(out.size()) < limit; ++i) {
      out.push_back(h.At(i));
    }
  } else {
    // Events with id < after_event_id (all when 0), newest first.
    int64_t end = query.after_event_id > 0 ? std::min(query.after_event_id - 1, size) : size;
    for (int64_t i = end - 1; i >= 0 && static_cast<int64_t>(out.size()) < limit; --i) {
      out.push_back(h.At(i));
    }
  }
  return out;
}

Result<std::vector<TaskRecord>> MemoryStore::ListTasks(const std::string& execution_id) {
  std::lock_guard lock(mu_);
  const Execution* e = Find(execution_id);
  if (e == nullptr) return ExecutionNotFound(execution_id);
  std::vector<TaskRecord> out;
  for (const auto& [id, task] : e->tasks) out.push_back(task);
  return out;
}

Result<std::vector<TimerRecord>> MemoryStore::ListTimers(const std::string& execution_id) {
  std::lock_guard lock(mu_);
  const Execution* e = Find(execution_id);
  if (e == nullptr) return ExecutionNotFound(execution_id);
  std::vector<TimerRecord> out;
  for (const auto& [id, timer] : e->timers) out.push_back(timer);
  return out;
}

}  // namespace

std::unique_ptr<Store> NewMemoryStore() { return std::make_unique<MemoryStore>(); }

}  // namespace stepflow::store
