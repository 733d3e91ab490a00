// A Pratt parser with jsonata-js's binding powers, then jsonata-js's
// post-pass (processAST) that turns '.', '[', '{', '^', '@', '#' into
// paths, stages, groups and sorts and resolves the parent operator.
//
// The unprocessed tree uses the same Node struct as the result: binary
// nodes keep their operator in `op` (kMap, kFilter, ...), a group's or an
// object constructor's pairs in `pairs`, a sort's terms in `terms`.
#include "engine/jsonata/parser.h"

#include <algorithm>
#include <exception>

#include "engine/jsonata/function.h"
#include "engine/jsonata/lexer.h"

namespace stepflow::jsonata {
namespace {

using SlotList = std::vector<std::shared_ptr<Slot>>;

// Left binding powers (jsonata-js's symbol table: operators that are only
// prefix or punctuation bind 0).
int BindingPower(std::string_view op) {
  static const std::pair<std::string_view, int> kPowers[] = {
      {".", 75}, {"[", 80}, {"{", 70}, {"(", 80}, {"@", 80}, {"#", 80}, {"?", 20},
      {"+", 50}, {"-", 50}, {"*", 60}, {"/", 60}, {"%", 60}, {"=", 40}, {"<", 40},
      {">", 40}, {"^", 40}, {"!=", 40}, {"<=", 40}, {">=", 40}, {"~>", 40},
      {"and", 30}, {"or", 25}, {"in", 40}, {"&", 50}, {":=", 10}};
  for (const auto& [text, bp] : kPowers) {
    if (text == op) return bp;
  }
  return 0;
}
int BindingPower(const Token& t) { return t.kind == Token::Kind::kOperator ? BindingPower(t.value) : 0; }
int BindingPower(const Node& n) { return BindingPower(std::string_view(n.value)); }

// Operators jsonata-js has a symbol for ('!' and '~' alone are S0204).
bool IsKnownOperator(std::string_view op) { return op != "!" && op != "~"; }

BinaryOp OpFor(std::string_view op) {
  static const std::pair<std::string_view, BinaryOp> kOps[] = {
      {".", BinaryOp::kMap},        {"[", BinaryOp::kFilter},      {"{", BinaryOp::kGroup},
      {"^", BinaryOp::kSort},       {":=", BinaryOp::kBind},       {"@", BinaryOp::kFocus},
      {"#", BinaryOp::kIndex},      {"~>", BinaryOp::kApply},      {"+", BinaryOp::kAdd},
      {"-", BinaryOp::kSubtract},   {"*", BinaryOp::kMultiply},    {"/", BinaryOp::kDivide},
      {"%", BinaryOp::kModulo},     {"=", BinaryOp::kEqual},       {"!=", BinaryOp::kNotEqual},
      {"<", BinaryOp::kLess},       {"<=", BinaryOp::kLessEqual},  {">", BinaryOp::kGreater},
      {">=", BinaryOp::kGreaterEqual}, {"&", BinaryOp::kConcat},   {"and", BinaryOp::kAnd},
      {"or", BinaryOp::kOr},        {"in", BinaryOp::kIn},         {"..", BinaryOp::kRange}};
  for (const auto& [text, op_enum] : kOps) {
    if (text == op) return op_enum;
  }
  return BinaryOp::kNone;
}

// jsonata-js's `type` strings (S0217 names the node's type as its token).
const char* TypeName(NodeType t) {
  switch (t) {
    case NodeType::kPath: return "path";
    case NodeType::kBinary: return "binary";
    case NodeType::kUnary: return "unary";
    case NodeType::kName: return "name";
    case NodeType::kString: return "string";
    case NodeType::kNumber: return "number";
    case NodeType::kValue: return "value";
    case NodeType::kWildcard: return "wildcard";
    case NodeType::kDescendant: return "descendant";
    case NodeType::kVariable: return "variable";
    case NodeType::kRegex: return "regex";
    case NodeType::kFunction: return "function";
    case NodeType::kPartial: return "partial";
    case NodeType::kPlaceholder: return "operator";
    case NodeType::kLambda: return "lambda";
    case NodeType::kCondition: return "condition";
    case NodeType::kTransform: return "transform";
    case NodeType::kBlock: return "block";
    case NodeType::kBind: return "bind";
    case NodeType::kApply: return "apply";
    case NodeType::kSort: return "sort";
    case NodeType::kParent: return "parent";
    case NodeType::kOperator: return "operator";
    case NodeType::kEnd: return "(end)";
  }
  return "";
}

// The token text jsonata-js puts in messages (a number as JavaScript prints it).
// A regex as JavaScript prints a RegExp (jsonata-js adds the g flag).
std::string TokenText(const Node& n) {
  if (n.type == NodeType::kNumber) return NumberToString(n.literal.number());
  if (n.type == NodeType::kRegex) return "/" + n.value + "/g" + n.flags;
  return n.value;
}
std::string TokenText(const Token& t) {
  if (t.kind == Token::Kind::kNumber) return NumberToString(t.literal.number());
  if (t.kind == Token::Kind::kRegex) return "/" + t.value + "/g" + t.flags;
  return t.value;
}

// Throwing out of line keeps the strings and values an Error is built
// from out of the recursive functions' frames.
[[noreturn, gnu::noinline, gnu::cold]] void Fail(const char* code, int position,
                                                 std::string_view token = {}) {
  Throw(code, position, std::string(token));
}
[[noreturn, gnu::noinline, gnu::cold]] void FailWith(const char* code, int position,
                                                     std::string_view token, const Value& value) {
  Throw(code, position, std::string(token), value);
}
[[noreturn, gnu::noinline, gnu::cold]] void FailAt(const char* code, const Node& n) {
  Throw(code, n.position, TokenText(n));
}
[[noreturn, gnu::noinline, gnu::cold]] void FailAt(const char* code, const Token& t) {
  Throw(code, t.position, TokenText(t));
}

NodePtr NewNode(NodeType type, std::string value, int position) {
  return std::make_unique<Node>(type, std::move(value), position);
}

// S0401/S0402: the checks jsonata-js's signature parser makes when a lambda
// is defined (the evaluator parses the signature fully). Returns the
// offending offset in `sig`, or -1.
void CheckSignature(const std::string& sig, int sig_position) {
  std::string prev_type;  // type of the last complete parameter
  auto find_closing = [&sig](size_t start, char open, char close) {
    int depth = 1;
    size_t p = start;
    while (p < sig.size()) {
      ++p;
      if (p >= sig.size()) break;
      if (sig[p] == close) {
        if (--depth == 0) break;
      } else if (sig[p] == open) {
        ++depth;
      }
    }
    return p;
  };
  for (size_t p = 1; p < sig.size(); ++p) {
    char c = sig[p];
    if (c == ':') break;
    switch (c) {
      case 's': case 'n': case 'b': case 'l': case 'o': case 'a': case 'f': case 'j': case 'x':
        prev_type = std::string(1, c);
        break;
      case '(': {
        size_t end = find_closing(p, '(', ')');
        std::string choice = sig.substr(p + 1, end > p + 1 ? end - p - 1 : 0);
        if (choice.find('<') != std::string::npos) {
          FailWith("S0402", sig_position + static_cast<int>(p), {}, Value::String(choice));
        }
        prev_type = "(" + choice + ")";
        p = end;
        break;
      }
      case '<':
        if (prev_type == "a" || prev_type == "f") {
          p = find_closing(p, '<', '>');
        } else {
          FailWith("S0401", sig_position + static_cast<int>(p), {},
                prev_type.empty() ? Value() : Value::String(prev_type));
        }
        break;
      default:
        break;
    }
  }
}

class Parser {
 public:
  explicit Parser(std::string_view text) : lexer_(text) {}

