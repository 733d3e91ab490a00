// The JSONata syntax tree, as jsonata-js 2.0.6's parser returns it after
// its `processAST` post-pass (the tree jsonata.js evaluates). Parse()
// (parser.h) builds it; the tree owns its children through std::unique_ptr
// (Parse returns std::unique_ptr<Node>) and is never shared between nodes,
// except the parent-operator Slots, which several nodes point at.
//
// One struct Node for every kind; which fields a kind uses is listed below.
// Fields a kind does not use stay empty / null / false.
//
// jsonata-js field            -> our field
//   type ('path', 'binary' ...) -> type (NodeType::kPath, kBinary ...)
//   value (token value)         -> value (text: names, variable names
//                                   without '$', string contents, operator
//                                   symbols, regex pattern, "true"/"false"/
//                                   "null"); for string/number/value nodes
//                                   also `literal` (a ready Value); for
//                                   binary nodes also `op` (an enum)
//   value (regex: RegExp)       -> value = pattern, flags = "i"/"m"/"im"/""
//                                   (jsonata-js always adds 'g')
//   position                    -> position
//   lhs, rhs                    -> lhs, rhs (binary, bind, apply)
//   expression (unary '-')      -> expression
//   expressions ('[' and block) -> expressions
//   lhs (unary '{' pairs)       -> pairs
//   steps                       -> steps
//   stages / predicate          -> stages / predicate (vectors of Stage;
//                                   empty = undefined in jsonata-js)
//   {type:'filter', expr}       -> Stage{kFilter, expr}
//   {type:'index', value}       -> Stage{kIndex, value}
//   group {lhs, position}       -> group (Group{pairs, position}), null = none
//   focus, index                -> focus, index (std::optional<std::string>)
//   tuple                       -> tuple
//   keepArray                   -> keep_array
//   keepSingletonArray          -> keep_singleton_array
//   consarray                   -> consarray
//   nextFunction                -> next_function ("" = undefined)
//   ancestor (step's slot)      -> ancestor (Slot; evaluator reads ->label)
//   slot (parent node's)        -> slot
//   procedure, arguments        -> procedure, arguments (function, partial)
//   arguments (lambda params)   -> params (names without '$')
//   signature                   -> signature (the text "<...>"), has_signature
//   body, thunk                 -> body, thunk
//   condition, then, else       -> condition, then_branch, else_branch
//   pattern, update, delete     -> pattern, update, delete_branch
//   terms [{descending, expression}] -> terms (SortTerm)
//   {type:'operator', value:'?'} (partial placeholder) -> NodeType::kPlaceholder
//   seekingParent               -> seeking_parent (parser-internal; always
//                                   null in Parse()'s result except where
//                                   jsonata-js leaves it, unused by eval)
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/jsonata/value.h"

