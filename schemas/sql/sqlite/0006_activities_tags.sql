-- stepflow SQLite schema, version 6: activities and tags (the Step Functions
-- API's CreateActivity and TagResource), and executions listed newest first.

-- Activities created through the API. A Task whose resource names an
-- activity waits for a worker to poll it; the row only records that the
-- activity was created (and when), as Step Functions does.
CREATE TABLE activities (
  name TEXT NOT NULL PRIMARY KEY,
  created_ms INTEGER NOT NULL
) WITHOUT ROWID;

-- Tags of state machines and activities, by an opaque resource key the API
-- layer chooses ('stateMachine:NAME', 'activity:NAME'). Deleting the state
-- machine or the activity deletes its tags.
CREATE TABLE tags (
  resource TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (resource, key)
) WITHOUT ROWID;

-- ListExecutions without a machine, in either order: the list walks this
-- index (newest first backwards) and stops at the page's end, rather than
-- sorting every execution. Executions of one machine use
-- executions_machine_start, forwards or backwards; rows with the same
-- start_ms, few, are put in id order as they are read.
CREATE INDEX executions_start ON executions(start_ms);
