// Location paths: steps, predicates, tuple streams (@, #, %), order-by,
// group-by object constructors, wildcards and descendants.
#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/jsonata/evaluator.h"

namespace stepflow::jsonata {

using detail::IsCons;
using detail::IsNumeric;
using detail::IsSequence;
using detail::IsTupleStream;
using detail::NewSequence;

namespace {

// Calls f(item) for each item of an array value (owned or borrowed).
template <typename F>
void ForEachItem(const Value& arr, F&& f) {
  if (const Array* a = arr.array()) {
    for (const Value& v : a->items) f(v);
  } else {
    size_t n = arr.size();
    for (size_t i = 0; i < n; ++i) f(arr.at(i));
  }
}

// The items a step iterates over, as JavaScript's `for (i < input.length)`
// sees them: an array's items, a string's characters, nothing otherwise.
std::vector<Value> IterationItems(const Value& input) {
  std::vector<Value> out;
  if (input.IsArray()) {
    out.reserve(input.size());
    ForEachItem(input, [&](const Value& v) { out.push_back(v); });
  } else if (input.IsString()) {
    std::string_view s = input.str();
    for (size_t i = 0; i < s.size();) {
      size_t len = 1;
      unsigned char c = static_cast<unsigned char>(s[i]);
      if (c >= 0xF0) {
        len = 4;
      } else if (c >= 0xE0) {
        len = 3;
      } else if (c >= 0xC0) {
        len = 2;
      }
      len = std::min(len, s.size() - i);
      out.push_back(Value::String(s.substr(i, len)));
      i += len;
    }
  }
  return out;
}

// JavaScript's `value.length === 0` for the values a path step yields.
bool IsEmptyResult(const Value& v) {
  if (v.IsUndefined()) return true;
  if (v.IsArray()) return v.size() == 0;
  if (v.IsString()) return v.str().empty();
  return false;
}

// A copy of a tuple object's members in a new owned object.
Value CopyTuple(const Value& tuple) {
  Value out = Value::NewObject();
  if (tuple.IsObject()) {
    Object& o = out.MutableObject();
    tuple.ForEachMember([&](std::string_view k, const Value& v) { o.Set(std::string(k), v); });
  }
  return out;
}

Value NewTuple(Value focus) {
  Value t = Value::NewObject();
  t.MutableObject().Set("@", std::move(focus));
  return t;
}

// JavaScript's property order: keys that are array indices ("0", "17")
// come first in numeric order, the others in insertion order.
bool IsArrayIndexKey(std::string_view k) {
  if (k.empty() || k.size() > 10) return false;
  if (k.size() > 1 && k[0] == '0') return false;
  uint64_t n = 0;
  for (char c : k) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n < 4294967295ull;
}

// The items of a value that accumulates by jsonata-js's fn.append.
class Accumulator {
 public:
  explicit Accumulator(Value first) : single_(std::move(first)) {}
  void Add(const Value& item) {
    if (!listed_) {
      if (single_.IsUndefined()) {
        single_ = item;
        return;
      }
      if (item.IsUndefined()) return;
      listed_ = true;
      if (single_.IsArray()) {
        ForEachItem(single_, [&](const Value& v) { list_.push_back(v); });
      } else {
        list_.push_back(std::move(single_));
      }
      single_ = Value();
    } else if (item.IsUndefined()) {
      return;
    }
    if (item.IsArray()) {
      ForEachItem(item, [&](const Value& v) { list_.push_back(v); });
    } else {
      list_.push_back(item);
    }
  }
  Value Take() { return listed_ ? Value::NewArray(std::move(list_)) : std::move(single_); }

