#include "engine/graph/compiler.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/graph/export.h"
#include "tests/unit/test_files.h"

using stepflow::Json;
using namespace stepflow::graph;

namespace {

std::shared_ptr<const Graph> MustCompile(const std::string& text) {
  auto r = CompileText(text);
  for (const auto& d : r.diagnostics) UNSCOPED_INFO(d.code << " " << d.pointer << " " << d.message);
  REQUIRE(r.graph);
  return r.graph;
}

const char* kMachine = R"j({
  "Comment": "everything",
  "StartAt": "Route",
  "TimeoutSeconds": 300,
  "States": {
    "Route": {"Type": "Choice", "Choices": [
        {"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"},
        {"And": [{"Variable": "$.s", "IsPresent": true}, {"Variable": "$.s", "StringEquals": "x"}], "Next": "Fan"}
      ], "Default": "Small"},
    "Big": {"Type": "Task", "Resource": "work", "TimeoutSeconds": 5, "HeartbeatSeconds": 2,
            "Parameters": {"n.$": "$.n"}, "ResultPath": "$.out",
            "Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 3, "MaxAttempts": 4, "BackoffRate": 1.5, "MaxDelaySeconds": 10, "JitterStrategy": "FULL"}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed"}],
            "Next": "Done"},
    "Small": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "Done"},
    "Fan": {"Type": "Parallel", "Branches": [
        {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "Result": 1, "End": true}}},
        {"StartAt": "B2", "States": {"B2": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2,
            "ItemProcessor": {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": true}}}, "End": true}}}
      ], "Next": "Done"},
    "Done": {"Type": "Succeed"},
    "Failed": {"Type": "Fail", "Error": "Oops", "CausePath": "$.error.Cause"}
  }
})j";

}  // namespace

TEST_CASE("compiled graph indexes states and resolves transitions", "[graph]") {
  auto g = MustCompile(kMachine);
  CHECK(g->states().size() == 6);
  CHECK(g->TotalStates() == 9);
  CHECK(g->timeout_seconds() == 300);
  CHECK(g->comment() == "everything");
  CHECK(g->state(g->start()).name == "Route");
  const State& route = g->state(g->Find("Route"));
  CHECK(route.type == StateType::kChoice);
  const auto& choice = route.As<ChoiceSpec>();
  REQUIRE(choice.choices.size() == 2);
  CHECK(choice.choices[0].next == g->Find("Big"));
  CHECK(choice.choices[0].label == "$.n NumericGreaterThan 10");
  CHECK(choice.choices[1].next == g->Find("Fan"));
  CHECK(choice.default_next == g->Find("Small"));

  const State& big = g->state(g->Find("Big"));
  const auto& task = big.As<TaskSpec>();
  CHECK(task.resource == "work");
  CHECK(task.timeout_seconds.value == 5);
  CHECK(task.heartbeat_seconds.value == 2);
  CHECK(big.next == g->Find("Done"));
  REQUIRE(big.retry.size() == 1);
  CHECK(big.retry[0].interval_seconds == 3);
  CHECK(big.retry[0].max_attempts == 4);
  CHECK(big.retry[0].backoff_rate == 1.5);
  CHECK(big.retry[0].max_delay_seconds == 10);
  CHECK(big.retry[0].jitter_full);
  REQUIRE(big.catchers.size() == 1);
  CHECK(big.catchers[0].next == g->Find("Failed"));
  REQUIRE(big.io.parameters);
  auto input = big.io.EffectiveInput(Json{{"n", 12}}, {});
  REQUIRE(input.ok());
  CHECK(*input == Json{{"n", 12}});

  const auto& wait = g->state(g->Find("Small")).As<WaitSpec>();
  REQUIRE(wait.seconds.path);
  CHECK(wait.seconds.path->text() == "$.delay");

  const auto& parallel = g->state(g->Find("Fan")).As<ParallelSpec>();
  REQUIRE(parallel.branches.size() == 2);
  const Graph& b2 = *parallel.branches[1];
  const auto& map = b2.state(b2.start()).As<MapSpec>();
  CHECK(map.max_concurrency.value == 2);
  REQUIRE(map.items_path);
  CHECK(map.processor->state(map.processor->start()).name == "Item");

  const auto& fail = g->state(g->Find("Failed")).As<FailSpec>();
  CHECK(fail.error == "Oops");
  REQUIRE(fail.cause_path.path);
  CHECK(g->state(g->Find("Done")).end);
}

