#include "engine/cli/format_log.h"

#include <spdlog/async.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "engine/runtime/clock.h"

namespace stepflow::cli {
namespace {

// A message with fields is "\x1e" FIELDS-JSON "\x1e" TEXT (LogMessage).
constexpr char kFieldsMark = '\x1e';

// Splits a payload into its fields ("" when none) and its text.
void SplitPayload(std::string_view payload, std::string_view* fields, std::string_view* text) {
  *fields = {};
  *text = payload;
  if (payload.empty() || payload.front() != kFieldsMark) return;
  const size_t end = payload.find(kFieldsMark, 1);
  if (end == std::string_view::npos) return;
  *fields = payload.substr(1, end - 1);
  *text = payload.substr(end + 1);
}

// Text for people: the pattern of the server's log, fields left out.
class TextFormatter final : public spdlog::formatter {
 public:
  TextFormatter()
      : pattern_(std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v",
                                                             spdlog::pattern_time_type::utc)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string_view fields, text;
    SplitPayload(std::string_view(msg.payload.data(), msg.payload.size()), &fields, &text);
    spdlog::details::log_msg shown = msg;
    shown.payload = spdlog::string_view_t(text.data(), text.size());
    pattern_->format(shown, dest);
    msg.color_range_start = shown.color_range_start;  // the colour sink reads them from msg
    msg.color_range_end = shown.color_range_end;
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<TextFormatter>();
  }

 private:
  std::unique_ptr<spdlog::pattern_formatter> pattern_;
};

// One JSON object per line: time, level, message, then the fields (spliced
// in as LogMessage dumped them: no parse on the way out).
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string_view fields, text;
    SplitPayload(std::string_view(msg.payload.data(), msg.payload.size()), &fields, &text);
    const int64_t ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch())
            .count();
    const auto level = spdlog::level::to_string_view(msg.level);
    std::string out = "{\"time\":\"" + runtime::FormatTimestamp(ms) + "\",\"level\":\"" +
                      std::string(level.data(), level.size()) + "\",\"message\":" +
                      Json(std::string(text)).dump(-1, ' ', false, Json::error_handler_t::replace);
    // `fields` is a dumped object: "{...}", "{}" when empty.
    if (fields.size() > 2 && fields.front() == '{' && fields.back() == '}') {
      out += ',';
      out.append(fields.substr(1, fields.size() - 2));
    }
    out += "}\n";
    dest.append(out.data(), out.data() + out.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

bool Closing(const std::string& type) {
  return type == "ExecutionSucceeded" || type == "ExecutionFailed" || type == "ExecutionTimedOut" ||
         type == "ExecutionAborted";
}

std::string Seconds(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ms) / 1000.0);
  return buf;
}

std::string Shortened(std::string text, size_t max) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (text.size() > max) text = text.substr(0, max - 3) + "...";
  return text;
}

}  // namespace

std::shared_ptr<spdlog::logger> MakeServerLogger(const std::string& level,
                                                 const std::string& format) {
  // Lines are formatted and written on a thread of their own: the engine's
  // loop, which logs every execution's start and end, only queues them.
  spdlog::init_thread_pool(32768, 1);
  spdlog::sink_ptr sink;
  if (format == "json") {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    sink->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    sink->set_formatter(std::make_unique<TextFormatter>());
  }
  auto log = std::make_shared<spdlog::async_logger>("stepflow", std::move(sink),
                                                    spdlog::thread_pool(),
                                                    spdlog::async_overflow_policy::block);
  log->set_level(spdlog::level::from_str(level));
  spdlog::register_logger(log);
  return log;
}

void StopServerLogger() { spdlog::shutdown(); }

std::string LogMessage(const std::string& text, const Json& fields) {
  return std::string(1, kFieldsMark) + DumpCompact(fields) + kFieldsMark + text;
}

Status ExecutionLogStore::Commit(const std::vector<store::StepCommit>& steps) {
  Status st = ForwardingStore::Commit(steps);
  if (!st.ok() || !log_->should_log(spdlog::level::info)) return st;
  const bool debug = log_->should_log(spdlog::level::debug);
  for (const store::StepCommit& step : steps) LogStep(step, debug);
  return st;
}

void ExecutionLogStore::LogStep(const store::StepCommit& step, bool debug) {
  const store::ExecutionRecord& x = step.execution;
  for (const store::HistoryEvent& e : step.events) {
    if (e.type == "ExecutionStarted") {
      Json fields = {
          {"event", e.type}, {"executionId", x.id}, {"machine", x.machine}, {"version", x.version}};
      std::string text = "execution " + x.id + " started (machine " + x.machine + " version " +
                         std::to_string(x.version);
      if (!x.parent_id.empty()) {
        fields["parentExecutionId"] = x.parent_id;
        text += ", started by " + x.parent_id;
      }
      log_->info(LogMessage(text + ")", fields));
    } else if (e.type == "ExecutionRedriven") {
      log_->info(LogMessage("execution " + x.id + " redriven (machine " + x.machine + ", redrive " +
                                std::to_string(x.redrive_count) + ")",
                            {{"event", e.type},
                             {"executionId", x.id},
                             {"machine", x.machine},
                             {"redriveCount", x.redrive_count}}));
    } else if (Closing(e.type)) {
      const int64_t since = x.redrive_ms.value_or(x.start_ms);
      const int64_t duration = std::max<int64_t>(0, e.timestamp_ms - since);
      Json fields = {{"event", e.type},
                     {"executionId", x.id},
                     {"machine", x.machine},
                     {"status", x.status},
                     {"durationMs", duration}};
      std::string text = "execution " + x.id + " " + x.status + " in " + Seconds(duration) +
                         " s (machine " + x.machine + ")";
      if (x.error) {
        fields["error"] = *x.error;
        text += ": " + *x.error;
      }
      if (x.cause && !x.cause->empty()) {
        fields["cause"] = *x.cause;
        text += ": " + Shortened(*x.cause, 200);
      }
      log_->info(LogMessage(text, fields));
    } else if (debug) {
      Json fields = {
          {"event", e.type}, {"executionId", x.id}, {"machine", x.machine}, {"eventId", e.id}};
      std::string text = "execution " + x.id + ": " + e.type;
      if (!e.state_path.empty()) {
        fields["state"] = e.state_path;
        text += " " + e.state_path;
      }
      log_->debug(LogMessage(text, fields));
    }
  }
}

}  // namespace stepflow::cli
