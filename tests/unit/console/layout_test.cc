#include "engine/console/layout.h"

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/graph/compiler.h"
#include "tests/unit/test_files.h"

using stepflow::DumpCompact;
using stepflow::Json;
using stepflow::StatusCode;
using namespace stepflow::console;
namespace graph = stepflow::graph;
namespace fs = std::filesystem;

namespace {

const fs::path kGoldenDir = fs::path(STEPFLOW_SOURCE_DIR) / "tests/unit/console/golden";

// The fixtures: tests/unit/console/golden/<name>.json, with LayoutDot's
// output in <name>.dot. STEPFLOW_UPDATE_GOLDEN=1 rewrites the .dot files.
const std::vector<std::string> kFixtures = {"parallel_in_map", "map_in_parallel", "choice_default",
                                            "parallel_catch", "ordered"};

std::shared_ptr<const graph::Graph> MustCompile(const std::string& text) {
  auto r = graph::CompileText(text);
  for (const auto& d : r.diagnostics) UNSCOPED_INFO(d.code << " " << d.pointer << " " << d.message);
  REQUIRE(r.graph);
  return r.graph;
}

std::shared_ptr<const graph::Graph> Fixture(const std::string& name) {
  std::string text = stepflow::testing::ReadFile(kGoldenDir / (name + ".json"));
  INFO("fixture " << name);
  REQUIRE_FALSE(text.empty());
  return MustCompile(text);
}

bool DotInstalled() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    fs::path candidate = fs::path(dirs.substr(start, end - start)) / "dot";
    if (::access(candidate.c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci && *ci && std::string(ci) != "false" && std::string(ci) != "0";
}

// True when the tests that run Graphviz can run; without dot they are
// skipped with a warning, except in CI where that is a failure.
bool NeedDot() {
  if (DotInstalled()) return true;
  if (InCi()) FAIL("Graphviz's dot is not installed (CI is set: the layout tests must run)");
  WARN("Graphviz's dot is not installed: layout test skipped");
  return false;
}

// Every state's template path, its type, and every cluster id, by walking
// the graph (not the drawing).
struct Expected {
  std::map<std::string, std::string> nodes;     // id -> type
  std::map<std::string, std::string> clusters;  // id -> owner
};

void Collect(const graph::Graph& g, const std::string& prefix, Expected& out) {
  for (const auto& s : g.states()) {
    std::string id = prefix + s.name;
    out.nodes[id] = std::string(graph::StateTypeName(s.type));
    if (const auto* p = std::get_if<graph::ParallelSpec>(&s.spec)) {
      for (size_t b = 0; b < p->branches.size(); ++b) {
        out.clusters[id + "#" + std::to_string(b)] = id;
        Collect(*p->branches[b], id + "[" + std::to_string(b) + "]/", out);
      }
    } else if (const auto* m = std::get_if<graph::MapSpec>(&s.spec)) {
      out.clusters[id + "#iteration"] = id;
      Collect(*m->processor, id + "[*]/", out);
    }
  }
}

struct Box {
  double x, y, w, h;
  bool Contains(const Box& o, double slack = 0.5) const {
    return o.x >= x - slack && o.y >= y - slack && o.x + o.w <= x + w + slack &&
           o.y + o.h <= y + h + slack;
  }
  bool ContainsPoint(double px, double py, double slack) const {
    return px >= x - slack && py >= y - slack && px <= x + w + slack && py <= y + h + slack;
  }
};

Box BoxOf(const Json& j) {
  return {j.at("x").get<double>(), j.at("y").get<double>(), j.at("width").get<double>(),
          j.at("height").get<double>()};
}

// The structural checks of a layout: what must hold whatever Graphviz's
// version places where.
void CheckLayout(const graph::Graph& g, const Json& layout) {
  Expected expected;
  Collect(g, "", expected);
  expected.nodes["__start__"] = "Start";
  expected.nodes["__end__"] = "End";

  const Box page{0, 0, layout.at("width").get<double>(), layout.at("height").get<double>()};
  REQUIRE(page.w > 0);
  REQUIRE(page.h > 0);

  std::map<std::string, Box> clusters;
  for (const Json& c : layout.at("clusters")) {
    std::string id = c.at("id").get<std::string>();
    INFO("cluster " << id);
    REQUIRE(expected.clusters.count(id) == 1);
    CHECK(c.at("owner") == expected.clusters[id]);
    std::string kind = c.at("kind").get<std::string>();
    CHECK(kind == (id.ends_with("#iteration") ? "iteration" : "branch"));
    CHECK(c.at("label").get<std::string>().find(kind) != std::string::npos);
    Box box = BoxOf(c);
    CHECK(box.w > 0);
    CHECK(box.h > 0);
    CHECK(page.Contains(box));
    clusters[id] = box;
  }
  CHECK(clusters.size() == expected.clusters.size());
  for (const Json& c : layout.at("clusters")) {
    if (c.at("parent").is_null()) continue;
    INFO("cluster " << c.at("id") << " in " << c.at("parent"));
    REQUIRE(clusters.count(c.at("parent").get<std::string>()) == 1);
    CHECK(clusters[c.at("parent").get<std::string>()].Contains(BoxOf(c)));
  }

  std::map<std::string, Box> nodes;
  for (const Json& n : layout.at("nodes")) {
    std::string id = n.at("id").get<std::string>();
    INFO("node " << id);
    REQUIRE(expected.nodes.count(id) == 1);
    CHECK(n.at("type") == expected.nodes[id]);
    Box box = BoxOf(n);
    CHECK(box.w > 0);
    CHECK(box.h > 0);
    CHECK(page.Contains(box));
    if (!n.at("cluster").is_null()) {
      std::string cluster = n.at("cluster").get<std::string>();
      REQUIRE(clusters.count(cluster) == 1);
      CHECK(clusters[cluster].Contains(box));
      // A state inside a body has its owner's path as prefix.
      CHECK(id.rfind(expected.clusters[cluster] + "[", 0) == 0);
    }
    nodes[id] = box;
  }
  CHECK(nodes.size() == expected.nodes.size());

  for (const Json& e : layout.at("edges")) {
    std::string from = e.at("from").get<std::string>(), to = e.at("to").get<std::string>();
    std::string kind = e.at("kind").get<std::string>();
    INFO("edge " << from << " -> " << to << " (" << kind << ")");
    REQUIRE(nodes.count(from) == 1);
    REQUIRE(nodes.count(to) == 1);
    const Json& points = e.at("points");
    REQUIRE(points.size() >= 4);
    CHECK((points.size() - 1) % 3 == 0);
    // The points on the curve (not the control points between them).
    for (size_t i = 0; i < points.size(); i += 3) {
      CHECK(page.ContainsPoint(points[i][0].get<double>(), points[i][1].get<double>(), 1));
    }
    // The spline leaves its tail and ends at its head's box (or, for the
    // edge into a body, at the body's cluster).
    CHECK(nodes[from].ContainsPoint(points[0][0].get<double>(), points[0][1].get<double>(), 3));
    const Json& tip = points.back();
    bool into_body = kind == "start" && from != "__start__";
    Box target = nodes[to];
    if (into_body) {
      const Json* node = nullptr;
      for (const Json& n : layout.at("nodes")) {
        if (n.at("id") == to) node = &n;
      }
      REQUIRE(node);
      target = clusters[node->at("cluster").get<std::string>()];
    }
    CHECK(target.ContainsPoint(tip[0].get<double>(), tip[1].get<double>(), 3));
    if (kind == "choice" || kind == "default" || kind == "catch") {
      REQUIRE(e.at("label").is_string());
      CHECK_FALSE(e.at("label").get<std::string>().empty());
      CHECK(e.at("label").get<std::string>().size() <= 40);
      CHECK(page.ContainsPoint(e.at("labelX").get<double>(), e.at("labelY").get<double>(), 1));
    } else {
      CHECK(e.at("label").is_null());
    }
    if (kind == "default") CHECK(e.at("label") == "Default");
    if (kind == "catch") CHECK(e.at("label").get<std::string>().rfind("catch: ", 0) == 0);
    if (kind == "start" && from == "__start__") CHECK(to == g.state(g.start()).name);
    if (kind == "end") CHECK(to == "__end__");
  }
}

// The edges of a layout as "from -> to (kind) label" lines.
std::multiset<std::string> EdgeLines(const Json& layout) {
  std::multiset<std::string> out;
  for (const Json& e : layout.at("edges")) {
    out.insert(e.at("from").get<std::string>() + " -> " + e.at("to").get<std::string>() + " (" +
               e.at("kind").get<std::string>() + ")" +
               (e.at("label").is_null() ? "" : " " + e.at("label").get<std::string>()));
  }
  return out;
}

// ~240 states: a chain of 20 Choice states, each leading to a Map state of
// 10 Task states (or past it), every Map state caught into one Fail state.
std::string BigDefinition() {
  Json states = Json::object();
  for (int i = 0; i < 20; ++i) {
    std::string after = i == 19 ? "Done" : "Check" + std::to_string(i + 1);
    std::string map = "Batch" + std::to_string(i);
    states["Check" + std::to_string(i)] = {
        {"Type", "Choice"},
        {"Choices", Json::array({{{"Variable", "$.skip" + std::to_string(i)},
                                  {"BooleanEquals", true},
                                  {"Next", after}}})},
        {"Default", map}};
    Json inner = Json::object();
    for (int j = 0; j < 10; ++j) {
      // State names are unique in the whole machine.
      auto step_name = [&](int k) { return map + "Step" + std::to_string(k); };
      Json step = {{"Type", "Task"}, {"Resource", "step" + std::to_string(j)}};
      if (j == 9) {
        step["End"] = true;
      } else {
        step["Next"] = step_name(j + 1);
      }
      inner[step_name(j)] = step;
    }
    states[map] = {
        {"Type", "Map"},
        {"ItemsPath", "$.items"},
        {"ItemProcessor", {{"StartAt", map + "Step0"}, {"States", inner}}},
        {"Catch",
         Json::array({{{"ErrorEquals", Json::array({"States.ALL"})}, {"Next", "Failed"}}})},
        {"Next", after}};
  }
  states["Failed"] = {{"Type", "Fail"}, {"Error", "Batch.Failed"}};
  states["Done"] = {{"Type", "Succeed"}};
  return DumpCompact(Json{{"StartAt", "Check0"}, {"States", states}});
}

}  // namespace

TEST_CASE("LayoutDot output matches the golden files") {
  const bool update = std::getenv("STEPFLOW_UPDATE_GOLDEN") != nullptr;
  for (const std::string& name : kFixtures) {
    INFO("fixture " << name);
    std::string dot = LayoutDot(*Fixture(name));
    fs::path golden = kGoldenDir / (name + ".dot");
    if (update) {
      std::ofstream(golden, std::ios::binary) << dot;
      WARN("rewrote " << golden.string());
    }
    CHECK(dot == stepflow::testing::ReadFile(golden));
  }
}

TEST_CASE("LayoutDot names nodes by template path and clusters by owner") {
  std::string dot = LayoutDot(*Fixture("parallel_in_map"));
  CHECK(dot.find("\"Fanout[*]/Both[1]/RightDone\"") != std::string::npos);
  CHECK(dot.find("subgraph \"cluster_Fanout#iteration\"") != std::string::npos);
  CHECK(dot.find("subgraph \"cluster_Fanout[*]/Both#0\"") != std::string::npos);
  CHECK(dot.find("lhead=\"cluster_Fanout[*]/Both#1\"") != std::string::npos);
  CHECK(dot.find("compound=true") != std::string::npos);
}

TEST_CASE("LayoutDot does not depend on the order of the states") {
  auto ordered = Fixture("ordered");
  auto reordered = Fixture("reordered");
  CHECK(ordered->content_hash() == reordered->content_hash());
  CHECK(ordered->states()[0].name != reordered->states()[0].name);
  CHECK(LayoutDot(*ordered) == LayoutDot(*reordered));
}

TEST_CASE("LayoutDot escapes names and cuts long Choice labels") {
  auto g = MustCompile(R"j({"StartAt": "Say \"hi\"", "States": {
    "Say \"hi\"": {"Type": "Choice", "Choices": [
       {"Variable": "$.s", "StringEquals": "a value much longer than forty characters, surely", "Next": "Back\\slash"}],
       "Default": "Back\\slash"},
    "Back\\slash": {"Type": "Succeed"}}})j");
  std::string dot = LayoutDot(*g);
  CHECK(dot.find("\"Say \\\"hi\\\"\" [label=\"Say \\\"hi\\\"\", shape=diamond]") !=
        std::string::npos);
  CHECK(dot.find("[label=\"Back\\\\slash\"") != std::string::npos);
  CHECK(dot.find("...\"") != std::string::npos);
  CHECK(dot.find("surely") == std::string::npos);
}

