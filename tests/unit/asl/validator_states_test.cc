// Validator tests, part 2: the fields of each state type, paths, payload
// templates, Choice rules, Retry/Catch, Assign and JSONata.
#include <catch2/catch.hpp>
#include <string>

#include "engine/asl/validator.h"
#include "tests/unit/asl/validator_test_util.h"

namespace stepflow::asl {
namespace {

using testing::Describe;
using testing::Has;
using testing::OneJsonataState;
using testing::OneState;
using testing::RequireNone;
using testing::RequireOnly;
using testing::V;

constexpr Severity kWarning = Severity::kWarning;
constexpr const char* kSchema = "SCHEMA_VALIDATION_FAILED";

// ------------------------------------------------------------ paths

TEST_CASE("InputPath and OutputPath are Paths or null", "[validator]") {
  RequireNone(OneState(R"({"Type":"Pass","InputPath":null,"OutputPath":"$.a[*].b","End":true})"));
  RequireOnly(OneState(R"({"Type":"Pass","InputPath":"$.a[","End":true})"), "INVALID_PATH",
              "/States/A/InputPath");
  RequireOnly(OneState(R"({"Type":"Pass","OutputPath":"a.b","End":true})"), "INVALID_PATH",
              "/States/A/OutputPath");
  RequireOnly(OneState(R"({"Type":"Pass","OutputPath":5,"End":true})"), kSchema,
              "/States/A/OutputPath");
}

TEST_CASE("ResultPath is a Reference Path on the input, or null", "[validator]") {
  RequireNone(OneState(R"({"Type":"Pass","ResultPath":null,"End":true})"));
  RequireNone(OneState(R"({"Type":"Pass","ResultPath":"$.a.b[2]","End":true})"));
  RequireOnly(OneState(R"({"Type":"Pass","ResultPath":"$.a[*]","End":true})"), "INVALID_PATH",
              "/States/A/ResultPath");
  RequireOnly(OneState(R"({"Type":"Pass","ResultPath":"$..a","End":true})"), "INVALID_PATH",
              "/States/A/ResultPath");
  RequireOnly(OneState(R"({"Type":"Pass","ResultPath":"$$.Execution.Id","End":true})"),
              "INVALID_PATH", "/States/A/ResultPath");
  RequireOnly(OneState(R"({"Type":"Pass","ResultPath":"$myVar","End":true})"), "INVALID_PATH",
              "/States/A/ResultPath");
}

TEST_CASE("the ...Path fields are Reference Paths", "[validator]") {
  RequireOnly(OneState(R"({"Type":"Wait","SecondsPath":"$.a[0:2]","End":true})"), "INVALID_PATH",
              "/States/A/SecondsPath");
  RequireOnly(
      OneState(R"({"Type":"Task","Resource":"f","TimeoutSecondsPath":"$.t[?(@.x)]","End":true})"),
      "INVALID_PATH", "/States/A/TimeoutSecondsPath");
  RequireOnly(OneState(R"({"Type":"Map","ItemsPath":"$.items[*]","End":true,
      "ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Succeed"}}}})"),
              "INVALID_PATH", "/States/A/ItemsPath");
  RequireNone(OneState(R"({"Type":"Map","ItemsPath":"$$.Execution.Input.items","End":true,
      "MaxConcurrencyPath":"$mc","ToleratedFailureCountPath":"$.n",
      "ToleratedFailurePercentagePath":"$.p",
      "ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Succeed"}}}})"));
}

// ------------------------------------------------------------ payload templates

TEST_CASE("payload templates are checked with pointers below the field", "[validator]") {
  RequireOnly(OneState(R"({"Type":"Pass","Parameters":{"a":{"b.$":"$.x["}},"End":true})"),
              "INVALID_PATH", "/States/A/Parameters/a/b.$");
  RequireOnly(OneState(R"j({"Type":"Pass","Parameters":{"a.$":"States.Nope(1)"},"End":true})j"),
              "INVALID_PATH", "/States/A/Parameters/a.$");
  RequireOnly(OneState(R"({"Type":"Task","Resource":"f","ResultSelector":{"a.$":5},"End":true})"),
              kSchema, "/States/A/ResultSelector/a.$");
  RequireOnly(OneState(R"({"Type":"Pass","Parameters":{"a":"$.x"},"End":true})"), "NO_DOLLAR",
              "/States/A/Parameters/a", kWarning);
  RequireOnly(OneState(R"({"Type":"Pass","Parameters":[1],"End":true})"), kSchema,
              "/States/A/Parameters");
}

TEST_CASE("Map ItemSelector, ItemBatcher.BatchInput and reader Parameters are templates",
          "[validator]") {
  auto ds = OneState(R"({"Type":"Map","End":true,
      "ItemSelector":{"v.$":"$$.Map.Item.Value","bad.$":"nope"},
      "ItemBatcher":{"MaxItemsPerBatch":2,"BatchInput":{"x.$":"$["}},
      "ItemReader":{"Resource":"arn:aws:states:::s3:getObject","Parameters":{"Bucket.$":"$.[b"}},
      "ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Succeed"}}}})");
  INFO(Describe(ds));
  CHECK(ds.size() == 3);
  CHECK(Has(ds, "INVALID_PATH", "/States/A/ItemSelector/bad.$"));
  CHECK(Has(ds, "INVALID_PATH", "/States/A/ItemBatcher/BatchInput/x.$"));
  CHECK(Has(ds, "INVALID_PATH", "/States/A/ItemReader/Parameters/Bucket.$"));
}

// ------------------------------------------------------------ Pass

