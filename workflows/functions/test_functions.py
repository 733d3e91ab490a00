#!/usr/bin/env python3
"""Smoke tests of the example functions in this folder, each run the way a deployed
function runs: from a copy of its folder, in an environment built from its own
dependency files, through its Lambda-style handler.

    /usr/bin/python3 workflows/functions/test_functions.py [-v] [CrawlerTest ...]

For every function the test copies the folder to a temporary directory, then
  * Python (handler.py or lambda_function.py): creates a virtualenv and, when the
    folder has a requirements.txt, installs it with pip and no package index (the
    requirements are local packages); folders without one share a bare virtualenv;
  * Node (index.js or index.mjs): runs `npm ci` when the folder has a lock file;
and calls the handler in a fresh interpreter with a JSON event and a context like the
engine's (request id, execution id, state name, attempt). A raised exception comes
back as its ASL error name: the Python class's __name__, the JS error's name.

The crawler test serves workflows/data/site with `python3 -m http.server` on a free
port of 127.0.0.1 and crawls it; the ML test runs the pipeline on
workflows/data/iris_dirty.csv. SQLite files and artefacts go to the temporary
directory, which is removed at the end. Needs python3 (with venv) and node; npm
needs the npm registry or its cache. A run takes about half a minute, most of it
building the environments.
"""

import hashlib
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import unittest
import uuid
from pathlib import Path

FUNCTIONS = Path(__file__).resolve().parent
DATA = FUNCTIONS.parent / "data"
CALL_TIMEOUT_SECONDS = 60
BUILD_TIMEOUT_SECONDS = 300  # npm ci may download packages

# Runs one Python handler: argv = function dir, module, function, outcome file;
# the event on stdin, the context's fields in $STEPFLOW_TEST_CONTEXT.
PYTHON_RUNNER = r'''
import importlib, json, os, sys, time
directory, module_name, function_name, outcome_path = sys.argv[1:5]
sys.path.insert(0, directory)
os.chdir(directory)
fields = json.loads(os.environ["STEPFLOW_TEST_CONTEXT"])
deadline = time.monotonic() + fields.pop("timeoutSeconds")

class Context:
    def __init__(self):
        self.__dict__.update(fields)

    def get_remaining_time_in_millis(self):
        return max(0, int((deadline - time.monotonic()) * 1000))

event = json.load(sys.stdin)
try:
    handler = getattr(importlib.import_module(module_name), function_name)
    outcome = {"result": handler(event, Context())}
except Exception as error:
    outcome = {"errorType": type(error).__name__, "errorMessage": str(error)}
with open(outcome_path, "w") as f:
    json.dump(outcome, f)
'''

# Runs one Node handler: argv = function dir, outcome file; the rest as above.
NODE_RUNNER = r'''
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [directory, outcomePath] = process.argv.slice(2);
const fields = JSON.parse(process.env.STEPFLOW_TEST_CONTEXT);
const deadline = Date.now() + fields.timeoutSeconds * 1000;
const context = {
  awsRequestId: fields.aws_request_id,
  functionName: fields.function_name,
  functionVersion: fields.function_version,
  executionId: fields.execution_id,
  stateName: fields.state_name,
  attempt: fields.attempt,
  taskToken: fields.task_token,
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
};
const event = JSON.parse(readFileSync(0, 'utf8'));
process.chdir(directory);
let outcome;
try {
  const entry = existsSync(join(directory, 'index.mjs')) ? 'index.mjs' : 'index.js';
  const module = await import(pathToFileURL(join(directory, entry)).href);
  const handler = module.handler ?? module.default?.handler;
  outcome = { result: (await handler(event, context)) ?? null };
} catch (error) {
  outcome = { errorType: error?.name ?? 'Error', errorMessage: String(error?.message ?? error) };
}
writeFileSync(outcomePath, JSON.stringify(outcome));
'''


class FunctionError(Exception):
    """A handler raised: error_type is the ASL error name the engine would report."""

    def __init__(self, error_type, message):
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type


