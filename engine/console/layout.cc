#include "engine/console/layout.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include "engine/functions/process.h"
#include "engine/graph/export.h"

namespace stepflow::console {

using graph::Graph;
using graph::IsTerminal;
using graph::JoinErrors;
using graph::kNoState;
using graph::State;
using graph::StateType;

namespace {

constexpr char kStartId[] = "__start__";
constexpr char kEndId[] = "__end__";
constexpr size_t kMaxLabel = 40;
constexpr auto kDotTimeout = std::chrono::seconds(10);
constexpr size_t kMaxDotOutput = 64u << 20;

// --- The drawing: what LayoutDot writes and the JSON is made of ---------------

enum class EdgeKind { kStart, kNext, kChoice, kDefault, kCatch, kEnd };

std::string_view KindName(EdgeKind kind) {
  switch (kind) {
    case EdgeKind::kStart:
      return "start";
    case EdgeKind::kNext:
      return "next";
    case EdgeKind::kChoice:
      return "choice";
    case EdgeKind::kDefault:
      return "default";
    case EdgeKind::kCatch:
      return "catch";
    case EdgeKind::kEnd:
      return "end";
  }
  return "next";
}

struct NodeInfo {
  std::string id, name, type, cluster;  // cluster "" = top level
};

struct ClusterInfo {
  std::string id, label, owner, kind, parent;  // parent "" = none
};

struct EdgeInfo {
  std::string from, to;
  EdgeKind kind;
  std::string label;
  std::string lhead;  // DOT name of the cluster the edge enters, or ""
};

// Nodes and clusters are listed in the order the DOT text creates them,
// which is the order Graphviz numbers them in its output (_gvid).
struct Drawing {
  std::vector<NodeInfo> nodes;
  std::vector<ClusterInfo> clusters;
  std::vector<EdgeInfo> edges;
  std::string dot;
};

// A quoted DOT identifier. The lexer keeps every character of a quoted
// string but \" (a quote) and backslash-newline (nothing), and a string
// cannot end with a backslash; such names are altered here, which only
// changes the DOT text: the JSON takes its ids from the Drawing.
std::string QuoteId(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') {
      out += "\\\"";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  if (out.back() == '\\') out += ' ';
  return out + "\"";
}

// A quoted DOT label (escString: \\ is a backslash, \n a line break).
std::string QuoteLabel(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// At most `max` bytes, cut at a UTF-8 character boundary, "..." when cut.
std::string Truncate(const std::string& s, size_t max = kMaxLabel) {
  if (s.size() <= max) return s;
  size_t cut = max - 3;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "...";
}

// The states a state can go to, in the canonical order.
std::vector<int> Successors(const State& s) {
  std::vector<int> out;
  if (s.next != kNoState) out.push_back(s.next);
  if (const auto* c = std::get_if<graph::ChoiceSpec>(&s.spec)) {
    for (const auto& branch : c->choices) out.push_back(branch.next);
    out.push_back(c->default_next);
  }
  for (const auto& catcher : s.catchers) out.push_back(catcher.next);
  std::erase(out, kNoState);
  return out;
}

// The states of one scope in the canonical order: depth-first from StartAt,
// then from each state not reached yet, by name.
std::vector<int> CanonicalOrder(const Graph& g) {
  const size_t n = g.states().size();
  std::vector<int> order;
  std::vector<bool> seen(n, false);
  auto walk = [&](int root) {
    // (state, index of its next successor to look at): the recursive
    // preorder walk without recursion, so long chains cannot overflow.
    std::vector<std::pair<int, size_t>> stack;
    seen[static_cast<size_t>(root)] = true;
    order.push_back(root);
    stack.emplace_back(root, 0);
    while (!stack.empty()) {
      auto& [state, i] = stack.back();
      std::vector<int> succ = Successors(g.state(state));
      while (i < succ.size() && seen[static_cast<size_t>(succ[i])]) ++i;
      if (i == succ.size()) {
        stack.pop_back();
        continue;
      }
      int s = succ[i++];
      seen[static_cast<size_t>(s)] = true;
      order.push_back(s);
      stack.emplace_back(s, 0);
    }
  };
  if (n == 0) return order;
  if (g.start() >= 0 && static_cast<size_t>(g.start()) < n) walk(g.start());
  std::vector<int> rest;
  for (size_t i = 0; i < n; ++i) {
    if (!seen[i]) rest.push_back(static_cast<int>(i));
  }
  std::sort(rest.begin(), rest.end(),
            [&](int a, int b) { return g.state(a).name < g.state(b).name; });
  for (int r : rest) {
    if (!seen[static_cast<size_t>(r)]) walk(r);
  }
  return order;
}

// A Parallel branch or the Map processor, with the prefix of its states'
// template paths.
struct Body {
  const Graph* graph;
  std::string prefix;
  std::string cluster_id;
  std::string label;
  std::string kind;
};

std::vector<Body> Bodies(const State& s, const std::string& path) {
  std::vector<Body> out;
  if (const auto* p = std::get_if<graph::ParallelSpec>(&s.spec)) {
    for (size_t b = 0; b < p->branches.size(); ++b) {
      if (!p->branches[b]) continue;
      out.push_back({p->branches[b].get(), path + "[" + std::to_string(b) + "]/",
                     path + "#" + std::to_string(b), s.name + " branch " + std::to_string(b + 1),
                     "branch"});
    }
  } else if (const auto* m = std::get_if<graph::MapSpec>(&s.spec); m && m->processor) {
    out.push_back({m->processor.get(), path + "[*]/", path + "#iteration", s.name + " iteration",
                   "iteration"});
  }
  return out;
}

std::string Shape(StateType type) {
  switch (type) {
    case StateType::kChoice:
      return ", shape=diamond";
    case StateType::kSucceed:
    case StateType::kFail:
      return ", shape=ellipse";
    default:
      return "";  // the default box
  }
}

class DotBuilder {
 public:
  Drawing Build(const Graph& g) {
    out_ << "digraph stepflow {\n"
         << "  graph [rankdir=TB, compound=true, fontname=\"Helvetica\", fontsize=10, "
            "nodesep=0.35, ranksep=0.45, labeljust=l];\n"
         << "  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=11, "
            "height=0.4, margin=\"0.16,0.06\"];\n"
         << "  edge [fontname=\"Helvetica\", fontsize=10, arrowsize=0.7];\n";
    AddNode("  ", kStartId, "", "Start", "",
            ", shape=circle, width=0.25, height=0.25, fixedsize=true");
    if (!g.states().empty()) {
      Edge(kStartId, Path("", g.state(g.start())), EdgeKind::kStart, "", "");
    }
    WriteScope(g, "", "", "  ", true);
    AddNode("  ", kEndId, "", "End", "",
            ", shape=doublecircle, width=0.2, height=0.2, fixedsize=true");
    for (size_t i = 0; i < drawing_.edges.size(); ++i) {
      const EdgeInfo& e = drawing_.edges[i];
      out_ << "  " << Id(e.from) << " -> " << Id(e.to) << " [id=\"e" << i << "\"";
      if (!e.label.empty()) out_ << ", label=" << QuoteLabel(e.label);
      if (e.kind == EdgeKind::kCatch) out_ << ", style=dashed";
      if (!e.lhead.empty()) out_ << ", lhead=" << e.lhead;
      out_ << "];\n";
    }
    // Layout only: what follows a Parallel/Map state is ranked below its
    // clusters, not beside them.
    for (const auto& [from, to] : below_) {
      out_ << "  " << Id(from) << " -> " << Id(to) << " [style=invis];\n";
    }
    out_ << "}\n";
    drawing_.dot = out_.str();
    return std::move(drawing_);
  }

 private:
  static std::string Path(const std::string& prefix, const State& s) { return prefix + s.name; }

  // The DOT identifier of a node id, unique even where QuoteId alters names.
  std::string Id(const std::string& id) {
    auto it = dot_ids_.find(id);
    if (it != dot_ids_.end()) return it->second;
    std::string quoted = QuoteId(id);
    for (int n = 2; used_.count(quoted); ++n) quoted = QuoteId(id + " #" + std::to_string(n));
    used_.insert(quoted);
    return dot_ids_.emplace(id, quoted).first->second;
  }

  void AddNode(const std::string& indent, const std::string& id, const std::string& name,
               const std::string& type, const std::string& cluster, const std::string& attrs) {
    out_ << indent << Id(id) << " [label=" << QuoteLabel(name) << attrs << "];\n";
    drawing_.nodes.push_back({id, name, type, cluster});
  }

  void Edge(const std::string& from, const std::string& to, EdgeKind kind, const std::string& label,
            const std::string& lhead) {
    drawing_.edges.push_back({from, to, kind, label, lhead});
  }

  // The nodes that end a scope, bodies of its terminal Parallel/Map states
  // included: what comes after the scope's owner is ranked below them.
  void Exits(const Graph& g, const std::string& prefix, std::vector<std::string>& out) {
    for (int i : CanonicalOrder(g)) {
      const State& s = g.state(i);
      if (!IsTerminal(s)) continue;
      out.push_back(Path(prefix, s));
      for (const Body& body : Bodies(s, Path(prefix, s))) Exits(*body.graph, body.prefix, out);
    }
  }

  void WriteScope(const Graph& g, const std::string& prefix, const std::string& cluster,
                  const std::string& indent, bool top_level) {
    const std::vector<int> order = CanonicalOrder(g);
    auto path = [&](int index) { return Path(prefix, g.state(index)); };
    for (int i : order) {
      const State& s = g.state(i);
      const std::string id = path(i);
      std::string attrs = Shape(s.type);
      AddNode(indent, id, s.name, std::string(graph::StateTypeName(s.type)), cluster, attrs);
      for (const Body& body : Bodies(s, id)) {
        std::string dot_name = QuoteId("cluster_" + body.cluster_id);
        drawing_.clusters.push_back({body.cluster_id, body.label, id, body.kind, cluster});
        out_ << indent << "subgraph " << dot_name << " {\n"
             << indent << "  label=" << QuoteLabel(body.label) << ";\n"
             << indent << "  style=\"rounded,dashed\";\n";
        WriteScope(*body.graph, body.prefix, body.cluster_id, indent + "  ", false);
        out_ << indent << "}\n";
        if (!body.graph->states().empty()) {
          Edge(id, Path(body.prefix, body.graph->state(body.graph->start())), EdgeKind::kStart, "",
               dot_name);
        }
      }
    }
    for (int i : order) {
      const State& s = g.state(i);
      const std::string id = path(i);
      if (s.next != kNoState) Edge(id, path(s.next), EdgeKind::kNext, "", "");
      if (const auto* c = std::get_if<graph::ChoiceSpec>(&s.spec)) {
        for (const auto& branch : c->choices) {
          if (branch.next != kNoState) {
            Edge(id, path(branch.next), EdgeKind::kChoice, Truncate(branch.label), "");
          }
        }
        if (c->default_next != kNoState) {
          Edge(id, path(c->default_next), EdgeKind::kDefault, "Default", "");
        }
      }
      for (const auto& catcher : s.catchers) {
        if (catcher.next == kNoState) continue;
        Edge(id, path(catcher.next), EdgeKind::kCatch,
             Truncate("catch: " + JoinErrors(catcher.error_equals)), "");
      }
      if (top_level && IsTerminal(s)) Edge(id, kEndId, EdgeKind::kEnd, "", "");
      std::string after = s.next != kNoState ? path(s.next) : (top_level && s.end ? kEndId : "");
      if (!after.empty()) {
        std::vector<std::string> exits;
        for (const Body& body : Bodies(s, id)) Exits(*body.graph, body.prefix, exits);
        for (auto& e : exits) below_.emplace_back(std::move(e), after);
      }
    }
  }

  std::ostringstream out_;
  Drawing drawing_;
  std::unordered_map<std::string, std::string> dot_ids_;
  std::set<std::string> used_;
  std::vector<std::pair<std::string, std::string>> below_;
};

// --- Running dot ---------------------------------------------------------------

// Whether `binary` can be run: a path, or a name found in PATH.
bool Runnable(const std::string& binary) {
  if (binary.find('/') != std::string::npos) return ::access(binary.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (!dirs.empty()) {
    size_t colon = dirs.find(':');
    std::string dir(dirs.substr(0, colon));
    if (!dir.empty() && ::access((dir + "/" + binary).c_str(), X_OK) == 0) return true;
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return false;
}

// Runs `binary -Tjson` on `input`; its JSON. The DOT text and the layout go
// through files of a private temporary directory, so what dot prints on
// stderr (warnings) never mixes with the layout.
Result<std::string> RunDot(const std::string& binary, const std::string& input) {
  if (!Runnable(binary)) {
    return Status(StatusCode::kUnavailable,
                  "graph layouts need Graphviz: cannot run \"" + binary +
                      "\"; install Graphviz (its dot program) on the server");
  }
  std::string dir_template = (std::filesystem::temp_directory_path() / "stepflow-layout-XXXXXX");
  if (::mkdtemp(dir_template.data()) == nullptr) {
    return Status::Internal(std::string("cannot make a temporary directory: ") +
                            std::strerror(errno));
  }
  const std::filesystem::path dir = dir_template;
  struct Cleanup {
    std::filesystem::path dir;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{dir};
  {
    std::ofstream out(dir / "graph.dot", std::ios::binary);
    out << input;
    if (!out) return Status::Internal("cannot write " + (dir / "graph.dot").string());
  }
  STEPFLOW_ASSIGN_OR_RETURN(
      functions::CommandResult run,
      functions::RunCommand({binary, "-Tjson", "-o", "layout.json", "graph.dot"}, dir.string(),
                            functions::InheritedEnvironment(), kDotTimeout, 4096));
  if (!run.ok()) {
    std::string said = run.output;
    while (!said.empty() && std::isspace(static_cast<unsigned char>(said.back()))) said.pop_back();
    return Status::Internal("Graphviz's dot failed (" + run.Describe() + ")" +
                            (said.empty() ? "" : ": " + Truncate(said, 1000)));
  }
  std::error_code ec;
  const auto size = std::filesystem::file_size(dir / "layout.json", ec);
  if (ec) return Status::Internal("Graphviz's dot wrote no layout: " + ec.message());
  if (size > kMaxDotOutput) {
    return Status::Internal("Graphviz's dot printed more than " +
                            std::to_string(kMaxDotOutput >> 20) + " MiB");
  }
  std::ifstream in(dir / "layout.json", std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// --- dot's JSON to the console's layout -----------------------------------------

double Round1(double v) {
  double r = std::round(v * 10.0) / 10.0;
  return r == 0.0 ? 0.0 : r;  // no -0
}

// Numbers separated by ',' ("x,y", "x0,y0,x1,y1"), locale-independent.
std::optional<std::vector<double>> Numbers(std::string_view text, size_t count) {
  std::vector<double> out;
  size_t i = 0;
  while (out.size() < count) {
    size_t end = text.find(',', i);
    if (end == std::string_view::npos) end = text.size();
    double v = 0;
    auto r = std::from_chars(text.data() + i, text.data() + end, v);
    if (r.ec != std::errc() || r.ptr != text.data() + end) return std::nullopt;
    out.push_back(v);
    if (end == text.size()) break;
    i = end + 1;
  }
  if (out.size() != count || i > text.size()) return std::nullopt;
  return out;
}

const std::string* StringField(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

class Converter {
 public:
  Converter(const Drawing& drawing, const Json& dot) : drawing_(drawing), dot_(dot) {}

  Result<Json> Convert() {
    if (!dot_.is_object()) return Bad("not an object");
    const std::string* bb = StringField(dot_, "bb");
    auto box = bb ? Numbers(*bb, 4) : std::nullopt;
    if (!box) return Bad("no bounding box");
    x0_ = (*box)[0];
    y1_ = (*box)[3];
    Json layout = Json::object();
    layout["width"] = Round1((*box)[2] - (*box)[0]);
    layout["height"] = Round1((*box)[3] - (*box)[1]);

    // Subgraphs come first (_gvid 0..S-1), then nodes, each in creation order.
    std::vector<const Json*> subgraphs(drawing_.clusters.size(), nullptr);
    std::vector<const Json*> nodes(drawing_.nodes.size(), nullptr);
    const size_t subgraph_count = drawing_.clusters.size();
    auto objects = dot_.find("objects");
    if (objects != dot_.end() && objects->is_array()) {
      for (const Json& o : *objects) {
        auto gvid = o.find("_gvid");
        if (!o.is_object() || gvid == o.end() || !gvid->is_number_unsigned()) continue;
        size_t id = gvid->get<size_t>();
        if (id < subgraph_count) {
          subgraphs[id] = &o;
        } else if (id - subgraph_count < nodes.size()) {
          nodes[id - subgraph_count] = &o;
        }
      }
    }

    Json out_nodes = Json::array();
    for (size_t i = 0; i < nodes.size(); ++i) {
      const NodeInfo& info = drawing_.nodes[i];
      if (!nodes[i]) return Bad("node " + info.id + " is missing");
      const std::string* pos = StringField(*nodes[i], "pos");
      const std::string* w = StringField(*nodes[i], "width");
      const std::string* h = StringField(*nodes[i], "height");
      auto center = pos ? Numbers(*pos, 2) : std::nullopt;
      auto width = w ? Numbers(*w, 1) : std::nullopt;
      auto height = h ? Numbers(*h, 1) : std::nullopt;
      if (!center || !width || !height) return Bad("node " + info.id + " has no position");
      const double wp = (*width)[0] * 72.0, hp = (*height)[0] * 72.0;
      Json node = Json::object();
      node["id"] = info.id;
      node["name"] = info.name;
      node["type"] = info.type;
      node["x"] = Round1(X((*center)[0]) - wp / 2);
      node["y"] = Round1(Y((*center)[1]) - hp / 2);
      node["width"] = Round1(wp);
      node["height"] = Round1(hp);
      node["cluster"] = info.cluster.empty() ? Json(nullptr) : Json(info.cluster);
      out_nodes.push_back(std::move(node));
    }
    layout["nodes"] = std::move(out_nodes);

    Json out_clusters = Json::array();
    for (size_t i = 0; i < subgraphs.size(); ++i) {
      const ClusterInfo& info = drawing_.clusters[i];
      const std::string* cbb = subgraphs[i] ? StringField(*subgraphs[i], "bb") : nullptr;
      auto b = cbb ? Numbers(*cbb, 4) : std::nullopt;
      if (!b) return Bad("cluster " + info.id + " has no bounding box");
      Json cluster = Json::object();
      cluster["id"] = info.id;
      cluster["label"] = info.label;
      cluster["owner"] = info.owner;
      cluster["kind"] = info.kind;
      cluster["parent"] = info.parent.empty() ? Json(nullptr) : Json(info.parent);
      cluster["x"] = Round1(X((*b)[0]));
      cluster["y"] = Round1(Y((*b)[3]));
      cluster["width"] = Round1((*b)[2] - (*b)[0]);
      cluster["height"] = Round1((*b)[3] - (*b)[1]);
      out_clusters.push_back(std::move(cluster));
    }
    layout["clusters"] = std::move(out_clusters);

    // Edges are found by the id LayoutDot gives them ("e<index>"); the
    // invisible ones have none.
    std::vector<const Json*> edges(drawing_.edges.size(), nullptr);
    auto dot_edges = dot_.find("edges");
    if (dot_edges != dot_.end() && dot_edges->is_array()) {
      for (const Json& e : *dot_edges) {
        const std::string* id = e.is_object() ? StringField(e, "id") : nullptr;
        if (!id || id->size() < 2 || (*id)[0] != 'e') continue;
        size_t index = 0;
        auto r = std::from_chars(id->data() + 1, id->data() + id->size(), index);
        if (r.ec == std::errc() && r.ptr == id->data() + id->size() && index < edges.size()) {
          edges[index] = &e;
        }
      }
    }
    Json out_edges = Json::array();
    for (size_t i = 0; i < edges.size(); ++i) {
      const EdgeInfo& info = drawing_.edges[i];
      const std::string where = info.from + " -> " + info.to;
      if (!edges[i]) return Bad("edge " + where + " is missing");
      const std::string* pos = StringField(*edges[i], "pos");
      auto points = pos ? Spline(*pos) : std::nullopt;
      if (!points) return Bad("edge " + where + " has no spline");
      Json edge = Json::object();
      edge["from"] = info.from;
      edge["to"] = info.to;
      edge["kind"] = KindName(info.kind);
      edge["label"] = info.label.empty() ? Json(nullptr) : Json(info.label);
      edge["points"] = std::move(*points);
      const std::string* lp = StringField(*edges[i], "lp");
      auto label = lp && !info.label.empty() ? Numbers(*lp, 2) : std::nullopt;
      edge["labelX"] = label ? Json(Round1(X((*label)[0]))) : Json(nullptr);
      edge["labelY"] = label ? Json(Round1(Y((*label)[1]))) : Json(nullptr);
      out_edges.push_back(std::move(edge));
    }
    layout["edges"] = std::move(out_edges);
    return layout;
  }

 private:
  static Status Bad(const std::string& what) {
    return Status::Internal("unexpected output of Graphviz's dot -Tjson: " + what);
  }

  double X(double x) const { return x - x0_; }
  double Y(double y) const { return y1_ - y; }

  Json Point(double x, double y) const { return Json::array({Round1(X(x)), Round1(Y(y))}); }

  // An edge's "pos": "e,x,y" (the arrow's tip) then the B-spline's control
  // points. The tip is joined by a straight cubic segment so the points stay
  // a Bézier path (3n+1 points) that ends at the tip.
  std::optional<Json> Spline(const std::string& pos) const {
    std::optional<std::vector<double>> tip;
    std::vector<std::vector<double>> points;
    std::istringstream in(pos);
    std::string token;
    while (in >> token) {
      if (token.rfind("e,", 0) == 0) {
        tip = Numbers(std::string_view(token).substr(2), 2);
        if (!tip) return std::nullopt;
      } else if (token.rfind("s,", 0) == 0) {
        continue;  // no arrow at the tail
      } else if (token == ";") {
        break;  // a second spline (concentrated edges): not used
      } else {
        auto p = Numbers(token, 2);
        if (!p) return std::nullopt;
        points.push_back(std::move(*p));
      }
    }
    if (points.size() < 4 || (points.size() - 1) % 3 != 0) return std::nullopt;
    if (tip) {
      const std::vector<double> last = points.back();
      for (double t : {1.0 / 3.0, 2.0 / 3.0}) {
        points.push_back(
            {last[0] + ((*tip)[0] - last[0]) * t, last[1] + ((*tip)[1] - last[1]) * t});
      }
      points.push_back(*tip);
    }
    Json out = Json::array();
    for (const auto& p : points) out.push_back(Point(p[0], p[1]));
    return out;
  }

  const Drawing& drawing_;
  const Json& dot_;
  double x0_ = 0, y1_ = 0;
};

}  // namespace

std::string LayoutDot(const Graph& graph) { return DotBuilder().Build(graph).dot; }

Result<Json> LayoutGraph(const Graph& graph, const std::string& dot_binary) {
  try {
    Drawing drawing = DotBuilder().Build(graph);
    Result<std::string> text = RunDot(dot_binary, drawing.dot);
    if (!text.ok()) return text.status();
    Result<Json> parsed = ParseJsonData(*text);
    if (!parsed.ok()) {
      return Status::Internal("unexpected output of Graphviz's dot -Tjson: " +
                              parsed.status().message());
    }
    return Converter(drawing, *parsed).Convert();
  } catch (const std::exception& e) {
    return Status::Internal(std::string("graph layout: ") + e.what());
  }
}

// --- LayoutCache --------------------------------------------------------------

LayoutCache::LayoutCache(size_t capacity, std::string dot_binary)
    : capacity_(std::max<size_t>(capacity, 1)), dot_binary_(std::move(dot_binary)) {}

size_t LayoutCache::size() const {
  std::lock_guard lock(mutex_);
  return lru_.size();
}

Result<Json> LayoutCache::Get(const std::string& key, const Graph& graph) {
  std::unique_lock lock(mutex_);
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    std::shared_ptr<Entry> entry = it->second;
    computed_.wait(lock, [&] { return entry->done; });
    if (entry->kept) lru_.splice(lru_.begin(), lru_, entry->lru);
    return *entry->result;
  }
  auto entry = std::make_shared<Entry>();
  entries_.emplace(key, entry);
  lock.unlock();
  auto result = std::make_shared<const Result<Json>>(LayoutGraph(graph, dot_binary_));
  lock.lock();
  entry->done = true;
  entry->result = result;
  if (result->ok()) {
    lru_.push_front(key);
    entry->lru = lru_.begin();
    entry->kept = true;
    while (lru_.size() > capacity_) {
      auto old = entries_.find(lru_.back());
      old->second->kept = false;
      entries_.erase(old);
      lru_.pop_back();
    }
  } else {
    entries_.erase(key);  // waiters hold the entry; the next Get tries again
  }
  computed_.notify_all();
  return *result;
}

}  // namespace stepflow::console
