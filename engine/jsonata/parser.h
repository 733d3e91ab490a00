// The JSONata 2.0.6 parser: text to the processed syntax tree (ast.h),
// with jsonata-js's error codes.
//
// Errors: Parse throws Error (error.h) with jsonata-js's S0xxx code, the
// position (UTF-16 offset as jsonata-js counts it) and the token:
//   S0101-S0106 tokenizer (strings, numbers, backquoted names, comments),
//   S0201-S0217 syntax and the post-pass (paths, predicates, %),
//   S0301/S0302 regex literals, S0401/S0402 lambda signatures,
//   S0218 (ours, not jsonata-js's): the expression nests deeper than
//   kMaxNestingDepth levels (parentheses, operands, a chain of operators),
//   so that no input can exhaust the native stack.
// No other exception escapes. Parsing time is linear in the text's length.
//
// Thread-safety: Parse is reentrant; the returned tree is not shared.
#pragma once

#include <memory>
#include <string_view>

#include "engine/jsonata/ast.h"
#include "engine/jsonata/error.h"

namespace stepflow::jsonata {

// Parses text into the processed AST; throws Error (S0xxx codes, position,
// token) on bad input.
std::unique_ptr<Node> Parse(std::string_view text);

}  // namespace stepflow::jsonata
