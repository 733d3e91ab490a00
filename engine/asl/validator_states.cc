// The ASL validator, part 2: Resources, the fields of each state type
// (ASL_NOTES §2, §4, §8), Choice rules, Retry and Catch (§7). Plain field
// values are checked through the tables and checks of fields.cc.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <unordered_set>

#include "engine/asl/validator_internal.h"
#include "engine/expr/choice_rule.h"
#include "engine/expr/intrinsics.h"
#include "engine/expr/json_path.h"
#include "engine/expr/payload_template.h"
#include "engine/expr/timestamp.h"

namespace stepflow::asl::internal {

namespace {

// The first key ending in ".$" anywhere in `v`, or nullptr.
const std::string* FindDollarKey(const Json& v) {
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string& k = it.key();
      if (k.size() >= 2 && k.compare(k.size() - 2, 2, ".$") == 0) return &k;
      if (const std::string* inner = FindDollarKey(*it)) return inner;
    }
  } else if (v.is_array()) {
    for (const auto& e : v) {
      if (const std::string* inner = FindDollarKey(e)) return inner;
    }
  }
  return nullptr;
}

void CheckErrorEquals(Validator& val, const Json& v, const std::string& pointer, bool is_last,
                      std::string_view list) {
  if (!v.is_array() || v.empty()) {
    val.Error(kSchema, pointer,
              "'ErrorEquals' must be a non-empty array of error names such as "
              "[\"States.TaskFailed\"], not " +
                  Describe(v));
    return;
  }
  for (size_t i = 0; i < v.size(); ++i) {
    const Json& e = v[i];
    if (!e.is_string() || e.get_ref<const std::string&>().empty()) {
      val.Error(kSchema, Child(pointer, i),
                "An error name in 'ErrorEquals' must be a non-empty string, not " + Describe(e));
    } else if (e.get_ref<const std::string&>() == "States.ALL") {
      if (v.size() > 1) {
        val.Error(kSchema, Child(pointer, i),
                  "\"States.ALL\" must be the only name in its 'ErrorEquals': remove the other "
                  "names or move them to an earlier entry");
      }
      if (!is_last) {
        val.Error(kSchema, Child(pointer, i),
                  "The entry with \"States.ALL\" must be the last one in '" + std::string(list) +
                      "': move it to the end");
      }
    }
  }
}

// ---------------------------------------------------------------- Choice rules

const std::unordered_set<std::string_view>& Operators() {
  static const std::unordered_set<std::string_view> ops = [] {
    std::unordered_set<std::string_view> s;
    for (const auto& op : expr::ChoiceRule::ComparisonOperators()) s.insert(op);
    return s;
  }();
  return ops;
}

void CheckOperand(Validator& val, std::string_view op, const Json& v, const std::string& pointer) {
  const std::string path_op = std::string(op) + "Path";
  auto wrong_type = [&](std::string_view expected) {
    std::string msg = Quote(op) + " takes " + std::string(expected) + ", not " + Describe(v);
    if (LooksLikePath(v) && Operators().count(path_op)) {
      msg += ": to compare with the value at a path, use " + Quote(path_op);
    }
    val.Error(kSchema, pointer, std::move(msg));
  };
  if (expr::ChoiceRule::IsPathOperator(op)) {
    val.CheckPath(v, pointer, op, PathKind::kPath, false);
  } else if (op.rfind("String", 0) == 0) {
    if (!v.is_string()) return wrong_type("a string");
    if (op == "StringMatches") {
      if (!expr::IsValidStringMatchesPattern(v.get_ref<const std::string&>())) {
        val.Error(kSchema, pointer,
                  "The 'StringMatches' pattern " + DumpCompact(v) +
                      " is invalid (a backslash must escape '*' or '\\'): write \\\\* for a "
                      "literal star and \\\\\\\\ for a backslash");
      }
    } else if (LooksLikePath(v)) {
      val.Warning(kNoPath, pointer,
                  Quote(op) + " compares with the literal string " + DumpCompact(v) +
                      ": to compare with the value at that path, use " + Quote(path_op));
    }
  } else if (op.rfind("Numeric", 0) == 0) {
    if (!v.is_number()) wrong_type("a number");
  } else if (op.rfind("Boolean", 0) == 0 || op.rfind("Is", 0) == 0) {
    if (!v.is_boolean()) wrong_type("true or false");
  } else if (op.rfind("Timestamp", 0) == 0) {
    if (!v.is_string()) return wrong_type("an RFC 3339 timestamp string");
    if (!expr::Timestamp::Parse(v.get_ref<const std::string&>())) {
      std::string msg = Quote(op) +
                        " takes an RFC 3339 timestamp such as "
                        "\"2016-03-14T01:59:00Z\" (uppercase 'T' and 'Z'), not " +
                        DumpCompact(v);
      if (LooksLikePath(v)) msg += ": to compare with the value at a path, use " + Quote(path_op);
      val.Error(kInvalidTimestamp, pointer, std::move(msg));
    }
  }
}

