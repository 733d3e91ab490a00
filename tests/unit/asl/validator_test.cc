// Validator tests, part 1: the machine, scopes, transitions, names,
// reachability, positions, big definitions, performance.
#include "engine/asl/validator.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

#include "tests/unit/asl/validator_test_util.h"

namespace stepflow::asl {
namespace {

using testing::Describe;
using testing::Has;
using testing::OneState;
using testing::RequireNone;
using testing::RequireOnly;
using testing::V;
using testing::ValidateJson;
using testing::ValidateText;

constexpr Severity kError = Severity::kError;
constexpr Severity kWarning = Severity::kWarning;

TEST_CASE("SeverityName and HasErrors", "[validator]") {
  CHECK(SeverityName(Severity::kError) == "ERROR");
  CHECK(SeverityName(Severity::kWarning) == "WARNING");
  Diagnostic warning{Severity::kWarning, "NO_DOLLAR", "", 0, 0, "w"};
  Diagnostic error{Severity::kError, "INVALID_PATH", "", 0, 0, "e"};
  CHECK_FALSE(HasErrors({}));
  CHECK_FALSE(HasErrors({warning}));
  CHECK(HasErrors({warning, error}));
}

TEST_CASE("a minimal machine is valid", "[validator]") {
  RequireNone(V(R"({"StartAt":"A","States":{"A":{"Type":"Succeed"}}})"));
  RequireNone(V(R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})"));
}

// ------------------------------------------------------------ top level

TEST_CASE("the definition must be an object", "[validator]") {
  RequireOnly(ValidateJson(Json::array()), "SCHEMA_VALIDATION_FAILED", "");
}

TEST_CASE("StartAt and States are required", "[validator]") {
  auto ds = V(R"({"Comment":"x"})");
  INFO(Describe(ds));
  REQUIRE(ds.size() == 2);
  CHECK(ds[0].code == "SCHEMA_VALIDATION_FAILED");
  CHECK(ds[0].pointer == "");
  CHECK(ds[1].pointer == "");
  RequireOnly(V(R"({"StartAt":"A"})"), "SCHEMA_VALIDATION_FAILED", "");
  RequireOnly(V(R"({"States":{"A":{"Type":"Succeed"}}})"), "SCHEMA_VALIDATION_FAILED", "");
}

TEST_CASE("StartAt and States have types", "[validator]") {
  RequireOnly(V(R"({"StartAt":1,"States":{"A":{"Type":"Succeed"}}})"), "SCHEMA_VALIDATION_FAILED",
              "/StartAt");
  RequireOnly(V(R"({"StartAt":"A","States":[]})"), "SCHEMA_VALIDATION_FAILED", "/States");
  RequireOnly(V(R"({"StartAt":"A","States":{}})"), "SCHEMA_VALIDATION_FAILED", "/States");
}

TEST_CASE("StartAt must name a state", "[validator]") {
  auto ds = V(R"({"StartAt":"a","States":{"A":{"Type":"Succeed"}}})");
  RequireOnly(ds, "MISSING_TRANSITION_TARGET", "/StartAt");
  CHECK(ds[0].message.find("'a'") != std::string::npos);
}

TEST_CASE("unknown top-level fields are reported with a suggestion", "[validator]") {
  auto ds = V(R"({"StartAt":"A","Comments":"x","States":{"A":{"Type":"Succeed"}}})");
  RequireOnly(ds, "SCHEMA_VALIDATION_FAILED", "/Comments");
  CHECK(ds[0].message.find("did you mean 'Comment'") != std::string::npos);
}

TEST_CASE("top-level Version, Comment, TimeoutSeconds and QueryLanguage values", "[validator]") {
  RequireNone(V(R"({"Version":"1.0","Comment":"c","TimeoutSeconds":10,"QueryLanguage":"JSONPath",
                    "StartAt":"A","States":{"A":{"Type":"Succeed"}}})"));
  RequireOnly(V(R"({"Version":"2.0","StartAt":"A","States":{"A":{"Type":"Succeed"}}})"),
              "SCHEMA_VALIDATION_FAILED", "/Version");
  RequireOnly(V(R"({"Version":1,"StartAt":"A","States":{"A":{"Type":"Succeed"}}})"),
              "SCHEMA_VALIDATION_FAILED", "/Version");
  RequireOnly(V(R"({"Comment":5,"StartAt":"A","States":{"A":{"Type":"Succeed"}}})"),
              "SCHEMA_VALIDATION_FAILED", "/Comment");
  RequireOnly(V(R"({"TimeoutSeconds":0,"StartAt":"A","States":{"A":{"Type":"Succeed"}}})"),
              "SCHEMA_VALIDATION_FAILED", "/TimeoutSeconds");
  RequireOnly(V(R"({"TimeoutSeconds":1.5,"StartAt":"A","States":{"A":{"Type":"Succeed"}}})"),
              "SCHEMA_VALIDATION_FAILED", "/TimeoutSeconds");
  RequireOnly(V(R"({"TimeoutSeconds":"10","StartAt":"A","States":{"A":{"Type":"Succeed"}}})"),
              "SCHEMA_VALIDATION_FAILED", "/TimeoutSeconds");
  RequireOnly(V(R"({"QueryLanguage":"jsonata","StartAt":"A","States":{"A":{"Type":"Succeed"}}})"),
              "SCHEMA_VALIDATION_FAILED", "/QueryLanguage");
}

// ------------------------------------------------------------ states

TEST_CASE("a state must be an object with a known Type", "[validator]") {
  RequireOnly(V(R"({"StartAt":"A","States":{"A":"Succeed"}})"), "SCHEMA_VALIDATION_FAILED",
              "/States/A");
  RequireOnly(V(R"({"StartAt":"A","States":{"A":{"End":true}}})"), "SCHEMA_VALIDATION_FAILED",
              "/States/A");
  auto ds = V(R"({"StartAt":"A","States":{"A":{"Type":"Succed"}}})");
  RequireOnly(ds, "SCHEMA_VALIDATION_FAILED", "/States/A/Type");
  CHECK(ds[0].message.find("did you mean 'Succeed'") != std::string::npos);
  RequireOnly(V(R"({"StartAt":"A","States":{"A":{"Type":7}}})"), "SCHEMA_VALIDATION_FAILED",
              "/States/A/Type");
}

TEST_CASE("a state with a broken Type causes no unreachable-state errors", "[validator]") {
  // Its transitions are unknown, so B is not reported as unreachable.
  RequireOnly(V(R"({"StartAt":"A","States":{"A":{"Type":"Tsk","Next":"B"},
                    "B":{"Type":"Succeed"}}})"),
              "SCHEMA_VALIDATION_FAILED", "/States/A/Type");
}

