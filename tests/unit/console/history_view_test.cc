// The console's readings of a history (history_view.h) and the data-flow
// inspector (dataflow.h), on executions run by the real executor.
#include "engine/console/history_view.h"

#include <catch2/catch.hpp>

#include "engine/console/dataflow.h"
#include "engine/graph/compiler.h"
#include "tests/unit/runtime/runtime_test_util.h"

namespace stepflow::console {
namespace {

std::shared_ptr<const graph::Graph> Compile(const std::string& definition) {
  auto graph = graph::CompileDefinition(Json::parse(definition));
  REQUIRE(graph.ok());
  return *graph;
}

// The history as lines "id type path details", for failure messages.
std::string Trace(testing::Harness& h, const std::string& id) {
  std::string out;
  for (const auto& e : h.History(id)) {
    out += std::to_string(e.id) + " " + e.type + " " + e.state_path + " " + e.details + "\n";
  }
  return out;
}

constexpr const char* kNested = R"({"StartAt":"Both","States":{
  "Both":{"Type":"Parallel","End":true,"Branches":[
    {"StartAt":"Left","States":{"Left":{"Type":"Pass","End":true}}},
    {"StartAt":"Fan","States":{"Fan":{"Type":"Map","End":true,"ItemsPath":"$.items",
      "ItemProcessor":{"StartAt":"Leaf","States":{"Leaf":{"Type":"Pass","End":true}}}}}}]}}})";

TEST_CASE("template paths star Map iterations and keep Parallel branches", "[console]") {
  auto g = Compile(kNested);
  CHECK(TemplatePath(*g, "Both") == "Both");
  CHECK(TemplatePath(*g, "Both[0]/Left") == "Both[0]/Left");
  CHECK(TemplatePath(*g, "Both[1]/Fan[17]/Leaf") == "Both[1]/Fan[*]/Leaf");
  CHECK(TemplatePath(*g, "Nope[3]/X") == "Nope[3]/X");
  REQUIRE(FindState(*g, "Both[1]/Fan[17]/Leaf") != nullptr);
  CHECK(FindState(*g, "Both[1]/Fan[17]/Leaf")->name == "Leaf");
  CHECK(FindState(*g, "Both[1]/Fan[*]/Leaf") != nullptr);
  CHECK(FindState(*g, "Both[2]/Left") == nullptr);
  CHECK(FindState(*g, "Both[0]/Fan") == nullptr);
}

TEST_CASE("state summary: statuses, visits, attempts, catches and the path taken", "[console]") {
  testing::Harness h;
  int calls = 0;
  h.invoker.handler = [&](const runtime::TaskRequest& r) {
    if (r.function == "flaky" && ++calls <= 2) {
      return runtime::TaskOutcome::Failure("Busy", "try again");
    }
    if (r.function == "broken") return runtime::TaskOutcome::Failure("Broken", "it is broken");
    return runtime::TaskOutcome::Success(R"({"ok":true})");
  };
  const std::string definition = R"({"StartAt":"Flaky","States":{
    "Flaky":{"Type":"Task","Resource":"flaky","Next":"Fan","ResultPath":"$.flaky",
      "Retry":[{"ErrorEquals":["Busy"],"IntervalSeconds":1,"MaxAttempts":3}]},
    "Fan":{"Type":"Map","ItemsPath":"$.items","Next":"Broken","ResultPath":null,
      "ItemProcessor":{"StartAt":"Leaf","States":{"Leaf":{"Type":"Pass","End":true}}}},
    "Broken":{"Type":"Task","Resource":"broken","Next":"Done",
      "Catch":[{"ErrorEquals":["States.ALL"],"Next":"Handled"}]},
    "Handled":{"Type":"Pass","End":true},
    "Done":{"Type":"Succeed"}}})";
  auto record = h.Run(definition, R"({"items":[1,2,3]})");
  INFO(Trace(h, record.id));
  REQUIRE(record.status == "SUCCEEDED");
  auto events = h.History(record.id);
  auto g = Compile(definition);
  Json summary = StateSummary(*g, record, events);
  INFO(DumpPretty(summary));
  const Json& states = summary["states"];
  CHECK(states["Flaky"]["status"] == "SUCCEEDED");
  CHECK(states["Flaky"]["attempts"] == 3);
  CHECK(states["Flaky"]["error"].is_null());  // its failures were retried away
  CHECK(states["Fan"]["status"] == "SUCCEEDED");
  CHECK(states["Fan[*]/Leaf"]["visits"] == 3);
  CHECK(states["Fan[*]/Leaf"]["counts"]["SUCCEEDED"] == 3);
  CHECK(states["Broken"]["status"] == "CAUGHT");
  CHECK(states["Broken"]["error"] == "Broken");
  CHECK(states["Broken"]["cause"] == "it is broken");
  CHECK(states["Handled"]["status"] == "SUCCEEDED");
  CHECK_FALSE(states.contains("Done"));
  // The first failure is Flaky's first TaskFailed.
  int64_t first_failed = 0;
  for (const auto& e : events) {
    if (e.type == "TaskFailed") {
      first_failed = e.id;
      break;
    }
  }
  CHECK(summary["firstFailureEventId"] == first_failed);
  auto has = [&](const std::string& from, const std::string& to, int64_t count) {
    for (const Json& t : summary["transitions"]) {
      if (t["from"] == from && t["to"] == to) return t["count"] == count;
    }
    return false;
  };
  CHECK(has("__start__", "Flaky", 1));
  CHECK(has("Flaky", "Fan", 1));
  CHECK(has("Fan", "Broken", 1));
  CHECK(has("Broken", "Handled", 1));
  CHECK(has("Handled", "__end__", 1));
  CHECK_FALSE(has("Broken", "Done", 1));
}

