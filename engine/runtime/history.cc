#include "engine/runtime/history.h"

#include <ctime>

#include "engine/runtime/clock.h"

namespace stepflow::runtime {

std::string FormatTimestamp(int64_t ms) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  int millis = static_cast<int>(ms % 1000);
  if (millis < 0) {
    millis += 1000;
    --seconds;
  }
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

std::string DetailsKey(std::string_view type) {
  auto ends_with = [&](std::string_view suffix) {
    return type.size() >= suffix.size() && type.substr(type.size() - suffix.size()) == suffix;
  };
  if (ends_with("StateEntered")) return "stateEnteredEventDetails";
  if (ends_with("StateExited")) return "stateExitedEventDetails";
  std::string key(type);
  if (!key.empty()) key[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(key[0])));
  return key + "EventDetails";
}

Json EventToJson(const store::HistoryEvent& event) {
  Json out = Json::object();
  out["id"] = event.id;
  out["previousEventId"] = event.previous_event_id;
  out["timestamp"] = FormatTimestamp(event.timestamp_ms);
  out["type"] = event.type;
  if (!event.state_path.empty()) out["statePath"] = event.state_path;
  Json details = Json::parse(event.details.empty() ? std::string("{}") : event.details, nullptr,
                             /*allow_exceptions=*/false);
  if (details.is_discarded()) details = Json::object();
  out[DetailsKey(event.type)] = std::move(details);
  return out;
}

std::string ErrorDetails(const std::string& error, const std::optional<std::string>& cause) {
  std::string details = "{";
  if (cause) {
    details += "\"cause\":";
    AppendJsonString(*cause, &details);
  }
  if (!error.empty()) {
    details += cause ? ",\"error\":" : "\"error\":";
    AppendJsonString(error, &details);
  }
  details += "}";
  return details;
}

void AppendJsonString(std::string_view text, std::string* out) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run = 0;  // start of the pending run of characters needing no escape
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 15]);
    }
  }
  out->append(text.data() + run, text.size() - run);
  out->push_back('"');
}

}  // namespace stepflow::runtime
