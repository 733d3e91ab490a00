// The validator parses every {% %} expression with the JSONata parser and
// reports a syntax error with the JSONata code and message, at the
// expression's JSON pointer and line:column.
#include <catch2/catch.hpp>

#include "tests/unit/asl/validator_test_util.h"

namespace stepflow::asl {
namespace {

using testing::Describe;
using testing::OneJsonataState;
using testing::RequireNone;
using testing::RequireOnly;
using testing::ValidateText;

TEST_CASE("a JSONata syntax error names its code and message, pointer and line:column",
          "[validator][jsonata]") {
  const char* yaml =
      "QueryLanguage: JSONata\n"
      "StartAt: A\n"
      "States:\n"
      "  A:\n"
      "    Type: Pass\n"
      "    Output:\n"
      "      total: \"{% $sum($states.input.items %}\"\n"
      "    End: true\n";
  auto ds = ValidateText(yaml, "machine.asl.yaml");
  INFO(Describe(ds));
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].code == "INVALID_JSONATA");
  CHECK(ds[0].pointer == "/States/A/Output/total");
  CHECK(ds[0].line == 7);
  CHECK(ds[0].column == 14);
  CHECK(ds[0].message.starts_with("The JSONata expression is not valid: S0"));
  CHECK(ds[0].message.find("(at character ") != std::string::npos);

  const char* json = R"({
  "QueryLanguage": "JSONata",
  "StartAt": "C",
  "States": {
    "C": {"Type": "Choice",
          "Choices": [{"Condition": "{% $states.input.x = = 1 %}", "Next": "D"}],
          "Default": "D"},
    "D": {"Type": "Succeed"}
  }
})";
  ds = ValidateText(json, "machine.asl.json");
  INFO(Describe(ds));
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].code == "INVALID_JSONATA");
  CHECK(ds[0].pointer == "/States/C/Choices/0/Condition");
  CHECK(ds[0].line == 6);
  CHECK(ds[0].column == 37);
  CHECK(ds[0].message.find(": S0") != std::string::npos);
}

TEST_CASE("every JSONata field is parsed", "[validator][jsonata]") {
  struct Case {
    const char* state;
    const char* pointer;
  };
  const Case cases[] = {
      {R"({"Type":"Task","Resource":"f","Arguments":{"a":["{% (1 %}"]},"End":true})",
       "/States/A/Arguments/a/0"},
      {R"({"Type":"Task","Resource":"f","TimeoutSeconds":"{% 1 + %}","End":true})",
       "/States/A/TimeoutSeconds"},
      {R"({"Type":"Wait","Seconds":"{% ] %}","End":true})", "/States/A/Seconds"},
      {R"({"Type":"Wait","Timestamp":"{% $now( %}","End":true})", "/States/A/Timestamp"},
      {R"({"Type":"Pass","Assign":{"x":"{% {'a' 1} %}"},"End":true})", "/States/A/Assign/x"},
      {R"({"Type":"Fail","Error":"{% 'E' & %}"})", "/States/A/Error"},
      {R"({"Type":"Fail","Cause":"{% 'a' 'b' %}"})", "/States/A/Cause"},
      {R"({"Type":"Map","Items":"{% [1, 2 %}","End":true,
          "ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Succeed"}}}})",
       "/States/A/Items"},
      {R"({"Type":"Map","MaxConcurrency":"{% ( %}","End":true,
          "ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Succeed"}}}})",
       "/States/A/MaxConcurrency"},
      {R"({"Type":"Map","ItemSelector":{"v":"{% $states.context.Map.Item.Value. %}"},
          "End":true,"ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Succeed"}}}})",
       "/States/A/ItemSelector/v"},
      {R"({"Type":"Task","Resource":"f","End":true,
          "Catch":[{"ErrorEquals":["States.ALL"],"Next":"A","Output":"{% $states.errorOutput. %}"}]})",
       "/States/A/Catch/0/Output"},
  };
  for (const Case& c : cases) {
    INFO(c.state);
    RequireOnly(OneJsonataState(c.state), "INVALID_JSONATA", c.pointer);
  }
  // What parses passes.
  RequireNone(OneJsonataState(R"({"Type":"Pass","End":true,"Output":{
      "a":"{% $states.input.items[price > 10].name %}",
      "b":"{% $map($states.input.n, function($v){ $v * 2 }) %}",
      "c":"{% $partition($range(1, 9, 1), 3) %}"}})"));
}

}  // namespace
}  // namespace stepflow::asl
