// Thin RAII wrappers over the SQLite C API, used by SqliteStore: a
// connection, a prepared statement, and the mapping of SQLite result codes to
// Status.
//
// Thread-safety: none. A Connection and its Statements belong to one mutex
// in the owner (SqliteStore keeps one for the writer and one for the reader).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/common/status.h"

namespace stepflow::store::sqlite {

// The Status for SQLite result code `rc` (extended codes understood), with
// the message "<what>: <SQLite's message>". `db` may be null; its error
// message is used when it describes `rc`.
//   CORRUPT, NOTADB             -> kDataLoss
//   CONSTRAINT_UNIQUE/PRIMARYKEY -> kAlreadyExists
//   other CONSTRAINT, TOOBIG... -> kInvalidArgument / kResourceExhausted
//   BUSY, LOCKED, IOERR, READONLY, CANTOPEN, PERM -> kUnavailable
//   FULL                        -> kResourceExhausted
//   anything else               -> kInternal
Status ErrorStatus(sqlite3* db, int rc, std::string_view what);

struct ConnectionCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using ConnectionPtr = std::unique_ptr<sqlite3, ConnectionCloser>;

// A prepared statement, prepared once and reused (SQLITE_PREPARE_PERSISTENT).
// Use: Bind*(), then Step() until it returns SQLITE_DONE, then Reset() (a
// StatementReset guard does that on scope exit). Bindings survive Reset().
class Statement {
 public:
  Statement() = default;
  Statement(Statement&& other) noexcept : stmt_(other.stmt_), bind_rc_(other.bind_rc_) {
    other.stmt_ = nullptr;
  }
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt_); }

  static Result<Statement> Prepare(sqlite3* db, std::string_view sql);

  // Parameter indexes are 1-based. Text and blobs are bound without a copy
  // (SQLITE_STATIC): the bytes must stay alive and unchanged until the
  // statement has been stepped and reset. A failed bind is reported by the
  // next Step().
  void BindInt(int index, int64_t value) { Check(sqlite3_bind_int64(stmt_, index, value)); }
  void BindText(int index, std::string_view text) {
    Check(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8));
  }
  void BindBlob(int index, std::string_view bytes) {
    Check(sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_STATIC));
  }
  void BindText(int index, const std::string& text) { BindText(index, std::string_view(text)); }
  void BindBlob(int index, const std::string& bytes) { BindBlob(index, std::string_view(bytes)); }
  void BindNull(int index) { Check(sqlite3_bind_null(stmt_, index)); }
  void BindText(int index, const std::optional<std::string>& text) {
    text ? BindText(index, std::string_view(*text)) : BindNull(index);
  }
  void BindInt(int index, const std::optional<int64_t>& value) {
    value ? BindInt(index, *value) : BindNull(index);
  }

  // SQLITE_ROW, SQLITE_DONE or an error code (extended).
  int Step();
  void Reset() { sqlite3_reset(stmt_); }

  // Column accessors for the current row; indexes are 0-based.
  int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
  bool IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  std::string Text(int column) const;
  std::string Blob(int column) const;
  std::optional<std::string> OptionalText(int column) const;
  std::optional<int64_t> OptionalInt(int column) const;

  sqlite3* db() const { return sqlite3_db_handle(stmt_); }

 private:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  void Check(int rc) {
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  }

  sqlite3_stmt* stmt_ = nullptr;
  int bind_rc_ = SQLITE_OK;
};

// Resets a statement when leaving the scope, so an early return never leaves
// it mid-step (which would hold a read transaction open).
class StatementReset {
 public:
  explicit StatementReset(Statement& s) : s_(s) {}
  ~StatementReset() { s_.Reset(); }
  StatementReset(const StatementReset&) = delete;
  StatementReset& operator=(const StatementReset&) = delete;

 private:
  Statement& s_;
};

// Runs a statement that returns no rows (or whose rows are ignored) to
// completion, then resets it. `what` + `subject` name the operation in the
// error message (concatenated only on error: Run is on the hot path).
Status Run(Statement& s, std::string_view what, std::string_view subject = {});

// sqlite3_exec for schema text and pragmas (no bound values).
Status Exec(sqlite3* db, const char* sql, std::string_view what);

}  // namespace stepflow::store::sqlite
