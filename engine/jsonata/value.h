// The value model of the JSONata evaluator.
//
// A Value is one of JSONata's types: undefined (the default), null, boolean,
// number (always a double), string, array, object or function. Strings,
// arrays and objects either own their data (shared, reference counted) or
// borrow it from an engine Json that outlives the evaluation (Value::Borrow):
// the input of an expression is read in place, never copied. Accessors hide
// which of the two a value is; code in this module never looks at Json
// directly except through Value.
//
// Arrays carry JSONata's sequence flags (sequence, keep_singleton, cons,
// outer_wrapper, tuple_stream); a borrowed JSON array has none.
//
// Values are immutable once shared: build an owned Array or Object through
// MutableArray()/MutableObject() right after creating it, then hand it out.
//
// Thread-safety: a Value may be read from several threads when all of them
// only read; reference counts are atomic.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/common/json_util.h"

namespace stepflow::jsonata {

class Function;
struct Array;
struct Object;

class Value {
 public:
  enum class Type : uint8_t {
    kUndefined,
    kNull,
    kBoolean,
    kNumber,
    kString,
    kArray,
    kObject,
    kFunction,
  };

  Value() = default;  // undefined
  static Value Null();
  static Value Boolean(bool b);
  static Value Number(double n);
  static Value String(std::string s);
  static Value String(std::string_view s) { return String(std::string(s)); }
  static Value String(const char* s) { return String(std::string(s)); }
  // A new, empty owned array / object; fill it with MutableArray()/MutableObject().
  static Value NewArray();
  static Value NewArray(std::vector<Value> items);
  static Value NewObject();
  static Value FromFunction(std::shared_ptr<Function> f);
  // A view of `json`, which must outlive this value and every value read
  // from it. Numbers, booleans and null are converted at once.
  static Value Borrow(const Json& json);

  Type type() const { return type_; }
  bool IsUndefined() const { return type_ == Type::kUndefined; }
  bool IsNull() const { return type_ == Type::kNull; }
  bool IsBoolean() const { return type_ == Type::kBoolean; }
  bool IsNumber() const { return type_ == Type::kNumber; }
  bool IsString() const { return type_ == Type::kString; }
  bool IsArray() const { return type_ == Type::kArray; }
  bool IsObject() const { return type_ == Type::kObject; }
  bool IsFunction() const { return type_ == Type::kFunction; }
  // True for a borrowed string, array or object.
  bool IsBorrowed() const { return json_ != nullptr; }

  bool boolean() const { return b_; }  // IsBoolean()
  double number() const { return n_; }  // IsNumber()
  std::string_view str() const;         // IsString()

  // Arrays (owned or borrowed).
  size_t size() const;           // IsArray(): number of items
  Value at(size_t i) const;      // IsArray(), i < size()
  // Owned arrays only: the flags. A borrowed array reports all false.
  const Array* array() const;    // nullptr when borrowed or not an array
  // Objects (owned or borrowed).
  Value Get(std::string_view key) const;  // undefined when absent
  bool Has(std::string_view key) const;
  size_t ObjectSize() const;
  // Calls f(std::string_view key, const Value& value) for each member in order.
  template <typename F>
  void ForEachMember(F&& f) const;
  std::vector<std::string> Keys() const;
  const Object* object() const;  // nullptr when borrowed or not an object

  const std::shared_ptr<Function>& function() const;  // IsFunction()

  // Mutable access to a freshly built owned array/object (asserts ownership).
  Array& MutableArray();
  Object& MutableObject();
  // An owned shallow copy of an array/object (borrowed ones are copied one
  // level deep, their children stay borrowed).
  Value ShallowCopy() const;

  // Engine JSON out of a value: nullopt for undefined; functions become ""
  // (as JSON.stringify leaves them in jsonata-js); numbers that are integral
  // and within ±2^53 become JSON integers. Array flags are dropped.
  std::optional<Json> ToJson() const;

 private:
  friend class ValueAccess;
  Type type_ = Type::kUndefined;
  bool b_ = false;
  double n_ = 0;
  const Json* json_ = nullptr;       // borrowed string/array/object
  std::shared_ptr<void> heap_;       // owned std::string / Array / Object
  std::shared_ptr<Function> fn_;     // kFunction
};

struct Array {
  std::vector<Value> items;
  bool sequence = false;        // a result sequence: singleton unwraps
  bool keep_singleton = false;  // path ended in [] : keep as array
  bool cons = false;            // built by an array constructor
  bool outer_wrapper = false;
  bool tuple_stream = false;    // items are tuple objects ('@', bindings)

  // Nested arrays/objects are released one at a time, not recursively, so
  // dropping a deeply nested value cannot exhaust the stack
  // (value_release.cc).
  Array() = default;
  Array(const Array&) = default;
  Array(Array&&) = default;
  Array& operator=(const Array&) = default;
  Array& operator=(Array&&) = default;
  ~Array();
};

// Members in insertion order; lookups are linear below 16 members and go
// through an index above.
struct Object {
  const Value* Find(std::string_view key) const;
  // Replaces the value of an existing key in place, else appends.
  void Set(std::string key, Value v);
  bool Erase(std::string_view key);
  size_t size() const { return members.size(); }
  const std::vector<std::pair<std::string, Value>>& items() const { return members; }

  // Released iteratively, as Array (value_release.cc).
  Object() = default;
  Object(const Object&) = default;
  Object(Object&&) = default;
  Object& operator=(const Object&) = default;
  Object& operator=(Object&&) = default;
  ~Object();

 private:
  void Reindex() const;
  std::vector<std::pair<std::string, Value>> members;
  mutable std::vector<uint32_t> index_;  // open addressing over positions+1; empty = none
  friend class Value;
};

template <typename F>
void Value::ForEachMember(F&& f) const {
  if (json_ != nullptr) {
    for (const auto& [k, v] : json_->items()) f(std::string_view(k), Value::Borrow(v));
    return;
  }
  for (const auto& [k, v] : object()->items()) f(std::string_view(k), v);
}

}  // namespace stepflow::jsonata
