"""Tests of the Python worker SDK (sdk/python/stepflow_worker) and its examples.

Run by ctest ("python: sdk") as
    PYTHONPATH=<build>/python /usr/bin/python3 -m unittest discover -s tests/python -v
The example workers run as real subprocesses on 127.0.0.1 port 0; the
control plane is a small fake StepflowService served in this process. Every
wait is bounded by TIMEOUT; every process and server is stopped in cleanup.
"""

import collections
import concurrent.futures
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import unittest
import uuid
from pathlib import Path

import grpc

from stepflow.v1 import function_pb2, function_pb2_grpc, service_pb2, service_pb2_grpc
import stepflow_worker
from stepflow_worker import ActivityClient, TaskError, Worker

ROOT = Path(os.environ.get("STEPFLOW_SOURCE_DIR", Path(__file__).resolve().parents[2]))
EXAMPLES = ROOT / "sdk" / "python" / "examples"
TIMEOUT = 30.0  # seconds: the bound of every wait (never reached when things work)


# ------------------------------------------------------------------ helpers

class Process:
    """A Python example program run as a subprocess; first stdout line kept."""

    def __init__(self, test: unittest.TestCase, script: str, *args: str):
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, str(EXAMPLES / script), *args],
                                     stdout=subprocess.PIPE, stderr=self._stderr, text=True)
        test.addCleanup(self.kill)
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: lines.put(self.proc.stdout.readline()),
                         daemon=True).start()
        try:
            self.first_line = lines.get(timeout=TIMEOUT).strip()
        except queue.Empty:
            self.first_line = ""
        if not self.first_line:
            self.kill()
            test.fail(f"{script} printed nothing; stderr:\n{self.stderr()}")

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=TIMEOUT)
        self.proc.stdout.close()
        self._stderr.close()


def start_example_worker(test: unittest.TestCase, *args: str):
    """Starts example_worker.py; returns (Process, FunctionService stub)."""
    process = Process(test, "example_worker.py", "--port", "0", *args)
    word, port = process.first_line.split()
    test.assertEqual(word, "PORT")
    return process, function_stub(test, int(port))


def function_stub(test: unittest.TestCase, port: int):
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    test.addCleanup(channel.close)
    return function_pb2_grpc.FunctionServiceStub(channel)


def invoke(stub, function: str, value=None, input_json=None, **fields):
    """Calls Invoke; returns ("ok", value) or ("error", error, cause)."""
    if input_json is None:
        input_json = json.dumps(value)
    response = stub.Invoke(function_pb2.InvokeRequest(function=function, input_json=input_json,
                                                      **fields), timeout=TIMEOUT)
    if response.HasField("error"):
        return ("error", response.error.error, response.error.cause)
    return ("ok", json.loads(response.output_json))


# ------------------------------------------------------- the example worker

