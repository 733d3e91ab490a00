#include "engine/expr/json_path.h"

#include <cctype>
#include <cmath>
#include <random>
#include <span>
#include <variant>

#include "engine/expr/json_path_internal.h"

namespace stepflow::expr {

// ---------------------------------------------------------------------------
// EvalContext / VariableScope

const Json* VariableScope::Find(std::string_view name) const {
  for (const VariableScope* s = this; s != nullptr; s = s->parent) {
    if (s->vars == nullptr || !s->vars->is_object()) continue;
    const auto& obj = s->vars->get_ref<const Json::object_t&>();
    auto it = obj.find(name);
    if (it != obj.end()) return &it->second;
  }
  return nullptr;
}

uint64_t EvalContext::NextRandom() const {
  if (random) return random();
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return generator();
}

// ---------------------------------------------------------------------------
// Evaluation

namespace {

using Nodes = std::vector<const Json*>;

const Json* Child(const Json& node, const std::string& name) {
  if (!node.is_object()) return nullptr;
  const auto& obj = node.get_ref<const Json::object_t&>();
  auto it = obj.find(name);
  return it == obj.end() ? nullptr : &it->second;
}

const Json* Element(const Json& node, long long index) {
  if (!node.is_array()) return nullptr;
  long long size = static_cast<long long>(node.size());
  if (index < 0) index += size;
  if (index < 0 || index >= size) return nullptr;
  return &node[static_cast<size_t>(index)];
}

void CollectDescendants(const Json* node, Nodes* out) {
  out->push_back(node);
  if (node->is_object()) {
    for (const auto& [k, v] : node->items()) CollectDescendants(&v, out);
  } else if (node->is_array()) {
    for (const auto& v : *node) CollectDescendants(&v, out);
  }
}

void ApplySegments(std::span<const PathSegment> segs, Nodes* nodes, const Json& document_root);

// Resolves a filter operand against the current node: the value, or
// nullptr when a path selects nothing.
std::optional<Json> OperandValue(const FilterOperand& operand, const Json& current,
                                 const Json& document_root) {
  if (operand.kind == FilterOperand::Kind::kLiteral) return operand.literal;
  const Json& start = operand.kind == FilterOperand::Kind::kRelative ? current : document_root;
  Nodes nodes{&start};
  ApplySegments(operand.segments, &nodes, document_root);
  if (nodes.empty()) return std::nullopt;
  return *nodes.front();
}

bool Contains(const Json& array, const Json& value) {
  for (const auto& item : array) {
    if (item.is_number() && value.is_number() ? item.get<double>() == value.get<double>()
                                              : item == value) {
      return true;
    }
  }
  return false;
}

// Jayway's collection operators: in, nin, subsetof, anyof, noneof, size,
// empty.
std::optional<bool> CompareCollections(const Json& a, const std::string& op, const Json& b) {
  if (op == "in") return b.is_array() && Contains(b, a);
  if (op == "nin") return b.is_array() && !Contains(b, a);
  if (op == "size") {
    if (!b.is_number()) return false;
    if (a.is_array()) return static_cast<double>(a.size()) == b.get<double>();
    if (a.is_string())
      return static_cast<double>(a.get_ref<const std::string&>().size()) == b.get<double>();
    return false;
  }
  if (op == "empty") {
    if (!b.is_boolean()) return false;
    bool empty;
    if (a.is_array())
      empty = a.empty();
    else if (a.is_string())
      empty = a.get_ref<const std::string&>().empty();
    else
      return false;
    return empty == b.get<bool>();
  }
  if (op == "subsetof" || op == "anyof" || op == "noneof") {
    if (!a.is_array() || !b.is_array()) return false;
    size_t hits = 0;
    for (const auto& item : a) hits += Contains(b, item) ? 1 : 0;
    if (op == "subsetof") return hits == a.size();
    if (op == "anyof") return hits > 0;
    return hits == 0;
  }
  return std::nullopt;
}

bool CompareValues(const Json& a, const std::string& op, const Json& b) {
  if (auto r = CompareCollections(a, op, b)) return *r;
  if (op == "==")
    return a.is_number() && b.is_number() ? a.get<double>() == b.get<double>() : a == b;
  if (op == "!=") return !CompareValues(a, "==", b);
  int cmp;
  if (a.is_number() && b.is_number()) {
    double x = a.get<double>(), y = b.get<double>();
    cmp = x < y ? -1 : (x > y ? 1 : 0);
  } else if (a.is_string() && b.is_string()) {
    cmp = a.get_ref<const std::string&>().compare(b.get_ref<const std::string&>());
  } else {
    return false;  // ordering across types is never true
  }
  if (op == "<") return cmp < 0;
  if (op == "<=") return cmp <= 0;
  if (op == ">") return cmp > 0;
  return cmp >= 0;
}

bool Truthy(const Json& v) {
  if (v.is_boolean()) return v.get<bool>();
  return !v.is_null();
}

bool EvalFilter(const FilterExpr& expr, const Json& current, const Json& document_root) {
  switch (expr.kind) {
    case FilterExpr::Kind::kOr:
      for (const auto& c : expr.children) {
        if (EvalFilter(*c, current, document_root)) return true;
      }
      return false;
    case FilterExpr::Kind::kAnd:
      for (const auto& c : expr.children) {
        if (!EvalFilter(*c, current, document_root)) return false;
      }
      return true;
    case FilterExpr::Kind::kNot:
      return !EvalFilter(*expr.children[0], current, document_root);
    case FilterExpr::Kind::kExists: {
      auto v = OperandValue(expr.lhs, current, document_root);
      if (expr.lhs.kind == FilterOperand::Kind::kLiteral) return v && Truthy(*v);
      return v.has_value();
    }
    case FilterExpr::Kind::kCompare: {
      auto a = OperandValue(expr.lhs, current, document_root);
      if (!a) return false;
      if (expr.regex) {
        // Bounded subject: libstdc++'s regex recurses per character.
        if (!a->is_string() || a->get_ref<const std::string&>().size() > 4096) return false;
        return std::regex_match(a->get_ref<const std::string&>(), *expr.regex);
      }
      auto b = OperandValue(expr.rhs, current, document_root);
      if (!b) return false;
      return CompareValues(*a, expr.op, *b);
    }
  }
  return false;
}

void ApplySlice(const PathSegment& seg, const Json& node, Nodes* out) {
  if (!node.is_array()) return;
  long long n = static_cast<long long>(node.size());
  long long step = seg.step;
  auto clamp = [n](long long v, long long lo, long long hi) {
    if (v < 0) v += n;
    return std::max(lo, std::min(v, hi));
  };
  if (step > 0) {
    long long start = seg.start ? clamp(*seg.start, 0, n) : 0;
    long long end = seg.end ? clamp(*seg.end, 0, n) : n;
    for (long long i = start; i < end; i += step) out->push_back(&node[static_cast<size_t>(i)]);
  } else {
    long long start = seg.start ? clamp(*seg.start, -1, n - 1) : n - 1;
    long long end = seg.end ? clamp(*seg.end, -1, n - 1) : -1;
    for (long long i = start; i > end; i += step) out->push_back(&node[static_cast<size_t>(i)]);
  }
}

void ApplySelector(const PathSegment& seg, const Json& node, Nodes* out,
                   const Json& document_root) {
  switch (seg.kind) {
    case PathSegment::Kind::kName:
      if (const Json* c = Child(node, seg.name)) out->push_back(c);
      break;
    case PathSegment::Kind::kIndex:
      if (const Json* c = Element(node, seg.index)) out->push_back(c);
      break;
    case PathSegment::Kind::kWildcard:
      if (node.is_object() || node.is_array()) {
        for (const auto& v : node) out->push_back(&v);
      }
      break;
    case PathSegment::Kind::kSlice:
      ApplySlice(seg, node, out);
      break;
    case PathSegment::Kind::kUnion:
      for (const auto& m : seg.members) {
        const Json* c = std::holds_alternative<std::string>(m)
                            ? Child(node, std::get<std::string>(m))
                            : Element(node, std::get<long long>(m));
        if (c) out->push_back(c);
      }
      break;
    case PathSegment::Kind::kFilter:
      if (node.is_array()) {
        for (const auto& v : node) {
          if (EvalFilter(*seg.filter, v, document_root)) out->push_back(&v);
        }
      } else if (node.is_object()) {
        // As in Jayway, a filter on an object tests the object itself.
        if (EvalFilter(*seg.filter, node, document_root)) out->push_back(&node);
      }
      break;
  }
}

void ApplySegments(std::span<const PathSegment> segs, Nodes* nodes, const Json& document_root) {
  Nodes next;
  for (const auto& seg : segs) {
    next.clear();
    for (const Json* node : *nodes) {
      if (seg.descend && seg.kind == PathSegment::Kind::kFilter) {
        // Jayway's "..[?(...)]" tests every object below (and at) the node
        // once, in document order.
        Nodes all;
        CollectDescendants(node, &all);
        for (const Json* d : all) {
          if (d->is_object() && EvalFilter(*seg.filter, *d, document_root)) next.push_back(d);
        }
      } else if (seg.descend) {
        Nodes all;
        CollectDescendants(node, &all);
        for (const Json* d : all) ApplySelector(seg, *d, &next, document_root);
      } else {
        ApplySelector(seg, *node, &next, document_root);
      }
    }
    nodes->swap(next);
    if (nodes->empty()) return;
  }
}

// Jayway JsonPath, which AWS runs, renders paths as $['a'][0].
std::string JaywayStep(const PathSegment& seg) {
  if (seg.kind == PathSegment::Kind::kIndex) return "[" + std::to_string(seg.index) + "]";
  return "['" + seg.name + "']";
}

enum class Walk { kFound, kNothing, kError };

// Walks the leading definite steps (names and single indices) of `segs`
// from `*node` the way Jayway does. kFound: *node is the node reached and
// *consumed the steps taken. kError: Jayway throws, with *why its message:
// a property step on a non-object, a missing property that is not the last
// step, an index on a non-array. kNothing: an index out of range, which
// Jayway skips silently (the path then selects nothing).
Walk WalkDefinitePrefix(const std::vector<PathSegment>& segs, const Json** node, size_t* consumed,
                        std::string* why) {
  std::string at = "$";
  size_t i = 0;
  for (; i < segs.size(); ++i) {
    const PathSegment& seg = segs[i];
    if (seg.descend ||
        (seg.kind != PathSegment::Kind::kName && seg.kind != PathSegment::Kind::kIndex)) {
      break;
    }
    const bool leaf = i + 1 == segs.size();
    const std::string next = at + JaywayStep(seg);
    const Json* child = nullptr;
    if (seg.kind == PathSegment::Kind::kName) {
      if (!(*node)->is_object()) {
        *why = "Expected to find an object with property ['" + seg.name + "'] in path " + at +
               " but found '" + std::string(JsonTypeName(**node)) + "'";
        return Walk::kError;
      }
      child = Child(**node, seg.name);
      if (child == nullptr) {
        *why = leaf ? "No results for path: " + next : "Missing property in path " + next;
        return Walk::kError;
      }
    } else {
      if (!(*node)->is_array()) {
        *why =
            (*node)->is_null()
                ? "The path " + at + " is null"
                : "Filter: [" + std::to_string(seg.index) +
                      "] can only be applied to arrays. Current context is: " + DumpCompact(**node);
        return Walk::kError;
      }
      child = Element(**node, seg.index);
      if (child == nullptr) {
        *why = "No results for path: " + next;
        return Walk::kNothing;
      }
    }
    *node = child;
    at = next;
  }
  *consumed = i;
  return Walk::kFound;
}

// The first indefinite step after a definite prefix, applied to a node of
// the wrong kind, is an error in Jayway as well (slices, index unions and
// filters need an array or object, name unions an object); a wildcard or a
// descent is not.
std::optional<std::string> CheckFirstIndefiniteStep(const PathSegment& seg, const Json& node) {
  if (seg.descend) return std::nullopt;
  switch (seg.kind) {
    case PathSegment::Kind::kSlice:
      if (!node.is_array()) return "Filter: [:] can only be applied to arrays";
      break;
    case PathSegment::Kind::kUnion:
      if (std::holds_alternative<long long>(seg.members.front())) {
        if (!node.is_array()) return "Filter: [,] can only be applied to arrays";
      } else if (!node.is_object()) {
        return "Expected to find an object with properties in path $ but found '" +
               std::string(JsonTypeName(node)) + "'";
      }
      break;
    case PathSegment::Kind::kFilter:
      if (!node.is_array() && !node.is_object()) {
        return "Filter: [?] can only be applied to arrays or objects";
      }
      break;
    default:
      break;
  }
  return std::nullopt;
}

const Json& EmptyObject() {
  static const Json kEmpty = Json::object();
  return kEmpty;
}

}  // namespace

// ---------------------------------------------------------------------------
// Path

Path::Path() {
  static const auto kRoot = std::make_shared<const Rep>();
  rep_ = kRoot;
}
Path::~Path() = default;
Path::Path(const Path&) = default;
Path::Path(Path&&) noexcept = default;
Path& Path::operator=(const Path&) = default;
Path& Path::operator=(Path&&) noexcept = default;

bool Path::is_root_only() const { return rep_->segments_.empty(); }
const std::string& Path::text() const { return rep_->text_; }
PathRoot Path::root() const { return rep_->root_; }
const std::string& Path::variable() const { return rep_->variable_; }
bool Path::is_definite() const { return rep_->definite_; }
bool Path::is_reference_path() const { return rep_->reference_; }

const Json* Path::Find(const Json& input, const EvalContext& ctx) const {
  const Json* node = nullptr;
  switch (rep_->root_) {
    case PathRoot::kInput:
      node = &input;
      break;
    case PathRoot::kContext:
      node = ctx.context ? ctx.context : &EmptyObject();
      break;
    case PathRoot::kVariable:
      node = ctx.variables ? ctx.variables->Find(rep_->variable_) : nullptr;
      break;
  }
  for (const auto& seg : rep_->segments_) {
    if (node == nullptr) return nullptr;
    if (seg.kind == PathSegment::Kind::kName) {
      node = Child(*node, seg.name);
    } else if (seg.kind == PathSegment::Kind::kIndex) {
      node = Element(*node, seg.index);
    } else {
      return nullptr;  // not a definite path
    }
  }
  return node;
}

Result<Json> Path::Evaluate(const Json& input, const EvalContext& ctx) const {
  if (rep_->definite_) {
    if (const Json* node = Find(input, ctx)) return *node;
  }
  const Json* root = nullptr;
  switch (rep_->root_) {
    case PathRoot::kInput:
      root = &input;
      break;
    case PathRoot::kContext:
      root = ctx.context ? ctx.context : &EmptyObject();
      break;
    case PathRoot::kVariable:
      root = ctx.variables ? ctx.variables->Find(rep_->variable_) : nullptr;
      if (root == nullptr)
        return Status::NotFound("The variable '" + rep_->variable_ + "' is not assigned");
      break;
  }
  // Jayway evaluates the definite steps before the first wildcard, slice,
  // union, filter or descent strictly: "$.a[*].b" fails when "a" is missing
  // but is [] when no element of "a" has a "b".
  const Json* node = root;
  size_t consumed = 0;
  std::string why;
  Walk walk = WalkDefinitePrefix(rep_->segments_, &node, &consumed, &why);
  if (rep_->definite_) {
    if (walk == Walk::kFound) return *node;  // not reached: Find failed
    if (walk == Walk::kNothing) {
      why = "No results for path: $";
      for (const auto& seg : rep_->segments_) why += JaywayStep(seg);
    }
    return Status::NotFound(why);
  }
  if (walk == Walk::kError) return Status::NotFound(why);
  if (walk == Walk::kNothing) return Json::array();
  if (auto error = CheckFirstIndefiniteStep(rep_->segments_[consumed], *node)) {
    return Status::NotFound(*error);
  }
  Nodes nodes{node};
  ApplySegments(std::span<const PathSegment>(rep_->segments_).subspan(consumed), &nodes, *root);
  Json out = Json::array();
  for (const Json* n : nodes) out.push_back(*n);
  return out;
}

std::vector<Path::Step> Path::ReferenceSteps() const {
  std::vector<Step> steps;
  steps.reserve(rep_->segments_.size());
  for (const auto& seg : rep_->segments_) {
    Step step;
    if (seg.kind == PathSegment::Kind::kIndex) {
      step.is_index = true;
      step.index = seg.index;
    } else {
      step.name = seg.name;
    }
    steps.push_back(std::move(step));
  }
  return steps;
}

}  // namespace stepflow::expr