TEST_CASE("iterations: histogram, filter, sort and pages of a Map", "[console]") {
  testing::Harness h;
  h.invoker.handler = [](const runtime::TaskRequest& r) {
    Json input = Json::parse(r.input_json);
    if (input.is_number_integer() && input.get<int>() % 4 == 0) {
      return runtime::TaskOutcome::Failure("Odd", "item " + r.input_json);
    }
    return runtime::TaskOutcome::Success(r.input_json);
  };
  const std::string definition = R"({"StartAt":"Fan","States":{
    "Fan":{"Type":"Map","ItemsPath":"$.items","ToleratedFailurePercentage":100,"End":true,
      "ItemProcessor":{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"w","End":true}}}}}})";
  Json items = Json::array();
  for (int i = 0; i < 10; ++i) items.push_back(i);
  auto record = h.Run(definition, DumpCompact(Json{{"items", items}}));
  auto events = h.History(record.id);
  auto g = Compile(definition);
  IterationQuery q;
  q.state = "Fan";
  auto all = Iterations(*g, record, events, q);
  REQUIRE(all.ok());
  INFO(DumpPretty(*all));
  CHECK((*all)["total"] == 10);
  CHECK((*all)["histogram"]["FAILED"] == 3);  // 0, 4, 8
  CHECK((*all)["histogram"]["SUCCEEDED"] == 7);
  CHECK((*all)["iterations"].size() == 10);
  CHECK((*all)["iterations"][4]["status"] == "FAILED");
  CHECK((*all)["iterations"][4]["error"] == "Odd");
  CHECK((*all)["iterations"][4]["cause"] == "item 4");
  q.status = "FAILED";
  q.descending = true;
  auto failed = Iterations(*g, record, events, q);
  REQUIRE(failed.ok());
  REQUIRE((*failed)["iterations"].size() == 3);
  CHECK((*failed)["iterations"][0]["index"] == 8);
  CHECK((*failed)["matching"] == 3);
  q.status.clear();
  q.descending = false;
  q.offset = 8;
  q.limit = 5;
  auto page = Iterations(*g, record, events, q);
  REQUIRE(page.ok());
  REQUIRE((*page)["iterations"].size() == 2);
  CHECK((*page)["iterations"][1]["index"] == 9);
  q.state = "Fan[0]/Work";
  CHECK(Iterations(*g, record, events, q).status().code() == StatusCode::kNotFound);
  // Failures the Map tolerates are its iterations', not the Map's.
  REQUIRE(record.status == "SUCCEEDED");
  Json summary = StateSummary(*g, record, events);
  CHECK(summary["states"]["Fan"]["status"] == "SUCCEEDED");
  CHECK(summary["states"]["Fan[*]/Work"]["counts"]["FAILED"] == 3);
  auto flow = DataFlow(*g, Json::parse(definition), record, events, "Fan");
  REQUIRE(flow.ok());
  CHECK((*flow)["visits"][0]["status"] == "SUCCEEDED");
  CHECK((*flow)["visits"][0]["caught"].is_null());
}