TEST_CASE("Pass Result with .$ keys is PASS_RESULT_IS_STATIC", "[validator]") {
  RequireNone(OneState(R"({"Type":"Pass","Result":{"a":"$.x"},"End":true})"));
  RequireOnly(OneState(R"({"Type":"Pass","Result":{"a":[{"b.$":"$.x"}]},"End":true})"),
              "PASS_RESULT_IS_STATIC", "/States/A/Result", kWarning);
}

// ------------------------------------------------------------ Task

TEST_CASE("Task Resource is required and must be a usable name", "[validator]") {
  RequireOnly(OneState(R"({"Type":"Task","End":true})"), kSchema, "/States/A");
  RequireOnly(OneState(R"({"Type":"Task","Resource":5,"End":true})"), "INVALID_RESOURCE",
              "/States/A/Resource");
  RequireOnly(OneState(R"({"Type":"Task","Resource":"","End":true})"), "INVALID_RESOURCE",
              "/States/A/Resource");
  RequireOnly(OneState(R"({"Type":"Task","Resource":"my fn","End":true})"), "INVALID_RESOURCE",
              "/States/A/Resource");
  RequireOnly(OneState(R"({"Type":"Task","Resource":"grpc://host/fn","End":true})"),
              "INVALID_RESOURCE", "/States/A/Resource");
  RequireOnly(OneJsonataState(R"({"Type":"Task","Resource":"{% $fn %}","End":true})"),
              "INVALID_RESOURCE", "/States/A/Resource");
  RequireNone(OneState(R"({"Type":"Task","Resource":"grpc://[::1]:50051/echo","End":true})"));
  RequireNone(OneState(
      R"({"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken","End":true})"));
}

TEST_CASE("Lambda function and service integration ARNs must be complete", "[validator]") {
  for (const char* bad :
       {"arn:aws:lambda:us-east-1:123456789012:function:fn:", "arn:aws:lambda:r:1:function:f:$*#",
        "arn:aws:lambda:us-east-1:123456789012:fn", "arn:aws:states:::lambda",
        "arn:aws:states:::sqs:", "arn:aws", "arn::lambda:r:1:function:f"}) {
    Json state = {{"Type", "Task"}, {"Resource", bad}, {"End", true}};
    INFO(bad);
    RequireOnly(OneState(state.dump().c_str()), "INVALID_RESOURCE", "/States/A/Resource");
  }
  for (const char* ok :
       {"arn:aws:lambda:us-east-1:123456789012:function:my-fn.v2",
        "arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST",
        "arn:aws:lambda:::function:fn:prod", "arn:aws:states:::aws-sdk:s3:getObject",
        "arn:aws:states:::states:startExecution.sync:2",
        "arn:aws:states:us-east-1:123456789012:activity:greet",
        "arn:aws-cn:states:::batch:submitJob.sync", "${LambdaFunctionArn}",
        "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:f"}) {
    Json state = {{"Type", "Task"}, {"Resource", ok}, {"End", true}};
    INFO(ok);
    RequireNone(OneState(state.dump().c_str()));
  }
}

TEST_CASE("Task TimeoutSeconds and HeartbeatSeconds", "[validator]") {
  RequireOnly(OneState(R"({"Type":"Task","Resource":"f","TimeoutSeconds":0,"End":true})"), kSchema,
              "/States/A/TimeoutSeconds");
  RequireOnly(OneState(R"({"Type":"Task","Resource":"f","TimeoutSeconds":100000000,"End":true})"),
              kSchema, "/States/A/TimeoutSeconds");
  auto ds = OneState(R"({"Type":"Task","Resource":"f","TimeoutSeconds":"$.t","End":true})");
  RequireOnly(ds, kSchema, "/States/A/TimeoutSeconds");
  CHECK(ds[0].message.find("TimeoutSecondsPath") != std::string::npos);
  RequireOnly(OneState(R"({"Type":"Task","Resource":"f","HeartbeatSeconds":-1,"End":true})"),
              kSchema, "/States/A/HeartbeatSeconds");
  RequireOnly(
      OneState(
          R"({"Type":"Task","Resource":"f","TimeoutSeconds":10,"HeartbeatSeconds":10,"End":true})"),
      kSchema, "/States/A/HeartbeatSeconds");
  RequireNone(OneState(
      R"({"Type":"Task","Resource":"f","TimeoutSeconds":10,"HeartbeatSeconds":9,"End":true})"));
  RequireOnly(OneState(R"({"Type":"Task","Resource":"f","TimeoutSeconds":10,
      "TimeoutSecondsPath":"$.t","End":true})"),
              kSchema, "/States/A/TimeoutSecondsPath");
  RequireOnly(OneState(R"({"Type":"Task","Resource":"f","HeartbeatSeconds":1,
      "HeartbeatSecondsPath":"$.t","End":true})"),
              kSchema, "/States/A/HeartbeatSecondsPath");
}

TEST_CASE("Task Credentials must be an object", "[validator]") {
  RequireOnly(OneState(R"({"Type":"Task","Resource":"f","Credentials":"role","End":true})"),
              kSchema, "/States/A/Credentials");
  RequireNone(OneState(
      R"({"Type":"Task","Resource":"f","Credentials":{"RoleArn.$":"$.role"},"End":true})"));
}

// ------------------------------------------------------------ Wait

TEST_CASE("Wait needs exactly one of Seconds, SecondsPath, Timestamp, TimestampPath",
          "[validator]") {
  RequireOnly(OneState(R"({"Type":"Wait","End":true})"), kSchema, "/States/A");
  RequireOnly(OneState(R"({"Type":"Wait","Seconds":1,"TimestampPath":"$.t","End":true})"), kSchema,
              "/States/A/TimestampPath");
  RequireOnly(OneState(R"({"Type":"Wait","Seconds":-1,"End":true})"), kSchema, "/States/A/Seconds");
  RequireOnly(OneState(R"({"Type":"Wait","Seconds":1.5,"End":true})"), kSchema,
              "/States/A/Seconds");
  RequireNone(OneState(R"({"Type":"Wait","Seconds":0,"End":true})"));
}

TEST_CASE("Wait Timestamp must be RFC 3339", "[validator]") {
  RequireNone(OneState(R"({"Type":"Wait","Timestamp":"2016-03-14T01:59:00.5+02:00","End":true})"));
  RequireOnly(OneState(R"({"Type":"Wait","Timestamp":"2016-03-14t01:59:00z","End":true})"),
              "INVALID_TIMESTAMP", "/States/A/Timestamp");
  RequireOnly(OneState(R"({"Type":"Wait","Timestamp":"2016-02-30T00:00:00Z","End":true})"),
              "INVALID_TIMESTAMP", "/States/A/Timestamp");
  auto ds = OneState(R"({"Type":"Wait","Timestamp":"$.when","End":true})");
  RequireOnly(ds, "INVALID_TIMESTAMP", "/States/A/Timestamp");
  CHECK(ds[0].message.find("TimestampPath") != std::string::npos);
  RequireOnly(OneState(R"({"Type":"Wait","Timestamp":12,"End":true})"), kSchema,
              "/States/A/Timestamp");
}

// ------------------------------------------------------------ Fail

TEST_CASE("Fail Error/ErrorPath and Cause/CausePath", "[validator]") {
  RequireNone(OneState(R"({"Type":"Fail","Error":"E","Cause":"c"})"));
  RequireNone(
      OneState(R"j({"Type":"Fail","ErrorPath":"$.e","CausePath":"States.Format('{}', $.c)"})j"));
  RequireOnly(OneState(R"({"Type":"Fail","Error":"E","ErrorPath":"$.e"})"), kSchema,
              "/States/A/ErrorPath");
  RequireOnly(OneState(R"({"Type":"Fail","Cause":"c","CausePath":"$.c"})"), kSchema,
              "/States/A/CausePath");
  RequireOnly(OneState(R"({"Type":"Fail","Error":{"a":1}})"), kSchema, "/States/A/Error");
  RequireOnly(OneState(R"({"Type":"Fail","ErrorPath":"$.e[*]"})"), "INVALID_PATH",
              "/States/A/ErrorPath");
  RequireOnly(OneState(R"j({"Type":"Fail","CausePath":"States.Nope($.c)"})j"), "INVALID_PATH",
              "/States/A/CausePath");
}

TEST_CASE("a path-like literal where a Path field exists is NO_PATH", "[validator]") {
  RequireOnly(OneState(R"({"Type":"Fail","Error":"$.error"})"), "NO_PATH", "/States/A/Error",
              kWarning);
  auto ds = V(R"({"StartAt":"C","States":{
      "C":{"Type":"Choice","Choices":[{"Variable":"$.a","StringEquals":"$.b","Next":"D"}]},
      "D":{"Type":"Succeed"}}})");
  RequireOnly(ds, "NO_PATH", "/States/C/Choices/0/StringEquals", kWarning);
  CHECK(ds[0].message.find("StringEqualsPath") != std::string::npos);
}

