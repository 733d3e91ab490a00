// A store::Store that forwards every call to another one: the base of the
// CLI's decorators (the server's execution log observes Commit; `exec stop`
// in embedded mode restores one execution by narrowing ListUnfinished).
// Thread-safety: as the inner store's.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/store/store.h"

namespace stepflow::cli {

class ForwardingStore : public store::Store {
 public:
  explicit ForwardingStore(std::unique_ptr<store::Store> inner) : inner_(std::move(inner)) {}

  store::Store& inner() { return *inner_; }

  using ActivityRecord = store::ActivityRecord;
  using DeployFailure = store::DeployFailure;
  using ExecutionFilter = store::ExecutionFilter;
  using ExecutionRecord = store::ExecutionRecord;
  using FunctionAlias = store::FunctionAlias;
  using FunctionLog = store::FunctionLog;
  using FunctionLogQuery = store::FunctionLogQuery;
  using FunctionVersion = store::FunctionVersion;
  using HistoryEvent = store::HistoryEvent;
  using HistoryQuery = store::HistoryQuery;
  using StateMachineVersion = store::StateMachineVersion;
  using StepCommit = store::StepCommit;
  using TaskRecord = store::TaskRecord;
  using TimerRecord = store::TimerRecord;

  Result<int64_t> PutStateMachineVersion(const std::string& machine, const std::string& definition,
                                         const std::string& sha256, int64_t now_ms) override {
    return inner_->PutStateMachineVersion(machine, definition, sha256, now_ms);
  }
  Result<StateMachineVersion> GetStateMachineVersion(const std::string& machine,
                                                     int64_t version) override {
    return inner_->GetStateMachineVersion(machine, version);
  }
  Result<std::vector<std::string>> ListStateMachines() override {
    return inner_->ListStateMachines();
  }
  Result<std::vector<StateMachineVersion>> ListStateMachineVersions(
      const std::string& machine) override {
    return inner_->ListStateMachineVersions(machine);
  }
  Status DeleteStateMachine(const std::string& machine, bool purge_executions) override {
    return inner_->DeleteStateMachine(machine, purge_executions);
  }
  Result<ActivityRecord> PutActivity(const std::string& name, int64_t now_ms) override {
    return inner_->PutActivity(name, now_ms);
  }
  Result<ActivityRecord> GetActivity(const std::string& name) override {
    return inner_->GetActivity(name);
  }
  Result<std::vector<ActivityRecord>> ListActivities() override { return inner_->ListActivities(); }
  Result<bool> DeleteActivity(const std::string& name) override {
    return inner_->DeleteActivity(name);
  }
  Status TagResource(const std::string& resource,
                     const std::vector<std::pair<std::string, std::string>>& tags,
                     size_t max_tags) override {
    return inner_->TagResource(resource, tags, max_tags);
  }
  Status UntagResource(const std::string& resource, const std::vector<std::string>& keys) override {
    return inner_->UntagResource(resource, keys);
  }
  Result<std::vector<std::pair<std::string, std::string>>> ListTags(
      const std::string& resource) override {
    return inner_->ListTags(resource);
  }
  Result<FunctionVersion> PutFunctionVersion(const FunctionVersion& version) override {
    return inner_->PutFunctionVersion(version);
  }
  Result<std::vector<FunctionVersion>> ListFunctionVersions() override {
    return inner_->ListFunctionVersions();
  }
  Status PutFunctionAlias(const FunctionAlias& alias) override {
    return inner_->PutFunctionAlias(alias);
  }
  Result<bool> RemoveFunctionAlias(const std::string& function, const std::string& alias) override {
    return inner_->RemoveFunctionAlias(function, alias);
  }
  Result<std::vector<FunctionAlias>> ListFunctionAliases() override {
    return inner_->ListFunctionAliases();
  }
  Result<bool> RemoveFunction(const std::string& name) override {
    return inner_->RemoveFunction(name);
  }
  Status PutIntegration(const std::string& integration, const std::string& function) override {
    return inner_->PutIntegration(integration, function);
  }
  Result<bool> RemoveIntegration(const std::string& integration) override {
    return inner_->RemoveIntegration(integration);
  }
  Result<std::vector<std::pair<std::string, std::string>>> ListIntegrations() override {
    return inner_->ListIntegrations();
  }
  Status PutDeployFailure(const DeployFailure& failure) override {
    return inner_->PutDeployFailure(failure);
  }
  Status ClearDeployFailure(const std::string& name) override {
    return inner_->ClearDeployFailure(name);
  }
  Result<std::vector<DeployFailure>> ListDeployFailures() override {
    return inner_->ListDeployFailures();
  }
  Status AppendFunctionLogs(const std::vector<FunctionLog>& logs) override {
    return inner_->AppendFunctionLogs(logs);
  }
  Result<std::vector<FunctionLog>> ListFunctionLogs(const FunctionLogQuery& query) override {
    return inner_->ListFunctionLogs(query);
  }
  Status Commit(const std::vector<StepCommit>& steps) override { return inner_->Commit(steps); }
  Result<std::vector<std::pair<std::string, std::string>>> GetCheckpointParts(
      const std::string& execution_id) override {
    return inner_->GetCheckpointParts(execution_id);
  }
  Result<ExecutionRecord> GetExecution(const std::string& id) override {
    return inner_->GetExecution(id);
  }
  Result<std::optional<ExecutionRecord>> FindExecutionByName(const std::string& machine,
                                                             const std::string& name) override {
    return inner_->FindExecutionByName(machine, name);
  }
  Result<std::vector<ExecutionRecord>> ListExecutions(const ExecutionFilter& filter) override {
    return inner_->ListExecutions(filter);
  }
  Result<std::vector<store::ExecutionCount>> CountExecutions() override {
    return inner_->CountExecutions();
  }
  Status PutTrigger(const store::TriggerRecord& trigger) override {
    return inner_->PutTrigger(trigger);
  }
  Result<store::TriggerRecord> GetTrigger(const std::string& name) override {
    return inner_->GetTrigger(name);
  }
  Result<std::vector<store::TriggerRecord>> ListTriggers() override {
    return inner_->ListTriggers();
  }
  Result<bool> DeleteTrigger(const std::string& name) override {
    return inner_->DeleteTrigger(name);
  }
  Status RecordOccurrences(const std::vector<store::TriggerOccurrence>& occurrences) override {
    return inner_->RecordOccurrences(occurrences);
  }
  Result<std::vector<store::TriggerOccurrence>> ListOccurrences(const std::string& trigger,
                                                                int64_t limit) override {
    return inner_->ListOccurrences(trigger, limit);
  }
  Result<std::map<std::string, int64_t>> CountOccurrences(const std::string& trigger) override {
    return inner_->CountOccurrences(trigger);
  }
  Result<std::optional<store::TriggerOccurrence>> FindOccurrence(const std::string& trigger,
                                                                 const std::string& key) override {
    return inner_->FindOccurrence(trigger, key);
  }
  Result<std::vector<ExecutionRecord>> ListUnfinished() override {
    return inner_->ListUnfinished();
  }
  Result<std::optional<ExecutionRecord>> FindExecutionByParentTask(
      const std::string& task_key) override {
    return inner_->FindExecutionByParentTask(task_key);
  }
  Result<std::vector<ExecutionRecord>> ListChildExecutions(const std::string& parent_id) override {
    return inner_->ListChildExecutions(parent_id);
  }
  Result<std::vector<HistoryEvent>> GetHistory(const std::string& execution_id,
                                               const HistoryQuery& query) override {
    return inner_->GetHistory(execution_id, query);
  }
  Result<std::vector<TaskRecord>> ListTasks(const std::string& execution_id) override {
    return inner_->ListTasks(execution_id);
  }
  Result<std::vector<TimerRecord>> ListTimers(const std::string& execution_id) override {
    return inner_->ListTimers(execution_id);
  }

 private:
  std::unique_ptr<store::Store> inner_;
};

}  // namespace stepflow::cli