namespace stepflow::jsonata {

class Regex;  // regex.h
struct Node;
using NodePtr = std::unique_ptr<Node>;
using NodePair = std::pair<NodePtr, NodePtr>;  // object constructor: key, value

enum class NodeType : uint8_t {
  kPath,         // steps (+ keep_singleton_array, tuple, seeking_parent)
  kBinary,       // op/value, lhs, rhs: arithmetic, comparison, and/or, &, in, ..
  kUnary,        // value "-": expression; "[": expressions (array constructor,
                 // consarray); "{": pairs (object constructor)
  kName,         // value = field name (also steps converted from string literals)
  kString,       // value = contents, literal = Value::String
  kNumber,       // literal = Value::Number (value = its text as written)
  kValue,        // true/false/null: literal; value = "true"/"false"/"null"
  kWildcard,     // '*'
  kDescendant,   // '**'
  kVariable,     // value = name without '$' ("" for '$', "$" for '$$')
  kRegex,        // value = pattern, flags
  kFunction,     // procedure(arguments...); value = "("
  kPartial,      // like kFunction, some arguments are kPlaceholder
  kPlaceholder,  // the '?' argument of a partial application
  kLambda,       // params, body, signature/has_signature, thunk
  kCondition,    // condition ? then_branch : else_branch (else may be null)
  kTransform,    // | pattern | update, delete_branch |
  kBlock,        // ( expressions; ... ), consarray
  kBind,         // lhs (a kVariable) := rhs; value = ":="
  kApply,        // lhs ~> rhs; value = "~>"
  kSort,         // a step: terms (only ever inside a path's steps)
  kParent,       // '%': slot
  // Only in the unprocessed tree inside the parser; never in Parse()'s result.
  kOperator,     // an operator token used where an operand was expected
  kEnd,          // the end of the input
};

// For kBinary. The first group only occurs in the unprocessed tree (the
// post-pass turns them into paths, stages, groups, sorts, binds, ...).
enum class BinaryOp : uint8_t {
  kNone,
  kMap,     // .   (parser-internal)
  kFilter,  // [   (parser-internal)
  kGroup,   // {   (parser-internal)
  kSort,    // ^   (parser-internal)
  kBind,    // :=  (parser-internal)
  kFocus,   // @   (parser-internal)
  kIndex,   // #   (parser-internal)
  kApply,   // ~>  (parser-internal)
  kAdd, kSubtract, kMultiply, kDivide, kModulo,  // + - * / %
  kEqual, kNotEqual, kLess, kLessEqual, kGreater, kGreaterEqual,  // = != < <= > >=
  kConcat,  // &
  kAnd, kOr, kIn,
  kRange,   // ..  (only inside array constructors)
};

// The label a parent operator (%) reads and the step that binds it writes.
// Shared between the kParent node (slot) and the name/wildcard step that
// provides the ancestor (ancestor); the evaluator only reads `label`
// ("!0", "!1", ...). level/index are the parser's bookkeeping.
struct Slot {
  std::string label;
  int level = 1;
  int index = 0;
};

// A predicate or an index binding attached to a step.
struct Stage {
  enum class Kind : uint8_t { kFilter, kIndex };
  Kind kind = Kind::kFilter;
  NodePtr expr;       // kFilter: the predicate expression
  std::string value;  // kIndex: the variable name (without '$')
  int position = -1;
};

// A group-by object constructor after a step: `Account.Order{key: value}`.
struct Group {
  std::vector<NodePair> pairs;
  int position = -1;
};

struct SortTerm {
  bool descending = false;
  NodePtr expression;
};

struct Node {
  NodeType type = NodeType::kEnd;
  BinaryOp op = BinaryOp::kNone;  // kBinary only
  // Step/tuple flags (see jsonata.js evaluatePath/evaluateStep).
  bool tuple = false;                 // the step (or path/block) produces a tuple stream
  bool keep_array = false;            // `[]` after this node: keep singleton arrays
  bool keep_singleton_array = false;  // kPath: some step had keep_array
  bool consarray = false;             // array constructor as a path step / block holding one
  bool thunk = false;                 // kLambda: a tail call wrapped for the trampoline
  bool has_signature = false;         // kLambda: `signature` holds "<...>"
  int position = -1;                  // jsonata-js's position: the offset (UTF-16 units)
                                      // just after the node's token; -1 when jsonata-js has none
  int height = 0;                     // parser-internal (nesting bound)

  std::string value;  // the token value as text (see the map at the top)
  Value literal;      // kString/kNumber/kValue: the value to return

  // Operands.
  NodePtr lhs;         // kBinary, kBind, kApply
  NodePtr rhs;         // kBinary, kBind, kApply
  NodePtr expression;  // kUnary "-"
  std::vector<NodePtr> expressions;  // kUnary "[" items, kBlock statements
  std::vector<NodePair> pairs;       // kUnary "{" (object constructor)

  // Paths and steps.
  std::vector<NodePtr> steps;     // kPath
  std::vector<Stage> stages;      // a step inside a path: predicates and index bindings in order
  std::vector<Stage> predicate;   // a node not inside a path: its predicates (all kFilter)
  std::unique_ptr<Group> group;   // a step's group-by, or a non-path node's
  std::optional<std::string> focus;  // '@$v' on this step: variable name
  std::optional<std::string> index;  // '#$v' on this step (when it has no stages yet)
  std::string next_function;      // a function step followed by a call to a plain name
  std::shared_ptr<Slot> ancestor;  // kName/kWildcard step that binds a '%' label
  std::shared_ptr<Slot> slot;      // kParent

  // Functions.
  NodePtr procedure;               // kFunction/kPartial: what is called
  std::vector<NodePtr> arguments;  // kFunction/kPartial
  std::vector<std::string> params;  // kLambda parameter names (without '$')
  std::string signature;            // kLambda: "<...>" text as jsonata-js rebuilds it from tokens
  NodePtr body;                     // kLambda
  // Evaluator-owned caches, filled when the expression is compiled (after
  // Parse, before any evaluation; read-only afterwards).
  std::shared_ptr<const void> parsed_signature;  // kLambda with has_signature
  std::shared_ptr<Regex> regex;                  // kRegex
  std::string flags;                             // kRegex: "i", "m", "im" or ""

  // Condition, transform, sort.
  NodePtr condition, then_branch, else_branch;  // kCondition
  NodePtr pattern, update, delete_branch;       // kTransform
  std::vector<SortTerm> terms;                  // kSort

  // Parser-internal: the parent slots this subtree still has to resolve
  // (shared because jsonata-js aliases these arrays between nodes).
  std::shared_ptr<std::vector<std::shared_ptr<Slot>>> seeking_parent;

  Node() = default;
  Node(NodeType t, std::string v, int pos) : type(t), position(pos), value(std::move(v)) {}
  ~Node() = default;  // recursive: fine, Parse bounds the depth
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
};

// The deepest nesting Parse accepts; deeper input fails with S0218
// ("expression too deeply nested", a code jsonata-js does not use).
inline constexpr int kMaxNestingDepth = 1000;

}  // namespace stepflow::jsonata