void CheckJsonPathRule(Validator& val, const StateContext& ctx, const Json& rule,
                       const std::string& pointer, bool top) {
  if (!rule.is_object()) {
    val.Error(kSchema, pointer, "A Choice rule must be an object, not " + Describe(rule));
    return;
  }
  const auto& ops = Operators();
  std::vector<std::string_view> found;
  for (auto it = rule.begin(); it != rule.end(); ++it) {
    std::string_view key = it.key();
    if (ops.count(key) || key == "And" || key == "Or" || key == "Not") {
      found.push_back(key);
    } else if (key == "Variable" || key == "Comment" ||
               (top && (key == "Next" || key == "Assign"))) {
      continue;
    } else if (key == "Next" || key == "Assign") {
      val.ErrorAtKey(kSchema, Child(pointer, key),
                     "A rule inside 'And', 'Or' or 'Not' cannot have " + Quote(key) +
                         ": only top-level Choice rules have it; remove it");
    } else if (key == "Condition" || key == "Output") {
      val.ErrorAtKey(kSchema, Child(pointer, key),
                     Quote(key) + " is a JSONata Choice rule field and " + ctx.Label() +
                         " uses JSONPath: set \"QueryLanguage\": \"JSONata\" on the state, or "
                         "write the test with 'Variable' and an operator");
    } else {
      std::string msg = "The Choice rule has an unknown field " + Quote(key);
      auto best = Closest(key, expr::ChoiceRule::ComparisonOperators());
      msg += best.empty() ? ": remove it" : ": did you mean " + Quote(best) + "?";
      val.ErrorAtKey(kSchema, Child(pointer, key), std::move(msg));
    }
  }
  if (top) {
    if (auto next = rule.find("Next"); next == rule.end()) {
      val.Error(kSchema, pointer,
                "The Choice rule has no \"Next\": add the state to go to when it matches");
    } else {
      val.AddTransition(ctx, *next, Child(pointer, "Next"), "Next");
    }
    if (auto assign = rule.find("Assign"); assign != rule.end()) {
      val.CheckAssign(ctx, *assign, Child(pointer, "Assign"), kJsonataPlain);
    }
  }
  if (auto c = rule.find("Comment"); c != rule.end())
    val.CheckString(*c, Child(pointer, "Comment"), "Comment");
  const bool is_boolean_rule =
      !found.empty() && (found[0] == "And" || found[0] == "Or" || found[0] == "Not");
  auto variable = rule.find("Variable");
  if (found.empty()) {
    val.Error(kSchema, pointer,
              "The Choice rule has no comparison operator: add one such as \"StringEquals\" "
              "(with 'Variable'), or combine rules with 'And', 'Or' or 'Not'");
  } else if (found.size() > 1) {
    // Reported at the rule, the object that breaks "exactly one operator";
    // the message names the operators in document order.
    auto position = [&](std::string_view op) {
      const SourcePosition* p = val.KeyPosition(Child(pointer, op));
      return p ? std::pair(p->line, p->column) : std::pair(0, 0);
    };
    std::stable_sort(found.begin(), found.end(), [&](std::string_view a, std::string_view b) {
      return position(a) < position(b);
    });
    std::string names;
    for (size_t i = 0; i < found.size(); ++i) names += (i ? ", " : "") + Quote(found[i]);
    val.Error(kSchema, pointer,
              "The Choice rule has " + std::to_string(found.size()) + " operators (" + names +
                  "): a rule takes exactly one; keep " + Quote(found[0]) +
                  " and combine further tests with 'And'");
  }
  if (variable != rule.end()) {
    if (is_boolean_rule && found.size() == 1) {
      val.ErrorAtKey(kSchema, Child(pointer, "Variable"),
                     "A rule with " + Quote(found[0]) +
                         " cannot have 'Variable': put 'Variable' "
                         "in the nested rules");
    } else {
      val.CheckPath(*variable, Child(pointer, "Variable"), "Variable", PathKind::kPath, false);
    }
  } else if (!found.empty() && !is_boolean_rule) {
    val.Error(kSchema, pointer,
              "The Choice rule uses " + Quote(found[0]) +
                  " but has no \"Variable\": add the path of the value to test, e.g. "
                  "\"Variable\": \"$.status\"");
  }
  for (auto op : found) {
    const Json& v = rule.at(std::string(op));  // NOLINT: found keys exist
    std::string op_pointer = Child(pointer, op);
    if (op == "And" || op == "Or") {
      if (!v.is_array() || v.empty()) {
        val.Error(kSchema, op_pointer,
                  Quote(op) + " must be a non-empty array of rules, not " + Describe(v));
        continue;
      }
      for (size_t i = 0; i < v.size(); ++i) {
        CheckJsonPathRule(val, ctx, v[i], Child(op_pointer, i), false);
      }
    } else if (op == "Not") {
      if (!v.is_object()) {
        val.Error(kSchema, op_pointer, "'Not' must be one rule (an object), not " + Describe(v));
        continue;
      }
      CheckJsonPathRule(val, ctx, v, op_pointer, false);
    } else {
      CheckOperand(val, op, v, op_pointer);
    }
  }
}