TEST_CASE("data flow: every stage of a JSONPath Task recomputed, with changes", "[console]") {
  testing::Harness h;
  int calls = 0;
  h.invoker.handler = [&](const runtime::TaskRequest& r) {
    if (++calls == 1) return runtime::TaskOutcome::Failure("Busy", "later");
    CHECK(Json::parse(r.input_json) == Json::parse(R"({"id":7,"qty":2,"static":"x"})"));
    return runtime::TaskOutcome::Success(R"({"Payload":{"total":14,"currency":"EUR"},"meta":1})");
  };
  const std::string definition = R"({"StartAt":"Price","States":{
    "Price":{"Type":"Task","Resource":"price","End":true,
      "InputPath":"$.order",
      "Parameters":{"id.$":"$.id","qty.$":"$.qty","static":"x"},
      "ResultSelector":{"total.$":"$.Payload.total"},
      "ResultPath":"$.order.price",
      "OutputPath":"$.order",
      "Retry":[{"ErrorEquals":["Busy"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":2}]}}})";
  auto record = h.Run(definition, R"({"order":{"id":7,"qty":2},"other":true})");
  REQUIRE(record.status == "SUCCEEDED");
  auto events = h.History(record.id);
  auto g = Compile(definition);
  auto flow = DataFlow(*g, Json::parse(definition), record, events, "Price");
  REQUIRE(flow.ok());
  INFO(DumpPretty(*flow));
  REQUIRE((*flow)["visits"].size() == 1);
  const Json& visit = (*flow)["visits"][0];
  CHECK(visit["status"] == "SUCCEEDED");
  CHECK(visit["matchesRecord"] == true);
  std::vector<std::string> names;
  for (const Json& s : visit["stages"]) names.push_back(s["name"]);
  CHECK(names == std::vector<std::string>{"input", "afterInputPath", "afterParameters", "result",
                                          "afterResultSelector", "afterResultPath", "output"});
  auto stage = [&](const std::string& name) -> const Json& {
    for (const Json& s : visit["stages"]) {
      if (s["name"] == name) return s;
    }
    FAIL("no stage " << name);
    return visit;
  };
  CHECK(stage("afterInputPath")["value"] == Json::parse(R"({"id":7,"qty":2})"));
  CHECK(stage("afterInputPath")["field"] == "$.order");
  CHECK(stage("afterParameters")["value"] == Json::parse(R"({"id":7,"qty":2,"static":"x"})"));
  CHECK(stage("afterParameters")["changes"] == Json::parse(R"([{"op":"add","path":"/static"}])"));
  CHECK(stage("afterResultSelector")["value"] == Json::parse(R"({"total":14})"));
  CHECK(stage("afterResultPath")["value"] ==
        Json::parse(R"({"order":{"id":7,"qty":2,"price":{"total":14}},"other":true})"));
  CHECK(stage("output")["value"] == Json::parse(R"({"id":7,"qty":2,"price":{"total":14}})"));
  CHECK(visit["recordedOutput"] == stage("output")["value"]);
  // The failed first attempt, the retrier that matched and its back-off.
  REQUIRE(visit["attempts"].size() == 2);
  const Json& first = visit["attempts"][0];
  CHECK(first["status"] == "FAILED");
  CHECK(first["error"] == "Busy");
  CHECK(first["retrier"]["index"] == 0);
  CHECK(first["retrier"]["errorEquals"] == Json::parse(R"(["Busy"])"));
  CHECK(first["plannedBackoffMs"] == 2000);
  CHECK(first["backoffMs"].get<int64_t>() >= 2000);
  CHECK(visit["attempts"][1]["status"] == "SUCCEEDED");
  CHECK(visit["attempts"][1]["retrier"].is_null());

  CHECK(DataFlow(*g, Json::parse(definition), record, events, "Nope").status().code() ==
        StatusCode::kNotFound);
}

TEST_CASE("data flow: a caught failure names its Catch and a Map's result is its outputs",
          "[console]") {
  testing::Harness h;
  h.invoker.handler = [](const runtime::TaskRequest&) {
    return runtime::TaskOutcome::Failure("Nope", "no");
  };
  const std::string definition = R"J({"StartAt":"Fan","States":{
    "Fan":{"Type":"Map","ItemsPath":"$.items","ResultPath":"$.doubled","Next":"Call",
      "ItemProcessor":{"StartAt":"Twice","States":{
        "Twice":{"Type":"Pass","Parameters":{"v.$":"States.MathAdd($, $)"},"End":true}}}},
    "Call":{"Type":"Task","Resource":"f","End":true,
      "Catch":[{"ErrorEquals":["Other"],"Next":"Fallback"},
               {"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"Fallback"}]},
    "Fallback":{"Type":"Pass","End":true}}})J";
  auto record = h.Run(definition, R"({"items":[1,2,3]})");
  INFO(Trace(h, record.id));
  REQUIRE(record.status == "SUCCEEDED");
  auto events = h.History(record.id);
  auto g = Compile(definition);
  auto fan = DataFlow(*g, Json::parse(definition), record, events, "Fan");
  REQUIRE(fan.ok());
  INFO(DumpPretty(*fan));
  const Json& stages = (*fan)["visits"][0]["stages"];
  bool found = false;
  for (const Json& s : stages) {
    if (s["name"] == "result") {
      found = true;
      CHECK(s["value"] == Json::parse(R"([{"v":2},{"v":4},{"v":6}])"));
    }
  }
  CHECK(found);
  CHECK((*fan)["visits"][0]["matchesRecord"] == true);
  auto call = DataFlow(*g, Json::parse(definition), record, events, "Call");
  REQUIRE(call.ok());
  const Json& visit = (*call)["visits"][0];
  CHECK(visit["status"] == "CAUGHT");
  CHECK(visit["caught"]["index"] == 1);
  CHECK(visit["caught"]["next"] == "Fallback");
  CHECK(visit["caught"]["resultPath"] == "$.error");
  CHECK(visit["error"] == "Nope");
}

TEST_CASE("changes between two values are JSON pointers by kind", "[console]") {
  Json a = Json::parse(R"({"a":1,"b":{"c":2},"d":[1]})");
  Json b = Json::parse(R"({"a":1,"b":{"c":3},"e":true,"d":[1]})");
  Json changes = Changes(a, b);
  CHECK(changes.size() == 2);
  CHECK(changes[0] == Json::parse(R"({"op":"replace","path":"/b/c"})"));
  CHECK(changes[1] == Json::parse(R"({"op":"add","path":"/e"})"));
  CHECK(Changes(a, a).empty());
  CHECK(Changes(a, b, 1).size() == 1);
}

}  // namespace
}  // namespace stepflow::console

namespace stepflow::console {
namespace {

TEST_CASE("state summary of a redriven execution: no edge into the redriven state", "[console]") {
  testing::Harness h;
  bool down = true;
  h.invoker.handler = [&](const runtime::TaskRequest& r) {
    if (r.function == "train" && down) return runtime::TaskOutcome::Failure("Down", "cluster");
    return runtime::TaskOutcome::Success("{}");
  };
  const std::string definition = R"({"StartAt":"Prepare","States":{
    "Prepare":{"Type":"Task","Resource":"prepare","Next":"Train"},
    "Train":{"Type":"Task","Resource":"train","End":true}}})";
  auto failed = h.Run(definition);
  REQUIRE(failed.status == "FAILED");
  auto g = Compile(definition);
  Json before = StateSummary(*g, failed, h.History(failed.id));
  CHECK(before["states"]["Train"]["status"] == "FAILED");
  CHECK(before["states"]["Train"]["error"] == "Down");
  down = false;
  REQUIRE(h.executor->Redrive(failed.id).ok());
  REQUIRE(h.executor->RunUntilIdle().ok());
  auto redriven = h.Record(failed.id);
  REQUIRE(redriven.status == "SUCCEEDED");
  Json after = StateSummary(*g, redriven, h.History(redriven.id));
  INFO(DumpPretty(after));
  CHECK(after["states"]["Train"]["status"] == "SUCCEEDED");
  CHECK(after["states"]["Train"]["visits"] == 2);
  CHECK(after["states"]["Prepare"]["visits"] == 1);
  for (const Json& t : after["transitions"]) {
    if (t["from"] == "Prepare") CHECK(t["count"] == 1);
    if (t["to"] == "Prepare") CHECK(t["count"] == 1);
  }
}

}  // namespace
}  // namespace stepflow::console

