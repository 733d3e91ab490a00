// exec start|describe|list|history|stop|redrive through the server.
#include <functional>
#include <thread>

#include "engine/cli/client_rpc.h"
#include "engine/cli/commands.h"
#include "engine/cli/format.h"
#include "engine/runtime/history.h"

namespace stepflow::cli {

namespace {

// Input files larger than this are refused here; the server's own payload
// limit (256 KiB by default) is reported by the server.
constexpr size_t kMaxInputFileBytes = 16 * 1024 * 1024;

// The history table's STEP column while following: paths that arrive later
// may be longer than those of the first page.
constexpr size_t kFollowStepWidth = 24;

// Reads one GetExecutionHistory stream to its end, calling `on_page` for
// each page. Returns 0, or 1 after printing the error line. *next_token
// (when not null) gets the token the last page carried.
int StreamHistory(client::Connection& c, const v1::GetExecutionHistoryRequest& request,
                  const std::function<void(const v1::HistoryPage&)>& on_page,
                  std::string* next_token) {
  if (!c.Connect()) return 1;
  grpc::ClientContext context;
  c.PrepareStream(&context, request.follow());
  auto reader = c.stub().GetExecutionHistory(&context, request);
  v1::HistoryPage page;
  if (next_token) next_token->clear();
  while (reader->Read(&page)) {
    on_page(page);
    if (next_token) *next_token = page.next_token();
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return c.Fail(status);
  return 0;
}

// Fetches an execution. 0, or 1 after printing the error line.
int Describe(client::Connection& c, const std::string& id, store::ExecutionRecord* record,
             std::vector<std::string>* children = nullptr) {
  v1::DescribeExecutionRequest request;
  request.set_execution_id(id);
  v1::Execution execution;
  if (!c.Call(&client::Stub::DescribeExecution, request, &execution)) return 1;
  *record = client::ToRecord(execution);
  if (children != nullptr) {
    children->assign(execution.child_execution_ids().begin(), execution.child_execution_ids().end());
  }
  return 0;
}

// Follows the execution's history until it closes, then prints its result
// as `stepflow run` does. 0 SUCCEEDED, 1 another final status or an error.
int WaitForResult(client::Connection& c, const std::string& id, std::ostream& out) {
  for (;;) {
    v1::GetExecutionHistoryRequest request;
    request.set_execution_id(id);
    request.set_follow(true);
    if (int rc = StreamHistory(
            c, request, [](const v1::HistoryPage&) {}, nullptr))
      return rc;
    store::ExecutionRecord record;
    if (int rc = Describe(c, id, &record)) return rc;
    if (record.status != store::kRunning) {
      PrintResult(record, c.options().json, out);
      return record.status == store::kSucceeded ? 0 : 1;
    }
    // The stream ended before the closing event was visible: follow again.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace

int ExecStartCommand(const StartArgs& args, const ClientOptions& options, std::ostream& out,
                     std::ostream& err) {
  std::string input = "{}";
  if (args.input && args.input_file) {
    err << "stepflow exec start: give --input or --input-file, not both\n";
    return 2;
  }
  if (args.input) input = *args.input;
  if (args.input_file) {
    std::string error;
    if (!ReadDefinitionFile(*args.input_file, kMaxInputFileBytes, &input, &error)) {
      err << "stepflow exec start: " << error << "\n";
      return 2;
    }
    if (input.size() > kMaxInputFileBytes) {
      err << "stepflow exec start: " << *args.input_file << " is larger than 16 MiB\n";
      return 2;
    }
  }
  if (!Json::accept(input)) {
    err << "stepflow exec start: the input is not valid JSON\n";
    return 2;
  }
  client::Connection c("exec start", options, err);
  v1::StartExecutionRequest request;
  request.set_state_machine(args.machine);
  request.set_version(args.version);
  request.set_name(args.name);
  request.set_input_json(input);
  v1::StartExecutionResponse response;
  if (!c.Call(&client::Stub::StartExecution, request, &response)) return 1;
  if (args.wait) return WaitForResult(c, response.execution_id(), out);
  if (options.json) {
    out << DumpCompact(Json{{"executionId", response.execution_id()},
                            {"startMs", response.start_ms()},
                            {"version", response.version()},
                            {"alreadyStarted", response.already_started()}})
        << "\n";
  } else {
    out << response.execution_id() << "\n";
  }
  return 0;
}

int RemoteExecDescribeCommand(const std::string& id, const ClientOptions& options,
                              std::ostream& out, std::ostream& err) {
  client::Connection c("exec describe", options, err);
  store::ExecutionRecord record;
  std::vector<std::string> children;
  if (int rc = Describe(c, id, &record, &children)) return rc;
  PrintDescribe(record, children, options.json, out);
  return 0;
}

int RemoteExecListCommand(const std::string& machine, const std::string& status,
                          int32_t max_results, const std::string& next_token,
                          const ClientOptions& options, std::ostream& out, std::ostream& err) {
  client::Connection c("exec list", options, err);
  v1::ListExecutionsRequest request;
  request.set_state_machine(machine);
  request.set_status(status);
  request.set_max_results(max_results);
  request.set_next_token(next_token);
  std::vector<store::ExecutionRecord> records;
  for (;;) {
    v1::ListExecutionsResponse page;
    if (!c.Call(&client::Stub::ListExecutions, request, &page)) return 1;
    for (const auto& e : page.executions()) records.push_back(client::ToRecord(e));
    if (max_results > 0) {  // one page, as asked
      if (!page.next_token().empty()) {
        err << "stepflow exec list: more results: --next-token " << page.next_token() << "\n";
      }
      break;
    }
    // A server that repeats its token would loop forever: stop instead.
    if (page.next_token().empty() || page.next_token() == request.next_token()) break;
    request.set_next_token(page.next_token());
  }
  if (!options.json) {
    PrintExecutionList(records, false, out);
    return 0;
  }
  // The API's list leaves input out: null, not the "" DescribeJson would
  // make of it.
  Json arr = Json::array();
  for (const auto& r : records) {
    Json j = DescribeJson(r);
    if (r.input.empty()) j["input"] = nullptr;
    arr.push_back(std::move(j));
  }
  out << DumpCompact(arr) << "\n";
  return 0;
}

int RemoteExecHistoryCommand(const HistoryArgs& args, const ClientOptions& options,
                             std::ostream& out, std::ostream& err) {
  if (args.follow && args.reverse) {
    err << "stepflow exec history: --follow and --reverse cannot be used together\n";
    return 2;
  }
  client::Connection c("exec history", options, err);
  v1::GetExecutionHistoryRequest request;
  request.set_execution_id(args.id);
  request.set_max_results(args.max_results);
  request.set_next_token(args.next_token);
  request.set_reverse_order(args.reverse);
  request.set_follow(args.follow);

  if (args.follow) {
    bool header = false;
    size_t step_width = kFollowStepWidth;
    auto on_page = [&](const v1::HistoryPage& page) {
      std::vector<store::HistoryEvent> events;
      for (const auto& e : page.events()) events.push_back(client::ToEvent(e));
      if (options.json) {
        for (const auto& e : events) out << DumpCompact(runtime::EventToJson(e)) << "\n";
      } else {
        if (!header) {
          step_width = std::max(step_width, HistoryStepWidth(events));
          PrintHistoryHeader(step_width, out);
          header = true;
        }
        for (const auto& e : events) PrintHistoryRow(e, step_width, out);
      }
      out.flush();
    };
    int rc = StreamHistory(c, request, on_page, nullptr);
    if (rc == 0 && !header && !options.json) PrintHistoryHeader(step_width, out);
    return rc;
  }

  std::vector<store::HistoryEvent> events;
  auto collect = [&](const v1::HistoryPage& page) {
    for (const auto& e : page.events()) events.push_back(client::ToEvent(e));
  };
  for (;;) {
    std::string next_token;
    if (int rc = StreamHistory(c, request, collect, &next_token)) return rc;
    if (args.max_results > 0) {  // one page, as asked
      if (!next_token.empty()) {
        err << "stepflow exec history: more events: --next-token " << next_token << "\n";
      }
      break;
    }
    if (next_token.empty() || next_token == request.next_token()) break;
    request.set_next_token(next_token);
  }
  CallLogs call_logs;
  if (args.logs) {
    v1::GetFunctionLogsRequest lq;
    lq.set_execution_id(args.id);
    lq.set_limit(10000);
    for (;;) {
      v1::GetFunctionLogsResponse page;
      if (!c.Call(&client::Stub::GetFunctionLogs, lq, &page)) return 1;
      for (const auto& e : page.entries()) call_logs[e.idempotency_key()] += e.text();
      if (page.entries_size() < lq.limit()) break;
      lq.set_after_id(page.last_id());
    }
  }
  PrintHistory(events, options.json, out, args.logs ? &call_logs : nullptr, args.id);
  return 0;
}

int ExecStopCommand(const std::string& id, const std::string& error,
                    const std::optional<std::string>& cause, const ClientOptions& options,
                    std::ostream& out, std::ostream& err) {
  client::Connection c("exec stop", options, err);
  v1::StopExecutionRequest request;
  request.set_execution_id(id);
  request.set_error(error);
  if (cause) request.set_cause(*cause);
  v1::StopExecutionResponse response;
  if (!c.Call(&client::Stub::StopExecution, request, &response)) return 1;
  if (options.json)
    out << DumpCompact(Json{{"executionId", id}, {"stopMs", response.stop_ms()}}) << "\n";
  else
    out << "stopped " << id << "\n";
  return 0;
}

int RemoteExecRedriveCommand(const std::string& id, bool wait, const ClientOptions& options,
                             std::ostream& out, std::ostream& err) {
  client::Connection c("exec redrive", options, err);
  v1::RedriveExecutionRequest request;
  request.set_execution_id(id);
  v1::RedriveExecutionResponse response;
  if (!c.Call(&client::Stub::RedriveExecution, request, &response)) return 1;
  if (wait) return WaitForResult(c, id, out);
  if (options.json)
    out << DumpCompact(Json{{"executionId", id}, {"redriveMs", response.redrive_ms()}}) << "\n";
  else
    out << id << "\n";
  return 0;
}

}  // namespace stepflow::cli