class Functions:
    """Copies of the function folders, their environments, and calls to their handlers."""

    def __init__(self, root):
        self.root = Path(root)
        self.built = {}  # function name -> (runtime, copy, interpreter)
        self.lock = threading.Lock()
        (self.root / "runner.py").write_text(PYTHON_RUNNER)
        (self.root / "runner.mjs").write_text(NODE_RUNNER)

    def invoke(self, name, event, env=None, attempt=0, request_id=None):
        """The handler's result; raises FunctionError when the handler raises."""
        runtime, directory, interpreter = self.build(name)
        outcome_path = self.root / f"outcome-{uuid.uuid4().hex}.json"
        context = {"aws_request_id": request_id or str(uuid.uuid4()), "function_name": name,
                   "function_version": "$LATEST", "execution_id": "exec-smoke-test",
                   "state_name": name, "attempt": attempt, "task_token": "",
                   "timeoutSeconds": CALL_TIMEOUT_SECONDS}
        if runtime == "python":
            module = "handler" if (directory / "handler.py").exists() else "lambda_function"
            function = "handler" if module == "handler" else "lambda_handler"
            command = [interpreter, str(self.root / "runner.py"), str(directory), module,
                       function, str(outcome_path)]
        else:
            command = ["node", str(self.root / "runner.mjs"), str(directory), str(outcome_path)]
        environment = {k: v for k, v in os.environ.items() if not k.startswith("STEPFLOW_")}
        environment.update(env or {}, STEPFLOW_TEST_CONTEXT=json.dumps(context),
                           PYTHONDONTWRITEBYTECODE="1")
        process = subprocess.run(command, input=json.dumps(event), env=environment,
                                 capture_output=True, text=True, timeout=CALL_TIMEOUT_SECONDS)
        if process.returncode != 0 or not outcome_path.exists():
            raise AssertionError(f"{name} crashed (exit {process.returncode}):\n"
                                 f"{process.stdout}\n{process.stderr}")
        outcome = json.loads(outcome_path.read_text())
        outcome_path.unlink()
        if "errorType" in outcome:
            raise FunctionError(outcome["errorType"], outcome["errorMessage"])
        return outcome["result"]

    def build(self, name):
        """(runtime, folder copy, interpreter) of a function, built on first use."""
        with self.lock:
            if name not in self.built:
                self.built[name] = self._build(name)
            return self.built[name]

    def _build(self, name):
        directory = self.root / "functions" / name
        shutil.copytree(FUNCTIONS / name, directory, ignore=shutil.ignore_patterns(
            "node_modules", "__pycache__", "build", "*.egg-info"))
        if (directory / "handler.py").exists() or (directory / "lambda_function.py").exists():
            if not (directory / "requirements.txt").exists():
                return "python", directory, self._bare_python()
            venv = self.root / "venvs" / name
            run([sys.executable, "-m", "venv", str(venv)])
            run([str(venv / "bin" / "pip"), "install", "--no-index", "--no-input", "--quiet",
                 "--disable-pip-version-check", "-r", "requirements.txt"], cwd=directory)
            return "python", directory, str(venv / "bin" / "python")
        if (directory / "package-lock.json").exists():
            run(["npm", "ci", "--no-audit", "--no-fund"], cwd=directory)
        elif (directory / "package.json").exists():
            run(["npm", "install", "--no-audit", "--no-fund"], cwd=directory)
        return "node", directory, "node"

    def _bare_python(self):
        """One virtualenv without packages, shared by the functions that need none."""
        venv = self.root / "venvs" / "_bare"
        if not venv.exists():
            run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
        return str(venv / "bin" / "python")


def run(command, cwd=None):
    process = subprocess.run(command, cwd=cwd, capture_output=True, text=True,
                             timeout=BUILD_TIMEOUT_SECONDS)
    if process.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed in {cwd}:\n"
                             f"{process.stdout}\n{process.stderr}")


functions = None
scratch = None


def setUpModule():
    global functions, scratch
    if shutil.which("node") is None:
        raise unittest.SkipTest("node is not installed")
    scratch = tempfile.TemporaryDirectory(prefix="stepflow-functions-")
    functions = Functions(scratch.name)


def tearDownModule():
    if scratch is not None:
        scratch.cleanup()


class FunctionTestCase(unittest.TestCase):
    def call(self, name, event, **kwargs):
        return functions.invoke(name, event, **kwargs)

    def assertFails(self, error_type, name, event, **kwargs):
        with self.assertRaises(FunctionError) as caught:
            functions.invoke(name, event, **kwargs)
        self.assertEqual(caught.exception.error_type, error_type, str(caught.exception))
        return caught.exception


