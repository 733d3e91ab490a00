#include "engine/graph/export.h"

#include <sstream>

namespace stepflow::graph {

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
      case '"': out += "#quot;"; break;
      case '<': out += "#lt;"; break;
      case '>': out += "#gt;"; break;
      case '|': out += "#124;"; break;
      case '\n': out += ' '; break;
      default: out += c;
    }
  }
  return out;
}

std::string Truncate(const std::string& s, size_t max = 60) {
  if (s.size() <= max) return s;
  return s.substr(0, max - 3) + "...";
}

std::string JoinErrors(const std::vector<std::string>& errors) {
  std::string out;
  for (const auto& e : errors) {
    if (!out.empty()) out += ", ";
    out += e;
  }
  return out;
}

// The terminal states of a scope (where control leaves it).
bool IsTerminal(const State& s) {
  return s.end || s.type == StateType::kSucceed || s.type == StateType::kFail;
}

// --- DOT ------------------------------------------------------------------

class DotWriter {
 public:
  std::string Write(const Graph& graph, const std::string& title) {
    out_ << "digraph \"" << DotEscape(title) << "\" {\n"
         << "  rankdir=TB;\n"
         << "  compound=true;\n"
         << "  fontname=\"Helvetica\";\n"
         << "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#eef3fb\", fontname=\"Helvetica\"];\n"
         << "  edge [fontname=\"Helvetica\", fontsize=10];\n";
    std::string start = ids_.Make();
    out_ << "  " << start << " [label=\"\", shape=circle, width=0.25, style=filled, fillcolor=black];\n";
    std::string end = ids_.Make();
    out_ << "  " << end << " [label=\"\", shape=doublecircle, width=0.2, style=filled, fillcolor=black];\n";
    auto names = WriteScope(graph, "  ", end);
    out_ << "  " << start << " -> " << names[static_cast<size_t>(graph.start())] << ";\n";
    out_ << "}\n";
    return out_.str();
  }

 private:
  // Writes the states of one scope; returns their node ids by index.
  // Terminal states get an edge to `exit` (the end marker or, for a
  // branch, nothing when exit is empty).
  std::vector<std::string> WriteScope(const Graph& g, const std::string& indent,
                                      const std::string& exit) {
    std::vector<std::string> ids;
    for (size_t i = 0; i < g.states().size(); ++i) ids.push_back(ids_.Make());
    for (size_t i = 0; i < g.states().size(); ++i) {
      const State& s = g.states()[i];
      out_ << indent << ids[i] << " [label=\"" << DotEscape(s.name) << "\\n(" << StateTypeName(s.type)
           << ")\"" << Style(s) << "];\n";
    }
    for (size_t i = 0; i < g.states().size(); ++i) {
      const State& s = g.states()[i];
      const std::string& from = ids[i];
      if (const auto* p = std::get_if<ParallelSpec>(&s.spec)) {
        for (size_t b = 0; b < p->branches.size(); ++b) {
          WriteBody(*p->branches[b], from, indent, s.name + " branch " + std::to_string(b + 1));
        }
      } else if (const auto* m = std::get_if<MapSpec>(&s.spec)) {
        if (m->processor) {
          WriteBody(*m->processor, from, indent,
                    s.name + (m->distributed ? " (distributed) iteration" : " iteration"));
        }
      }
      if (const auto* c = std::get_if<ChoiceSpec>(&s.spec)) {
        for (const auto& branch : c->choices) {
          out_ << indent << from << " -> " << ids[static_cast<size_t>(branch.next)] << " [label=\""
               << DotEscape(Truncate(branch.label)) << "\"];\n";
        }
        if (c->default_next != kNoState) {
          out_ << indent << from << " -> " << ids[static_cast<size_t>(c->default_next)]
               << " [label=\"Default\", style=bold];\n";
        }
      }
      if (s.next != kNoState) {
        out_ << indent << from << " -> " << ids[static_cast<size_t>(s.next)] << ";\n";
      } else if (IsTerminal(s) && !exit.empty()) {
        out_ << indent << from << " -> " << exit << ";\n";
      }
      for (const auto& c : s.catchers) {
        out_ << indent << from << " -> " << ids[static_cast<size_t>(c.next)]
             << " [style=dashed, color=\"#c0392b\", fontcolor=\"#c0392b\", label=\"catch: "
             << DotEscape(Truncate(JoinErrors(c.error_equals))) << "\"];\n";
      }
    }
    return ids;
  }

