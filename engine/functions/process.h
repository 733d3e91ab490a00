// Child processes for deployed functions: the build tools (pip, npm) run to
// completion with their output kept, and function instances run beside the
// engine with a request/response channel and their stdout/stderr as pipes.
//
// Children are started with posix_spawn (safe in a threaded process) in a
// process group of their own, so a kill reaches what the handler started too.
//
// Thread-safety: functions, no shared state.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "engine/common/status.h"

namespace stepflow::functions {

using Environment = std::map<std::string, std::string>;

// The engine's own environment.
Environment InheritedEnvironment();

struct CommandResult {
  int wait_status = 0;     // as waitpid reports it
  bool timed_out = false;  // killed at the deadline
  std::string output;      // stdout and stderr interleaved; the tail when over the cap
  bool ok() const;
  std::string Describe() const;  // "exit code 1", "killed by SIGKILL", "timed out after 600 s"
};

// Runs argv[0] (looked up in PATH) in `cwd` and waits for it; the process
// group is killed at `timeout`. kInternal only when it cannot be started.
Result<CommandResult> RunCommand(const std::vector<std::string>& argv, const std::string& cwd,
                                 const Environment& env, std::chrono::milliseconds timeout,
                                 size_t max_output = 256 * 1024);

// A started instance. The engine writes requests to `request_fd` (the
// child's fd 3) and reads responses from `response_fd` (the child's fd 4);
// the child's stdout and stderr come out of `stdout_fd` and `stderr_fd`.
// All four are the parent's to close; all are non-blocking.
struct Spawned {
  pid_t pid = -1;  // also the process group id
  int request_fd = -1;
  int response_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  void CloseAll();  // closes the four fds that are open (-1 after)
};
Result<Spawned> SpawnWithChannel(const std::vector<std::string>& argv, const std::string& cwd,
                                 const Environment& env);

// Closes `fd` when open and sets it to -1.
void CloseFd(int& fd);

// "exit code 3", "killed by signal 9 (SIGKILL)".
std::string DescribeWaitStatus(int wait_status);
// The first executable named `name` in PATH ("" when none).
std::string FindInPath(const std::string& name);

}  // namespace stepflow::functions
