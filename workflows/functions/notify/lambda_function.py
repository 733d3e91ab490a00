"""notify: publish a message to a topic, answering like SNS Publish.

site_crawl calls it through `arn:aws:states:::sns:publish` once the function is mapped
to that integration (`stepflow functions map sns:publish notify`). Its entry point is
lambda_function.lambda_handler, the other name a Python function's handler may have.

Event:
    {"TopicArn": "arn:aws:sns:us-east-1:123456789012:crawls",   required
     "Message": "3 pages crawled",                              required, at most 256 KiB
     "Subject": "...",                                          optional
     "database": "/path/x.db"}                                  optional, see below

Result:
    {"MessageId": "6f1c...-..."}   a UUID

The message is appended to an outbox table, notifications(message_id, topic_arn,
subject, message, published_at, request_id), in the SQLite file given by the
event's "database" or, without it, the environment variable EXAMPLE_DB;
whatever delivers notifications reads from there. The MessageId is derived from the
call's request id, the engine's idempotency key, so a call the engine repeats
publishes once and gets the same MessageId.

Errors: SNS.InvalidParameterException (a missing or malformed field),
Storage.NoDatabase.
"""

import datetime
import os
import re
import sqlite3
import uuid

# The engine names a raised exception's ASL error after its class, so these
# classes carry the dotted names Step Functions' SNS integration reports.
InvalidParameter = type("SNS.InvalidParameterException", (ValueError,), {})
NoDatabase = type("Storage.NoDatabase", (Exception,), {})

TOPIC_ARN = re.compile(r"^arn:aws:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")
MAX_MESSAGE_BYTES = 256 * 1024
# Message ids are UUIDs in this namespace, named by the call's request id.
MESSAGE_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "stepflow:examples:notify")

SCHEMA = """
CREATE TABLE IF NOT EXISTS notifications (
  message_id   TEXT PRIMARY KEY,
  topic_arn    TEXT NOT NULL,
  subject      TEXT,
  message      TEXT NOT NULL,
  published_at TEXT NOT NULL,
  request_id   TEXT UNIQUE
)
"""


def lambda_handler(event, context):
    topic = event.get("TopicArn")
    message = event.get("Message")
    subject = event.get("Subject")
    if not isinstance(topic, str) or not TOPIC_ARN.match(topic):
        raise InvalidParameter(f"TopicArn is not an SNS topic ARN: {topic!r}")
    if not isinstance(message, str) or not message:
        raise InvalidParameter("Message must be a non-empty string")
    if len(message.encode("utf-8")) > MAX_MESSAGE_BYTES:
        raise InvalidParameter("Message is longer than 256 KiB")
    if subject is not None and not isinstance(subject, str):
        raise InvalidParameter("Subject must be a string")

    request_id = getattr(context, "aws_request_id", None) or None
    message_id = str(uuid.uuid5(MESSAGE_ID_NAMESPACE, request_id) if request_id
                     else uuid.uuid4())
    published_at = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")

    path = database_path(event)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(SCHEMA)
        # A repeated request id changes nothing: the first call's row stays.
        connection.execute(
            "INSERT OR IGNORE INTO notifications VALUES (?, ?, ?, ?, ?, ?)",
            (message_id, topic, subject, message, published_at, request_id))
    finally:
        connection.close()
    return {"MessageId": message_id}


def database_path(event):
    """The SQLite file: the event's "database", else $EXAMPLE_DB."""
    path = event.get("database") or os.environ.get("EXAMPLE_DB")
    if not path:
        raise NoDatabase("no database: pass \"database\" in the event or set "
                         "EXAMPLE_DB in the function's environment")
    return path
