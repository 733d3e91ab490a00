// libFuzzer target: any bytes given to the front end (parse as JSON and as
// YAML, validate, compile, draw) must end in diagnostics or a graph —
// never a crash, a hang or unbounded memory.
//
//   cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DSTEPFLOW_FUZZ=ON
//   cmake --build build-fuzz --target stepflow_definition_fuzzer
//   build-fuzz/tests/stepflow_definition_fuzzer -max_total_time=60 workflows/
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/asl/document.h"
#include "engine/asl/validator.h"
#include "engine/graph/compiler.h"
#include "engine/graph/export.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const char* name : {"fuzz.json", "fuzz.yaml"}) {
    auto compiled = stepflow::graph::CompileText(text, name);
    if (compiled.graph) {
      (void)stepflow::graph::ExportDot(*compiled.graph);
      (void)stepflow::graph::ExportMermaid(*compiled.graph);
    }
  }
  return 0;
}