TEST_CASE("unknown state fields are reported per type", "[validator]") {
  auto ds = OneState(R"({"Type":"Pass","Nxt":"B","End":true})");
  RequireOnly(ds, "SCHEMA_VALIDATION_FAILED", "/States/A/Nxt");
  CHECK(ds[0].message.find("did you mean 'Next'") != std::string::npos);
  RequireOnly(OneState(R"({"Type":"Pass","Resource":"f","End":true})"), "SCHEMA_VALIDATION_FAILED",
              "/States/A/Resource");
  RequireOnly(OneState(R"({"Type":"Fail","InputPath":"$"})"), "SCHEMA_VALIDATION_FAILED",
              "/States/A/InputPath");
  RequireOnly(OneState(R"({"Type":"Succeed","Assign":{"x":1}})"), "SCHEMA_VALIDATION_FAILED",
              "/States/A/Assign");
  RequireOnly(OneState(R"({"Type":"Wait","Seconds":1,"Retry":[],"End":true})"),
              "SCHEMA_VALIDATION_FAILED", "/States/A/Retry");
}

TEST_CASE("JSONata fields in JSONPath states are unknown fields", "[validator]") {
  auto ds = OneState(R"({"Type":"Pass","Output":{"a":1},"End":true})");
  RequireOnly(ds, "SCHEMA_VALIDATION_FAILED", "/States/A/Output");
  CHECK(ds[0].message.find("JSONata field") != std::string::npos);
  RequireOnly(OneState(R"({"Type":"Task","Resource":"f","Arguments":{},"End":true})"),
              "SCHEMA_VALIDATION_FAILED", "/States/A/Arguments");
}

TEST_CASE("Comment must be a string", "[validator]") {
  RequireOnly(OneState(R"({"Type":"Succeed","Comment":["x"]})"), "SCHEMA_VALIDATION_FAILED",
              "/States/A/Comment");
}

// ------------------------------------------------------------ Next / End

TEST_CASE("a non-terminal state needs Next or End", "[validator]") {
  auto ds = V(R"({"StartAt":"A","States":{"A":{"Type":"Pass"},"B":{"Type":"Succeed"}}})");
  INFO(Describe(ds));
  CHECK(Has(ds, "SCHEMA_VALIDATION_FAILED", "/States/A"));
  for (const auto& d : ds) {
    if (d.pointer == "/States/A") {
      CHECK(d.message ==
            "State 'A' has no 'Next' and is not 'End': add \"Next\": \"<state>\" or \"End\": true");
    }
  }
}

