// Failed CHECKs print nlohmann::json values as compact JSON text.
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

namespace Catch {
template <>
struct StringMaker<nlohmann::json> {
  static std::string convert(const nlohmann::json& j) { return j.dump(); }
};
}  // namespace Catch
