#include "engine/triggers/firing.h"

#include <algorithm>
#include <atomic>

#include "engine/expr/timestamp.h"

namespace stepflow::triggers {

namespace {

// What an occurrence recorded before did, as a firing answers it: the
// execution it started, or why it did not (a refusal the caller can show).
Result<Fired> Recorded(const store::TriggerOccurrence& o) {
  if (o.outcome == kStarted) return Fired{o.execution_id, o.recorded_ms, true};
  return Status::FailedPrecondition("occurrence " + o.key + " of trigger " + o.trigger + " was " +
                                    o.outcome + (o.detail.empty() ? "" : ": " + o.detail));
}

}  // namespace

int64_t LastDealtWith(const store::TriggerRecord& record,
                      const std::vector<store::TriggerOccurrence>& recent) {
  const int64_t before_write = record.updated_ms - 1;
  int64_t cursor = before_write / 1000 - (before_write % 1000 < 0);  // floor
  for (const store::TriggerOccurrence& o : recent) {
    if (auto s = ScheduledSecondsOfKey(o.key)) cursor = std::max(cursor, *s);
  }
  return cursor;
}

Json ScheduleContext(const std::string& trigger, const std::string& source, int64_t scheduled_ms,
                     int64_t now_ms) {
  return Json::object({{"trigger", trigger},
                       {"source", source},
                       {"scheduledTime", expr::Timestamp::FromMillis(scheduled_ms).ToString()},
                       {"actualTime", expr::Timestamp::FromMillis(now_ms).ToString()}});
}

void Fire(runtime::Executor* executor, store::Store* store, const CompiledTrigger& trigger,
          const Firing& firing, int64_t now_ms, std::function<void(Result<Fired>)> done) {
  const std::string& name = trigger.spec.name;
  // Fired before (a restart, a repeated request): answer what happened then.
  // Only an occurrence that started nothing may be started now (a backfill of
  // a missed one); the store refuses a second start of the same key anyway.
  auto existing = store->FindOccurrence(name, firing.key);
  if (!existing.ok()) return done(existing.status());
  if (existing->has_value() && (*existing)->outcome == kStarted) return done(Recorded(**existing));

  store::TriggerOccurrence occurrence{name,          firing.key,    firing.scheduled_ms, kStarted,
                                      "",            firing.detail, now_ms};
  // Recorded FAILED when the start is refused for a reason of its own; a
  // start refused because the occurrence was recorded meanwhile (another
  // server, a concurrent request) answers that one instead.
  auto refused = [store, occurrence](const Status& why) -> Result<Fired> {
    if (why.code() == StatusCode::kAlreadyExists) {
      auto now = store->FindOccurrence(occurrence.trigger, occurrence.key);
      if (now.ok() && now->has_value() && (*now)->outcome == kStarted) return Recorded(**now);
    }
    store::TriggerOccurrence failed = occurrence;
    failed.outcome = kFailed;
    failed.detail = why.message();
    // An unstarted occurrence recorded before (a backfill retrying a missed
    // one) keeps its first record.
    (void)store->RecordOccurrences({failed});
    return why;
  };

  Result<Json> input = firing.input ? Result<Json>(*firing.input)
                                    : trigger.Input(firing.context, now_ms);
  if (!input.ok()) return done(refused(input.status()));

  runtime::StartRequest request;
  request.machine = trigger.spec.machine;
  request.version = trigger.spec.version;
  request.name = firing.execution_name;
  request.input = DumpCompact(*input);
  request.occurrences = {occurrence};
  auto info = std::make_shared<runtime::StartInfo>();
  auto once = std::make_shared<std::atomic<bool>>(false);
  auto answer = std::make_shared<std::function<void(Result<Fired>)>>(
      [once, done = std::move(done)](Result<Fired> r) {
        if (!once->exchange(true)) done(std::move(r));
      });
  // The callback may run before StartExecution returns (a repeat answered at
  // once): StartExecution fills `info` before it answers.
  request.committed = [answer, info, id = trigger.spec.machine + ":" + firing.execution_name,
                       refused](const Status& st) {
    if (!st.ok()) return (*answer)(refused(st));
    (*answer)(Fired{id, info->start_ms, info->already_started});
  };
  Result<std::string> started = executor->StartExecution(request, info.get());
  if (!started.ok()) (*answer)(refused(started.status()));
}

}  // namespace stepflow::triggers