TEST_CASE("End false counts as absent", "[validator]") {
  RequireNone(V(R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":false,"Next":"B"},
                    "B":{"Type":"Succeed"}}})"));
  auto ds = V(R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":false},
                  "B":{"Type":"Succeed"}}})");
  CHECK(Has(ds, "SCHEMA_VALIDATION_FAILED", "/States/A"));
}

TEST_CASE("Next and End true together conflict", "[validator]") {
  RequireOnly(V(R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"Next":"B"},
                    "B":{"Type":"Succeed"}}})"),
              "SCHEMA_VALIDATION_FAILED", "/States/A/End");
}

TEST_CASE("End must be a boolean and Next a string", "[validator]") {
  RequireOnly(OneState(R"({"Type":"Pass","End":"true"})"), "SCHEMA_VALIDATION_FAILED",
              "/States/A/End");
  auto ds =
      V(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":["B"]},"B":{"Type":"Succeed"}}})");
  CHECK(Has(ds, "SCHEMA_VALIDATION_FAILED", "/States/A/Next"));
}

TEST_CASE("Choice, Succeed and Fail cannot have Next or End", "[validator]") {
  RequireOnly(OneState(R"({"Type":"Succeed","End":true})"), "SCHEMA_VALIDATION_FAILED",
              "/States/A/End");
  RequireOnly(OneState(R"({"Type":"Fail","Next":"A"})"), "SCHEMA_VALIDATION_FAILED",
              "/States/A/Next");
  auto ds = V(R"({"StartAt":"C","States":{
      "C":{"Type":"Choice","Choices":[{"Variable":"$.x","IsNull":true,"Next":"D"}],"End":true},
      "D":{"Type":"Succeed"}}})");
  RequireOnly(ds, "SCHEMA_VALIDATION_FAILED", "/States/C/End");
  CHECK(ds[0].message.find("Choice state cannot have 'End'") != std::string::npos);
}

// ------------------------------------------------------------ targets and scopes

TEST_CASE("Next must name a state of the same States", "[validator]") {
  auto ds =
      V(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"b"},"B":{"Type":"Succeed"}}})");
  INFO(Describe(ds));
  CHECK(Has(ds, "MISSING_TRANSITION_TARGET", "/States/A/Next"));
  CHECK(Has(ds, "MISSING_TRANSITION_TARGET", "/States/B"));  // B is now unreachable
  CHECK(ds.size() == 2);
}

TEST_CASE("Default and Catch Next must name existing states", "[validator]") {
  auto ds = V(R"({"StartAt":"C","States":{
      "C":{"Type":"Choice","Choices":[{"Variable":"$.x","IsNull":true,"Next":"T"}],"Default":"Nope"},
      "T":{"Type":"Task","Resource":"f","End":true,
           "Catch":[{"ErrorEquals":["States.ALL"],"Next":"Missing"}]}}})");
  INFO(Describe(ds));
  CHECK(ds.size() == 2);
  CHECK(Has(ds, "MISSING_TRANSITION_TARGET", "/States/C/Default"));
  CHECK(Has(ds, "MISSING_TRANSITION_TARGET", "/States/T/Catch/0/Next"));
}

TEST_CASE("a branch state cannot transition outside its branch", "[validator]") {
  auto ds = V(R"({"StartAt":"P","States":{
      "P":{"Type":"Parallel","Next":"Out","Branches":[
        {"StartAt":"In","States":{"In":{"Type":"Pass","Next":"Out"}}}]},
      "Out":{"Type":"Succeed"}}})");
  INFO(Describe(ds));
  CHECK(Has(ds, "MISSING_TRANSITION_TARGET", "/States/P/Branches/0/States/In/Next"));
  for (const auto& d : ds) {
    if (d.pointer == "/States/P/Branches/0/States/In/Next") {
      CHECK(d.message.find("another States object") != std::string::npos);
    }
  }
}

TEST_CASE("an outer state cannot target a state inside a Map", "[validator]") {
  auto ds = V(R"({"StartAt":"M","States":{
      "M":{"Type":"Map","Next":"Work","ItemProcessor":{"StartAt":"Work",
           "States":{"Work":{"Type":"Pass","End":true}}}}}})");
  INFO(Describe(ds));
  CHECK(Has(ds, "MISSING_TRANSITION_TARGET", "/States/M/Next"));
  CHECK(Has(ds, "MISSING_END_STATE", "/States"));
}

