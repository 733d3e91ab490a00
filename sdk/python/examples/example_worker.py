#!/usr/bin/env python3
"""The example worker in Python: small, deterministic fake versions of every
function the example workflows in workflows/ call (crawler, ml_pipeline,
web_request), with the same outputs as tools/workers/example_worker.cc.

    PYTHONPATH=<build>/python /usr/bin/python3 example_worker.py \\
        [--port N] [--listen HOST] [--flaky-until FILE]

Listens on HOST (default 127.0.0.1) port N (default 0: chosen by the OS),
prints "PORT <n>" on stdout, and logs one line per call on stderr. Exits 0
after SIGTERM/SIGINT, 2 on bad arguments, 1 when it cannot listen.

Failures to show off Retry, Catch and redrive:
  * get_product for id "p-200" answers gRPC UNAVAILABLE on the first call of
    each execution (the engine reports States.TaskFailed; Retry repeats it).
  * with --flaky-until FILE, train_model fails with
    Training.ClusterUnavailable while FILE does not exist.
  * authenticate: a token that is not "Bearer <something>" fails with
    Auth.Unauthorized, "Bearer banned..." with Auth.Forbidden.
  * rate_limit: more than `limit` calls for one key in one `windowSeconds`
    window fail with RateLimit.Exceeded.
  * recommend fails with Recommender.Unavailable for userId "0".
Input that is JSON but not an object fails with Worker.BadInput (invalid JSON
is the SDK's Worker.InvalidInput).
"""

import argparse
import functools
import json
import os
import sys
import threading
import time

import grpc

from stepflow_worker import AbortCall, TaskError, Worker

MASK64 = (1 << 64) - 1


def fnv(text: str) -> int:
    """FNV-1a over the UTF-8 bytes: a stable hash, so fake numbers repeat."""
    h = 1469598103934665603
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * 1099511628211) & MASK64
    return h


def pick(text: str, lo: float, hi: float) -> float:
    """A number in [lo, hi] derived from text, rounded to 2 decimals."""
    unit = (fnv(text) % 10000) / 9999.0
    return int((lo + unit * (hi - lo)) * 100 + 0.5) / 100


def text(obj: dict, key: str, fallback: str = "") -> str:
    value = obj.get(key)
    return value if isinstance(value, str) else fallback


def integer(obj: dict, key: str, fallback: int) -> int:
    value = obj.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else fallback


