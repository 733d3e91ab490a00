// The standard library: the registration lists of the function files plus
// the few built-ins that belong to the evaluator ($clone, $now, $millis).
// $eval is not offered (Step Functions removes it).
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/jsonata/evaluator.h"
#include "engine/jsonata/parser.h"
#include "engine/jsonata/signature.h"

namespace stepflow::jsonata {
namespace {

Value CloneFn(CallContext&, std::span<const Value> args) {
  if (args.empty() || args[0].IsUndefined()) return {};
  return detail::CloneValue(args[0]);
}

Value MillisFn(CallContext& ctx, std::span<const Value>) {
  return Value::Number(static_cast<double>(ctx.NowMillis()));
}

// $now(picture, timezone) = $fromMillis(<the evaluation's instant>, picture, timezone).
Value NowFn(CallContext& ctx, std::span<const Value> args) {
  const Value* from_millis = FindBuiltin("fromMillis");
  if (from_millis == nullptr) return {};
  const auto& native = static_cast<const NativeFunction&>(*from_millis->function());
  std::vector<Value> call{Value::Number(static_cast<double>(ctx.NowMillis())),
                          args.size() > 0 ? args[0] : Value(), args.size() > 1 ? args[1] : Value()};
  return native.spec().body(ctx, call);
}

constexpr BuiltinSpec kEvaluatorFunctions[] = {
    {"clone", "<(oa)-:o>", CloneFn},
    {"now", "<s?s?:s>", NowFn},
    {"millis", "<:n>", MillisFn},
};

std::shared_ptr<const Signature> CachedSignature(std::string_view text) {
  static std::mutex mu;
  static auto* cache = new std::unordered_map<std::string, std::shared_ptr<const Signature>>();
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache->find(std::string(text));
  if (it != cache->end()) return it->second;
  std::shared_ptr<const Signature> sig = Signature::Parse(text);
  cache->emplace(std::string(text), sig);
  return sig;
}

struct Library {
  std::unordered_map<std::string_view, Value> by_name;
};

const Library& GetLibrary() {
  static const Library* lib = [] {
    auto* l = new Library();
    auto add = [&](std::span<const BuiltinSpec> specs) {
      for (const BuiltinSpec& spec : specs) {
        l->by_name[spec.name] = MakeNative(spec);
      }
    };
    add(StringFunctions());
    add(NumericFunctions());
    add(ArrayFunctions());
    add(DateTimeFunctions());
    add(RegexFunctions());
    add(kEvaluatorFunctions);
    return l;
  }();
  return *lib;
}

}  // namespace

const Value* FindBuiltin(std::string_view name) {
  const Library& lib = GetLibrary();
  auto it = lib.by_name.find(name);
  return it == lib.by_name.end() ? nullptr : &it->second;
}

const Signature* SignatureOf(const BuiltinSpec& spec) {
  if (spec.signature.empty()) return nullptr;
  return CachedSignature(spec.signature).get();
}

Value MakeNative(const BuiltinSpec& spec) {
  auto fn = std::make_shared<NativeFunction>(&spec);
  if (!spec.signature.empty()) fn->parsed_signature = CachedSignature(spec.signature);
  return Value::FromFunction(std::move(fn));
}

const Node& ChainAst() {
  static const Node* chain = Parse("function($f, $g) { function($x){ $g($f($x)) } }").release();
  return *chain;
}

}  // namespace stepflow::jsonata
