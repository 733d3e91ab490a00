"""store_document: save one crawled page, its links and its word counts in SQLite.

Event:
    {"key": "pages/<sha256 of the url>.json",      required, the document's key
     "document": {"url": "...",                     required
                  "title": "...", "links": ["..."], "fetchedAt": "2024-...Z",
                  "wordCount": 120, "topWords": [{"word": "map", "count": 4}]},
     "database": "/path/to/examples.db"}            optional, see below

Result:
    {"key": the key, "database": the SQLite file, "bytes": size of the stored JSON
     document, "links": links stored, "words": word counts stored,
     "created": true for a new page, false when an earlier crawl is replaced}

The database is the event's "database" field or, without it, the file named by the
environment variable EXAMPLE_DB (set it when deploying:
`--env EXAMPLE_DB=/path/examples.db`). Tables are created on first use:
    pages(url PRIMARY KEY, key, title, word_count, fetched_at, stored_at, document)
    links(from_url, position, to_url)       one row per link, in page order
    words(url, word, count)                 the page's most frequent words
Storing a URL again replaces its rows, so a retried call is harmless.

Errors: Storage.BadKey (no key), Storage.BadDocument (no document url),
Storage.NoDatabase (neither "database" nor EXAMPLE_DB).
"""

import datetime
import json
import os
import sqlite3

# The engine names a raised exception's ASL error after its class, so these
# classes carry the dotted names used across the example workflows.
BadKey = type("Storage.BadKey", (ValueError,), {})
BadDocument = type("Storage.BadDocument", (ValueError,), {})
NoDatabase = type("Storage.NoDatabase", (Exception,), {})

SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
  url        TEXT PRIMARY KEY,
  key        TEXT NOT NULL,
  title      TEXT NOT NULL,
  word_count INTEGER,
  fetched_at TEXT,
  stored_at  TEXT NOT NULL,
  document   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS links (
  from_url TEXT NOT NULL,
  position INTEGER NOT NULL,
  to_url   TEXT NOT NULL,
  PRIMARY KEY (from_url, position)
);
CREATE INDEX IF NOT EXISTS links_to_url ON links (to_url);
CREATE TABLE IF NOT EXISTS words (
  url   TEXT NOT NULL,
  word  TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (url, word)
);
"""


def handler(event, context):
    key = event.get("key")
    if not isinstance(key, str) or not key:
        raise BadKey("store_document needs a non-empty string key")
    document = event.get("document")
    if not isinstance(document, dict) or not isinstance(document.get("url"), str):
        raise BadDocument("the document must be an object with a string url")
    url = document["url"]
    links = [link for link in document.get("links") or [] if isinstance(link, str)]
    words = [(w["word"], w["count"]) for w in document.get("topWords") or []
             if isinstance(w, dict) and "word" in w and "count" in w]
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    path = database_path(event)

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    # Several crawls may store at once (site_crawl runs three children in
    # parallel): wait for the write lock rather than fail with "database is locked".
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.executescript(SCHEMA)
        connection.execute("BEGIN IMMEDIATE")
        created = connection.execute(
            "SELECT 1 FROM pages WHERE url = ?", (url,)).fetchone() is None
        connection.execute(
            """INSERT INTO pages (url, key, title, word_count, fetched_at, stored_at, document)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (url) DO UPDATE SET key = excluded.key, title = excluded.title,
                 word_count = excluded.word_count, fetched_at = excluded.fetched_at,
                 stored_at = excluded.stored_at, document = excluded.document""",
            (url, key, str(document.get("title") or ""), document.get("wordCount"),
             document.get("fetchedAt"), _now(), text))
        connection.execute("DELETE FROM links WHERE from_url = ?", (url,))
        connection.executemany(
            "INSERT INTO links (from_url, position, to_url) VALUES (?, ?, ?)",
            [(url, position, link) for position, link in enumerate(links)])
        connection.execute("DELETE FROM words WHERE url = ?", (url,))
        connection.executemany(
            "INSERT OR REPLACE INTO words (url, word, count) VALUES (?, ?, ?)",
            [(url, word, count) for word, count in words])
        connection.execute("COMMIT")
    finally:
        connection.close()

    return {"key": key, "database": path, "bytes": len(text.encode("utf-8")),
            "links": len(links), "words": len(words), "created": created}


def database_path(event):
    """The SQLite file: the event's "database", else $EXAMPLE_DB."""
    path = event.get("database") or os.environ.get("EXAMPLE_DB")
    if not path:
        raise NoDatabase("no database: pass \"database\" in the event or set "
                         "EXAMPLE_DB in the function's environment")
    return path


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
