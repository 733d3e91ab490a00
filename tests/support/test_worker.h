// TestWorker: starts the real stepflow_test_worker (tools/workers/test_worker.cc)
// on 127.0.0.1 with an OS-chosen port, logging every call to a file in its
// own TempDir, and reads that log back. Header-only; needs nlohmann_json.
//
//   stepflow::testing::TestWorker worker;          // STEPFLOW_TEST_WORKER binary
//   worker.endpoint()   → "127.0.0.1:PORT"
//   worker.Resource("echo") → "grpc://127.0.0.1:PORT/echo"
//   worker.LogLines()   → one JSON object per call received so far
//   worker.CancelledKeys() → idempotency keys of the calls the engine cancelled
//
// The constructor throws std::runtime_error if the worker does not print its
// port within 10 s. The destructor SIGKILLs and reaps it (Process).
//
// Thread-safety: none.
#pragma once

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace stepflow::testing {

class TestWorker {
 public:
#ifdef STEPFLOW_TEST_WORKER
  TestWorker() : TestWorker(STEPFLOW_TEST_WORKER) {}
#endif
  // `binary`: path of stepflow_test_worker; `extra_args` are appended.
  explicit TestWorker(const std::string& binary, std::vector<std::string> extra_args = {})
      : dir_("stepflow-worker") {
    std::vector<std::string> argv = {binary,     "--port",      "0",
                                     "--listen", "127.0.0.1",   "--log",
                                     LogPath(),  "--state-dir", dir_.File("state")};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    SpawnOptions options;
    options.stderr_path = dir_.File("stderr.txt");
    process_ = std::make_unique<Process>(std::move(argv), options);
    auto port = process_->ReadPortLine(10s);
    if (!port) throw std::runtime_error("test worker did not print PORT within 10 s");
    port_ = *port;
  }

  int port() const { return port_; }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string Resource(const std::string& function) const {
    return "grpc://" + endpoint() + "/" + function;
  }
  std::string LogPath() const { return dir_.File("calls.jsonl"); }
  const TempDir& dir() const { return dir_; }
  Process& process() { return *process_; }

  // Every call logged so far (complete lines), parsed.
  std::vector<nlohmann::json> LogLines() const { return Read(/*cancellations=*/false); }
  // The idempotency keys of the calls the engine cancelled.
  std::vector<std::string> CancelledKeys() const {
    std::vector<std::string> keys;
    for (const auto& line : Read(/*cancellations=*/true)) keys.push_back(line["cancelled"]);
    return keys;
  }

 private:
  std::vector<nlohmann::json> Read(bool cancellations) const {
    std::vector<nlohmann::json> lines;
    std::ifstream in(LogPath());
    std::string line;
    while (std::getline(in, line)) {
      if (in.eof()) break;  // a line still being written has no '\n' yet
      auto value = nlohmann::json::parse(line, nullptr, false);
      if (value.is_discarded() || value.contains("cancelled") != cancellations) continue;
      lines.push_back(std::move(value));
    }
    return lines;
  }

  TempDir dir_;
  std::unique_ptr<Process> process_;
  int port_ = 0;
};

}  // namespace stepflow::testing