// ------------------------------------------------------------ Parallel

TEST_CASE("Parallel Branches is a non-empty array of scopes", "[validator]") {
  RequireOnly(OneState(R"({"Type":"Parallel","End":true})"), kSchema, "/States/A");
  RequireOnly(OneState(R"({"Type":"Parallel","Branches":[],"End":true})"), kSchema,
              "/States/A/Branches");
  RequireOnly(OneState(R"({"Type":"Parallel","Branches":[5],"End":true})"), kSchema,
              "/States/A/Branches/0");
  RequireOnly(OneState(R"({"Type":"Parallel","End":true,"Branches":[
      {"StartAt":"B","States":{"B":{"Type":"Succeed"}},"Extra":1}]})"),
              kSchema, "/States/A/Branches/0/Extra");
  RequireOnly(OneState(R"({"Type":"Parallel","End":true,"Branches":[
      {"States":{"B":{"Type":"Succeed"}}}]})"),
              kSchema, "/States/A/Branches/0");
  RequireNone(OneState(R"({"Type":"Parallel","End":true,"Branches":[
      {"Comment":"c","QueryLanguage":"JSONPath","StartAt":"B","States":{"B":{"Type":"Succeed"}}}]})"));
}

TEST_CASE("states inside branches are validated recursively", "[validator]") {
  RequireOnly(OneState(R"({"Type":"Parallel","End":true,"Branches":[
      {"StartAt":"B","States":{"B":{"Type":"Task","Resource":"f","End":true,"TimeoutSeconds":-5}}}]})"),
              kSchema, "/States/A/Branches/0/States/B/TimeoutSeconds");
}

// ------------------------------------------------------------ Map

const char* kProcessor = R"("ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Succeed"}}})";

std::vector<Diagnostic> MapState(const std::string& fields) {
  std::string state = R"({"Type":"Map","End":true,)" + std::string(kProcessor) +
                      (fields.empty() ? "" : "," + fields) + "}";
  return OneState(state.c_str());
}

TEST_CASE("Map needs exactly one of ItemProcessor and Iterator", "[validator]") {
  RequireOnly(OneState(R"({"Type":"Map","End":true})"), kSchema, "/States/A");
  RequireNone(OneState(R"({"Type":"Map","End":true,
      "Iterator":{"StartAt":"W","States":{"W":{"Type":"Succeed"}}}})"));
  auto ds = MapState(R"("Iterator":{"StartAt":"X","States":{"X":{"Type":"Succeed"}}})");
  RequireOnly(ds, kSchema, "/States/A/Iterator");
}