  NodePtr Run() {
    Advance();
    NodePtr expr = Expression(0);
    if (node_.kind != Token::Kind::kEnd) FailAt("S0201", node_);
    expr = Process(std::move(expr));
    if (expr->type == NodeType::kParent || expr->seeking_parent) {
      Fail("S0217", expr->position, TypeName(expr->type));
    }
    return expr;
  }

 private:
  // ---- Pratt parser ----

  static std::string_view Id(const Token& t) {
    switch (t.kind) {
      case Token::Kind::kName:
      case Token::Kind::kVariable: return "(name)";
      case Token::Kind::kString:
      case Token::Kind::kNumber:
      case Token::Kind::kValue: return "(literal)";
      case Token::Kind::kRegex: return "(regex)";
      case Token::Kind::kEnd: return "(end)";
      case Token::Kind::kOperator: return t.value;
    }
    return {};
  }
  bool At(std::string_view id) const { return Id(node_) == id; }

  [[noreturn, gnu::noinline, gnu::cold]] void FailExpected(std::string_view id) {
    Throw(node_.kind == Token::Kind::kEnd ? "S0203" : "S0202", node_.position, TokenText(node_),
          Value::String(id));
  }

  // Checks that the current token is `id` (when given), then reads the next.
  void Advance(std::string_view id = {}, bool infix = false) {
    if (!id.empty() && Id(node_) != id) {
      FailExpected(id);
    }
    node_ = lexer_.Next(infix);
    if (node_.kind == Token::Kind::kOperator && !IsKnownOperator(node_.value)) {
      Fail("S0204", node_.position, node_.value);
    }
  }

