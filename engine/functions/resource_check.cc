#include "engine/functions/resource_check.h"

#include <functional>

#include "engine/runtime/resource.h"

namespace stepflow::functions {
namespace {

void ForEachState(const graph::Graph& g, const std::function<void(const graph::State&)>& fn) {
  for (const graph::State& s : g.states()) {
    fn(s);
    if (s.type == graph::StateType::kParallel) {
      for (const auto& branch : s.As<graph::ParallelSpec>().branches) ForEachState(*branch, fn);
    } else if (s.type == graph::StateType::kMap) {
      const auto& processor = s.As<graph::MapSpec>().processor;
      if (processor) ForEachState(*processor, fn);
    }
  }
}

}  // namespace

std::vector<ResourceProblem> FindResourceProblems(const graph::Graph& graph, Catalog* catalog) {
  std::vector<ResourceProblem> problems;
  ForEachState(graph, [&](const graph::State& s) {
    if (s.type == graph::StateType::kTask) {
      const std::string& resource = s.As<graph::TaskSpec>().resource;
      runtime::ResourceNeed need = runtime::NeedsOf(resource);
      if (need.kind == runtime::ResourceNeed::kInvalid) {
        problems.push_back({"UNSUPPORTED_RESOURCE", s.pointer + "/Resource",
                            "state '" + s.name + "': '" + resource +
                                "' names no function, activity or service integration stepflow "
                                "can call"});
      } else if (need.kind == runtime::ResourceNeed::kIntegration &&
                 (catalog == nullptr || !catalog->IntegrationFunction(need.key))) {
        problems.push_back(
            {"INTEGRATION_NOT_MAPPED", s.pointer + "/Resource",
             "state '" + s.name + "': the service integration '" + resource +
                 "' runs on stepflow as a function you map to it: `stepflow functions map " +
                 need.key + " FUNCTION` (or `integrations: {" + need.key +
                 ": FUNCTION}` in a --functions file)"});
      }
    } else if (s.type == graph::StateType::kMap) {
      const auto& map = s.As<graph::MapSpec>();
      if (!map.item_reader.is_null()) {
        problems.push_back({"ITEM_READER_UNSUPPORTED", s.pointer + "/ItemReader",
                            "state '" + s.name +
                                "': a Map ItemReader (items read from S3) is not supported yet; "
                                "pass the items in the state input (ItemsPath / Items)"});
      }
      if (!map.result_writer.is_null()) {
        problems.push_back({"RESULT_WRITER_UNSUPPORTED", s.pointer + "/ResultWriter",
                            "state '" + s.name +
                                "': a Map ResultWriter (results written to S3) is not supported "
                                "yet; the Map's results are its output"});
      }
    }
  });
  return problems;
}

Status CheckResources(const graph::Graph& graph, Catalog* catalog) {
  std::vector<ResourceProblem> problems = FindResourceProblems(graph, catalog);
  if (problems.empty()) return Status::Ok();
  std::string message = "the definition cannot run here";
  for (const ResourceProblem& p : problems) {
    message += "; " + p.code + " at " + p.pointer + ": " + p.message;
  }
  return Status::InvalidArgument(message);
}

}  // namespace stepflow::functions
