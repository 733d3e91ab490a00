// exec start|describe|list|history|stop|redrive, written once against an
// ApiClient (a server, or the engine in this process over --db).
#include <algorithm>

#include "engine/cli/client_api.h"
#include "engine/cli/commands.h"
#include "engine/cli/embedded.h"
#include "engine/cli/format.h"
#include "engine/runtime/history.h"

namespace stepflow::cli {

namespace {

// Input files larger than this are refused here; the API's own payload
// limit (256 KiB by default) is reported by the API.
constexpr size_t kMaxInputFileBytes = 16 * 1024 * 1024;

// The history table's STEP column while following: paths that arrive later
// may be longer than those of the first page.
constexpr size_t kFollowStepWidth = 24;

// A failed call: its error line (exit 1), or nothing more after an
// interruption, which has said what it left (exit 130).
int Failed(ApiClient& api, const Status& status) {
  if (status.reason() == "Interrupted") return kInterruptedExit;
  return api.Fail(status);
}

// Waits for the execution's end (embedded: runs it here) and prints its
// result as `stepflow run` does. 0 SUCCEEDED, 1 another final status.
int PrintEnd(ApiClient& api, const std::string& id, bool json, std::ostream& out) {
  auto record = api.WaitForEnd(id);
  if (!record.ok()) return Failed(api, record.status());
  PrintResult(*record, json, out);
  return record->status == store::kSucceeded ? 0 : 1;
}

}  // namespace

int StartVerb(ApiClient& api, const StartArgs& args, bool json, std::ostream& out) {
  std::ostream& err = api.err();
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
  const std::string file =
      args.input_file ? (*args.input_file == "-" ? "<stdin>" : *args.input_file) : std::string();
  if (std::string why = InputJsonError(input, file); !why.empty()) {
    err << "stepflow exec start: " << why << "\n";
    return 2;
  }
  api::StartRequest request;
  request.machine = args.machine;
  request.version = args.version;
  request.name = args.name;
  request.input = input;
  auto started = api.StartExecution(request);
  if (!started.ok()) return Failed(api, started.status());
  // Embedded, nothing runs the execution once this process exits: it runs
  // here to its end, as with --wait.
  if (args.wait || api.embedded()) {
    if (api.embedded()) {
      err << "stepflow exec start: execution " << started->execution_id << " started" << std::endl;
    }
    return PrintEnd(api, started->execution_id, json, out);
  }
  if (json) {
    out << DumpCompact(Json{{"executionId", started->execution_id},
                            {"startMs", started->start_ms},
                            {"version", started->version},
                            {"alreadyStarted", started->already_started}})
        << "\n";
  } else {
    out << started->execution_id << "\n";
  }
  return 0;
}

int DescribeVerb(ApiClient& api, const std::string& id, bool json, std::ostream& out) {
  auto described = api.DescribeExecution(id);
  if (!described.ok()) return Failed(api, described.status());
  PrintDescribe(described->record, described->children, json, out);
  return 0;
}

int ListVerb(ApiClient& api, const ListArgs& args, bool json, std::ostream& out) {
  api::ExecutionQuery query;
  query.machine = args.machine;
  query.status = args.status;
  query.page = {args.max_results, args.next_token};
  query.newest_first = !args.oldest_first;
  std::vector<store::ExecutionRecord> records;
  for (;;) {
    auto page = api.ListExecutions(query);
    if (!page.ok()) return Failed(api, page.status());
    for (auto& r : page->items) records.push_back(std::move(r));
    if (args.max_results > 0) {  // one page, as asked
      if (!page->next_token.empty()) {
        api.err() << "stepflow exec list: more results: --next-token " << page->next_token << "\n";
      }
      break;
    }
    // An API that repeats its token would loop forever: stop instead.
    if (page->next_token.empty() || page->next_token == query.page.next_token) break;
    query.page.next_token = page->next_token;
  }
  if (!json) {
    PrintExecutionList(records, false, out);
    return 0;
  }
  // The list leaves input out: null, not the "" DescribeJson would make of it.
  Json arr = Json::array();
  for (const auto& r : records) {
    Json j = DescribeJson(r);
    if (r.input.empty()) j["input"] = nullptr;
    arr.push_back(std::move(j));
  }
  out << DumpCompact(arr) << "\n";
  return 0;
}

int HistoryVerb(ApiClient& api, const HistoryArgs& args, bool json, std::ostream& out) {
  if (args.follow && args.reverse) {
    api.err() << "stepflow exec history: --follow and --reverse cannot be used together\n";
    return 2;
  }
  if (args.follow) {
    bool header = false;
    size_t step_width = kFollowStepWidth;
    auto on_events = [&](const std::vector<store::HistoryEvent>& events) {
      if (json) {
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
    Status st = api.FollowHistory(args.id, on_events);
    if (!st.ok()) return Failed(api, st);
    if (!header && !json) PrintHistoryHeader(step_width, out);
    return 0;
  }

  api::HistoryQuery query;
  query.execution_id = args.id;
  query.max_results = args.max_results;
  query.next_token = args.next_token;
  query.reverse = args.reverse;
  std::vector<store::HistoryEvent> events;
  for (;;) {
    auto page = api.GetHistory(query);
    if (!page.ok()) return Failed(api, page.status());
    for (auto& e : page->items) events.push_back(std::move(e));
    if (args.max_results > 0) {  // one page, as asked
      if (!page->next_token.empty()) {
        api.err() << "stepflow exec history: more events: --next-token " << page->next_token
                  << "\n";
      }
      break;
    }
    if (page->next_token.empty() || page->next_token == query.next_token) break;
    query.next_token = page->next_token;
  }
  CallLogMap call_logs;
  if (args.logs) {
    auto logs = api.GetCallLogs(args.id);
    if (!logs.ok()) return Failed(api, logs.status());
    call_logs = std::move(*logs);
  }
  PrintHistory(events, json, out, args.logs ? &call_logs : nullptr, args.id);
  return 0;
}

int StopVerb(ApiClient& api, const std::string& id, const std::string& error,
             const std::optional<std::string>& cause, bool json, std::ostream& out) {
  auto stopped = api.StopExecution(id, error, cause);
  if (!stopped.ok()) return Failed(api, stopped.status());
  if (json) {
    out << DumpCompact(Json{{"executionId", id}, {"stopMs", *stopped}}) << "\n";
  } else {
    out << "stopped " << id << "\n";
  }
  return 0;
}

int RedriveVerb(ApiClient& api, const std::string& id, bool wait, bool json, std::ostream& out) {
  auto redriven = api.RedriveExecution(id);
  if (!redriven.ok()) return Failed(api, redriven.status());
  if (wait || api.embedded()) return PrintEnd(api, id, json, out);
  if (json) {
    out << DumpCompact(Json{{"executionId", id}, {"redriveMs", *redriven}}) << "\n";
  } else {
    out << id << "\n";
  }
  return 0;
}

// ------------------------------------------------- the commands, by mode

namespace {

template <typename Verb>
int Remote(const char* verb, const ClientOptions& options, std::ostream& err, Verb&& run) {
  auto api = ConnectRemote(verb, options, err);
  return run(*api);
}

template <typename Verb>
int Local(const char* verb, const EngineOptions& options, LocalAccess access, std::ostream& err,
          Verb&& run) {
  auto api = OpenLocal(verb, options, access, err);
  if (!api) return 2;
  return run(*api);
}

}  // namespace

int ExecStartCommand(const StartArgs& args, const ClientOptions& options, std::ostream& out,
                     std::ostream& err) {
  return Remote("exec start", options, err,
                [&](ApiClient& api) { return StartVerb(api, args, options.json, out); });
}

int RemoteExecDescribeCommand(const std::string& id, const ClientOptions& options,
                              std::ostream& out, std::ostream& err) {
  return Remote("exec describe", options, err,
                [&](ApiClient& api) { return DescribeVerb(api, id, options.json, out); });
}

int RemoteExecListCommand(const std::string& machine, const std::string& status,
                          int32_t max_results, const std::string& next_token,
                          const ClientOptions& options, std::ostream& out, std::ostream& err,
                          bool oldest_first) {
  ListArgs args{machine, status, max_results, next_token, oldest_first};
  return Remote("exec list", options, err,
                [&](ApiClient& api) { return ListVerb(api, args, options.json, out); });
}

int RemoteExecHistoryCommand(const HistoryArgs& args, const ClientOptions& options,
                             std::ostream& out, std::ostream& err) {
  return Remote("exec history", options, err,
                [&](ApiClient& api) { return HistoryVerb(api, args, options.json, out); });
}

int ExecStopCommand(const std::string& id, const std::string& error,
                    const std::optional<std::string>& cause, const ClientOptions& options,
                    std::ostream& out, std::ostream& err) {
  return Remote("exec stop", options, err,
                [&](ApiClient& api) { return StopVerb(api, id, error, cause, options.json, out); });
}

int RemoteExecRedriveCommand(const std::string& id, bool wait, const ClientOptions& options,
                             std::ostream& out, std::ostream& err) {
  return Remote("exec redrive", options, err,
                [&](ApiClient& api) { return RedriveVerb(api, id, wait, options.json, out); });
}

int ExecDescribeCommand(const std::string& id, const EngineOptions& options, std::ostream& out,
                        std::ostream& err) {
  return Local("exec describe", options, LocalAccess::kRead, err,
               [&](ApiClient& api) { return DescribeVerb(api, id, options.json, out); });
}

int ExecHistoryCommand(const std::string& id, const EngineOptions& options, bool reverse, bool logs,
                       std::ostream& out, std::ostream& err) {
  HistoryArgs args;
  args.id = id;
  args.reverse = reverse;
  args.logs = logs;
  return Local("exec history", options, LocalAccess::kRead, err,
               [&](ApiClient& api) { return HistoryVerb(api, args, options.json, out); });
}

int ExecListCommand(const std::string& machine, const std::string& status,
                    const EngineOptions& options, std::ostream& out, std::ostream& err) {
  ListArgs args{machine, status, 0, "", false};
  return Local("exec list", options, LocalAccess::kRead, err,
               [&](ApiClient& api) { return ListVerb(api, args, options.json, out); });
}

int ExecRedriveCommand(const std::string& id, const EngineOptions& options, std::ostream& out,
                       std::ostream& err) {
  return Local("exec redrive", options, LocalAccess::kWrite, err,
               [&](ApiClient& api) { return RedriveVerb(api, id, true, options.json, out); });
}

int LocalExecStopCommand(const std::string& id, const std::string& error,
                         const std::optional<std::string>& cause, const EngineOptions& options,
                         std::ostream& out, std::ostream& err) {
  return Local("exec stop", options, LocalAccess::kStop, err,
               [&](ApiClient& api) { return StopVerb(api, id, error, cause, options.json, out); });
}

}  // namespace stepflow::cli
