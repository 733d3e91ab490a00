// Drawings of a compiled Graph for people: Graphviz DOT and Mermaid.
//
// Both show every state (Choice as a diamond, Succeed/Fail as terminal
// shapes), a start marker, Next edges, Choice edges labelled with their
// rule and "Default", Catch edges dashed and labelled with the error names,
// and Parallel branches / Map item processors as nested clusters (DOT) or
// subgraphs (Mermaid). The DOT output renders with `dot -Tsvg`.
//
// Pure: no I/O.
#pragma once

#include <string>

#include "engine/graph/graph.h"

namespace stepflow::graph {

// Pieces the drawings share (also the console's layout): whether a state
// ends its scope (End, Succeed, Fail), and a Catch's error names joined
// with ", ".
bool IsTerminal(const State& s);
std::string JoinErrors(const std::vector<std::string>& errors);

std::string ExportDot(const Graph& graph, const std::string& title = "stepflow");
std::string ExportMermaid(const Graph& graph);

}  // namespace stepflow::graph
