#include "engine/graph/export.h"

#include <sstream>

namespace stepflow::graph {

std::string JoinErrors(const std::vector<std::string>& errors) {
  std::string out;
  for (const auto& e : errors) {
    if (!out.empty()) out += ", ";
    out += e;
  }
  return out;
}

bool IsTerminal(const State& s) {
  return s.end || s.type == StateType::kSucceed || s.type == StateType::kFail;
}

namespace {

// Node ids are generated ("n0", "n1", ...) so that state names never need
// escaping as identifiers; names appear only in labels.
struct NodeIds {
  int next_id = 0;
  std::string Make() { return "n" + std::to_string(next_id++); }
};

std::string DotEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string MermaidEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"':
        out += "#quot;";
        break;
      case '<':
        out += "#lt;";
        break;
      case '>':
        out += "#gt;";
        break;
      case '|':
        out += "#124;";
        break;
      case '\n':
        out += ' ';
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Truncate(const std::string& s, size_t max = 60) {
  if (s.size() <= max) return s;
  return s.substr(0, max - 3) + "...";
}

// The traversal both formats share: every scope's states, then its
// Parallel/Map bodies, then its edges. A format writes the pieces.
class GraphWriter {
 public:
  virtual ~GraphWriter() = default;

 protected:
  enum class EdgeKind { kNext, kChoice, kDefault, kCatch };

  virtual void Node(const std::string& indent, const std::string& id, const State& s) = 0;
  virtual void Edge(const std::string& indent, const std::string& from, const std::string& to,
                    EdgeKind kind, const std::string& label) = 0;
  // Opens a body (a Parallel branch or a Map iteration); returns its id.
  virtual std::string OpenBody(const std::string& indent, const std::string& label) = 0;
  // Closes it; `owner` is the Parallel/Map state, `start` the body's first.
  virtual void CloseBody(const std::string& indent, const std::string& body,
                         const std::string& owner, const std::string& start) = 0;

  // Writes the states of one scope; returns their node ids by index.
  // Terminal states get an edge to `exit` (the end marker; none in bodies).
  std::vector<std::string> WriteScope(const Graph& g, const std::string& indent,
                                      const std::string& exit) {
    std::vector<std::string> ids;
    for (size_t i = 0; i < g.states().size(); ++i) ids.push_back(ids_.Make());
    auto id = [&](int index) { return ids[static_cast<size_t>(index)]; };
    for (size_t i = 0; i < g.states().size(); ++i) Node(indent, ids[i], g.states()[i]);
    for (size_t i = 0; i < g.states().size(); ++i) {
      const State& s = g.states()[i];
      if (const auto* p = std::get_if<ParallelSpec>(&s.spec)) {
        for (size_t b = 0; b < p->branches.size(); ++b) {
          WriteBody(*p->branches[b], ids[i], indent, s.name + " branch " + std::to_string(b + 1));
        }
      } else if (const auto* m = std::get_if<MapSpec>(&s.spec); m && m->processor) {
        WriteBody(*m->processor, ids[i], indent,
                  s.name + (m->distributed ? " (distributed) iteration" : " iteration"));
      }
    }
    for (size_t i = 0; i < g.states().size(); ++i) {
      const State& s = g.states()[i];
      if (const auto* c = std::get_if<ChoiceSpec>(&s.spec)) {
        for (const auto& branch : c->choices) {
          Edge(indent, ids[i], id(branch.next), EdgeKind::kChoice, Truncate(branch.label));
        }
        if (c->default_next != kNoState) {
          Edge(indent, ids[i], id(c->default_next), EdgeKind::kDefault, "Default");
        }
      }
      if (s.next != kNoState) {
        Edge(indent, ids[i], id(s.next), EdgeKind::kNext, "");
      } else if (IsTerminal(s) && !exit.empty()) {
        Edge(indent, ids[i], exit, EdgeKind::kNext, "");
      }
      for (const auto& c : s.catchers) {
        Edge(indent, ids[i], id(c.next), EdgeKind::kCatch,
             "catch: " + Truncate(JoinErrors(c.error_equals)));
      }
    }
    return ids;
  }

  NodeIds ids_;
  std::ostringstream out_;

 private:
  void WriteBody(const Graph& body, const std::string& owner, const std::string& indent,
                 const std::string& label) {
    std::string id = OpenBody(indent, label);
    auto ids = WriteScope(body, indent + "  ", "");
    CloseBody(indent, id, owner, ids[static_cast<size_t>(body.start())]);
  }
};

// --- DOT ------------------------------------------------------------------

class DotWriter : public GraphWriter {
 public:
  std::string Write(const Graph& graph, const std::string& title) {
    out_ << "digraph \"" << DotEscape(title) << "\" {\n"
         << "  rankdir=TB;\n"
         << "  compound=true;\n"
         << "  fontname=\"Helvetica\";\n"
         << "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#eef3fb\", "
            "fontname=\"Helvetica\"];\n"
         << "  edge [fontname=\"Helvetica\", fontsize=10];\n";
    std::string start = ids_.Make();
    out_ << "  " << start
         << " [label=\"\", shape=circle, width=0.25, style=filled, fillcolor=black];\n";
    std::string end = ids_.Make();
    out_ << "  " << end
         << " [label=\"\", shape=doublecircle, width=0.2, style=filled, fillcolor=black];\n";
    auto names = WriteScope(graph, "  ", end);
    out_ << "  " << start << " -> " << names[static_cast<size_t>(graph.start())] << ";\n";
    out_ << "}\n";
    return out_.str();
  }

