// The functions Step Functions adds to JSONata (ASL_NOTES §4), as extra
// built-ins for jsonata::EvalOptions::extra_functions:
//
//   $partition(array, size)   chunks of `size` items, the last one shorter;
//                             no size: the whole array as one chunk
//   $range(start, end, step)  start, start+step, ... up to and including end
//   $hash(value, algorithm)   hex digest; MD5, SHA-1, SHA-256, SHA-384, SHA-512
//   $random([seed])           a number in [0, 1); a seed gives the value
//                             Step Functions gives for it (java.util.Random)
//   $uuid()                   a random version 4 UUID
//   $parse(jsonString)        the value of the JSON text
//
// As in Step Functions: number arguments are truncated towards zero; a chunk
// size of 0, an empty array, a $range with no step or a step that points
// away from `end`, and a $hash without an algorithm give undefined (the
// field holding the expression then fails); a bad algorithm, invalid JSON or
// a negative size are D3137 errors with a message; a $range of more than
// kMaxRangeItems numbers fails as Step Functions' memory limit does. A
// $range of one number is that number.
//
// Step Functions removes $eval: kRemovedJsonataFunctions.
//
// Thread-safety: the lists are immutable; the functions keep no state.
#pragma once

#include <span>
#include <string_view>

#include "engine/jsonata/function.h"

namespace stepflow::expr {

inline constexpr size_t kMaxRangeItems = 360'145;

std::span<const jsonata::BuiltinSpec> StepFunctionsJsonataFunctions();

inline constexpr std::string_view kRemovedJsonataFunctionNames[] = {"eval"};
inline constexpr std::span<const std::string_view> kRemovedJsonataFunctions(
    kRemovedJsonataFunctionNames);

}  // namespace stepflow::expr
