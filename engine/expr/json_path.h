// JSONPath as the Amazon States Language uses it (ASL_NOTES §3).
//
// A Path is parsed once (at compile time) and evaluated many times. Its root
// is one of:
//   $        the input document          e.g. $.orders[0].id
//   $$       the Context Object          e.g. $$.Execution.Id
//   $name    a state machine variable    e.g. $total, $order.items[1]
//
// Supported segments: .name, ['name'] / ["name"], [n] (negative counts from
// the end), [*] and .*, [a:b:c] slices (negative bounds allowed), unions
// [0,2] / ['a','b'], recursive descent ..name / ..*, and filters
// [?(@.price < 10 && @.tag == 'x')] with comparisons == != < <= > >= on
// numbers, strings, booleans and null, existence tests [?(@.x)], and && / ||
// with parentheses.
//
// A *definite* path (only names and single indices) selects at most one node.
// An *indefinite* path (wildcard, slice, union, descent, filter) gathers its
// matches into an array, in document order, possibly empty.
//
// Semantics follow Jayway JsonPath, which AWS Step Functions runs: the
// definite steps before the first indefinite one must exist ("$.a[*].b" is
// NotFound when "a" is missing, but [] when no element of "a" has a "b"), a
// filter applied to an object tests the object itself, and failure messages
// use Jayway's wording ("No results for path: $['a']['b']", "Missing
// property in path $['a']"), which AWS quotes in its error causes.
//
// A *Reference Path* is a definite path written with only '.' and '[...]'
// (no '..', '*', ':', ',', '?', '@'); ResultPath, ItemsPath and the *Path
// fields must be reference paths.
//
// Thread-safety: a parsed Path is immutable and may be shared.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/json_util.h"
#include "engine/common/status.h"
#include "engine/expr/eval_context.h"

namespace stepflow::expr {

enum class PathRoot { kInput, kContext, kVariable };

struct PathSegment;  // defined in json_path.cc

class Path {
 public:
  Path();
  ~Path();
  Path(const Path&);
  Path(Path&&) noexcept;
  Path& operator=(const Path&);
  Path& operator=(Path&&) noexcept;

  // Parses `text`. InvalidArgument with a message saying what is wrong and
  // at which character when the syntax is invalid. The parsed path keeps its
  // text. Limits: 4,096 characters, 64 levels of filter nesting.
  static Result<Path> Parse(std::string_view text);

  const std::string& text() const;
  PathRoot root() const;
  // The variable's name when root() == kVariable ("total" for "$total.x").
  const std::string& variable() const;
  bool is_definite() const;
  bool is_reference_path() const;
  // True for "$", "$$" or "$name" with no segments.
  bool is_root_only() const;

  // Evaluates the path against `input` (or the Context Object / variable).
  // Definite path: the selected node, or NotFound when it does not exist
  // ("$.a.b": "a" missing, or not an object). Indefinite path: the array of
  // matches, or NotFound when its definite prefix fails (see above). A
  // variable that is not assigned is NotFound as well. NotFound messages are
  // Jayway's ("No results for path: $['a']['b']").
  Result<Json> Evaluate(const Json& input, const EvalContext& ctx) const;

  // Definite paths only: a pointer to the selected node inside `input` (or
  // the context/variable), or nullptr. No copy is made.
  const Json* Find(const Json& input, const EvalContext& ctx) const;

  // Reference paths rooted at $ only: the object keys / array indices from
  // the root, for writing (ResultPath). Each step is a name or an index.
  struct Step {
    std::string name;
    long long index = 0;
    bool is_index = false;
  };
  std::vector<Step> ReferenceSteps() const;

 private:
  // The parsed form, shared between copies: a Path is immutable, and a
  // compiled state holds many of them, so a Path is one pointer wide.
  struct Rep;
  std::shared_ptr<const Rep> rep_;

  friend class PathParser;
};

}  // namespace stepflow::expr