void CheckJsonataRule(Validator& val, const StateContext& ctx, const Json& rule,
                      const std::string& pointer) {
  if (!rule.is_object()) {
    val.Error(kSchema, pointer, "A Choice rule must be an object, not " + Describe(rule));
    return;
  }
  for (auto it = rule.begin(); it != rule.end(); ++it) {
    std::string_view key = it.key();
    if (key == "Condition" || key == "Next" || key == "Comment" || key == "Assign" ||
        key == "Output") {
      continue;
    }
    std::string msg;
    if (key == "Variable" || key == "And" || key == "Or" || key == "Not" ||
        Operators().count(key)) {
      msg = Quote(key) + " is a JSONPath Choice rule field and " + ctx.Label() +
            " uses JSONata: write the test as \"Condition\": \"{% ... %}\"";
    } else {
      msg = "The Choice rule has an unknown field " + Quote(key) +
            ": a JSONata rule has 'Condition', 'Next', 'Assign', 'Output' and 'Comment'";
    }
    val.ErrorAtKey(kSchema, Child(pointer, key), std::move(msg));
  }
  std::string cond_pointer = Child(pointer, "Condition");
  if (auto cond = rule.find("Condition"); cond == rule.end()) {
    val.Error(kSchema, pointer,
              "The Choice rule has no \"Condition\": add \"Condition\": \"{% <a boolean "
              "expression> %}\"");
  } else if (StartsOrEndsJsonata(*cond)) {
    val.CheckJsonataString(cond->get_ref<const std::string&>(), cond_pointer, kJsonataPlain);
  } else if (!cond->is_boolean()) {
    val.Error(kSchema, cond_pointer,
              "'Condition' must be true, false or a JSONata expression \"{% ... %}\", not " +
                  Describe(*cond));
  }
  if (auto next = rule.find("Next"); next == rule.end()) {
    val.Error(kSchema, pointer,
              "The Choice rule has no \"Next\": add the state to go to when it matches");
  } else {
    val.AddTransition(ctx, *next, Child(pointer, "Next"), "Next");
  }
  if (auto c = rule.find("Comment"); c != rule.end())
    val.CheckString(*c, Child(pointer, "Comment"), "Comment");
  if (auto a = rule.find("Assign"); a != rule.end())
    val.CheckAssign(ctx, *a, Child(pointer, "Assign"), kJsonataPlain);
  if (auto o = rule.find("Output"); o != rule.end())
    val.CheckJsonataValue(*o, Child(pointer, "Output"), kJsonataPlain);
}

}  // namespace

