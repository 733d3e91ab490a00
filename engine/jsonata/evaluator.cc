#include "engine/jsonata/evaluator.h"

#include <pthread.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "engine/jsonata/regex.h"
#include "engine/jsonata/signature.h"

namespace stepflow::jsonata {
namespace {

thread_local Evaluator* t_current = nullptr;
thread_local const char* t_stack_floor = nullptr;

// Room left below the last checked frame for what runs without checks:
// built-ins, regex matching, printing, destruction of values.
constexpr size_t kStackReserve = 256 * 1024;

const char* ThreadStackLow() {
  thread_local const char* low = [] {
    const char* result = nullptr;
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
      void* addr = nullptr;
      size_t size = 0;
      if (pthread_attr_getstack(&attr, &addr, &size) == 0) result = static_cast<const char*>(addr);
      pthread_attr_destroy(&attr);
    }
    return result;
  }();
  return low;
}

const char* CurrentFrameAddress() {
  return static_cast<const char*>(__builtin_frame_address(0));
}

constexpr std::string_view kStackOverflowMessage =
    "Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as "
    "tail-recursive.";
constexpr std::string_view kTimeoutMessage =
    "Expression evaluation timeout: Check for infinite loop";

const Signature& TransformSignature() {
  static const std::shared_ptr<const Signature> sig = Signature::Parse("<(oa):o>");
  return *sig;
}

}  // namespace

// Measured with the tail-recursion suite cases (see the comment in
// jsonata.h's EvalOptions): one JSONata nesting level takes a few hundred
// bytes of native stack in an optimised build, several times that under
// sanitizers; the figure here errs on the generous side.
constexpr size_t kBytesPerLevel = 2048;
// The largest stack a helper thread gets (address space only: pages are
// touched as they are used).
constexpr size_t kMaxHelperStack = size_t{1} << 30;

size_t StackNeeded(int max_depth) {
  size_t levels = max_depth > 0 ? static_cast<size_t>(max_depth) : 1;
  size_t need = 2 * kStackReserve + levels * kBytesPerLevel;
  return std::min(need, kMaxHelperStack);
}

namespace {

struct ThreadCall {
  void (*body)(void*);
  void* arg;
};

void* ThreadMain(void* p) {
  auto* call = static_cast<ThreadCall*>(p);
  call->body(call->arg);
  return nullptr;
}

}  // namespace

void RunWithStack(size_t bytes, void (*body)(void*), void* arg) {
  const char* here = CurrentFrameAddress();
  const char* low = ThreadStackLow();
  if (low != nullptr && here > low && static_cast<size_t>(here - low) >= bytes) {
    body(arg);
    return;
  }
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) == 0) {
    ThreadCall call{body, arg};
    pthread_t thread;
    bool started = pthread_attr_setstacksize(&attr, bytes) == 0 &&
                   pthread_create(&thread, &attr, ThreadMain, &call) == 0;
    pthread_attr_destroy(&attr);
    if (started) {
      pthread_join(thread, nullptr);
      return;
    }
  }
  // No helper thread: run here; the stack guard ends a too deep evaluation
  // with U1001 instead.
  body(arg);
}

// ---- frames ----

FrameRef::FrameRef(Frame* f) : f_(f) {
  if (f_ != nullptr) f_->refs_.fetch_add(1, std::memory_order_relaxed);
}

