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

std::string ExportDot(const Graph& graph, const std::string& title = "stepflow");
std::string ExportMermaid(const Graph& graph);

}  // namespace stepflow::graph
