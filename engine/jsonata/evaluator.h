// The JSONata evaluator: jsonata-js 2.0.6's evaluate() over the processed
// syntax tree (ast.h). Internal to the module; the public face is
// Expression (jsonata.h).
//
// One Evaluator runs one evaluation on one thread. It counts the nesting of
// evaluations (U1001 beyond EvalOptions::max_depth, as jsonata-js's test
// harness counts evaluate() entries), watches the wall clock (U1001 past
// time_limit), and watches the native stack: a nested evaluation that would
// come within kStackReserve bytes of the end of the thread's stack raises
// U1001 as a stack overflow, whatever max_depth allows (RunWithStack gives
// deep evaluations a big enough stack).
//
// Environments are frames with reference counts; closures (lambdas) hold
// their frame. A lambda bound in a frame it closes over forms a cycle, so the
// evaluator keeps every live frame on a list and, when the evaluation ends
// and its result holds no function, clears the bindings of the frames still
// alive. When the result does hold functions (EvaluateValue), their frames
// stay alive for the functions to be called later, and a cycle among them is
// then never freed (Evaluate, which returns JSON, never keeps any).
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/jsonata/ast.h"
#include "engine/jsonata/error.h"
#include "engine/jsonata/function.h"
#include "engine/jsonata/jsonata.h"
#include "engine/jsonata/value.h"

namespace stepflow::jsonata {

class Signature;

// The evaluator's window into Value's storage (value.h befriends it).
class ValueAccess {
 public:
  // True when `v` is an owned array/object that no other Value shares, so it
  // may be changed in place.
  static bool IsUnique(const Value& v) { return v.heap_ != nullptr && v.heap_.use_count() == 1; }
  // The storage a string/array/object/function value refers to (JavaScript's
  // object identity); nullptr for the other types.
  static const void* Identity(const Value& v) {
    if (v.fn_) return v.fn_.get();
    if (v.json_ != nullptr) return v.json_;
    return v.heap_.get();
  }
};

// Re-renders an error's message from its template after the evaluator has
// completed its token/position; messages given by a function (D3137, D3141,
// U1001, codes without a template) are kept.
void RefillMessage(Error& e);

// The native stack an evaluation with `max_depth` nested levels needs.
size_t StackNeeded(int max_depth);
// Runs `body(arg)` with at least `bytes` of native stack: on the calling
// thread when it has that much left, otherwise on a helper thread with a
// stack of that size (joined before returning). `body` must not throw.
void RunWithStack(size_t bytes, void (*body)(void*), void* arg);

namespace detail {

// ---- sequences (jsonata-js's arrays with a `sequence` property) ----
inline Value NewSequence() {
  Value v = Value::NewArray();
  v.MutableArray().sequence = true;
  return v;
}
inline Value NewSequence(Value item) {
  Value v = NewSequence();
  v.MutableArray().items.push_back(std::move(item));
  return v;
}
inline bool IsSequence(const Value& v) {
  const Array* a = v.array();
  return a != nullptr && a->sequence;
}
inline bool IsTupleStream(const Value& v) {
  const Array* a = v.array();
  return a != nullptr && a->tuple_stream;
}
inline bool IsCons(const Value& v) {
  const Array* a = v.array();
  return a != nullptr && a->cons;
}
// An owned copy of `v` (shared or borrowed) ready to be changed: `v`
// itself when nothing else refers to it.
Value Unshare(Value v);
// Room for `more` items at the end of `items`, growing geometrically (an
// exact reserve per append would make appending quadratic).
inline void ReserveFor(std::vector<Value>& items, size_t more) {
  size_t need = items.size() + more;
  if (need > items.capacity()) items.reserve(std::max(need, 2 * items.capacity()));
}
// jsonata-js's fn.append: undefined operands vanish; otherwise the
// concatenation as a new plain array (no sequence flag), a non-array first
// operand wrapped as a sequence first.
Value AppendValues(Value a, Value b);
// isNumeric: a number other than NaN; an infinity raises D1001.
bool IsNumeric(const Value& v);
// A function value's arity as jsonata-js's getFunctionArity reports it.
int FunctionArity(const Value& fn);
// $clone: a deep owned copy as JSON.parse($string(v)) makes it.
Value CloneValue(const Value& v);
// fn.lookup: a field of an object, or the flattened fields of an array's items.
Value LookupField(const Value& input, std::string_view key);
// Checks the native stack within recursive helpers (U1001 when exhausted).
void CheckNativeStack();
// JavaScript's string order (UTF-16 code units): <0, 0, >0.
int CompareStringsJs(std::string_view a, std::string_view b);

}  // namespace detail

// ---- environments ----

class Frame;
class FrameList;

// An intrusive reference to a Frame.
class FrameRef {
 public:
  FrameRef() = default;
  explicit FrameRef(Frame* f);
  FrameRef(const FrameRef& o) : FrameRef(o.f_) {}
  FrameRef(FrameRef&& o) noexcept : f_(o.f_) { o.f_ = nullptr; }
  FrameRef& operator=(FrameRef o) noexcept {
    std::swap(f_, o.f_);
    return *this;
  }
  ~FrameRef();
  Frame* get() const { return f_; }
  Frame* operator->() const { return f_; }
  explicit operator bool() const { return f_ != nullptr; }

