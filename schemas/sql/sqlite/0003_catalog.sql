-- stepflow SQLite schema, version 3: the function catalog (immutable
-- versions, aliases, service integrations) and nested executions.

-- Every registration of a function is an immutable version 1, 2, ... per
-- name; the store numbers them (PutFunctionVersion).
CREATE TABLE function_versions (
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  kind TEXT NOT NULL,     -- 'grpc': a FunctionService endpoint
  target TEXT NOT NULL,   -- for 'grpc': HOST:PORT or unix:/PATH
  source TEXT NOT NULL,   -- who registered it: 'api' or 'file'
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (name, version)
) WITHOUT ROWID;

-- The version 2 registry held one endpoint per name, all set through the
-- API: each becomes version 1 of its function (created_ms unknown: 0).
INSERT INTO function_versions(name, version, kind, target, source, created_ms)
  SELECT name, 1, 'grpc', endpoint, 'api', 0 FROM functions;
DROP TABLE functions;

-- Named pointers to one version of a function ("prod" -> 3).
CREATE TABLE function_aliases (
  function TEXT NOT NULL,
  alias TEXT NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (function, alias)
) WITHOUT ROWID;

-- Service integrations mapped to functions ("sns:publish" -> "notifier:prod").
CREATE TABLE integrations (
  integration TEXT NOT NULL PRIMARY KEY,
  function TEXT NOT NULL
) WITHOUT ROWID;

-- Nested executions: the execution that started this one, and the
-- idempotency key of the parent's Task that started it. NULL (never '') when
-- there is none, so the partial indexes hold child executions only and
-- top-level ones cost no index write.
ALTER TABLE executions ADD COLUMN parent_id TEXT;
ALTER TABLE executions ADD COLUMN parent_task TEXT;
-- FindExecutionByParentTask.
CREATE INDEX executions_parent_task ON executions(parent_task) WHERE parent_task IS NOT NULL;
-- ListChildExecutions, ordered by start time.
CREATE INDEX executions_parent_id ON executions(parent_id, start_ms) WHERE parent_id IS NOT NULL;