TEST_CASE("Map ProcessorConfig values", "[validator]") {
  RequireOnly(OneState(R"({"Type":"Map","End":true,"ItemProcessor":{
      "ProcessorConfig":{"Mode":"inline"},"StartAt":"W","States":{"W":{"Type":"Succeed"}}}})"),
              kSchema, "/States/A/ItemProcessor/ProcessorConfig/Mode");
  RequireOnly(OneState(R"({"Type":"Map","End":true,"ItemProcessor":{
      "ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"FAST"},"StartAt":"W",
      "States":{"W":{"Type":"Succeed"}}}})"),
              kSchema, "/States/A/ItemProcessor/ProcessorConfig/ExecutionType");
  RequireOnly(OneState(R"({"Type":"Map","End":true,"ItemProcessor":{
      "ProcessorConfig":{"Mod":"INLINE"},"StartAt":"W","States":{"W":{"Type":"Succeed"}}}})"),
              kSchema, "/States/A/ItemProcessor/ProcessorConfig/Mod");
}

TEST_CASE("a DISTRIBUTED ProcessorConfig needs ExecutionType", "[validator]") {
  RequireOnly(OneState(R"({"Type":"Map","End":true,"ItemProcessor":{
      "ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"W","States":{"W":{"Type":"Succeed"}}}})"),
              kSchema, "/States/A/ItemProcessor/ProcessorConfig");
  RequireNone(OneState(R"({"Type":"Map","End":true,"ItemProcessor":{
      "ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"W",
      "States":{"W":{"Type":"Succeed"}}}})"));
  RequireNone(OneState(R"({"Type":"Map","End":true,"ItemProcessor":{
      "ProcessorConfig":{"Mode":"INLINE"},"StartAt":"W","States":{"W":{"Type":"Succeed"}}}})"));
}

TEST_CASE("Map numeric fields and their Path forms", "[validator]") {
  RequireOnly(MapState(R"("ItemSelector":{},"Parameters":{})"), kSchema, "/States/A/Parameters");
  RequireOnly(MapState(R"("MaxConcurrency":-1)"), kSchema, "/States/A/MaxConcurrency");
  RequireOnly(MapState(R"("MaxConcurrency":1,"MaxConcurrencyPath":"$.m")"), kSchema,
              "/States/A/MaxConcurrencyPath");
  RequireOnly(MapState(R"("ToleratedFailurePercentage":101)"), kSchema,
              "/States/A/ToleratedFailurePercentage");
  RequireNone(MapState(R"("ToleratedFailurePercentage":12.5,"ToleratedFailureCount":3)"));
  RequireOnly(MapState(R"("ToleratedFailureCount":1.5)"), kSchema,
              "/States/A/ToleratedFailureCount");
  RequireOnly(MapState(R"("ToleratedFailureCount":1,"ToleratedFailureCountPath":"$.n")"), kSchema,
              "/States/A/ToleratedFailureCountPath");
  RequireOnly(MapState(R"("ToleratedFailurePercentage":1,"ToleratedFailurePercentagePath":"$.n")"),
              kSchema, "/States/A/ToleratedFailurePercentagePath");
  RequireOnly(MapState(R"("Label":7)"), kSchema, "/States/A/Label");
}

TEST_CASE("Map ItemBatcher needs a batch limit", "[validator]") {
  RequireOnly(MapState(R"("ItemBatcher":{})"), kSchema, "/States/A/ItemBatcher");
  RequireOnly(MapState(R"("ItemBatcher":{"MaxItemsPerBatch":0})"), kSchema,
              "/States/A/ItemBatcher/MaxItemsPerBatch");
  RequireOnly(
      MapState(R"("ItemBatcher":{"MaxInputBytesPerBatch":1,"MaxInputBytesPerBatchPath":"$.b"})"),
      kSchema, "/States/A/ItemBatcher/MaxInputBytesPerBatchPath");
  RequireNone(MapState(R"("ItemBatcher":{"MaxInputBytesPerBatchPath":"$.b"})"));
}

TEST_CASE("Map ItemReader and ResultWriter", "[validator]") {
  RequireOnly(MapState(R"("ItemReader":{"ReaderConfig":{}})"), kSchema, "/States/A/ItemReader");
  RequireOnly(MapState(R"("ItemReader":{"Resource":"r","ReaderConfig":{"InputType":"XML"}})"),
              kSchema, "/States/A/ItemReader/ReaderConfig/InputType");
  RequireOnly(
      MapState(R"("ItemReader":{"Resource":"r","ReaderConfig":{"CSVHeaderLocation":"GIVEN"}})"),
      kSchema, "/States/A/ItemReader/ReaderConfig");
  RequireOnly(MapState(R"("ItemReader":{"Resource":"r","ReaderConfig":{"MaxItems":-2}})"), kSchema,
              "/States/A/ItemReader/ReaderConfig/MaxItems");
  RequireNone(MapState(R"("ItemReader":{"Resource":"r","ReaderConfig":{"InputType":"CSV",
      "CSVHeaderLocation":"GIVEN","CSVHeaders":["a","b"],"MaxItemsPath":"$.n",
      "Transformation":"LOAD_AND_FLATTEN"}})"));
  RequireOnly(MapState(R"("ResultWriter":{"WriterConfig":{"OutputType":"CSV"}})"), kSchema,
              "/States/A/ResultWriter/WriterConfig/OutputType");
  RequireOnly(MapState(R"("ResultWriter":{})"), kSchema, "/States/A/ResultWriter");
  RequireOnly(MapState(R"("ResultWriter":{"Resource":"w","Bucket":"b"})"), kSchema,
              "/States/A/ResultWriter/Bucket");
}

