// Function signatures in jsonata-js's syntax, e.g. "<s-nn?:s>": what a
// function accepts, checked (and coerced) before every call of a built-in or
// of a lambda that declares one.
//
// Parameter types: b boolean, n number, s string, l null, a array, o object,
// f function, j any JSON value, x anything; (sao) a choice; a<n> / f<n:n>
// a subtype. Modifiers after a type: `?` optional, `+` one or more, `-` take
// the context value when the argument is missing. The return type after ':'
// is not checked (as in jsonata-js).
//
// Validation follows jsonata-js's signature.js exactly: undefined arguments
// match every type but `f`; an `a` parameter given a single value receives it
// wrapped in an array; a missing `-` parameter receives the context value
// (T0411 when its type does not fit); a mismatch is T0410 naming the first
// argument that fails; a<x> checks that all items share the subtype's type
// (T0412). (jsonata-js 2.0.6 hands a `+` parameter of a type other than `a`
// its first argument repeated; here each argument is passed as given.)
//
// Thread-safety: a parsed Signature is immutable.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/jsonata/value.h"

namespace stepflow::jsonata {

class Signature {
 public:
  // Parses `text` (with its angle brackets). Throws Error S0401 (a type
  // parameter on a type other than a/f) or S0402 (a choice containing a
  // parameterised type); the error's position is the offset of the offending
  // character within `text` (jsonata-js's `offset`: the parser adds the
  // position of the signature's '<').
  static std::shared_ptr<const Signature> Parse(std::string_view text);

  // Checks `args` against the signature and returns the arguments the
  // function receives: one per parameter (undefined where an optional one is
  // missing), more for a `+` parameter. `context` is the context value used
  // for `-` parameters. Throws Error T0410 / T0411 / T0412 with `index` set
  // and without position or token (the caller adds the function's).
  std::vector<Value> Validate(std::span<const Value> args, const Value& context) const;

  // The text it was parsed from.
  const std::string& definition() const { return definition_; }
  // The number of declared parameters.
  size_t param_count() const { return params_.size(); }

  // The type symbol of a value as signatures see it: one of "asnblfom"
  // (m = undefined, "missing").
  static char SymbolOf(const Value& v);

 private:
  struct Param {
    uint16_t mask = 0;          // accepted symbols (bit per "asnblfom")
    uint16_t context_mask = 0;  // the mask before `-` made it optional
    char type = 0;              // 's', 'a', ..., '(' for a choice
    bool context = false;
    bool optional = false;
    bool one_or_more = false;
    bool lazy = false;           // a quantifier followed by '?' (regex semantics)
    std::string subtype;         // a<...> / f<...>
  };

  // Matches params_[0, count) against the symbol string `syms` from its
  // start, trying alternatives in the order a backtracking regex would.
  // Returns the end of the first match (only whole-string matches when
  // `anchored`), or -1; `counts` receives how many symbols each parameter took.
  long Match(std::string_view syms, size_t count, bool anchored,
             std::vector<uint32_t>* counts) const;
  [[noreturn]] void ThrowMismatch(std::span<const Value> args, std::string_view syms) const;

  std::string definition_;
  std::vector<Param> params_;
};

}  // namespace stepflow::jsonata
