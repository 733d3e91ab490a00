#include "engine/jsonata/value.h"

#include <cassert>
#include <cmath>
#include <functional>

#include "engine/jsonata/function.h"

namespace stepflow::jsonata {

Value Value::Null() {
  Value v;
  v.type_ = Type::kNull;
  return v;
}

Value Value::Boolean(bool b) {
  Value v;
  v.type_ = Type::kBoolean;
  v.b_ = b;
  return v;
}

Value Value::Number(double n) {
  Value v;
  v.type_ = Type::kNumber;
  v.n_ = n;
  return v;
}

Value Value::String(std::string s) {
  Value v;
  v.type_ = Type::kString;
  v.heap_ = std::make_shared<std::string>(std::move(s));
  return v;
}

Value Value::NewArray() {
  Value v;
  v.type_ = Type::kArray;
  v.heap_ = std::make_shared<Array>();
  return v;
}

Value Value::NewArray(std::vector<Value> items) {
  Value v = NewArray();
  v.MutableArray().items = std::move(items);
  return v;
}

Value Value::NewObject() {
  Value v;
  v.type_ = Type::kObject;
  v.heap_ = std::make_shared<Object>();
  return v;
}

Value Value::FromFunction(std::shared_ptr<Function> f) {
  Value v;
  v.type_ = Type::kFunction;
  v.fn_ = std::move(f);
  return v;
}

Value Value::Borrow(const Json& json) {
  Value v;
  switch (json.type()) {
    case Json::value_t::null:
      v.type_ = Type::kNull;
      break;
    case Json::value_t::boolean:
      v.type_ = Type::kBoolean;
      v.b_ = json.get<bool>();
      break;
    case Json::value_t::number_integer:
      v.type_ = Type::kNumber;
      v.n_ = static_cast<double>(json.get<int64_t>());
      break;
    case Json::value_t::number_unsigned:
      v.type_ = Type::kNumber;
      v.n_ = static_cast<double>(json.get<uint64_t>());
      break;
    case Json::value_t::number_float:
      v.type_ = Type::kNumber;
      v.n_ = json.get<double>();
      break;
    case Json::value_t::string:
      v.type_ = Type::kString;
      v.json_ = &json;
      break;
    case Json::value_t::array:
      v.type_ = Type::kArray;
      v.json_ = &json;
      break;
    case Json::value_t::object:
      v.type_ = Type::kObject;
      v.json_ = &json;
      break;
    default:  // binary, discarded: not produced by the engine
      v.type_ = Type::kNull;
      break;
  }
  return v;
}

std::string_view Value::str() const {
  assert(type_ == Type::kString);
  if (json_ != nullptr) return json_->get_ref<const std::string&>();
  return *static_cast<const std::string*>(heap_.get());
}

size_t Value::size() const {
  assert(type_ == Type::kArray);
  if (json_ != nullptr) return json_->size();
  return static_cast<const Array*>(heap_.get())->items.size();
}

Value Value::at(size_t i) const {
  assert(type_ == Type::kArray);
  if (json_ != nullptr) return Borrow((*json_)[i]);
  return static_cast<const Array*>(heap_.get())->items[i];
}

const Array* Value::array() const {
  if (type_ != Type::kArray || json_ != nullptr) return nullptr;
  return static_cast<const Array*>(heap_.get());
}

const Object* Value::object() const {
  if (type_ != Type::kObject || json_ != nullptr) return nullptr;
  return static_cast<const Object*>(heap_.get());
}

Value Value::Get(std::string_view key) const {
  if (type_ != Type::kObject) return {};
  if (json_ != nullptr) {
    auto it = json_->find(key);
    return it == json_->end() ? Value() : Borrow(*it);
  }
  const Value* v = object()->Find(key);
  return v == nullptr ? Value() : *v;
}

bool Value::Has(std::string_view key) const {
  if (type_ != Type::kObject) return false;
  if (json_ != nullptr) return json_->contains(key);
  return object()->Find(key) != nullptr;
}

size_t Value::ObjectSize() const {
  assert(type_ == Type::kObject);
  return json_ != nullptr ? json_->size() : object()->size();
}

std::vector<std::string> Value::Keys() const {
  std::vector<std::string> keys;
  if (type_ != Type::kObject) return keys;
  ForEachMember([&](std::string_view k, const Value&) { keys.emplace_back(k); });
  return keys;
}

const std::shared_ptr<Function>& Value::function() const {
  assert(type_ == Type::kFunction);
  return fn_;
}

Array& Value::MutableArray() {
  assert(type_ == Type::kArray && json_ == nullptr);
  return *static_cast<Array*>(heap_.get());
}

Object& Value::MutableObject() {
  assert(type_ == Type::kObject && json_ == nullptr);
  return *static_cast<Object*>(heap_.get());
}

Value Value::ShallowCopy() const {
  if (type_ == Type::kArray) {
    Value out = NewArray();
    Array& a = out.MutableArray();
    if (json_ != nullptr) {
      a.items.reserve(json_->size());
      for (const Json& item : *json_) a.items.push_back(Borrow(item));
    } else {
      a = *array();
    }
    return out;
  }
  if (type_ == Type::kObject) {
    Value out = NewObject();
    Object& o = out.MutableObject();
    if (json_ != nullptr) {
      for (auto it = json_->begin(); it != json_->end(); ++it) o.Set(it.key(), Borrow(*it));
    } else {
      o = *object();
    }
    return out;
  }
  return *this;
}

std::optional<Json> Value::ToJson() const {
  switch (type_) {
    case Type::kUndefined:
      return std::nullopt;
    case Type::kNull:
      return Json(nullptr);
    case Type::kBoolean:
      return Json(b_);
    case Type::kNumber: {
      constexpr double kExact = 9007199254740992.0;  // 2^53
      if (std::isfinite(n_) && std::trunc(n_) == n_ && std::fabs(n_) <= kExact) {
        return Json(static_cast<int64_t>(n_));
      }
      return Json(n_);
    }
    case Type::kString:
      if (json_ != nullptr) return *json_;
      return Json(std::string(str()));
    case Type::kFunction:
      return Json(std::string());
    case Type::kArray: {
      if (json_ != nullptr) return *json_;
      Json out = Json::array();
      for (const Value& item : array()->items) {
        std::optional<Json> j = item.ToJson();
        if (j) out.push_back(std::move(*j));
      }
      return out;
    }
    case Type::kObject: {
      if (json_ != nullptr) return *json_;
      Json out = Json::object();
      for (const auto& [k, v] : object()->items()) {
        std::optional<Json> j = v.ToJson();
        if (j) out[k] = std::move(*j);
      }
      return out;
    }
  }
  return std::nullopt;
}

// ---- Object ----

namespace {
size_t HashKey(std::string_view k) { return std::hash<std::string_view>{}(k); }
constexpr size_t kIndexFrom = 16;
}  // namespace

void Object::Reindex() const {
  size_t cap = 32;
  while (cap < members.size() * 2) cap *= 2;
  index_.assign(cap, 0);
  for (size_t i = 0; i < members.size(); ++i) {
    size_t slot = HashKey(members[i].first) & (cap - 1);
    while (index_[slot] != 0) slot = (slot + 1) & (cap - 1);
    index_[slot] = static_cast<uint32_t>(i + 1);
  }
}

const Value* Object::Find(std::string_view key) const {
  if (members.size() < kIndexFrom || index_.empty()) {
    for (const auto& m : members) {
      if (m.first == key) return &m.second;
    }
    return nullptr;
  }
  size_t mask = index_.size() - 1;
  for (size_t slot = HashKey(key) & mask; index_[slot] != 0; slot = (slot + 1) & mask) {
    const auto& m = members[index_[slot] - 1];
    if (m.first == key) return &m.second;
  }
  return nullptr;
}

void Object::Set(std::string key, Value v) {
  if (const Value* existing = Find(key)) {
    *const_cast<Value*>(existing) = std::move(v);
    return;
  }
  members.emplace_back(std::move(key), std::move(v));
  if (members.size() >= kIndexFrom) {
    if (index_.empty() || members.size() * 2 > index_.size()) {
      Reindex();
    } else {
      size_t mask = index_.size() - 1;
      size_t slot = HashKey(members.back().first) & mask;
      while (index_[slot] != 0) slot = (slot + 1) & mask;
      index_[slot] = static_cast<uint32_t>(members.size());
    }
  }
}

bool Object::Erase(std::string_view key) {
  for (auto it = members.begin(); it != members.end(); ++it) {
    if (it->first == key) {
      members.erase(it);
      if (members.size() >= kIndexFrom) {
        Reindex();
      } else {
        index_.clear();
      }
      return true;
    }
  }
  return false;
}

}  // namespace stepflow::jsonata