// ------------------------------------------------------------ Choice

std::vector<Diagnostic> ChoiceRule(const char* rule) {
  std::string def = R"({"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[)" +
                    std::string(rule) + R"(],"Default":"D"},"D":{"Type":"Succeed"}}})";
  return V(def.c_str());
}

TEST_CASE("Choice needs a non-empty Choices array", "[validator]") {
  RequireOnly(V(R"({"StartAt":"C","States":{"C":{"Type":"Choice","Default":"D"},
      "D":{"Type":"Succeed"}}})"),
              kSchema, "/States/C");
  RequireOnly(V(R"({"StartAt":"C","States":{"C":{"Type":"Choice","Choices":{},"Default":"D"},
      "D":{"Type":"Succeed"}}})"),
              kSchema, "/States/C/Choices");
}

TEST_CASE("top-level Choice rules need Next, nested rules must not have it", "[validator]") {
  RequireOnly(ChoiceRule(R"({"Variable":"$.x","IsNull":true})"), kSchema, "/States/C/Choices/0");
  RequireOnly(ChoiceRule(R"({"Not":{"Variable":"$.x","IsNull":true,"Next":"D"},"Next":"D"})"),
              kSchema, "/States/C/Choices/0/Not/Next");
  RequireOnly(
      ChoiceRule(R"({"And":[{"Variable":"$.x","IsNull":true,"Assign":{"a":1}}],"Next":"D"})"),
      kSchema, "/States/C/Choices/0/And/0/Assign");
}

TEST_CASE("a Choice rule has exactly one operator", "[validator]") {
  RequireOnly(ChoiceRule(R"({"Variable":"$.x","Next":"D"})"), kSchema, "/States/C/Choices/0");
  RequireOnly(ChoiceRule(R"({"Variable":"$.x","IsNull":true,"IsString":true,"Next":"D"})"), kSchema,
              "/States/C/Choices/0");
  auto ds = ChoiceRule(R"({"Variable":"$.x","StringEqual":"a","Next":"D"})");
  INFO(Describe(ds));
  CHECK(Has(ds, kSchema, "/States/C/Choices/0/StringEqual"));
  CHECK(Has(ds, kSchema, "/States/C/Choices/0"));  // and so no operator
}

TEST_CASE("a Choice rule with two operators is reported at the rule", "[validator]") {
  // The message names the operators in document order (not key order).
  auto ds = testing::ValidateText(R"({"StartAt":"C","States":{
    "C":{"Type":"Choice","Default":"D","Choices":[
      {"Variable":"$.x","StringLessThan":"m","StringEquals":"a","Next":"D"}]},
    "D":{"Type":"Succeed"}}})");
  RequireOnly(ds, kSchema, "/States/C/Choices/0");
  CHECK(ds[0].line == 3);
  CHECK(ds[0].message.find("'StringLessThan', 'StringEquals'") != std::string::npos);
  RequireOnly(ChoiceRule(R"({"Not":{"Variable":"$.x","IsNull":true},"Or":[
      {"Variable":"$.x","IsNull":true}],"Next":"D"})"),
              kSchema, "/States/C/Choices/0");
}

