#include "engine/store/sqlite_schema.h"

#include <string>

#include "engine/store/sqlite_db.h"
#include "engine/store/sqlite_migrations.h"

namespace stepflow::store::sqlite {
namespace {

struct FileIdentity {
  int64_t application_id = 0;
  int64_t user_version = 0;
  int64_t schema_objects = 0;  // rows of sqlite_schema
};

Status OpenError(sqlite3* db, int rc, const std::string& path) {
  if ((rc & 0xff) == SQLITE_NOTADB) {
    return Status(StatusCode::kDataLoss,
                  "cannot open " + path + ": not a stepflow database (file is not a database)");
  }
  return ErrorStatus(db, rc, "cannot open " + path);
}

Result<int64_t> QueryInt(sqlite3* db, const char* sql, const std::string& path) {
  auto prepared = Statement::Prepare(db, sql);
  // Preparing reads the schema, so this is where a non-database file shows.
  if (!prepared.ok()) return OpenError(db, sqlite3_extended_errcode(db), path);
  Statement& s = *prepared;
  StatementReset reset(s);
  int rc = s.Step();
  if (rc != SQLITE_ROW) return OpenError(db, rc == SQLITE_DONE ? SQLITE_INTERNAL : rc, path);
  return s.Int(0);
}

Result<FileIdentity> ReadIdentity(sqlite3* db, const std::string& path) {
  FileIdentity id;
  // sqlite_master is read first: it is what touches (and so checks) the file.
  STEPFLOW_ASSIGN_OR_RETURN(id.schema_objects,
                            QueryInt(db, "SELECT count(*) FROM sqlite_master", path));
  STEPFLOW_ASSIGN_OR_RETURN(id.application_id, QueryInt(db, "PRAGMA application_id", path));
  STEPFLOW_ASSIGN_OR_RETURN(id.user_version, QueryInt(db, "PRAGMA user_version", path));
  return id;
}

// Whether a file with `id` is ours to use or to initialise.
Status CheckIdentity(const FileIdentity& id, const std::string& path) {
  const bool empty = id.application_id == 0 && id.schema_objects == 0 && id.user_version == 0;
  if (empty) return Status::Ok();
  if (id.application_id != kStepflowApplicationId) {
    return Status(StatusCode::kDataLoss,
                  "cannot open " + path + ": not a stepflow database (foreign SQLite file)");
  }
  if (id.user_version > SchemaVersion()) {
    return Status::FailedPrecondition(
        "cannot open " + path + ": the database was written by a newer stepflow (schema " +
        std::to_string(id.user_version) + " > " + std::to_string(SchemaVersion()) + ")");
  }
  return Status::Ok();
}

Status Migrate(sqlite3* db, const std::string& path) {
  STEPFLOW_RETURN_IF_ERROR(Exec(db, "BEGIN IMMEDIATE", "cannot open " + path));
  auto apply = [&]() -> Status {
    // Read again inside the write transaction: another process may have
    // initialised or migrated the file since the first look.
    STEPFLOW_ASSIGN_OR_RETURN(FileIdentity id, ReadIdentity(db, path));
    STEPFLOW_RETURN_IF_ERROR(CheckIdentity(id, path));
    if (id.application_id == 0) {
      // Pragma values cannot be bound; these are integers of our own.
      std::string set_id = "PRAGMA application_id = " + std::to_string(kStepflowApplicationId);
      STEPFLOW_RETURN_IF_ERROR(Exec(db, set_id.c_str(), "cannot initialise " + path));
    }
    for (int i = static_cast<int>(id.user_version); i < kSqliteMigrationCount; ++i) {
      const SqliteMigration& m = kSqliteMigrations[i];
      STEPFLOW_RETURN_IF_ERROR(Exec(db, m.sql, "migration " + std::string(m.name) + " of " + path));
      std::string set_version = "PRAGMA user_version = " + std::to_string(m.version);
      STEPFLOW_RETURN_IF_ERROR(Exec(db, set_version.c_str(), "migration of " + path));
    }
    return Exec(db, "COMMIT", "migration of " + path);
  };
  Status st = apply();
  if (!st.ok() && !sqlite3_get_autocommit(db)) Exec(db, "ROLLBACK", "rollback");
  return st;
}

}  // namespace

int SchemaVersion() { return kSqliteMigrationCount; }

Status PrepareSchema(sqlite3* db, const std::string& path) {
  STEPFLOW_ASSIGN_OR_RETURN(FileIdentity id, ReadIdentity(db, path));
  STEPFLOW_RETURN_IF_ERROR(CheckIdentity(id, path));
  // Only now that the file is known to be ours (or empty) may it change.
  STEPFLOW_ASSIGN_OR_RETURN(Statement wal, Statement::Prepare(db, "PRAGMA journal_mode = WAL"));
  {
    StatementReset reset(wal);
    int rc = wal.Step();
    if (rc != SQLITE_ROW) return ErrorStatus(db, rc, "cannot open " + path);
    if (wal.Text(0) != "wal") {
      return Status::FailedPrecondition("cannot open " + path +
                                        ": WAL journal mode unavailable (got " + wal.Text(0) + ")");
    }
  }
  if (id.user_version < SchemaVersion()) STEPFLOW_RETURN_IF_ERROR(Migrate(db, path));
  return Status::Ok();
}

}  // namespace stepflow::store::sqlite
