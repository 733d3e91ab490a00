// What a definition asks for that stepflow cannot run as things stand, found
// before anything runs (never a failure halfway through an execution):
//
//   INTEGRATION_NOT_MAPPED  a Task Resource arn:aws:states:::SERVICE:ACTION that
//                           no function is mapped to (stepflow functions map)
//   UNSUPPORTED_RESOURCE    a Task Resource that names no function, activity or
//                           integration stepflow knows
//   ITEM_READER_UNSUPPORTED / RESULT_WRITER_UNSUPPORTED
//                           a Distributed Map reading items from, or writing
//                           results to, S3 (not supported yet)
//
// `stepflow validate` reports them as warnings (it has no catalog: every
// integration is reported); `machine create` and `run` refuse a definition
// that has any (CheckResources, wired into the Executor's check_definition).
//
// Thread-safety: as Catalog.
#pragma once

#include <string>
#include <vector>

#include "engine/functions/catalog.h"
#include "engine/graph/graph.h"

namespace stepflow::functions {

struct ResourceProblem {
  std::string code;
  std::string pointer;  // JSON pointer of the field
  std::string message;
};

// `catalog` null: every service integration is reported.
std::vector<ResourceProblem> FindResourceProblems(const graph::Graph& graph, Catalog* catalog);

// kInvalidArgument listing every problem, or Ok.
Status CheckResources(const graph::Graph& graph, Catalog* catalog);

}  // namespace stepflow::functions
