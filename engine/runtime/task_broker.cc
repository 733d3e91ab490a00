#include "engine/runtime/task_broker.h"

#include <algorithm>

namespace stepflow::runtime {

void TaskBroker::Unqueue(const std::string& activity, const std::string& token) {
  auto q = queues_.find(activity);
  if (q == queues_.end()) return;
  std::erase_if(q->second, [&](const ActivityTask& t) { return t.token == token; });
  if (q->second.empty()) queues_.erase(q);
}

void TaskBroker::Expect(const std::string& token, WaitingTask task) {
  std::lock_guard lock(mu_);
  tokens_[token] = Entry{std::move(task), {}};
}

void TaskBroker::Enqueue(const std::string& activity, ActivityTask task) {
  std::lock_guard lock(mu_);
  tokens_[task.token] = Entry{{task.execution_id, task.task_id}, activity};
  queues_[activity].push_back(std::move(task));
  cv_.notify_all();
}

void TaskBroker::Forget(const std::string& token) {
  std::lock_guard lock(mu_);
  auto it = tokens_.find(token);
  if (it == tokens_.end()) return;
  if (!it->second.activity.empty()) {
    Unqueue(it->second.activity, token);
  }
  tokens_.erase(it);
}

void TaskBroker::ForgetExecution(const std::string& execution_id) {
  std::lock_guard lock(mu_);
  for (auto it = tokens_.begin(); it != tokens_.end();) {
    if (it->second.task.execution_id != execution_id) {
      ++it;
      continue;
    }
    if (!it->second.activity.empty()) Unqueue(it->second.activity, it->first);
    it = tokens_.erase(it);
  }
}

std::optional<ActivityTask> TaskBroker::Poll(const std::string& activity,
                                             std::chrono::milliseconds wait,
                                             const std::function<bool()>& cancelled) {
  const auto until = std::chrono::steady_clock::now() + wait;
  std::unique_lock lock(mu_);
  while (!closed_) {
    auto q = queues_.find(activity);
    if (q != queues_.end() && !q->second.empty()) {
      ActivityTask task = std::move(q->second.front());
      q->second.pop_front();
      if (q->second.empty()) queues_.erase(q);
      return task;  // the token stays valid until the task completes
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= until || (cancelled && cancelled())) break;
    cv_.wait_for(lock, std::min<std::chrono::steady_clock::duration>(
                           until - now, std::chrono::milliseconds(200)));
  }
  return std::nullopt;
}

std::optional<WaitingTask> TaskBroker::Take(const std::string& token) {
  std::lock_guard lock(mu_);
  auto it = tokens_.find(token);
  if (it == tokens_.end()) return std::nullopt;
  WaitingTask task = std::move(it->second.task);
  if (!it->second.activity.empty()) {  // completed before anyone polled it
    Unqueue(it->second.activity, token);
  }
  tokens_.erase(it);
  return task;
}

std::optional<WaitingTask> TaskBroker::Find(const std::string& token) {
  std::lock_guard lock(mu_);
  auto it = tokens_.find(token);
  if (it == tokens_.end()) return std::nullopt;
  return it->second.task;
}

void TaskBroker::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  cv_.notify_all();
}

size_t TaskBroker::size() const {
  std::lock_guard lock(mu_);
  return tokens_.size();
}

}  // namespace stepflow::runtime