class CrawlerTest(FunctionTestCase):
    """http_get → parse_html → store_document over the example site, as crawler does."""

    @classmethod
    def setUpClass(cls):
        cls.server = subprocess.Popen(
            [sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1",
             "--directory", str(DATA / "site")],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        cls.addClassCleanup(cls._stop_server)
        # "Serving HTTP on 127.0.0.1 port 40123 (http://127.0.0.1:40123/) ...";
        # the read is bounded by a timer that stops a server that never says it.
        timer = threading.Timer(10, cls.server.kill)
        timer.start()
        line = cls.server.stdout.readline()
        timer.cancel()
        match = re.search(r"port (\d+)", line)
        if not match:
            raise AssertionError(f"http.server did not start: {line!r}")
        cls.base = f"http://127.0.0.1:{match.group(1)}/"
        cls.database = str(Path(scratch.name) / "crawl.db")

    @classmethod
    def _stop_server(cls):
        cls.server.terminate()
        try:
            cls.server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            cls.server.kill()
            cls.server.wait()

    def crawl(self, url):
        """One crawler execution: the page's stored summary, or its HTTP status."""
        page = self.call("http_get", {"url": url, "method": "GET",
                                      "headers": {"User-Agent": "stepflow-crawler/0.1"}})
        if not 200 <= page["status"] < 300:
            return page["status"], None
        parsed = self.call("parse_html", {"html": page["body"], "baseUrl": url})
        stored = self.call("store_document", {
            "key": f"pages/{hashlib.sha256(url.encode()).hexdigest()}.json",
            "document": {"url": url, "title": parsed["title"], "links": parsed["links"],
                         "fetchedAt": "2025-01-01T00:00:00Z", "wordCount": parsed["wordCount"],
                         "topWords": parsed["topWords"]}},
            env={"EXAMPLE_DB": self.database})
        return page["status"], (parsed, stored)

    def test_crawls_the_whole_site_into_sqlite(self):
        queue, seen, statuses = [self.base + "index.html"], set(), {}
        while queue and len(seen) < 40:  # the site has 13 pages; 40 bounds a runaway crawl
            url = queue.pop(0)
            if url in seen:
                continue
            seen.add(url)
            statuses[url], found = self.crawl(url)
            if found:
                parsed, stored = found
                self.assertEqual(stored["links"], len(parsed["links"]))
                queue += [link for link in parsed["links"]
                          if link.startswith(self.base) and link not in seen]

        self.assertEqual(statuses[self.base + "guides/callbacks.html"], 404)
        with sqlite3.connect(self.database) as db:
            pages = dict(db.execute("SELECT url, title FROM pages"))
            self.assertEqual(len(pages), 13)
            self.assertEqual(pages[self.base + "index.html"], "A Field Guide to State Machines")
            self.assertEqual(pages[self.base + "states/map.html"], "Map states")
            self.assertEqual(db.execute("SELECT COUNT(*) FROM pages WHERE word_count > 40"
                                        ).fetchone()[0], 13)
            external = db.execute("SELECT from_url FROM links WHERE to_url = ?",
                                  ("https://states-language.net/spec.html",)).fetchall()
            self.assertEqual(external, [(self.base + "about.html",)])
            # Every page links back home through its navigation bar.
            self.assertEqual(db.execute("SELECT COUNT(DISTINCT from_url) FROM links "
                                        "WHERE to_url = ?", (self.base + "index.html",)
                                        ).fetchone()[0], 13)
            (map_count,) = db.execute("SELECT count FROM words WHERE url = ? AND word = 'map'",
                                      (self.base + "states/map.html",)).fetchone()
            self.assertGreaterEqual(map_count, 3)

        # Crawling a page again replaces its rows instead of adding to them.
        _, (parsed, stored) = self.crawl(self.base + "about.html")
        self.assertFalse(stored["created"])
        with sqlite3.connect(self.database) as db:
            self.assertEqual(db.execute("SELECT COUNT(*) FROM links WHERE from_url = ?",
                                        (self.base + "about.html",)).fetchone()[0],
                             len(parsed["links"]))

    def test_http_get_reports_statuses_and_failures(self):
        page = self.call("http_get", {"url": self.base + "missing.html"})
        self.assertEqual(page["status"], 404)
        self.assertFails("Http.BadUrl", "http_get", {"url": "ftp://127.0.0.1/"})
        with socket.socket() as s:  # a port that was free a moment ago: nothing listens
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.assertFails("Http.Unreachable", "http_get", {"url": f"http://127.0.0.1:{port}/"})
        small = self.call("http_get", {"url": self.base + "index.html", "maxBytes": 100})
        self.assertTrue(small["truncated"])
        self.assertEqual(small["bytes"], 100)

    def test_parse_html_resolves_and_filters_links(self):
        html = ('<html><head><title> Two   words </title><base href="/docs/"></head><body>'
                '<a href="a.html#part">A</a><a href="a.html">again</a>'
                '<a href="mailto:x@example.com">mail</a><a href="https://other.test/">out</a>'
                '<script>var hidden = "not words";</script><p>Map map MAP and the</p></body>'
                '</html>')
        parsed = self.call("parse_html", {"html": html, "baseUrl": "http://site.test/x/y.html"})
        self.assertEqual(parsed["title"], "Two words")
        self.assertEqual(parsed["links"], ["http://site.test/docs/a.html", "https://other.test/"])
        self.assertEqual(parsed["externalLinks"], 1)
        self.assertEqual(parsed["topWords"][0], {"word": "map", "count": 3})
        self.assertNotIn("hidden", [w["word"] for w in parsed["topWords"]])
        self.assertFails("Parse.BadInput", "parse_html", {"html": html, "baseUrl": "y.html"})

    def test_store_document_needs_a_database(self):
        self.assertFails("Storage.NoDatabase", "store_document",
                         {"key": "k", "document": {"url": "http://x.test/"}})
        self.assertFails("Storage.BadKey", "store_document",
                         {"document": {"url": "http://x.test/"}, "database": self.database})


class MlPipelineTest(FunctionTestCase):
    """clean_dataset → extract_features → describe_stats → train_model → render_charts."""

    def setUp(self):
        self.run_dir = Path(tempfile.mkdtemp(dir=scratch.name, prefix="ml-"))
        self.uri = lambda name: (self.run_dir / name).as_uri()

    def test_pipeline_on_the_dirty_iris_copy(self):
        clean = self.call("clean_dataset", {
            "source": (DATA / "iris_dirty.csv").as_uri(), "dropDuplicates": True,
            "fillMissing": "median", "destination": self.uri("clean.csv")})
        # 159 records: 150 of Fisher's, 2 of them with a blanked cell, and 9 bad ones;
        # Iris itself repeats one row (lines 102 and 143 of the original).
        self.assertEqual(clean["rows"], 149)
        self.assertEqual(clean["dropped"], 10)
        self.assertEqual(clean["reasons"], {"wrong_field_count": 2, "not_a_number": 2,
                                            "outlier": 2, "missing_category": 1, "empty": 1,
                                            "duplicate": 2})
        self.assertEqual(clean["filledMissing"]["cells"], 2)

        features = self.call("extract_features", {
            "input": clean["path"], "target": "species", "encodeCategoricals": "one_hot",
            "destination": self.uri("features.csv")})
        self.assertEqual(features["columns"], ["sepal_length", "sepal_width", "petal_length",
                                               "petal_width", "sepal_area", "petal_area"])
        self.assertEqual(features["classes"], {"setosa": 50, "versicolor": 50, "virginica": 49})

        stats = self.call("describe_stats", {"input": features["path"],
                                             "columns": features["columns"],
                                             "percentiles": [0.25, 0.5, 0.75]})
        petal_length = stats["columns"]["petal_length"]
        self.assertEqual(petal_length["count"], 149)
        self.assertAlmostEqual(petal_length["mean"], 3.7490, places=3)
        self.assertEqual((petal_length["min"], petal_length["max"]), (1.0, 6.9))
        self.assertEqual(sum(petal_length["histogram"]["counts"]), 149)
        names = stats["correlation"]["columns"]
        r = stats["correlation"]["matrix"][names.index("petal_length")][names.index("petal_width")]
        self.assertGreater(r, 0.95)

        trained = self.call("train_model", {
            "features": features["path"], "target": "species", "algorithm": "random_forest",
            "hyperparameters": {"trees": 200, "maxDepth": 8}, "seed": 42,
            "modelUri": self.uri("model.json")})
        metrics = trained["metrics"]
        self.assertEqual((metrics["trainRows"], metrics["testRows"]), (119, 30))
        self.assertGreaterEqual(metrics["accuracy"], 0.9)
        self.assertGreaterEqual(metrics["oobAccuracy"], 0.9)
        self.assertEqual(sum(map(sum, metrics["confusionMatrix"]["matrix"])), 30)
        self.assertTrue(next(iter(trained["featureImportance"])).startswith("petal_"))
        model = json.loads((self.run_dir / "model.json").read_text())
        self.assertEqual(len(model["model"]["trees"]), 200)

        charts = self.call("render_charts", {
            "title": "random_forest on iris", "stats": stats, "metrics": metrics,
            "charts": ["histogram", "correlation", "confusion_matrix"],
            "outputDir": self.uri("charts")})
        self.assertEqual(len(charts["files"]), 3)
        for name in ("histogram", "correlation", "confusion_matrix"):
            svg = (self.run_dir / "charts" / f"{name}.svg").read_text()
            self.assertTrue(svg.startswith("<svg"), name)
        self.assertIn(">petal_area<", (self.run_dir / "charts" / "histogram.svg").read_text())

    def test_other_algorithms_and_the_pristine_data(self):
        clean = self.call("clean_dataset", {"source": str(DATA / "iris.csv"),
                                            "destination": self.uri("clean.csv")})
        self.assertEqual((clean["rows"], clean["reasons"]), (149, {"duplicate": 1}))
        features = self.call("extract_features", {"input": clean["path"], "target": "species",
                                                  "destination": self.uri("features.csv")})
        for algorithm, params, floor in [("knn", {"k": 5}, 0.9), ("decision_tree", {}, 0.85),
                                         ("nearest_centroid", {}, 0.75)]:
            trained = self.call("train_model", {
                "features": features["path"], "target": "species", "algorithm": algorithm,
                "hyperparameters": params, "seed": 7, "modelUri": self.uri(f"{algorithm}.json")})
            self.assertGreaterEqual(trained["metrics"]["accuracy"], floor, algorithm)

    def test_training_errors(self):
        self.assertFails("Training.ClusterUnavailable", "train_model",
                         {"algorithm": "knn"},
                         env={"EXAMPLE_TRAINING_CLUSTER_FLAG": str(self.run_dir / "absent")})
        self.assertFails("Training.UnknownAlgorithm", "train_model",
                         {"algorithm": "gradient_boosting", "features": "x", "modelUri": "y"})
        self.assertFails("Dataset.NotFound", "clean_dataset", {
            "source": self.uri("absent.csv"), "destination": self.uri("clean.csv")})
        self.assertFails("Charts.UnknownChart", "render_charts",
                         {"charts": ["pie"], "outputDir": self.uri("charts")})


class WebRequestTest(FunctionTestCase):
    """The functions of web_request, and one GET /products and one user page."""

    def setUp(self):
        self.env = {"EXAMPLE_DB": str(Path(scratch.name) / "web.db")}

    def test_authenticate(self):
        self.assertEqual(self.call("authenticate", {"token": "Bearer demo-token"}),
                         {"userId": "u-1042", "roles": ["user"], "tokenName": "demo"})
        self.assertIn("admin", self.call("authenticate", {"token": "Bearer admin-token"})["roles"])
        self.assertFails("Auth.Forbidden", "authenticate", {"token": "Bearer banned-token"})
        for token in ("Bearer expired-token", "Bearer guess", "Basic demo-token", None):
            self.assertFails("Auth.Unauthorized", "authenticate", {"token": token})

    def test_rate_limit_counts_across_calls(self):
        key = f"u-1042:/products:{uuid.uuid4().hex}"
        event = {"key": key, "limit": 2, "windowSeconds": 86400}
        self.assertEqual(self.call("rate_limit", event, env=self.env)["remaining"], 1)
        self.assertEqual(self.call("rate_limit", event, env=self.env)["remaining"], 0)
        self.assertFails("RateLimit.Exceeded", "rate_limit", event, env=self.env)

    def test_products_page(self):
        flaky = {"EXAMPLE_FLAKY_PRODUCTS": "p-200"}
        self.assertFails("Catalog.ReplicaUnavailable", "get_product", {"id": "p-200"}, env=flaky)
        items = []
        for position, pid in enumerate(["p-100", "p-200", "p-400"]):
            product = self.call("get_product", {"id": pid}, env=flaky, attempt=1)
            price = self.call("get_price", {"productId": pid, "userId": "u-1042"})
            items.append({"productId": pid, "position": position, "product": product,
                          "price": {"amount": price["amount"], "currency": price["currency"]}})
        self.assertEqual(items[0]["product"]["name"], "Espresso cup")
        self.assertEqual(items[0]["price"], {"amount": 12.5, "currency": "EUR"})
        self.assertFalse(items[2]["product"]["inStock"])
        page = self.call("render_response", {"template": "product_list", "status": 200,
                                             "data": items})
        self.assertEqual(page["status"], 200)
        self.assertIn("<td>Pour-over kettle</td><td>brewing</td><td>49.00 EUR</td>", page["body"])
        self.assertIn("3 products, 2 in stock.", page["body"])
        self.assertFails("Catalog.NotFound", "get_product", {"id": "p-999"})
        self.assertFails("Pricing.NotFound", "get_price", {"productId": "p-999"})
        self.assertFails("Render.UnknownTemplate", "render_response", {"template": "x"})

    def test_user_page(self):
        user = self.call("get_user", {"id": "u-1042"})
        self.assertEqual(user["name"], "Ada Lovelace")
        orders = self.call("get_orders", {"userId": "u-1042", "limit": 2})
        self.assertEqual([o["orderId"] for o in orders], ["o-10003", "o-10002"])
        self.assertEqual(orders[0]["total"], 54.9)  # 49.00 + 5.90
        recommendations = self.call("recommend", {"userId": "u-1042", "viewerId": "u-1042",
                                                  "count": 3})
        self.assertEqual(len(recommendations), 3)
        bought = {"p-100", "p-200", "p-300", "p-500", "p-600"}
        self.assertFalse(bought & set(recommendations))
        page = self.call("render_response", {"template": "user_page", "status": 200, "data": {
            "user": user, "orders": orders, "recommendations": recommendations}})
        self.assertIn("<h1>Ada Lovelace</h1>", page["body"])
        self.assertIn("o-10003 of 2025-05-21T08:05:00Z: 2 items, 54.90 EUR", page["body"])
        self.assertFails("Users.NotFound", "get_user", {"id": "u-0"})
        self.assertEqual(self.call("get_orders", {"userId": "u-0"}), [])

    def test_log_error(self):
        self.assertTrue(self.call("log_error", {"requestId": "req-1", "route": "/x",
                                                "error": "E", "cause": "c"})["logged"])


class NotifyAndChargeTest(FunctionTestCase):
    """notify (site_crawl's SNS publish) and charge_card (order_jsonata)."""

    def setUp(self):
        self.database = str(Path(scratch.name) / "outbox.db")
        self.env = {"EXAMPLE_DB": self.database}

    def test_notify_publishes_once_per_request(self):
        event = {"TopicArn": "arn:aws:sns:us-east-1:123456789012:crawls",
                 "Message": "3 pages crawled"}
        first = self.call("notify", event, env=self.env, request_id="req-notify-1")
        again = self.call("notify", event, env=self.env, request_id="req-notify-1")
        self.assertEqual(first, again)
        with sqlite3.connect(self.database) as db:
            rows = db.execute("SELECT message FROM notifications WHERE message_id = ?",
                              (first["MessageId"],)).fetchall()
        self.assertEqual(rows, [("3 pages crawled",)])
        self.assertFails("SNS.InvalidParameterException", "notify",
                         {"TopicArn": "crawls", "Message": "m"}, env=self.env)

    def test_charge_card_is_idempotent(self):
        event = {"customerId": "cust-77", "amount": 61.4, "currency": "EUR"}
        first = self.call("charge_card", event, env=self.env, request_id="req-charge-1")
        again = self.call("charge_card", event, env=self.env, request_id="req-charge-1")
        self.assertEqual((first["amount"], first["duplicate"]), (61.4, False))
        self.assertEqual((again["receiptId"], again["duplicate"]), (first["receiptId"], True))
        with sqlite3.connect(self.database) as db:
            self.assertEqual(db.execute("SELECT SUM(amount_cents) FROM charges WHERE "
                                        "customer_id = 'cust-77'").fetchone()[0], 6140)
        self.assertFails("Payment.InvalidAmount", "charge_card",
                         dict(event, amount=-5), env=self.env)
        self.assertFails("Payment.InvalidCurrency", "charge_card",
                         dict(event, currency="euro"), env=self.env)


if __name__ == "__main__":
    unittest.main()
