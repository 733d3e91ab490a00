// JSONata states compile with every expression parsed once, and drawings
// label Choice edges with their Condition.
#include <catch2/catch.hpp>

#include "engine/graph/compiler.h"
#include "engine/graph/export.h"

using stepflow::Json;
using namespace stepflow::graph;

namespace {

std::shared_ptr<const Graph> MustCompile(const std::string& text) {
  auto r = CompileText(text);
  for (const auto& d : r.diagnostics) UNSCOPED_INFO(d.code << " " << d.pointer << " " << d.message);
  REQUIRE(r.graph);
  return r.graph;
}

const char* kJsonataMachine = R"j({
  "QueryLanguage": "JSONata",
  "StartAt": "Route",
  "States": {
    "Route": {"Type": "Choice", "Choices": [
        {"Condition": "{% $states.input.n > 10 %}", "Next": "Big", "Assign": {"big": true}},
        {"Condition": false, "Next": "Pause"}
      ], "Default": "Pause", "Output": {"n": "{% $states.input.n %}"}},
    "Big": {"Type": "Task", "Resource": "work", "TimeoutSeconds": "{% $states.input.t %}",
            "Arguments": {"n": "{% $states.input.n %}", "fixed": [1, 2]},
            "Output": "{% $states.result %}", "Assign": {"r": "{% $states.result.x %}"},
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed",
                       "Output": {"why": "{% $states.errorOutput.Cause %}"}}],
            "Next": "Fan"},
    "Pause": {"Type": "Wait", "Seconds": "{% $states.input.delay %}", "Next": "Fan"},
    "Fan": {"Type": "Map", "Items": "{% $states.input.items %}", "MaxConcurrency": 2,
            "ItemSelector": {"v": "{% $states.context.Map.Item.Value %}"},
            "ItemProcessor": {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": true}}},
            "End": true},
    "Failed": {"Type": "Fail", "Error": "Oops", "Cause": "{% $states.input.why %}"}
  }
})j";

}  // namespace

TEST_CASE("a JSONata machine compiles every expression into its state", "[graph][jsonata]") {
  auto g = MustCompile(kJsonataMachine);
  CHECK(g->language() == QueryLanguage::kJsonata);
  const State& route = g->state(g->Find("Route"));
  CHECK(route.language == QueryLanguage::kJsonata);
  const auto& choice = route.As<ChoiceSpec>();
  REQUIRE(choice.choices.size() == 2);
  REQUIRE(choice.choices[0].condition);
  CHECK(choice.choices[0].condition->field() == "Choices[0]/Condition");
  CHECK(choice.choices[0].condition->expression() == "$states.input.n > 10");
  CHECK(choice.choices[0].label == "$states.input.n > 10");
  CHECK(choice.choices[0].jsonata_assign);
  CHECK(choice.choices[1].label == "false");
  REQUIRE(route.jsonata_output);
  CHECK(route.jsonata_output->field() == "Output");

  const State& big = g->state(g->Find("Big"));
  const auto& task = big.As<TaskSpec>();
  REQUIRE(task.jsonata_arguments);
  CHECK(task.jsonata_arguments->field() == "Arguments");
  REQUIRE(task.timeout_seconds.jsonata);
  CHECK(task.timeout_seconds.present());
  CHECK(task.timeout_seconds.jsonata->field() == "TimeoutSeconds");
  REQUIRE(big.jsonata_output);
  REQUIRE(big.jsonata_assign);
  REQUIRE(big.catchers.size() == 1);
  REQUIRE(big.catchers[0].jsonata_output);
  CHECK(big.catchers[0].jsonata_output->field() == "Catch[0]/Output");
  CHECK_FALSE(big.io.parameters);

  const auto& wait = g->state(g->Find("Pause")).As<WaitSpec>();
  REQUIRE(wait.seconds.jsonata);
  CHECK(wait.seconds.jsonata->expression() == "$states.input.delay");

  const State& fan = g->state(g->Find("Fan"));
  const auto& map = fan.As<MapSpec>();
  REQUIRE(map.jsonata_items);
  REQUIRE(map.jsonata_item_selector);
  CHECK(map.max_concurrency.value == 2);
  CHECK(fan.uses_context);
  CHECK_FALSE(big.uses_context);

  const auto& fail = g->state(g->Find("Failed")).As<FailSpec>();
  CHECK(fail.error == "Oops");
  CHECK_FALSE(fail.cause);
  REQUIRE(fail.jsonata_cause);
  CHECK(fail.jsonata_cause->field() == "Cause");
}

TEST_CASE("a stored JSONata definition whose expression no longer parses does not compile",
          "[graph][jsonata]") {
  Json def = Json::parse(R"({"QueryLanguage":"JSONata","StartAt":"A",
      "States":{"A":{"Type":"Pass","Output":{"x":"{% 1 + %}"},"End":true}}})");
  auto r = CompileDefinition(def);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("/States/A/Output") != std::string::npos);
  CHECK(r.status().message().find("S0") != std::string::npos);
}

TEST_CASE("$states read as a whole counts as reading the context", "[graph][jsonata]") {
  auto g = MustCompile(R"({"QueryLanguage":"JSONata","StartAt":"A","States":{
      "A":{"Type":"Pass","Output":"{% $states %}","Next":"B"},
      "B":{"Type":"Pass","Output":"{% $states.input %}","End":true}}})");
  CHECK(g->state(g->Find("A")).uses_context);
  CHECK_FALSE(g->state(g->Find("B")).uses_context);
}

TEST_CASE("Choice edges are labelled with their JSONata Condition", "[graph][export][jsonata]") {
  auto g = MustCompile(kJsonataMachine);
  std::string dot = ExportDot(*g, "machine");
  CHECK(dot.find("label=\"$states.input.n > 10\"") != std::string::npos);
  CHECK(dot.find("label=\"false\"") != std::string::npos);
  CHECK(dot.find("{%") == std::string::npos);
  std::string mermaid = ExportMermaid(*g);
  CHECK(mermaid.find("-->|\"$states.input.n #gt; 10\"|") != std::string::npos);
}