namespace stepflow::console {
namespace {

TEST_CASE("a Fail state's error and cause name the failed iteration and the state", "[console]") {
  testing::Harness h;
  const std::string definition = R"({"StartAt":"Fan","States":{
    "Fan":{"Type":"Map","ItemsPath":"$.items","ToleratedFailurePercentage":100,"End":true,
      "ItemProcessor":{"StartAt":"Check","States":{
        "Check":{"Type":"Choice","Choices":[{"Variable":"$","NumericGreaterThan":1,"Next":"Bad"}],
                 "Default":"Good"},
        "Good":{"Type":"Succeed"},
        "Bad":{"Type":"Fail","Error":"TooBig","Cause":"more than one"}}}}}})";
  auto record = h.Run(definition, R"({"items":[1,2]})");
  auto events = h.History(record.id);
  auto g = Compile(definition);
  IterationQuery q;
  q.state = "Fan";
  auto iterations = Iterations(*g, record, events, q);
  REQUIRE(iterations.ok());
  INFO(DumpPretty(*iterations));
  CHECK((*iterations)["iterations"][1]["status"] == "FAILED");
  CHECK((*iterations)["iterations"][1]["error"] == "TooBig");
  CHECK((*iterations)["iterations"][1]["cause"] == "more than one");
  CHECK((*iterations)["iterations"][0]["error"].is_null());
  Json summary = StateSummary(*g, record, events);
  CHECK(summary["states"]["Fan[*]/Bad"]["status"] == "FAILED");
  CHECK(summary["states"]["Fan[*]/Bad"]["error"] == "TooBig");
  CHECK(summary["states"]["Fan[*]/Check"]["counts"]["SUCCEEDED"] == 2);
}

}  // namespace
}  // namespace stepflow::console
