// A Pratt parser with jsonata-js's binding powers, building the
// unprocessed tree that parser_post.cc turns into the result.
//
// The unprocessed tree uses the same Node struct as the result: binary
// nodes keep their operator in `op` (kMap, kFilter, ...), a group's or an
// object constructor's pairs in `pairs`, a sort's terms in `terms`.
#include "engine/jsonata/parser.h"

#include <algorithm>
#include <exception>

#include "engine/jsonata/function.h"
#include "engine/jsonata/lexer.h"
#include "engine/jsonata/parser_internal.h"

namespace stepflow::jsonata {
namespace parse_detail {

std::string TokenText(const Node& n) {
  if (n.type == NodeType::kNumber) return NumberToString(n.literal.number());
  if (n.type == NodeType::kRegex) return "/" + n.value + "/g" + n.flags;
  return n.value;
}

NodePtr NewNode(NodeType type, std::string value, int position) {
  return std::make_unique<Node>(type, std::move(value), position);
}

void Fail(const char* code, int position, std::string_view token) {
  Throw(code, position, std::string(token));
}
void FailWith(const char* code, int position, std::string_view token, const Value& value) {
  Throw(code, position, std::string(token), value);
}
void FailAt(const char* code, const Node& n) { Throw(code, n.position, TokenText(n)); }

}  // namespace parse_detail

namespace {

using parse_detail::Fail;
using parse_detail::FailAt;
using parse_detail::FailWith;
using parse_detail::NewNode;
using parse_detail::TokenText;

std::string TokenText(const Token& t) {
  if (t.kind == Token::Kind::kNumber) return NumberToString(t.literal.number());
  if (t.kind == Token::Kind::kRegex) return "/" + t.value + "/g" + t.flags;
  return t.value;
}
[[noreturn, gnu::noinline, gnu::cold]] void FailAt(const char* code, const Token& t) {
  Throw(code, t.position, TokenText(t));
}

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

// S0401/S0402: the checks jsonata-js's signature parser makes when a lambda
// is defined (the evaluator parses the signature fully); `sig_position` is
// where the signature starts in the expression.
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
    return parse_detail::ProcessAst(std::move(expr));
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

  Lexer lexer_;
  Token node_;  // the current token (jsonata-js's `node`)
  int depth_ = 0;
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
