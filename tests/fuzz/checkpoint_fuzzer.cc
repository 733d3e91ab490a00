// libFuzzer target for checkpoints: Execution::Restore must turn any bytes
// into either a usable execution or kDataLoss, never a crash, and a
// restored execution must survive Recover, Redrive and Snapshot.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/graph/compiler.h"
#include "engine/runtime/execution.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace stepflow;
  static const auto kGraph = graph::CompileText(R"j({"StartAt":"P","States":{
      "P":{"Type":"Parallel","Next":"M","Branches":[
        {"StartAt":"T","States":{"T":{"Type":"Task","Resource":"f","End":true,
          "Retry":[{"ErrorEquals":["E"]}]}}},
        {"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":5,"End":true}}}]},
      "M":{"Type":"Map","ItemProcessor":{"StartAt":"C","States":{
        "C":{"Type":"Choice","Choices":[{"Variable":"$","IsNull":true,"Next":"F"}],"Default":"S"},
        "F":{"Type":"Fail","Error":"X"},"S":{"Type":"Succeed"}}},"End":true}}})j")
                                 .graph;
  store::ExecutionRecord record;
  record.id = "m:fuzz";
  record.machine = "m";
  record.name = "fuzz";
  record.input = "[]";
  record.status = size > 0 && data[0] % 2 ? "FAILED" : "RUNNING";
  record.state.assign(reinterpret_cast<const char*>(data), size);
  auto restored = runtime::Execution::Restore(record, kGraph, {});
  if (!restored.ok()) return 0;
  runtime::StepEffects fx;
  (*restored)->Recover(&fx);
  (void)(*restored)->Redrive(1, &fx);
  for (const auto& d : fx.dispatches) {
    (void)(*restored)->OnTaskOutcome(d.task_id, runtime::TaskOutcome::Success("1"), 2, &fx);
  }
  (void)(*restored)->Snapshot();
  return 0;
}
