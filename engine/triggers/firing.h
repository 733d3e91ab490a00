// Starting the execution of one occurrence of a trigger, exactly once.
//
// The occurrence's row (trigger, key) goes into the same store transaction
// as the ExecutionStarted it causes, and the execution's name is derived
// from the key (spec.h): however often an occurrence is fired — a retry
// after a crash, a second server on the same database, a repeated webhook —
// one execution starts and every later firing learns which one it was.
//
// An occurrence that cannot start (the machine is gone, the input template
// fails, the name is taken by an execution the trigger did not start) is
// recorded FAILED with the reason, so it is accounted for too.
//
//   Fire(executor, store, trigger, {.key = OccurrenceKey(t), ...}, now_ms,
//        [](Result<Fired> fired) { ... });
//
// Thread-safety: Fire may be called from any thread; `done` runs once, on
// the caller's thread (refused at once) or on the executor's loop thread
// (after the commit), and must not block.
#pragma once

#include <functional>
#include <string>

#include "engine/common/json_util.h"
#include "engine/common/status.h"
#include "engine/runtime/executor.h"
#include "engine/store/store.h"
#include "engine/triggers/spec.h"

namespace stepflow::triggers {

// Outcomes recorded for occurrences.
inline constexpr const char* kStarted = "STARTED";
inline constexpr const char* kSkipped = "SKIPPED";
inline constexpr const char* kMissed = "MISSED";
inline constexpr const char* kFailed = "FAILED";

struct Firing {
  std::string key;              // the occurrence key (spec.h)
  std::string execution_name;   // derived from the key
  int64_t scheduled_ms = 0;     // when it was due (a webhook or a run: when asked)
  Json context;                 // the trigger context the input is built from
  std::optional<Json> input;    // given as is (a manual run's input): no template
  std::string detail;           // recorded with the occurrence
};

// The detail of occurrences started by a backfill (they do not count
// against remainingRuns).
inline constexpr const char* kBackfillDetail = "started by a backfill";

struct Fired {
  std::string execution_id;
  int64_t start_ms = 0;
  bool already = false;  // the occurrence had started its execution before
};

// The latest scheduled time a schedule has dealt with, in UTC seconds: the
// latest scheduled occurrence among `recent` (its latest rows), or the
// moment before the trigger's description was last written if that is
// later — nothing before a write fires by itself.
int64_t LastDealtWith(const store::TriggerRecord& record,
                      const std::vector<store::TriggerOccurrence>& recent);

// The context of a scheduled occurrence (spec.h, "Input").
Json ScheduleContext(const std::string& trigger, const std::string& source,
                     int64_t scheduled_ms, int64_t now_ms);

void Fire(runtime::Executor* executor, store::Store* store, const CompiledTrigger& trigger,
          const Firing& firing, int64_t now_ms, std::function<void(Result<Fired>)> done);

}  // namespace stepflow::triggers
