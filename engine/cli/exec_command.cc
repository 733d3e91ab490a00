// The verbs that read an execution from the database: exec describe,
// exec history, exec list (embedded mode, no server needed).
#include <iomanip>

#include "engine/cli/commands.h"
#include "engine/cli/format.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/history.h"
#include "engine/store/memory_store.h"

namespace stepflow::cli {

int ExecDescribeCommand(const std::string& id, const EngineOptions& options, std::ostream& out,
                        std::ostream& err) {
  auto store = OpenStore("exec describe", options, err, /*must_exist=*/true);
  if (!store) return 2;
  auto record = store->GetExecution(id);
  if (!record.ok()) {
    err << "stepflow exec describe: " << record.status().message() << "\n";
    return 1;
  }
  Json j = DescribeJson(*record);
  if (options.json) {
    out << DumpCompact(j) << "\n";
    return 0;
  }
  for (const char* key : {"executionId", "stateMachine", "name", "status", "startTime", "stopTime",
                          "redriveCount", "input", "output", "error", "cause"}) {
    if (j[key].is_null()) continue;
    out << std::left << std::setw(14) << key
        << (j[key].is_string() ? j[key].get<std::string>() : DumpCompact(j[key])) << "\n";
  }
  return 0;
}

int ExecHistoryCommand(const std::string& id, const EngineOptions& options, bool reverse,
                       std::ostream& out, std::ostream& err) {
  auto store = OpenStore("exec history", options, err, /*must_exist=*/true);
  if (!store) return 2;
  if (auto record = store->GetExecution(id); !record.ok()) {
    err << "stepflow exec history: " << record.status().message() << "\n";
    return 1;
  }
  store::HistoryQuery q;
  q.reverse = reverse;
  auto events = store->GetHistory(id, q);
  if (!events.ok()) {
    err << "stepflow exec history: " << events.status().message() << "\n";
    return 1;
  }
  if (options.json) {
    Json list = Json::array();
    for (const auto& e : *events) list.push_back(runtime::EventToJson(e));
    out << DumpCompact(list) << "\n";
  } else {
    PrintHistoryTable(*events, out);
  }
  return 0;
}

int ExecListCommand(const std::string& machine, const std::string& status,
                    const EngineOptions& options, std::ostream& out, std::ostream& err) {
  // No database yet: nothing to list, and nothing is created.
  auto store =
      DatabaseMissing(options) ? store::NewMemoryStore() : OpenStore("exec list", options, err);
  if (!store) return 2;
  store::ExecutionFilter filter;
  filter.machine = machine;
  filter.status = status;
  filter.limit = 100000;
  auto list = store->ListExecutions(filter);
  if (!list.ok()) {
    err << "stepflow exec list: " << list.status().message() << "\n";
    return 1;
  }
  if (options.json) {
    Json arr = Json::array();
    for (const auto& r : *list) arr.push_back(DescribeJson(r));
    out << DumpCompact(arr) << "\n";
    return 0;
  }
  out << std::left << std::setw(60) << "EXECUTION" << std::setw(11) << "STATUS" << std::setw(26)
      << "STARTED"
      << "STOPPED\n";
  for (const auto& r : *list) {
    out << std::left << std::setw(60) << r.id << std::setw(11) << r.status << std::setw(26)
        << runtime::FormatTimestamp(r.start_ms)
        << (r.stop_ms ? runtime::FormatTimestamp(*r.stop_ms) : std::string("-")) << "\n";
  }
  return 0;
}

}  // namespace stepflow::cli