  void WriteBody(const Graph& body, const std::string& owner, const std::string& indent,
                 const std::string& label) {
    std::string cluster = "cluster_" + ids_.Make();
    out_ << indent << "subgraph " << cluster << " {\n"
         << indent << "  label=\"" << DotEscape(label) << "\";\n"
         << indent << "  style=\"rounded,dashed\";\n"
         << indent << "  color=\"#7f8c8d\";\n";
    auto ids = WriteScope(body, indent + "  ", "");
    out_ << indent << "}\n";
    out_ << indent << owner << " -> " << ids[static_cast<size_t>(body.start())]
         << " [style=dotted, arrowhead=open, lhead=" << cluster << "];\n";
  }

  static std::string Style(const State& s) {
    switch (s.type) {
      case StateType::kChoice: return ", shape=diamond, style=filled, fillcolor=\"#fdf2d0\"";
      case StateType::kSucceed: return ", fillcolor=\"#d5f5e3\"";
      case StateType::kFail: return ", fillcolor=\"#fadbd8\"";
      case StateType::kParallel:
      case StateType::kMap: return ", fillcolor=\"#e8daef\"";
      case StateType::kWait: return ", fillcolor=\"#f2f3f4\"";
      default: return "";
    }
  }

  NodeIds ids_;
  std::ostringstream out_;
};

// --- Mermaid --------------------------------------------------------------

class MermaidWriter {
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
  std::vector<std::string> WriteScope(const Graph& g, const std::string& indent,
                                      const std::string& exit) {
    std::vector<std::string> ids;
    for (size_t i = 0; i < g.states().size(); ++i) ids.push_back(ids_.Make());
    for (size_t i = 0; i < g.states().size(); ++i) {
      const State& s = g.states()[i];
      std::string label = MermaidEscape(s.name) + "<br/>(" + std::string(StateTypeName(s.type)) + ")";
      if (s.type == StateType::kChoice) {
        out_ << indent << ids[i] << "{\"" << label << "\"}\n";
        classes_.emplace_back(ids[i], "choice");
      } else {
        out_ << indent << ids[i] << "[\"" << label << "\"]\n";
        if (s.type == StateType::kSucceed) classes_.emplace_back(ids[i], "succeed");
        if (s.type == StateType::kFail) classes_.emplace_back(ids[i], "fail");
      }
    }
    for (size_t i = 0; i < g.states().size(); ++i) {
      const State& s = g.states()[i];
      const std::string& from = ids[i];
      if (const auto* p = std::get_if<ParallelSpec>(&s.spec)) {
        for (size_t b = 0; b < p->branches.size(); ++b) {
          WriteBody(*p->branches[b], from, indent, s.name + " branch " + std::to_string(b + 1));
        }
      } else if (const auto* m = std::get_if<MapSpec>(&s.spec)) {
        if (m->processor) WriteBody(*m->processor, from, indent, s.name + " iteration");
      }
      if (const auto* c = std::get_if<ChoiceSpec>(&s.spec)) {
        for (const auto& branch : c->choices) {
          out_ << indent << from << " -->|\"" << MermaidEscape(Truncate(branch.label)) << "\"| "
               << ids[static_cast<size_t>(branch.next)] << "\n";
        }
        if (c->default_next != kNoState) {
          out_ << indent << from << " -->|Default| " << ids[static_cast<size_t>(c->default_next)] << "\n";
        }
      }
      if (s.next != kNoState) {
        out_ << indent << from << " --> " << ids[static_cast<size_t>(s.next)] << "\n";
      } else if (IsTerminal(s) && !exit.empty()) {
        out_ << indent << from << " --> " << exit << "\n";
      }
      for (const auto& c : s.catchers) {
        out_ << indent << from << " -.->|\"catch: " << MermaidEscape(Truncate(JoinErrors(c.error_equals)))
             << "\"| " << ids[static_cast<size_t>(c.next)] << "\n";
      }
    }
    return ids;
  }

  void WriteBody(const Graph& body, const std::string& owner, const std::string& indent,
                 const std::string& label) {
    std::string sub = "s" + ids_.Make();
    out_ << indent << "subgraph " << sub << "[\"" << MermaidEscape(label) << "\"]\n";
    auto ids = WriteScope(body, indent + "  ", "");
    out_ << indent << "end\n";
    out_ << indent << owner << " -.-> " << ids[static_cast<size_t>(body.start())] << "\n";
  }

  NodeIds ids_;
  std::ostringstream out_;
  std::vector<std::pair<std::string, std::string>> classes_;
};

}  // namespace

std::string ExportDot(const Graph& graph, const std::string& title) {
  return DotWriter().Write(graph, title);
}

std::string ExportMermaid(const Graph& graph) { return MermaidWriter().Write(graph); }

}  // namespace stepflow::graph