TEST_CASE("nested StartAt must name a state of its own States", "[validator]") {
  auto ds = V(R"({"StartAt":"P","States":{
      "P":{"Type":"Parallel","End":true,"Branches":[
        {"StartAt":"P","States":{"X":{"Type":"Succeed"}}}]}}})");
  INFO(Describe(ds));
  CHECK(Has(ds, "MISSING_TRANSITION_TARGET", "/States/P/Branches/0/StartAt"));
}

TEST_CASE("unreachable states are reported at the state", "[validator]") {
  auto ds = V(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"C"},
      "B":{"Type":"Pass","Next":"C"},"C":{"Type":"Succeed"}}})");
  RequireOnly(ds, "MISSING_TRANSITION_TARGET", "/States/B");
  CHECK(ds[0].message.find("can never be reached") != std::string::npos);
}

TEST_CASE("reachability follows Choice rules, Default and Catch", "[validator]") {
  RequireNone(V(R"({"StartAt":"C","States":{
      "C":{"Type":"Choice","Choices":[
          {"Not":{"Variable":"$.x","IsNull":true},"Next":"T"}],"Default":"D"},
      "T":{"Type":"Task","Resource":"f","Next":"D",
           "Catch":[{"ErrorEquals":["States.ALL"],"Next":"F"}]},
      "D":{"Type":"Succeed"},"F":{"Type":"Fail"}}})"));
}

TEST_CASE("unreachable states inside a branch are reported per scope", "[validator]") {
  auto ds = V(R"({"StartAt":"P","States":{
      "P":{"Type":"Parallel","End":true,"Branches":[
        {"StartAt":"X","States":{"X":{"Type":"Succeed"},"Y":{"Type":"Succeed"}}}]}}})");
  RequireOnly(ds, "MISSING_TRANSITION_TARGET", "/States/P/Branches/0/States/Y");
}

TEST_CASE("a scope without a terminal state is MISSING_END_STATE", "[validator]") {
  auto ds = V(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},
      "B":{"Type":"Pass","Next":"A"}}})");
  RequireOnly(ds, "MISSING_END_STATE", "/States");
  auto nested = V(R"({"StartAt":"M","States":{"M":{"Type":"Map","End":true,
      "ItemProcessor":{"StartAt":"L","States":{"L":{"Type":"Wait","Seconds":1,"Next":"L"}}}}}})");
  RequireOnly(nested, "MISSING_END_STATE", "/States/M/ItemProcessor/States");
}

// ------------------------------------------------------------ names

TEST_CASE("duplicate state names anywhere are reported at the second use", "[validator]") {
  auto ds = V(R"({"StartAt":"A","States":{
      "A":{"Type":"Parallel","End":true,"Branches":[
        {"StartAt":"A","States":{"A":{"Type":"Succeed"}}}]}}})");
  RequireOnly(ds, "DUPLICATE_STATE_NAME", "/States/A/Branches/0/States/A");
  CHECK(ds[0].message.find("/States/A") != std::string::npos);
}

TEST_CASE("duplicate names in two branches", "[validator]") {
  auto ds = V(R"({"StartAt":"P","States":{
      "P":{"Type":"Parallel","End":true,"Branches":[
        {"StartAt":"S","States":{"S":{"Type":"Succeed"}}},
        {"StartAt":"S","States":{"S":{"Type":"Succeed"}}}]}}})");
  RequireOnly(ds, "DUPLICATE_STATE_NAME", "/States/P/Branches/1/States/S");
}

TEST_CASE("state names: 1 to 80 code points, no control characters", "[validator]") {
  auto one = [](const std::string& name) {
    Json def = {{"StartAt", name}, {"States", {{name, {{"Type", "Succeed"}}}}}};
    return ValidateJson(def);
  };
  RequireNone(one(std::string(80, 'x')));
  std::string umlauts;
  for (int i = 0; i < 80; ++i) umlauts += "\xC3\xBC";  // 80 x U+00FC, 160 bytes
  RequireNone(one(umlauts));
  RequireOnly(one(std::string(81, 'x')), "INVALID_STATE_NAME", "/States/" + std::string(81, 'x'));
  RequireOnly(one("a\tb"), "INVALID_STATE_NAME", "/States/a\tb");
  RequireOnly(one(""), "INVALID_STATE_NAME", "/States/");
}