  static NodePtr FromToken(Token&& t) {
    NodeType type = NodeType::kEnd;
    switch (t.kind) {
      case Token::Kind::kName: type = NodeType::kName; break;
      case Token::Kind::kVariable: type = NodeType::kVariable; break;
      case Token::Kind::kOperator: type = NodeType::kOperator; break;
      case Token::Kind::kString: type = NodeType::kString; break;
      case Token::Kind::kNumber: type = NodeType::kNumber; break;
      case Token::Kind::kValue: type = NodeType::kValue; break;
      case Token::Kind::kRegex: type = NodeType::kRegex; break;
      case Token::Kind::kEnd: type = NodeType::kEnd; break;
    }
    NodePtr n = NewNode(type, std::move(t.value), t.position);
    n->literal = std::move(t.literal);
    n->flags = std::move(t.flags);
    return n;
  }

  // The height of a freshly built node of the unprocessed tree, from its
  // children's; beyond the bound the tree would be too deep to walk.
  void SetHeight(Node& n) {
    int h = 0;
    auto see = [&h](const NodePtr& c) {
      if (c) h = std::max(h, c->height);
    };
    see(n.lhs); see(n.rhs); see(n.expression); see(n.procedure); see(n.body);
    see(n.condition); see(n.then_branch); see(n.else_branch);
    see(n.pattern); see(n.update); see(n.delete_branch);
    for (const auto& c : n.expressions) see(c);
    for (const auto& c : n.arguments) see(c);
    for (const auto& [k, v] : n.pairs) { see(k); see(v); }
    for (const auto& t : n.terms) see(t.expression);
    n.height = h + 1;
    if (n.height > kMaxNestingDepth) FailAt("S0218", n);
  }

  // The recursive functions below keep their frames small (helpers that
  // need locals are out of line): their depth is bounded by
  // kMaxNestingDepth, and the stack they take is depth x frame size.
  NodePtr Expression(int rbp) {
    if (++depth_ > kMaxNestingDepth) FailAt("S0218", node_);
    NodePtr left = Nud(TakeToken(true));
    if (left->height == 0) SetHeight(*left);
    while (rbp < BindingPower(node_)) {
      left = Led(TakeToken(false), std::move(left));
      if (left->height == 0) SetHeight(*left);  // `[]` hands back its operand unchanged
    }
    --depth_;
    return left;
  }

  // The current token as a node, after advancing past it.
  [[gnu::noinline]] NodePtr TakeToken(bool infix) {
    NodePtr n = FromToken(std::move(node_));
    Advance({}, infix);
    return n;
  }

  NodePtr Nud(NodePtr n) {
    if (n->type != NodeType::kOperator) return n;
    const std::string& op = n->value;
    if (op == "and" || op == "or" || op == "in") return n;
    if (op == "-") {
      n->type = NodeType::kUnary;
      n->expression = Expression(70);
    } else if (op == "*") {
      n->type = NodeType::kWildcard;
    } else if (op == "**") {
      n->type = NodeType::kDescendant;
    } else if (op == "%") {
      n->type = NodeType::kParent;
    } else if (op == "(") {
      ParseBlock(*n);
    } else if (op == "[") {
      ParseArray(*n);
    } else if (op == "{") {
      ParseObject(*n, nullptr);
    } else if (op == "|") {
      ParseTransform(*n);
    } else {
      Fail("S0211", n->position, n->value);
    }
    return n;
  }

