// jsonata-js's processAST: flattens '.' into paths, turns '[' into
// predicates (outside paths) or stages (on a path's steps), '{' after a
// step into its group, '^' into a sort step, '@'/'#' into focus/index
// bindings, resolves each '%' to the step that provides its ancestor, and
// marks the tail calls of lambda bodies.
#include <memory>
#include <string>
#include <vector>

#include "engine/jsonata/error.h"
#include "engine/jsonata/parser_internal.h"

namespace stepflow::jsonata::parse_detail {

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

namespace {

using SlotList = std::vector<std::shared_ptr<Slot>>;

class PostPass {
 public:
  NodePtr Run(NodePtr raw) {
    NodePtr expr = Process(std::move(raw));
    if (expr->type == NodeType::kParent || expr->seeking_parent) {
      Fail("S0217", expr->position, TypeName(expr->type));
    }
    return expr;
  }

 private:
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

  int ancestor_label_ = 0;
  int ancestor_index_ = 0;
};

}  // namespace

NodePtr ProcessAst(NodePtr raw) { return PostPass().Run(std::move(raw)); }

}  // namespace stepflow::jsonata::parse_detail
