"""charge_card: record a charge to a customer in the ledger, once per request.

Event:
    {"customerId": "cust-77", "amount": 61.4, "currency": "EUR",   all required
     "database": "/path/x.db"}                                     optional, see below

Result:
    {"receiptId": "rcpt-…", "customerId": "cust-77", "amount": 61.4, "currency": "EUR",
     "chargedAt": "2025-06-01T12:00:00+00:00", "duplicate": false}

Amounts are stored in cents (rounded half up); at most 10,000.00 per charge. The
ledger is the table charges(receipt_id, request_id, customer_id, amount_cents,
currency, charged_at) in the SQLite file given by the event's "database" or,
without it, the environment variable EXAMPLE_DB. The call's request id,
the engine's idempotency key, is unique in the ledger: a call the engine repeats
returns the first call's receipt with "duplicate": true and charges nothing more.

Errors: Payment.InvalidAmount, Payment.InvalidCurrency, Payment.BadRequest,
Storage.NoDatabase.
"""

import datetime
import decimal
import os
import re
import sqlite3
import uuid

# The engine names a raised exception's ASL error after its class, so these
# classes carry the dotted names used across the example workflows.
InvalidAmount = type("Payment.InvalidAmount", (ValueError,), {})
InvalidCurrency = type("Payment.InvalidCurrency", (ValueError,), {})
BadRequest = type("Payment.BadRequest", (ValueError,), {})
NoDatabase = type("Storage.NoDatabase", (Exception,), {})

MAX_CENTS = 1_000_000
CURRENCY = re.compile(r"^[A-Z]{3}$")  # an ISO 4217 code

SCHEMA = """
CREATE TABLE IF NOT EXISTS charges (
  receipt_id   TEXT PRIMARY KEY,
  request_id   TEXT UNIQUE,
  customer_id  TEXT NOT NULL,
  amount_cents INTEGER NOT NULL,
  currency     TEXT NOT NULL,
  charged_at   TEXT NOT NULL
)
"""


def handler(event, context):
    customer = event.get("customerId")
    amount = event.get("amount")
    currency = event.get("currency")
    if not isinstance(customer, str) or not customer:
        raise BadRequest("customerId must be a non-empty string")
    if isinstance(amount, bool) or not isinstance(amount, (int, float)):
        raise InvalidAmount(f"amount must be a number, not {amount!r}")
    # Through Decimal so that 0.1 + 0.2 style binary noise rounds as written.
    cents = int((decimal.Decimal(str(amount)) * 100).quantize(decimal.Decimal(1),
                                                              decimal.ROUND_HALF_UP))
    if not 0 < cents <= MAX_CENTS:
        raise InvalidAmount(f"amount must be more than 0 and at most {MAX_CENTS / 100:.2f}")
    if not isinstance(currency, str) or not CURRENCY.match(currency):
        raise InvalidCurrency(f"currency must be a three-letter ISO 4217 code, not {currency!r}")

    request_id = getattr(context, "aws_request_id", None) or None
    path = database_path(event)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(SCHEMA)
        connection.execute("BEGIN IMMEDIATE")
        row = None
        if request_id:
            row = connection.execute(
                "SELECT receipt_id, customer_id, amount_cents, currency, charged_at "
                "FROM charges WHERE request_id = ?", (request_id,)).fetchone()
        duplicate = row is not None
        if not duplicate:
            row = (f"rcpt-{uuid.uuid4().hex[:16]}", customer, cents, currency,
                   datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"))
            connection.execute("INSERT INTO charges VALUES (?, ?, ?, ?, ?, ?)",
                               (row[0], request_id, *row[1:]))
        connection.execute("COMMIT")
    finally:
        connection.close()

    receipt, customer, cents, currency, charged_at = row
    return {"receiptId": receipt, "customerId": customer, "amount": cents / 100,
            "currency": currency, "chargedAt": charged_at, "duplicate": duplicate}


def database_path(event):
    """The SQLite file: the event's "database", else $EXAMPLE_DB."""
    path = event.get("database") or os.environ.get("EXAMPLE_DB")
    if not path:
        raise NoDatabase("no database: pass \"database\" in the event or set "
                         "EXAMPLE_DB in the function's environment")
    return path
