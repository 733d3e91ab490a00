"""rate_limit: a fixed-window request counter per key, kept in SQLite.

Event:
    {"key": "u-1042:/products",     required, what is limited (here: user and route)
     "limit": 100,                  optional, calls allowed per window (default 100)
     "windowSeconds": 60,           optional, window length (default 60)
     "database": "/path/x.db"}      optional, see below

Result:
    {"allowed": true, "count": calls so far in this window, "remaining": calls left,
     "resetInSeconds": seconds until the next window}

Windows start at multiples of windowSeconds since the Unix epoch. Every call counts,
refused ones too, so a client that keeps trying stays refused until the window ends.
The counter is shared by every instance of the function because it lives in the
SQLite file given by the event's "database" or, without it, the environment variable
EXAMPLE_DB (table rate_limits(key, window_start, count)).

Errors: RateLimit.Exceeded (more than `limit` calls in the window; the web_request
workflow answers 429), RateLimit.BadRequest, Storage.NoDatabase.
"""

import os
import sqlite3
import time

# The engine names a raised exception's ASL error after its class, so these
# classes carry the dotted names the workflows catch.
Exceeded = type("RateLimit.Exceeded", (Exception,), {})
BadRequest = type("RateLimit.BadRequest", (ValueError,), {})
NoDatabase = type("Storage.NoDatabase", (Exception,), {})

SCHEMA = """
CREATE TABLE IF NOT EXISTS rate_limits (
  key          TEXT NOT NULL,
  window_start INTEGER NOT NULL,
  count        INTEGER NOT NULL,
  PRIMARY KEY (key, window_start)
)
"""


def handler(event, context):
    key = event.get("key")
    limit = event.get("limit", 100)
    window = event.get("windowSeconds", 60)
    if not isinstance(key, str) or not key:
        raise BadRequest("key must be a non-empty string")
    if not isinstance(limit, int) or limit < 0 or not isinstance(window, int) or window < 1:
        raise BadRequest("limit must be an integer >= 0 and windowSeconds an integer >= 1")

    now = int(time.time())
    start = now - now % window
    path = database_path(event)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(SCHEMA)
        connection.execute("BEGIN IMMEDIATE")
        [(count,)] = connection.execute(  # fetchall: the statement must finish before COMMIT
            """INSERT INTO rate_limits (key, window_start, count) VALUES (?, ?, 1)
               ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1
               RETURNING count""", (key, start)).fetchall()
        # Past windows of this key can never be asked about again.
        connection.execute("DELETE FROM rate_limits WHERE key = ? AND window_start < ?",
                           (key, start))
        connection.execute("COMMIT")
    finally:
        connection.close()

    if count > limit:
        raise Exceeded(f"{key} made {count} requests in this {window} s window; "
                       f"the limit is {limit}")
    return {"allowed": True, "count": count, "remaining": limit - count,
            "resetInSeconds": start + window - now}


def database_path(event):
    """The SQLite file: the event's "database", else $EXAMPLE_DB."""
    path = event.get("database") or os.environ.get("EXAMPLE_DB")
    if not path:
        raise NoDatabase("no database: pass \"database\" in the event or set "
                         "EXAMPLE_DB in the function's environment")
    return path
