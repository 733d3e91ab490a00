// Checks and error messages shared by the Store implementations, so every
// backend rejects the same StepCommits with the same Status (the shared
// suite in tests/unit/store/ holds them to it).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "engine/common/status.h"
#include "engine/store/store.h"

namespace stepflow::store {

// The event id the stored history must continue from for `step` to apply:
// the first new event's id, or the execution's next_event_id when the step
// appends no events.
inline int64_t FirstEventId(const StepCommit& step) {
  return step.events.empty() ? step.execution.next_event_id : step.events.front().id;
}

// What can be checked without looking at stored data: a non-empty execution
// id, dense event ids, execution.next_event_id one past the last new event,
// and tasks and timers that belong to the step's execution (an empty
// execution_id in a TaskRecord or TimerRecord means "this execution").
inline Status CheckStepShape(const StepCommit& step) {
  const ExecutionRecord& ex = step.execution;
  if (ex.id.empty()) return Status::InvalidArgument("StepCommit without an execution id");
  const int64_t first = FirstEventId(step);
  for (size_t i = 0; i < step.events.size(); ++i) {
    if (step.events[i].id != first + static_cast<int64_t>(i)) {
      return Status::FailedPrecondition("execution " + ex.id +
                                        ": event ids of a step must be dense; " +
                                        std::to_string(step.events[i].id) + " follows " +
                                        std::to_string(first + static_cast<int64_t>(i) - 1));
    }
  }
  const int64_t next = first + static_cast<int64_t>(step.events.size());
  if (ex.next_event_id != next) {
    return Status::FailedPrecondition("execution " + ex.id + ": next_event_id is " +
                                      std::to_string(ex.next_event_id) +
                                      " but the step's events end at " + std::to_string(next - 1));
  }
  if (step.create && first != 1) {
    return Status::FailedPrecondition("execution " + ex.id +
                                      ": a new execution's history starts at event 1, not " +
                                      std::to_string(first));
  }
  for (const TaskRecord& task : step.tasks_added) {
    if (task.id.empty())
      return Status::InvalidArgument("execution " + ex.id + ": task without an id");
    if (task.id.compare(0, ex.id.size() + 1, ex.id + "/") != 0) {
      return Status::InvalidArgument("task " + task.id + " of execution " + ex.id +
                                     ": a task id must start with \"" + ex.id + "/\"");
    }
    if (!task.execution_id.empty() && task.execution_id != ex.id) {
      return Status::InvalidArgument("task " + task.id + " belongs to execution " +
                                     task.execution_id + ", not " + ex.id);
    }
  }
  for (const TimerRecord& timer : step.timers_added) {
    if (timer.id.empty())
      return Status::InvalidArgument("execution " + ex.id + ": timer without an id");
    if (!timer.execution_id.empty() && timer.execution_id != ex.id) {
      return Status::InvalidArgument("timer " + timer.id + " belongs to execution " +
                                     timer.execution_id + ", not " + ex.id);
    }
  }
  return Status::Ok();
}

inline Status DuplicateExecutionId(const std::string& id) {
  return Status(StatusCode::kAlreadyExists, "execution " + id + " already exists");
}

inline Status DuplicateExecutionName(const std::string& machine, const std::string& name) {
  return Status(StatusCode::kAlreadyExists,
                "state machine " + machine + " already has an execution named " + name);
}

// A step creating or reopening (redriving) an execution whose (machine,
// version) is not stored: the machine was deleted meanwhile.
inline Status StateMachineVersionMissing(const std::string& machine, int64_t version) {
  return Status::NotFound("state machine '" + machine + "' version " + std::to_string(version) +
                          " does not exist (deleted?)");
}

inline Status ExecutionNotFound(const std::string& id) {
  return Status::NotFound("execution " + id + " not found");
}

inline Status HistoryMismatch(const std::string& id, int64_t stored_next, int64_t first) {
  return Status::FailedPrecondition("execution " + id + ": stored history continues at event " +
                                    std::to_string(stored_next) + ", the step starts at event " +
                                    std::to_string(first));
}

inline Status DuplicateTask(const std::string& id) {
  return Status(StatusCode::kAlreadyExists, "task " + id + " already exists");
}

inline Status DuplicateTimer(const std::string& execution_id, const std::string& id) {
  return Status(StatusCode::kAlreadyExists,
                "execution " + execution_id + " already has a timer " + id);
}

inline Status UnknownPagingCursor(const std::string& after_id) {
  return Status::InvalidArgument("ListExecutions: after_id " + after_id +
                                 " is not a stored execution");
}

inline Status ActivityNotFound(const std::string& name) {
  return Status::NotFound("activity " + name + " not found");
}

inline Status TriggerNotFound(const std::string& name) {
  return Status::NotFound("trigger " + name + " not found");
}

inline Status OccurrenceRecorded(const std::string& trigger, const std::string& key) {
  return Status(StatusCode::kAlreadyExists,
                "occurrence " + key + " of trigger " + trigger + " is already recorded");
}

inline Status TooManyTags(const std::string& resource, size_t count, size_t max_tags) {
  return Status(StatusCode::kResourceExhausted, resource + " would have " + std::to_string(count) +
                                                    " tags; at most " + std::to_string(max_tags) +
                                                    " are allowed");
}

inline Status FunctionVersionNotFound(const std::string& function, int64_t version) {
  return Status::NotFound("function " + function + " has no version " + std::to_string(version));
}

}  // namespace stepflow::store
