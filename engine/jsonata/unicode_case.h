// Case conversion with JavaScript's semantics (String.prototype.toUpperCase
// and toLowerCase: full Unicode mappings, including one-to-many ones such as
// "ß" -> "SS" and the final-sigma rule), for $uppercase and $lowercase.
// Input and output are UTF-8; lone surrogates (WTF-8) pass through.
#pragma once

#include <string>
#include <string_view>

namespace stepflow::jsonata {

std::string JsToUpperCase(std::string_view s);
std::string JsToLowerCase(std::string_view s);

}  // namespace stepflow::jsonata
