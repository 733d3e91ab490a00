// RFC 3339 timestamps as ASL uses them (Wait.Timestamp, Choice Timestamp*
// operators, IsTimestamp): "2016-03-14T01:59:00Z", uppercase 'T' and 'Z',
// optional fractional seconds of any length, or a numeric offset "+02:00".
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace stepflow::expr {

struct Timestamp {
  int64_t seconds = 0;  // since the Unix epoch, UTC
  int32_t nanos = 0;    // 0..999,999,999

  auto operator<=>(const Timestamp&) const = default;

  // nullopt unless `text` is a valid RFC 3339 date-time (calendar-checked:
  // month 1-12, day within the month with leap years, hour 0-23, minute
  // 0-59, second 0-60, offset within ±23:59).
  static std::optional<Timestamp> Parse(std::string_view text);

  // Milliseconds since the epoch (rounded down).
  int64_t ToMillis() const;
  static Timestamp FromMillis(int64_t millis);

  // "2016-03-14T01:59:00.123Z": UTC, milliseconds shown only when non-zero
  // and without trailing zeros, as Step Functions prints them.
  std::string ToString() const;
};

}  // namespace stepflow::expr
