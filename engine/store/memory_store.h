// The in-memory Store: everything in maps behind one mutex. For tests, for
// `--db :memory:` and for the in-memory engine benchmark, so Commit is kept
// cheap (one hash lookup per step in the common case).
//
// Semantics are those of the SQLite store (the shared suite in
// tests/unit/store/ runs against both): a batch is validated completely
// before anything is applied, so a failing batch changes nothing. Nothing
// survives the object.
//
// Thread-safety: all methods may be called from any thread; one mutex
// serialises them. Reads return copies.
#pragma once

#include <memory>

#include "engine/store/store.h"

namespace stepflow::store {

std::unique_ptr<Store> NewMemoryStore();

}  // namespace stepflow::store