def dump(value) -> str:
    """JSON text as nlohmann::json::dump() writes it (sorted keys, compact)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def size(value) -> int:
    """nlohmann::json::size(): elements of an array/object, 0 for null, else 1."""
    if isinstance(value, (list, dict)):
        return len(value)
    return 0 if value is None else 1


class Functions:
    def __init__(self, flaky_until: str = ""):
        self.flaky_until = flaky_until
        self.lock = threading.Lock()  # guards the two members below
        self.rate_counts: dict = {}
        self.seen: set = set()

    def register(self, worker: Worker) -> None:
        table = {
            # crawler
            "http_get": self.http_get,
            "parse_html": self.parse_html,
            "store_document": self.store_document,
            # ml_pipeline
            "clean_dataset": self.clean_dataset,
            "extract_features": self.extract_features,
            "describe_stats": self.describe_stats,
            "train_model": self.train_model,
            "render_charts": self.render_charts,
            # web_request
            "authenticate": self.authenticate,
            "rate_limit": self.rate_limit,
            "get_product": self.get_product,
            "get_price": self.get_price,
            "get_user": self.get_user,
            "get_orders": self.get_orders,
            "recommend": self.recommend,
            "render_response": self.render_response,
            "log_error": self.log_error,
        }
        for name, fn in table.items():
            worker.register(name, logged(name, fn))

    # -------------------------------------------------------------- crawler
    def http_get(self, inp, ctx):
        url = text(inp, "url")
        if not url.startswith(("http://", "https://")):
            raise TaskError("Http.BadUrl", f"not an http(s) URL: '{url}'")
        host = url[url.find("//") + 2:].split("/", 1)[0]
        body = (f"<html><head><title>{host} - Example Domain</title></head><body>"
                "<h1>Example Domain</h1><p>This domain is for use in examples.</p>"
                "<a href=\"/about\">About</a> <a href=\"/docs/intro\">Docs</a> "
                "<a href=\"https://www.iana.org/domains/example\">More information...</a>"
                "</body></html>")
        return {"status": 200, "headers": {"content-type": "text/html; charset=UTF-8"},
                "body": body}

    def parse_html(self, inp, ctx):
        """A tiny "parser": the <title> text and every href, made absolute."""
        html = text(inp, "html")
        base = text(inp, "baseUrl").rstrip("/")
        title = ""
        start = html.find("<title>")
        if start >= 0:
            end = html.find("</title>", start)
            title = html[start + 7:end] if end >= 0 else html[start + 7:]
        links = []
        at = html.find('href="')
        while at >= 0:
            end = html.find('"', at + 6)
            if end < 0:
                break
            link = html[at + 6:end]
            if link.startswith("/"):
                link = base + link
            links.append(link)
            at = html.find('href="', at + 1)
        # Words of the text outside the tags, and the five most frequent.
        words, inside = [], False
        current = ""
        for ch in html:
            if ch == "<":
                inside = True
            elif ch == ">":
                inside = False
            elif not inside and ch.isalpha():
                current += ch.lower()
                continue
            if current:
                words.append(current)
                current = ""
        if current:
            words.append(current)
        counts = {}
        for w in words:
            counts[w] = counts.get(w, 0) + 1
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
        return {"title": title, "links": links, "wordCount": len(words),
                "topWords": [{"word": w, "count": c} for w, c in top]}

    def store_document(self, inp, ctx):
        key = text(inp, "key")
        if not key:
            raise TaskError("Storage.BadKey", "store_document needs a key")
        document = dump(inp.get("document", {}))
        return {"key": "s3://stepflow-demo/" + key, "bytes": len(document.encode("utf-8")),
                "etag": str(fnv(document) % 1000000007)}

    # ---------------------------------------------------------- ml_pipeline
    def clean_dataset(self, inp, ctx):
        source = text(inp, "source")
        raw = 150 + fnv(source) % 50
        dropped = raw - 150 if inp.get("dropDuplicates", False) else 0
        return {"path": text(inp, "destination", source + ".clean"), "rows": raw - dropped,
                "dropped": dropped,
                "filledMissing": {"strategy": text(inp, "fillMissing", "none"), "cells": 3}}

    def extract_features(self, inp, ctx):
        columns = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
        return {"path": text(inp, "destination"), "target": text(inp, "target"),
                "columns": columns}

    def describe_stats(self, inp, ctx):
        """Plausible but made-up statistics, the same for a column name every time."""
        out = {}
        for name in inp.get("columns", []):
            if not isinstance(name, str):
                continue
            mean = pick(name + "/mean", 1.0, 6.0)
            sd = pick(name + "/std", 0.2, 1.8)
            stats = {"count": 150, "mean": mean, "std": sd}
            for q in inp.get("percentiles", []):
                if isinstance(q, bool) or not isinstance(q, (int, float)):
                    continue
                value = mean + (q - 0.5) * 2.7 * sd
                stats[f"{int(q * 100 + 0.5)}%"] = int(value * 100 + 0.5) / 100
            out[name] = stats
        return out

    def train_model(self, inp, ctx):
        if self.flaky_until and not os.path.exists(self.flaky_until):
            raise TaskError("Training.ClusterUnavailable",
                            f"training cluster unavailable (create {self.flaky_until} to fix)")
        seed = f"{text(inp, 'algorithm')}/{integer(inp, 'seed', 0)}"
        accuracy = pick(seed + "/accuracy", 0.90, 0.98)
        return {"modelUri": text(inp, "modelUri"), "algorithm": text(inp, "algorithm"),
                "metrics": {"accuracy": accuracy, "f1": int(accuracy * 100 - 1) / 100,
                            "trainSeconds": pick(seed + "/seconds", 20, 90)}}

    def render_charts(self, inp, ctx):
        directory = text(inp, "outputDir")
        files = [f"{directory}/{chart}.png" for chart in inp.get("charts", [])
                 if isinstance(chart, str)]
        return {"title": text(inp, "title"), "files": files}

    # ---------------------------------------------------------- web_request
    def authenticate(self, inp, ctx):
        token = text(inp, "token")
        if not token.startswith("Bearer ") or len(token) == 7:
            raise TaskError("Auth.Unauthorized", "missing or malformed bearer token")
        secret = token[7:]
        if secret.startswith("banned"):
            raise TaskError("Auth.Forbidden", "this token has been revoked")
        return {"userId": f"u-{1000 + fnv(secret) % 9000}",
                "roles": ["user", "admin"] if secret == "admin-token" else ["user"]}

    def rate_limit(self, inp, ctx):
        """A fixed-window counter per key, in this worker's memory."""
        key = text(inp, "key")
        limit = integer(inp, "limit", 100)
        window = max(1, integer(inp, "windowSeconds", 60))
        now = int(time.time())
        with self.lock:
            slot = f"{key}@{now // window}"
            self.rate_counts[slot] = count = self.rate_counts.get(slot, 0) + 1
        if count > limit:
            raise TaskError("RateLimit.Exceeded",
                            f"{key} made more than {limit} requests in {window} s")
        return {"allowed": True, "remaining": limit - count,
                "resetInSeconds": window - now % window}

    def get_product(self, inp, ctx):
        pid = text(inp, "id")
        if not pid:
            raise TaskError("Catalog.NotFound", "no product id")
        if pid == "p-200" and self.first_call(ctx, "get_product/" + pid):
            raise AbortCall(grpc.StatusCode.UNAVAILABLE,
                            "catalog replica restarting (fails once per execution)")
        names = ["Espresso cup", "Pour-over kettle", "Burr grinder", "Milk frother",
                 "Coffee scale"]
        categories = ["tableware", "brewing", "grinders"]
        h = fnv("name:" + pid)
        return {"id": pid, "name": names[h % 5], "category": categories[(h // 5) % 3],
                "inStock": h % 7 != 0}

    def get_price(self, inp, ctx):
        pid = text(inp, "productId")
        return {"productId": pid, "amount": pick(pid + "/price", 5, 120), "currency": "EUR"}

    def get_user(self, inp, ctx):
        uid = text(inp, "id")
        if not uid:
            raise TaskError("Users.NotFound", "no user id")
        names = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra"]
        name = names[fnv(uid) % 4]
        return {"id": uid, "name": name, "email": name.split(" ")[0].lower() + "@example.com"}

    def get_orders(self, inp, ctx):
        user = text(inp, "userId")
        orders = []
        for i in range(min(integer(inp, "limit", 10), 1 + fnv(user) % 3)):
            oid = f"o-{fnv(user + str(i)) % 90000 + 10000}"
            orders.append({"orderId": oid, "total": pick(oid, 10, 200), "status": "shipped"})
        return orders

    def recommend(self, inp, ctx):
        user = text(inp, "userId")
        if user == "0":
            raise TaskError("Recommender.Unavailable", "no model for user 0")
        h = fnv(user)
        return [f"p-{100 * (1 + ((h + i) & MASK64) % 9)}"
                for i in range(min(integer(inp, "count", 5), 3))]

    def render_response(self, inp, ctx):
        template = text(inp, "template")
        data = inp.get("data")
        if template == "product_list" and isinstance(data, list):
            body = "<ul>"
            for item in data:  # an item that is not an object: AttributeError
                product = item.get("product", {})
                price = item.get("price", {})
                amount = json.dumps(float(price.get("amount", 0.0)))
                body += (f"<li>{product.get('name', '?')} {amount} "
                         f"{price.get('currency', '')}</li>")
            body += "</ul>"
        elif template == "user_page" and isinstance(data, dict):
            user = data.get("user", {})
            body = (f"<h1>{user.get('name', '?')}</h1><p>{size(data.get('orders', []))} orders, "
                    f"{size(data.get('recommendations', []))} recommendations</p>")
        else:
            raise TaskError("Render.UnknownTemplate", f"no template named '{template}'")
        return {"status": integer(inp, "status", 200), "headers": {"content-type": "text/html"},
                "body": body}

    def log_error(self, inp, ctx):
        print(f"example_worker: request {text(inp, 'requestId')} {text(inp, 'route')} failed: "
              f"{text(inp, 'error')}: {text(inp, 'cause')}", file=sys.stderr, flush=True)
        return {"logged": True}

    def first_call(self, ctx, what: str) -> bool:
        """True the first time `what` is asked for in the call's execution."""
        key = f"{ctx.execution_id}|{what}"
        with self.lock:
            if key in self.seen:
                return False
            self.seen.add(key)
            return True


def logged(name, fn):
    """Logs the call on stderr; refuses input that is not a JSON object."""
    @functools.wraps(fn)
    def call(inp, ctx):
        attempt = f"  attempt {ctx.attempt}" if ctx.attempt > 0 else ""
        print(f"example_worker: {name}  execution {ctx.execution_id}  state {ctx.state_path}"
              f"{attempt}", file=sys.stderr, flush=True)
        if not isinstance(inp, dict):
            raise TaskError("Worker.BadInput", "the input is not a JSON object")
        return fn(inp, ctx)
    return call


def main() -> int:
    parser = argparse.ArgumentParser(description="stepflow example worker (Python)")
    parser.add_argument("--port", type=int, default=0, help="port (0 = chosen by the OS)")
    parser.add_argument("--listen", default="127.0.0.1", help="host to listen on")
    parser.add_argument("--flaky-until", default="",
                        help="train_model fails while this file does not exist")
    args = parser.parse_args()  # exits 2 on bad arguments
    if not 0 <= args.port <= 65535:
        parser.error(f"bad port '{args.port}'")
    host = args.listen
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"

    worker = Worker()
    Functions(args.flaky_until).register(worker)
    try:
        worker.run(f"{host}:{args.port}")
    except RuntimeError as e:
        print(f"example_worker: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