 private:
  void Node(const std::string& indent, const std::string& id, const State& s) override {
    out_ << indent << id << " [label=\"" << DotEscape(s.name) << "\\n(" << StateTypeName(s.type)
         << ")\"" << Style(s) << "];\n";
  }

  void Edge(const std::string& indent, const std::string& from, const std::string& to,
            EdgeKind kind, const std::string& label) override {
    out_ << indent << from << " -> " << to;
    switch (kind) {
      case EdgeKind::kNext:
        break;
      case EdgeKind::kChoice:
        out_ << " [label=\"" << DotEscape(label) << "\"]";
        break;
      case EdgeKind::kDefault:
        out_ << " [label=\"Default\", style=bold]";
        break;
      case EdgeKind::kCatch:
        out_ << " [style=dashed, color=\"#c0392b\", fontcolor=\"#c0392b\", label=\""
             << DotEscape(label) << "\"]";
        break;
    }
    out_ << ";\n";
  }

  std::string OpenBody(const std::string& indent, const std::string& label) override {
    std::string cluster = "cluster_" + ids_.Make();
    out_ << indent << "subgraph " << cluster << " {\n"
         << indent << "  label=\"" << DotEscape(label) << "\";\n"
         << indent << "  style=\"rounded,dashed\";\n"
         << indent << "  color=\"#7f8c8d\";\n";
    return cluster;
  }

  void CloseBody(const std::string& indent, const std::string& body, const std::string& owner,
                 const std::string& start) override {
    out_ << indent << "}\n";
    out_ << indent << owner << " -> " << start << " [style=dotted, arrowhead=open, lhead=" << body
         << "];\n";
  }

  static std::string Style(const State& s) {
    switch (s.type) {
      case StateType::kChoice:
        return ", shape=diamond, style=filled, fillcolor=\"#fdf2d0\"";
      case StateType::kSucceed:
        return ", fillcolor=\"#d5f5e3\"";
      case StateType::kFail:
        return ", fillcolor=\"#fadbd8\"";
      case StateType::kParallel:
      case StateType::kMap:
        return ", fillcolor=\"#e8daef\"";
      case StateType::kWait:
        return ", fillcolor=\"#f2f3f4\"";
      default:
        return "";
    }
  }
};

// --- Mermaid --------------------------------------------------------------

class MermaidWriter : public GraphWriter {
 public:
  std::string Write(const Graph& graph) {
    out_ << "flowchart TD\n";
    std::string start = ids_.Make();
    std::string end = ids_.Make();
    out_ << "  " << start << "((start))\n";
    out_ << "  " << end << "((end))\n";
    auto names = WriteScope(graph, "  ", end);
    out_ << "  " << start << " --> " << names[static_cast<size_t>(graph.start())] << "\n";
    out_ << "  classDef choice fill:#fdf2d0;\n"
         << "  classDef succeed fill:#d5f5e3;\n"
         << "  classDef fail fill:#fadbd8;\n";
    for (const auto& [id, cls] : classes_) out_ << "  class " << id << " " << cls << ";\n";
    return out_.str();
  }

 private:
  void Node(const std::string& indent, const std::string& id, const State& s) override {
    std::string label = MermaidEscape(s.name) + "<br/>(" + std::string(StateTypeName(s.type)) + ")";
    if (s.type == StateType::kChoice) {
      out_ << indent << id << "{\"" << label << "\"}\n";
      classes_.emplace_back(id, "choice");
    } else {
      out_ << indent << id << "[\"" << label << "\"]\n";
      if (s.type == StateType::kSucceed) classes_.emplace_back(id, "succeed");
      if (s.type == StateType::kFail) classes_.emplace_back(id, "fail");
    }
  }

  void Edge(const std::string& indent, const std::string& from, const std::string& to,
            EdgeKind kind, const std::string& label) override {
    out_ << indent << from;
    switch (kind) {
      case EdgeKind::kNext:
        out_ << " --> ";
        break;
      case EdgeKind::kChoice:
        out_ << " -->|\"" << MermaidEscape(label) << "\"| ";
        break;
      case EdgeKind::kDefault:
        out_ << " -->|Default| ";
        break;
      case EdgeKind::kCatch:
        out_ << " -.->|\"" << MermaidEscape(label) << "\"| ";
        break;
    }
    out_ << to << "\n";
  }

  std::string OpenBody(const std::string& indent, const std::string& label) override {
    std::string sub = "s" + ids_.Make();
    out_ << indent << "subgraph " << sub << "[\"" << MermaidEscape(label) << "\"]\n";
    return sub;
  }

  void CloseBody(const std::string& indent, const std::string&, const std::string& owner,
                 const std::string& start) override {
    out_ << indent << "end\n";
    out_ << indent << owner << " -.-> " << start << "\n";
  }

  std::vector<std::pair<std::string, std::string>> classes_;
};

}  // namespace

std::string ExportDot(const Graph& graph, const std::string& title) {
  return DotWriter().Write(graph, title);
}

std::string ExportMermaid(const Graph& graph) { return MermaidWriter().Write(graph); }

}  // namespace stepflow::graph