 private:
  Frame* f_ = nullptr;
};

class Frame {
 public:
  // Links the frame into `list` (may be null) so the evaluation can break
  // cycles at its end.
  Frame(FrameRef parent, FrameList* list);
  ~Frame();
  Frame(const Frame&) = delete;
  Frame& operator=(const Frame&) = delete;

  void Bind(std::string_view name, Value v);
  // The value bound to `name` here or in an enclosing frame; nullptr when none.
  const Value* Lookup(std::string_view name) const;
  Frame* parent() const { return parent_.get(); }

 private:
  friend class FrameRef;
  friend class FrameList;
  std::atomic<int32_t> refs_{0};
  FrameRef parent_;
  // Bindings: the first few inline (a lambda call binds its parameters
  // without another allocation), the rest in more_.
  struct Binding {
    std::string name;
    Value value;
  };
  static constexpr size_t kInlineBindings = 3;
  // Clears the bindings (dropping their values).
  void ClearBindings();
  std::array<Binding, kInlineBindings> inline_;
  uint32_t count_ = 0;
  std::vector<Binding> more_;
  FrameList* list_ = nullptr;
  Frame* prev_ = nullptr;
  Frame* next_ = nullptr;
};

// The frames created by one evaluation that are still alive.
class FrameList {
 public:
  FrameList() = default;
  ~FrameList();
  FrameList(const FrameList&) = delete;
  FrameList& operator=(const FrameList&) = delete;
  // Clears every live frame's bindings (breaking lambda cycles), then
  // forgets them.
  void BreakCycles();
  // Forgets the frames without touching them (they outlive the evaluation).
  void Detach();

 private:
  friend class Frame;
  Frame* head_ = nullptr;
};

// ---- function values created by the evaluator ----

// A lambda (`function($x){...}`), a tail-call thunk, a partial application
// of a lambda, or a transform (`| pattern | update |`).
class LambdaFn final : public Function {
 public:
  enum class Form : uint8_t { kLambda, kTransform };
  LambdaFn() : Function(Kind::kLambda) {}
  Form form = Form::kLambda;
  const Node* node = nullptr;  // kLambda node, or the kTransform node
  Value input;                 // the context the lambda was created in
  FrameRef env;
  // The parameters: node->params, or the unbound ones of a partial application.
  const std::vector<std::string>* params = nullptr;
  std::vector<std::string> own_params;
  const Signature* signature = nullptr;  // null: arguments are not checked
  bool thunk = false;
  std::shared_ptr<const void> owner;  // keeps the syntax tree alive
};

// A partial application of a built-in or a regex: `$substring(?, 0, 2)`.
class PartialFn final : public Function {
 public:
  PartialFn() : Function(Kind::kPartial) {}
  Value target;                 // the built-in or regex
  std::vector<Value> slots;     // one per declared parameter
  std::vector<bool> open;       // slots[i] is a placeholder
  int open_count = 0;
};

// ---- the standard library (builtins.cc) ----

// The built-in named `name` (without '$'), or nullptr.
const Value* FindBuiltin(std::string_view name);
// The parsed signature of a built-in spec, cached process-wide.
const Signature* SignatureOf(const BuiltinSpec& spec);
// A function value for an extra built-in (EvalOptions::extra_functions).
Value MakeNative(const BuiltinSpec& spec);
// The statically parsed `function($f, $g) { function($x){ $g($f($x)) } }`
// that `~>` uses to compose two functions.
const Node& ChainAst();

// ---- the evaluator ----

class Evaluator final : public CallContext {
 public:
  // `ast_owner` keeps the syntax tree alive for lambdas that outlive the
  // evaluation.
  Evaluator(const EvalOptions& options, std::shared_ptr<const void> ast_owner);
  ~Evaluator() override;
  Evaluator(const Evaluator&) = delete;
  Evaluator& operator=(const Evaluator&) = delete;

