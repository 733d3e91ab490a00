// The control plane's triggers: descriptions checked and stored, the view
// `describe` shows, manual runs, backfills and webhook starts. The firing
// itself is engine/triggers/ (firing.h); the scheduler hears of each write
// through the trigger listener.
#include <algorithm>
#include <atomic>

#include "engine/api/control_plane.h"
#include "engine/common/json_util.h"
#include "engine/runtime/clock.h"
#include "engine/triggers/firing.h"

namespace stepflow::api {
namespace {

constexpr size_t kMaxDescriptionBytes = 64 * 1024;
constexpr size_t kNextFireTimes = 10;

Status Unavailable() { return Status(StatusCode::kUnavailable, "the server is shutting down"); }

Status TriggerNotFound(const std::string& name) {
  return Status::NotFound("trigger '" + name + "' does not exist").WithReason("TriggerDoesNotExist");
}

}  // namespace

Result<std::shared_ptr<const triggers::CompiledTrigger>> ControlPlane::LoadTrigger(
    const std::string& name, store::TriggerRecord* record) {
  STEPFLOW_RETURN_IF_ERROR(triggers::CheckTriggerName(name));
  auto got = store_->GetTrigger(name);
  if (!got.ok()) {
    return got.status().code() == StatusCode::kNotFound ? TriggerNotFound(name) : got.status();
  }
  *record = *got;
  STEPFLOW_ASSIGN_OR_RETURN(Json description, ParseJsonData(record->spec));
  STEPFLOW_ASSIGN_OR_RETURN(triggers::TriggerSpec spec, triggers::ParseTriggerSpec(description));
  spec.paused = record->paused;
  return triggers::CompiledTrigger::Compile(std::move(spec));
}

TriggerView ControlPlane::ViewOf(const store::TriggerRecord& record,
                                 const triggers::CompiledTrigger& trigger, int64_t occurrences) {
  TriggerView view;
  view.name = record.name;
  view.kind = trigger.spec.webhook ? "webhook" : "schedule";
  view.description = triggers::TriggerSpecJson(trigger.spec, /*redact=*/true);
  view.paused = record.paused;
  view.created_ms = record.created_ms;
  view.updated_ms = record.updated_ms;
  if (occurrences != 0) {
    if (auto counts = store_->CountOccurrences(record.name); counts.ok()) view.counts = *counts;
    auto latest = store_->ListOccurrences(record.name, occurrences < 0 ? 0 : occurrences);
    if (latest.ok()) view.occurrences = std::move(*latest);
  }
  if (!record.paused && trigger.schedule) {
    // Fire times to come: an occurrence scheduled a little before now may
    // still fire after it (its jitter).
    const int64_t now = executor_->clock()->NowMs();
    const int64_t after = now / 1000 - trigger.spec.jitter_seconds - 1;
    for (int64_t s : trigger.Occurrences(after, kNextFireTimes * 2)) {
      const int64_t fire = trigger.FireMs(s);
      if (fire < now) continue;
      view.next_fire_ms.push_back(fire);
      if (view.next_fire_ms.size() == kNextFireTimes) break;
    }
    std::sort(view.next_fire_ms.begin(), view.next_fire_ms.end());
  }
  return view;
}

Result<TriggerView> ControlPlane::PutTrigger(const std::string& text, bool create_only) {
  if (draining_) return Unavailable();
  if (text.size() > kMaxDescriptionBytes) {
    return Status::ResourceExhausted("the trigger description has " + std::to_string(text.size()) +
                                     " bytes; the limit is " +
                                     std::to_string(kMaxDescriptionBytes));
  }
  auto description = ParseJsonData(text);
  if (!description.ok()) {
    return Status::InvalidArgument("the trigger description is not JSON: " +
                                   description.status().message());
  }
  STEPFLOW_ASSIGN_OR_RETURN(triggers::TriggerSpec spec, triggers::ParseTriggerSpec(*description));
  // The machine (and version) must exist now; when it is deleted later, the
  // occurrences that fire record FAILED.
  if (auto machine = store_->GetStateMachineVersion(spec.machine, spec.version); !machine.ok()) {
    if (machine.status().code() != StatusCode::kNotFound) return machine.status();
    return Status::NotFound("/machine: state machine '" + spec.machine + "'" +
                            (spec.version > 0 ? " has no version " + std::to_string(spec.version)
                                              : std::string(" does not exist")))
        .WithReason("StateMachineDoesNotExist");
  }
  const bool paused = spec.paused;
  spec.paused = false;  // kept in the record, not the description
  STEPFLOW_ASSIGN_OR_RETURN(auto compiled, triggers::CompiledTrigger::Compile(spec));
  const int64_t now = executor_->clock()->NowMs();
  if (compiled->schedule && compiled->Occurrences(now / 1000, 1).empty()) {
    return Status::InvalidArgument("/schedule: '" + spec.expression +
                                   "' has no occurrence after now (" +
                                   runtime::FormatTimestamp(now) +
                                   ") in its window: nothing would ever fire");
  }
  if (compiled->schedule && spec.jitter_seconds > 0) {
    // Occurrences fire in order: a jitter as long as the time between two
    // would make one wait for the one before it.
    std::vector<int64_t> next = compiled->Occurrences(now / 1000, 100);
    int64_t gap = INT64_MAX;
    for (size_t i = 1; i < next.size(); ++i) gap = std::min(gap, next[i] - next[i - 1]);
    if (spec.jitter_seconds >= gap) {
      return Status::InvalidArgument(
          "/schedule/jitterSeconds: " + std::to_string(spec.jitter_seconds) +
          " is not shorter than the time between occurrences (" + std::to_string(gap) +
          " s): keep it below, so every occurrence fires before the next one is due");
    }
  }
  store::TriggerRecord record;
  record.name = spec.name;
  record.spec = DumpCompact(triggers::TriggerSpecJson(spec));
  record.paused = paused;
  record.created_ms = now;
  record.updated_ms = now;
  bool unchanged = false;
  {
    std::lock_guard lock(triggers_mu_);
    auto existing = store_->GetTrigger(spec.name);
    if (existing.ok()) {
      if (create_only) {
        return Status(StatusCode::kAlreadyExists,
                      "trigger '" + spec.name + "' already exists (apply replaces it)")
            .WithReason("TriggerAlreadyExists");
      }
      unchanged = existing->spec == record.spec && existing->paused == record.paused;
      if (unchanged) record = *existing;
    } else if (existing.status().code() != StatusCode::kNotFound) {
      return existing.status();
    }
    if (!unchanged) STEPFLOW_RETURN_IF_ERROR(store_->PutTrigger(record));
  }
  if (!unchanged) TriggerWritten(spec.name);
  STEPFLOW_ASSIGN_OR_RETURN(record, store_->GetTrigger(spec.name));
  TriggerView view = ViewOf(record, *compiled, 10);
  view.unchanged = unchanged;
  return view;
}

Result<TriggerView> ControlPlane::DescribeTrigger(const std::string& name, int64_t occurrences) {
  if (draining_) return Unavailable();
  store::TriggerRecord record;
  STEPFLOW_ASSIGN_OR_RETURN(auto compiled, LoadTrigger(name, &record));
  return ViewOf(record, *compiled, occurrences);
}

Result<std::vector<TriggerView>> ControlPlane::ListTriggers() {
  if (draining_) return Unavailable();
  STEPFLOW_ASSIGN_OR_RETURN(auto records, store_->ListTriggers());
  std::vector<TriggerView> out;
  for (const store::TriggerRecord& r : records) {
    store::TriggerRecord record;
    auto compiled = LoadTrigger(r.name, &record);
    if (!compiled.ok()) continue;  // deleted meanwhile
    TriggerView view = ViewOf(record, **compiled, 1);
    if (view.next_fire_ms.size() > 1) view.next_fire_ms.resize(1);
    out.push_back(std::move(view));
  }
  return out;
}

Result<TriggerView> ControlPlane::SetTriggerPaused(const std::string& name, bool paused) {
  if (draining_) return Unavailable();
  store::TriggerRecord record;
  std::shared_ptr<const triggers::CompiledTrigger> compiled;
  {
    std::lock_guard lock(triggers_mu_);
    STEPFLOW_ASSIGN_OR_RETURN(compiled, LoadTrigger(name, &record));
    if (record.paused != paused) {
      // What fell due while it was paused never fires by itself: unpausing
      // records it as one SKIPPED occurrence (the latest, counting the
      // others), which the scheduler then takes as dealt with. The time
      // the description was written stays (remainingRuns counts from it).
      if (!paused && compiled->schedule) STEPFLOW_RETURN_IF_ERROR(RecordPaused(record, *compiled));
      record.paused = paused;
      STEPFLOW_RETURN_IF_ERROR(store_->PutTrigger(record));
    }
  }
  TriggerWritten(name);
  return ViewOf(record, *compiled, 10);
}

Status ControlPlane::DeleteTrigger(const std::string& name) {
  if (draining_) return Unavailable();
  STEPFLOW_RETURN_IF_ERROR(triggers::CheckTriggerName(name));
  bool deleted = false;
  {
    std::lock_guard lock(triggers_mu_);
    STEPFLOW_ASSIGN_OR_RETURN(deleted, store_->DeleteTrigger(name));
  }
  if (!deleted) return TriggerNotFound(name);
  TriggerWritten(name);
  return Status::Ok();
}

Status ControlPlane::RecordPaused(const store::TriggerRecord& record,
                                  const triggers::CompiledTrigger& trigger) {
  STEPFLOW_ASSIGN_OR_RETURN(auto recent, store_->ListOccurrences(record.name, 50));
  const int64_t now_s = executor_->clock()->NowMs() / 1000;
  int64_t cursor = triggers::LastDealtWith(record, recent);
  int64_t count = 0, first = 0, last = 0;
  for (int scanned = 0; scanned < 1'000'000;) {  // every minute for two years at most
    std::vector<int64_t> batch = trigger.Occurrences(cursor, 512);
    if (batch.empty()) break;
    for (int64_t s : batch) {
      if (s > now_s) break;
      if (count++ == 0) first = s;
      last = s;
    }
    if (batch.back() > now_s) break;
    cursor = batch.back();
    scanned += static_cast<int>(batch.size());
  }
  if (count == 0) return Status::Ok();
  std::string detail = "the trigger was paused";
  if (count > 1) {
    detail += " (" + std::to_string(count) + " occurrences from " +
              triggers::OccurrenceKey(first) + " to " + triggers::OccurrenceKey(last) + ")";
  }
  Status st = store_->RecordOccurrences({{record.name, triggers::OccurrenceKey(last), last * 1000,
                                          triggers::kSkipped, "", detail,
                                          executor_->clock()->NowMs()}});
  return st.code() == StatusCode::kAlreadyExists ? Status::Ok() : st;
}

void ControlPlane::RunTrigger(const std::string& name, const std::optional<std::string>& input,
                              Done<TriggerRun> done) {
  if (draining_) return done(Unavailable());
  store::TriggerRecord record;
  auto compiled = LoadTrigger(name, &record);
  if (!compiled.ok()) return done(compiled.status());
  const int64_t now = executor_->clock()->NowMs();
  triggers::Firing firing;
  firing.key = triggers::ManualKey(now);
  firing.execution_name = triggers::ManualExecutionName(name, now);
  firing.scheduled_ms = now;
  firing.context = triggers::ScheduleContext(name, "manual", now, now);
  firing.detail = "started by a manual run";
  if (input) {
    if (input->size() > options_.max_payload_bytes) {
      return done(Status::ResourceExhausted("the input has " + std::to_string(input->size()) +
                                            " bytes; the limit is " +
                                            std::to_string(options_.max_payload_bytes)));
    }
    auto parsed = ParseJsonData(*input);
    if (!parsed.ok()) {
      return done(Status::InvalidArgument("the input is not JSON: " + parsed.status().message()));
    }
    firing.input = std::move(*parsed);
  } else if ((*compiled)->spec.webhook) {
    firing.context["body"] = Json::object();
  }
  FireWebhook(**compiled, firing, std::move(done));
}

void ControlPlane::FireWebhook(const triggers::CompiledTrigger& trigger,
                               const triggers::Firing& firing, Done<TriggerRun> done) {
  if (draining_) return done(Unavailable());
  triggers::Fire(executor_, store_, trigger, firing, executor_->clock()->NowMs(),
                 [done = std::move(done)](Result<triggers::Fired> fired) {
                   if (!fired.ok()) return done(fired.status());
                   done(TriggerRun{fired->execution_id, fired->start_ms, fired->already});
                 });
}

Result<std::shared_ptr<const triggers::CompiledTrigger>> ControlPlane::WebhookTrigger(
    const std::string& name) {
  if (draining_) return Unavailable();
  store::TriggerRecord record;
  STEPFLOW_ASSIGN_OR_RETURN(auto compiled, LoadTrigger(name, &record));
  if (!compiled->spec.webhook) {
    return Status::FailedPrecondition("trigger '" + name + "' is a schedule, not a webhook");
  }
  if (record.paused) return Status::FailedPrecondition("trigger '" + name + "' is paused");
  return compiled;
}

void ControlPlane::BackfillTrigger(const std::string& name, int64_t from_ms, int64_t to_ms,
                                   Done<Backfill> done) {
  if (draining_) return done(Unavailable());
  store::TriggerRecord record;
  auto compiled = LoadTrigger(name, &record);
  if (!compiled.ok()) return done(compiled.status());
  const triggers::CompiledTrigger& t = **compiled;
  if (!t.schedule) return done(Status::FailedPrecondition("trigger '" + name + "' is a webhook: only schedules have occurrences to backfill"));
  const int64_t now = executor_->clock()->NowMs();
  if (to_ms <= from_ms) return done(Status::InvalidArgument("--to must be after --from"));
  if (to_ms > now) {
    return done(Status::InvalidArgument("a backfill covers the past: --to (" +
                                        runtime::FormatTimestamp(to_ms) + ") is after now (" +
                                        runtime::FormatTimestamp(now) + ")"));
  }
  // [from, to): occurrences strictly after from - 1 ms, before to.
  const int64_t after_s = (from_ms + 999) / 1000 - 1;
  std::vector<int64_t> slots;
  for (int64_t s : t.Occurrences(after_s, triggers::kMaxBackfillOccurrences + 1)) {
    if (s * 1000 >= to_ms) break;
    slots.push_back(s);
  }
  if (static_cast<int64_t>(slots.size()) > triggers::kMaxBackfillOccurrences) {
    return done(Status::InvalidArgument(
        "the range holds more than " + std::to_string(triggers::kMaxBackfillOccurrences) +
        " occurrences; backfill it in parts"));
  }
  struct State {
    std::mutex mu;
    Backfill result;
    std::vector<std::string> ids;  // by slot
    size_t left = 0;
    Done<Backfill> done;
  };
  auto state = std::make_shared<State>();
  state->result.occurrences = static_cast<int64_t>(slots.size());
  state->ids.resize(slots.size());
  state->left = slots.size();
  state->done = std::move(done);
  if (slots.empty()) return state->done(state->result);
  for (size_t i = 0; i < slots.size(); ++i) {
    const int64_t s = slots[i];
    triggers::Firing firing;
    firing.key = triggers::OccurrenceKey(s);
    firing.execution_name = triggers::ScheduledExecutionName(name, s);
    firing.scheduled_ms = s * 1000;
    firing.context = triggers::ScheduleContext(name, "backfill", s * 1000, now);
    firing.detail = triggers::kBackfillDetail;
    triggers::Fire(executor_, store_, t, firing, now,
                   [state, i, key = firing.key](Result<triggers::Fired> fired) {
                     std::unique_lock lock(state->mu);
                     if (fired.ok()) {
                       ++(fired->already ? state->result.already : state->result.started);
                       state->ids[i] = fired->execution_id;
                     } else {
                       ++state->result.failed;
                       state->result.errors.push_back(key + ": " + fired.status().message());
                     }
                     if (--state->left > 0) return;
                     for (std::string& id : state->ids) {
                       if (!id.empty()) state->result.execution_ids.push_back(std::move(id));
                     }
                     Backfill result = std::move(state->result);
                     lock.unlock();
                     state->done(std::move(result));
                   });
  }
}

}  // namespace stepflow::api