TEST_CASE("LayoutGraph draws every state cluster and edge of the fixtures") {
  if (!NeedDot()) return;
  for (const std::string& name : kFixtures) {
    INFO("fixture " << name);
    auto g = Fixture(name);
    auto layout = LayoutGraph(*g);
    INFO(layout.status().ToString());
    REQUIRE(layout.ok());
    CheckLayout(*g, *layout);
  }
}

TEST_CASE("LayoutGraph edges of a Choice with Default") {
  if (!NeedDot()) return;
  auto layout = LayoutGraph(*Fixture("choice_default"));
  REQUIRE(layout.ok());
  auto edges = EdgeLines(*layout);
  CHECK(edges.count("__start__ -> Route (start)") == 1);
  CHECK(edges.count("Route -> Review (choice) $.amount NumericGreaterThan 1000") == 1);
  CHECK(edges.count("Route -> Approve (default) Default") == 1);
  CHECK(edges.count("Review -> Approve (next)") == 1);
  CHECK(edges.count("Abroad -> __end__ (end)") == 1);
  CHECK(edges.count("Approve -> __end__ (end)") == 1);
  CHECK(edges.size() == 7);
  bool long_rule = false;
  for (const auto& line : edges) {
    if (line.rfind("Route -> Abroad (choice) ", 0) == 0) {
      long_rule = true;
      CHECK(stepflow::testing::EndsWith(line, "..."));
    }
  }
  CHECK(long_rule);
  std::map<std::string, Json> nodes;
  for (const Json& n : layout->at("nodes")) nodes[n.at("id").get<std::string>()] = n;
  CHECK(nodes["Route"].at("type") == "Choice");
  CHECK(nodes["__start__"].at("type") == "Start");
  CHECK(nodes["__end__"].at("type") == "End");
  // The origin is at the top left: the start is drawn above, the end below.
  CHECK(nodes["__start__"].at("y").get<double>() < 1);
  CHECK(nodes["__start__"].at("y") < nodes["Route"].at("y"));
  CHECK(nodes["Route"].at("y") < nodes["Review"].at("y"));
  CHECK(nodes["Review"].at("y") < nodes["Approve"].at("y"));
  CHECK(nodes["Approve"].at("y") < nodes["__end__"].at("y"));
  CHECK(nodes["__end__"].at("y").get<double>() + nodes["__end__"].at("height").get<double>() ==
        Approx(layout->at("height").get<double>()).margin(1));
  // Points are rounded to one decimal.
  for (const Json& e : layout->at("edges")) {
    for (const Json& p : e.at("points")) {
      double x = p[0].get<double>();
      CHECK(std::abs(x * 10 - std::round(x * 10)) < 1e-6);
    }
  }
}