TEST_CASE("data tests need a valid Variable", "[validator]") {
  RequireOnly(ChoiceRule(R"({"StringEquals":"a","Next":"D"})"), kSchema, "/States/C/Choices/0");
  RequireOnly(ChoiceRule(R"({"Variable":"$.x[","StringEquals":"a","Next":"D"})"), "INVALID_PATH",
              "/States/C/Choices/0/Variable");
  RequireOnly(ChoiceRule(R"({"Variable":7,"StringEquals":"a","Next":"D"})"), kSchema,
              "/States/C/Choices/0/Variable");
  RequireNone(ChoiceRule(R"({"Variable":"$$.Execution.Name","StringEquals":"a","Next":"D"})"));
  RequireNone(ChoiceRule(R"({"Variable":"$count","NumericGreaterThan":1,"Next":"D"})"));
  RequireOnly(
      ChoiceRule(R"({"And":[{"Variable":"$.x","IsNull":true}],"Variable":"$.x","Next":"D"})"),
      kSchema, "/States/C/Choices/0/Variable");
}

TEST_CASE("comparison operands have the operator's type", "[validator]") {
  RequireOnly(ChoiceRule(R"({"Variable":"$.x","StringEquals":5,"Next":"D"})"), kSchema,
              "/States/C/Choices/0/StringEquals");
  RequireOnly(ChoiceRule(R"({"Variable":"$.x","NumericLessThan":"5","Next":"D"})"), kSchema,
              "/States/C/Choices/0/NumericLessThan");
  RequireOnly(ChoiceRule(R"({"Variable":"$.x","BooleanEquals":"true","Next":"D"})"), kSchema,
              "/States/C/Choices/0/BooleanEquals");
  RequireOnly(ChoiceRule(R"({"Variable":"$.x","IsPresent":1,"Next":"D"})"), kSchema,
              "/States/C/Choices/0/IsPresent");
  RequireOnly(ChoiceRule(R"({"Variable":"$.x","TimestampEquals":"yesterday","Next":"D"})"),
              "INVALID_TIMESTAMP", "/States/C/Choices/0/TimestampEquals");
  RequireOnly(ChoiceRule(R"({"Variable":"$.x","NumericEqualsPath":"$.y[","Next":"D"})"),
              "INVALID_PATH", "/States/C/Choices/0/NumericEqualsPath");
  RequireOnly(ChoiceRule(R"({"Variable":"$.x","NumericEqualsPath":3,"Next":"D"})"), kSchema,
              "/States/C/Choices/0/NumericEqualsPath");
  RequireNone(
      ChoiceRule(R"({"Variable":"$.x","TimestampGreaterThanEqualsPath":"$.t","Next":"D"})"));
}

TEST_CASE("StringMatches patterns must be valid", "[validator]") {
  RequireNone(ChoiceRule(R"({"Variable":"$.x","StringMatches":"a\\*b*","Next":"D"})"));
  RequireOnly(ChoiceRule(R"({"Variable":"$.x","StringMatches":"abc\\","Next":"D"})"), kSchema,
              "/States/C/Choices/0/StringMatches");
}

TEST_CASE("And/Or take non-empty arrays and Not one rule", "[validator]") {
  RequireOnly(ChoiceRule(R"({"And":[],"Next":"D"})"), kSchema, "/States/C/Choices/0/And");
  RequireOnly(ChoiceRule(R"({"Or":{"Variable":"$.x","IsNull":true},"Next":"D"})"), kSchema,
              "/States/C/Choices/0/Or");
  RequireOnly(ChoiceRule(R"({"Not":[{"Variable":"$.x","IsNull":true}],"Next":"D"})"), kSchema,
              "/States/C/Choices/0/Not");
  RequireOnly(
      ChoiceRule(R"({"Or":[{"Variable":"$.x","IsNull":true},{"Variable":"$.y"}],"Next":"D"})"),
      kSchema, "/States/C/Choices/0/Or/1");
}

TEST_CASE("JSONata Choice rules use Condition", "[validator]") {
  auto jsonata = [](const char* rule) {
    std::string def = R"({"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice",
        "Choices":[)" +
                      std::string(rule) + R"(],"Default":"D"},"D":{"Type":"Succeed"}}})";
    return V(def.c_str());
  };
  RequireNone(jsonata(R"({"Condition":"{% $states.input.x > 1 %}","Next":"D","Output":{"a":1}})"));
  RequireNone(jsonata(R"({"Condition":false,"Next":"D"})"));
  RequireOnly(jsonata(R"({"Next":"D"})"), kSchema, "/States/C/Choices/0");
  RequireOnly(jsonata(R"({"Condition":"yes","Next":"D"})"), kSchema,
              "/States/C/Choices/0/Condition");
  RequireOnly(jsonata(R"({"Condition":"{% true","Next":"D"})"), "INVALID_JSONATA",
              "/States/C/Choices/0/Condition");
  RequireOnly(jsonata(R"({"Condition":true})"), kSchema, "/States/C/Choices/0");
  auto ds = jsonata(R"({"Condition":true,"Variable":"$.x","Next":"D"})");
  RequireOnly(ds, kSchema, "/States/C/Choices/0/Variable");
  CHECK(ds[0].message.find("JSONPath") != std::string::npos);
}

TEST_CASE("JSONPath Choice rules cannot use Condition", "[validator]") {
  RequireOnly(ChoiceRule(R"({"Condition":true,"Variable":"$.x","IsNull":true,"Next":"D"})"),
              kSchema, "/States/C/Choices/0/Condition");
}

// ------------------------------------------------------------ Retry

std::vector<Diagnostic> Retry(const char* retriers) {
  std::string state =
      R"({"Type":"Task","Resource":"f","End":true,"Retry":)" + std::string(retriers) + "}";
  return OneState(state.c_str());
}

TEST_CASE("Retry is an array of retriers with ErrorEquals", "[validator]") {
  RequireOnly(Retry(R"({})"), kSchema, "/States/A/Retry");
  RequireOnly(Retry(R"([5])"), kSchema, "/States/A/Retry/0");
  RequireOnly(Retry(R"([{}])"), kSchema, "/States/A/Retry/0");
  RequireOnly(Retry(R"([{"ErrorEquals":[]}])"), kSchema, "/States/A/Retry/0/ErrorEquals");
  RequireOnly(Retry(R"([{"ErrorEquals":"States.ALL"}])"), kSchema, "/States/A/Retry/0/ErrorEquals");
  RequireOnly(Retry(R"([{"ErrorEquals":["E", 3]}])"), kSchema, "/States/A/Retry/0/ErrorEquals/1");
  RequireOnly(Retry(R"([{"ErrorEquals":["E"],"MaxAttempt":3}])"), kSchema,
              "/States/A/Retry/0/MaxAttempt");
}

TEST_CASE("retrier numbers are in range", "[validator]") {
  RequireNone(Retry(R"([{"ErrorEquals":["E"],"IntervalSeconds":99999999,"MaxAttempts":0,
      "BackoffRate":1.0,"MaxDelaySeconds":31622401,"JitterStrategy":"NONE"}])"));
  RequireOnly(Retry(R"([{"ErrorEquals":["E"],"IntervalSeconds":0}])"), kSchema,
              "/States/A/Retry/0/IntervalSeconds");
  RequireOnly(Retry(R"([{"ErrorEquals":["E"],"IntervalSeconds":100000000}])"), kSchema,
              "/States/A/Retry/0/IntervalSeconds");
  RequireOnly(Retry(R"([{"ErrorEquals":["E"],"MaxAttempts":-1}])"), kSchema,
              "/States/A/Retry/0/MaxAttempts");
  RequireOnly(Retry(R"([{"ErrorEquals":["E"],"MaxAttempts":2.5}])"), kSchema,
              "/States/A/Retry/0/MaxAttempts");
  RequireOnly(Retry(R"([{"ErrorEquals":["E"],"BackoffRate":0.5}])"), kSchema,
              "/States/A/Retry/0/BackoffRate");
  RequireOnly(Retry(R"([{"ErrorEquals":["E"],"MaxDelaySeconds":0}])"), kSchema,
              "/States/A/Retry/0/MaxDelaySeconds");
  RequireOnly(Retry(R"([{"ErrorEquals":["E"],"MaxDelaySeconds":31622402}])"), kSchema,
              "/States/A/Retry/0/MaxDelaySeconds");
  RequireOnly(Retry(R"([{"ErrorEquals":["E"],"JitterStrategy":"HALF"}])"), kSchema,
              "/States/A/Retry/0/JitterStrategy");
}

TEST_CASE("States.ALL is alone and in the last retrier", "[validator]") {
  RequireOnly(Retry(R"([{"ErrorEquals":["States.ALL","E"]}])"), kSchema,
              "/States/A/Retry/0/ErrorEquals/0");
  RequireOnly(Retry(R"([{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["E"]}])"), kSchema,
              "/States/A/Retry/0/ErrorEquals/0");
}

// ------------------------------------------------------------ Catch

TEST_CASE("catchers need ErrorEquals and an existing Next", "[validator]") {
  auto catcher = [](const char* c) {
    std::string def = R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"f","End":true,
        "Catch":[)" + std::string(c) +
                      R"(]},"H":{"Type":"Succeed"}}})";
    return V(def.c_str());
  };
  RequireNone(catcher(R"({"ErrorEquals":["States.ALL"],"Next":"H","ResultPath":"$.err",
      "Assign":{"e.$":"$.Error"},"Comment":"c"})"));
  auto ds = catcher(R"({"ErrorEquals":["States.ALL"]})");
  INFO(Describe(ds));
  CHECK(Has(ds, kSchema, "/States/T/Catch/0"));
  CHECK(Has(ds, "MISSING_TRANSITION_TARGET", "/States/H"));
  RequireOnly(catcher(R"({"Next":"H"})"), kSchema, "/States/T/Catch/0");
  RequireOnly(catcher(R"({"ErrorEquals":["E"],"Next":"H","ResultPath":"$$.x"})"), "INVALID_PATH",
              "/States/T/Catch/0/ResultPath");
  RequireOnly(catcher(R"({"ErrorEquals":["E"],"Next":"H","Output":"x"})"), kSchema,
              "/States/T/Catch/0/Output");
  RequireOnly(
      catcher(R"({"ErrorEquals":["States.ALL"],"Next":"H"},{"ErrorEquals":["E"],"Next":"H"})"),
      kSchema, "/States/T/Catch/0/ErrorEquals/0");
}

// ------------------------------------------------------------ Assign

TEST_CASE("Assign is an object of valid variable names", "[validator]") {
  RequireNone(
      OneState(R"({"Type":"Pass","Assign":{"a":1,"_b2":"x","c.$":"$.c","größe":1},"End":true})"));
  RequireOnly(OneState(R"({"Type":"Pass","Assign":[1],"End":true})"), kSchema, "/States/A/Assign");
  RequireOnly(OneState(R"({"Type":"Pass","Assign":{"1a":1},"End":true})"), kSchema,
              "/States/A/Assign/1a");
  RequireOnly(OneState(R"({"Type":"Pass","Assign":{"a.b":1},"End":true})"), kSchema,
              "/States/A/Assign/a.b");
  RequireOnly(OneState(R"({"Type":"Pass","Assign":{"a-b":1},"End":true})"), kSchema,
              "/States/A/Assign/a-b");
  RequireOnly(OneState(R"({"Type":"Pass","Assign":{"states":1},"End":true})"), kSchema,
              "/States/A/Assign/states");
  std::string long_name(81, 'v');
  std::string state = R"({"Type":"Pass","Assign":{")" + long_name + R"(":1},"End":true})";
  RequireOnly(OneState(state.c_str()), kSchema, "/States/A/Assign/" + long_name);
  RequireOnly(OneState(R"({"Type":"Pass","Assign":{"a.$":"$.x["},"End":true})"), "INVALID_PATH",
              "/States/A/Assign/a.$");
}

TEST_CASE("an inner scope cannot assign a variable of an outer scope", "[validator]") {
  auto ds = V(R"({"StartAt":"A","States":{
      "A":{"Type":"Pass","Assign":{"total":0},"Next":"P"},
      "P":{"Type":"Parallel","End":true,"Branches":[
        {"StartAt":"B","States":{"B":{"Type":"Pass","Assign":{"total":1,"mine":2},"End":true}}},
        {"StartAt":"C","States":{"C":{"Type":"Pass","Assign":{"mine":3},"End":true}}}]}}})");
  RequireOnly(ds, kSchema, "/States/P/Branches/0/States/B/Assign/total");
}

// ------------------------------------------------------------ JSONata

TEST_CASE("JSONPath-only fields are unknown in JSONata states", "[validator]") {
  auto ds = OneJsonataState(R"({"Type":"Pass","InputPath":"$.a","End":true})");
  RequireOnly(ds, kSchema, "/States/A/InputPath");
  CHECK(ds[0].message.find("JSONPath field") != std::string::npos);
  RequireOnly(OneJsonataState(R"({"Type":"Wait","Seconds":1,"SecondsPath":"$.s","End":true})"),
              kSchema, "/States/A/SecondsPath");
  RequireOnly(OneJsonataState(R"({"Type":"Fail","ErrorPath":"$.e"})"), kSchema,
              "/States/A/ErrorPath");
}

TEST_CASE("{% %} strings must open and close", "[validator]") {
  RequireOnly(OneJsonataState(R"({"Type":"Pass","Output":{"a":["{% 1 + 2"]},"End":true})"),
              "INVALID_JSONATA", "/States/A/Output/a/0");
  RequireOnly(OneJsonataState(R"({"Type":"Pass","Output":"1 + 2 %}","End":true})"),
              "INVALID_JSONATA", "/States/A/Output");
  RequireOnly(OneJsonataState(R"({"Type":"Pass","Output":"{%  %}","End":true})"), "INVALID_JSONATA",
              "/States/A/Output");
  RequireNone(OneJsonataState(R"({"Type":"Pass","Output":" {% not an expression","End":true})"));
}

TEST_CASE("JSONata expressions have no implicit input", "[validator]") {
  RequireOnly(OneJsonataState(R"({"Type":"Pass","Output":"{% $.a %}","End":true})"),
              "INVALID_JSONATA", "/States/A/Output");
  RequireOnly(OneJsonataState(R"({"Type":"Pass","Output":{"x":"{%  $$ %}"},"End":true})"),
              "INVALID_JSONATA", "/States/A/Output/x");
  RequireNone(OneJsonataState(
      R"j({"Type":"Pass","Output":"{% $sum($states.input.a) + $x %}","End":true})j"));
}

TEST_CASE("JSONata expressions must be well-formed", "[validator]") {
  auto output = [](const std::string& expr) {
    Json state = {{"Type", "Pass"}, {"End", true}, {"Output", {{"x", "{% " + expr + " %}"}}}};
    return OneJsonataState(state.dump().c_str());
  };
  for (const char* ok :
       {"$states.input.items[price > 10].name", "($x := 5; $x * 2;)", "[1..5][]",
        "$map($states.input, function($v, $i)<n-n:n>{ $v * $i })", "λ($v){ $v }",
        "$states.input.items^(>price, <name)", "$states.input ~> |a.b|{'c': 1}, ['d']|",
        "$match($states.input.s, /^[a-z]+(\\.[a-z]+)*$/i)", "$states.input.a / 2", "a.*.b.%.c.**",
        "$states.input.`odd name`.'x'", "/* note */ $f(?, 2)", "x ? 1 : y ? 2 : 3", "{}",
        "$states.input.a@$o#$i", "1e3 + 0.5 - -1", "$states.input.and or 'x' in $y"}) {
    INFO(ok);
    RequireNone(output(ok));
  }
  for (const char* bad : {"$sum($states.input.a", "10 + * 2", "420.", "$states.input.", "1)",
                          "'open", "[1, 2,]", "a b", "a == 1", "a ~ b", "1, 2", "$f(1,)", "/* open",
                          "$match(s, /x)", "a ^ b", "a | b", "{'k' 1}",
                          "x ?: 2" /* 2.1, not 2.0.6 */}) {
    INFO(bad);
    RequireOnly(output(bad), "INVALID_JSONATA", "/States/A/Output/x");
  }
}

TEST_CASE("JSONata values in numeric fields", "[validator]") {
  RequireNone(OneJsonataState(R"({"Type":"Wait","Seconds":"{% $states.input.s %}","End":true})"));
  RequireOnly(OneJsonataState(R"({"Type":"Wait","Seconds":"10","End":true})"), kSchema,
              "/States/A/Seconds");
  RequireOnly(OneJsonataState(R"({"Type":"Wait","Seconds":"{% 10","End":true})"), "INVALID_JSONATA",
              "/States/A/Seconds");
  RequireOnly(OneJsonataState(R"({"Type":"Task","Resource":"f","Arguments":"x","End":true})"),
              kSchema, "/States/A/Arguments");
  RequireOnly(OneJsonataState(R"({"Type":"Map","Items":"x","End":true,
      "ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Succeed"}}}})"),
              kSchema, "/States/A/Items");
}

