// JSONata errors: a code (S0xxx parse, T0xxx/T1xxx/T2xxx type, D1xxx-D3xxx
// dynamic, U1001 runaway), the character position in the expression, the
// token and the values the message names. Thrown inside this module only;
// the public API (jsonata.h) returns it as data.
#pragma once

#include <exception>
#include <optional>
#include <string>

#include "engine/jsonata/value.h"

namespace stepflow::jsonata {

struct Error : std::exception {
  std::string code;      // "T2001"
  int position = -1;     // 1-based character offset as jsonata-js reports it; -1 unknown
  std::string token;     // the token or function name the error is about
  Value value;           // what the message template calls {{value}}
  Value value2;          // {{value2}}
  int index = 0;         // {{index}} (argument number), 0 when none
  std::string message;   // filled by Error::Fill from the code's template when empty

  Error() = default;
  explicit Error(std::string c, int pos = -1, std::string tok = {})
      : code(std::move(c)), position(pos), token(std::move(tok)) {}
  const char* what() const noexcept override { return message.c_str(); }
  // Renders `message` from the template of `code` (jsonata-js's texts).
  void Fill();
};

// Throws Error{code, position, token} with the message filled in.
[[noreturn]] void Throw(std::string code, int position = -1, std::string token = {},
                        Value value = {}, Value value2 = {});

}  // namespace stepflow::jsonata