FrameRef::~FrameRef() {
  if (f_ != nullptr && f_->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete f_;
}

Frame::Frame(FrameRef parent, FrameList* list) : parent_(std::move(parent)), list_(list) {
  if (list_ != nullptr) {
    next_ = list_->head_;
    if (next_ != nullptr) next_->prev_ = this;
    list_->head_ = this;
  }
}

Frame::~Frame() {
  if (list_ != nullptr) {
    if (prev_ != nullptr) {
      prev_->next_ = next_;
    } else {
      list_->head_ = next_;
    }
    if (next_ != nullptr) next_->prev_ = prev_;
  }
  // A long chain of parents is released one at a time instead of by
  // recursive destructors.
  FrameRef parent = std::move(parent_);
  while (parent && parent->refs_.load(std::memory_order_acquire) == 1) {
    FrameRef grand = std::move(parent->parent_);
    parent = std::move(grand);
  }
}

void Frame::Bind(std::string_view name, Value v) {
  for (auto& [k, val] : bindings_) {
    if (k == name) {
      val = std::move(v);
      return;
    }
  }
  bindings_.emplace_back(std::string(name), std::move(v));
}

const Value* Frame::Lookup(std::string_view name) const {
  for (const Frame* f = this; f != nullptr; f = f->parent_.get()) {
    for (const auto& [k, v] : f->bindings_) {
      if (k == name) return &v;
    }
  }
  return nullptr;
}

FrameList::~FrameList() { BreakCycles(); }

void FrameList::BreakCycles() {
  std::vector<FrameRef> alive;
  for (Frame* f = head_; f != nullptr; f = f->next_) alive.emplace_back(f);
  for (FrameRef& f : alive) {
    auto bindings = std::move(f->bindings_);
    f->bindings_.clear();
    bindings.clear();
  }
  for (FrameRef& f : alive) f->parent_ = FrameRef();
  alive.clear();
  Detach();
}

void FrameList::Detach() {
  for (Frame* f = head_; f != nullptr;) {
    Frame* next = f->next_;
    f->list_ = nullptr;
    f->prev_ = f->next_ = nullptr;
    f = next;
  }
  head_ = nullptr;
}

// ---- helpers ----

namespace detail {

void CheckNativeStack() {
  if (t_stack_floor != nullptr && CurrentFrameAddress() < t_stack_floor) {
    Error e("U1001");
    e.message = std::string(kStackOverflowMessage);
    throw e;
  }
}

Value Unshare(Value v) {
  if ((v.IsArray() || v.IsObject()) && !ValueAccess::IsUnique(v)) return v.ShallowCopy();
  return v;
}

bool IsNumeric(const Value& v) {
  if (!v.IsNumber()) return false;
  double n = v.number();
  if (std::isnan(n)) return false;
  if (std::isinf(n)) Throw("D1001", -1, {}, v);
  return true;
}

Value AppendValues(Value a, Value b) {
  if (a.IsUndefined()) return b;
  if (b.IsUndefined()) return a;
  Value out = Value::NewArray();
  std::vector<Value>& items = out.MutableArray().items;
  if (a.IsArray()) {
    items.reserve(a.size() + (b.IsArray() ? b.size() : 1));
    if (const Array* arr = a.array()) {
      items = arr->items;
    } else {
      for (size_t i = 0; i < a.size(); ++i) items.push_back(a.at(i));
    }
  } else {
    items.push_back(std::move(a));
  }
  if (b.IsArray()) {
    if (const Array* arr = b.array()) {
      items.insert(items.end(), arr->items.begin(), arr->items.end());
    } else {
      for (size_t i = 0; i < b.size(); ++i) items.push_back(b.at(i));
    }
  } else {
    items.push_back(std::move(b));
  }
  return out;
}

int FunctionArity(const Value& fn) {
  if (!fn.IsFunction()) return 0;
  const Function& f = *fn.function();
  switch (f.kind()) {
    case Function::Kind::kLambda: {
      const auto& l = static_cast<const LambdaFn&>(f);
      if (l.form == LambdaFn::Form::kTransform) return 1;
      return l.params == nullptr ? 0 : static_cast<int>(l.params->size());
    }
    case Function::Kind::kNative: {
      const auto& n = static_cast<const NativeFunction&>(f);
      const BuiltinSpec& spec = n.spec();
      // JavaScript's Function.length: $string declares (arg, prettify = false)
      // and $zip takes rest arguments.
      if (spec.name == "string" && spec.signature == "<x-b?:s>") return 1;
      if (spec.name == "zip" && spec.signature == "<a+>") return 0;
      const auto* sig = static_cast<const Signature*>(n.parsed_signature.get());
      return sig == nullptr ? 0 : static_cast<int>(sig->param_count());
    }
    case Function::Kind::kPartial:
      return static_cast<const PartialFn&>(f).open_count;
    case Function::Kind::kRegex:
      return 2;  // jsonata-js's closure (str, fromIndex)
    case Function::Kind::kClosure:
      return static_cast<const ClosureFunction&>(f).Arity();
  }
  return 0;
}

}  // namespace detail

using detail::IsNumeric;
using detail::IsSequence;
using detail::NewSequence;

// ---- the evaluation scope of one evaluate() call ----

struct EvalScope {
  Evaluator* e;
  explicit EvalScope(Evaluator* ev) : e(ev) {
    ++e->depth_;
    if (e->depth_ > e->max_depth_ || CurrentFrameAddress() < e->stack_floor_) {
      --e->depth_;
      e->ThrowRunaway(false);
    }
    if ((++e->ticks_ & 1023u) == 0 && e->has_deadline_ &&
        std::chrono::steady_clock::now() > e->deadline_) {
      --e->depth_;
      e->ThrowRunaway(true);
    }
  }
  ~EvalScope() { --e->depth_; }
  EvalScope(const EvalScope&) = delete;
  EvalScope& operator=(const EvalScope&) = delete;
};

// ---- Evaluator ----

Evaluator::Evaluator(const EvalOptions& options, std::shared_ptr<const void> ast_owner)
    : options_(options), ast_owner_(std::move(ast_owner)) {
  max_depth_ = options.max_depth > 0 ? options.max_depth : 1;
  if (options.time_limit.count() > 0) {
    has_deadline_ = true;
    deadline_ = std::chrono::steady_clock::now() + options.time_limit;
  }
  now_millis_ = options.now_millis;
  extra_values_.resize(options.extra_functions.size());
  const char* here = CurrentFrameAddress();
  const char* low = ThreadStackLow();
  if (low != nullptr && here > low + kStackReserve) {
    stack_floor_ = low + kStackReserve;
  } else if (low != nullptr) {
    stack_floor_ = here;  // no room at all: every nested evaluation fails cleanly
  } else {
    stack_floor_ = here - std::min<size_t>(reinterpret_cast<uintptr_t>(here) / 2, 512 * 1024);
  }
  previous_current_ = t_current;
  t_current = this;
  prev_floor_ = t_stack_floor;
  t_stack_floor = stack_floor_;
}

Evaluator::~Evaluator() {
  t_current = previous_current_;
  t_stack_floor = prev_floor_;
  root_frame_ = FrameRef();
  frames_.BreakCycles();
}

Evaluator* Evaluator::Current() { return t_current; }

int64_t Evaluator::NowMillis() const {
  if (!now_millis_) {
    now_millis_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  }
  return *now_millis_;
}

void Evaluator::ThrowRunaway(bool timeout) {
  Error e("U1001");
  e.message = std::string(timeout ? kTimeoutMessage : kStackOverflowMessage);
  throw e;
}

void Evaluator::CheckClock() {
  if (has_deadline_ && std::chrono::steady_clock::now() > deadline_) ThrowRunaway(true);
}

void Evaluator::CheckTimeLimit() {
  if ((++ticks_ & 63u) == 0) CheckClock();
}

double Evaluator::Random() {
  if (options_.random) return options_.random();
  if (!rng_) {
    std::random_device rd;
    rng_ = std::make_unique<std::mt19937_64>((static_cast<uint64_t>(rd()) << 32) ^ rd());
  }
  return static_cast<double>((*rng_)() >> 11) * 0x1.0p-53;
}

FrameRef Evaluator::NewFrame(Frame* parent) {
  return FrameRef(new Frame(FrameRef(parent), &frames_));
}

FrameRef Evaluator::FrameFromTuple(Frame* parent, const Value& tuple) {
  FrameRef frame = NewFrame(parent);
  if (tuple.IsObject()) {
    tuple.ForEachMember([&](std::string_view k, const Value& v) { frame->Bind(k, v); });
  }
  return frame;
}

Value Evaluator::Run(const Node& root, const Value& input) {
  current_owner_ = &ast_owner_;
  root_frame_ = NewFrame(nullptr);
  root_frame_->Bind("$", input);
  Value in = input;
  if (in.IsArray() && !IsSequence(in)) {
    in = NewSequence(input);
    in.MutableArray().outer_wrapper = true;
  }
  return Eval(root, in, root_frame_.get());
}

namespace {

// True when `v` holds a function (borrowed data cannot).
bool HoldsFunction(const Value& v) {
  if (v.IsFunction()) return true;
  if (const Array* a = v.array()) {
    detail::CheckNativeStack();
    for (const Value& item : a->items) {
      if (HoldsFunction(item)) return true;
    }
  } else if (const Object* o = v.object()) {
    detail::CheckNativeStack();
    for (const auto& m : o->items()) {
      if (HoldsFunction(m.second)) return true;
    }
  }
  return false;
}

}  // namespace

void Evaluator::Finish(const Value& result) {
  // Any function in the result may be called later: keep the frames.
  bool has_function = HoldsFunction(result);
  root_frame_ = FrameRef();
  if (has_function) {
    frames_.Detach();
  } else {
    frames_.BreakCycles();
  }
}

// ---- evaluate() ----

Value Evaluator::Eval(const Node& expr, const Value& input, Frame* env) {
  EvalScope scope(this);
  Value result;
  switch (expr.type) {
    case NodeType::kPath:
      result = EvalPath(expr, input, env);
      break;
    case NodeType::kBinary:
      result = EvalBinary(expr, input, env);
      break;
    case NodeType::kUnary:
      result = EvalUnary(expr, input, env);
      break;
    case NodeType::kName:
      result = detail::LookupField(input, expr.value);
      break;
    case NodeType::kString:
    case NodeType::kNumber:
    case NodeType::kValue:
      result = expr.literal;
      break;
    case NodeType::kWildcard:
      result = EvalWildcard(input);
      break;
    case NodeType::kDescendant:
      result = EvalDescendants(input);
      break;
    case NodeType::kParent:
      if (expr.slot) {
        if (const Value* v = env->Lookup(expr.slot->label)) result = *v;
      }
      break;
    case NodeType::kCondition:
      result = EvalCondition(expr, input, env);
      break;
    case NodeType::kBlock:
      result = EvalBlock(expr, input, env);
      break;
    case NodeType::kBind:
      result = Eval(*expr.rhs, input, env);
      env->Bind(expr.lhs->value, result);
      break;
    case NodeType::kRegex:
      if (expr.regex) {
        result = Value::FromFunction(expr.regex);
      } else {
        result = Value::FromFunction(Regex::Compile(expr.value, expr.flags));
      }
      break;
    case NodeType::kFunction:
      result = EvalFunction(expr, input, env, nullptr);
      break;
    case NodeType::kVariable:
      result = EvalVariable(expr, input, env);
      break;
    case NodeType::kLambda:
      result = EvalLambda(expr, input, env);
      break;
    case NodeType::kPartial:
      result = EvalPartial(expr, input, env);
      break;
    case NodeType::kApply:
      result = EvalApplyExpr(expr, input, env);
      break;
    case NodeType::kTransform:
      result = EvalTransformExpr(expr, input, env);
      break;
    default:
      break;
  }

  for (const Stage& stage : expr.predicate) {
    if (stage.expr) result = EvalFilter(*stage.expr, result, env);
  }
  if (expr.type != NodeType::kPath && expr.group) {
    result = EvalGroup(expr.group->pairs, expr.group->position, result, env);
  }

  if (const Array* a = result.array(); a != nullptr && a->sequence && !a->tuple_stream) {
    if (expr.keep_array && !a->keep_singleton) {
      result = detail::Unshare(std::move(result));
      result.MutableArray().keep_singleton = true;
      a = result.array();
    }
    if (a->items.empty()) {
      result = Value();
    } else if (a->items.size() == 1 && !a->keep_singleton) {
      Value only = a->items[0];
      result = std::move(only);
    }
  }
  return result;
}

Value Evaluator::EvalVariable(const Node& expr, const Value& input, Frame* env) {
  if (expr.value.empty()) {
    const Array* a = input.array();
    if (a != nullptr && a->outer_wrapper && !a->items.empty()) return a->items[0];
    return input;
  }
  return LookupVariable(expr.value, env);
}

Value Evaluator::LookupVariable(std::string_view name, Frame* env) {
  if (env != nullptr) {
    if (const Value* v = env->Lookup(name)) return *v;
  }
  for (const auto& [k, v] : options_.bindings) {
    if (k == name) return v;
  }
  for (size_t i = 0; i < options_.extra_functions.size(); ++i) {
    if (options_.extra_functions[i].name == name) {
      if (extra_values_[i].IsUndefined()) extra_values_[i] = MakeNative(options_.extra_functions[i]);
      return extra_values_[i];
    }
  }
  if (const Value* builtin = FindBuiltin(name)) {
    bool removed = false;
    for (std::string_view r : options_.removed_functions) removed = removed || r == name;
    if (!removed) return *builtin;
  }
  if (options_.variables) {
    for (const auto& [k, v] : variable_cache_) {
      if (k == name) return v;
    }
    const Json* json = options_.variables(name);
    Value v = json != nullptr ? Value::Borrow(*json) : Value();
    variable_cache_.emplace_back(std::string(name), v);
    return v;
  }
  return {};
}

Value Evaluator::EvalBlock(const Node& expr, const Value& input, Frame* env) {
  FrameRef frame = NewFrame(env);
  Value result;
  for (const NodePtr& e : expr.expressions) result = Eval(*e, input, frame.get());
  return result;
}

Value Evaluator::EvalCondition(const Node& expr, const Value& input, Frame* env) {
  Value condition = Eval(*expr.condition, input, env);
  if (ToBoolean(condition)) return Eval(*expr.then_branch, input, env);
  if (expr.else_branch) return Eval(*expr.else_branch, input, env);
  return {};
}

Value Evaluator::EvalLambda(const Node& expr, const Value& input, Frame* env) {
  auto fn = std::make_shared<LambdaFn>();
  fn->node = &expr;
  fn->input = input;
  fn->env = FrameRef(env);
  fn->params = &expr.params;
  fn->signature = static_cast<const Signature*>(expr.parsed_signature.get());
  fn->thunk = expr.thunk;
  fn->owner = *current_owner_;
  return Value::FromFunction(std::move(fn));
}

Value Evaluator::EvalTransformExpr(const Node& expr, const Value& input, Frame* env) {
  auto fn = std::make_shared<LambdaFn>();
  fn->form = LambdaFn::Form::kTransform;
  fn->node = &expr;
  fn->input = input;
  fn->env = FrameRef(env);
  fn->signature = &TransformSignature();
  fn->owner = *current_owner_;
  return Value::FromFunction(std::move(fn));
}

namespace {

// The name a call's procedure is written with (jsonata-js's procName).
std::string_view ProcedureName(const Node& procedure) {
  if (procedure.type == NodeType::kPath && !procedure.steps.empty()) {
    return procedure.steps[0]->value;
  }
  return procedure.value;
}

}  // namespace

Value Evaluator::EvalFunction(const Node& expr, const Value& input, Frame* env,
                              const Value* applyto) {
  const Node& procedure = *expr.procedure;
  Value proc = Eval(procedure, input, env);
  if (proc.IsUndefined() && procedure.type == NodeType::kPath && !procedure.steps.empty() &&
      !LookupVariable(procedure.steps[0]->value, env).IsUndefined()) {
    Throw("T1005", expr.position, procedure.steps[0]->value);
  }
  std::vector<Value> args;
  args.reserve(expr.arguments.size() + (applyto != nullptr ? 1 : 0));
  if (applyto != nullptr) args.push_back(*applyto);
  for (const NodePtr& arg : expr.arguments) args.push_back(Eval(*arg, input, env));
  CallSite site{ProcedureName(procedure), expr.position};
  try {
    return ApplyFunction(proc, std::move(args), input, site);
  } catch (Error& e) {
    if (e.position <= 0) e.position = expr.position;
    if (e.token.empty()) e.token = std::string(site.name);
    throw;
  }
}

Value Evaluator::ApplyFunction(const Value& proc, std::vector<Value> args, const Value& input,
                               const CallSite& site) {
  Value result = ApplyInner(proc, std::move(args), input, site);
  // Tail calls come back as thunks: run them here, in constant native stack.
  while (result.IsFunction() && result.function()->kind() == Function::Kind::kLambda) {
    const auto& thunk = static_cast<const LambdaFn&>(*result.function());
    if (!thunk.thunk) break;
    Value hold = result;  // keeps the thunk alive while its call is made
    const Node& call = *thunk.node->body;
    const auto* saved_owner = current_owner_;
    current_owner_ = &thunk.owner;
    Value next;
    std::vector<Value> next_args;
    try {
      next = Eval(*call.procedure, thunk.input, thunk.env.get());
      next_args.reserve(call.arguments.size());
      for (const NodePtr& arg : call.arguments) {
        next_args.push_back(Eval(*arg, thunk.input, thunk.env.get()));
      }
    } catch (...) {
      current_owner_ = saved_owner;
      throw;
    }
    current_owner_ = saved_owner;
    CallSite next_site{ProcedureName(*call.procedure), call.procedure->position};
    result = ApplyInner(next, std::move(next_args), input, next_site);
  }
  return result;
}

Value Evaluator::ApplyInner(const Value& proc, std::vector<Value> args, const Value& input,
                            const CallSite& site) {
  try {
    if (!proc.IsFunction()) Throw("T1006");
    const Function& f = *proc.function();
    switch (f.kind()) {
      case Function::Kind::kLambda: {
        const auto& l = static_cast<const LambdaFn&>(f);
        if (l.signature != nullptr) args = l.signature->Validate(args, input);
        if (l.form == LambdaFn::Form::kTransform) {
          return ApplyTransform(l, args.empty() ? Value() : args[0]);
        }
        return ApplyLambda(l, std::move(args));
      }
      case Function::Kind::kNative:
        return CallNative(static_cast<const NativeFunction&>(f), args, input, site);
      case Function::Kind::kPartial:
        return ApplyPartial(static_cast<const PartialFn&>(f), std::move(args), site);
      case Function::Kind::kRegex: {
        int saved = call_position_;
        call_position_ = site.position;
        Value subject = args.empty() ? Value() : args[0];
        auto re = std::static_pointer_cast<Regex>(proc.function());
        Value r;
        try {
          r = ApplyRegex(*this, re, subject);
        } catch (...) {
          call_position_ = saved;
          throw;
        }
        call_position_ = saved;
        return r;
      }
      case Function::Kind::kClosure: {
        int saved = call_position_;
        call_position_ = site.position;
        Value r;
        try {
          r = static_cast<const ClosureFunction&>(f).Call(*this, args);
        } catch (...) {
          call_position_ = saved;
          throw;
        }
        call_position_ = saved;
        return r;
      }
    }
    return {};
  } catch (Error& e) {
    if (proc.IsFunction()) {
      if (e.token.empty() && !site.name.empty()) e.token = std::string(site.name);
      if (site.position > 0) e.position = site.position;
    }
    throw;
  }
}

Value Evaluator::ApplyLambda(const LambdaFn& fn, std::vector<Value> args) {
  FrameRef frame = NewFrame(fn.env.get());
  if (fn.params != nullptr) {
    const std::vector<std::string>& params = *fn.params;
    for (size_t i = 0; i < params.size(); ++i) {
      frame->Bind(params[i], i < args.size() ? std::move(args[i]) : Value());
    }
  }
  const auto* saved_owner = current_owner_;
  current_owner_ = &fn.owner;
  Value result;
  try {
    result = Eval(*fn.node->body, fn.input, frame.get());
  } catch (...) {
    current_owner_ = saved_owner;
    throw;
  }
  current_owner_ = saved_owner;
  return result;
}

Value Evaluator::CallNative(const NativeFunction& fn, std::span<const Value> args,
                            const Value& input, const CallSite& site) {
  const auto* sig = static_cast<const Signature*>(fn.parsed_signature.get());
  std::vector<Value> validated;
  if (sig != nullptr) {
    validated = sig->Validate(args, input);
    args = validated;
  }
  int saved = call_position_;
  call_position_ = site.position;
  Value r;
  try {
    r = fn.spec().body(*this, args);
  } catch (Error&) {
    call_position_ = saved;
    throw;
  } catch (const std::bad_alloc&) {
    call_position_ = saved;
    throw;
  } catch (const std::exception& ex) {
    // A built-in let a standard-library exception escape: report it as an
    // error of the call instead of crashing the evaluation.
    call_position_ = saved;
    Error e("D3137", site.position, std::string(site.name));
    e.message = std::string("Unexpected failure in $") + std::string(fn.spec().name) + ": " +
                ex.what();
    throw e;
  }
  call_position_ = saved;
  return r;
}

Value Evaluator::ApplyPartial(const PartialFn& fn, std::vector<Value> args, const CallSite& site) {
  std::vector<Value> full = fn.slots;
  size_t next = 0;
  for (size_t i = 0; i < full.size(); ++i) {
    if (fn.open[i]) full[i] = next < args.size() ? std::move(args[next++]) : Value();
  }
  while (!full.empty() && full.back().IsUndefined()) full.pop_back();
  return ApplyInner(fn.target, std::move(full), Value(), site);
}

Value Evaluator::EvalPartial(const Node& expr, const Value& input, Frame* env) {
  std::vector<Value> args;
  std::vector<bool> open;
  args.reserve(expr.arguments.size());
  open.reserve(expr.arguments.size());
  for (const NodePtr& arg : expr.arguments) {
    if (arg->type == NodeType::kPlaceholder) {
      args.emplace_back();
      open.push_back(true);
    } else {
      args.push_back(Eval(*arg, input, env));
      open.push_back(false);
    }
  }
  const Node& procedure = *expr.procedure;
  Value proc = Eval(procedure, input, env);
  if (proc.IsUndefined() && procedure.type == NodeType::kPath && !procedure.steps.empty() &&
      !LookupVariable(procedure.steps[0]->value, env).IsUndefined()) {
    Throw("T1007", expr.position, procedure.steps[0]->value);
  }
  if (!proc.IsFunction()) Throw("T1008", expr.position, std::string(ProcedureName(procedure)));

  const Function& f = *proc.function();
  if (f.kind() == Function::Kind::kLambda &&
      static_cast<const LambdaFn&>(f).form == LambdaFn::Form::kLambda) {
    // A lambda with some parameters bound: a new lambda over the rest.
    const auto& l = static_cast<const LambdaFn&>(f);
    auto p = std::make_shared<LambdaFn>();
    p->node = l.node;
    p->input = l.input;
    p->owner = l.owner;
    FrameRef frame = NewFrame(l.env.get());
    if (l.params != nullptr) {
      for (size_t i = 0; i < l.params->size(); ++i) {
        const std::string& param = (*l.params)[i];
        if (i < open.size() && open[i]) {
          p->own_params.push_back(param);
        } else {
          frame->Bind(param, i < args.size() ? args[i] : Value());
        }
      }
    }
    p->params = &p->own_params;
    p->env = std::move(frame);
    return Value::FromFunction(std::move(p));
  }

  auto p = std::make_shared<PartialFn>();
  if (f.kind() == Function::Kind::kPartial) {
    // Binding more arguments of a partial application.
    const auto& inner = static_cast<const PartialFn&>(f);
    p->target = inner.target;
    p->slots = inner.slots;
    p->open = inner.open;
    size_t k = 0;
    for (size_t i = 0; i < p->slots.size(); ++i) {
      if (!p->open[i]) continue;
      if (k < open.size() && open[k]) {
        ++k;
        continue;
      }
      p->slots[i] = k < args.size() ? args[k] : Value();
      p->open[i] = false;
      ++k;
    }
  } else {
    p->target = proc;
    size_t count = static_cast<size_t>(detail::FunctionArity(proc));
    if (f.kind() == Function::Kind::kNative) {
      const auto* sig =
          static_cast<const Signature*>(static_cast<const NativeFunction&>(f).parsed_signature.get());
      if (sig != nullptr) count = sig->param_count();
    }
    p->slots.resize(count);
    p->open.assign(count, false);
    for (size_t i = 0; i < count; ++i) {
      if (i < open.size() && open[i]) {
        p->open[i] = true;
      } else if (i < args.size()) {
        p->slots[i] = args[i];
      }
    }
  }
  p->open_count = 0;
  for (bool o : p->open) p->open_count += o ? 1 : 0;
  return Value::FromFunction(std::move(p));
}

Value Evaluator::EvalApplyExpr(const Node& expr, const Value& input, Frame* env) {
  Value lhs = Eval(*expr.lhs, input, env);
  if (expr.rhs->type == NodeType::kFunction) return EvalFunction(*expr.rhs, input, env, &lhs);
  Value func = Eval(*expr.rhs, input, env);
  if (!func.IsFunction()) Throw("T2006", expr.position, {}, func);
  if (lhs.IsFunction()) {
    // Composition: λ($f, $g) { λ($x){ $g($f($x)) } } applied to both.
    Value chain = Eval(ChainAst(), Value::Null(), env);
    return ApplyFunction(chain, {lhs, func}, Value::Null(), CallSite{});
  }
  return ApplyFunction(func, {lhs}, Value::Null(), CallSite{});
}

Value Evaluator::Apply(const Value& fn, std::vector<Value> args) {
  if (!fn.IsFunction()) Throw("T1006", call_position_);
  int saved = call_position_;
  Value r;
  try {
    r = ApplyFunction(fn, std::move(args), Value::Null(), CallSite{});
  } catch (...) {
    call_position_ = saved;
    throw;
  }
  call_position_ = saved;
  return r;
}

int Evaluator::Arity(const Value& fn) const { return detail::FunctionArity(fn); }

}  // namespace stepflow::jsonata