// ---------------------------------------------------------------- resources and templates

namespace {

bool IsArnName(std::string_view s, bool allow_dot) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
           (allow_dot && c == '.');
  });
}

// What is wrong with an ARN used as a Resource, or "": it has the
// arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE shape, a Lambda function ARN
// names the function (ARCHITECTURE §5), and a service integration
// (arn:aws:states:::SERVICE:ACTION) names both.
std::string ArnProblem(std::string_view s) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t colon = s.find(':', start);
    parts.push_back(s.substr(start, colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  if (parts.size() < 6 || parts[1].empty() || parts[2].empty() || parts.back().empty()) {
    return " is not a complete ARN: write arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE";
  }
  if (parts[2] == "lambda") {
    if (parts[5] != "function" || parts.size() > 8 || parts.size() < 7 ||
        !IsArnName(parts[6], true) ||
        (parts.size() == 8 && parts[7] != "$LATEST" && !IsArnName(parts[7], false))) {
      return " is not a Lambda function ARN: write "
             "arn:aws:lambda:REGION:ACCOUNT:function:NAME[:VERSION_OR_ALIAS]";
    }
  } else if (parts[2] == "states" && parts[3].empty() && parts[4].empty()) {
    if (parts.size() < 7 ||
        std::any_of(parts.begin() + 5, parts.end(), [](std::string_view p) { return p.empty(); })) {
      return " is not a service integration ARN: write arn:aws:states:::SERVICE:ACTION, e.g. "
             "arn:aws:states:::lambda:invoke";
    }
  }
  return {};
}

}  // namespace

// An object in JSONPath (a payload template); an object or a {% %} string
// in JSONata.
void CheckTemplateField(Validator& val, const StateContext& ctx, const Json& v,
                        const std::string& pointer, std::string_view field) {
  if (!ctx.jsonata()) return val.CheckTemplate(v, pointer, field);
  if (!v.is_object() && !StartsOrEndsJsonata(v)) {
    val.Error(kSchema, pointer,
              Quote(field) + " must be an object or a JSONata expression \"{% ... %}\", not " +
                  Describe(v));
    return;
  }
  val.CheckJsonataValue(v, pointer, kJsonataPlain);
}

// Resource names (ARCHITECTURE §5): NAME, grpc://HOST:PORT/NAME or an ARN.
void CheckResource(Validator& val, const Json& v, const std::string& pointer) {
  std::string problem;
  if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
    problem =
        "must be a non-empty string naming the function to call (NAME, "
        "grpc://HOST:PORT/NAME or an ARN), not " +
        Describe(v);
  } else if (StartsOrEndsJsonata(v)) {
    problem =
        "must be a constant string, not a JSONata expression: pass dynamic values in "
        "'Arguments'";
  } else {
    std::string_view s = v.get_ref<const std::string&>();
    if (std::any_of(s.begin(), s.end(), [](unsigned char c) { return c <= 0x20 || c == 0x7F; })) {
      problem = DumpCompact(v) + " contains spaces or control characters: remove them";
    } else if (s.rfind("grpc://", 0) == 0) {
      std::string_view rest = s.substr(7);
      size_t slash = rest.find('/');
      std::string_view authority = rest.substr(0, slash), port;
      size_t colon = authority.rfind(':');
      if (colon != std::string_view::npos && colon > 0) port = authority.substr(colon + 1);
      if (slash == std::string_view::npos || slash + 1 == rest.size() || port.empty() ||
          port.size() > 5 ||
          !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        problem = DumpCompact(v) + " is not a usable gRPC address: write grpc://HOST:PORT/NAME";
      }
    } else if (s.rfind("arn:", 0) == 0 && s.find("${") == std::string_view::npos) {
      // (a "${...}" is a template placeholder, filled in before deployment)
      if (std::string arn = ArnProblem(s); !arn.empty()) problem = DumpCompact(v) + arn;
    }
  }
  if (!problem.empty()) val.Error(kInvalidResource, pointer, "'Resource' " + problem);
}

