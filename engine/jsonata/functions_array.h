// Internal to the array/object/higher-order function files
// (functions_array.cc, functions_object.cc, functions_hof.cc): the
// registration lists each file contributes to ArrayFunctions() and the
// helpers they share. Not part of the module's interface.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "engine/jsonata/function.h"

namespace stepflow::jsonata::array_internal {

std::span<const BuiltinSpec> ObjectFunctions();  // functions_object.cc
std::span<const BuiltinSpec> HofFunctions();     // functions_hof.cc

// The argument at `i`, undefined when the call supplied fewer.
inline Value Arg(std::span<const Value> args, size_t i) {
  return i < args.size() ? args[i] : Value();
}

// `v` as an array: a non-array becomes a singleton (as the signature's
// `a` already does; this guards direct calls).
inline Value AsArray(const Value& v) {
  return v.IsArray() || v.IsUndefined() ? v : Value::NewArray({v});
}

// A new owned array with the `sequence` flag set.
Value NewSequence();

// Throws `code` at the current call with {{index}} and, when given, the
// message (D3137/D3141 carry the user's text).
[[noreturn]] void Raise(CallContext& ctx, const char* code, int index = 0,
                        std::string message = {});

}  // namespace stepflow::jsonata::array_internal
