// Helpers shared by the triggers tests.
#pragma once

#include <cstdint>
#include <string>

#include "engine/triggers/timezone.h"

namespace stepflow::triggers::tz_testing {

// "2024-03-31T01:00:00" read as UTC: Unix seconds.
inline int64_t Z(const std::string& iso) {
  LocalTime t;
  t.year = std::stoi(iso.substr(0, 4));
  t.month = std::stoi(iso.substr(5, 2));
  t.day = std::stoi(iso.substr(8, 2));
  t.hour = std::stoi(iso.substr(11, 2));
  t.minute = std::stoi(iso.substr(14, 2));
  t.second = std::stoi(iso.substr(17, 2));
  return SecondsFromCivil(t);
}

}  // namespace stepflow::triggers::tz_testing
