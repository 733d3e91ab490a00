// Callables: lambdas (owned by the evaluator), built-in functions written in
// C++ against CallContext, partial applications and regular expressions.
//
// A built-in receives its arguments already checked and coerced against its
// signature (jsonata-js's `<...>` syntax), with the context argument filled
// in, so its body only does the work. It raises errors with Throw(...).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/jsonata/error.h"
#include "engine/jsonata/value.h"

namespace stepflow::jsonata {

class Regex;  // regex.h

// What a built-in may ask of the evaluation it runs in.
class CallContext {
 public:
  virtual ~CallContext() = default;
  // Calls any function value (lambda, built-in, partial, regex) with `args`,
  // as the evaluator does for `$f(args)`. Throws Error (T1006 when `fn` is
  // not a function).
  virtual Value Apply(const Value& fn, std::vector<Value> args) = 0;
  // The number of parameters `fn` declares (lambda parameters, or a
  // built-in's signature length); used by $map/$filter/$reduce/$sift/$each
  // to pass (value, index, array) only as far as the function takes them.
  virtual int Arity(const Value& fn) const = 0;
  // The evaluation's fixed clock: $now() and $millis() read this, so every
  // call within one evaluation sees the same instant.
  virtual int64_t NowMillis() const = 0;
  // Uniform doubles in [0, 1) for $random() and $shuffle.
  virtual double Random() = 0;
  // The position of the call being made, for errors.
  virtual int Position() const = 0;
  // Raises U1001 when the evaluation has run past its time limit; long
  // loops inside built-ins call it now and then.
  virtual void CheckTimeLimit() = 0;
};

using NativeBody = Value (*)(CallContext& ctx, std::span<const Value> args);

// One built-in: $name, its signature in jsonata-js's syntax (e.g.
// "<s-nn?:s>"), and the body.
struct BuiltinSpec {
  std::string_view name;       // without '$'
  std::string_view signature;  // "" = no checking (the body checks)
  NativeBody body;
};

// Registration lists, one per source file of functions.
std::span<const BuiltinSpec> StringFunctions();     // functions_string.cc
std::span<const BuiltinSpec> NumericFunctions();    // functions_numeric.cc
std::span<const BuiltinSpec> ArrayFunctions();      // functions_array.cc (incl. $map ... $sift, $sort, object fns, booleans)
std::span<const BuiltinSpec> DateTimeFunctions();   // functions_datetime.cc
std::span<const BuiltinSpec> RegexFunctions();      // functions_regex.cc ($match, $replace, $split, $contains)

class Function {
 public:
  enum class Kind : uint8_t { kLambda, kNative, kPartial, kRegex, kClosure };
  explicit Function(Kind k) : kind_(k) {}
  virtual ~Function() = default;
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

class NativeFunction : public Function {
 public:
  explicit NativeFunction(const BuiltinSpec* spec) : Function(Kind::kNative), spec_(spec) {}
  const BuiltinSpec& spec() const { return *spec_; }
  // The parsed signature, owned by the evaluator (signature.h); set lazily.
  mutable std::shared_ptr<const void> parsed_signature;

 private:
  const BuiltinSpec* spec_;
};

// A function value a built-in makes around captured state (e.g. the `next`
// of a regex match object, functions_regex.cc). The evaluator calls it
// through Call with the arguments as given (no signature); Arity() is what
// CallContext::Arity reports for it.
class ClosureFunction : public Function {
 public:
  ClosureFunction() : Function(Kind::kClosure) {}
  virtual Value Call(CallContext& ctx, std::span<const Value> args) const = 0;
  virtual int Arity() const { return 0; }
};

// ---- helpers shared by the function files (implemented in functions_string.cc
// unless said otherwise) ----

// JavaScript's Number.prototype.toString: shortest round trip, plain
// notation for 1e-7 <= |x| < 1e21, else "1.5e+21" / "1e-7".
std::string NumberToString(double x);
// $string semantics for one value: strings as they are, numbers rounded to
// 15 significant digits then NumberToString, booleans/null as JSON, arrays
// and objects as JSON.stringify does with that rounding (functions as "",
// members whose value is undefined/a function left out as JSON.stringify
// does), `pretty` indents by 2. Non-finite numbers raise D3001.
std::string Stringify(const Value& v, bool pretty = false);
// Code points in UTF-8 text, and conversions between code point indexes,
// UTF-16 unit indexes and byte offsets.
size_t CodePointLength(std::string_view s);
size_t ByteOffsetOfCodePoint(std::string_view s, size_t cp_index);
size_t Utf16Length(std::string_view s);
size_t ByteOffsetOfUtf16(std::string_view s, size_t unit_index);

// Deep equality as jsonata's `=` on arrays/objects (evaluator.cc).
bool DeepEqual(const Value& a, const Value& b);
// JSONata truthiness ($boolean) (evaluator.cc).
bool ToBoolean(const Value& v);

}  // namespace stepflow::jsonata
