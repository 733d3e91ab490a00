-- stepflow SQLite schema, version 1 (ARCHITECTURE.md §4).
--
-- Migrations are numbered files NNNN_name.sql, embedded into the binary at
-- build time and applied in order (all pending ones in one transaction); the
-- database's `PRAGMA user_version` is the number of the last one applied. Never edit a
-- released migration: add a new file.

CREATE TABLE state_machines (
  name TEXT NOT NULL PRIMARY KEY,
  created_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE state_machine_versions (
  machine TEXT NOT NULL REFERENCES state_machines(name),
  version INTEGER NOT NULL,
  definition TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (machine, version)
);

-- `seq` is an internal key in creation order. History rows are clustered on
-- it rather than on `id`: runtime ids may be random (UUIDv4), and keying the
-- history on them scatters every batch over the whole table (measured: less
-- than half the insert rate, bench/store_bench.cc).
CREATE TABLE executions (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  machine TEXT NOT NULL,
  version INTEGER NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  input TEXT NOT NULL,
  output TEXT,
  error TEXT,
  cause TEXT,
  state BLOB NOT NULL,
  next_event_id INTEGER NOT NULL,
  redrive_count INTEGER NOT NULL,
  start_ms INTEGER NOT NULL,
  stop_ms INTEGER,
  redrive_ms INTEGER,
  UNIQUE (machine, name)
);
-- ListUnfinished (status = 'RUNNING') and the status filter of ListExecutions.
CREATE INDEX executions_status ON executions(status);
-- ListExecutions of one machine, ordered by start time.
CREATE INDEX executions_machine_start ON executions(machine, start_ms);

-- The append-only history: dense event ids from 1 per execution. Clustered
-- on the primary key so one execution's events sit together on disk, and new
-- executions' events are appended at the end of the table.
CREATE TABLE history_events (
  execution_seq INTEGER NOT NULL,  -- executions.seq
  event_id INTEGER NOT NULL,
  previous_event_id INTEGER NOT NULL,
  timestamp_ms INTEGER NOT NULL,
  type TEXT NOT NULL,
  state_path TEXT NOT NULL,
  details TEXT NOT NULL,
  PRIMARY KEY (execution_seq, event_id)
) WITHOUT ROWID;

-- The outbox: Task invocations scheduled and not yet resolved. `id` is the
-- invocation's idempotency key.
CREATE TABLE tasks (
  id TEXT NOT NULL PRIMARY KEY,
  execution_id TEXT NOT NULL,
  state_path TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  resource TEXT NOT NULL,
  input TEXT NOT NULL,
  status TEXT NOT NULL,
  visible_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
-- No index on execution_id: ids start with "<execution id>/", so the primary
-- key serves per-execution lookups, and each Task step writes one page less.

CREATE TABLE timers (
  execution_id TEXT NOT NULL,
  id TEXT NOT NULL,
  fire_at_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,
  payload BLOB NOT NULL,
  PRIMARY KEY (execution_id, id)
) WITHOUT ROWID;
CREATE INDEX timers_fire_at ON timers(fire_at_ms);
