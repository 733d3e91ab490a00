#include "engine/console/dataflow.h"

#include <cmath>
#include <map>

#include "engine/console/history_view.h"
#include "engine/expr/pipeline.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/step_runner.h"

namespace stepflow::console {

namespace {

// A details member holding JSON text ("input", "output", "parameters").
std::optional<Json> Payload(const Json& details, const char* key) {
  auto it = details.find(key);
  if (it == details.end() || !it->is_string()) return std::nullopt;
  Result<Json> value = ParseJsonData(it->get<std::string>());
  if (!value.ok()) return std::nullopt;
  return std::move(value).value();
}

std::string Text(const Json& details, const char* key) {
  auto it = details.find(key);
  return it != details.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// One recorded visit of the state.
struct Visit {
  int64_t entered = 0, exited = 0, entered_ms = 0;
  std::string status = "RUNNING";
  Json input;
  std::optional<Json> result, recorded_output, parameters;
  Json assigned;  // null = none recorded
  struct Attempt {
    int64_t scheduled = 0, start_ms = 0, end_ms = 0;
    std::string status = "RUNNING", error, cause;
  };
  std::vector<Attempt> attempts;
  std::map<int64_t, Json> body_outputs;  // Map/Parallel: index → that body's output
  std::string error, cause;              // the visit's last failure
  bool failed = false;
  std::string caught_by;  // the state a Catch took a failed visit to
};

// The stages of a JSONPath state, recomputed.
struct Stage {
  std::string name, field;
  std::optional<Json> value;
  std::string error;
};

std::string PathFieldText(const Json& state_json, const char* key) {
  auto it = state_json.find(key);
  if (it == state_json.end()) return "$ (default)";
  if (it->is_null()) return "null";
  return it->is_string() ? it->get<std::string>() : DumpCompact(*it);
}

std::string FieldText(const Json& state_json, const char* key) {
  auto it = state_json.find(key);
  return it == state_json.end() ? std::string() : DumpCompact(*it);
}

void RecomputeJsonPath(const graph::State& s, const Json& state_json, const Visit& v,
                       const expr::EvalContext& ctx, std::vector<Stage>* stages) {
  stages->push_back({"input", "", v.input, ""});
  Result<Json> after_input = expr::ApplyInputPath(s.io.input_path, v.input, ctx);
  stages->push_back({"afterInputPath", PathFieldText(state_json, "InputPath"),
                     after_input.ok() ? std::optional<Json>(*after_input) : std::nullopt,
                     after_input.ok() ? "" : after_input.status().message()});
  if (!after_input.ok()) return;
  const bool has_io = s.type == graph::StateType::kTask || s.type == graph::StateType::kPass ||
                      s.type == graph::StateType::kMap || s.type == graph::StateType::kParallel;
  if (!has_io) {
    // Choice, Wait, Succeed, Fail: InputPath, then OutputPath.
    if (s.type == graph::StateType::kFail) return;
    Result<Json> out = expr::ApplyOutputPath(s.io.output_path, *after_input, ctx);
    stages->push_back({"output", PathFieldText(state_json, "OutputPath"),
                       out.ok() ? std::optional<Json>(*out) : std::nullopt,
                       out.ok() ? "" : out.status().message()});
    return;
  }
  Json effective = *after_input;
  if (s.io.parameters && s.type != graph::StateType::kMap) {
    Result<Json> params = s.io.parameters->Evaluate(*after_input, ctx);
    stages->push_back({"afterParameters", FieldText(state_json, "Parameters"),
                       params.ok() ? std::optional<Json>(*params) : std::nullopt,
                       params.ok() ? "" : params.status().message()});
    if (!params.ok()) return;
    effective = *params;
  } else {
    stages->push_back({"afterParameters", "", effective, ""});
  }
  std::optional<Json> result = v.result;
  if (s.type == graph::StateType::kPass) {
    const auto& pass = s.As<graph::PassSpec>();
    result = pass.result ? *pass.result : effective;
  }
  if (!result) {
    stages->push_back({"result", "", std::nullopt,
                       v.status == "RUNNING" ? "no result yet" : "no result was recorded"});
    return;
  }
  stages->push_back({"result",
                     s.type == graph::StateType::kPass ? FieldText(state_json, "Result") : "",
                     *result, ""});
  Json selected = *result;
  if (s.io.result_selector) {
    Result<Json> r = s.io.result_selector->Evaluate(*result, ctx);
    stages->push_back({"afterResultSelector", FieldText(state_json, "ResultSelector"),
                       r.ok() ? std::optional<Json>(*r) : std::nullopt,
                       r.ok() ? "" : r.status().message()});
    if (!r.ok()) return;
    selected = *r;
  } else {
    stages->push_back({"afterResultSelector", "", selected, ""});
  }
  Result<Json> placed = expr::ApplyResultPath(s.io.result_path, v.input, selected);
  stages->push_back({"afterResultPath", PathFieldText(state_json, "ResultPath"),
                     placed.ok() ? std::optional<Json>(*placed) : std::nullopt,
                     placed.ok() ? "" : placed.status().message()});
  if (!placed.ok()) return;
  Result<Json> out = expr::ApplyOutputPath(s.io.output_path, *placed, ctx);
  stages->push_back({"output", PathFieldText(state_json, "OutputPath"),
                     out.ok() ? std::optional<Json>(*out) : std::nullopt,
                     out.ok() ? "" : out.status().message()});
}

void RecordedJsonata(const graph::State& s, const Json& state_json, const Visit& v,
                     std::vector<Stage>* stages) {
  stages->push_back({"input", "", v.input, ""});
  if (s.type == graph::StateType::kTask) {
    stages->push_back({"afterArguments", FieldText(state_json, "Arguments"), v.parameters,
                       v.parameters ? "" : "no arguments were recorded"});
  }
  if (v.result) stages->push_back({"result", "", *v.result, ""});
  if (v.recorded_output) {
    stages->push_back({"output", FieldText(state_json, "Output"), *v.recorded_output, ""});
  }
}

// The variables assigned before event `before` in `scope` or a scope
// around it (the recorded "assignedVariables" of earlier exits).
Json VariablesBefore(const std::vector<store::HistoryEvent>& events, int64_t before,
                     const std::string& scope) {
  Json vars = Json::object();
  for (const store::HistoryEvent& e : events) {
    if (e.id >= before) break;
    if (!e.type.ends_with("StateExited")) continue;
    if (!scope.starts_with(ScopeOf(e.state_path))) continue;
    if (e.details.find("assignedVariables") == std::string::npos) continue;
    Json details = EventDetails(e);
    auto it = details.find("assignedVariables");
    if (it == details.end() || !it->is_object()) continue;
    for (auto& [name, text] : it->items()) {
      if (!text.is_string()) continue;
      Result<Json> value = ParseJsonData(text.get<std::string>());
      if (value.ok()) vars[name] = std::move(value).value();
    }
  }
  return vars;
}

Json RetrierJson(const graph::Retrier& r, size_t index) {
  Json out = {{"index", static_cast<int64_t>(index)},
              {"errorEquals", r.error_equals},
              {"intervalSeconds", r.interval_seconds},
              {"maxAttempts", r.max_attempts},
              {"backoffRate", r.backoff_rate}};
  out["maxDelaySeconds"] = r.max_delay_seconds ? Json(*r.max_delay_seconds) : Json(nullptr);
  out["jitterStrategy"] = r.jitter_full ? "FULL" : "NONE";
  return out;
}

}  // namespace

Json Changes(const Json& before, const Json& after, size_t limit) {
  Json out = Json::array();
  if (before == after) return out;
  Json patch = Json::diff(before, after);
  for (const Json& op : patch) {
    if (out.size() >= limit) break;
    out.push_back({{"op", op.value("op", "")}, {"path", op.value("path", "")}});
  }
  return out;
}

Result<Json> DataFlow(const graph::Graph& root, const Json& definition,
                      const store::ExecutionRecord& execution,
                      const std::vector<store::HistoryEvent>& events,
                      const std::string& state_path) {
  const graph::State* state = FindState(root, state_path);
  if (state == nullptr) {
    return Status::NotFound("'" + state_path + "' names no state of this execution's definition");
  }
  const graph::State& s = *state;
  Json state_json = Json::object();
  try {
    const Json* found = &definition.at(Json::json_pointer(s.pointer));
    if (found->is_object()) state_json = *found;
  } catch (const std::exception&) {
    // A definition without the state's pointer: fields are shown without text.
  }

  // The visits, in one pass.
  std::vector<Visit> visits;
  const std::string body_prefix = state_path + "[";
  const std::string_view own_scope = ScopeOf(state_path);
  for (const store::HistoryEvent& e : events) {
    if (!visits.empty() && visits.back().failed && visits.back().caught_by.empty() &&
        e.state_path != state_path && e.type.ends_with("StateEntered") &&
        ScopeOf(e.state_path) == own_scope) {
      visits.back().caught_by = Text(EventDetails(e), "name");
    }
    if (e.state_path == state_path) {
      const std::string& type = e.type;
      if (type.ends_with("StateEntered")) {
        Visit v;
        v.entered = e.id;
        v.entered_ms = e.timestamp_ms;
        Json details = EventDetails(e);
        v.input = Payload(details, "input").value_or(Json::object());
        if (type == "FailStateEntered") v.status = "FAILED";
        visits.push_back(std::move(v));
        continue;
      }
      if (visits.empty()) continue;
      Visit& v = visits.back();
      if (type.ends_with("StateExited")) {
        Json details = EventDetails(e);
        v.exited = e.id;
        v.status = v.failed ? "CAUGHT" : "SUCCEEDED";
        v.recorded_output = Payload(details, "output");
        if (auto it = details.find("assignedVariables"); it != details.end() && it->is_object()) {
          v.assigned = Json::object();
          for (auto& [name, text] : it->items()) {
            Result<Json> value =
                text.is_string() ? ParseJsonData(text.get<std::string>()) : Result<Json>(text);
            v.assigned[name] = value.ok() ? std::move(value).value() : text;
          }
        }
      } else if (type == "TaskScheduled" || type == "ActivityScheduled") {
        Visit::Attempt a;
        a.scheduled = e.id;
        a.start_ms = e.timestamp_ms;
        v.attempts.push_back(a);
        v.parameters = Payload(EventDetails(e), type == "TaskScheduled" ? "parameters" : "input");
      } else if (type == "MapStateSucceeded" || type == "ParallelStateSucceeded") {
        v.failed = false;  // a retry of the whole Map/Parallel succeeded
      } else if (type == "TaskSucceeded" || type == "ActivitySucceeded") {
        v.result = Payload(EventDetails(e), "output");
        v.failed = false;  // a retry succeeded
        if (!v.attempts.empty()) {
          v.attempts.back().status = "SUCCEEDED";
          v.attempts.back().end_ms = e.timestamp_ms;
        }
      } else if (IsFailureEvent(type) && !type.starts_with("MapIteration")) {
        // (An iteration's failure is the Map's only when the Map fails.)
        Json details = EventDetails(e);
        v.failed = true;
        v.error = Text(details, "error");
        v.cause = Text(details, "cause");
        if (!v.attempts.empty() && v.attempts.back().end_ms == 0) {
          Visit::Attempt& a = v.attempts.back();
          a.status = type.ends_with("TimedOut") ? "TIMED_OUT" : "FAILED";
          a.end_ms = e.timestamp_ms;
          a.error = v.error;
          a.cause = v.cause;
        }
      }
      continue;
    }
    // A Map iteration's or Parallel branch's output: its last exit.
    if (!visits.empty() && e.state_path.starts_with(body_prefix) &&
        e.type.ends_with("StateExited")) {
      std::optional<int64_t> index = BodyIndex(e.state_path, body_prefix, true);
      if (!index) continue;
      if (auto out = Payload(EventDetails(e), "output")) visits.back().body_outputs[*index] = *out;
    }
  }

  const bool running = execution.status == store::kRunning;
  Json context = Json::object();
  context["Execution"] = {{"Id", execution.id},
                          {"Name", execution.name},
                          {"StartTime", runtime::FormatTimestamp(execution.start_ms)},
                          {"RedriveCount", execution.redrive_count}};
  {
    Result<Json> input = ParseJsonData(execution.input);
    context["Execution"]["Input"] = input.ok() ? std::move(input).value() : Json::object();
  }
  if (execution.redrive_ms) {
    context["Execution"]["RedriveTime"] = runtime::FormatTimestamp(*execution.redrive_ms);
  }
  context["StateMachine"] = {{"Id", execution.machine}, {"Name", execution.machine}};

  Json out_visits = Json::array();
  for (size_t i = 0; i < visits.size(); ++i) {
    Visit& v = visits[i];
    if (v.status == "RUNNING" && !running) v.status = v.failed ? "FAILED" : "ABORTED";
    if (v.status == "RUNNING" && v.failed && (!v.caught_by.empty() || i + 1 < visits.size())) {
      v.status = "FAILED";
    }
    if (!v.result && !v.body_outputs.empty()) {
      // A Map's result is its iterations' outputs in order; a Parallel's its branches'.
      Json all = Json::array();
      for (auto& [index, value] : v.body_outputs) all.push_back(value);
      v.result = std::move(all);
    }
    // The Context Object and variables as the state saw them.
    Json ctx_json = context;
    ctx_json["State"] = {{"EnteredTime", runtime::FormatTimestamp(v.entered_ms)},
                         {"Name", s.name},
                         {"RetryCount", 0}};
    if (s.type == graph::StateType::kTask) ctx_json["Task"] = {{"Token", ""}};
    Json vars = VariablesBefore(events, v.entered, std::string(ScopeOf(state_path)));
    expr::VariableScope scope{&vars, nullptr};
    expr::EvalContext ctx;
    ctx.context = &ctx_json;
    ctx.variables = &scope;

    // The Catch that took a failed visit on: the first whose ErrorEquals
    // matches and whose Next is the state entered after it.
    int64_t caught_index = -1;
    const Json* catch_json = nullptr;
    if (!v.caught_by.empty()) {
      for (size_t c = 0; c < s.catchers.size(); ++c) {
        if (!runtime::ErrorMatches(s.catchers[c].error_equals, v.error)) continue;
        caught_index = static_cast<int64_t>(c);
        if (auto it = state_json.find("Catch");
            it != state_json.end() && it->is_array() && c < it->size()) {
          catch_json = &(*it)[c];
        }
        break;
      }
    }
    std::vector<Stage> stages;
    if (s.language == graph::QueryLanguage::kJsonata) {
      RecordedJsonata(s, state_json, v, &stages);
    } else if (caught_index >= 0) {
      // input → the error output → the Catch's ResultPath = the output.
      const graph::Catcher& catcher = s.catchers[static_cast<size_t>(caught_index)];
      stages.push_back({"input", "", v.input, ""});
      Json error_output = {{"Error", v.error}, {"Cause", v.cause}};
      stages.push_back({"result", "Catch[" + std::to_string(caught_index) + "]", error_output, ""});
      Result<Json> placed = expr::ApplyResultPath(catcher.result_path, v.input, error_output);
      const std::string field = catch_json ? PathFieldText(*catch_json, "ResultPath") : "";
      stages.push_back({"afterResultPath", field,
                        placed.ok() ? std::optional<Json>(*placed) : std::nullopt,
                        placed.ok() ? "" : placed.status().message()});
      if (placed.ok()) stages.push_back({"output", "", *placed, ""});
    } else {
      RecomputeJsonPath(s, state_json, v, ctx, &stages);
    }
    Json stage_list = Json::array();
    const Json* previous = nullptr;
    for (const Stage& stage : stages) {
      Json item = {{"name", stage.name}, {"field", stage.field}};
      if (stage.value) {
        item["value"] = *stage.value;
        item["changes"] = previous ? Changes(*previous, *stage.value) : Json::array();
      } else {
        item["error"] = stage.error;
      }
      stage_list.push_back(std::move(item));
      if (stage.value) previous = &stage_list.back()["value"];
    }
    Json visit = {{"visit", static_cast<int64_t>(i + 1)},
                  {"enteredEventId", v.entered},
                  {"status", v.status},
                  {"stages", std::move(stage_list)}};
    visit["exitedEventId"] = v.exited ? Json(v.exited) : Json(nullptr);
    visit["assigned"] = v.assigned;
    visit["recordedOutput"] = v.recorded_output ? *v.recorded_output : Json(nullptr);
    bool matches = false;
    if (v.recorded_output && !stages.empty() && stages.back().name == "output" &&
        stages.back().value) {
      matches = *stages.back().value == *v.recorded_output;
    }
    visit["matchesRecord"] = matches;

    // Attempts: the retrier each failure matched and the back-off taken.
    Json attempts = Json::array();
    std::vector<int64_t> retries(s.retry.size(), 0);
    for (size_t a = 0; a < v.attempts.size(); ++a) {
      const Visit::Attempt& at = v.attempts[a];
      Json item = {{"attempt", static_cast<int64_t>(a + 1)},
                   {"scheduledEventId", at.scheduled},
                   {"startMs", at.start_ms},
                   {"status", at.status}};
      item["endMs"] = at.end_ms ? Json(at.end_ms) : Json(nullptr);
      item["error"] = at.error.empty() ? Json(nullptr) : Json(at.error);
      item["cause"] = at.error.empty() ? Json(nullptr) : Json(at.cause);
      item["retrier"] = nullptr;
      item["backoffMs"] = nullptr;
      item["plannedBackoffMs"] = nullptr;
      if (!at.error.empty() && a + 1 < v.attempts.size() && !runtime::Uncatchable(at.error)) {
        for (size_t r = 0; r < s.retry.size(); ++r) {
          if (!runtime::ErrorMatches(s.retry[r].error_equals, at.error)) continue;
          const graph::Retrier& retrier = s.retry[r];
          item["retrier"] = RetrierJson(retrier, r);
          const double planned = runtime::RetryDelaySeconds(retrier, retries[r]);
          ++retries[r];
          item["plannedBackoffMs"] = static_cast<int64_t>(std::llround(planned * 1000.0));
          item["backoffMs"] = v.attempts[a + 1].start_ms - at.end_ms;
          break;
        }
      }
      attempts.push_back(std::move(item));
    }
    visit["attempts"] = std::move(attempts);
    visit["error"] = v.failed ? Json(v.error) : Json(nullptr);
    visit["cause"] = v.failed ? Json(v.cause) : Json(nullptr);

    // The Catch that took a failed visit elsewhere.
    visit["caught"] = nullptr;
    if (caught_index >= 0) {
      const size_t c = static_cast<size_t>(caught_index);
      Json caught = {{"index", caught_index},
                     {"errorEquals", s.catchers[c].error_equals},
                     {"next", v.caught_by}};
      caught["resultPath"] = catch_json && catch_json->contains("ResultPath")
                                 ? (*catch_json)["ResultPath"]
                                 : Json("$");
      visit["caught"] = std::move(caught);
      visit["status"] = "CAUGHT";
    }
    out_visits.push_back(std::move(visit));
  }
  Json out = Json::object();
  out["state"] = state_path;
  out["name"] = s.name;
  out["type"] = std::string(graph::StateTypeName(s.type));
  out["queryLanguage"] = s.language == graph::QueryLanguage::kJsonata ? "JSONata" : "JSONPath";
  out["definition"] = state_json;
  out["visits"] = std::move(out_visits);
  return out;
}

}  // namespace stepflow::console