TEST_CASE("pointers escape ~ and / in state names", "[validator]") {
  auto ds = V(R"({"StartAt":"a/b~c","States":{"a/b~c":{"Type":"Pass"},"Z":{"Type":"Succeed"}}})");
  INFO(Describe(ds));
  CHECK(Has(ds, "SCHEMA_VALIDATION_FAILED", "/States/a~1b~0c"));
  CHECK(Has(ds, "MISSING_TRANSITION_TARGET", "/States/Z"));
}

// ------------------------------------------------------------ nesting and query language

TEST_CASE("Parallel/Map nesting deeper than kMaxStateNesting is TOO_DEEPLY_NESTED", "[validator]") {
  auto nest = [](int levels) {
    Json inner = {{"StartAt", "S0"}, {"States", {{"S0", {{"Type", "Succeed"}}}}}};
    for (int i = 1; i <= levels; ++i) {
      std::string name = "S" + std::to_string(i);
      Json state = {{"Type", "Parallel"}, {"End", true}, {"Branches", Json::array({inner})}};
      inner = {{"StartAt", name}, {"States", {{name, state}}}};
    }
    return inner;
  };
  RequireNone(ValidateJson(nest(kMaxStateNesting)));
  auto ds = ValidateJson(nest(kMaxStateNesting + 1));
  INFO(Describe(ds));
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].code == "TOO_DEEPLY_NESTED");
  CHECK(ds[0].pointer.size() > 100);
  CHECK(ds[0].pointer.substr(ds[0].pointer.size() - 11) == "/Branches/0");
}

TEST_CASE("a JSONata machine cannot contain JSONPath states", "[validator]") {
  RequireOnly(V(R"({"QueryLanguage":"JSONata","StartAt":"A",
      "States":{"A":{"Type":"Pass","QueryLanguage":"JSONPath","End":true}}})"),
              "SCHEMA_VALIDATION_FAILED", "/States/A/QueryLanguage");
  // The other way round is allowed.
  RequireNone(V(R"({"StartAt":"A",
      "States":{"A":{"Type":"Pass","QueryLanguage":"JSONata","Output":"{% 1 %}","End":true}}})"));
  RequireOnly(OneState(R"({"Type":"Succeed","QueryLanguage":"XPath"})"), "SCHEMA_VALIDATION_FAILED",
              "/States/A/QueryLanguage");
}

TEST_CASE("nested states default to the machine's query language", "[validator]") {
  // The Map is JSONata, its states are JSONPath (the machine's default).
  auto ds = V(R"({"StartAt":"M","States":{"M":{"Type":"Map","QueryLanguage":"JSONata","End":true,
      "ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Pass","Output":"{% 1 %}","End":true}}}}}})");
  RequireOnly(ds, "SCHEMA_VALIDATION_FAILED", "/States/M/ItemProcessor/States/W/Output");
  // In a JSONata machine nested states are JSONata.
  RequireNone(V(R"({"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","End":true,
      "ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Pass","Output":"{% 1 %}","End":true}}}}}})"));
}

// ------------------------------------------------------------ positions

TEST_CASE("YAML: a misspelled field is reported at its line and column", "[validator]") {
  const char* yaml =
      "StartAt: A\n"
      "States:\n"
      "  A:\n"
      "    Type: Pass\n"
      "    Nxt: B\n"
      "    End: true\n";
  auto ds = ValidateText(yaml, "machine.asl.yaml");
  RequireOnly(ds, "SCHEMA_VALIDATION_FAILED", "/States/A/Nxt");
  CHECK(ds[0].line == 5);
  CHECK(ds[0].column == 5);
}

TEST_CASE("YAML: several errors with positions, in document order", "[validator]") {
  const char* yaml =
      "StartAt: Start\n"                     // 1
      "States:\n"                            // 2
      "  Start:\n"                           // 3
      "    Type: Task\n"                     // 4
      "    Resource: fetch\n"                // 5
      "    TimeoutSeconds: 0\n"              // 6
      "    Next: Missing\n"                  // 7
      "  Wait:\n"                            // 8
      "    Type: Wait\n"                     // 9
      "    Timestamp: '2016-03-14 01:59'\n"  // 10
      "    End: true\n";                     // 11
  auto ds = ValidateText(yaml, "machine.yaml");
  INFO(Describe(ds));
  REQUIRE(ds.size() == 4);
  CHECK(ds[0].code == "SCHEMA_VALIDATION_FAILED");
  CHECK(ds[0].pointer == "/States/Start/TimeoutSeconds");
  CHECK(ds[0].line == 6);
  CHECK(ds[0].column == 21);
  CHECK(ds[1].code == "MISSING_TRANSITION_TARGET");
  CHECK(ds[1].pointer == "/States/Start/Next");
  CHECK(ds[1].line == 7);
  CHECK(ds[1].column == 11);
  CHECK(ds[2].code == "MISSING_TRANSITION_TARGET");  // unreachable, at the key
  CHECK(ds[2].pointer == "/States/Wait");
  CHECK(ds[2].line == 8);
  CHECK(ds[2].column == 3);
  CHECK(ds[3].code == "INVALID_TIMESTAMP");
  CHECK(ds[3].pointer == "/States/Wait/Timestamp");
  CHECK(ds[3].line == 10);
}

