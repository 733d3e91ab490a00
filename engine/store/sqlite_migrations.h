// The SQLite schema migrations, embedded at build time from
// schemas/sql/sqlite/NNNN_name.sql (see engine/store/embed_migrations.cmake).
// Migration i (1-based) brings a database from `PRAGMA user_version` i-1 to i.
#pragma once

namespace stepflow::store {

struct SqliteMigration {
  int version;       // 1, 2, ... dense
  const char* name;  // the file name, for error messages
  const char* sql;   // the file's text: one or more statements
};

// kSqliteMigrations[i].version == i + 1.
extern const SqliteMigration kSqliteMigrations[];
extern const int kSqliteMigrationCount;

}  // namespace stepflow::store