TEST_CASE("$states.result only in Output/Assign of Task, Map, Parallel", "[validator]") {
  RequireNone(OneJsonataState(R"({"Type":"Task","Resource":"f","End":true,
      "Output":"{% $states.result %}","Assign":{"r":"{% $states.result.x %}"}})"));
  RequireOnly(OneJsonataState(R"({"Type":"Task","Resource":"f","End":true,
      "Arguments":{"a":"{% $states.result %}"}})"),
              "INVALID_JSONATA", "/States/A/Arguments/a");
  RequireOnly(OneJsonataState(R"({"Type":"Pass","Output":"{% $states.result %}","End":true})"),
              "INVALID_JSONATA", "/States/A/Output");
}

TEST_CASE("$states.errorOutput only in a Catcher's Output/Assign", "[validator]") {
  RequireOnly(OneJsonataState(R"({"Type":"Task","Resource":"f","End":true,
      "Output":"{% $states.errorOutput %}"})"),
              "INVALID_JSONATA", "/States/A/Output");
  RequireNone(OneJsonataState(R"({"Type":"Task","Resource":"f","End":true,
      "Catch":[{"ErrorEquals":["States.ALL"],"Next":"A","Output":"{% $states.errorOutput %}",
                "Assign":{"e":"{% $states.errorOutput.Cause %}"}}]})"));
  RequireOnly(OneJsonataState(R"({"Type":"Task","Resource":"f","End":true,
      "Catch":[{"ErrorEquals":["States.ALL"],"Next":"A","Output":"{% $states.result %}"}]})"),
              "INVALID_JSONATA", "/States/A/Catch/0/Output");
}

}  // namespace
}  // namespace stepflow::asl
