// Helpers shared by the store tests: temporary directories, the backends the
// shared suite runs against, and builders for StepCommits.
#pragma once

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <random>
#include <string>
#include <utility>

#include "engine/store/memory_store.h"
#include "engine/store/sqlite_store.h"
#include "engine/store/store.h"

namespace stepflow::store::testing {

// A fresh directory under the system temp dir, removed with its contents.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() /
            ("stepflow-store-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++) +
             "-" + std::to_string(random()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline std::unique_ptr<Store> OpenSqliteOrFail(const std::string& path,
                                               const SqliteOptions& options = {}) {
  auto store = OpenSqliteStore(path, options);
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return std::move(store).value();
}

// The backends of the shared suite (TEMPLATE_TEST_CASE types).
struct MemoryBackend {
  std::unique_ptr<Store> Open() { return NewMemoryStore(); }
};

struct SqliteBackend {
  TempDir dir;
  std::unique_ptr<Store> Open() { return OpenSqliteOrFail(dir.File("store.db")); }
};

// Stores versions 1..`versions` of each machine: a step may create an
// execution only of a stored (machine, version).
inline void AddMachines(Store& store, std::initializer_list<std::string> machines,
                        int64_t versions = 1) {
  for (const std::string& machine : machines) {
    for (int64_t v = 1; v <= versions; ++v) {
      auto put = store.PutStateMachineVersion(machine, "{\"v\":" + std::to_string(v) + "}",
                                              "sha-" + std::to_string(v), 1);
      INFO(put.status().ToString());
      REQUIRE(put.ok());
    }
  }
}

inline HistoryEvent Event(int64_t id, std::string type, std::string state_path = "") {
  HistoryEvent e;
  e.id = id;
  e.previous_event_id = id - 1;
  e.timestamp_ms = 1'700'000'000'000 + id;
  e.type = std::move(type);
  e.state_path = std::move(state_path);
  e.details = "{\"n\":" + std::to_string(id) + "}";
  return e;
}

inline ExecutionRecord NewExecution(const std::string& id, const std::string& machine = "m",
                                    int64_t start_ms = 1000) {
  ExecutionRecord r;
  r.id = id;
  r.machine = machine;
  r.version = 1;
  r.name = "name-" + id;
  r.status = kRunning;
  r.input = "{\"id\":\"" + id + "\"}";
  r.state = "state-of-" + id;
  r.next_event_id = 1;
  r.start_ms = start_ms;
  return r;
}

// A step creating `record` with `events` history events (ids 1..events).
inline StepCommit CreateStep(ExecutionRecord record, int events = 1) {
  StepCommit step;
  step.create = true;
  for (int i = 1; i <= events; ++i) {
    step.events.push_back(Event(i, i == 1 ? "ExecutionStarted" : "PassStateEntered"));
  }
  record.next_event_id = events + 1;
  step.execution = std::move(record);
  return step;
}

// A step appending `events` events to `record` (as stored), advancing
// next_event_id; the caller may change other fields before committing.
inline StepCommit NextStep(ExecutionRecord record, int events = 1) {
  StepCommit step;
  for (int i = 0; i < events; ++i) {
    step.events.push_back(Event(record.next_event_id + i, "PassStateExited", "Step"));
  }
  record.next_event_id += events;
  step.execution = std::move(record);
  return step;
}

}  // namespace stepflow::store::testing
