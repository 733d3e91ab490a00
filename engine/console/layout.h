// The console's graph layout (docs/console.md, "Layout"): where each state's
// node, each Parallel branch / Map iteration cluster and each transition's
// spline is drawn, computed on the server by Graphviz's `dot`.
//
// The drawing is ASL-aware:
//  - every state is a node whose id is its template path ("Charge",
//    "Fanout[*]/Charge", "Both[1]/Right"); "__start__" (type Start) points at
//    the StartAt state and every terminal top-level state points at
//    "__end__" (type End);
//  - a Parallel or Map state is a node, and each of its branches (or its
//    ItemProcessor) is a cluster drawn below it: id "<owner>#<branch index>"
//    (0-based, as in template paths) with kind "branch" and label
//    "<Name> branch <n>" (1-based), or "<owner>#iteration" with kind
//    "iteration" and label "<Name> iteration"; clusters nest;
//  - edge kinds: "start" (__start__ → StartAt, and a Parallel/Map node → the
//    StartAt of each of its bodies), "next", "choice" (label: the rule in
//    words, truncated), "default" (label "Default"), "catch" (label
//    "catch: <ErrorEquals>"), "end" (terminal top-level state → __end__).
//    A Parallel/Map state's own Next and Catch edges leave from its node.
//
// The layout does not depend on the order of the states in the definition:
// nodes and edges are written in a canonical order (a depth-first walk from
// StartAt following Next, the Choice rules in order, Default, then the
// Catchers in order; states unreachable from StartAt afterwards, by name).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "engine/common/json_util.h"
#include "engine/common/status.h"
#include "engine/graph/graph.h"

namespace stepflow::console {

// The DOT text the layout is computed from. Pure and deterministic: equal
// graphs (whatever their definitions' state order) give equal text.
std::string LayoutDot(const graph::Graph& graph);

// Runs `dot_binary -Tjson` (looked up on PATH when it has no '/') on
// LayoutDot(graph) as a child process, killed after 10 s, and converts its
// output to the console's layout JSON (docs/console.md "Layout"): points,
// origin at the top left, x/y of nodes and clusters their top-left corner,
// numbers rounded to one decimal.
// Errors: kUnavailable when the program cannot be run (Graphviz is not
// installed); kInternal when it fails, times out or prints something else
// than the expected JSON.
// Thread-safety: stateless; may be called from any thread.
Result<Json> LayoutGraph(const graph::Graph& graph, const std::string& dot_binary = "dot");

// Layouts kept per definition. Get computes the layout of `graph` once per
// `key` (the definition's sha256) and keeps at most `capacity` layouts,
// dropping the least recently used. Callers asking for a key whose layout is
// being computed wait for that computation. Failures are returned to every
// waiting caller but not kept: the next Get tries again (Graphviz may have
// been installed meanwhile).
// Thread-safety: every method may be called from any thread.
class LayoutCache {
 public:
  explicit LayoutCache(size_t capacity = 64, std::string dot_binary = "dot");

  Result<Json> Get(const std::string& key, const graph::Graph& graph);

  // The number of layouts kept (computations in progress not counted).
  size_t size() const;

 private:
  struct Entry {
    bool done = false;
    std::shared_ptr<const Result<Json>> result;
    bool kept = false;                     // in lru_ (done, succeeded, not evicted)
    std::list<std::string>::iterator lru;  // valid when kept
  };

  const size_t capacity_;
  const std::string dot_binary_;
  mutable std::mutex mutex_;
  std::condition_variable computed_;
  std::unordered_map<std::string, std::shared_ptr<Entry>> entries_;
  std::list<std::string> lru_;  // done entries, most recently used first
};

}  // namespace stepflow::console
