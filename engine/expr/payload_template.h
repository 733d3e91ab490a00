// Payload templates (ASL_NOTES §3): Parameters, ResultSelector, ItemSelector,
// ItemBatcher.BatchInput and JSONPath Assign.
//
// A template is a JSON value. Inside objects, at any depth, a key ending in
// ".$" is renamed without the suffix and its string value is evaluated:
//   "$$..."     a path on the Context Object
//   "$..."      a path on the template's input, or a variable ("$name")
//   otherwise   an intrinsic function call
// Every other key and value is copied as written.
//
// Thread-safety: a compiled PayloadTemplate is immutable and may be shared.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/common/json_util.h"
#include "engine/common/status.h"
#include "engine/expr/eval_context.h"
#include "engine/expr/intrinsics.h"
#include "engine/expr/json_path.h"

namespace stepflow::expr {

// A problem found while compiling a template, relative to its root.
struct TemplateIssue {
  std::string pointer;  // JSON pointer below the template root, "" = root
  std::string code;     // stable code, e.g. "INVALID_PATH", "NO_DOLLAR"
  std::string message;
  bool warning = false;
};

struct TemplateNode;  // defined in payload_template.cc

class PayloadTemplate {
 public:
  PayloadTemplate();
  ~PayloadTemplate();
  PayloadTemplate(const PayloadTemplate&);
  PayloadTemplate(PayloadTemplate&&) noexcept;
  PayloadTemplate& operator=(const PayloadTemplate&);
  PayloadTemplate& operator=(PayloadTemplate&&) noexcept;

  // Checks a template and reports every problem: a ".$" value that is not a
  // string, an invalid path or intrinsic, two keys that collide once ".$" is
  // stripped (errors), and string values that look like paths under a key
  // without ".$" (warning NO_DOLLAR).
  static void Check(const Json& tmpl, std::vector<TemplateIssue>* issues);

  // Compiles; InvalidArgument naming the first error Check would report
  // (warnings are not checked here).
  static Result<PayloadTemplate> Compile(const Json& tmpl);

  // Builds the payload. A path that selects nothing fails with
  // States.ParameterPathFailure, as the ASL specification says, and the
  // cause Step Functions gives, "The JSONPath '$.x' specified for the field
  // 'x.$' could not be found in the input '{...}'"; a failing intrinsic is
  // States.IntrinsicFailure.
  Result<Json> Evaluate(const Json& input, const EvalContext& ctx) const;

  // True when the template has no ".$" key anywhere (a constant).
  bool is_constant() const;

 private:
  std::shared_ptr<const TemplateNode> root_;
};

}  // namespace stepflow::expr
