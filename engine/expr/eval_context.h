// What an expression may read besides its input: the Context Object ($$),
// the state machine's variables ($name) and a source of randomness (for
// States.UUID and unseeded States.MathRandom). Owned by the caller; an
// EvalContext only points at data that outlives the evaluation.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "engine/common/json_util.h"

namespace stepflow::expr {

// One scope of variables: a JSON object of name → value, plus the enclosing
// scope (Parallel branches and Map iterations read their parent's variables).
struct VariableScope {
  const Json* vars = nullptr;  // an object, or nullptr for none
  const VariableScope* parent = nullptr;

  // The innermost value named `name`, or nullptr.
  const Json* Find(std::string_view name) const;
};

struct EvalContext {
  const Json* context = nullptr;             // the Context Object; nullptr = {}
  const VariableScope* variables = nullptr;  // nullptr = no variables
  // Uniform 64-bit random numbers; empty = a thread-local generator seeded
  // from std::random_device. Tests inject a fixed sequence here.
  std::function<uint64_t()> random;

  uint64_t NextRandom() const;
};

}  // namespace stepflow::expr
