// The data-flow inspector (docs/console.md, GET /api/executions/ID/dataflow):
// for every recorded visit of one state, the stages its data went through
//
//   input → afterInputPath → afterParameters → result → afterResultSelector
//         → afterResultPath → output
//
// recomputed with the engine's own expression code (expr/pipeline.h) from
// the input and the result the history recorded, each stage with what
// changed from the one before; the Task's attempts with the retrier that
// matched each failure and the back-off taken; the Catch that took it.
// The recomputed output is compared with the recorded one: the Context
// Object is rebuilt from the execution and the variables from the
// assignments recorded before the visit, so a state whose fields read
// something the history does not keep (a task token) shows the difference
// instead of hiding it.
//
// JSONata states show their recorded stages (input, arguments, result,
// output) without recomputing them.
//
// Pure. Thread-safety: stateless.
#pragma once

#include <string>
#include <vector>

#include "engine/common/json_util.h"
#include "engine/common/status.h"
#include "engine/graph/graph.h"
#include "engine/store/store.h"

namespace stepflow::console {

// `definition` is the parsed definition `root` was compiled from (for the
// fields' text); `state_path` an actual path ("Fanout[3]/Charge").
// kNotFound when the path names no state of `root`.
Result<Json> DataFlow(const graph::Graph& root, const Json& definition,
                      const store::ExecutionRecord& execution,
                      const std::vector<store::HistoryEvent>& events,
                      const std::string& state_path);

// What differs between two JSON values: [{"op": "add"|"remove"|"replace",
// "path": JSON pointer}], at most `limit` entries.
Json Changes(const Json& before, const Json& after, size_t limit = 200);

}  // namespace stepflow::console