class ExampleWorkerTest(unittest.TestCase):
    """sdk/python/examples/example_worker.py over real gRPC."""

    def setUp(self):
        self.process, self.stub = start_example_worker(self)

    def test_returns_the_functions_output(self):
        self.assertEqual(invoke(self.stub, "http_get", {"url": "https://example.com/a"})[1]
                         ["status"], 200)
        self.assertEqual(invoke(self.stub, "parse_html", {
            "html": '<title>T</title><a href="/about">a</a><a href="https://x.org/">b</a>',
            "baseUrl": "https://example.com/"}),
            ("ok", {"title": "T", "links": ["https://example.com/about", "https://x.org/"],
                    "wordCount": 3,
                    "topWords": [{"word": "a", "count": 1}, {"word": "b", "count": 1},
                                 {"word": "t", "count": 1}]}))

    def test_outputs_equal_the_cpp_example_workers(self):
        # Values printed by tools/workers/example_worker.cc for the same inputs.
        golden = [
            ("authenticate", {"token": "Bearer abc"}, {"roles": ["user"], "userId": "u-5709"}),
            ("get_price", {"productId": "p-100"},
             {"amount": 117.03, "currency": "EUR", "productId": "p-100"}),
            ("store_document", {"key": "k1", "document": {"b": [1, 2.5, "é"], "a": None}},
             {"bytes": 27, "etag": "894883446", "key": "s3://stepflow-demo/k1"}),
            ("train_model", {"algorithm": "xgboost", "seed": 42, "modelUri": "s3://m"},
             {"algorithm": "xgboost", "modelUri": "s3://m",
              "metrics": {"accuracy": 0.95, "f1": 0.94, "trainSeconds": 67.0}}),
            ("recommend", {"userId": "u-1234", "count": 5}, ["p-100", "p-200", "p-300"]),
            ("describe_stats", {"columns": ["petal_width"], "percentiles": [0.25, 0.75]},
             {"petal_width": {"25%": 4.31, "75%": 4.97, "count": 150, "mean": 4.64,
                              "std": 0.49}}),
            ("get_orders", {"userId": "u-1234"},
             [{"orderId": "o-12175", "status": "shipped", "total": 170.36}]),
        ]
        for function, value, output in golden:
            self.assertEqual(invoke(self.stub, function, value), ("ok", output), function)

    def test_task_error_becomes_the_responses_error(self):
        self.assertEqual(invoke(self.stub, "authenticate", {"token": "nope"}),
                         ("error", "Auth.Unauthorized", "missing or malformed bearer token"))
        self.assertEqual(invoke(self.stub, "recommend", {"userId": "0"}),
                         ("error", "Recommender.Unavailable", "no model for user 0"))

    def test_an_exception_is_named_after_its_class(self):
        self.assertEqual(
            invoke(self.stub, "render_response", {"template": "product_list", "data": [7]}),
            ("error", "AttributeError", "'int' object has no attribute 'get'"))

    def test_unknown_function(self):
        self.assertEqual(invoke(self.stub, "no_such_function", {}),
                         ("error", "Worker.UnknownFunction",
                          "no function named 'no_such_function'"))

    def test_input_that_is_not_json(self):
        self.assertEqual(invoke(self.stub, "get_user", input_json="{not json")[:2],
                         ("error", "Worker.InvalidInput"))
        self.assertEqual(invoke(self.stub, "get_user", [1])[:2], ("error", "Worker.BadInput"))

    def test_p200_is_unavailable_once_per_execution(self):
        def call(execution):
            return invoke(self.stub, "get_product", {"id": "p-200"}, execution_id=execution)
        with self.assertRaises(grpc.RpcError) as raised:
            call("e1")
        self.assertEqual(raised.exception.code(), grpc.StatusCode.UNAVAILABLE)
        self.assertEqual(call("e1")[0], "ok")
        with self.assertRaises(grpc.RpcError):
            call("e2")

    def test_concurrent_calls(self):
        ids = [f"p-{i}" for i in range(50)]
        with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
            results = list(pool.map(
                lambda pid: invoke(self.stub, "get_price", {"productId": pid}), ids))
        for pid, result in zip(ids, results):
            self.assertEqual(result[0], "ok")
            self.assertEqual(result[1]["productId"], pid)

    def test_sigterm_stops_the_worker(self):
        self.assertEqual(invoke(self.stub, "get_user", {"id": "u-1"})[0], "ok")
        self.process.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.process.proc.wait(timeout=TIMEOUT), 0)

    def test_logs_each_call_on_stderr(self):
        invoke(self.stub, "get_user", {"id": "u-1"}, execution_id="exec-9",
               state_path="Fanout[1]/GetUser", attempt=2)
        self.process.proc.send_signal(signal.SIGINT)
        self.assertEqual(self.process.proc.wait(timeout=TIMEOUT), 0)
        self.assertIn("example_worker: get_user  execution exec-9  state Fanout[1]/GetUser"
                      "  attempt 2", self.process.stderr())


class ExampleWorkerOptionsTest(unittest.TestCase):

    def test_flaky_until_fails_training_until_the_file_exists(self):
        with tempfile.TemporaryDirectory() as directory:
            flag = os.path.join(directory, "cluster-up")
            _, stub = start_example_worker(self, "--flaky-until", flag)
            self.assertEqual(invoke(stub, "train_model", {"algorithm": "rf"})[:2],
                             ("error", "Training.ClusterUnavailable"))
            Path(flag).touch()
            self.assertEqual(invoke(stub, "train_model", {"algorithm": "rf"})[0], "ok")

    def test_bad_arguments_exit_2(self):
        result = subprocess.run([sys.executable, str(EXAMPLES / "example_worker.py"),
                                 "--port", "x"], capture_output=True, timeout=TIMEOUT)
        self.assertEqual(result.returncode, 2)


