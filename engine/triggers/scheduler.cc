#include "engine/triggers/scheduler.h"

#include <algorithm>
#include <limits>

namespace stepflow::triggers {

namespace {

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
constexpr size_t kMaxDueScan = 2'000'000;  // occurrences looked at per trigger and pass
constexpr int64_t kMaxSleepMs = 1000;      // a wall-clock jump is noticed within this
constexpr size_t kMaxDelays = 200'000;     // SchedulerStats::delays_ms kept

}  // namespace

struct Scheduler::Entry {
  std::shared_ptr<const CompiledTrigger> trigger;
  int64_t cursor_s = 0;            // the latest scheduled time dealt with
  int64_t next_fire_ms = kNever;   // of the next occurrence after the cursor; its key in queue_
  std::vector<std::string> running;  // executions started that may still run
  std::set<std::string> pending;     // started, not answered yet
  std::deque<int64_t> buffer;        // overlapping occurrences kept
  std::optional<int64_t> remaining;

  const std::string& name() const { return trigger->spec.name; }
};

struct Scheduler::Answer {
  std::string trigger;
  std::string execution_id;
  int64_t fire_ms = 0;
  int64_t answered_ms = 0;
  Status status;
  bool scheduled = false;  // counted against remainingRuns
};

Scheduler::Scheduler(store::Store* store, runtime::Executor* executor, runtime::Clock* clock,
                     SchedulerOptions options)
    : store_(store), executor_(executor), clock_(clock), options_(std::move(options)) {}

Scheduler::~Scheduler() { Stop(); }

Status Scheduler::Start() {
  STEPFLOW_RETURN_IF_ERROR(LoadAll());
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

Status Scheduler::LoadAll() {
  STEPFLOW_ASSIGN_OR_RETURN(auto triggers, store_->ListTriggers());
  for (const store::TriggerRecord& t : triggers) {
    if (auto e = Load(t.name)) Add(std::move(e));
  }
  return Status::Ok();
}

void Scheduler::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Scheduler::Reload(const std::string& name) {
  {
    std::lock_guard lock(mu_);
    reloads_.insert(name);
  }
  cv_.notify_all();
}

bool Scheduler::WaitForStarts(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return in_flight_ == 0; });
}

SchedulerStats Scheduler::Stats(bool reset_delays) {
  std::lock_guard lock(mu_);
  SchedulerStats out = stats_;
  if (reset_delays) stats_.delays_ms.clear();
  return out;
}

void Scheduler::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const int64_t wake = NextWakeMs();
    const int64_t now = clock_->NowMs();
    if (wake > now && reloads_.empty() && results_.empty()) {
      const int64_t sleep = std::min(wake - now, kMaxSleepMs);
      cv_.wait_for(lock, std::chrono::milliseconds(sleep),
                   [this] { return stopping_ || !reloads_.empty() || !results_.empty(); });
      continue;
    }
    lock.unlock();
    RunOnce();
    lock.lock();
  }
}

void Scheduler::RunOnce() {
  const int64_t now = clock_->NowMs();
  ApplyResults();
  ApplyReloads();
  while (!queue_.empty() && queue_.begin()->first <= now) {
    std::string name = queue_.begin()->second;
    queue_.erase(queue_.begin());
    Entry& e = *entries_.at(name);
    Due(e, now);
    Queue(e);
  }
  if (!buffered_.empty() && now >= last_drain_ms_ + options_.poll_ms) {
    last_drain_ms_ = now;
    DrainBuffers(now);
  }
  std::lock_guard lock(mu_);
  stats_.triggers = static_cast<int64_t>(entries_.size());
  int64_t waiting = 0;
  for (const std::string& name : buffered_) waiting += entries_.at(name)->buffer.size();
  stats_.buffered = waiting;
}

int64_t Scheduler::NextWakeMs() const {
  int64_t wake = queue_.empty() ? kNever : queue_.begin()->first;
  if (!buffered_.empty()) wake = std::min(wake, last_drain_ms_ + options_.poll_ms);
  return wake;
}

void Scheduler::Add(std::unique_ptr<Entry> e) {
  Queue(*e);
  const std::string name = e->name();
  entries_[name] = std::move(e);
}