TEST_CASE("content hash is canonical: same JSON, same hash", "[graph]") {
  auto a = MustCompile(R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})");
  auto b = MustCompile("States:\n  A: {End: true, Type: Pass}\nStartAt: A\n");
  auto c = MustCompile(R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"Result":1}}})");
  CHECK(a->content_hash().size() == 64);
  CHECK(a->content_hash() == b->content_hash());
  CHECK(a->content_hash() != c->content_hash());

  // The hash of a definition stored before objects kept their member order
  // (tests/fixtures/checkpoints_v1.sql holds it with the definition).
  std::ifstream in(std::string(STEPFLOW_SOURCE_DIR) + "/tests/fixtures/checkpoints_v1_orders.json");
  REQUIRE(in);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(MustCompile(text)->content_hash() ==
        "e6528c7f0860d23e3d252ad5cb65ef87e23230504941493c24e16fb512c203ad");
}

TEST_CASE("invalid definitions do not compile and keep their diagnostics", "[graph]") {
  auto r = CompileText(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nowhere"}}})");
  CHECK_FALSE(r.graph);
  REQUIRE_FALSE(r.diagnostics.empty());
  bool missing_target = false;
  for (const auto& d : r.diagnostics) {
    missing_target |= d.code == "MISSING_TRANSITION_TARGET" && d.pointer == "/States/A/Next";
  }
  CHECK(missing_target);
  CHECK_FALSE(CompileText("{").graph);
}

TEST_CASE("DOT and Mermaid show states, labelled edges and clusters", "[graph][export]") {
  auto g = MustCompile(kMachine);
  std::string dot = ExportDot(*g, "machine");
  CHECK(dot.rfind("digraph \"machine\" {", 0) == 0);
  CHECK(dot.find("label=\"Route\\n(Choice)\", shape=diamond") != std::string::npos);
  CHECK(dot.find("label=\"$.n NumericGreaterThan 10\"") != std::string::npos);
  CHECK(dot.find("label=\"Default\"") != std::string::npos);
  CHECK(dot.find("style=dashed") != std::string::npos);
  CHECK(dot.find("catch: States.ALL") != std::string::npos);
  CHECK(dot.find("subgraph cluster_") != std::string::npos);
  CHECK(dot.find("Fan branch 2") != std::string::npos);
  CHECK(dot.find("B2 iteration") != std::string::npos);

  std::string mermaid = ExportMermaid(*g);
  CHECK(mermaid.rfind("flowchart TD\n", 0) == 0);
  CHECK(mermaid.find("{\"Route<br/>(Choice)\"}") != std::string::npos);
  CHECK(mermaid.find("-->|\"$.n NumericGreaterThan 10\"|") != std::string::npos);
  CHECK(mermaid.find("-.->|\"catch: States.ALL\"|") != std::string::npos);
  CHECK(mermaid.find("subgraph ") != std::string::npos);
  CHECK(mermaid.find("-->|Default|") != std::string::npos);
}

TEST_CASE("every example workflow compiles and its DOT renders with Graphviz", "[graph][export][examples]") {
  namespace fs = std::filesystem;
  bool have_dot = fs::exists("/usr/bin/dot");
  int seen = 0;
  for (const auto& entry : fs::directory_iterator(STEPFLOW_SOURCE_DIR "/workflows")) {
    std::string path = entry.path().string();
    if (!path.ends_with(".asl.yaml") && !path.ends_with(".asl.json")) continue;
    INFO(path);
    auto r = CompileText(stepflow::testing::ReadFile(entry.path()), path);
    for (const auto& d : r.diagnostics) UNSCOPED_INFO(d.code << " " << d.pointer << " " << d.message);
    REQUIRE(r.graph);
    ++seen;
    CHECK_FALSE(ExportMermaid(*r.graph).empty());
    if (have_dot) {
      std::string dot_file = (fs::temp_directory_path() / ("stepflow_graph_test_" + std::to_string(seen) + ".dot")).string();
      std::ofstream(dot_file) << ExportDot(*r.graph, entry.path().filename().string());
      std::string cmd = "/usr/bin/dot -Tsvg " + dot_file + " -o /dev/null 2>&1";
      CHECK(std::system(cmd.c_str()) == 0);
      fs::remove(dot_file);
    }
  }
  CHECK(seen >= 6);
  if (!have_dot) WARN("Graphviz dot is not installed; rendering not checked");
}
