-- stepflow SQLite schema, version 2: the function registry set through the
-- API (RegisterFunction), kept with the data so it survives restarts.
CREATE TABLE functions (
  name TEXT NOT NULL PRIMARY KEY,
  endpoint TEXT NOT NULL
) WITHOUT ROWID;