void Scheduler::Queue(Entry& e) {
  e.next_fire_ms = kNever;
  std::vector<int64_t> next = e.trigger->Occurrences(e.cursor_s, 1);
  if (next.empty()) return;  // the schedule has ended
  e.next_fire_ms = e.trigger->FireMs(next[0]);
  queue_.insert({e.next_fire_ms, e.name()});
}

std::unique_ptr<Scheduler::Entry> Scheduler::Load(const std::string& name) {
  auto record = store_->GetTrigger(name);
  if (!record.ok()) {
    if (record.status().code() != StatusCode::kNotFound) Log("trigger " + name + ": " + record.status().message());
    return nullptr;
  }
  if (record->paused) return nullptr;
  auto description = ParseJsonData(record->spec);
  if (!description.ok()) {
    Log("trigger " + name + ": its stored description is unusable: " + description.status().message());
    return nullptr;
  }
  auto spec = ParseTriggerSpec(*description);
  if (!spec.ok()) {
    Log("trigger " + name + ": " + spec.status().message());
    return nullptr;
  }
  if (spec->webhook) return nullptr;
  auto compiled = CompiledTrigger::Compile(std::move(*spec));
  if (!compiled.ok()) {
    Log("trigger " + name + ": " + compiled.status().message());
    return nullptr;
  }
  auto e = std::make_unique<Entry>();
  e->trigger = std::move(*compiled);
  auto recent = store_->ListOccurrences(name, static_cast<int64_t>(options_.recent_occurrences));
  e->cursor_s = LastDealtWith(*record, recent.ok() ? *recent : std::vector<store::TriggerOccurrence>{});
  if (recent.ok()) {
    for (const store::TriggerOccurrence& o : *recent) {
      if (o.outcome == kStarted && !o.execution_id.empty()) e->running.push_back(o.execution_id);
    }
  }
  if (e->trigger->spec.remaining_runs) {
    int64_t started = 0;
    auto all = store_->ListOccurrences(name, 0);
    if (all.ok()) {
      for (const store::TriggerOccurrence& o : *all) {
        started += o.outcome == kStarted && o.recorded_ms >= record->updated_ms &&
                   ScheduledSecondsOfKey(o.key).has_value() &&
                   o.detail != kBackfillDetail;
      }
    }
    e->remaining = std::max<int64_t>(0, *e->trigger->spec.remaining_runs - started);
  }
  return e;
}

void Scheduler::ApplyReloads() {
  std::set<std::string> names;
  {
    std::lock_guard lock(mu_);
    names.swap(reloads_);
  }
  for (const std::string& name : names) {
    if (auto it = entries_.find(name); it != entries_.end()) {
      queue_.erase({it->second->next_fire_ms, name});
      entries_.erase(it);
      buffered_.erase(name);
    }
    if (auto e = Load(name)) Add(std::move(e));
  }
}

void Scheduler::ApplyResults() {
  std::vector<Answer> results;
  {
    std::lock_guard lock(mu_);
    results.swap(results_);
  }
  for (Answer& r : results) {
    auto it = entries_.find(r.trigger);
    Entry* e = it == entries_.end() ? nullptr : it->second.get();
    if (e != nullptr) e->pending.erase(r.execution_id);
    std::lock_guard lock(mu_);
    if (r.status.ok()) {
      ++stats_.started;
      // The latest delays only: a server firing for months keeps a bounded list.
      if (stats_.delays_ms.size() >= kMaxDelays) {
        stats_.delays_ms.erase(stats_.delays_ms.begin(),
                               stats_.delays_ms.begin() + kMaxDelays / 2);
      }
      stats_.delays_ms.push_back(r.answered_ms - r.fire_ms);
      continue;
    }
    ++stats_.failed;
    if (e != nullptr) {
      std::erase(e->running, r.execution_id);
      if (r.scheduled && e->remaining) ++*e->remaining;  // a start that failed does not count
    }
  }
}