TEST_CASE("YAML: a missing field is reported at the object lacking it", "[validator]") {
  const char* yaml =
      "StartAt: A\n"
      "States:\n"
      "  A:\n"
      "    Type: Task\n"
      "    End: true\n";
  auto ds = ValidateText(yaml, "m.yml");
  RequireOnly(ds, "SCHEMA_VALIDATION_FAILED", "/States/A");
  CHECK(ds[0].line == 4);
  CHECK(ds[0].column == 5);
}

TEST_CASE("JSON text: positions of a bad path", "[validator]") {
  const char* json = R"({
  "StartAt": "A",
  "States": {
    "A": {"Type": "Pass", "ResultPath": "$$.x", "End": true}
  }
})";
  auto ds = ValidateText(json);
  RequireOnly(ds, "INVALID_PATH", "/States/A/ResultPath");
  CHECK(ds[0].line == 4);
  CHECK(ds[0].column == 41);
}

// ------------------------------------------------------------ big definitions

const char* kBigJsonPath = R"json({
  "Comment": "all eight state types, JSONPath",
  "Version": "1.0",
  "TimeoutSeconds": 3600,
  "StartAt": "Init",
  "States": {
    "Init": {"Type": "Pass", "Result": {"items": [1, 2, 3]}, "ResultPath": "$.data",
             "Assign": {"count": 0, "start.$": "$$.Execution.StartTime"}, "Next": "Fetch"},
    "Fetch": {"Type": "Task", "Resource": "grpc://127.0.0.1:50051/fetch", "InputPath": "$.data",
              "Parameters": {"items.$": "$.items", "label": "x", "n.$": "States.ArrayLength($.items)"},
              "ResultSelector": {"body.$": "$.body"}, "ResultPath": "$.fetched", "OutputPath": "$",
              "TimeoutSeconds": 30, "HeartbeatSeconds": 10,
              "Retry": [{"ErrorEquals": ["Lambda.ServiceException", "States.Timeout"],
                         "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 1.5,
                         "MaxDelaySeconds": 60, "JitterStrategy": "FULL", "Comment": "c"},
                        {"ErrorEquals": ["States.ALL"], "MaxAttempts": 0}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed",
                         "Assign": {"failed": true}}],
              "Next": "Route"},
    "Route": {"Type": "Choice", "InputPath": "$", "Choices": [
        {"Variable": "$.fetched.body.kind", "StringEquals": "batch", "Next": "Fanout"},
        {"And": [{"Variable": "$.count", "NumericGreaterThanEquals": 1},
                 {"Not": {"Variable": "$.flag", "IsPresent": true}},
                 {"Or": [{"Variable": "$.a", "BooleanEquals": true},
                         {"Variable": "$.b", "StringEqualsPath": "$.c"}]}], "Next": "Branches"},
        {"Variable": "$.when", "TimestampLessThan": "2016-03-14T01:59:00Z", "Next": "Pause",
         "Assign": {"routed": true}},
        {"Variable": "$.name", "StringMatches": "log-*.txt", "Next": "Done"}],
      "Default": "Failed", "Assign": {"defaulted": true}},
    "Fanout": {"Type": "Map", "ItemsPath": "$.fetched.items",
               "ItemSelector": {"value.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"},
               "MaxConcurrency": 4, "ToleratedFailurePercentage": 10, "Label": "fan",
               "ItemBatcher": {"MaxItemsPerBatch": 10, "BatchInput": {"run.$": "$$.Execution.Id"}},
               "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Work",
                                 "States": {"Work": {"Type": "Task", "Resource": "work", "End": true}}},
               "ResultPath": "$.results", "Next": "Done"},
    "Branches": {"Type": "Parallel", "Branches": [
        {"StartAt": "B1", "States": {"B1": {"Type": "Wait", "Seconds": 1, "Next": "B1Done"},
                                     "B1Done": {"Type": "Succeed"}}},
        {"StartAt": "B2", "States": {"B2": {"Type": "Pass", "QueryLanguage": "JSONata",
                                            "Output": "{% $states.input %}", "End": true}}}],
      "ResultSelector": {"first.$": "$[0]"}, "Next": "Done"},
    "Pause": {"Type": "Wait", "TimestampPath": "$.when", "Next": "Done"},
    "Done": {"Type": "Succeed", "OutputPath": "$.results"},
    "Failed": {"Type": "Fail", "ErrorPath": "$.error.Error",
               "CausePath": "States.Format('failed: {}', $.error.Cause)"}
  }
})json";