# ------------------------------------------------- the SDK, in this process

class InProcessWorkerTest(unittest.TestCase):
    """Worker served from this process, called over real gRPC."""

    def setUp(self):
        self.worker = Worker(max_workers=4)
        self.addCleanup(self.worker.stop, 0.5)
        self.port = self.worker.serve("127.0.0.1:0")
        self.stub = function_stub(self, self.port)

    def test_ctx_carries_the_request_fields(self):
        @self.worker.function("context")
        def context(value, ctx):
            return {"input": value, "function": ctx.function, "key": ctx.idempotency_key,
                    "execution": ctx.execution_id, "state": ctx.state_name,
                    "path": ctx.state_path, "attempt": ctx.attempt, "token": ctx.task_token,
                    "version": ctx.function_version}
        self.assertEqual(
            invoke(self.stub, "context", {"a": 1}, idempotency_key="ex/7", execution_id="ex",
                   state_name="Charge", state_path="Fanout[2]/Charge", attempt=3,
                   task_token="tok", function_version="2"),
            ("ok", {"input": {"a": 1}, "function": "context", "key": "ex/7", "execution": "ex",
                    "state": "Charge", "path": "Fanout[2]/Charge", "attempt": 3,
                    "token": "tok", "version": "2"}))

    def test_ctx_is_passed_only_to_handlers_that_take_it(self):
        self.worker.register("one", lambda value: {"args": 1})
        self.worker.register("two", lambda value, ctx: {"args": 2, "state": ctx.state_name})
        self.worker.register("star", lambda *args: {"args": len(args)})
        self.assertEqual(invoke(self.stub, "one", {}), ("ok", {"args": 1}))
        self.assertEqual(invoke(self.stub, "two", {}, state_name="S"),
                         ("ok", {"args": 2, "state": "S"}))
        self.assertEqual(invoke(self.stub, "star", {}), ("ok", {"args": 2}))

    def test_any_json_value_in_and_out(self):
        self.worker.register("same", lambda value: value)
        for value in [None, 3, 2.5, "é\u2028", True, [1, {"a": []}], {}]:
            self.assertEqual(invoke(self.stub, "same", value), ("ok", value))

    def test_exceptions_are_named_after_their_class_as_lambda_does(self):
        def boom(value):
            raise ValueError("boom")
        def bare(value):
            raise RuntimeError
        self.worker.register("boom", boom).register("bare", bare)
        self.worker.register("key", lambda value: value["missing"])
        self.assertEqual(invoke(self.stub, "boom", {}), ("error", "ValueError", "boom"))
        self.assertEqual(invoke(self.stub, "key", {}), ("error", "KeyError", "'missing'"))
        self.assertEqual(invoke(self.stub, "bare", {}), ("error", "RuntimeError", ""))

    def test_a_users_exception_class_is_the_error_name(self):
        class QuotaExceeded(Exception):
            pass
        class DailyQuotaExceeded(QuotaExceeded):  # the class raised, not a base
            pass
        def charge(value):
            raise (DailyQuotaExceeded if value["daily"] else QuotaExceeded)("42 of 40 used")
        self.worker.register("charge", charge)
        self.assertEqual(invoke(self.stub, "charge", {"daily": False}),
                         ("error", "QuotaExceeded", "42 of 40 used"))
        self.assertEqual(invoke(self.stub, "charge", {"daily": True}),
                         ("error", "DailyQuotaExceeded", "42 of 40 used"))

    def test_an_exception_whose_str_fails_is_still_answered(self):
        class Broken(Exception):
            def __str__(self):
                raise RuntimeError("no str")
        def broken(value):
            raise Broken()
        self.worker.register("broken", broken)
        self.assertEqual(invoke(self.stub, "broken", {})[:2], ("error", "Broken"))

    def test_task_error_with_and_without_cause(self):
        def declined(value):
            raise TaskError("Payment.Declined", "card expired")
        def bare(value):
            raise TaskError("Custom.Error")
        self.worker.register("declined", declined).register("bare", bare)
        self.assertEqual(invoke(self.stub, "declined", {}),
                         ("error", "Payment.Declined", "card expired"))
        self.assertEqual(invoke(self.stub, "bare", {}), ("error", "Custom.Error", ""))

    def test_input_that_is_not_json_does_not_reach_the_handler(self):
        calls = []
        self.worker.register("f", lambda value: calls.append(value))
        for text in ["", "{", "NaN", "[1,]", "{'a': 1}"]:
            self.assertEqual(invoke(self.stub, "f", input_json=text),
                             ("error", "Worker.InvalidInput",
                              "input of function 'f' is not valid JSON"), text)
        self.assertEqual(calls, [])

    def test_result_that_is_not_json_is_invalid_output(self):
        self.worker.register("set", lambda value: {1, 2})
        self.worker.register("nan", lambda value: float("nan"))
        self.worker.register("surrogate", lambda value: "\ud800")
        for name in ["set", "nan", "surrogate"]:
            self.assertEqual(invoke(self.stub, name, {})[:2],
                             ("error", "Worker.InvalidOutput"), name)

    def test_abort_call_answers_with_the_grpc_status(self):
        def busy(value):
            raise stepflow_worker.AbortCall(grpc.StatusCode.RESOURCE_EXHAUSTED, "busy")
        self.worker.register("busy", busy)
        with self.assertRaises(grpc.RpcError) as raised:
            invoke(self.stub, "busy", {})
        self.assertEqual(raised.exception.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.assertEqual(raised.exception.details(), "busy")

    def test_heartbeat_is_for_activities_only(self):
        self.worker.register("beat", lambda value, ctx: ctx.heartbeat())
        self.assertEqual(invoke(self.stub, "beat", {})[:2], ("error", "RuntimeError"))

    def test_register_replaces_and_the_decorator_returns_the_function(self):
        @self.worker.function("v")
        def first(value):
            return 1
        self.assertEqual(first(None), 1)
        self.worker.register("v", lambda value: 2)
        self.assertEqual(invoke(self.stub, "v", {}), ("ok", 2))

    def test_serve_twice_or_on_a_used_port_raises(self):
        with self.assertRaises(RuntimeError):
            self.worker.serve("127.0.0.1:0")
        other = Worker()
        self.addCleanup(other.stop, 0)
        with self.assertRaises(RuntimeError):
            other.serve(f"127.0.0.1:{self.port}")

    def test_stop_is_idempotent_and_ends_wait(self):
        self.assertFalse(self.worker.wait(timeout=0))
        self.worker.stop(0.5)
        self.worker.stop(0.5)
        self.assertTrue(self.worker.wait(timeout=TIMEOUT))
        with self.assertRaises(RuntimeError):
            self.worker.serve("127.0.0.1:0")


# ------------------------------------------------------------- activities

class FakeControlPlane(service_pb2_grpc.StepflowServiceServicer):
    """PollTask/SendTask* of StepflowService over in-memory queues.

    add_task() queues a task and returns its token; results() yields what
    workers sent back. A token is known from add_task until its success or
    failure; anything else is NOT_FOUND, like the real server.
    """

    def __init__(self, test: unittest.TestCase):
        self._lock = threading.Lock()
        self._tasks = collections.defaultdict(queue.Queue)  # activity → PollTaskResponse
        self._known = set()
        self._results: queue.Queue = queue.Queue()
        self.polls = []  # (activity, worker_name, wait_seconds)
        self.heartbeats = collections.Counter()  # token → count
        self.failing_polls = 0  # answer this many polls UNAVAILABLE
        self.server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=16))
        service_pb2_grpc.add_StepflowServiceServicer_to_server(self, self.server)
        self.address = f"127.0.0.1:{self.server.add_insecure_port('127.0.0.1:0')}"
        self.server.start()
        test.addCleanup(lambda: self.server.stop(0).wait(TIMEOUT))

    def add_task(self, activity: str, value, heartbeat_seconds: int = 0,
                 input_json=None) -> str:
        token = uuid.uuid4().hex
        with self._lock:
            self._known.add(token)
        self._tasks[activity].put(service_pb2.PollTaskResponse(
            task_token=token, input_json=json.dumps(value) if input_json is None else input_json,
            execution_id="exec-" + token[:6], state_name="Review",
            heartbeat_seconds=heartbeat_seconds))
        return token

    def forget(self, token: str) -> None:
        with self._lock:
            self._known.discard(token)

    def result(self):
        """The next ("success", token, value) or ("failure", token, error, cause)."""
        return self._results.get(timeout=TIMEOUT)

    def _take(self, token: str, context) -> None:
        with self._lock:
            if token not in self._known:
                context.abort(grpc.StatusCode.NOT_FOUND, "unknown task token")
            self._known.discard(token)

    def PollTask(self, request, context):
        with self._lock:
            self.polls.append((request.activity, request.worker_name, request.wait_seconds))
            fail = self.failing_polls > 0
            self.failing_polls -= fail
        if fail:
            context.abort(grpc.StatusCode.UNAVAILABLE, "starting up")
        try:
            return self._tasks[request.activity].get(timeout=request.wait_seconds or 60)
        except queue.Empty:
            return service_pb2.PollTaskResponse()

    def SendTaskSuccess(self, request, context):
        self._take(request.task_token, context)
        self._results.put(("success", request.task_token, json.loads(request.output_json)))
        return service_pb2.SendTaskResponse()

    def SendTaskFailure(self, request, context):
        self._take(request.task_token, context)
        self._results.put(("failure", request.task_token, request.error, request.cause))
        return service_pb2.SendTaskResponse()

    def SendTaskHeartbeat(self, request, context):
        with self._lock:
            if request.task_token not in self._known:
                context.abort(grpc.StatusCode.NOT_FOUND, "unknown task token")
            self.heartbeats[request.task_token] += 1
        return service_pb2.SendTaskResponse()


