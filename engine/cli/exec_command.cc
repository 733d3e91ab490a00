// The verbs that read an execution from the database: exec describe,
// exec history, exec list (embedded mode, no server needed).
#include "engine/cli/commands.h"
#include "engine/cli/format.h"
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
  auto children = store->ListChildExecutions(id);
  if (!children.ok()) {
    err << "stepflow exec describe: " << children.status().message() << "\n";
    return 1;
  }
  std::vector<std::string> child_ids;
  for (const auto& c : *children) child_ids.push_back(c.id);
  PrintDescribe(*record, child_ids, options.json, out);
  return 0;
}

int ExecHistoryCommand(const std::string& id, const EngineOptions& options, bool reverse, bool logs,
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
  CallLogs call_logs;
  if (logs) {
    store::FunctionLogQuery lq;
    lq.execution_id = id;
    auto rows = store->ListFunctionLogs(lq);
    if (!rows.ok()) {
      err << "stepflow exec history: " << rows.status().message() << "\n";
      return 1;
    }
    for (const auto& row : *rows) call_logs[row.idempotency_key] += row.text;
  }
  PrintHistory(*events, options.json, out, logs ? &call_logs : nullptr, id);
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
  PrintExecutionList(*list, options.json, out);
  return 0;
}

}  // namespace stepflow::cli
