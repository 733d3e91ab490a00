// Shared between the parser's two halves (internal): parser.cc (tokens to
// the unprocessed tree) and parser_post.cc (jsonata-js's processAST).
#pragma once

#include <string>
#include <string_view>

#include "engine/jsonata/ast.h"

namespace stepflow::jsonata::parse_detail {

// jsonata-js's processAST over the unprocessed tree, and its final check
// (S0217 when a '%' is left unresolved at the top). Throws Error.
NodePtr ProcessAst(NodePtr raw);

// The token text jsonata-js puts in messages: a number as JavaScript
// prints it, a regex as JavaScript prints a RegExp (with the g flag
// jsonata-js adds), other nodes their value.
std::string TokenText(const Node& n);
// jsonata-js's `type` string of a node type (S0217 names it as its token).
const char* TypeName(NodeType t);

NodePtr NewNode(NodeType type, std::string value, int position);

// Throw out of line, so the strings and values an Error is built from stay
// out of the recursive functions' frames.
[[noreturn, gnu::noinline, gnu::cold]] void Fail(const char* code, int position,
                                                 std::string_view token = {});
[[noreturn, gnu::noinline, gnu::cold]] void FailWith(const char* code, int position,
                                                     std::string_view token, const Value& value);
[[noreturn, gnu::noinline, gnu::cold]] void FailAt(const char* code, const Node& n);

}  // namespace stepflow::jsonata::parse_detail