class ActivityPollingTest(unittest.TestCase):
    """Worker.poll_activities against the fake control plane."""

    def setUp(self):
        self.plane = FakeControlPlane(self)
        self.worker = Worker()
        self.addCleanup(self.worker.stop, 0.5)

    def poll(self, **kwargs):
        kwargs.setdefault("worker_name", "test-worker")
        self.worker.poll_activities(self.plane.address, wait_seconds=1, **kwargs)

    def test_round_trip(self):
        @self.worker.activity("review")
        def review(value, ctx):
            return {"got": value, "token": ctx.task_token, "execution": ctx.execution_id,
                    "state": ctx.state_name, "activity": ctx.function,
                    "heartbeat_seconds": ctx.heartbeat_seconds}
        self.poll()
        token = self.plane.add_task("review", {"doc": 1}, heartbeat_seconds=30)
        self.assertEqual(self.plane.result(), ("success", token, {
            "got": {"doc": 1}, "token": token, "execution": "exec-" + token[:6],
            "state": "Review", "activity": "review", "heartbeat_seconds": 30}))
        self.assertIn(("review", "test-worker", 1), self.plane.polls)

    def test_failures_are_sent_with_the_function_error_names(self):
        def work(value):
            if value == "task-error":
                raise TaskError("Review.Rejected", "too long")
            if value == "exception":
                raise RuntimeError("disk full")
            if value == "abort":  # not a gRPC call here: an ordinary exception
                raise stepflow_worker.AbortCall(grpc.StatusCode.UNAVAILABLE, "busy")
            if value == "bad-output":
                return object()
            return "fine"
        self.worker.register_activity("work", work)
        self.poll()
        cases = [
            (dict(value="task-error"), ("failure", "Review.Rejected", "too long")),
            (dict(value="exception"), ("failure", "RuntimeError", "disk full")),
            (dict(value="abort"), ("failure", "AbortCall", "UNAVAILABLE: busy")),
            (dict(value=None, input_json="{oops"), ("failure", "Worker.InvalidInput")),
            (dict(value="bad-output"), ("failure", "Worker.InvalidOutput")),
            (dict(value="ok"), ("success", "fine")),
        ]
        for task, expected in cases:
            token = self.plane.add_task("work", **task)
            result = self.plane.result()
            self.assertEqual(result[1], token)
            self.assertEqual((result[0],) + result[2:2 + len(expected) - 1], expected)

    def test_heartbeats(self):
        beats = []

        @self.worker.activity("slow")
        def slow(value, ctx):
            for _ in range(3):
                beats.append(ctx.heartbeat())
            if value == "forgotten":
                self.plane.forget(ctx.task_token)  # as if the engine timed the task out
                beats.append(ctx.heartbeat())
            return "late"
        self.poll()  # one poller: tasks run in order
        token = self.plane.add_task("slow", "kept")
        self.assertEqual(self.plane.result(), ("success", token, "late"))
        self.assertEqual(self.plane.heartbeats[token], 3)
        with self.assertLogs("stepflow_worker", level="WARNING") as logs:
            self.plane.add_task("slow", "forgotten")
            token = self.plane.add_task("slow", "kept")  # done after the forgotten one
            self.assertEqual(self.plane.result(), ("success", token, "late"))
        self.assertEqual(beats, [True] * 3 + [True, True, True, False] + [True] * 3)
        self.assertTrue(any("SendTaskSuccess" in line and "NOT_FOUND" in line
                            for line in logs.output), logs.output)

    def test_polls_again_after_the_server_fails(self):
        self.plane.failing_polls = 3
        self.worker.register_activity("a", lambda value: value)
        with self.assertLogs("stepflow_worker", level="WARNING") as logs:
            self.poll()
            token = self.plane.add_task("a", [1])
            self.assertEqual(self.plane.result(), ("success", token, [1]))
        self.assertTrue(any("UNAVAILABLE" in line for line in logs.output), logs.output)

    def test_several_pollers_and_activities(self):
        self.worker.register_activity("x", lambda value: {"x": value})
        self.worker.register_activity("y", lambda value: {"y": value})
        self.poll(pollers=3)
        tokens = {}
        for i in range(10):
            tokens[self.plane.add_task("x", i)] = {"x": i}
            tokens[self.plane.add_task("y", i)] = {"y": i}
        results = {}
        for _ in range(20):
            kind, token, value = self.plane.result()
            self.assertEqual(kind, "success")
            results[token] = value
        self.assertEqual(results, tokens)

    def test_stop_ends_the_pollers(self):
        self.worker.register_activity("a", lambda value: value)
        self.poll()
        token = self.plane.add_task("a", 1)
        self.assertEqual(self.plane.result(), ("success", token, 1))
        self.worker.stop(0.5)
        self.assertTrue(self.worker.wait(timeout=TIMEOUT))
        pollers = [t for t in threading.enumerate() if t.name.startswith("stepflow-poll-a-")]
        self.assertEqual(pollers, [])

    def test_poll_without_activities_raises(self):
        with self.assertRaises(ValueError):
            self.poll()


