// stepflow_jsonata_eval: evaluates JSONata expressions given as JSON lines,
// for the differential test against jsonata-js (tests/jsonata/differential.js).
//
//   stdin:  {"expr": "...", "data": ..., "bindings": {...}}   one per line;
//           no "data" = undefined input; "bindings" optional
//   stdout: {"value": ...} | {"undefined": true} | {"error": "CODE", "message": "..."}
//           one per input line, in order
//
// Values are written by AppendValueText (json_text.h): functions as
// "<function>", non-finite numbers and undefined items as markers. Each
// evaluation runs with max_depth 1000 and a time limit of --time-limit-ms
// (default 2000). A line that is not JSON gets {"error": "BADLINE"}.
#include <chrono>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "engine/jsonata/jsonata.h"
#include "tests/jsonata/json_text.h"

namespace {

using stepflow::Json;
using namespace stepflow::jsonata;
using namespace stepflow::jsonata::testkit;

std::string ErrorLine(const ErrorInfo& e) {
  std::string out = "{\"error\":";
  AppendJsonText(Json(e.code), &out);
  out += ",\"message\":";
  AppendJsonText(Json(e.message), &out);
  out += ",\"position\":" + std::to_string(e.position) + "}";
  return out;
}

std::string Evaluate(const std::string& line, int time_limit_ms) {
  std::string error;
  std::optional<Json> request = ParseJsonText(line, &error);
  if (!request || !request->is_object() || !request->contains("expr") ||
      !(*request)["expr"].is_string()) {
    return "{\"error\":\"BADLINE\",\"message\":" + JsonText(Json(error)) + "}";
  }
  try {
    std::variant<Expression, ErrorInfo> parsed =
        Expression::Parse((*request)["expr"].get<std::string>());
    if (const ErrorInfo* e = std::get_if<ErrorInfo>(&parsed)) return ErrorLine(*e);
    std::vector<std::pair<std::string, Value>> bindings;
    if (auto b = request->find("bindings"); b != request->end() && b->is_object()) {
      for (const auto& [name, value] : b->items()) bindings.emplace_back(name, Value::Borrow(value));
    }
    EvalOptions options;
    options.bindings = bindings;
    options.max_depth = 1000;
    options.time_limit = std::chrono::milliseconds(time_limit_ms);
    auto data = request->find("data");
    Value input = data != request->end() ? Value::Borrow(*data) : Value();
    ErrorInfo e;
    Value result = std::get<Expression>(parsed).EvaluateValue(input, options, &e);
    if (!e.code.empty()) return ErrorLine(e);
    if (result.IsUndefined()) return "{\"undefined\":true}";
    return "{\"value\":" + ValueText(result) + "}";
  } catch (const std::exception& ex) {
    return "{\"error\":\"CRASH\",\"message\":" + JsonText(Json(std::string(ex.what()))) + "}";
  } catch (...) {
    return "{\"error\":\"CRASH\",\"message\":\"unknown exception\"}";
  }
}

}  // namespace

int main(int argc, char** argv) {
  int time_limit_ms = 2000;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--time-limit-ms" && i + 1 < argc) {
      time_limit_ms = std::stoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: stepflow_jsonata_eval [--time-limit-ms N] < lines\n");
      return 2;
    }
  }
  std::ios::sync_with_stdio(false);
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    std::string out = Evaluate(line, time_limit_ms);
    out.push_back('\n');
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
  }
  return 0;
}