TEST_CASE("LayoutGraph edges of a Parallel caught into outer states") {
  if (!NeedDot()) return;
  auto layout = LayoutGraph(*Fixture("parallel_catch"));
  REQUIRE(layout.ok());
  auto edges = EdgeLines(*layout);
  CHECK(edges.count("Work -> Failed (catch) catch: States.ALL") == 1);
  CHECK(edges.count("Work -> Recover (catch) catch: States.Timeout, Custom.Error") == 1);
  CHECK(edges.count("Work -> Done (next)") == 1);
  CHECK(edges.count("Work -> Work[0]/A (start)") == 1);
  CHECK(edges.count("Work -> Work[1]/B (start)") == 1);
  CHECK(edges.count("Work[1]/B -> Work[1]/BFallback (catch) catch: Inner.Error") == 1);
  // Bodies end inside their cluster: no edge from a branch's last state.
  CHECK(edges.count("Work[0]/A -> __end__ (end)") == 0);
  const Json& clusters = layout->at("clusters");
  REQUIRE(clusters.size() == 2);
  CHECK(clusters[0].at("id") == "Work#0");
  CHECK(clusters[0].at("label") == "Work branch 1");
  CHECK(clusters[1].at("id") == "Work#1");
  CHECK(clusters[1].at("label") == "Work branch 2");
  CHECK(clusters[1].at("parent").is_null());
}

