// Internal helpers shared by the JSON and YAML readers.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/asl/diagnostic.h"
#include "engine/common/json_util.h"

namespace stepflow::asl::internal {

// A JSON number token ("-12", "1.5e3", "18446744073709551616") as nlohmann
// would read it: int64 when it fits, else uint64, else double. nullopt when
// the token is not a JSON number or overflows a double.
std::optional<Json> ParseNumberToken(std::string_view token);

Diagnostic MakeError(std::string code, std::string pointer, int line, int column,
                     std::string message);

}  // namespace stepflow::asl::internal
