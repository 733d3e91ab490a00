// Parallel and Map (ASL_NOTES §3, §8) and redrive (§11): a frame whose
// current state is Parallel or Map owns a Fanout of child frames, started
// up to MaxConcurrency at a time, collected in input order.
#include <algorithm>
#include <cmath>

#include "engine/expr/pipeline.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/history.h"
#include "engine/runtime/step_runner.h"

namespace stepflow::runtime {

using graph::State;
using graph::StateType;

namespace {

std::string IterationDetails(const std::string& name, size_t index) {
  std::string d = "{\"index\":" + std::to_string(index) + ",\"name\":";
  AppendJsonString(name, &d);
  d += "}";
  return d;
}

Result<int64_t> ReadInt(const graph::Dynamic<int64_t>& field, const Json& input,
                        const expr::EvalContext& ctx, const char* name, int64_t fallback) {
  if (field.value) return *field.value;
  if (!field.path) return fallback;
  return ReadNonNegative(*field.path, input, ctx, std::string(name) + "Path");
}

}  // namespace

// A single item larger than the byte bound still forms a batch of its own.
Result<std::vector<Json>> BatchItems(const Json& batcher, std::vector<Json> items,
                                     const Json& input, const expr::EvalContext& ctx,
                                     const Json* batch_input) {
  auto read = [&](const char* key) -> Result<int64_t> {
    graph::Dynamic<int64_t> field;
    if (auto it = batcher.find(key); it != batcher.end() && IsIntegral(*it)) {
      field.value = it->get<int64_t>();
    }
    std::string path_key = std::string(key) + "Path";
    if (auto it = batcher.find(path_key); it != batcher.end() && it->is_string()) {
      auto p = expr::Path::Parse(it->get<std::string>());
      if (!p.ok()) return p.status();
      field.path = std::move(p).value();
    }
    return ReadInt(field, input, ctx, key, 0);
  };
  STEPFLOW_ASSIGN_OR_RETURN(int64_t max_items, read("MaxItemsPerBatch"));
  STEPFLOW_ASSIGN_OR_RETURN(int64_t max_bytes, read("MaxInputBytesPerBatch"));
  std::vector<Json> batches;
  Json current = Json::array();
  size_t bytes = 0;
  for (Json& item : items) {
    size_t size = DumpCompact(item).size();
    bool full =
        (max_items > 0 && static_cast<int64_t>(current.size()) >= max_items) ||
        (max_bytes > 0 && !current.empty() && static_cast<int64_t>(bytes + size) > max_bytes);
    if (full) {
      batches.push_back(std::move(current));
      current = Json::array();
      bytes = 0;
    }
    bytes += size;
    current.push_back(std::move(item));
  }
  if (!current.empty()) batches.push_back(std::move(current));
  for (Json& b : batches) {
    Json wrapped = Json::object();
    wrapped["Items"] = std::move(b);
    if (batch_input != nullptr) wrapped["BatchInput"] = *batch_input;
    b = std::move(wrapped);
  }
  return batches;
}

void StepRunner::RunParallel(Frame& f) {
  const State& s = f.current();
  Eval e;
  MakeEval(f, false, &e);
  Result<Json> effective = s.io.EffectiveInput(f.input, e.ctx);
  if (!effective.ok())
    return HandleError(f, effective.status().error(), effective.status().message());
  const auto& spec = s.As<graph::ParallelSpec>();
  auto fo = std::make_unique<Fanout>();
  fo->children.resize(spec.branches.size());
  for (Child& c : fo->children) c.input = *effective;
  Emit(&f, "ParallelStateStarted", f.StatePath(), "{}");
  StartFanout(f, std::move(fo));
}

void StepRunner::RunMap(Frame& f) {
  const State& s = f.current();
  const auto& spec = s.As<graph::MapSpec>();
  Eval e;
  MakeEval(f, false, &e);
  Result<Json> effective = expr::ApplyInputPath(s.io.input_path, f.input, e.ctx);
  if (!effective.ok())
    return HandleError(f, effective.status().error(), effective.status().message());
  if (!spec.item_reader.is_null()) {
    return HandleError(f, "States.ItemReaderFailed",
                       "ItemReader needs an object store, which stepflow does not provide yet");
  }
  const Json* items = &*effective;
  if (spec.items_path) {
    items = spec.items_path->Find(*effective, e.ctx);
    if (items == nullptr) {
      return HandleError(
          f, "States.Runtime",
          "Invalid path '" + spec.items_path->text() + "' for ItemsPath: no value at that path");
    }
  }
  if (!items->is_array()) {
    return HandleError(f, "States.Runtime",
                       "The Map state's items (ItemsPath '" +
                           (spec.items_path ? spec.items_path->text() : std::string("$")) +
                           "') must be a JSON array, found " + std::string(JsonTypeName(*items)));
  }
  auto fo = std::make_unique<Fanout>();
  fo->is_map = true;
  Result<int64_t> mc = ReadInt(spec.max_concurrency, *effective, e.ctx, "MaxConcurrency", 0);
  if (!mc.ok()) return HandleError(f, mc.status().error(), mc.status().message());
  fo->max_concurrency = *mc;
  Result<int64_t> tc =
      ReadInt(spec.tolerated_failure_count, *effective, e.ctx, "ToleratedFailureCount", -1);
  if (!tc.ok()) return HandleError(f, tc.status().error(), tc.status().message());
  fo->tolerated_count = *tc;
  if (spec.tolerated_failure_percentage.value) {
    fo->tolerated_percent = *spec.tolerated_failure_percentage.value;
  } else if (spec.tolerated_failure_percentage.path) {
    const Json* v = spec.tolerated_failure_percentage.path->Find(*effective, e.ctx);
    if (v == nullptr || !v->is_number() || v->get<double>() < 0 || v->get<double>() > 100) {
      return HandleError(f, "States.Runtime",
                         "ToleratedFailurePercentagePath must point at a number from 0 to 100");
    }
    fo->tolerated_percent = v->get<double>();
  }

  // ItemSelector (or the legacy Parameters) per item, with $$.Map.Item.
  std::vector<Json> selected;
  selected.reserve(items->size());
  const std::optional<expr::PayloadTemplate>& selector =
      spec.item_selector ? spec.item_selector : s.io.parameters;
  if (selector) {
    Eval ie;
    MakeEval(f, true, &ie);
    for (size_t i = 0; i < items->size(); ++i) {
      ie.context["Map"] = {{"Item", {{"Index", i}, {"Value", (*items)[i]}}}};
      Result<Json> item = selector->Evaluate(*effective, ie.ctx);
      if (!item.ok()) return HandleError(f, item.status().error(), item.status().message());
      selected.push_back(std::move(item).value());
    }
  } else {
    for (const Json& item : *items) selected.push_back(item);
  }
  if (!spec.item_batcher.is_null()) {
    std::optional<Json> batch_input;
    if (spec.batch_input) {
      Result<Json> bi = spec.batch_input->Evaluate(*effective, e.ctx);
      if (!bi.ok()) return HandleError(f, bi.status().error(), bi.status().message());
      batch_input = std::move(bi).value();
    }
    Result<std::vector<Json>> batches =
        BatchItems(spec.item_batcher, std::move(selected), *effective, e.ctx,
                   batch_input ? &*batch_input : nullptr);
    if (!batches.ok()) return HandleError(f, batches.status().error(), batches.status().message());
    selected = std::move(batches).value();
  }
  fo->children.resize(selected.size());
  for (size_t i = 0; i < selected.size(); ++i) fo->children[i].input = std::move(selected[i]);
  Emit(&f, "MapStateStarted", f.StatePath(),
       "{\"length\":" + std::to_string(fo->children.size()) + "}");
  StartFanout(f, std::move(fo));
}

void StepRunner::StartFanout(Frame& f, std::unique_ptr<Fanout> fanout) {
  DiscardFanout(f);
  f.fanout = std::move(fanout);
  f.phase = Phase::kChildren;
  if (f.fanout->children.empty()) return FanoutSucceeded(f);
  StartPending(f);
}

void StepRunner::StartPending(Frame& f) {
  Fanout& fo = *f.fanout;
  while (fo.next_pending < fo.children.size() &&
         (fo.max_concurrency <= 0 || fo.running < fo.max_concurrency)) {
    size_t i = fo.next_pending++;
    if (fo.children[i].status != Child::Status::kPending) continue;
    StartChild(f, i);
  }
}

void StepRunner::StartChild(Frame& f, size_t index) {
  Fanout& fo = *f.fanout;
  Child& c = fo.children[index];
  const State& s = f.current();
  c.status = Child::Status::kRunning;
  ++fo.running;
  if (fo.is_map) Emit(&f, "MapIterationStarted", f.StatePath(), IterationDetails(s.name, index));
  if (c.frame) {  // redrive: resume where the child stopped
    RedriveFrame(*c.frame);
    return;
  }
  c.frame = std::make_unique<Frame>();
  Frame& child = *c.frame;
  child.graph = fo.is_map ? s.As<graph::MapSpec>().processor.get()
                          : s.As<graph::ParallelSpec>().branches[index].get();
  child.parent = &f;
  child.child_index = index;
  child.prefix = f.prefix + s.name + "[" + std::to_string(index) + "]/";
  child.state = child.graph->start();
  child.input = c.input;
  child.phase = Phase::kEnter;
  ready_.push_back(&child);
}

bool StepRunner::ToleratesFailures(const Fanout& fo) const {
  if (!fo.is_map || (fo.tolerated_count < 0 && fo.tolerated_percent < 0)) return false;
  if (fo.tolerated_count >= 0 && fo.failed > fo.tolerated_count) return false;
  if (fo.tolerated_percent >= 0) {
    double pct = 100.0 * static_cast<double>(fo.failed) / static_cast<double>(fo.children.size());
    if (pct > fo.tolerated_percent) return false;
  }
  return true;
}

void StepRunner::ChildFinished(Frame& child) {
  Frame& f = *child.parent;
  if (f.status != FrameStatus::kRunning || !f.fanout || f.phase != Phase::kChildren) return;
  Fanout& fo = *f.fanout;
  if (child.child_index >= fo.children.size()) return;
  Child& c = fo.children[child.child_index];
  if (c.frame.get() != &child || c.status != Child::Status::kRunning) return;
  const State& s = f.current();
  const size_t index = child.child_index;
  --fo.running;
  if (child.status == FrameStatus::kSucceeded) {
    c.status = Child::Status::kSucceeded;
    c.output = std::move(child.input);
    c.frame.reset();  // `child` is gone from here on
    ++fo.succeeded;
    if (fo.is_map)
      Emit(&f, "MapIterationSucceeded", f.StatePath(), IterationDetails(s.name, index));
  } else {
    c.status = Child::Status::kFailed;
    ++fo.failed;
    std::string error = child.error;
    std::optional<std::string> cause = child.cause;
    if (fo.is_map) Emit(&f, "MapIterationFailed", f.StatePath(), IterationDetails(s.name, index));
    if (ToleratesFailures(fo)) {
      c.output = {{"Error", error}};
      if (cause) c.output["Cause"] = *cause;
    } else {
      bool tolerance_set = fo.is_map && (fo.tolerated_count >= 0 || fo.tolerated_percent >= 0);
      if (tolerance_set) {
        return FanoutFailed(f, "States.ExceedToleratedFailureThreshold",
                            "The Map state '" + s.name + "' had " + std::to_string(fo.failed) +
                                " failed iteration(s) of " + std::to_string(fo.children.size()) +
                                ", more than it tolerates");
      }
      return FanoutFailed(f, error, cause);
    }
  }
  StartPending(f);
  if (fo.running == 0 && fo.next_pending >= fo.children.size()) FanoutSucceeded(f);
}

void StepRunner::FanoutFailed(Frame& f, const std::string& error,
                              const std::optional<std::string>& cause) {
  Fanout& fo = *f.fanout;
  const State& s = f.current();
  for (size_t i = 0; i < fo.children.size(); ++i) {
    Child& c = fo.children[i];
    if (c.status != Child::Status::kRunning) continue;
    AbortFrame(*c.frame, /*emit=*/true);
    c.status = Child::Status::kAborted;
    if (fo.is_map) Emit(&f, "MapIterationAborted", f.StatePath(), IterationDetails(s.name, i));
  }
  fo.running = 0;
  std::string details = "{";
  if (cause) {
    details += "\"cause\":";
    AppendJsonString(*cause, &details);
    details += ",";
  }
  details += "\"error\":";
  AppendJsonString(error, &details);
  details += "}";
  Emit(&f, fo.is_map ? "MapStateFailed" : "ParallelStateFailed", f.StatePath(), std::move(details));
  HandleError(f, error, cause);
}

void StepRunner::FanoutSucceeded(Frame& f) {
  Fanout& fo = *f.fanout;
  Json results = Json::array();
  for (Child& c : fo.children) results.push_back(std::move(c.output));
  Emit(&f, fo.is_map ? "MapStateSucceeded" : "ParallelStateSucceeded", f.StatePath(), "{}");
  DiscardFanout(f);
  f.phase = Phase::kEnter;
  size_t bytes = DumpCompact(results).size();
  if (Status st = CheckPayload(bytes, "Map/Parallel result"); !st.ok()) {
    return HandleError(f, st.error(), st.message());
  }
  Eval e;
  MakeEval(f, false, &e);
  CompleteWithResult(f, std::move(results), e);
}

// Forgets the children of `f`. Every queue entry pointing into them goes
// first, while the pointers are still valid.
void StepRunner::DiscardFanout(Frame& f) {
  if (!f.fanout) return;
  for (Child& c : f.fanout->children) {
    if (c.frame && c.frame->status == FrameStatus::kRunning) AbortFrame(*c.frame, false);
  }
  // Only frames of children that still have one (running, or failed with
  // their own children perhaps still queued) can be queued: with none (every
  // child succeeded, say) skip the scan, which made a Map of Maps quadratic.
  const auto& children = f.fanout->children;
  if (std::any_of(children.begin(), children.end(),
                  [](const Child& c) { return c.frame != nullptr; })) {
    auto inside = [&f](const Frame* p) {
      for (; p != nullptr; p = p->parent) {
        if (p->parent == &f) return true;
      }
      return false;
    };
    std::erase_if(ready_, inside);
    std::erase_if(finished_, inside);
  }
  f.fanout.reset();
}

// ------------------------------------------------------------------ redrive

Status StepRunner::Redrive() {
  store::ExecutionRecord& r = x_.record_;
  if (r.status == store::kRunning) {
    return Status::FailedPrecondition("execution '" + r.id + "' is still RUNNING");
  }
  if (r.status == store::kSucceeded) {
    return Status::FailedPrecondition("execution '" + r.id +
                                      "' SUCCEEDED; only FAILED, TIMED_OUT or ABORTED "
                                      "executions can be redriven");
  }
  if (r.next_event_id + 2 > x_.limits_.max_history_events) {
    return Status::FailedPrecondition("execution '" + r.id + "' has no room left in its history (" +
                                      std::to_string(r.next_event_id - 1) + " events)");
  }
  r.status = store::kRunning;
  r.redrive_count += 1;
  r.redrive_ms = now_;
  r.stop_ms.reset();
  r.output.reset();
  r.error.reset();
  r.cause.reset();
  x_.context_["Execution"]["RedriveCount"] = r.redrive_count;
  x_.context_["Execution"]["RedriveTime"] = FormatTimestamp(now_);
  Emit(&x_.root_, "ExecutionRedriven", "",
       "{\"redriveCount\":" + std::to_string(r.redrive_count) + "}");
  if (auto t = x_.graph_->timeout_seconds()) {
    x_.timeout_fire_ms_ = now_ + *t * 1000;
    fx_->timers.push_back({kExecutionTimeoutTimer, x_.timeout_fire_ms_});
  }
  RedriveFrame(x_.root_);
  Drain();
  return Status::Ok();
}

// Resumes a failed or aborted frame at the state where it stopped: a
// Parallel/Map re-runs only its failed and aborted children (all of them
// after States.DataLimitExceeded), any other state is entered again.
void StepRunner::RedriveFrame(Frame& f) {
  if (f.status == FrameStatus::kSucceeded) return;
  f.status = FrameStatus::kRunning;
  const bool whole_state = f.error == "States.DataLimitExceeded";
  f.error.clear();
  f.cause.reset();
  if (f.fanout && f.phase == Phase::kChildren && !whole_state) {
    Fanout& fo = *f.fanout;
    fo.failed = 0;
    fo.running = 0;
    fo.next_pending = 0;
    for (Child& c : fo.children) {
      if (c.status == Child::Status::kFailed || c.status == Child::Status::kAborted ||
          c.status == Child::Status::kRunning) {
        c.status = Child::Status::kPending;
        c.output = Json();
      }
    }
    f.retry_counts.assign(f.current().retry.size(), 0);
    f.retry_count = 0;
    StartPending(f);
    if (fo.running == 0 && fo.next_pending >= fo.children.size()) FanoutSucceeded(f);
    return;
  }
  DiscardFanout(f);
  f.phase = Phase::kEnter;
  // A Task that failed runs again on the version it was pinned to.
  f.keep_pin = f.pinned_state == f.state && !f.task_version.empty();
  ready_.push_back(&f);
}

}  // namespace stepflow::runtime