  [[gnu::noinline]] void ParseBlock(Node& n) {
    while (!At(")")) {
      n.expressions.push_back(Expression(0));
      if (!At(";")) break;
      Advance(";");
    }
    Advance(")", true);
    n.type = NodeType::kBlock;
  }

  [[gnu::noinline]] void ParseArray(Node& n) {
    if (!At("]")) {
      for (;;) {
        NodePtr item = Expression(0);
        if (At("..")) {
          NodePtr range = NewNode(NodeType::kBinary, "..", node_.position);
          range->op = BinaryOp::kRange;
          range->lhs = std::move(item);
          Advance("..");
          range->rhs = Expression(0);
          SetHeight(*range);
          item = std::move(range);
        }
        n.expressions.push_back(std::move(item));
        if (!At(",")) break;
        Advance(",");
      }
    }
    Advance("]", true);
    n.type = NodeType::kUnary;
  }

  [[gnu::noinline]] void ParseTransform(Node& n) {
    n.type = NodeType::kTransform;
    n.pattern = Expression(0);
    Advance("|");
    n.update = Expression(0);
    if (At(",")) {
      Advance(",");
      n.delete_branch = Expression(0);
    }
    Advance("|");
  }

  [[gnu::noinline]] void ParseObject(Node& n, NodePtr left) {
    if (!At("}")) {
      for (;;) {
        NodePtr key = Expression(0);
        Advance(":");
        NodePtr value = Expression(0);
        n.pairs.emplace_back(std::move(key), std::move(value));
        if (!At(",")) break;
        Advance(",");
      }
    }
    Advance("}", true);
    if (!left) {
      n.type = NodeType::kUnary;
    } else {
      n.type = NodeType::kBinary;
      n.op = BinaryOp::kGroup;
      n.lhs = std::move(left);
    }
  }

  NodePtr Led(NodePtr n, NodePtr left) {
    const std::string& op = n->value;
    n->type = NodeType::kBinary;
    n->op = OpFor(op);
    switch (n->op) {
      case BinaryOp::kNone:  // "(" and "?"
        if (op == "(") {
          ParseCall(*n, std::move(left));
        } else {
          n->type = NodeType::kCondition;
          n->condition = std::move(left);
          n->then_branch = Expression(0);
          if (At(":")) {
            Advance(":");
            n->else_branch = Expression(0);
          }
        }
        break;
      case BinaryOp::kFilter:
        if (At("]")) {
          // `[]`: keep singleton arrays; marks the step under any predicates.
          Node* step = left.get();
          while (step->type == NodeType::kBinary && step->op == BinaryOp::kFilter) step = step->lhs.get();
          step->keep_array = true;
          Advance("]");
          return left;
        }
        n->lhs = std::move(left);
        n->rhs = Expression(0);
        Advance("]", true);
        break;
      case BinaryOp::kSort:
        ParseSortTerms(*n);
        n->lhs = std::move(left);
        break;
      case BinaryOp::kGroup:
        ParseObject(*n, std::move(left));
        break;
      case BinaryOp::kBind:
        if (left->type != NodeType::kVariable) FailAt("S0212", *left);
        n->lhs = std::move(left);
        n->rhs = Expression(9);  // right associative
        break;
      case BinaryOp::kFocus:
      case BinaryOp::kIndex:
        n->lhs = std::move(left);
        n->rhs = Expression(80);
        if (n->rhs->type != NodeType::kVariable) Fail("S0214", n->rhs->position, op);
        break;
      default:
        n->lhs = std::move(left);
        n->rhs = Expression(BindingPower(*n));
    }
    return n;
  }

  [[gnu::noinline]] void ParseSortTerms(Node& n) {
    Advance("(");
    for (;;) {
      SortTerm term;
      if (At("<")) {
        Advance("<");
      } else if (At(">")) {
        term.descending = true;
        Advance(">");
      }
      term.expression = Expression(0);
      n.terms.push_back(std::move(term));
      if (!At(",")) break;
      Advance(",");
    }
    Advance(")");
  }