// ---------------------------------------------------------------- state types

void Validator::CheckTask(const StateContext& ctx) {
  if (const Json* r = ctx.Field("Resource")) {
    CheckResource(*this, *r, ctx.Ptr("Resource"));
  } else {
    Error(kSchema, ctx.pointer,
          ctx.Label() +
              " has no \"Resource\": add the function to call, e.g. \"Resource\": "
              "\"my-function\"");
  }
  CheckSpecs(*this, ctx, *ctx.state, ctx.pointer, ctx.Label(), ObjectFields().task);
  const Json* timeout = ctx.Field("TimeoutSeconds");
  const Json* heartbeat = ctx.Field("HeartbeatSeconds");
  if (timeout != nullptr && heartbeat != nullptr && IsIntegral(*timeout) &&
      IsIntegral(*heartbeat) && heartbeat->get<double>() >= timeout->get<double>() &&
      heartbeat->get<double>() >= 1) {
    Error(kSchema, ctx.Ptr("HeartbeatSeconds"),
          "'HeartbeatSeconds' (" + DumpCompact(*heartbeat) +
              ") must be smaller than "
              "'TimeoutSeconds' (" +
              DumpCompact(*timeout) + "): lower it or raise 'TimeoutSeconds'");
  }
  if (const Json* v = ctx.Field("Credentials")) {
    if (!v->is_object() && !(ctx.jsonata() && StartsOrEndsJsonata(*v))) {
      Error(kSchema, ctx.Ptr("Credentials"),
            "'Credentials' must be an object such as {\"RoleArn\": \"...\"}, not " + Describe(*v));
    } else {
      CheckTemplateField(*this, ctx, *v, ctx.Ptr("Credentials"), "Credentials");
    }
  }
}

void Validator::CheckPass(const StateContext& ctx) {
  const Json* result = ctx.Field("Result");
  if (result == nullptr) return;
  if (const std::string* key = FindDollarKey(*result)) {
    Warning(kPassResultIsStatic, ctx.Ptr("Result"),
            "'Result' is used as written and never evaluated, so the key " + Quote(*key) +
                " keeps its '.$': use 'Parameters' to build a value from the input");
  }
}

