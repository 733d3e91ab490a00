// The server's log (stderr), as text for people or as JSON lines for log
// collectors (`stepflow server --log-format text|json`), and the execution
// log written into it:
//
//   info   every execution's start, redrive and end: id, machine, status,
//          duration (and error and cause when it did not succeed)
//   debug  every other history event as it is committed (state entered and
//          exited, Task scheduled, succeeded, failed, ...)
//
// Text:  2024-05-01T10:00:00.123Z info execution orders:7 SUCCEEDED in 0.042 s (machine orders)
// JSON:  {"time":"2024-05-01T10:00:00.123Z","level":"info","message":"execution orders:7
//        SUCCEEDED in 0.042 s (machine orders)","event":"ExecutionSucceeded",
//        "executionId":"orders:7","machine":"orders","status":"SUCCEEDED","durationMs":42}
//
// The execution log sees what the engine commits: ExecutionLogStore wraps
// the engine's store (host::EngineConfig::wrap_store) and logs each step
// after its commit succeeded, on the thread that committed it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/cli/forwarding_store.h"
#include "engine/common/json_util.h"

namespace spdlog {
class logger;
}

namespace stepflow::cli {

// A logger "stepflow" writing to stderr at `level` (trace, debug, info,
// warn, error, off) in `format` ("text" or "json"). Asynchronous: callers
// queue lines, one thread formats and writes them; StopServerLogger writes
// what is queued and ends that thread (call it before exiting).
std::shared_ptr<spdlog::logger> MakeServerLogger(const std::string& level,
                                                 const std::string& format);
void StopServerLogger();

// The message of a log call that carries fields: a text logger shows
// `text`, a JSON logger `text` as "message" and `fields` beside it.
std::string LogMessage(const std::string& text, const Json& fields);

class ExecutionLogStore final : public ForwardingStore {
 public:
  ExecutionLogStore(std::unique_ptr<store::Store> inner, std::shared_ptr<spdlog::logger> log)
      : ForwardingStore(std::move(inner)), log_(std::move(log)) {}

  Status Commit(const std::vector<store::StepCommit>& steps) override;

 private:
  void LogStep(const store::StepCommit& step, bool debug);

  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace stepflow::cli