  // `left(args)`: a call, a partial application or a lambda definition.
  [[gnu::noinline]] void ParseCall(Node& n, NodePtr left) {
    n.type = NodeType::kFunction;
    n.op = BinaryOp::kNone;
    if (!At(")")) {
      for (;;) {
        if (node_.kind == Token::Kind::kOperator && node_.value == "?") {
          n.type = NodeType::kPartial;
          n.arguments.push_back(TakeToken(false));  // the placeholder; Advance("?")
        } else {
          n.arguments.push_back(Expression(0));
        }
        if (!At(",")) break;
        Advance(",");
      }
    }
    Advance(")", true);
    if (left->type == NodeType::kName && (left->value == "function" || left->value == "\u03BB")) {
      StartLambda(n);
      Advance("{");
      n.body = Expression(0);
      Advance("}");
      return;
    }
    n.procedure = std::move(left);
  }

  // A lambda's parameters (S0208 unless all are variables) and signature.
  [[gnu::noinline]] void StartLambda(Node& n) {
    for (size_t i = 0; i < n.arguments.size(); ++i) {
      const Node& arg = *n.arguments[i];
      if (arg.type != NodeType::kVariable) {
        FailWith("S0208", arg.position, TokenText(arg), Value::Number(static_cast<double>(i + 1)));
      }
    }
    n.type = NodeType::kLambda;
    for (const auto& arg : n.arguments) n.params.push_back(arg->value);
    n.arguments.clear();
    if (!At("<")) return;
    // The signature is rebuilt from its tokens, as jsonata-js does.
    const int sig_position = node_.position;
    int depth = 1;
    std::string sig = "<";
    while (depth > 0 && !At("{") && !At("(end)")) {
      Advance();
      if (At(">")) {
        --depth;
      } else if (At("<")) {
        ++depth;
      }
      sig += TokenText(node_);
    }
    Advance(">");
    CheckSignature(sig, sig_position);
    n.signature = std::move(sig);
    n.has_signature = true;
  }

  // ---- post-pass (processAST) ----

  static void PushAncestry(Node& result, const Node& value) {
    if (!value.seeking_parent && value.type != NodeType::kParent) return;
    std::shared_ptr<SlotList> slots = value.seeking_parent ? value.seeking_parent : std::make_shared<SlotList>();
    if (value.type == NodeType::kParent) slots->push_back(value.slot);
    if (!result.seeking_parent) {
      result.seeking_parent = slots;  // shared, as jsonata-js shares the array
    } else {
      SlotList copy = *slots;
      result.seeking_parent->insert(result.seeking_parent->end(), copy.begin(), copy.end());
    }
  }

  void SeekParent(Node& node, const std::shared_ptr<Slot>& slot) {
    switch (node.type) {
      case NodeType::kName:
      case NodeType::kWildcard:
        if (--slot->level == 0) {
          if (node.ancestor) slot->label = node.ancestor->label;  // reuse the existing label
          node.ancestor = slot;
          node.tuple = true;
        }
        break;
      case NodeType::kParent:
        ++slot->level;
        break;
      case NodeType::kBlock:
        if (!node.expressions.empty()) {
          node.tuple = true;
          SeekParent(*node.expressions.back(), slot);
        }
        break;
      case NodeType::kPath: {
        node.tuple = true;
        int index = static_cast<int>(node.steps.size()) - 1;
        SeekParent(*node.steps[index--], slot);
        while (slot->level > 0 && index >= 0) SeekParent(*node.steps[index--], slot);
        break;
      }
      default:
        Fail("S0217", node.position, TypeName(node.type));
    }
  }

  void ResolveAncestry(Node& path) {
    Node& last = *path.steps.back();
    std::shared_ptr<SlotList> slots = last.seeking_parent ? last.seeking_parent : std::make_shared<SlotList>();
    if (last.type == NodeType::kParent) slots->push_back(last.slot);
    for (size_t is = 0; is < slots->size(); ++is) {
      std::shared_ptr<Slot> slot = (*slots)[is];
      int index = static_cast<int>(path.steps.size()) - 2;
      while (slot->level > 0) {
        if (index < 0) {
          if (!path.seeking_parent) path.seeking_parent = std::make_shared<SlotList>();
          path.seeking_parent->push_back(slot);
          break;
        }
        Node* step = path.steps[index--].get();
        // Contiguous steps that bind the focus are skipped together.
        auto binds_focus = [](const Node& s) { return s.focus.has_value() && !s.focus->empty(); };
        while (index >= 0 && binds_focus(*step) && binds_focus(*path.steps[index])) {
          step = path.steps[index--].get();
        }
        SeekParent(*step, slot);
      }
    }
  }