  // Evaluates `root` over `input` (undefined = no input). Throws Error.
  Value Run(const Node& root, const Value& input);
  // Ends the evaluation: unless the result (still held by the caller)
  // contains functions, breaks the frame cycles.
  void Finish(const Value& result);

  // CallContext
  Value Apply(const Value& fn, std::vector<Value> args) override;
  int Arity(const Value& fn) const override;
  int64_t NowMillis() const override;
  double Random() override;
  int Position() const override { return call_position_; }
  void CheckTimeLimit() override;


 private:
  struct CallSite {
    std::string_view name;  // the function's name as written, for errors
    int position = -1;
  };

  // evaluator.cc
  Value Eval(const Node& expr, const Value& input, Frame* env);
  Value EvalVariable(const Node& expr, const Value& input, Frame* env);
  Value LookupVariable(std::string_view name, Frame* env);
  Value EvalBlock(const Node& expr, const Value& input, Frame* env);
  Value EvalCondition(const Node& expr, const Value& input, Frame* env);
  Value EvalLambda(const Node& expr, const Value& input, Frame* env);
  Value EvalFunction(const Node& expr, const Value& input, Frame* env, const Value* applyto);
  Value EvalPartial(const Node& expr, const Value& input, Frame* env);
  Value EvalApplyExpr(const Node& expr, const Value& input, Frame* env);
  Value ApplyFunction(const Value& proc, std::vector<Value> args, const Value& input,
                      const CallSite& site);
  Value ApplyInner(const Value& proc, std::vector<Value> args, const Value& input,
                   const CallSite& site);
  Value ApplyLambda(const LambdaFn& fn, std::vector<Value> args);
  Value ApplyPartial(const PartialFn& fn, std::vector<Value> args, const CallSite& site);
  Value ApplyTransform(const LambdaFn& fn, const Value& obj);
  Value CallNative(const NativeFunction& fn, std::span<const Value> args, const Value& input,
                   const CallSite& site);
  FrameRef NewFrame(Frame* parent);
  FrameRef FrameFromTuple(Frame* parent, const Value& tuple);
  [[noreturn]] void ThrowRunaway(bool timeout);
  void CheckClock();

  // evaluator_path.cc
  Value EvalPath(const Node& expr, const Value& input, Frame* env);
  // `single`: `input` is the one item to visit (not an array to iterate).
  Value EvalStep(const Node& step, const Value& input, Frame* env, bool last_step, bool single);
  Value EvalTupleStep(const Node& step, const Value& input, Value tuple_bindings, Frame* env);
  Value EvalStages(const std::vector<Stage>& stages, Value input, Frame* env);
  Value EvalFilter(const Node& predicate, const Value& input, Frame* env);
  Value EvalSort(const Node& expr, const Value& input, Frame* env);
  Value EvalGroup(const std::vector<NodePair>& pairs, int position, const Value& input,
                  Frame* env);
  Value EvalWildcard(const Value& input);
  Value EvalDescendants(const Value& input);

  // evaluator_ops.cc
  Value EvalBinary(const Node& expr, const Value& input, Frame* env);
  Value EvalUnary(const Node& expr, const Value& input, Frame* env);
  Value EvalTransformExpr(const Node& expr, const Value& input, Frame* env);

  friend struct EvalScope;

  const EvalOptions& options_;
  std::shared_ptr<const void> ast_owner_;
  FrameList frames_;
  FrameRef root_frame_;
  std::vector<Value> extra_values_;  // lazily made functions of options_.extra_functions
  int depth_ = 0;
  int max_depth_ = 0;
  uint32_t ticks_ = 0;
  const char* stack_floor_ = nullptr;
  std::chrono::steady_clock::time_point deadline_;
  bool has_deadline_ = false;
  // The evaluation's instant, read from the clock when first asked for.
  mutable std::optional<int64_t> now_millis_;
  int call_position_ = -1;
  std::unique_ptr<std::mt19937_64> rng_;
  // The syntax tree the code being evaluated belongs to (a lambda may come
  // from another expression's evaluation), given to lambdas made from it.
  const std::shared_ptr<const void>* current_owner_ = &ast_owner_;
  std::vector<std::pair<std::string, Value>> variable_cache_;  // options_.variables answers
  const char* prev_floor_ = nullptr;
};

}  // namespace stepflow::jsonata
