-- stepflow SQLite schema, version 4: deployed functions (code the engine
-- runs itself), their failed deploys and the output of their calls.

-- A version's settings as JSON ('' for a FunctionService endpoint). For a
-- deployed function ('package'), target is the code's content hash and
-- config holds the runtime, handler, limits and environment key.
ALTER TABLE function_versions ADD COLUMN config TEXT NOT NULL DEFAULT '';

-- The newest failed deploy of a function (its build or load output), until
-- a deploy of it succeeds. The versions that serve are not touched by it.
CREATE TABLE function_deploy_failures (
  name TEXT NOT NULL PRIMARY KEY,
  created_ms INTEGER NOT NULL,
  message TEXT NOT NULL
) WITHOUT ROWID;

-- What an instance of a deployed function wrote (stdout and stderr) during
-- one call, capped per call.
CREATE TABLE function_logs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  function TEXT NOT NULL,
  version INTEGER NOT NULL,
  execution_id TEXT NOT NULL,     -- '' for a call made outside an execution
  idempotency_key TEXT NOT NULL,  -- the call's: "<executionId>/<TaskScheduled event id>"
  created_ms INTEGER NOT NULL,
  text TEXT NOT NULL
);
CREATE INDEX function_logs_function ON function_logs(function, id);
CREATE INDEX function_logs_execution ON function_logs(execution_id, id) WHERE execution_id <> '';
CREATE INDEX function_logs_call ON function_logs(idempotency_key);