  static NodePtr WrapInPath(NodePtr step) {
    NodePtr path = NewNode(NodeType::kPath, "", step->position);
    path->steps.push_back(std::move(step));
    return path;
  }

  // Marks a lambda body's tail calls as thunks for the trampoline.
  static NodePtr TailCallOptimize(NodePtr expr) {
    if (expr->type == NodeType::kFunction && expr->predicate.empty()) {
      NodePtr thunk = NewNode(NodeType::kLambda, "", expr->position);
      thunk->thunk = true;
      thunk->body = std::move(expr);
      return thunk;
    }
    if (expr->type == NodeType::kCondition) {
      expr->then_branch = TailCallOptimize(std::move(expr->then_branch));
      if (expr->else_branch) expr->else_branch = TailCallOptimize(std::move(expr->else_branch));
    } else if (expr->type == NodeType::kBlock && !expr->expressions.empty()) {
      expr->expressions.back() = TailCallOptimize(std::move(expr->expressions.back()));
    }
    return expr;
  }

  // processAST. The recursion goes Process -> a helper -> Process; the
  // helpers with locals stay out of line to keep each level's frames small.
  NodePtr Process(NodePtr expr) {
    const bool keep_array = expr->keep_array;
    NodePtr result;
    switch (expr->type) {
      case NodeType::kBinary:
        result = ProcessBinary(std::move(expr));
        break;
      case NodeType::kUnary:
        result = ProcessUnary(std::move(expr));
        break;
      case NodeType::kFunction:
      case NodeType::kPartial:
        result = std::move(expr);
        for (auto& arg : result->arguments) {
          arg = Process(std::move(arg));
          PushAncestry(*result, *arg);
        }
        result->procedure = Process(std::move(result->procedure));
        break;
      case NodeType::kLambda:
        result = std::move(expr);
        result->body = TailCallOptimize(Process(std::move(result->body)));
        break;
      case NodeType::kCondition:
        result = std::move(expr);
        result->condition = Process(std::move(result->condition));
        PushAncestry(*result, *result->condition);
        result->then_branch = Process(std::move(result->then_branch));
        PushAncestry(*result, *result->then_branch);
        if (result->else_branch) {
          result->else_branch = Process(std::move(result->else_branch));
          PushAncestry(*result, *result->else_branch);
        }
        break;
      case NodeType::kTransform:
        result = std::move(expr);
        result->pattern = Process(std::move(result->pattern));
        result->update = Process(std::move(result->update));
        if (result->delete_branch) result->delete_branch = Process(std::move(result->delete_branch));
        break;
      case NodeType::kBlock:
        result = std::move(expr);
        for (auto& item : result->expressions) {
          item = Process(std::move(item));
          PushAncestry(*result, *item);
          if (item->consarray || (item->type == NodeType::kPath && item->steps[0]->consarray)) {
            result->consarray = true;
          }
        }
        break;
      case NodeType::kName: {
        const bool keep = expr->keep_array;
        result = WrapInPath(std::move(expr));
        if (keep) result->keep_singleton_array = true;
        break;
      }
      case NodeType::kParent:
        result = std::move(expr);
        NewSlot(*result);
        break;
      case NodeType::kString:
      case NodeType::kNumber:
      case NodeType::kValue:
      case NodeType::kWildcard:
      case NodeType::kDescendant:
      case NodeType::kVariable:
      case NodeType::kRegex:
      case NodeType::kPlaceholder:
        result = std::move(expr);
        break;
      case NodeType::kOperator:
        if (expr->value == "and" || expr->value == "or" || expr->value == "in") {
          // The keywords used as field names.
          expr->type = NodeType::kName;
          result = Process(std::move(expr));
        } else if (expr->value == "?") {
          expr->type = NodeType::kPlaceholder;
          result = std::move(expr);
        } else {
          Fail("S0201", expr->position, expr->value);
        }
        break;
      default:
        if (expr->type == NodeType::kEnd) Fail("S0207", expr->position, expr->value);
        FailAt("S0206", *expr);
    }
    if (keep_array) result->keep_array = true;
    return result;
  }

