"""recommend: products a user may like, by item-based collaborative filtering.

Event:
    {"userId": "u-1042", "viewerId": "u-1042", "count": 5}
    viewerId is accepted and not used; count is optional (default 5).

Result:
    ["p-500", "p-700", ...]   at most `count` product ids, best first

The purchase history (purchases.json, one entry per order) is read when the function
starts. Two products are similar when the same people bought both: cosine
similarity of their sets of buyers. A product the user has not bought scores the sum
of its similarities to the products the user has bought. Products nobody similar
bought, and everything for a user with no history, are ranked by how many people
bought them, so the list is full whenever the catalogue allows. Ties go to the
smaller product id, so the answer is stable.

Errors: Recommender.BadRequest (no userId, or count not a positive integer).
"""

import json
import math
import os

# The engine names a raised exception's ASL error after its class, so this
# class carries the dotted name used across the example workflows.
BadRequest = type("Recommender.BadRequest", (ValueError,), {})


def _load_buyers():
    """{product id: set of the users who bought it} from purchases.json."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "purchases.json")
    with open(path, encoding="utf-8") as f:
        purchases = json.load(f)["purchases"]
    buyers = {}
    for purchase in purchases:
        for product in purchase["products"]:
            buyers.setdefault(product, set()).add(purchase["userId"])
    return buyers


BUYERS = _load_buyers()


def handler(event, context):
    user = event.get("userId")
    count = event.get("count", 5)
    if not isinstance(user, str) or not user:
        raise BadRequest("userId must be a non-empty string")
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise BadRequest("count must be a positive integer")

    bought = {product for product, users in BUYERS.items() if user in users}
    scores = {}
    for candidate, candidate_buyers in BUYERS.items():
        if candidate in bought:
            continue
        scores[candidate] = sum(similarity(candidate_buyers, BUYERS[b]) for b in bought)
    ranked = sorted(scores, key=lambda p: (-round(scores[p], 9), -len(BUYERS[p]), p))
    return ranked[:count]


def similarity(buyers_a, buyers_b):
    """Cosine similarity of two products' sets of buyers."""
    if not buyers_a or not buyers_b:
        return 0.0
    return len(buyers_a & buyers_b) / math.sqrt(len(buyers_a) * len(buyers_b))
