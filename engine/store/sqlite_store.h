// The SQLite Store (ARCHITECTURE §4): one database file in WAL mode, one
// writer connection and one reader connection.
//
// Promises, beyond store.h:
//   - Commit() is one BEGIN IMMEDIATE ... COMMIT transaction; on any error it
//     rolls back and nothing of the batch is stored. With Durability::kFull
//     (synchronous=FULL) a committed batch survives power loss; with kNormal
//     (synchronous=NORMAL) it survives a crash of the process (kill -9) but
//     the last batches may be lost on power loss.
//   - The schema is embedded in the binary (schemas/sql/sqlite/, migrations
//     numbered by PRAGMA user_version); opening an older stepflow database
//     migrates it.
//   - Opening never changes a file that is not a stepflow database:
//       path is a directory                  kInvalidArgument
//       cannot create/open/write the file    kFailedPrecondition (names the path)
//       not an SQLite file                   kDataLoss "... (file is not a database)"
//       another program's SQLite database    kDataLoss "... (foreign SQLite file)"
//       written by a newer stepflow          kFailedPrecondition "... newer stepflow ..."
//     Corruption found later, by any call, is kDataLoss with SQLite's message.
//   - Several processes may open the same file; SQLite's locks serialise
//     their writers (busy timeout 5 s, then kUnavailable).
//
// Thread-safety: all methods may be called from any thread. Writers
// (Commit, PutStateMachineVersion) are serialised by one mutex; reads run on
// their own connection under another mutex, so they never wait for a write
// batch, and see the last committed state.
#pragma once

#include <memory>
#include <string>

#include "engine/common/status.h"
#include "engine/store/store.h"

namespace stepflow::store {

struct SqliteOptions {
  enum class Durability { kFull, kNormal };
  Durability durability = Durability::kFull;
};

// Opens (creating when missing) the database file at `path`. ":memory:" is
// refused (kInvalidArgument): use NewMemoryStore().
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const SqliteOptions& options = {});

}  // namespace stepflow::store