  [[gnu::noinline]] void NewSlot(Node& parent) {
    parent.slot = std::make_shared<Slot>();
    parent.slot->label = "!" + std::to_string(ancestor_label_++);
    parent.slot->level = 1;
    parent.slot->index = ancestor_index_++;
  }

  [[gnu::noinline]] NodePtr ProcessUnary(NodePtr result) {
    if (result->value == "[") {
      for (auto& item : result->expressions) {
        item = Process(std::move(item));
        PushAncestry(*result, *item);
      }
    } else if (result->value == "{") {
      for (auto& [key, value] : result->pairs) {
        key = Process(std::move(key));
        PushAncestry(*result, *key);
        value = Process(std::move(value));
        PushAncestry(*result, *value);
      }
    } else {
      result->expression = Process(std::move(result->expression));
      if (result->value == "-" && result->expression->type == NodeType::kNumber) {
        // Negative number literals are folded.
        NodePtr number = std::move(result->expression);
        number->literal = Value::Number(-number->literal.number());
        number->value = "-" + number->value;
        return number;
      }
      PushAncestry(*result, *result->expression);
    }
    return result;
  }

  NodePtr ProcessBinary(NodePtr expr) {
    switch (expr->op) {
      case BinaryOp::kMap: return ProcessMap(std::move(expr));
      case BinaryOp::kFilter: return ProcessFilter(std::move(expr));
      case BinaryOp::kGroup: return ProcessGroup(std::move(expr));
      case BinaryOp::kSort: return ProcessSort(std::move(expr));
      case BinaryOp::kFocus: return ProcessFocus(std::move(expr));
      case BinaryOp::kIndex: return ProcessIndex(std::move(expr));
      case BinaryOp::kBind: {
        expr->type = NodeType::kBind;
        expr->op = BinaryOp::kNone;
        expr->lhs = Process(std::move(expr->lhs));
        expr->rhs = Process(std::move(expr->rhs));
        PushAncestry(*expr, *expr->rhs);
        return expr;
      }
      case BinaryOp::kApply:
        expr->type = NodeType::kApply;
        expr->op = BinaryOp::kNone;
        expr->lhs = Process(std::move(expr->lhs));
        expr->rhs = Process(std::move(expr->rhs));
        expr->keep_array = expr->lhs->keep_array || expr->rhs->keep_array;
        return expr;
      default:
        expr->lhs = Process(std::move(expr->lhs));
        expr->rhs = Process(std::move(expr->rhs));
        PushAncestry(*expr, *expr->lhs);
        PushAncestry(*expr, *expr->rhs);
        return expr;
    }
  }

  // '.': the steps of both sides in one path.
  [[gnu::noinline]] NodePtr ProcessMap(NodePtr expr) {
    NodePtr lstep = Process(std::move(expr->lhs));
    const bool lstep_is_parent = lstep->type == NodeType::kParent;
    std::shared_ptr<Slot> parent_slot = lstep->slot;
    NodePtr result = lstep->type == NodeType::kPath ? std::move(lstep) : WrapInPath(std::move(lstep));
    if (lstep_is_parent) result->seeking_parent = std::make_shared<SlotList>(SlotList{parent_slot});
    NodePtr rest = Process(std::move(expr->rhs));
    if (rest->type == NodeType::kFunction && rest->procedure->type == NodeType::kPath &&
        rest->procedure->steps.size() == 1 && rest->procedure->steps[0]->type == NodeType::kName &&
        result->steps.back()->type == NodeType::kFunction) {
      result->steps.back()->next_function = rest->procedure->steps[0]->value;
    }
    if (rest->type == NodeType::kPath) {
      for (auto& s : rest->steps) result->steps.push_back(std::move(s));
    } else {
      if (!rest->predicate.empty()) rest->stages = std::move(rest->predicate);
      rest->predicate.clear();
      result->steps.push_back(std::move(rest));
    }
    for (auto& step : result->steps) {
      if (step->type == NodeType::kNumber || step->type == NodeType::kValue) {
        FailWith("S0213", step->position, {}, step->literal);
      }
    }
    for (auto& step : result->steps) {
      if (step->type == NodeType::kString) step->type = NodeType::kName;
      if (step->keep_array) result->keep_singleton_array = true;
    }
    Node& first = *result->steps.front();
    if (first.type == NodeType::kUnary && first.value == "[") first.consarray = true;
    Node& last = *result->steps.back();
    if (last.type == NodeType::kUnary && last.value == "[") last.consarray = true;
    ResolveAncestry(*result);
    return result;
  }

