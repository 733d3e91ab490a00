#include "engine/runtime/history.h"

#include <cstdint>
#include <cstring>

#include "engine/runtime/clock.h"

namespace stepflow::runtime {

// Without gmtime/snprintf: every history event read through the API is
// formatted, and the libc pair was the largest cost of a history page.
// Civil date from days since 1970-01-01 (H. Hinnant's algorithm, proleptic
// Gregorian, valid for any int64 day count that fits a year in int).
std::string FormatTimestamp(int64_t ms) {
  int64_t days = ms / 86'400'000;
  int64_t rem = ms % 86'400'000;
  if (rem < 0) {
    rem += 86'400'000;
    --days;
  }
  const int64_t z = days + 719'468;
  const int64_t era = (z >= 0 ? z : z - 146'096) / 146'097;
  const int64_t doe = z - era * 146'097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36'524 - doe / 146'096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 0 || year > 9999) return "0000-01-01T00:00:00.000Z";  // outside RFC 3339
  char buf[25] = "0000-00-00T00:00:00.000Z";
  auto put = [&buf](int at, int64_t value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10)
      buf[at + i] = static_cast<char>('0' + value % 10);
  };
  put(0, year, 4);
  put(5, month, 2);
  put(8, day, 2);
  put(11, rem / 3'600'000, 2);
  put(14, rem / 60'000 % 60, 2);
  put(17, rem / 1000 % 60, 2);
  put(20, rem % 1000, 3);
  return std::string(buf, 24);
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

namespace {

// Bytes each byte takes inside a JSON string: 1, 2 (\" \\ \n ...) or 6 (\u00XX).
struct EscapeWidths {
  uint8_t width[256];
  constexpr EscapeWidths() : width{} {
    for (int c = 0; c < 256; ++c) width[c] = c < 0x20 ? 6 : 1;
    for (int c : {'"', '\\', '\n', '\r', '\t', '\b', '\f'}) width[c] = 2;
  }
};
constexpr EscapeWidths kEscape;

}  // namespace

// Event details quote whole documents (a state's input and output), so this
// runs over most bytes the engine writes: one pass to size the result, one
// to fill it, no reallocation on the way.
void AppendJsonString(std::string_view text, std::string* out) {
  static const char kHex[] = "0123456789abcdef";
  size_t needed = 2;
  for (unsigned char c : text) needed += kEscape.width[c];
  const size_t start = out->size();
  out->resize(start + needed);
  char* p = out->data() + start;
  *p++ = '"';
  if (needed == text.size() + 2) {
    std::memcpy(p, text.data(), text.size());
    p += text.size();
  } else {
    for (unsigned char c : text) {
      switch (kEscape.width[c]) {
        case 1:
          *p++ = static_cast<char>(c);
          break;
        case 2:
          *p++ = '\\';
          *p++ = c == '"' ? '"' : c == '\\' ? '\\' : c == '\n' ? 'n' : c == '\r' ? 'r'
                 : c == '\t' ? 't' : c == '\b' ? 'b' : 'f';
          break;
        default:
          *p++ = '\\';
          *p++ = 'u';
          *p++ = '0';
          *p++ = '0';
          *p++ = kHex[c >> 4];
          *p++ = kHex[c & 15];
      }
    }
  }
  *p = '"';
}

}  // namespace stepflow::runtime
