// What the console reads out of an execution's history (docs/console.md):
// each state's status for colouring the graph, the transitions taken, the
// first failure, and a Map state's iterations. All computed on the server
// in one pass over the events, so the page never downloads a history of
// 25,000 events to colour a graph.
//
// Paths: an event's state path is "Charge" at top level, "Fanout[3]/Charge"
// inside iteration 3 of the Map state Fanout (or branch 3 of a Parallel).
// The *template path* of a state replaces Map iteration numbers with "*"
// ("Fanout[*]/Charge") and keeps Parallel branch numbers: it names the
// state's node in the layout (layout.h).
//
// Pure. Thread-safety: stateless.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/json_util.h"
#include "engine/common/status.h"
#include "engine/graph/graph.h"
#include "engine/store/store.h"

namespace stepflow::console {

// "Fanout[3]/Charge" → "Fanout[*]/Charge" when Fanout is a Map of `root`.
// A path that does not name states of `root` comes back with every index
// kept.
std::string TemplatePath(const graph::Graph& root, std::string_view state_path);

// The state at an actual or template path, or nullptr.
const graph::State* FindState(const graph::Graph& root, std::string_view state_path);

// The statuses of the states (docs/console.md, GET /api/executions/ID/states).
Json StateSummary(const graph::Graph& root, const store::ExecutionRecord& execution,
                  const std::vector<store::HistoryEvent>& events);

struct IterationQuery {
  std::string state;           // the Map state's actual path ("Outer[2]/Inner")
  std::string status;          // "" = any
  std::string sort = "index";  // "index", "duration" or "status"
  bool descending = false;
  int64_t offset = 0;
  int64_t limit = 100;
};

// The iteration explorer of one Map state: histogram, total and one page.
// kNotFound when the path does not name a Map state.
Result<Json> Iterations(const graph::Graph& root, const store::ExecutionRecord& execution,
                        const std::vector<store::HistoryEvent>& events,
                        const IterationQuery& query);

// The scope of a path: up to and including its last "]/" ("Fanout[3]/" for
// "Fanout[3]/Charge"; "" at top level).
std::string_view ScopeOf(std::string_view path);

// An event's details as an object ({} when they are not one).
Json EventDetails(const store::HistoryEvent& event);

// The body index of `path` below `prefix` ("Fan[" and "Fan[12]/Leaf" give
// 12); nullopt when `path` is not inside such a body, or, with `direct`,
// when it is deeper than the body's own states.
std::optional<int64_t> BodyIndex(std::string_view path, std::string_view prefix, bool direct);

// The literal Error and Cause of the Fail state at `state_path` (left as
// they are when it is not one, or when its error is computed).
void FailError(const graph::Graph& root, std::string_view state_path, std::string* error,
               std::string* cause);

// Whether an event reports a failure of a state, an iteration or the
// execution ("TaskFailed", "MapIterationFailed", "ExecutionTimedOut",
// "FailStateEntered", ...).
bool IsFailureEvent(std::string_view type);

}  // namespace stepflow::console