 private:
  Value single_;
  std::vector<Value> list_;
  bool listed_ = false;
};

// jsonata-js's reduceTupleStream: the tuples of a group merged into one,
// each binding accumulated with fn.append.
Value ReduceTupleStream(const Value& stream) {
  if (!stream.IsArray()) return CopyTuple(stream);
  std::vector<std::pair<std::string, Accumulator>> props;
  auto find = [&](std::string_view k) -> Accumulator* {
    for (auto& [name, acc] : props) {
      if (name == k) return &acc;
    }
    return nullptr;
  };
  size_t n = stream.size();
  for (size_t i = 0; i < n; ++i) {
    Value tuple = stream.at(i);
    if (!tuple.IsObject()) continue;
    tuple.ForEachMember([&](std::string_view k, const Value& v) {
      if (Accumulator* acc = find(k)) {
        if (i > 0) acc->Add(v);
      } else if (i == 0) {
        props.emplace_back(std::string(k), Accumulator(v));
      } else {
        Accumulator acc((Value()));
        acc.Add(v);
        props.emplace_back(std::string(k), std::move(acc));
      }
    });
  }
  Value out = Value::NewObject();
  Object& o = out.MutableObject();
  for (auto& [k, acc] : props) o.Set(k, acc.Take());
  return out;
}

}  // namespace

Value Evaluator::EvalPath(const Node& expr, const Value& input, Frame* env) {
  const std::vector<NodePtr>& steps = expr.steps;
  if (steps.empty()) return {};
  // jsonata-js wraps a non-array input in a sequence of one; the sequence is
  // only made when a step needs it as a value.
  bool single = !(input.IsArray() && steps[0]->type != NodeType::kVariable);
  Value input_seq = single ? Value() : input;
  auto materialize = [&] {
    if (single) {
      input_seq = NewSequence(input);
      single = false;
    }
  };

  Value result_seq;
  bool is_tuple = false;
  Value tuple_bindings;  // undefined until the first tuple step
  for (size_t i = 0; i < steps.size(); ++i) {
    const Node& step = *steps[i];
    if (step.tuple) is_tuple = true;
    if (i == 0 && step.consarray) {
      materialize();
      result_seq = Eval(step, input_seq, env);
    } else if (is_tuple) {
      materialize();
      tuple_bindings = EvalTupleStep(step, input_seq, std::move(tuple_bindings), env);
    } else {
      result_seq = EvalStep(step, single ? input : input_seq, env, i == steps.size() - 1, single);
    }
    if (!is_tuple && IsEmptyResult(result_seq)) break;
    if (!step.focus) {
      input_seq = result_seq;
      single = false;
    }
  }

  if (is_tuple) {
    if (expr.tuple) {
      result_seq = tuple_bindings;
    } else {
      result_seq = NewSequence();
      std::vector<Value>& items = result_seq.MutableArray().items;
      if (tuple_bindings.IsArray()) {
        ForEachItem(tuple_bindings, [&](const Value& t) { items.push_back(t.Get("@")); });
      }
    }
  }

  if (expr.keep_singleton_array && result_seq.IsArray()) {
    if (IsCons(result_seq) && !IsSequence(result_seq)) result_seq = NewSequence(result_seq);
    if (IsSequence(result_seq) && !result_seq.array()->keep_singleton) {
      result_seq = detail::Unshare(std::move(result_seq));
      result_seq.MutableArray().keep_singleton = true;
    }
  }

  if (expr.group) {
    result_seq = EvalGroup(expr.group->pairs, expr.group->position,
                           is_tuple ? tuple_bindings : result_seq, env);
  }
  return result_seq;
}

Value Evaluator::EvalStep(const Node& step, const Value& input, Frame* env, bool last_step,
                          bool single) {
  if (step.type == NodeType::kSort) {
    Value result = EvalSort(step, single ? NewSequence(input) : input, env);
    if (!step.stages.empty()) result = EvalStages(step.stages, std::move(result), env);
    return result;
  }

  Value out = NewSequence();
  std::vector<Value>& items = out.MutableArray().items;
  items.reserve(single || !input.IsArray() ? 1 : input.size());
  auto add = [&](Value res) {
    if (!res.IsArray() || IsCons(res)) {
      items.push_back(std::move(res));
    } else if (const Array* a = res.array()) {
      items.insert(items.end(), a->items.begin(), a->items.end());
    } else {
      size_t n = res.size();
      detail::ReserveFor(items, n);
      for (size_t i = 0; i < n; ++i) items.push_back(res.at(i));
    }
  };
  // The first result waits: alone in the last step, an array is the result
  // as it is (jsonata-js's evaluateStep).
  Value first;
  size_t count = 0;
  auto visit = [&](const Value& item) {
    Value res = Eval(step, item, env);
    for (const Stage& stage : step.stages) {
      if (stage.kind == Stage::Kind::kFilter && stage.expr) {
        res = EvalFilter(*stage.expr, res, env);
      }
    }
    if (res.IsUndefined()) return;
    if (++count == 1) {
      first = std::move(res);
      return;
    }
    if (count == 2) add(std::move(first));
    add(std::move(res));
  };
  if (single) {
    visit(input);
  } else if (input.IsArray()) {
    ForEachItem(input, visit);
  } else {
    for (const Value& item : IterationItems(input)) visit(item);
  }
  if (count == 1) {
    if (last_step && first.IsArray() && !IsSequence(first)) return first;
    add(std::move(first));
  }
  return out;
}

Value Evaluator::EvalStages(const std::vector<Stage>& stages, Value input, Frame* env) {
  Value result = std::move(input);
  for (const Stage& stage : stages) {
    if (stage.kind == Stage::Kind::kFilter) {
      if (stage.expr) result = EvalFilter(*stage.expr, result, env);
    } else if (result.IsArray()) {
      size_t n = result.size();
      for (size_t i = 0; i < n; ++i) {
        Value tuple = result.at(i);
        if (tuple.object() != nullptr) {
          tuple.MutableObject().Set(stage.value, Value::Number(static_cast<double>(i)));
        }
      }
    }
  }
  return result;
}

Value Evaluator::EvalTupleStep(const Node& step, const Value& input, Value tuple_bindings,
                               Frame* env) {
  if (step.type == NodeType::kSort) {
    Value result;
    if (!tuple_bindings.IsUndefined()) {
      result = EvalSort(step, tuple_bindings, env);
    } else {
      Value sorted = EvalSort(step, input, env);
      result = NewSequence();
      result.MutableArray().tuple_stream = true;
      std::vector<Value>& items = result.MutableArray().items;
      if (sorted.IsArray()) {
        size_t n = sorted.size();
        for (size_t i = 0; i < n; ++i) {
          Value tuple = NewTuple(sorted.at(i));
          if (step.index) {
            tuple.MutableObject().Set(*step.index, Value::Number(static_cast<double>(i)));
          }
          items.push_back(std::move(tuple));
        }
      }
    }
    if (!step.stages.empty()) result = EvalStages(step.stages, std::move(result), env);
    return result;
  }

  Value result = NewSequence();
  result.MutableArray().tuple_stream = true;
  std::vector<Value> bindings;
  if (tuple_bindings.IsUndefined()) {
    for (const Value& item : IterationItems(input.IsArray() ? input : NewSequence(input))) {
      bindings.push_back(NewTuple(item));
    }
  } else if (tuple_bindings.IsArray()) {
    bindings = IterationItems(tuple_bindings);
  }

  for (const Value& tb : bindings) {
    FrameRef step_env = FrameFromTuple(env, tb);
    Value focus = tb.Get("@");
    Value res = Eval(step, focus, step_env.get());
    if (res.IsUndefined()) continue;
    if (!res.IsArray()) res = Value::NewArray({std::move(res)});
    bool res_tuples = IsTupleStream(res);
    size_t n = res.size();
    for (size_t b = 0; b < n; ++b) {
      Value tuple = CopyTuple(tb);
      Object& t = tuple.MutableObject();
      Value item = res.at(b);
      if (res_tuples) {
        item.ForEachMember([&](std::string_view k, const Value& v) { t.Set(std::string(k), v); });
      } else {
        if (step.focus) {
          t.Set(*step.focus, std::move(item));
          t.Set("@", focus);
        } else {
          t.Set("@", std::move(item));
        }
        if (step.index) t.Set(*step.index, Value::Number(static_cast<double>(b)));
        if (step.ancestor) t.Set(step.ancestor->label, focus);
      }
      result.MutableArray().items.push_back(std::move(tuple));
    }
  }

  if (!step.stages.empty()) result = EvalStages(step.stages, std::move(result), env);
  return result;
}

Value Evaluator::EvalFilter(const Node& predicate, const Value& input, Frame* env) {
  Value results = NewSequence();
  bool tuple_stream = IsTupleStream(input);
  if (tuple_stream) results.MutableArray().tuple_stream = true;
  Value in = input.IsArray() ? input : NewSequence(input);
  const size_t n = in.size();

  if (predicate.type == NodeType::kNumber) {
    double index = std::floor(predicate.literal.number());
    if (index < 0) index += static_cast<double>(n);
    if (index >= 0 && index < static_cast<double>(n)) {
      Value item = in.at(static_cast<size_t>(index));
      if (!item.IsUndefined()) {
        if (item.IsArray()) {
          results = std::move(item);
        } else {
          results.MutableArray().items.push_back(std::move(item));
        }
      }
    }
    return results;
  }

  for (size_t index = 0; index < n; ++index) {
    Value item = in.at(index);
    Value res;
    if (tuple_stream) {
      FrameRef frame = FrameFromTuple(env, item);
      res = Eval(predicate, item.Get("@"), frame.get());
    } else {
      res = Eval(predicate, item, env);
    }
    if (IsNumeric(res)) res = Value::NewArray({std::move(res)});
    bool numbers = false;
    if (res.IsArray()) {
      numbers = true;
      size_t m = res.size();
      for (size_t k = 0; k < m && numbers; ++k) numbers = IsNumeric(res.at(k));
    }
    if (numbers) {
      size_t m = res.size();
      for (size_t k = 0; k < m; ++k) {
        double ii = std::floor(res.at(k).number());
        if (ii < 0) ii += static_cast<double>(n);
        if (ii == static_cast<double>(index)) results.MutableArray().items.push_back(item);
      }
    } else if (ToBoolean(res)) {
      results.MutableArray().items.push_back(std::move(item));
    }
  }
  return results;
}

Value Evaluator::EvalSort(const Node& expr, const Value& input, Frame* env) {
  if (input.IsUndefined()) return {};
  if (!input.IsArray() || input.size() <= 1) return input;
  const bool tuple_sort = IsTupleStream(input);
  const size_t n = input.size();
  const size_t terms = expr.terms.size();
  std::vector<Value> items;
  items.reserve(n);
  ForEachItem(input, [&](const Value& v) { items.push_back(v); });

  // Sort keys are evaluated when a comparison first needs them.
  std::vector<Value> keys(n * terms);
  std::vector<bool> have(n * terms, false);
  auto key = [&](size_t item, size_t term) -> const Value& {
    size_t k = item * terms + term;
    if (!have[k]) {
      const Node& e = *expr.terms[term].expression;
      if (tuple_sort) {
        FrameRef frame = FrameFromTuple(env, items[item]);
        keys[k] = Eval(e, items[item].Get("@"), frame.get());
      } else {
        keys[k] = Eval(e, items[item], env);
      }
      have[k] = true;
    }
    return keys[k];
  };
  // True when a must come after b (jsonata-js's comparator returning true).
  auto after = [&](size_t a, size_t b) {
    CheckTimeLimit();
    int comp = 0;
    for (size_t t = 0; comp == 0 && t < terms; ++t) {
      const Value& aa = key(a, t);
      const Value& bb = key(b, t);
      if (aa.IsUndefined()) {
        comp = bb.IsUndefined() ? 0 : 1;
        continue;
      }
      if (bb.IsUndefined()) {
        comp = -1;
        continue;
      }
      bool a_ok = aa.IsString() || aa.IsNumber();
      bool b_ok = bb.IsString() || bb.IsNumber();
      if (!a_ok || !b_ok) Throw("T2008", expr.position, {}, !a_ok ? aa : bb);
      if (aa.type() != bb.type()) Throw("T2007", expr.position, {}, aa, bb);
      int c;
      if (aa.IsNumber()) {
        double x = aa.number();
        double y = bb.number();
        c = x == y ? 0 : (x < y ? -1 : 1);
      } else {
        c = detail::CompareStringsJs(aa.str(), bb.str());
        c = c == 0 ? 0 : (c < 0 ? -1 : 1);
      }
      if (c == 0) continue;
      comp = c;
      if (expr.terms[t].descending) comp = -comp;
    }
    return comp == 1;
  };

  // jsonata-js's merge sort: split at floor(n/2), merge taking the right
  // item only when the left one must come after it (stable).
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::vector<size_t> scratch(n);
  struct Range {
    size_t lo, hi;
    bool merged;
  };
  std::vector<Range> work{{0, n, false}};
  while (!work.empty()) {
    Range r = work.back();
    work.pop_back();
    if (r.hi - r.lo <= 1) continue;
    size_t mid = r.lo + (r.hi - r.lo) / 2;
    if (!r.merged) {
      work.push_back({r.lo, r.hi, true});
      work.push_back({mid, r.hi, false});
      work.push_back({r.lo, mid, false});
      continue;
    }
    size_t i = r.lo, j = mid, k = r.lo;
    while (i < mid && j < r.hi) {
      if (after(order[i], order[j])) {
        scratch[k++] = order[j++];
      } else {
        scratch[k++] = order[i++];
      }
    }
    while (i < mid) scratch[k++] = order[i++];
    while (j < r.hi) scratch[k++] = order[j++];
    for (size_t x = r.lo; x < r.hi; ++x) order[x] = scratch[x];
  }

  Value out = Value::NewArray();
  Array& arr = out.MutableArray();
  arr.items.reserve(n);
  for (size_t i : order) arr.items.push_back(items[i]);
  if (tuple_sort) arr.tuple_stream = true;
  return out;
}

Value Evaluator::EvalGroup(const std::vector<NodePair>& pairs, int position, const Value& input,
                           Frame* env) {
  struct Group {
    std::string key;
    Accumulator data;
    size_t expr_index;
  };
  std::vector<Group> groups;
  groups.reserve(pairs.size());
  // Keys are found by a scan while there are few, through an index after.
  constexpr size_t kIndexFrom = 16;
  std::unordered_map<std::string, size_t> by_key;
  auto find = [&](std::string_view k) -> Group* {
    if (groups.size() < kIndexFrom) {
      for (Group& g : groups) {
        if (g.key == k) return &g;
      }
      return nullptr;
    }
    if (by_key.empty()) {
      for (size_t i = 0; i < groups.size(); ++i) by_key.emplace(groups[i].key, i);
    }
    auto it = by_key.find(std::string(k));
    return it == by_key.end() ? nullptr : &groups[it->second];
  };
  const bool reduce = IsTupleStream(input);

  auto visit = [&](const Value& item) {
    FrameRef tuple_env;
    Frame* item_env = env;
    Value context;
    if (reduce) {
      tuple_env = FrameFromTuple(env, item);
      item_env = tuple_env.get();
      context = item.Get("@");
    }
    for (size_t p = 0; p < pairs.size(); ++p) {
      Value key = Eval(*pairs[p].first, reduce ? context : item, item_env);
      if (key.IsUndefined()) continue;
      if (!key.IsString()) Throw("T1003", position, {}, key);
      if (Group* g = find(key.str())) {
        if (g->expr_index != p) Throw("D1009", position, {}, key);
        g->data.Add(item);
      } else {
        if (!by_key.empty()) by_key.emplace(std::string(key.str()), groups.size());
        groups.push_back(Group{std::string(key.str()), Accumulator(item), p});
      }
    }
  };
  if (!input.IsArray()) {
    visit(input);
  } else if (input.size() == 0) {
    visit(Value());
  } else {
    ForEachItem(input, visit);
  }

  // Object.keys order: array-index keys first, numerically.
  std::vector<size_t> order;
  order.reserve(groups.size());
  std::vector<std::pair<uint64_t, size_t>> numeric;
  for (size_t i = 0; i < groups.size(); ++i) {
    if (IsArrayIndexKey(groups[i].key)) numeric.emplace_back(std::stoull(groups[i].key), i);
  }
  if (!numeric.empty()) {
    std::sort(numeric.begin(), numeric.end());
    for (const auto& [n, i] : numeric) order.push_back(i);
    for (size_t i = 0; i < groups.size(); ++i) {
      if (!IsArrayIndexKey(groups[i].key)) order.push_back(i);
    }
  } else {
    for (size_t i = 0; i < groups.size(); ++i) order.push_back(i);
  }

  Value result = Value::NewObject();
  for (size_t i : order) {
    Group& g = groups[i];
    Value context = g.data.Take();
    FrameRef tuple_env;
    Frame* group_env = env;
    if (reduce) {
      Value tuple = ReduceTupleStream(context);
      context = tuple.Get("@");
      tuple.MutableObject().Erase("@");
      tuple_env = FrameFromTuple(env, tuple);
      group_env = tuple_env.get();
    }
    Value value = Eval(*pairs[g.expr_index].second, context, group_env);
    if (!value.IsUndefined()) result.MutableObject().Set(std::move(g.key), std::move(value));
  }
  return result;
}

namespace {

void FlattenInto(const Value& v, std::vector<Value>& out) {
  if (!v.IsArray()) {
    out.push_back(v);
    return;
  }
  detail::CheckNativeStack();
  ForEachItem(v, [&](const Value& item) { FlattenInto(item, out); });
}

}  // namespace

Value Evaluator::EvalWildcard(const Value& input) {
  Value in = input;
  if (const Array* a = in.array(); a != nullptr && a->outer_wrapper && !a->items.empty()) {
    in = a->items[0];
  }
  std::vector<Value> items;
  bool sequence = true;  // jsonata-js's fn.append makes a plain array
  auto add = [&](const Value& value) {
    if (value.IsArray()) {
      FlattenInto(value, items);
      sequence = false;
    } else {
      items.push_back(value);
    }
  };
  if (in.IsObject()) {
    in.ForEachMember([&](std::string_view, const Value& v) { add(v); });
  } else if (in.IsArray()) {
    ForEachItem(in, add);
  }
  Value out = Value::NewArray(std::move(items));
  out.MutableArray().sequence = sequence;
  return out;
}

Value Evaluator::EvalDescendants(const Value& input) {
  if (input.IsUndefined()) return {};
  Value out = NewSequence();
  std::vector<Value>& items = out.MutableArray().items;
  std::vector<Value> stack{input};
  std::vector<Value> children;
  while (!stack.empty()) {
    Value v = std::move(stack.back());
    stack.pop_back();
    children.clear();
    if (v.IsArray()) {
      ForEachItem(v, [&](const Value& c) { children.push_back(c); });
    } else {
      items.push_back(v);
      if (v.IsObject()) {
        v.ForEachMember([&](std::string_view, const Value& c) { children.push_back(c); });
      }
    }
    for (auto it = children.rbegin(); it != children.rend(); ++it) stack.push_back(std::move(*it));
  }
  if (items.size() == 1) {
    Value only = items[0];
    return only;
  }
  return out;
}

namespace detail {

Value LookupField(const Value& input, std::string_view key) {
  if (input.IsArray()) {
    CheckNativeStack();
    Value out = NewSequence();
    std::vector<Value>& items = out.MutableArray().items;
    ForEachItem(input, [&](const Value& item) {
      Value res = LookupField(item, key);
      if (res.IsUndefined()) return;
      if (res.IsArray()) {
        ForEachItem(res, [&](const Value& v) { items.push_back(v); });
      } else {
        items.push_back(std::move(res));
      }
    });
    return out;
  }
  if (input.IsObject()) return input.Get(key);
  return {};
}

}  // namespace detail

namespace {

uint32_t DecodeAt(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  auto cont = [&](size_t k) -> uint32_t {
    return i + k < s.size() ? (static_cast<unsigned char>(s[i + k]) & 0x3Fu) : 0u;
  };
  if (c < 0x80) return c;
  if (c < 0xE0) return ((c & 0x1Fu) << 6) | cont(1);
  if (c < 0xF0) return ((c & 0x0Fu) << 12) | (cont(1) << 6) | cont(2);
  return ((c & 0x07u) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3);
}

}  // namespace

namespace detail {

int CompareStringsJs(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  if (i == n) return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
  // Back up to the start of the differing code point.
  while (i > 0 && (static_cast<unsigned char>(a[i]) & 0xC0u) == 0x80u) --i;
  uint32_t ca = DecodeAt(a, i);
  uint32_t cb = DecodeAt(b, i);
  auto unit = [](uint32_t cp) { return cp >= 0x10000 ? 0xD800u + ((cp - 0x10000u) >> 10) : cp; };
  uint32_t ua = unit(ca), ub = unit(cb);
  if (ua != ub) return ua < ub ? -1 : 1;
  return ca < cb ? -1 : (ca > cb ? 1 : 0);
}

}  // namespace detail

}  // namespace stepflow::jsonata
