// Recognising and migrating a stepflow SQLite database file.
//
// A stepflow database carries PRAGMA application_id = kStepflowApplicationId
// and PRAGMA user_version = the number of the last migration applied
// (sqlite_migrations.h). PrepareSchema accepts an empty file (and makes it a
// stepflow database) or a stepflow database of this or an older schema
// (and migrates it); it refuses, without changing the file:
//   - a file that is not SQLite            kDataLoss  "... not a stepflow database (file is not a
//   database)"
//   - another program's SQLite database    kDataLoss  "... not a stepflow database (foreign SQLite
//   file)"
//   - a newer stepflow's database          kFailedPrecondition "... written by a newer stepflow
//   ..."
//
// Thread-safety: runs on a connection the caller owns exclusively.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "engine/common/status.h"

namespace stepflow::store::sqlite {

inline constexpr int32_t kStepflowApplicationId = 0x53544650;  // "STFP"

// The schema version this binary writes (the newest embedded migration).
int SchemaVersion();

// Checks the database open on `db` (whose file is `path`, for messages),
// switches it to WAL, and applies pending migrations in one transaction.
Status PrepareSchema(sqlite3* db, const std::string& path);

}  // namespace stepflow::store::sqlite