void Scheduler::Due(Entry& e, int64_t now_ms) {
  const CompiledTrigger& t = *e.trigger;
  // Every occurrence whose fire time has come, split into the ones on time
  // and the missed ones (at most kMaxDueScan looked at; the rest counted).
  std::vector<int64_t> on_time, missed;
  int64_t missed_uncounted = 0;  // missed ones not kept in `missed`
  size_t scanned = 0;
  int64_t last_due = e.cursor_s;
  bool more = true;
  while (more && scanned < kMaxDueScan) {
    std::vector<int64_t> batch = t.Occurrences(last_due, 512);
    if (batch.empty()) break;
    for (int64_t s : batch) {
      if (t.FireMs(s) > now_ms) {
        more = false;
        break;
      }
      ++scanned;
      last_due = s;
      if (now_ms - t.FireMs(s) <= options_.grace_ms) {
        on_time.push_back(s);
      } else {
        missed.push_back(s);
        if (missed.size() > 100'000) {  // only the newest are ever started or listed
          missed.erase(missed.begin(), missed.begin() + 50'000);
          missed_uncounted += 50'000;
        }
      }
    }
  }
  if (scanned >= kMaxDueScan) {
    // A schedule firing every minute, down for years: the occurrences not
    // looked at are counted as missed in bulk, the cursor skips ahead.
    const int64_t skip_to = (now_ms - options_.grace_ms) / 1000 - 1;
    if (skip_to > last_due) {
      missed_uncounted += static_cast<int64_t>(t.Occurrences(last_due, kMaxDueScan).size());
      last_due = skip_to;
    }
  }
  e.cursor_s = last_due;

  // Catch-up: which missed occurrences start; the others are recorded MISSED.
  std::vector<int64_t> catch_up;
  const int64_t window_start_s = now_ms / 1000 - t.spec.catchup_window_seconds;
  auto in_window = [&](int64_t s) { return s >= window_start_s; };
  if (!missed.empty()) {
    // LATEST: the latest due occurrence runs; a missed one only when none
    // is on time.
    if (t.spec.catchup == Catchup::kLatest && on_time.empty() && in_window(missed.back())) {
      catch_up.push_back(missed.back());
      missed.pop_back();
    } else if (t.spec.catchup == Catchup::kAll) {
      auto first = std::find_if(missed.begin(), missed.end(), in_window);
      auto last = first + std::min<int64_t>(missed.end() - first, t.spec.catchup_max_runs);
      catch_up.assign(first, last);
      missed.erase(first, last);
    }
  }
  if (!missed.empty() || missed_uncounted > 0) {
    const char* why = t.spec.catchup == Catchup::kNone ? "catch-up policy NONE"
                      : t.spec.catchup == Catchup::kLatest
                          ? "catch-up policy LATEST: a later occurrence was started instead"
                          : "catch-up policy ALL: outside the window or past maxRuns";
    const size_t keep = std::min(missed.size(), options_.max_missed_rows);
    const int64_t unlisted = missed_uncounted + static_cast<int64_t>(missed.size() - keep);
    std::vector<store::TriggerOccurrence> rows;
    for (size_t i = missed.size() - keep; i < missed.size(); ++i) {
      std::string detail = std::string("missed (") + why + ")";
      if (i == missed.size() - keep && unlisted > 0) {
        detail += "; " + std::to_string(unlisted) + " earlier occurrences were missed too";
      }
      rows.push_back({e.name(), OccurrenceKey(missed[i]), missed[i] * 1000, kMissed, "", detail,
                      now_ms});
    }
    if (!store_->RecordOccurrences(rows).ok()) {  // one already recorded: the others alone
      for (const auto& row : rows) (void)store_->RecordOccurrences({row});
    }
    std::lock_guard lock(mu_);
    stats_.missed += static_cast<int64_t>(keep) + unlisted;
  }
  for (int64_t s : catch_up) Decide(e, s, now_ms);
  for (int64_t s : on_time) Decide(e, s, now_ms);
}

bool Scheduler::StillRunning(Entry& e) {
  std::erase_if(e.running, [&](const std::string& id) {
    if (e.pending.count(id)) return false;
    auto r = store_->GetExecution(id);
    return !r.ok() || r->status != store::kRunning;
  });
  return !e.running.empty();
}

void Scheduler::Decide(Entry& e, int64_t scheduled_s, int64_t now_ms) {
  if (e.remaining && *e.remaining <= 0) return;
  const Overlap overlap = e.trigger->spec.overlap;
  if (overlap == Overlap::kAllowAll || !StillRunning(e)) return Start(e, scheduled_s, now_ms);
  const std::string other = e.running.back();
  switch (overlap) {
    case Overlap::kSkip:
      return Record(e, scheduled_s, kSkipped,
                    "overlap policy SKIP: " + other + " was still running", now_ms);
    case Overlap::kBufferOne:
      if (!e.buffer.empty()) {
        Record(e, e.buffer.front(), kSkipped,
               "overlap policy BUFFER_ONE: replaced in the buffer by the occurrence of " +
                   OccurrenceKey(scheduled_s),
               now_ms);
        e.buffer.clear();
      }
      e.buffer.push_back(scheduled_s);
      buffered_.insert(e.name());
      return;
    case Overlap::kBufferAll:
      if (e.buffer.size() >= options_.max_buffer) {
        Record(e, e.buffer.front(), kSkipped,
               "overlap policy BUFFER_ALL: the buffer was full (" +
                   std::to_string(options_.max_buffer) + ")",
               now_ms);
        e.buffer.pop_front();
      }
      e.buffer.push_back(scheduled_s);
      buffered_.insert(e.name());
      return;
    case Overlap::kCancelOther:
      for (const std::string& id : e.running) {
        (void)executor_->Stop(id, "stepflow.TriggerOverlap",
                              "stopped by trigger " + e.name() + ": its occurrence " +
                                  OccurrenceKey(scheduled_s) + " was due (overlap policy "
                                  "CANCEL_OTHER)");
      }
      e.running.clear();
      return Start(e, scheduled_s, now_ms);
    case Overlap::kAllowAll:
      break;
  }
  Start(e, scheduled_s, now_ms);
}

void Scheduler::DrainBuffers(int64_t now_ms) {
  for (auto it = buffered_.begin(); it != buffered_.end();) {
    Entry& e = *entries_.at(*it);
    if (!e.buffer.empty() && !StillRunning(e)) {
      int64_t s = e.buffer.front();
      e.buffer.pop_front();
      if (!e.remaining || *e.remaining > 0) Start(e, s, now_ms);
    }
    it = e.buffer.empty() ? buffered_.erase(it) : std::next(it);
  }
}

void Scheduler::Record(Entry& e, int64_t scheduled_s, const char* outcome,
                       const std::string& detail, int64_t now_ms) {
  Status st = store_->RecordOccurrences(
      {{e.name(), OccurrenceKey(scheduled_s), scheduled_s * 1000, outcome, "", detail, now_ms}});
  if (!st.ok() && st.code() != StatusCode::kAlreadyExists) {
    Log("trigger " + e.name() + ": recording occurrence " + OccurrenceKey(scheduled_s) + ": " +
        st.message());
  }
  std::lock_guard lock(mu_);
  ++stats_.skipped;
}

void Scheduler::Start(Entry& e, int64_t scheduled_s, int64_t now_ms) {
  const CompiledTrigger& t = *e.trigger;
  Firing firing;
  firing.key = OccurrenceKey(scheduled_s);
  firing.execution_name = ScheduledExecutionName(e.name(), scheduled_s);
  firing.scheduled_ms = scheduled_s * 1000;
  firing.context = ScheduleContext(e.name(), "schedule", scheduled_s * 1000, now_ms);
  const std::string id = t.spec.machine + ":" + firing.execution_name;
  if (e.remaining) --*e.remaining;
  e.running.push_back(id);
  e.pending.insert(id);
  const int64_t fire_ms = t.FireMs(scheduled_s);
  const bool counted = e.remaining.has_value();
  {
    std::lock_guard lock(mu_);
    ++in_flight_;
  }
  Fire(executor_, store_, t, firing, now_ms,
       [this, name = e.name(), id, fire_ms, counted](stepflow::Result<Fired> fired) {
         {
           std::lock_guard lock(mu_);
           results_.push_back(Answer{name, id, fire_ms, clock_->NowMs(),
                                     fired.ok() ? Status::Ok() : fired.status(), counted});
           --in_flight_;
         }
         cv_.notify_all();
       });
}

void Scheduler::Log(const std::string& message) {
  if (options_.log) options_.log(message);
}

}  // namespace stepflow::triggers