TEST_CASE("LayoutGraph nests clusters of a Parallel inside a Map and a Map inside a Parallel") {
  if (!NeedDot()) return;
  auto a = LayoutGraph(*Fixture("parallel_in_map"));
  REQUIRE(a.ok());
  std::map<std::string, Json> clusters;
  for (const Json& c : a->at("clusters")) clusters[c.at("id").get<std::string>()] = c;
  REQUIRE(clusters.size() == 3);
  CHECK(clusters["Fanout#iteration"].at("parent").is_null());
  CHECK(clusters["Fanout#iteration"].at("kind") == "iteration");
  CHECK(clusters["Fanout#iteration"].at("label") == "Fanout iteration");
  CHECK(clusters["Fanout[*]/Both#1"].at("parent") == "Fanout#iteration");
  CHECK(clusters["Fanout[*]/Both#1"].at("owner") == "Fanout[*]/Both");
  CHECK(clusters["Fanout[*]/Both#1"].at("kind") == "branch");

  auto b = LayoutGraph(*Fixture("map_in_parallel"));
  REQUIRE(b.ok());
  clusters.clear();
  for (const Json& c : b->at("clusters")) clusters[c.at("id").get<std::string>()] = c;
  REQUIRE(clusters.size() == 3);
  CHECK(clusters["Both[1]/Ship#iteration"].at("parent") == "Both#1");
  CHECK(clusters["Both[1]/Ship#iteration"].at("label") == "Ship iteration");
  for (const Json& n : b->at("nodes")) {
    if (n.at("id") == "Both[1]/Ship[*]/Send") CHECK(n.at("cluster") == "Both[1]/Ship#iteration");
    if (n.at("id") == "Both[1]/Ship") CHECK(n.at("cluster") == "Both#1");
    if (n.at("id") == "Notify") CHECK(n.at("cluster").is_null());
  }
  // What follows the Parallel state is drawn below its clusters.
  double bottom = 0, notify_top = 0;
  for (const Json& c : b->at("clusters")) {
    bottom = std::max(bottom, c.at("y").get<double>() + c.at("height").get<double>());
  }
  for (const Json& n : b->at("nodes")) {
    if (n.at("id") == "Notify") notify_top = n.at("y").get<double>();
  }
  CHECK(notify_top > bottom);
}

