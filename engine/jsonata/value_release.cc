// Array and Object destructors that release nested containers iteratively.
//
// A value can nest as deeply as an evaluation has time to build it (a
// tail-recursive lambda wrapping its argument a million times), and the
// implicit destructors would recurse once per level. Instead, the outermost
// destructor running on a thread collects the containers its children hold
// and drops them one by one; destructors that run while it drains only hand
// their children to it.
#include <utility>
#include <vector>

#include "engine/jsonata/value.h"

namespace stepflow::jsonata {
namespace {

thread_local std::vector<Value>* t_pending = nullptr;

bool IsContainer(const Value& v) { return (v.IsArray() || v.IsObject()) && !v.IsBorrowed(); }

template <typename Collect>
void Release(Collect&& collect) {
  if (t_pending != nullptr) {
    collect(*t_pending);
    return;
  }
  std::vector<Value> pending;
  collect(pending);
  if (pending.empty()) return;
  t_pending = &pending;
  while (!pending.empty()) {
    Value v = std::move(pending.back());
    pending.pop_back();
    // `v` ends here; when it held the last reference, its destructor adds
    // the containers inside it to `pending`.
  }
  t_pending = nullptr;
}

}  // namespace

Array::~Array() {
  if (items.empty()) return;
  Release([this](std::vector<Value>& out) {
    for (Value& v : items) {
      if (IsContainer(v)) out.push_back(std::move(v));
    }
  });
}

Object::~Object() {
  if (members.empty()) return;
  Release([this](std::vector<Value>& out) {
    for (auto& m : members) {
      if (IsContainer(m.second)) out.push_back(std::move(m.second));
    }
  });
}

}  // namespace stepflow::jsonata
