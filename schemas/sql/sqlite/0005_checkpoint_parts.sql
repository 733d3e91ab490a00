-- stepflow SQLite schema, version 5: pieces of a checkpoint kept apart from
-- the execution row, so a step rewrites only what it changed. A Map of
-- 10,000 items keeps its children here in chunks and its input once; each
-- step writes the executions row (small) and the chunks it changed, not all
-- 10,000 children again. The row's checkpoint names its pieces by key. All
-- pieces of an execution go when it succeeds (its row keeps no checkpoint).
CREATE TABLE checkpoint_parts (
  execution_id TEXT NOT NULL,
  key TEXT NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (execution_id, key)
) WITHOUT ROWID;
