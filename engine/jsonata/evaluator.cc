#include "engine/jsonata/evaluator.h"

#include <pthread.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "engine/jsonata/regex.h"
#include "engine/jsonata/signature.h"

namespace stepflow::jsonata {
namespace {

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

#if defined(__SANITIZE_ADDRESS__)
#define STEPFLOW_JSONATA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STEPFLOW_JSONATA_ASAN 1
#endif
#endif

// Native stack per nesting level, measured on recursive lambdas in an -O2
// build: 800-1200 bytes through operators, paths and constructors, about
// 2200 when each level also passes through a built-in calling back (a
// $sort comparator). Unoptimised and sanitized builds take several times
// that. Should a level take more than assumed, the stack guard ends the
// evaluation with U1001 before max_depth, never with an overflow.
#ifdef STEPFLOW_JSONATA_ASAN
constexpr size_t kBytesPerLevel = 8192;
#elif !defined(NDEBUG)
constexpr size_t kBytesPerLevel = 4096;
#else
constexpr size_t kBytesPerLevel = 2560;
#endif
// The largest stack a helper thread gets (address space only: pages are
// touched as they are used). AddressSanitizer cannot clean up after an
// exception on a stack above 64 MiB (google/sanitizers#189) and then reports
// false errors, so sanitized builds stay below that.
#ifdef STEPFLOW_JSONATA_ASAN
constexpr size_t kMaxHelperStack = size_t{60} << 20;
#else
constexpr size_t kMaxHelperStack = size_t{1} << 30;
#endif

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

namespace {

// Frames whose last reference went away while another frame was being
// deleted on this thread: deleting them there would recurse through
// bindings -> lambdas -> frames as deep as closures were chained.
thread_local std::vector<Frame*>* t_dying_frames = nullptr;

void DeleteFrame(Frame* f) {
  if (t_dying_frames != nullptr) {
    t_dying_frames->push_back(f);
    return;
  }
  std::vector<Frame*> dying;  // allocates only when deletions nest
  t_dying_frames = &dying;
  delete f;
  while (!dying.empty()) {
    Frame* next = dying.back();
    dying.pop_back();
    delete next;
  }
  t_dying_frames = nullptr;
}

}  // namespace

FrameRef::~FrameRef() {
  if (f_ != nullptr && f_->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) DeleteFrame(f_);
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
}

void Frame::Bind(std::string_view name, Value v) {
  const size_t in_line = std::min<size_t>(count_, kInlineBindings);
  for (size_t i = 0; i < in_line; ++i) {
    if (inline_[i].name == name) {
      inline_[i].value = std::move(v);
      return;
    }
  }
  for (Binding& b : more_) {
    if (b.name == name) {
      b.value = std::move(v);
      return;
    }
  }
  if (count_ < kInlineBindings) {
    inline_[count_].name.assign(name);
    inline_[count_].value = std::move(v);
  } else {
    more_.push_back(Binding{std::string(name), std::move(v)});
  }
  ++count_;
}

const Value* Frame::Lookup(std::string_view name) const {
  for (const Frame* f = this; f != nullptr; f = f->parent_.get()) {
    const size_t in_line = std::min<size_t>(f->count_, kInlineBindings);
    for (size_t i = 0; i < in_line; ++i) {
      if (f->inline_[i].name == name) return &f->inline_[i].value;
    }
    for (const Binding& b : f->more_) {
      if (b.name == name) return &b.value;
    }
  }
  return nullptr;
}

void Frame::ClearBindings() {
  std::vector<Value> values;
  values.reserve(count_);
  const size_t in_line = std::min<size_t>(count_, kInlineBindings);
  for (size_t i = 0; i < in_line; ++i) values.push_back(std::move(inline_[i].value));
  for (Binding& b : more_) values.push_back(std::move(b.value));
  for (size_t i = 0; i < in_line; ++i) inline_[i].name.clear();
  more_.clear();
  count_ = 0;
  // `values` ends here, after the frame is consistent again.
}

FrameList::~FrameList() { BreakCycles(); }

void FrameList::BreakCycles() {
  std::vector<FrameRef> alive;
  for (Frame* f = head_; f != nullptr; f = f->next_) alive.emplace_back(f);
  for (FrameRef& f : alive) f->ClearBindings();
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
  prev_floor_ = t_stack_floor;
  t_stack_floor = stack_floor_;
}

Evaluator::~Evaluator() {
  t_stack_floor = prev_floor_;
  root_frame_ = FrameRef();
  frames_.BreakCycles();
}

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

}  // namespace stepflow::jsonata