void Validator::CheckWait(const StateContext& ctx) {
  std::vector<std::string_view> present;
  for (std::string_view f : {"Seconds", "SecondsPath", "Timestamp", "TimestampPath"}) {
    if (ctx.Field(f) != nullptr) present.push_back(f);
  }
  if (present.empty()) {
    Error(kSchema, ctx.pointer,
          ctx.Label() + (ctx.jsonata() ? " needs 'Seconds' or 'Timestamp': add one"
                                       : " needs one of 'Seconds', 'SecondsPath', 'Timestamp' "
                                         "or 'TimestampPath': add one"));
  }
  for (size_t i = 1; i < present.size(); ++i) {
    Error(kSchema, ctx.Ptr(present[i]),
          ctx.Label() + " has both " + Quote(present[0]) + " and " + Quote(present[i]) +
              ": keep exactly one way to say how long to wait");
  }
  CheckSpecs(*this, ctx, *ctx.state, ctx.pointer, ctx.Label(), ObjectFields().wait, false, false);
  const Json* v = ctx.Field("Timestamp");
  if (v == nullptr) return;
  const std::string pointer = ctx.Ptr("Timestamp");
  if (ctx.jsonata() && StartsOrEndsJsonata(*v)) {
    CheckJsonataString(v->get_ref<const std::string&>(), pointer, kJsonataPlain);
  } else if (!v->is_string()) {
    Error(kSchema, pointer,
          "'Timestamp' must be an RFC 3339 timestamp string, not " + Describe(*v));
  } else if (!expr::Timestamp::Parse(v->get_ref<const std::string&>())) {
    std::string msg = "'Timestamp' " + DumpCompact(*v) +
                      " is not an RFC 3339 timestamp such as \"2016-03-14T01:59:00Z\" (uppercase "
                      "'T' and 'Z')";
    if (!ctx.jsonata() && LooksLikePath(*v))
      msg += ": to read it from the input, use 'TimestampPath'";
    Error(kInvalidTimestamp, pointer, std::move(msg));
  }
}

void Validator::CheckChoice(const StateContext& ctx) {
  if (const Json* d = ctx.Field("Default")) AddTransition(ctx, *d, ctx.Ptr("Default"), "Default");
  const Json* choices = ctx.Field("Choices");
  const std::string pointer = ctx.Ptr("Choices");
  if (choices == nullptr) {
    Error(kSchema, ctx.pointer,
          ctx.Label() + " has no \"Choices\": add a non-empty array of rules");
    return;
  }
  if (!choices->is_array() || choices->empty()) {
    Error(kSchema, pointer,
          "'Choices' must be a non-empty array of rules, not " + Describe(*choices));
    return;
  }
  for (size_t i = 0; i < choices->size(); ++i) {
    if (ctx.jsonata()) {
      CheckJsonataRule(*this, ctx, (*choices)[i], Child(pointer, i));
    } else {
      CheckJsonPathRule(*this, ctx, (*choices)[i], Child(pointer, i), true);
    }
  }
}

void Validator::CheckFail(const StateContext& ctx) {
  CheckSpecs(*this, ctx, *ctx.state, ctx.pointer, ctx.Label(), ObjectFields().fail);
  for (std::string_view f : {"Error", "Cause"}) {
    const Json* v = ctx.Field(f);
    if (v == nullptr || !CheckString(*v, ctx.Ptr(f), f)) continue;
    if (ctx.jsonata()) {
      CheckJsonataString(v->get_ref<const std::string&>(), ctx.Ptr(f), kJsonataPlain);
    } else if (LooksLikePath(*v)) {
      Warning(kNoPath, ctx.Ptr(f),
              Quote(f) + " is used as written, so it is the literal text " + DumpCompact(*v) +
                  ": to read it from the input, use '" + std::string(f) + "Path'");
    }
  }
}

void Validator::CheckParallel(const StateContext& ctx) {
  const Json* branches = ctx.Field("Branches");
  const std::string pointer = ctx.Ptr("Branches");
  if (branches == nullptr || !branches->is_array() || branches->empty()) {
    Error(kSchema, branches == nullptr ? ctx.pointer : pointer,
          ctx.Label() +
              " needs 'Branches', a non-empty array of {\"StartAt\", \"States\"} objects" +
              (branches == nullptr ? ": add it" : ", not " + Describe(*branches)));
    return;
  }
  for (size_t i = 0; i < branches->size(); ++i) {
    CheckNestedScope(ctx, (*branches)[i], Child(pointer, i),
                     "Branch " + std::to_string(i) + " of " + ctx.Label(), false);
  }
}