const char* kBigJsonata = R"json({
  "QueryLanguage": "JSONata",
  "StartAt": "Init",
  "States": {
    "Init": {"Type": "Pass", "Output": {"items": "{% [1, 2, 3] %}"}, "Assign": {"total": "{% 0 %}"},
             "Next": "Fetch"},
    "Fetch": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:fetch",
              "Arguments": {"items": "{% $states.input.items %}"},
              "Output": "{% $states.result.body %}", "Assign": {"last": "{% $states.result %}"},
              "TimeoutSeconds": "{% $total + 10 %}", "HeartbeatSeconds": 5,
              "Retry": [{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 2}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "Output": "{% $states.errorOutput %}",
                         "Assign": {"err": "{% $states.errorOutput.Error %}"}, "Next": "Failed"}],
              "Next": "Route"},
    "Route": {"Type": "Choice", "Choices": [
        {"Condition": "{% $states.input.kind = 'batch' %}", "Next": "Fanout",
         "Assign": {"mode": "batch"}, "Output": {"x": 1}},
        {"Condition": true, "Next": "Both"}], "Default": "Failed"},
    "Fanout": {"Type": "Map", "Items": "{% $states.input.items %}",
               "ItemSelector": {"v": "{% $states.context.Map.Item.Value %}"},
               "MaxConcurrency": "{% 2 %}", "ToleratedFailureCount": 1,
               "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                                 "StartAt": "Work",
                                 "States": {"Work": {"Type": "Task", "Resource": "work", "End": true}}},
               "ItemBatcher": {"MaxItemsPerBatch": 10, "BatchInput": {"run": "{% $states.input.run %}"}},
               "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                              "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                              "Arguments": {"Bucket": "b", "Key": "k"}},
               "ResultWriter": {"WriterConfig": {"OutputType": "JSONL", "Transformation": "COMPACT"}},
               "Output": "{% $states.result %}", "Next": "Pause"},
    "Both": {"Type": "Parallel", "Arguments": {"a": 1},
             "Branches": [{"StartAt": "P1", "States": {"P1": {"Type": "Pass", "End": true}}}],
             "Output": "{% $states.result[0] %}", "Next": "Pause"},
    "Pause": {"Type": "Wait", "Timestamp": "{% $now() %}", "Next": "Done"},
    "Done": {"Type": "Succeed", "Output": "{% $states.input %}"},
    "Failed": {"Type": "Fail", "Error": "{% $err %}", "Cause": "Fetch failed"}
  }
})json";

TEST_CASE("a big JSONPath definition with all eight types is valid", "[validator]") {
  RequireNone(ValidateText(kBigJsonPath));
}

TEST_CASE("a big JSONata definition with all eight types is valid", "[validator]") {
  RequireNone(ValidateText(kBigJsonata));
}

TEST_CASE("many errors are reported at once", "[validator]") {
  auto ds = V(R"({"StartAt":"A","Bogus":1,"States":{
      "A":{"Type":"Task","Resource":"","InputPath":"$[","Next":"Nowhere",
           "Retry":[{"ErrorEquals":[],"BackoffRate":0.5}]},
      "B":{"Type":"Wait"},
      "C":{"Type":"Choice","Choices":[]}}})");
  INFO(Describe(ds));
  CHECK(Has(ds, "SCHEMA_VALIDATION_FAILED", "/Bogus"));
  CHECK(Has(ds, "INVALID_RESOURCE", "/States/A/Resource"));
  CHECK(Has(ds, "INVALID_PATH", "/States/A/InputPath"));
  CHECK(Has(ds, "MISSING_TRANSITION_TARGET", "/States/A/Next"));
  CHECK(Has(ds, "SCHEMA_VALIDATION_FAILED", "/States/A/Retry/0/ErrorEquals"));
  CHECK(Has(ds, "SCHEMA_VALIDATION_FAILED", "/States/A/Retry/0/BackoffRate"));
  CHECK(Has(ds, "SCHEMA_VALIDATION_FAILED", "/States/B"));
  CHECK(Has(ds, "MISSING_TRANSITION_TARGET", "/States/B"));
  CHECK(Has(ds, "SCHEMA_VALIDATION_FAILED", "/States/C/Choices"));
  CHECK(Has(ds, "MISSING_TRANSITION_TARGET", "/States/C"));
  CHECK(Has(ds, "MISSING_END_STATE", "/States"));
  CHECK(ds.size() == 12);
}

