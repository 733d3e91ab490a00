#include "engine/graph/graph.h"

namespace stepflow::graph {

std::string_view StateTypeName(StateType type) {
  switch (type) {
    case StateType::kTask:
      return "Task";
    case StateType::kParallel:
      return "Parallel";
    case StateType::kMap:
      return "Map";
    case StateType::kPass:
      return "Pass";
    case StateType::kWait:
      return "Wait";
    case StateType::kChoice:
      return "Choice";
    case StateType::kSucceed:
      return "Succeed";
    case StateType::kFail:
      return "Fail";
  }
  return "State";
}

int Graph::Find(std::string_view name) const {
  auto it = index_.find(std::string(name));
  return it == index_.end() ? kNoState : it->second;
}

size_t Graph::TotalStates() const {
  size_t total = states_.size();
  for (const auto& s : states_) {
    if (const auto* p = std::get_if<ParallelSpec>(&s.spec)) {
      for (const auto& b : p->branches) total += b->TotalStates();
    } else if (const auto* m = std::get_if<MapSpec>(&s.spec)) {
      if (m->processor) total += m->processor->TotalStates();
    }
  }
  return total;
}

}  // namespace stepflow::graph