class ActivityClientTest(unittest.TestCase):

    def setUp(self):
        self.plane = FakeControlPlane(self)
        self.client = ActivityClient(self.plane.address, timeout=TIMEOUT)
        self.addCleanup(self.client.close)

    def test_send_success_failure_heartbeat(self):
        first, second = self.plane.add_task("a", 1), self.plane.add_task("a", 2)
        self.client.send_heartbeat(first)
        self.client.send_success(first, {"done": True})
        self.client.send_failure(second, "Callback.Failed", "no reply")
        self.assertEqual(self.plane.heartbeats[first], 1)
        self.assertEqual(self.plane.result(), ("success", first, {"done": True}))
        self.assertEqual(self.plane.result(), ("failure", second, "Callback.Failed", "no reply"))

    def test_unknown_token_is_not_found(self):
        with self.assertRaises(grpc.RpcError) as raised:
            self.client.send_success("no-such-token", 1)
        self.assertEqual(raised.exception.code(), grpc.StatusCode.NOT_FOUND)


class ActivityWorkerExampleTest(unittest.TestCase):
    """sdk/python/examples/activity_worker.py against the fake control plane."""

    def test_echo_fail_heartbeat_and_sigterm(self):
        plane = FakeControlPlane(self)
        process = Process(self, "activity_worker.py", "--server", plane.address,
                          "--activity", "review", "--wait-seconds", "1")
        self.assertEqual(process.first_line, f"POLLING review ON {plane.address}")

        token = plane.add_task("review", {"doc": "a"})
        self.assertEqual(plane.result(), ("success", token,
                                          {"echo": {"doc": "a"}, "heartbeats": 0}))
        token = plane.add_task("review", {"fail": True, "cause": "bad doc"})
        self.assertEqual(plane.result(), ("failure", token, "Activity.Failed", "bad doc"))
        task = {"sleep": 0.3, "heartbeat_every": 0.1}
        token = plane.add_task("review", task)
        self.assertEqual(plane.result(), ("success", token, {"echo": task, "heartbeats": 3}))
        self.assertEqual(plane.heartbeats[token], 3)

        process.proc.send_signal(signal.SIGTERM)
        self.assertEqual(process.proc.wait(timeout=TIMEOUT), 0)


if __name__ == "__main__":
    logging.basicConfig()
    unittest.main()
