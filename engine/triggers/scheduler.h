// The scheduler: one thread that fires every schedule trigger of the store
// on time, on the engine's clock, through Fire (firing.h), so each
// occurrence starts its execution exactly once.
//
// Time. Each trigger keeps a cursor: the latest scheduled time it has dealt
// with. Loading a trigger (at Start, or when Reload says it changed) sets
// the cursor to the latest scheduled occurrence recorded for it, or to the
// time the trigger was last written (created, changed, unpaused) if that
// is later: a new, changed or unpaused trigger never fires for times before
// it — nothing is back-filled unless a backfill asks for it. The thread
// sleeps until the earliest fire time (scheduled time plus jitter) of all
// triggers; Reload and Stop wake it.
//
// Due occurrences. When the thread wakes, every occurrence after a trigger's
// cursor whose fire time has come is due. One fired within `grace` of its
// fire time is on time and goes to the overlap policy. Older ones were
// missed (the server was down, the clock jumped, the machine was asleep)
// and go to the catch-up policy first (spec.h): the ones it keeps go to
// the overlap policy, oldest first; the others are recorded MISSED (one
// row each, up to max_missed_rows per pass; the row of the oldest recorded
// counts the rest in its detail).
//
// Overlap. An execution the trigger started that is still RUNNING makes a
// due occurrence overlap: SKIP records it SKIPPED, BUFFER_ONE keeps the
// newest one (the one it replaces is recorded SKIPPED), BUFFER_ALL keeps
// them all (up to max_buffer; beyond, the oldest is recorded SKIPPED),
// CANCEL_OTHER stops the running ones (error stepflow.TriggerOverlap) and
// starts, ALLOW_ALL starts. Buffered occurrences start when the running
// execution ends (checked every `poll`); they live in memory: after a
// restart they are due again and the catch-up policy decides.
//
// remainingRuns: each scheduled start counts one; at 0 the trigger stops
// firing. (Runs started by `run` and backfills do not count.)
//
// Thread-safety: every public method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/runtime/clock.h"
#include "engine/runtime/executor.h"
#include "engine/store/store.h"
#include "engine/triggers/firing.h"
#include "engine/triggers/spec.h"

namespace stepflow::triggers {

struct SchedulerOptions {
  int64_t grace_ms = 60'000;        // later than this past its fire time, an occurrence was missed
  size_t max_missed_rows = 100;     // MISSED rows recorded per trigger and pass
  size_t max_buffer = 1000;         // BUFFER_ALL
  int64_t poll_ms = 250;            // how often buffered triggers look at their running executions
  size_t recent_occurrences = 50;   // read at load: the cursor and the running executions
  std::function<void(const std::string&)> log;  // what goes wrong with a trigger
};

struct SchedulerStats {
  int64_t triggers = 0;     // schedules loaded (paused ones included)
  int64_t started = 0;      // executions started
  int64_t skipped = 0;
  int64_t missed = 0;
  int64_t failed = 0;
  int64_t buffered = 0;     // occurrences waiting now
  // Milliseconds from fire time to the start's commit, of the starts since
  // the last `Stats(reset)` (the latest 100,000 to 200,000), in order.
  std::vector<int64_t> delays_ms;
};

class Scheduler {
 public:
  Scheduler(store::Store* store, runtime::Executor* executor, runtime::Clock* clock,
            SchedulerOptions options = {});
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Loads every trigger and starts the thread. A trigger whose stored
  // description no longer compiles is logged and left alone.
  Status Start();
  void Stop();

  // The trigger `name` was written or deleted: load it again (or forget it).
  void Reload(const std::string& name);

  // Loads every trigger without starting the thread: for tests, which then
  // call RunOnce themselves.
  Status LoadAll();
  // One pass, on the caller's thread (the thread must not run): applies the
  // executor's answers and the reloads that came, fires what is due.
  void RunOnce();
  // Waits until every start made so far is answered by the executor (for
  // tests whose executor loop runs on a thread); false after `timeout`.
  bool WaitForStarts(std::chrono::milliseconds timeout);

  SchedulerStats Stats(bool reset_delays = false);

 private:
  struct Entry;
  struct Answer;  // the executor's answer to a start

  void Loop();
  // Loads `name` from the store (nullptr when gone, paused or a webhook).
  std::unique_ptr<Entry> Load(const std::string& name);
  // Keeps a loaded entry and queues its next occurrence.
  void Add(std::unique_ptr<Entry> e);
  // Queues the entry's next occurrence after its cursor (none when its
  // schedule has ended).
  void Queue(Entry& e);
  void ApplyReloads();
  void ApplyResults();
  void Due(Entry& e, int64_t now_ms);
  void Decide(Entry& e, int64_t scheduled_s, int64_t now_ms);
  void Start(Entry& e, int64_t scheduled_s, int64_t now_ms);
  void Record(Entry& e, int64_t scheduled_s, const char* outcome, const std::string& detail,
              int64_t now_ms);
  // Drops executions that ended; true when one still runs.
  bool StillRunning(Entry& e);
  void DrainBuffers(int64_t now_ms);
  int64_t NextWakeMs() const;
  void Log(const std::string& message);

  store::Store* store_;
  runtime::Executor* executor_;
  runtime::Clock* clock_;
  SchedulerOptions options_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::set<std::string> reloads_;   // guarded by mu_
  std::vector<Answer> results_;     // answers of the executor, guarded by mu_
  int64_t in_flight_ = 0;           // starts not answered yet, guarded by mu_
  SchedulerStats stats_;            // guarded by mu_

  // The thread's own.
  std::map<std::string, std::unique_ptr<Entry>> entries_;
  std::set<std::pair<int64_t, std::string>> queue_;  // (next fire ms, trigger)
  std::set<std::string> buffered_;                   // triggers with buffered occurrences
  int64_t last_drain_ms_ = 0;
  std::thread thread_;
};

}  // namespace stepflow::triggers
