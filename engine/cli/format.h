// Output shared by the execution verbs: the result line of `run --json`,
// the describe object, history as JSON or a table, and opening the
// database named by --db.
#pragma once

#include <memory>
#include <ostream>
#include <map>
#include <string>
#include <vector>

#include "engine/cli/commands.h"
#include "engine/common/json_util.h"
#include "engine/store/store.h"

namespace stepflow::cli {

// The store for --db: "" = ./stepflow.db (announced on `err`), ":memory:"
// = in memory. With `must_exist`, a missing file is an error instead of a
// new database (the verbs that only read or continue executions). Null
// after printing why it could not be opened.
std::unique_ptr<store::Store> OpenStore(const char* verb, const EngineOptions& options,
                                        std::ostream& err, bool must_exist = false);

// True when --db names a file (not ":memory:") that does not exist: there
// are no executions to list or resume, and none should be created.
bool DatabaseMissing(const EngineOptions& options);

// "" when `text` is JSON. Otherwise what is wrong and where, for an error
// line: "FILE:LINE:COL: the input is not valid JSON: WHAT" when it was read
// from `file`, else "--input is not valid JSON (line L, column C): WHAT".
std::string InputJsonError(const std::string& text, const std::string& file = "",
                           const std::string& flag = "--input");

// {"executionId","status","output"} or {"executionId","status","error","cause"}.
Json ResultJson(const store::ExecutionRecord& r);
// The result for people (several lines) or as one JSON line.
void PrintResult(const store::ExecutionRecord& r, bool json, std::ostream& out);

// {"executionId","stateMachine","name","status","input","output","error",
//  "cause","startTime","stopTime","redriveCount", ..., "parentExecutionId"
//  (for a nested execution)}
Json DescribeJson(const store::ExecutionRecord& r);

// `exec describe`: DescribeJson (plus "childExecutionIds": the executions it
// started, when any) as one JSON line, or its fields for people (one
// "key  value" line each, nulls left out).
void PrintDescribe(const store::ExecutionRecord& r, const std::vector<std::string>& children,
                   bool json, std::ostream& out);

// `exec list`: a JSON array of DescribeJson objects, or a table
// EXECUTION / STATUS / STARTED / STOPPED.
void PrintExecutionList(const std::vector<store::ExecutionRecord>& records, bool json,
                        std::ostream& out);

// `exec history`: a JSON array of runtime::EventToJson objects on one line,
// or PrintHistoryTable.
// What deployed functions wrote during the calls of one execution, by the
// call's idempotency key ("EXECUTION_ID/EVENT_ID" of its TaskScheduled).
using CallLogs = std::map<std::string, std::string>;
// With `logs`, a Task's output is printed under its TaskScheduled row
// (indented "| " lines), or with --json set as that event's "functionLog".
void PrintHistory(const std::vector<store::HistoryEvent>& events, bool json, std::ostream& out,
                  const CallLogs* logs = nullptr, const std::string& execution_id = "");

// History events as a table for people.
void PrintHistoryTable(const std::vector<store::HistoryEvent>& events, std::ostream& out);
// The same table one row at a time, for events that arrive while an
// execution runs (`exec history --follow`): the STEP column is `step_width`
// wide (HistoryStepWidth of the events at hand, or more).
size_t HistoryStepWidth(const std::vector<store::HistoryEvent>& events);
void PrintHistoryHeader(size_t step_width, std::ostream& out);
void PrintHistoryRow(const store::HistoryEvent& e, size_t step_width, std::ostream& out);

}  // namespace stepflow::cli
