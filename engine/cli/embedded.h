// Internal to the CLI: running executions in this process (run, resume and
// the embedded exec verbs): building the engine for a verb, and Ctrl-C.
//
// A command that runs executions here stops cleanly on SIGINT or SIGTERM:
// the executor commits what it decided and returns, executions left
// RUNNING are checkpointed, and the command says how to go on with them
// (`stepflow resume --db DB`) or stop them (`stepflow exec stop ID --db DB`),
// then exits 130. A second signal ends the process at once.
#pragma once

#include <atomic>
#include <functional>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/cli/commands.h"
#include "engine/host/engine.h"

namespace stepflow::cli {

// The exit code of a command stopped by SIGINT/SIGTERM (128 + SIGINT).
inline constexpr int kInterruptedExit = 130;

// Builds the engine for a verb (host::BuildEngine), printing why not on
// `err`. `create`: a missing database file becomes a new one (announced
// when --db was not given); `exclusive`: the database lock alone.
std::unique_ptr<host::Engine> OpenEngine(const char* verb, const EngineOptions& options,
                                         std::ostream& err, bool create, bool exclusive = false);

// Watches SIGINT and SIGTERM from construction to destruction. Construct it
// before any thread is started (it blocks both signals in the calling
// thread, and threads inherit that). Until OnSignal names what to do, a
// signal ends the process at once with kInterruptedExit (nothing runs yet
// that a checkpoint would keep); after it, the first signal calls that
// function (on the watcher's thread) and the second ends the process.
class InterruptWatch {
 public:
  InterruptWatch();
  ~InterruptWatch();
  InterruptWatch(const InterruptWatch&) = delete;
  InterruptWatch& operator=(const InterruptWatch&) = delete;

  // `stop` (null = back to ending the process at once). Blocks while a
  // signal's `stop` runs, so the previous one is never called afterwards.
  void OnSignal(std::function<void()> stop);
  bool interrupted() const { return interrupted_.load(); }

 private:
  void Watch();

  std::mutex mu_;
  std::function<void()> stop_;  // guarded by mu_
  std::atomic<bool> interrupted_{false};
  std::atomic<bool> done_{false};
  std::thread watcher_;
};

// Runs the executor until idle on this thread; a signal stops it (see
// InterruptWatch). Returns the loop's status.
Status RunUntilIdleInterruptibly(runtime::Executor& executor, InterruptWatch& watch);

// After an interruption: which of `ids` stay RUNNING in the database and the
// commands that resume or stop them, on `err`.
void ReportInterrupted(const char* verb, const EngineOptions& options, store::Store& store,
                       const std::vector<std::string>& ids, std::ostream& err);

// Executions left waiting for functions nobody registered (they stay
// RUNNING), one line each on `err`.
void ReportHeld(const char* verb, runtime::Executor& executor, std::ostream& err);

// `text` as one shell word (quoted when it holds anything but
// [A-Za-z0-9_./:@%+=,-]).
std::string ShellWord(const std::string& text);

// The --db path as the user should type it again ("stepflow.db" when none).
std::string DbArgument(const EngineOptions& options);

}  // namespace stepflow::cli