TEST_CASE("LayoutGraph gives byte-identical layouts for reordered states") {
  if (!NeedDot()) return;
  auto a = LayoutGraph(*Fixture("ordered"));
  auto b = LayoutGraph(*Fixture("reordered"));
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(DumpCompact(*a) == DumpCompact(*b));
  CHECK(*a == *b);
}

TEST_CASE("LayoutGraph reports a missing dot as unavailable") {
  auto g = Fixture("choice_default");
  for (std::string binary : {"/nonexistent/bin/dot", "stepflow-no-such-dot-program"}) {
    auto r = LayoutGraph(*g, binary);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kUnavailable);
    CHECK(r.status().message().find("Graphviz") != std::string::npos);
  }
}

TEST_CASE("LayoutGraph reports a dot that fails or prints something else") {
  auto g = Fixture("choice_default");
  auto failed = LayoutGraph(*g, "/bin/false");
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.status().code() == StatusCode::kInternal);
  CHECK(failed.status().message().find("exit code 1") != std::string::npos);
  auto echoed = LayoutGraph(*g, "/bin/cat");  // prints the DOT text back, not JSON
  REQUIRE_FALSE(echoed.ok());
  CHECK(echoed.status().code() == StatusCode::kInternal);
}

TEST_CASE("LayoutCache computes once per key and keeps the most recently used") {
  if (!NeedDot()) return;
  // A dot that counts its runs.
  fs::path dir = fs::temp_directory_path() / ("stepflow-layout-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::path counter = dir / "runs";
  fs::path script = dir / "dot";
  std::ofstream(script) << "#!/bin/sh\necho run >> '" << counter.string()
                        << "'\nsleep 0.2\nexec dot \"$@\"\n";
  fs::permissions(script, fs::perms::owner_all);
  auto runs = [&] {
    std::string text = stepflow::testing::ReadFile(counter);
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  };

  LayoutCache cache(2, script.string());
  auto g = Fixture("choice_default");
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto r = cache.Get("a", *g);
      if (r.ok() && r->at("nodes").size() == 6) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(ok == 4);
  CHECK(runs() == 1);
  CHECK(cache.size() == 1);

  REQUIRE(cache.Get("b", *g).ok());
  REQUIRE(cache.Get("a", *g).ok());  // a is now the most recent
  CHECK(runs() == 2);
  REQUIRE(cache.Get("c", *g).ok());  // drops b
  CHECK(runs() == 3);
  CHECK(cache.size() == 2);
  REQUIRE(cache.Get("a", *g).ok());
  CHECK(runs() == 3);
  REQUIRE(cache.Get("b", *g).ok());
  CHECK(runs() == 4);
  fs::remove_all(dir);
}

TEST_CASE("LayoutCache does not keep failures") {
  LayoutCache cache(4, "/nonexistent/bin/dot");
  auto g = Fixture("choice_default");
  for (int i = 0; i < 2; ++i) {
    auto r = cache.Get("a", *g);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kUnavailable);
  }
  CHECK(cache.size() == 0);
}

