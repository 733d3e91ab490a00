-- stepflow SQLite schema, version 7: triggers (schedules and webhooks that
-- start executions) and what became of each of their occurrences.

-- A trigger; its spec is JSON the triggers module reads (machine, schedule
-- or webhook, input, policies).
CREATE TABLE triggers (
  name TEXT NOT NULL PRIMARY KEY,
  spec TEXT NOT NULL,
  paused INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
) WITHOUT ROWID;

-- One row per occurrence, written in the transaction that starts its
-- execution (or records why none started): the primary key makes a second
-- start of the same occurrence impossible, whatever crashed in between.
CREATE TABLE trigger_occurrences (
  trigger TEXT NOT NULL,
  key TEXT NOT NULL,
  scheduled_ms INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  execution_id TEXT,
  detail TEXT NOT NULL DEFAULT '',
  recorded_ms INTEGER NOT NULL,
  PRIMARY KEY (trigger, key)
) WITHOUT ROWID;

-- describe: the latest occurrences of a trigger.
CREATE INDEX trigger_occurrences_scheduled ON trigger_occurrences(trigger, scheduled_ms);