void Validator::CheckMap(const StateContext& ctx) {
  const Json* processor = ctx.Field("ItemProcessor");
  const Json* iterator = ctx.Field("Iterator");
  if (processor == nullptr && iterator == nullptr) {
    Error(kSchema, ctx.pointer,
          ctx.Label() +
              " has no \"ItemProcessor\": add {\"StartAt\": ..., \"States\": {...}} "
              "to run for each item");
  } else if (processor != nullptr && iterator != nullptr) {
    Error(kSchema, ctx.Ptr("Iterator"),
          ctx.Label() +
              " has both 'ItemProcessor' and 'Iterator' (its deprecated name): keep "
              "only 'ItemProcessor'");
  }
  if (processor != nullptr || iterator != nullptr) {
    const char* field = processor != nullptr ? "ItemProcessor" : "Iterator";
    const Json& body = processor != nullptr ? *processor : *iterator;
    const std::string pointer = ctx.Ptr(field);
    auto pc = body.is_object() ? body.find("ProcessorConfig") : body.end();
    if (pc != body.end() &&
        CheckObject(*pc, Child(pointer, "ProcessorConfig"), "ProcessorConfig")) {
      CheckSpecs(*this, ctx, *pc, Child(pointer, "ProcessorConfig"), "'ProcessorConfig'",
                 ObjectFields().processor_config);
      if (pc->value("Mode", Json()) == "DISTRIBUTED" && !pc->contains("ExecutionType")) {
        Error(kSchema, Child(pointer, "ProcessorConfig"),
              "A DISTRIBUTED 'ProcessorConfig' needs \"ExecutionType\": add \"STANDARD\" or "
              "\"EXPRESS\" (the type of the child workflow executions)");
      }
    }
    CheckNestedScope(ctx, body, pointer, "The '" + std::string(field) + "' of " + ctx.Label(),
                     true);
  }
  if (ctx.Field("ItemSelector") != nullptr && ctx.Field("Parameters") != nullptr) {
    Error(kSchema, ctx.Ptr("Parameters"),
          ctx.Label() +
              " has both 'ItemSelector' and 'Parameters' (its deprecated name): keep "
              "only 'ItemSelector'");
  }
  CheckSpecs(*this, ctx, *ctx.state, ctx.pointer, ctx.Label(), ObjectFields().map);
  if (const Json* v = ctx.Field("Items")) {
    if (!v->is_array() && !v->is_object() && !StartsOrEndsJsonata(*v)) {
      Error(kSchema, ctx.Ptr("Items"),
            "'Items' must be an array, an object or a JSONata expression \"{% ... %}\", not " +
                Describe(*v));
    } else {
      CheckJsonataValue(*v, ctx.Ptr("Items"), kJsonataPlain);
    }
  }
  if (const Json* b = ctx.Field("ItemBatcher");
      b != nullptr && CheckObject(*b, ctx.Ptr("ItemBatcher"), "ItemBatcher")) {
    CheckSpecs(*this, ctx, *b, ctx.Ptr("ItemBatcher"), "'ItemBatcher'",
               ObjectFields().item_batcher);
    bool has_limit = false;
    for (int i = 0; i < 4; ++i) has_limit |= b->contains(ObjectFields().item_batcher[i].name);
    if (!has_limit) {
      Error(kSchema, ctx.Ptr("ItemBatcher"),
            "'ItemBatcher' needs 'MaxItemsPerBatch' or 'MaxInputBytesPerBatch'" +
                std::string(ctx.jsonata() ? "" : " (or their ...Path forms)") + ": add one");
    }
  }
  if (const Json* r = ctx.Field("ItemReader");
      r != nullptr && CheckObject(*r, ctx.Ptr("ItemReader"), "ItemReader")) {
    const std::string p = ctx.Ptr("ItemReader");
    CheckSpecs(*this, ctx, *r, p, "'ItemReader'", ObjectFields().item_reader);
    if (!r->contains("Resource")) {
      Error(kSchema, p,
            "'ItemReader' has no \"Resource\": add the reader to use, e.g. "
            "\"arn:aws:states:::s3:getObject\"");
    }
    if (auto rc = r->find("ReaderConfig"); rc != r->end() && rc->is_object()) {
      const std::string q = Child(p, "ReaderConfig");
      CheckSpecs(*this, ctx, *rc, q, "'ReaderConfig'", ObjectFields().reader_config);
      if (rc->value("CSVHeaderLocation", Json()) == "GIVEN" && !rc->contains("CSVHeaders")) {
        Error(kSchema, q,
              "\"CSVHeaderLocation\": \"GIVEN\" needs 'CSVHeaders': add the column names");
      }
    }
  }
  if (const Json* w = ctx.Field("ResultWriter");
      w != nullptr && CheckObject(*w, ctx.Ptr("ResultWriter"), "ResultWriter")) {
    const std::string p = ctx.Ptr("ResultWriter");
    CheckSpecs(*this, ctx, *w, p, "'ResultWriter'", ObjectFields().result_writer);
    if (!w->contains("Resource") && !w->contains("WriterConfig")) {
      Error(kSchema, p, "'ResultWriter' needs a \"Resource\" or a \"WriterConfig\": add one");
    }
    if (auto wc = w->find("WriterConfig"); wc != w->end() && wc->is_object()) {
      CheckSpecs(*this, ctx, *wc, Child(p, "WriterConfig"), "'WriterConfig'",
                 ObjectFields().writer_config);
    }
  }
}