TEST_CASE("LayoutGraph of a big definition") {
  if (!NeedDot()) return;
  auto g = MustCompile(BigDefinition());
  CHECK(g->TotalStates() == 242);
  auto start = std::chrono::steady_clock::now();
  auto layout = LayoutGraph(*g);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  INFO(layout.status().ToString());
  REQUIRE(layout.ok());
  WARN("LayoutGraph of " << g->TotalStates() << " states: " << ms << " ms, "
                         << layout->at("edges").size() << " edges, "
                         << layout->at("width").get<double>() << " x "
                         << layout->at("height").get<double>() << " pt");
  CheckLayout(*g, *layout);
}

// Hidden (it takes the whole 10 s timeout): run it by name.
TEST_CASE("LayoutGraph kills a dot that runs past its timeout", "[.]") {
  fs::path dir = fs::temp_directory_path() / ("stepflow-layout-slow-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::path script = dir / "dot";
  std::ofstream(script) << "#!/bin/sh\nexec sleep 60\n";
  fs::permissions(script, fs::perms::owner_all);
  auto start = std::chrono::steady_clock::now();
  auto r = LayoutGraph(*Fixture("choice_default"), script.string());
  auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start)
          .count();
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInternal);
  CHECK(r.status().message().find("within 10 s") != std::string::npos);
  CHECK(seconds < 15);
  fs::remove_all(dir);
}
