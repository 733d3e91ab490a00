// The states of a JSONata state machine (ASL_NOTES §4): instead of the
// JSONPath pipeline, Arguments makes the effective input (default: the state
// input), and Output (default: the result for Task, Parallel and Map, the
// input for the rest) and Assign are both evaluated against the same
// snapshot: the state input ($states.input), the result ($states.result),
// the variables as they were on entry. The Choice, Wait, Fail, Map and Task
// fields that take expressions are evaluated here too.
#include <cmath>
#include <limits>

#include "engine/expr/jsonata_template.h"
#include "engine/expr/timestamp.h"
#include "engine/runtime/history.h"
#include "engine/runtime/step_runner.h"

namespace stepflow::runtime {

using expr::JsonataScope;
using expr::JsonataTemplate;
using graph::JsonataField;
using graph::State;
using graph::StateType;

namespace {

// The largest value of an integer field (Seconds, MaxConcurrency, ...), as
// the validator accepts in a literal.
constexpr int64_t kMaxFieldInteger = 99'999'999;

Status QueryError(std::string cause) {
  return Status::AslError(expr::kQueryEvaluationError, std::move(cause));
}

// An integer field in [min, max]: its literal, its expression's result, or
// `fallback` when the field is absent. `*location` names the field on
// failure.
Result<int64_t> IntegerField(const graph::Dynamic<int64_t>& field, const JsonataScope& scope,
                             const char* name, int64_t min, int64_t max, int64_t fallback,
                             std::string* location) {
  if (field.value) {
    if (*field.value < min || *field.value > max) {
      return Status::AslError(kRuntime, std::string(name) + " " + std::to_string(*field.value) +
                                            " is outside " + std::to_string(min) + " to " +
                                            std::to_string(max));
    }
    return *field.value;
  }
  if (!field.jsonata) return fallback;
  const JsonataTemplate& t = *field.jsonata;
  STEPFLOW_ASSIGN_OR_RETURN(Json v, t.Evaluate(scope, location));
  *location = t.field();
  if (!v.is_number()) return expr::JsonataTypeError(t, "number", v);
  if (!IsIntegral(v)) {
    return QueryError("The " + std::string(name) +
                      " field cannot be parsed as an integer: " + DumpCompact(v));
  }
  const double d = v.get<double>();
  if (d < static_cast<double>(min) || d > static_cast<double>(max)) {
    return QueryError(std::string(name) + " must be between " + std::to_string(min) + " and " +
                      std::to_string(max) + " but was: " + DumpCompact(v));
  }
  return static_cast<int64_t>(d);
}

// A string field (Fail Error/Cause, Wait Timestamp): the expression's
// result, which must be a string.
Result<std::string> StringField(const JsonataTemplate& t, const JsonataScope& scope,
                                std::string* location) {
  STEPFLOW_ASSIGN_OR_RETURN(Json v, t.Evaluate(scope, location));
  if (!v.is_string()) {
    *location = t.field();
    return expr::JsonataTypeError(t, "string", v);
  }
  return std::move(v.get_ref<std::string&>());
}

// Assign (into *assigned, an object) then Output (into *output, left alone
// when there is no Output), from one scope: neither sees the other.
Status OutputAndAssign(const JsonataField& output_t, const JsonataField& assign_t,
                       const JsonataScope& scope, Json* output, Json* assigned,
                       std::string* location) {
  if (assign_t) {
    STEPFLOW_ASSIGN_OR_RETURN(*assigned, assign_t->Evaluate(scope, location));
    if (!assigned->is_object()) {
      *location = assign_t->field();
      return expr::JsonataTypeError(*assign_t, "object", *assigned);
    }
  }
  if (output_t) {
    STEPFLOW_ASSIGN_OR_RETURN(*output, output_t->Evaluate(scope, location));
  }
  return Status::Ok();
}

}  // namespace

void StepRunner::RunJsonataState(Frame& f) {
  switch (f.current().type) {
    case StateType::kPass:
      return JsonataPass(f);
    case StateType::kChoice:
      return JsonataChoice(f);
    case StateType::kWait:
      return JsonataWait(f);
    case StateType::kSucceed:
      return JsonataSucceed(f);
    case StateType::kFail:
      return JsonataFail(f);
    case StateType::kTask:
      return JsonataTask(f);
    case StateType::kParallel:
      return JsonataParallel(f);
    case StateType::kMap:
      return JsonataMap(f);
  }
}

void StepRunner::JsonataFailed(Frame& f, const Status& st, const std::string& location,
                               bool fatal) {
  if (st.error() == expr::kQueryEvaluationError) {
    std::string details = "{\"cause\":";
    AppendJsonString(st.message(), &details);
    details += ",\"error\":";
    AppendJsonString(st.error(), &details);
    if (!location.empty()) {
      details += ",\"location\":";
      AppendJsonString(location, &details);
    }
    details += ",\"state\":";
    AppendJsonString(f.current().name, &details);
    details += "}";
    Emit(&f, "EvaluationFailed", f.StatePath(), std::move(details));
  }
  if (fatal) return FailFrame(f, st.error(), st.message());
  HandleError(f, st.error(), st.message());
}

void StepRunner::ExitWithInput(Frame& f, const Json* assigned, int next) {
  std::string text = std::move(f.input_text);
  f.input_text.clear();
  Json output = std::move(f.input);
  Exit(f, std::move(output), assigned, next, text.empty() ? nullptr : &text);
}

void StepRunner::JsonataPass(Frame& f) {
  const State& s = f.current();
  Json output, assigned;
  if (s.jsonata_output || s.jsonata_assign) {
    Eval e;
    MakeEval(f, false, &e);
    JsonataScope scope(&f.input, e.ctx, now_);
    std::string location;
    Status st =
        OutputAndAssign(s.jsonata_output, s.jsonata_assign, scope, &output, &assigned, &location);
    if (st.ok() && !assigned.is_null()) st = CheckAssigned(assigned);
    if (!st.ok()) return JsonataFailed(f, st, location);
  }
  if (!s.jsonata_output) return ExitWithInput(f, &assigned, graph::kNoState);
  Exit(f, std::move(output), &assigned);
}

void StepRunner::JsonataSucceed(Frame& f) {
  const State& s = f.current();
  if (!s.jsonata_output) return ExitWithInput(f, nullptr, graph::kNoState);
  Eval e;
  MakeEval(f, false, &e);
  JsonataScope scope(&f.input, e.ctx, now_);
  std::string location;
  Result<Json> output = s.jsonata_output->Evaluate(scope, &location);
  if (!output.ok()) return JsonataFailed(f, output.status(), location);
  Exit(f, std::move(output).value(), nullptr);
}

void StepRunner::JsonataChoice(Frame& f) {
  const State& s = f.current();
  const auto& spec = s.As<graph::ChoiceSpec>();
  Eval e;
  MakeEval(f, false, &e);
  JsonataScope scope(&f.input, e.ctx, now_);
  std::string location;
  const graph::ChoiceBranch* matched = nullptr;
  for (const graph::ChoiceBranch& branch : spec.choices) {
    if (!branch.condition) continue;
    Result<Json> c = branch.condition->Evaluate(scope, &location);
    if (!c.ok()) return JsonataFailed(f, c.status(), location);
    if (!c->is_boolean()) {
      return JsonataFailed(f, expr::JsonataTypeError(*branch.condition, "boolean", *c),
                           branch.condition->field());
    }
    if (c->get<bool>()) {
      matched = &branch;
      break;
    }
  }
  const int next = matched != nullptr ? matched->next : spec.default_next;
  if (next == graph::kNoState) {
    return HandleError(
        f, "States.NoChoiceMatched",
        "No Choice Rule matched the input of state '" + s.name + "' and it has no Default");
  }
  // A matched rule's Assign replaces the state's; its Output, when it has
  // one, too.
  const JsonataField& assign_t = matched != nullptr ? matched->jsonata_assign : s.jsonata_assign;
  const JsonataField& output_t =
      matched != nullptr && matched->jsonata_output ? matched->jsonata_output : s.jsonata_output;
  Json output, assigned;
  Status st = OutputAndAssign(output_t, assign_t, scope, &output, &assigned, &location);
  if (st.ok() && !assigned.is_null()) st = CheckAssigned(assigned);
  if (!st.ok()) return JsonataFailed(f, st, location);
  if (!output_t) return ExitWithInput(f, &assigned, next);
  f.input_text.clear();
  Exit(f, std::move(output), &assigned, next);
}

void StepRunner::JsonataWait(Frame& f) {
  const State& s = f.current();
  const auto& spec = s.As<graph::WaitSpec>();
  Eval e;
  MakeEval(f, false, &e);
  JsonataScope scope(&f.input, e.ctx, now_);
  std::string location;
  // Every delay is at most kLongestDelaySeconds, so `now_ + ms` fits.
  Result<int64_t> fire_at = now_;
  if (spec.seconds.present()) {
    Result<int64_t> seconds =
        IntegerField(spec.seconds, scope, "Seconds", 0, kLongestDelaySeconds, 0, &location);
    if (!seconds.ok()) return JsonataFailed(f, seconds.status(), location);
    fire_at = now_ + *seconds * 1000;
  } else if (spec.timestamp.value) {
    fire_at = TimestampFireAt(*spec.timestamp.value, now_,
                              "Timestamp '" + spec.timestamp.value->ToString() + "'");
  } else if (spec.timestamp.jsonata) {
    const JsonataTemplate& t = *spec.timestamp.jsonata;
    Result<std::string> text = StringField(t, scope, &location);
    if (!text.ok()) return JsonataFailed(f, text.status(), location);
    std::optional<expr::Timestamp> ts = expr::Timestamp::Parse(*text);
    if (!ts) {
      return JsonataFailed(f,
                           QueryError("The JSONata expression '" + t.expression() +
                                      "' specified for the field 'Timestamp' returned '" + *text +
                                      "', which is not an RFC 3339 timestamp such as "
                                      "2016-03-14T01:59:00Z"),
                           t.field());
    }
    fire_at = TimestampFireAt(*ts, now_, "Timestamp '" + *text + "'");
  }
  if (!fire_at.ok()) return HandleError(f, fire_at.status().error(), fire_at.status().message());
  Json output, assigned;
  Status st =
      OutputAndAssign(s.jsonata_output, s.jsonata_assign, scope, &output, &assigned, &location);
  if (st.ok() && !assigned.is_null()) st = CheckAssigned(assigned);
  if (!st.ok()) return JsonataFailed(f, st, location);
  if (*fire_at <= now_) {
    if (!s.jsonata_output) return ExitWithInput(f, &assigned, graph::kNoState);
    return Exit(f, std::move(output), &assigned);
  }
  if (!s.jsonata_output) output = f.input;  // the frame keeps its input while it waits
  f.wait_output = Json::object();
  f.wait_output["output"] = std::move(output);
  f.wait_output["assigned"] = std::move(assigned);
  ArmTimer(f, Phase::kWait, *fire_at);
}

void StepRunner::JsonataFail(Frame& f) {
  const State& s = f.current();
  const auto& spec = s.As<graph::FailSpec>();
  std::optional<std::string> error = spec.error, cause = spec.cause;
  if (spec.jsonata_error || spec.jsonata_cause) {
    Eval e;
    MakeEval(f, false, &e);
    JsonataScope scope(&f.input, e.ctx, now_);
    std::string location;
    for (auto [field, out] :
         {std::pair{&spec.jsonata_error, &error}, std::pair{&spec.jsonata_cause, &cause}}) {
      if (!*field) continue;
      Result<std::string> v = StringField(**field, scope, &location);
      if (!v.ok()) return JsonataFailed(f, v.status(), location, /*fatal=*/true);
      *out = std::move(v).value();
    }
  }
  FailFrame(f, error.value_or(""), cause);
}

void StepRunner::JsonataTask(Frame& f) {
  const State& s = f.current();
  const auto& spec = s.As<graph::TaskSpec>();
  Eval e;
  MakeEval(f, false, &e);
  // $states.context.Task.Token: the key of the call about to be scheduled
  // (its TaskScheduled event is the next one emitted).
  if (e.ctx.context != nullptr) {
    e.context["Task"]["Token"] = TaskKey(x_.record_.id, x_.record_.next_event_id);
  }
  JsonataScope scope(&f.input, e.ctx, now_);
  std::string location;
  Json arguments;
  if (spec.jsonata_arguments) {
    Result<Json> a = spec.jsonata_arguments->Evaluate(scope, &location);
    if (!a.ok()) return JsonataFailed(f, a.status(), location);
    arguments = std::move(a).value();
  } else {
    arguments = f.input;
  }
  Result<int64_t> timeout_s = IntegerField(spec.timeout_seconds, scope, "TimeoutSeconds", 1,
                                           kLongestDelaySeconds, 0, &location);
  if (!timeout_s.ok()) return JsonataFailed(f, timeout_s.status(), location);
  Result<int64_t> heartbeat_s = IntegerField(spec.heartbeat_seconds, scope, "HeartbeatSeconds", 1,
                                             kLongestDelaySeconds, 0, &location);
  if (!heartbeat_s.ok()) return JsonataFailed(f, heartbeat_s.status(), location);
  ScheduleTask(f, std::move(arguments), *timeout_s, *heartbeat_s);
}

void StepRunner::CompleteJsonata(Frame& f, Json result, Eval& e) {
  const State& s = f.current();
  Json output, assigned;
  if (s.jsonata_output || s.jsonata_assign) {
    JsonataScope scope(&f.input, e.ctx, now_);
    scope.set_result(&result);
    std::string location;
    Status st =
        OutputAndAssign(s.jsonata_output, s.jsonata_assign, scope, &output, &assigned, &location);
    if (st.ok() && !assigned.is_null()) st = CheckAssigned(assigned);
    if (!st.ok()) return JsonataFailed(f, st, location);
  }
  if (!s.jsonata_output) output = std::move(result);
  Exit(f, std::move(output), &assigned);
}

void StepRunner::CatchJsonata(Frame& f, const graph::Catcher& c, Json error_output) {
  Json output, assigned;
  if (c.jsonata_output || c.jsonata_assign) {
    Eval e;
    MakeEval(f, false, &e);
    JsonataScope scope(&f.input, e.ctx, now_);
    scope.set_error_output(&error_output);
    std::string location;
    Status st =
        OutputAndAssign(c.jsonata_output, c.jsonata_assign, scope, &output, &assigned, &location);
    if (st.ok() && !assigned.is_null()) st = CheckAssigned(assigned);
    if (!st.ok()) return JsonataFailed(f, st, location, /*fatal=*/true);
  }
  if (!c.jsonata_output) output = std::move(error_output);
  // Like Step Functions, a caught error still exits the state, with the
  // catcher's output.
  DiscardFanout(f);
  f.phase = Phase::kEnter;
  Exit(f, std::move(output), &assigned, c.next);
}

void StepRunner::JsonataParallel(Frame& f) {
  const State& s = f.current();
  const auto& spec = s.As<graph::ParallelSpec>();
  Json input;
  if (spec.jsonata_arguments) {
    Eval e;
    MakeEval(f, false, &e);
    JsonataScope scope(&f.input, e.ctx, now_);
    std::string location;
    Result<Json> a = spec.jsonata_arguments->Evaluate(scope, &location);
    if (!a.ok()) return JsonataFailed(f, a.status(), location);
    input = std::move(a).value();
  } else {
    input = f.input;
  }
  auto fo = std::make_unique<Fanout>();
  fo->children.resize(spec.branches.size());
  for (Child& c : fo->children) c.input = input;
  Emit(&f, "ParallelStateStarted", f.StatePath(), "{}");
  StartFanout(f, std::move(fo));
}

void StepRunner::JsonataMap(Frame& f) {
  const State& s = f.current();
  const auto& spec = s.As<graph::MapSpec>();
  if (!spec.item_reader.is_null()) {
    return HandleError(f, "States.ItemReaderFailed",
                       "ItemReader needs an object store, which stepflow does not provide yet");
  }
  Eval e;
  MakeEval(f, false, &e);
  JsonataScope scope(&f.input, e.ctx, now_);
  std::string location;
  Json evaluated_items;
  const Json* items = &f.input;
  if (spec.jsonata_items) {
    Result<Json> v = spec.jsonata_items->Evaluate(scope, &location);
    if (!v.ok()) return JsonataFailed(f, v.status(), location);
    evaluated_items = std::move(v).value();
    if (!evaluated_items.is_array()) {
      return JsonataFailed(f, expr::JsonataTypeError(*spec.jsonata_items, "array", evaluated_items),
                           spec.jsonata_items->field());
    }
    items = &evaluated_items;
  } else if (!items->is_array()) {
    return HandleError(f, kRuntime,
                       "The Map state's input must be a JSON array when it has no 'Items', found " +
                           std::string(JsonTypeName(*items)));
  }
  auto fo = std::make_unique<Fanout>();
  fo->is_map = true;
  Result<int64_t> mc = IntegerField(spec.max_concurrency, scope, "MaxConcurrency", 0,
                                    kMaxFieldInteger, 0, &location);
  if (!mc.ok()) return JsonataFailed(f, mc.status(), location);
  fo->max_concurrency = *mc;
  Result<int64_t> tc = IntegerField(spec.tolerated_failure_count, scope, "ToleratedFailureCount", 0,
                                    kMaxFieldInteger, -1, &location);
  if (!tc.ok()) return JsonataFailed(f, tc.status(), location);
  fo->tolerated_count = *tc;
  if (spec.tolerated_failure_percentage.value) {
    fo->tolerated_percent = *spec.tolerated_failure_percentage.value;
  } else if (spec.tolerated_failure_percentage.jsonata) {
    const JsonataTemplate& t = *spec.tolerated_failure_percentage.jsonata;
    Result<Json> v = t.Evaluate(scope, &location);
    if (!v.ok()) return JsonataFailed(f, v.status(), location);
    if (!v->is_number())
      return JsonataFailed(f, expr::JsonataTypeError(t, "number", *v), t.field());
    const double pct = v->get<double>();
    if (!(pct >= 0 && pct <= 100)) {
      return JsonataFailed(
          f,
          QueryError("ToleratedFailurePercentage must be between 0 and 100 but was: " +
                     DumpCompact(*v)),
          t.field());
    }
    fo->tolerated_percent = pct;
  }

  // ItemSelector per item, with $states.context.Map.Item.
  std::vector<Json> selected;
  selected.reserve(items->size());
  if (spec.jsonata_item_selector) {
    Eval ie;
    MakeEval(f, true, &ie);
    for (size_t i = 0; i < items->size(); ++i) {
      ie.context["Map"] = {{"Item", {{"Index", i}, {"Value", (*items)[i]}}}};
      JsonataScope item_scope(&f.input, ie.ctx, now_);
      Result<Json> item = spec.jsonata_item_selector->Evaluate(item_scope, &location);
      if (!item.ok()) return JsonataFailed(f, item.status(), location);
      selected.push_back(std::move(item).value());
    }
  } else if (items == &evaluated_items) {
    for (Json& item : evaluated_items) selected.push_back(std::move(item));
  } else {
    for (const Json& item : *items) selected.push_back(item);
  }
  if (!spec.item_batcher.is_null()) {
    std::optional<Json> batch_input;
    if (spec.jsonata_batch_input) {
      Result<Json> bi = spec.jsonata_batch_input->Evaluate(scope, &location);
      if (!bi.ok()) return JsonataFailed(f, bi.status(), location);
      batch_input = std::move(bi).value();
    }
    Result<std::vector<Json>> batches = BatchItems(spec.item_batcher, std::move(selected), f.input,
                                                   e.ctx, batch_input ? &*batch_input : nullptr);
    if (!batches.ok()) return HandleError(f, batches.status().error(), batches.status().message());
    selected = std::move(batches).value();
  }
  fo->children.resize(selected.size());
  for (size_t i = 0; i < selected.size(); ++i) fo->children[i].input = std::move(selected[i]);
  Emit(&f, "MapStateStarted", f.StatePath(),
       "{\"length\":" + std::to_string(fo->children.size()) + "}");
  StartFanout(f, std::move(fo));
}

}  // namespace stepflow::runtime