TEST_CASE("every diagnostic of a JSON text has a position", "[validator]") {
  auto ds = ValidateText(R"({"StartAt":"A","Bogus":1,"States":{
      "A":{"Type":"Task","Resource":"","InputPath":"$[","Next":"Nowhere",
           "Parameters":{"a":"$.x","b.$":"$["},
           "Retry":[{"ErrorEquals":["States.ALL","E"],"BackoffRate":0.5}],
           "Catch":[{"ErrorEquals":["E"]}]},
      "B":{"Type":"Wait"},
      "M":{"Type":"Map","End":true,"ItemBatcher":{},"ItemProcessor":{"StartAt":"X","States":{
        "X":{"Type":"Pass","Assign":{"1x":1},"Next":"B"},"A":{"Type":"Succeed"}}}},
      "C":{"Type":"Choice","Choices":[{"Variable":"$.x","StringEquals":5,"Next":"B"}]}}})");
  INFO(Describe(ds));
  CHECK(ds.size() >= 15);
  for (const auto& d : ds) {
    INFO(d.pointer);
    CHECK(d.line > 0);
    CHECK(d.column > 0);
  }
}

TEST_CASE("warnings can be left out", "[validator]") {
  Json def = Json::parse(R"({"StartAt":"A","States":{"A":{"Type":"Pass",
      "Result":{"a.$":"$.x"},"End":true}}})");
  RequireOnly(ValidateJson(def), "PASS_RESULT_IS_STATIC", "/States/A/Result", kWarning);
  ValidateOptions options;
  options.warnings = false;
  RequireNone(ValidateJson(def, options));
}

TEST_CASE("validation is deterministic", "[validator]") {
  auto a = V(kBigJsonPath);
  const char* broken = R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"X"},
      "B":{"Type":"Pass"},"C":{"Type":"Parallel","Branches":[{"StartAt":"B","States":{"B":{"Type":"Succeed"}}}]}}})";
  auto first = V(broken);
  auto second = V(broken);
  REQUIRE(first.size() == second.size());
  for (size_t i = 0; i < first.size(); ++i) {
    CHECK(first[i].pointer == second[i].pointer);
    CHECK(first[i].code == second[i].code);
  }
}

TEST_CASE("10,000 states validate with no diagnostics", "[validator]") {
  constexpr int kStates = 10000;
  Json states = Json::object();
  for (int i = 0; i < kStates; ++i) {
    std::string next = "S" + std::to_string(i + 1);
    Json state;
    switch (i % 4) {
      case 0:
        state = {{"Type", "Pass"},
                 {"InputPath", "$.a"},
                 {"ResultPath", "$.b"},
                 {"Parameters", {{"x.$", "$.y"}, {"z", 1}}}};
        break;
      case 1:
        state = {{"Type", "Task"},
                 {"Resource", "fn"},
                 {"TimeoutSeconds", 10},
                 {"Retry", {{{"ErrorEquals", {"States.ALL"}}, {"MaxAttempts", 2}}}},
                 {"Catch", {{{"ErrorEquals", {"States.ALL"}}, {"Next", "End"}}}}};
        break;
      case 2:
        state = {{"Type", "Choice"},
                 {"Choices", {{{"Variable", "$.n"}, {"NumericEquals", 1}, {"Next", next}}}},
                 {"Default", next}};
        break;
      default:
        state = {{"Type", "Wait"}, {"Seconds", 0}};
        break;
    }
    if (i % 4 != 2) state["Next"] = next;
    states["S" + std::to_string(i)] = std::move(state);
  }
  states["S" + std::to_string(kStates)] = {{"Type", "Succeed"}};
  states["End"] = {{"Type", "Fail"}};
  Json def = {{"StartAt", "S0"}, {"States", std::move(states)}};
  Document doc(def, SourceFormat::kJson);

  // Timing lives in bench/front_end_bench.cc, not in a test.
  RequireNone(Validate(doc));
}

}  // namespace
}  // namespace stepflow::asl