// ---------------------------------------------------------------- Retry and Catch

void Validator::CheckRetry(const StateContext& ctx, const Json& retry) {
  const std::string pointer = ctx.Ptr("Retry");
  if (!retry.is_array()) {
    Error(kSchema, pointer, "'Retry' must be an array of retriers, not " + Describe(retry));
    return;
  }
  for (size_t i = 0; i < retry.size(); ++i) {
    const Json& r = retry[i];
    const std::string p = Child(pointer, i);
    if (!CheckObject(r, p, "Retry[" + std::to_string(i) + "]")) continue;
    CheckSpecs(*this, ctx, r, p, "Retrier " + std::to_string(i) + " of " + ctx.Label(),
               ObjectFields().retrier, /*literal=*/true);
    if (auto it = r.find("ErrorEquals"); it == r.end()) {
      Error(kSchema, p,
            "The retrier has no \"ErrorEquals\": add the error names it handles, e.g. "
            "[\"States.ALL\"]");
    } else {
      CheckErrorEquals(*this, *it, Child(p, "ErrorEquals"), i + 1 == retry.size(), "Retry");
    }
  }
}

void Validator::CheckCatch(const StateContext& ctx, const Json& catchers) {
  const std::string pointer = ctx.Ptr("Catch");
  if (!catchers.is_array()) {
    Error(kSchema, pointer, "'Catch' must be an array of catchers, not " + Describe(catchers));
    return;
  }
  for (size_t i = 0; i < catchers.size(); ++i) {
    const Json& c = catchers[i];
    const std::string p = Child(pointer, i);
    if (!CheckObject(c, p, "Catch[" + std::to_string(i) + "]")) continue;
    CheckSpecs(*this, ctx, c, p, "Catcher " + std::to_string(i) + " of " + ctx.Label(),
               ObjectFields().catcher);
    if (auto it = c.find("ErrorEquals"); it == c.end()) {
      Error(kSchema, p,
            "The catcher has no \"ErrorEquals\": add the error names it handles, e.g. "
            "[\"States.ALL\"]");
    } else {
      CheckErrorEquals(*this, *it, Child(p, "ErrorEquals"), i + 1 == catchers.size(), "Catch");
    }
    if (auto it = c.find("Next"); it == c.end()) {
      Error(kSchema, p,
            "The catcher has no \"Next\": add the state to go to when it catches an error");
    } else {
      AddTransition(ctx, *it, Child(p, "Next"), "Next");
    }
    if (auto it = c.find("Assign"); it != c.end())
      CheckAssign(ctx, *it, Child(p, "Assign"), kAllowErrorOutput);
    if (auto it = c.find("Output"); it != c.end() && ctx.jsonata()) {
      CheckJsonataValue(*it, Child(p, "Output"), kAllowErrorOutput);
    }
  }
}

}  // namespace stepflow::asl::internal