  // '[': a predicate on the (last) step.
  [[gnu::noinline]] NodePtr ProcessFilter(NodePtr expr) {
    NodePtr result = Process(std::move(expr->lhs));
    Node* step = result.get();
    bool in_path = false;
    if (result->type == NodeType::kPath) {
      step = result->steps.back().get();
      in_path = true;
    }
    if (step->group) Fail("S0209", expr->position);
    NodePtr predicate = Process(std::move(expr->rhs));
    if (predicate->seeking_parent) {
      for (const auto& slot : *predicate->seeking_parent) {
        if (slot->level == 1) {
          SeekParent(*step, slot);
        } else {
          --slot->level;
        }
      }
      PushAncestry(*step, *predicate);
    }
    Stage stage;
    stage.kind = Stage::Kind::kFilter;
    stage.expr = std::move(predicate);
    stage.position = expr->position;
    (in_path ? step->stages : step->predicate).push_back(std::move(stage));
    return result;
  }

  // '{' after a step: group-by.
  [[gnu::noinline]] NodePtr ProcessGroup(NodePtr expr) {
    NodePtr result = Process(std::move(expr->lhs));
    if (result->group) Fail("S0210", expr->position);
    auto group = std::make_unique<Group>();
    group->position = expr->position;
    for (auto& [key, value] : expr->pairs) {
      NodePtr k = Process(std::move(key));
      NodePtr v = Process(std::move(value));
      group->pairs.emplace_back(std::move(k), std::move(v));
    }
    result->group = std::move(group);
    return result;
  }

  // '^': a sort step appended to the path.
  [[gnu::noinline]] NodePtr ProcessSort(NodePtr expr) {
    NodePtr result = Process(std::move(expr->lhs));
    if (result->type != NodeType::kPath) result = WrapInPath(std::move(result));
    NodePtr sort = NewNode(NodeType::kSort, "", expr->position);
    for (auto& term : expr->terms) {
      SortTerm t;
      t.descending = term.descending;
      t.expression = Process(std::move(term.expression));
      PushAncestry(*sort, *t.expression);
      sort->terms.push_back(std::move(t));
    }
    result->steps.push_back(std::move(sort));
    ResolveAncestry(*result);
    return result;
  }

  // '@$v': the focus variable of the (last) step.
  [[gnu::noinline]] NodePtr ProcessFocus(NodePtr expr) {
    NodePtr result = Process(std::move(expr->lhs));
    Node* step = result->type == NodeType::kPath ? result->steps.back().get() : result.get();
    if (!step->stages.empty() || !step->predicate.empty()) Fail("S0215", expr->position);
    if (step->type == NodeType::kSort) Fail("S0216", expr->position);
    if (expr->keep_array) step->keep_array = true;
    step->focus = expr->rhs->value;
    step->tuple = true;
    return result;
  }

  // '#$i': the index variable of the (last) step, or an index stage after
  // its predicates.
  [[gnu::noinline]] NodePtr ProcessIndex(NodePtr expr) {
    NodePtr result = Process(std::move(expr->lhs));
    Node* step = result.get();
    if (result->type == NodeType::kPath) {
      step = result->steps.back().get();
    } else {
      result = WrapInPath(std::move(result));
      if (!step->predicate.empty()) {
        step->stages = std::move(step->predicate);
        step->predicate.clear();
      }
    }
    if (step->stages.empty()) {
      step->index = expr->rhs->value;
    } else {
      Stage stage;
      stage.kind = Stage::Kind::kIndex;
      stage.value = expr->rhs->value;
      stage.position = expr->position;
      step->stages.push_back(std::move(stage));
    }
    step->tuple = true;
    return result;
  }

  Lexer lexer_;
  Token node_;  // the current token (jsonata-js's `node`)
  int depth_ = 0;
  int ancestor_label_ = 0;
  int ancestor_index_ = 0;
};

}  // namespace

std::unique_ptr<Node> Parse(std::string_view text) {
  try {
    Parser parser(text);
    return parser.Run();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    Throw("S0201", -1, e.what());
  }
}

}  // namespace stepflow::jsonata
