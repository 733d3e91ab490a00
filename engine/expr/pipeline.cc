#include "engine/expr/pipeline.h"

namespace stepflow::expr {

Result<PathField> PathField::FromJson(const Json* value) {
  PathField field;
  if (value == nullptr) return field;
  if (value->is_null()) {
    field.mode = Mode::kNull;
    return field;
  }
  if (!value->is_string()) {
    return Status::InvalidArgument("A path field must be a string or null, not " +
                                   std::string(JsonTypeName(*value)));
  }
  STEPFLOW_ASSIGN_OR_RETURN(field.path, Path::Parse(value->get_ref<const std::string&>()));
  field.mode = field.path.is_root_only() && field.path.root() == PathRoot::kInput ? Mode::kDefault
                                                                                  : Mode::kPath;
  return field;
}

Result<Json> ApplyInputPath(const PathField& field, const Json& input, const EvalContext& ctx) {
  switch (field.mode) {
    case PathField::Mode::kDefault:
      return input;
    case PathField::Mode::kNull:
      return Json::object();
    case PathField::Mode::kPath:
      break;
  }
  if (field.path.is_definite()) {
    if (const Json* found = field.path.Find(input, ctx)) return *found;
  }
  if (input.is_null() && field.path.root() == PathRoot::kInput) {
    return Status::AslError("States.Runtime",
                            "Unable to apply Path transformation to null or empty input.");
  }
  auto r = field.path.Evaluate(input, ctx);
  if (r.ok()) return r;
  // AWS's cause quotes Jayway JsonPath: "Invalid path '$.x' : No results
  // for path: $['x']".
  return Status::AslError("States.Runtime",
                          "Invalid path '" + field.path.text() + "' : " + r.status().message());
}

Result<Json> ApplyResultPath(const PathField& field, Json raw_input, Json result) {
  switch (field.mode) {
    case PathField::Mode::kDefault:
      return result;
    case PathField::Mode::kNull:
      return raw_input;
    case PathField::Mode::kPath:
      break;
  }
  auto fail = [&]() {
    return Status::AslError("States.ResultPathMatchFailure", "Unable to apply ReferencePath " +
                                                                 field.path.text() + " to input " +
                                                                 DumpCompact(raw_input));
  };
  if (field.path.root() != PathRoot::kInput || !field.path.is_reference_path()) return fail();
  Json* node = &raw_input;
  for (const auto& step : field.path.ReferenceSteps()) {
    if (step.is_index) {
      if (!node->is_array() || step.index < 0 || static_cast<size_t>(step.index) >= node->size()) {
        return fail();
      }
      node = &(*node)[static_cast<size_t>(step.index)];
    } else {
      if (node->is_null()) *node = Json::object();
      if (!node->is_object()) return fail();
      node = &(*node)[step.name];
    }
  }
  *node = std::move(result);
  return raw_input;
}

Result<Json> StateIo::EffectiveInput(const Json& raw_input, const EvalContext& ctx) const {
  if (!parameters) return ApplyInputPath(input_path, raw_input, ctx);
  // Parameters read the selected node in place: no copy of the input.
  if (input_path.mode == PathField::Mode::kDefault) return parameters->Evaluate(raw_input, ctx);
  if (input_path.mode == PathField::Mode::kPath && input_path.path.is_definite()) {
    if (const Json* selected = input_path.path.Find(raw_input, ctx)) {
      return parameters->Evaluate(*selected, ctx);
    }
  }
  STEPFLOW_ASSIGN_OR_RETURN(Json input, ApplyInputPath(input_path, raw_input, ctx));
  return parameters->Evaluate(input, ctx);
}

Result<Json> StateIo::Output(Json raw_input, Json result, const EvalContext& ctx) const {
  if (result_selector) {
    STEPFLOW_ASSIGN_OR_RETURN(result, result_selector->Evaluate(result, ctx));
  }
  STEPFLOW_ASSIGN_OR_RETURN(Json combined,
                            ApplyResultPath(result_path, std::move(raw_input), std::move(result)));
  if (output_path.mode == PathField::Mode::kDefault) return combined;
  return ApplyOutputPath(output_path, combined, ctx);
}

}  // namespace stepflow::expr
