#include "engine/cli/format.h"

#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <sstream>

#include "engine/runtime/clock.h"
#include "engine/runtime/history.h"
#include "engine/store/memory_store.h"
#include "engine/store/sqlite_store.h"

namespace stepflow::cli {

namespace {

Json ParseOrString(const std::string& text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return text;
  return j;
}

std::string Shorten(std::string s, size_t max) {
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (s.size() > max) {
    s.resize(max - 3);
    s += "...";
  }
  return s;
}

// The one detail worth a column in the history table.
std::string Summary(const store::HistoryEvent& e) {
  Json d = Json::parse(e.details, nullptr, false);
  if (!d.is_object()) return "";
  std::string s;
  if (d.contains("error")) {
    s = d["error"].get<std::string>();
    if (d.contains("cause") && d["cause"].is_string()) s += ": " + d["cause"].get<std::string>();
    return s;
  }
  for (const char* key : {"output", "input", "parameters"}) {
    if (d.contains(key) && d[key].is_string())
      return std::string(key) + " " + d[key].get<std::string>();
  }
  if (d.contains("index")) return "index " + DumpCompact(d["index"]);
  if (d.contains("length")) return "length " + DumpCompact(d["length"]);
  if (d.contains("redriveCount")) return "redriveCount " + DumpCompact(d["redriveCount"]);
  if (d.contains("workerName") && d["workerName"].is_string())
    return "worker " + d["workerName"].get<std::string>();
  return "";
}

}  // namespace

std::unique_ptr<store::Store> OpenStore(const char* verb, const EngineOptions& o, std::ostream& err,
                                        bool must_exist) {
  if (o.db == ":memory:") return store::NewMemoryStore();
  std::string path = o.db;
  if (path.empty()) {
    path = "stepflow.db";
    if (!must_exist) {
      err << "stepflow " << verb << ": executions are kept in ./stepflow.db (--db to choose)\n";
    }
  }
  if (must_exist && !std::filesystem::exists(path)) {
    err << "stepflow " << verb << ": no database at " << path
        << " (executions are kept where `stepflow run --db` put them)\n";
    return nullptr;
  }
  store::SqliteOptions so;
  so.durability = o.durability == "normal" ? store::SqliteOptions::Durability::kNormal
                                           : store::SqliteOptions::Durability::kFull;
  auto opened = store::OpenSqliteStore(path, so);
  if (!opened.ok()) {
    err << "stepflow " << verb << ": " << opened.status().message() << "\n";
    return nullptr;
  }
  return std::move(opened).value();
}

std::string InputJsonError(const std::string& text, const std::string& file,
                           const std::string& flag) {
  if (Json::accept(text)) return "";
  std::string what = "not JSON";
  size_t byte = 0;
  try {
    Json parsed = Json::parse(text);
  } catch (const Json::parse_error& e) {
    byte = e.byte;
    what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: WHAT"
    if (size_t at = what.find("column "); at != std::string::npos) {
      if (size_t colon = what.find(": ", at); colon != std::string::npos) {
        what = what.substr(colon + 2);
      }
    }
  } catch (const std::exception& e) {
    what = e.what();
  }
  // e.byte counts the bytes read, the offending one included.
  size_t line = 1, column = 1;
  const size_t end = std::min(byte > 0 ? byte - 1 : 0, text.size());
  for (size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) what = "it is empty";
  if (!file.empty()) {
    return file + ":" + std::to_string(line) + ":" + std::to_string(column) +
           ": the input is not valid JSON: " + what;
  }
  return flag + " is not valid JSON (line " + std::to_string(line) + ", column " +
         std::to_string(column) + "): " + what;
}

bool DatabaseMissing(const EngineOptions& o) {
  if (o.db == ":memory:") return false;
  return !std::filesystem::exists(o.db.empty() ? std::string("stepflow.db") : o.db);
}

Json ResultJson(const store::ExecutionRecord& r) {
  Json j = Json::object();
  j["executionId"] = r.id;
  j["status"] = r.status;
  if (r.status == store::kSucceeded) {
    j["output"] = r.output ? ParseOrString(*r.output) : Json();
  } else if (r.status != store::kRunning) {
    j["error"] = r.error ? Json(*r.error) : Json();
    j["cause"] = r.cause && !r.cause->empty() ? Json(*r.cause) : Json();
  }
  return j;
}

void PrintResult(const store::ExecutionRecord& r, bool json, std::ostream& out) {
  if (json) {
    out << DumpCompact(ResultJson(r)) << "\n";
    return;
  }
  out << "execution  " << r.id << "\n";
  out << "status     " << r.status << "\n";
  if (r.output) out << "output     " << *r.output << "\n";
  if (r.error) out << "error      " << *r.error << "\n";
  if (r.cause && !r.cause->empty()) out << "cause      " << *r.cause << "\n";
}

Json DescribeJson(const store::ExecutionRecord& r) {
  Json j = Json::object();
  j["executionId"] = r.id;
  j["stateMachine"] = r.machine;
  j["stateMachineVersion"] = r.version;
  j["name"] = r.name;
  j["status"] = r.status;
  j["input"] = ParseOrString(r.input);
  j["output"] = r.output ? ParseOrString(*r.output) : Json();
  j["error"] = r.error ? Json(*r.error) : Json();
  j["cause"] = r.cause && !r.cause->empty() ? Json(*r.cause) : Json();
  j["startTime"] = runtime::FormatTimestamp(r.start_ms);
  j["stopTime"] = r.stop_ms ? Json(runtime::FormatTimestamp(*r.stop_ms)) : Json();
  j["redriveCount"] = r.redrive_count;
  if (r.redrive_ms) j["redriveDate"] = runtime::FormatTimestamp(*r.redrive_ms);
  j["redriveStatus"] =
      r.status == store::kFailed || r.status == store::kTimedOut || r.status == store::kAborted
          ? "REDRIVABLE"
          : "NOT_REDRIVABLE";
  if (!r.parent_id.empty()) j["parentExecutionId"] = r.parent_id;
  return j;
}

void PrintDescribe(const store::ExecutionRecord& r, const std::vector<std::string>& children,
                   bool json, std::ostream& out) {
  Json j = DescribeJson(r);
  if (!children.empty()) j["childExecutionIds"] = children;
  if (json) {
    out << DumpCompact(j) << "\n";
    return;
  }
  for (const char* key : {"executionId", "stateMachine", "name", "status", "startTime", "stopTime",
                          "redriveCount", "input", "output", "error", "cause",
                          "parentExecutionId", "childExecutionIds"}) {
    if (!j.contains(key) || j[key].is_null()) continue;
    out << std::left << std::setw(14) << key
        << (j[key].is_string() ? j[key].get<std::string>() : DumpCompact(j[key])) << "\n";
  }
}

void PrintExecutionList(const std::vector<store::ExecutionRecord>& records, bool json,
                        std::ostream& out) {
  if (json) {
    Json arr = Json::array();
    for (const auto& r : records) arr.push_back(DescribeJson(r));
    out << DumpCompact(arr) << "\n";
    return;
  }
  out << std::left << std::setw(60) << "EXECUTION" << std::setw(11) << "STATUS" << std::setw(26)
      << "STARTED"
      << "STOPPED\n";
  for (const auto& r : records) {
    out << std::left << std::setw(60) << r.id << std::setw(11) << r.status << std::setw(26)
        << runtime::FormatTimestamp(r.start_ms)
        << (r.stop_ms ? runtime::FormatTimestamp(*r.stop_ms) : std::string("-")) << "\n";
  }
}

size_t HistoryStepWidth(const std::vector<store::HistoryEvent>& events) {
  size_t step_width = 6;
  for (const auto& e : events) step_width = std::max(step_width, e.state_path.size() + 2);
  return std::min<size_t>(step_width, 48);
}

void PrintHistoryHeader(size_t step_width, std::ostream& out) {
  out << std::left << std::setw(6) << "ID" << std::setw(26) << "TIMESTAMP" << std::setw(28)
      << "TYPE" << std::setw(static_cast<int>(step_width)) << "STEP"
      << "DETAIL\n";
}

void PrintHistoryRow(const store::HistoryEvent& e, size_t step_width, std::ostream& out) {
  out << std::left << std::setw(6) << e.id << std::setw(26)
      << runtime::FormatTimestamp(e.timestamp_ms) << std::setw(28) << e.type
      << std::setw(static_cast<int>(step_width)) << Shorten(e.state_path, step_width - 1)
      << Shorten(Summary(e), 70) << "\n";
}

void PrintHistory(const std::vector<store::HistoryEvent>& events, bool json, std::ostream& out,
                  const CallLogs* logs, const std::string& execution_id) {
  auto log_of = [&](const store::HistoryEvent& e) -> const std::string* {
    if (!logs || e.type != "TaskScheduled") return nullptr;
    auto it = logs->find(execution_id + "/" + std::to_string(e.id));
    return it == logs->end() ? nullptr : &it->second;
  };
  if (!json) {
    const size_t step_width = HistoryStepWidth(events);
    PrintHistoryHeader(step_width, out);
    for (const auto& e : events) {
      PrintHistoryRow(e, step_width, out);
      if (const std::string* text = log_of(e)) {
        std::istringstream lines(*text);
        std::string line;
        while (std::getline(lines, line)) out << "      | " << line << "\n";
      }
    }
    return;
  }
  Json list = Json::array();
  for (const auto& e : events) {
    Json j = runtime::EventToJson(e);
    if (const std::string* text = log_of(e)) j["functionLog"] = *text;
    list.push_back(std::move(j));
  }
  out << DumpCompact(list) << "\n";
}

void PrintHistoryTable(const std::vector<store::HistoryEvent>& events, std::ostream& out) {
  size_t step_width = HistoryStepWidth(events);
  PrintHistoryHeader(step_width, out);
  for (const auto& e : events) PrintHistoryRow(e, step_width, out);
}

}  // namespace stepflow::cli
