#!/usr/bin/env python3
"""Tests of the function runtime's bootstraps (runtimes/README.md).

Each test starts runtimes/python/bootstrap.py or runtimes/node/bootstrap.js
the way the engine does: a subprocess in the function's code directory, the
request channel on fd 3 and the response channel on fd 4 (pipes), stdout and
stderr piped. The sample functions are written to a temporary directory.

    /usr/bin/python3 runtimes/tests/bootstrap_test.py [-v] [TestClass.test_name]

The Python bootstrap runs under this interpreter; Node tests need `node` on
PATH (they are skipped without it). The timing tests print the median warm
round trip and the time to "ready"; they assert only loose bounds.
"""

import fcntl
import json
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

RUNTIMES = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON_BOOTSTRAP = os.path.join(RUNTIMES, "python", "bootstrap.py")
NODE_BOOTSTRAP = os.path.join(RUNTIMES, "node", "bootstrap.js")
NODE = shutil.which("node")

# How long a test waits for a frame or an exit before failing.
WAIT_SECONDS = 10

# A shell command printing which of fds 3 and 4 the shell inherited.
INHERITED_FDS_COMMAND = "for fd in 3 4; do [ -e /proc/$$/fd/$fd ] && echo $fd; done; true"

# What the timing tests measured, printed at the end of the run.
MEASUREMENTS = []

# --- Sample functions --------------------------------------------------------

PYTHON_FILES = {
    "handler.py": f'''
        import subprocess
        import sys
        import time

        print("imported handler")  # import-time output reaches stdout before "ready"

        constant = 42


        class ValidationError(Exception):
            pass


        def handler(event, context):
            return event


        def nothing(event, context):
            return None


        def value_error(event, context):
            raise ValueError("bad value")


        def custom_error(event, context):
            raise ValidationError("not valid")


        def out_of_memory(event, context):
            raise MemoryError()


        def context_fields(event, context):
            names = ["aws_request_id", "function_name", "function_version",
                     "invoked_function_arn", "memory_limit_in_mb", "log_group_name",
                     "log_stream_name", "execution_id", "state_name", "attempt", "task_token"]
            fields = {{name: getattr(context, name) for name in names}}
            fields["remaining"] = context.get_remaining_time_in_millis()
            return fields


        def not_a_number(event, context):
            return {{"x": float("nan")}}


        def a_set(event, context):
            return {{1, 2}}


        def lone_surrogate(event, context):
            return "\\ud800"


        def printing(event, context):
            print("hello from", event["who"])
            print("to stderr", file=sys.stderr)
            return "printed"


        def slow(event, context):
            time.sleep(event["seconds"])
            print("slept")
            return "slept"


        def inherited_fds(event, context):
            return subprocess.run(["/bin/sh", "-c", {INHERITED_FDS_COMMAND!r}], close_fds=False,
                                  capture_output=True, text=True).stdout


        def search_path(event, context):
            return sys.path
    ''',
    "empty.py": '''
        def handler(event, context):
            return None
    ''',
    "pkg/__init__.py": "",
    "pkg/mod.py": '''
        def handler(event, context):
            return {"dotted": event}
    ''',
    "broken.py": '''
        def handler(event, context:
            return 1
    ''',
    "raises.py": '''
        raise RuntimeError("boom at import")
    ''',
    "needs_missing.py": '''
        import not_installed_anywhere

        def handler(event, context):
            return 1
    ''',
}

NODE_FILES = {
    # CommonJS; most of the tests' handlers.
    "index.js": f'''
        const {{ execFileSync }} = require('child_process');

        class ValidationError extends Error {{}}

        exports.echo = async (event) => event;
        exports.nothing = async () => {{}};
        exports.syncValue = (event) => ({{ sync: event }});
        exports.promiseValue = (event) =>
          new Promise((resolve) => setTimeout(() => resolve({{ later: event }}), 5));
        exports.callbackValue = (event, context, callback) => {{
          setTimeout(() => callback(null, {{ callback: event }}), 5);
        }};
        exports.callbackError = (event, context, callback) =>
          callback(new TypeError('bad callback'));
        // The event names what to throw.
        const thrown = {{
          typeError: () => new TypeError('wrong type'),
          subclass: () => new ValidationError('not valid'),
          named: () => Object.assign(new Error('renamed'), {{ name: 'Custom' }}),
          plainError: () => new Error('plain'),
          string: () => 'just a string',
          object: () => ({{ code: 42 }}),
        }};
        exports.throws = async (event) => {{ throw thrown[event](); }};
        exports.context = async (event, context) => ({{
          awsRequestId: context.awsRequestId,
          functionName: context.functionName,
          functionVersion: context.functionVersion,
          invokedFunctionArn: context.invokedFunctionArn,
          memoryLimitInMB: context.memoryLimitInMB,
          logGroupName: context.logGroupName,
          logStreamName: context.logStreamName,
          executionId: context.executionId,
          stateName: context.stateName,
          attempt: context.attempt,
          taskToken: context.taskToken,
          callbackWaitsForEmptyEventLoop: context.callbackWaitsForEmptyEventLoop,
          remaining: context.getRemainingTimeInMillis(),
        }});
        // The event names what to return.
        const returned = {{
          bigint: () => ({{ n: 10n }}),
          cycle: () => {{ const a = {{}}; a.self = a; return a; }},
          loneSurrogate: () => ({{ s: '\\ud800' }}),
          escapedBackslash: () => ({{ s: '\\\\ud800' }}),
        }};
        exports.returns = async (event) => returned[event]();
        exports.printing = async (event) => {{
          console.log('hello from ' + event.who);
          console.error('to stderr');
          return 'printed';
        }};
        exports.slow = (event) => new Promise((resolve) => setTimeout(() => resolve('slept'),
                                                                      event.seconds * 1000));
        exports.uncaught = async () => {{
          setTimeout(() => {{ throw new RangeError('from a timer'); }}, 1);
          return new Promise(() => {{}});
        }};
        exports.unhandled = async () => {{
          Promise.reject(new URIError('rejected'));
          return new Promise(() => {{}});
        }};
        exports.throwsLater = async () => {{
          setTimeout(() => {{ throw new Error('after the call'); }}, 50);
          return 'answered';
        }};
        exports.waits = (event, context, callback) => {{
          setTimeout(() => console.log('timer done'), 100);
          callback(null, 'called back');
        }};
        exports.doesNotWait = (event, context, callback) => {{
          context.callbackWaitsForEmptyEventLoop = false;
          setTimeout(() => console.log('timer done'), 1000);
          callback(null, 'called back');
        }};
        exports.inheritedFds = async () =>
          execFileSync('/bin/sh', ['-c', {json.dumps(INHERITED_FDS_COMMAND)}]).toString();
        exports.notFunction = 42;
    ''',
    "empty.js": '''
        exports.handler = async () => {};
    ''',
    "src/app.js": '''
        exports.main = async () => 'nested';
    ''',
    "esm.mjs": '''
        export const handler = async (event) => ({ esm: event });
    ''',
    "only.cjs": '''
        module.exports.handler = async () => 'cjs';
    ''',
    "order.js": '''
        exports.handler = async () => 'js';
    ''',
    "order.mjs": '''
        export const handler = async () => 'mjs';
    ''',
    "exportsObject.js": '''
        // Built at run time, so a static look at the file finds no named export.
        const api = {};
        api['hand' + 'ler'] = async () => 'from the exports object';
        module.exports = api;
    ''',
    "viaDefault.mjs": '''
        export default { handler: async () => 'from default' };
    ''',
    "syntax.js": '''
        exports.handler = () => {
          return (;
        };
    ''',
    "syntaxEsm.mjs": '''
        export const handler = () => {
          return (;
        };
    ''',
    "throws.js": '''
        throw new Error('boom at import');
    ''',
    "parsesBadJson.js": '''
        JSON.parse('{bad');
        exports.handler = async () => 1;
    ''',
    "needsMissing.js": '''
        require('not-installed-anywhere');
        exports.handler = async () => 1;
    ''',
    "timerAtLoad.mjs": '''
        setTimeout(() => { throw new Error('timer during load'); }, 1);
        await new Promise((resolve) => setTimeout(resolve, 200));
        export const handler = async () => 1;
    ''',
}

NODE_MODULE_PACKAGE_FILES = {
    "package.json": '{"type": "module"}',
    "index.js": '''
        export async function handler(event, context) {
          return { module: event, name: context.functionName };
        }
    ''',
    "topLevelAwait.js": '''
        const greeting = await Promise.resolve('after await');
        export const handler = async () => greeting;
    ''',
}


def write_files(root, files):
    for name, text in files.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(textwrap.dedent(text).lstrip("\n"))


# --- Starting a bootstrap ----------------------------------------------------


def spawn_with_channel(argv, requests_fd, responses_fd, **popen_args):
    """Popen with requests_fd as the child's fd 3 and responses_fd as its fd 4.

    pass_fds keeps descriptors at their numbers, so the two are put at 3 and 4
    of this process for the spawn; what held those numbers is put back after.
    """
    moved = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (requests_fd, responses_fd)]
    saved = {}
    for target in (3, 4):
        try:
            saved[target] = (fcntl.fcntl(target, fcntl.F_DUPFD_CLOEXEC, 10),
                             os.get_inheritable(target))
        except OSError:
            saved[target] = None  # not open
    try:
        os.dup2(moved[0], 3)
        os.dup2(moved[1], 4)
        return subprocess.Popen(argv, pass_fds=(3, 4), **popen_args)
    finally:
        for target, previous in saved.items():
            if previous is None:
                os.close(target)
            else:
                os.dup2(previous[0], target, inheritable=previous[1])
                os.close(previous[0])
        for fd in moved:
            os.close(fd)


def clean_env(**variables):
    """An environment as the engine gives: PATH and variables only, none of
    this shell's PYTHONUNBUFFERED, NODE_OPTIONS, NODE_EXTRA_CA_CERTS and the like."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **variables}


def encode_frame(message):
    payload = json.dumps(message).encode("utf-8")
    return len(payload).to_bytes(4, "big") + payload


def read_available(fd):
    """What a non-blocking pipe holds now (b"" when empty or at EOF)."""
    parts = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        parts.append(chunk)
    return b"".join(parts)


class Instance:
    """A bootstrap started as the engine starts it."""

    def __init__(self, language, code_dir, handler, requests_fd=None, channel=True,
                 nonblocking=False):
        """requests_fd: fd 3 for the child (default: a pipe written with send());
        channel=False: no fds 3 and 4; nonblocking: the child's ends are
        O_NONBLOCK (as if the engine had made its pipes so)."""
        argv = ([sys.executable, PYTHON_BOOTSTRAP] if language == "python"
                else [NODE, NODE_BOOTSTRAP])
        env = clean_env(STEPFLOW_CODE_DIR=code_dir, STEPFLOW_HANDLER=handler,
                        STEPFLOW_FUNCTION_NAME="resize", STEPFLOW_FUNCTION_VERSION="3",
                        STEPFLOW_MEMORY_MB="256")
        self.requests_w = None
        if requests_fd is None:
            requests_fd, self.requests_w = os.pipe()
            own_requests_fd = requests_fd
        else:
            own_requests_fd = None
        self.responses_r, responses_w = os.pipe()
        if nonblocking:
            os.set_blocking(requests_fd, False)
            os.set_blocking(responses_w, False)
        popen_args = {"cwd": code_dir, "env": env, "stdin": subprocess.DEVNULL,
                      "stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
        self.started = time.perf_counter()
        if channel:
            self.proc = spawn_with_channel(argv, requests_fd, responses_w, **popen_args)
        else:
            self.proc = subprocess.Popen(argv, **popen_args)
        if own_requests_fd is not None:
            os.close(own_requests_fd)
        os.close(responses_w)
        os.set_blocking(self.proc.stdout.fileno(), False)
        os.set_blocking(self.proc.stderr.fileno(), False)
        self.stdout = b""
        self.stderr = b""
        self.next_id = 1

    def close(self):
        if self.requests_w is not None:
            os.close(self.requests_w)
            self.requests_w = None

    def stop(self):
        """Kills the process if it still runs and frees everything (once)."""
        if self.responses_r is None:
            return
        self.close()
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()
        os.close(self.responses_r)
        self.responses_r = None

    def send(self, message):
        os.write(self.requests_w, encode_frame(message))

    def _read_exact(self, count):
        data = b""
        while len(data) < count:
            ready, _, _ = select.select([self.responses_r], [], [], WAIT_SECONDS)
            if not ready:
                raise AssertionError(f"no frame within {WAIT_SECONDS} s; stderr: "
                                     f"{self.take_stderr()!r}")
            chunk = os.read(self.responses_r, count - len(data))
            if not chunk:
                raise EOFError("the response channel closed")
            data += chunk
        return data

    def receive(self):
        """The next frame from the bootstrap, as a dict."""
        length = int.from_bytes(self._read_exact(4), "big")
        return json.loads(self._read_exact(length).decode("utf-8"))

    def request(self, event, **context):
        """An invoke request for event (context fields override the defaults)."""
        fields = {
            "awsRequestId": f"req-{self.next_id}",
            "functionName": "resize",
            "functionVersion": "3",
            "invokedFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:resize:3",
            "memoryLimitInMB": "256",
            "executionId": "exec-1",
            "stateName": "Resize",
            "attempt": 0,
            "taskToken": "",
        }
        fields.update(context)
        message = {"type": "invoke", "id": self.next_id,
                   "deadlineMs": int(time.time() * 1000) + 30_000,
                   "context": fields, "event": event}
        self.next_id += 1
        return message

    def call(self, event=None, **context):
        request = self.request(event, **context)
        self.send(request)
        response = self.receive()
        assert response.get("id") == request["id"], (response, request["id"])
        return response

    def take_stdout(self):
        """stdout written so far (without waiting)."""
        self.stdout += read_available(self.proc.stdout.fileno())
        return self.stdout.decode("utf-8", "replace")

    def take_stderr(self):
        self.stderr += read_available(self.proc.stderr.fileno())
        return self.stderr.decode("utf-8", "replace")

    def wait_exit(self):
        """Exit code, once the process ends."""
        code = self.proc.wait(timeout=WAIT_SECONDS)
        os.set_blocking(self.proc.stdout.fileno(), True)
        os.set_blocking(self.proc.stderr.fileno(), True)
        self.stdout += self.proc.stdout.read()
        self.stderr += self.proc.stderr.read()
        return code


# --- Shared checks -----------------------------------------------------------


class BootstrapTestCase(unittest.TestCase):
    """Starting instances of one language's sample functions."""

    language = None
    code_dir = None

    def start(self, handler, code_dir=None, **kwargs):
        instance = Instance(self.language, code_dir or self.code_dir, handler, **kwargs)
        self.addCleanup(instance.stop)
        return instance

    def start_ready(self, handler, code_dir=None):
        instance = self.start(handler, code_dir)
        ready = instance.receive()
        self.assertEqual(ready["type"], "ready", (ready, instance.take_stderr()))
        return instance

    def assert_init_error(self, handler, error_type, message_part):
        instance = self.start(handler)
        frame = instance.receive()
        self.assertEqual(frame["type"], "initError", frame)
        self.assertEqual(frame["errorType"], error_type, frame)
        self.assertIn(message_part, frame["errorMessage"])
        self.assertIsInstance(frame["stackTrace"], list)
        self.assertTrue(all(isinstance(line, str) for line in frame["stackTrace"]))
        self.assertEqual(instance.wait_exit(), 1)
        self.assertNotIn(b"initError", instance.stdout)  # the frame went to fd 4 only
        return frame

    def assert_ok(self, response, result):
        self.assertEqual(response["type"], "result")
        self.assertTrue(response["ok"], response)
        self.assertEqual(response["result"], result)

    def assert_failed(self, response, error_type, message=None):
        self.assertEqual(response["type"], "result")
        self.assertFalse(response["ok"], response)
        self.assertEqual(response["errorType"], error_type, response)
        if message is not None:
            self.assertEqual(response["errorMessage"], message)
        self.assertIsInstance(response["stackTrace"], list)
        self.assertTrue(all(isinstance(line, str) for line in response["stackTrace"]))

    def measure(self, handler, bare_argv, event=None):
        """Prints the median of 200 warm round trips and of 3 starts to "ready"
        (and, for scale, of 3 runs of the bare interpreter, bare_argv)."""
        bare = []
        for _ in range(3):
            began = time.perf_counter()
            subprocess.run(bare_argv, env=clean_env(), check=True)
            bare.append((time.perf_counter() - began) * 1000)
        starts = []
        for _ in range(3):
            instance = self.start(handler)
            self.assertEqual(instance.receive()["type"], "ready")
            starts.append((time.perf_counter() - instance.started) * 1000)
            instance.stop()
        instance = self.start_ready(handler)
        for _ in range(50):  # warm up
            instance.call(event)
        round_trips = []
        for _ in range(200):
            request = instance.request(event)
            began = time.perf_counter()
            instance.send(request)
            response = instance.receive()
            round_trips.append((time.perf_counter() - began) * 1000)
            self.assertTrue(response["ok"])
        median = statistics.median(round_trips)
        MEASUREMENTS.append(f"{self.language}: warm round trip median {median:.3f} ms "
                            f"(p90 {statistics.quantiles(round_trips, n=10)[-1]:.3f} ms), "
                            f"start to ready median {statistics.median(starts):.1f} ms "
                            f"(min {min(starts):.1f} ms; the bare interpreter starts and "
                            f"exits in {statistics.median(bare):.1f} ms)")
        self.assertLess(median, 5.0)


class CommonTests:
    """Behaviour both bootstraps share; the subclasses name their handlers."""

    # Handler names in the sample functions (set by the subclass).
    ECHO = NOTHING = PRINTING = SLOW = INHERITED = CONTEXT = None

    def test_ready_names_the_runtime(self):
        instance = self.start(self.ECHO)
        frame = instance.receive()
        self.assertEqual(set(frame), {"type", "runtime"})
        self.assertEqual(frame["type"], "ready")
        self.assertRegex(frame["runtime"], r"^(python \d+\.\d+\.\d+|node v\d+\.\d+\.\d+)$")

    def test_result_is_the_handlers_value(self):
        instance = self.start_ready(self.ECHO)
        event = {"name": "naïve ☃ 𝄞", "n": [1, 2.5, None, True], "nested": {"a": {}}}
        self.assert_ok(instance.call(event), event)
        self.assert_ok(instance.call("just a string"), "just a string")
        self.assert_ok(instance.call(None), None)

    def test_no_return_value_is_null(self):
        instance = self.start_ready(self.NOTHING)
        self.assert_ok(instance.call({"x": 1}), None)

    def test_calls_are_answered_in_order(self):
        instance = self.start_ready(self.ECHO)
        requests = [instance.request({"i": i}) for i in range(5)]
        os.write(instance.requests_w, b"".join(encode_frame(r) for r in requests))
        for request in requests:
            response = instance.receive()
            self.assertEqual(response["id"], request["id"])
            self.assert_ok(response, request["event"])

    def test_large_event_and_result(self):
        instance = self.start_ready(self.ECHO)
        event = {"blob": "x" * 3_000_000}  # far more than a pipe holds
        self.assert_ok(instance.call(event), event)

    def test_unknown_message_type_is_ignored(self):
        instance = self.start_ready(self.ECHO)
        instance.send({"type": "futureThing", "id": 99})
        self.assert_ok(instance.call(7), 7)

    def test_a_request_that_is_not_json_ends_the_instance(self):
        instance = self.start_ready(self.ECHO)
        os.write(instance.requests_w, len(b"not json").to_bytes(4, "big") + b"not json")
        self.assertEqual(instance.wait_exit(), 1)
        self.assertIn("stepflow bootstrap: a request is not JSON", instance.take_stderr())

    def test_print_goes_to_stdout_before_the_response(self):
        instance = self.start_ready(self.PRINTING)
        instance.take_stdout()
        self.assert_ok(instance.call({"who": "the handler"}), "printed")
        # Already in the pipes when the response is read: nothing to wait for.
        self.assertIn("hello from the handler\n", instance.take_stdout())
        self.assertIn("to stderr\n", instance.take_stderr())

    def test_eof_exits_zero(self):
        instance = self.start_ready(self.ECHO)
        self.assert_ok(instance.call(1), 1)
        instance.close()
        self.assertEqual(instance.wait_exit(), 0)
        self.assertEqual(instance.take_stderr(), "")

    def test_eof_during_a_call_answers_it_then_exits_zero(self):
        instance = self.start_ready(self.SLOW)
        request = instance.request({"seconds": 0.2})
        instance.send(request)
        instance.close()
        response = instance.receive()
        self.assertEqual(response["id"], request["id"])
        self.assert_ok(response, "slept")
        self.assertEqual(instance.wait_exit(), 0)

    def test_handler_processes_do_not_inherit_the_channel(self):
        instance = self.start_ready(self.INHERITED)
        self.assert_ok(instance.call(), "")

    def test_requests_from_a_regular_file(self):
        # fd 3 need not be a pipe (e.g. requests replayed from a file).
        with tempfile.TemporaryFile() as requests:
            requests.write(encode_frame({"type": "invoke", "id": 1, "deadlineMs": 0,
                                         "context": {}, "event": "from a file"}))
            requests.flush()
            requests.seek(0)
            instance = self.start(self.ECHO, requests_fd=requests.fileno())
            self.assertEqual(instance.receive()["type"], "ready")
            self.assert_ok(instance.receive(), "from a file")
            self.assertEqual(instance.wait_exit(), 0)

    def test_non_blocking_channel(self):
        instance = self.start(self.ECHO, nonblocking=True)
        self.assertEqual(instance.receive()["type"], "ready")
        event = {"blob": "y" * 3_000_000}  # the response pipe fills up many times
        self.assert_ok(instance.call(event), event)

    def test_started_without_a_channel_exits_2(self):
        instance = self.start(self.ECHO, channel=False)
        self.assertEqual(instance.wait_exit(), 2)
        self.assertIn("fds 3 and 4", instance.take_stderr())
        self.assertEqual(instance.take_stdout(), "")

    def test_remaining_time_is_never_negative(self):
        instance = self.start_ready(self.CONTEXT)
        request = instance.request(None)
        request["deadlineMs"] = int(time.time() * 1000) - 5000  # already past
        instance.send(request)
        response = instance.receive()
        self.assertEqual(response["result"]["remaining"], 0)


# --- Python ------------------------------------------------------------------


class PythonBootstrapTest(CommonTests, BootstrapTestCase):
    language = "python"
    ECHO = "handler.handler"
    NOTHING = "handler.nothing"
    PRINTING = "handler.printing"
    SLOW = "handler.slow"
    INHERITED = "handler.inherited_fds"
    CONTEXT = "handler.context_fields"

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="stepflow-python-")
        cls.code_dir = cls.tmp.name
        write_files(cls.code_dir, PYTHON_FILES)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_import_time_output_reaches_stdout_before_ready(self):
        instance = self.start_ready("handler.handler")
        self.assertEqual(instance.take_stdout(), "imported handler\n")

    def test_dotted_module(self):
        instance = self.start_ready("pkg.mod.handler")
        self.assert_ok(instance.call(5), {"dotted": 5})

    def test_code_dir_is_first_on_the_search_path(self):
        instance = self.start_ready("handler.search_path")
        path = instance.call()["result"]
        self.assertEqual(path[0], self.code_dir)
        self.assertNotIn(os.path.dirname(PYTHON_BOOTSTRAP), path)

    def test_missing_module(self):
        self.assert_init_error("nothing_here.handler", "Runtime.ImportModuleError",
                               "Unable to import module 'nothing_here': "
                               "No module named 'nothing_here'")

    def test_module_importing_a_missing_module(self):
        frame = self.assert_init_error("needs_missing.handler", "Runtime.ImportModuleError",
                                       "No module named 'not_installed_anywhere'")
        self.assertTrue(any("needs_missing.py" in line for line in frame["stackTrace"]))

    def test_syntax_error(self):
        frame = self.assert_init_error("broken.handler", "Runtime.UserCodeSyntaxError",
                                       "Syntax error in module 'broken'")
        self.assertIn("broken.py", frame["errorMessage"])
        self.assertTrue(any("line 1" in line for line in frame["stackTrace"]), frame)

    def test_missing_function(self):
        self.assert_init_error("handler.nope", "Runtime.HandlerNotFound",
                               "Handler 'nope' missing on module 'handler'")

    def test_function_not_callable(self):
        self.assert_init_error("handler.constant", "Runtime.HandlerNotFound", "not callable")

    def test_exception_at_import(self):
        frame = self.assert_init_error("raises.handler", "Runtime.ImportModuleError",
                                       "Unable to import module 'raises': "
                                       "RuntimeError: boom at import")
        self.assertTrue(any("raises.py" in line for line in frame["stackTrace"]), frame)
        self.assertFalse(any("bootstrap.py" in line for line in frame["stackTrace"]), frame)

    def test_malformed_handler(self):
        self.assert_init_error("nodot", "Runtime.MalformedHandlerName", "Bad handler 'nodot'")

    def test_value_error(self):
        instance = self.start_ready("handler.value_error")
        response = instance.call()
        self.assert_failed(response, "ValueError", "bad value")
        trace = "".join(response["stackTrace"])
        self.assertIn("handler.py", trace)
        self.assertIn('raise ValueError("bad value")', trace)
        self.assertNotIn("bootstrap.py", trace)

    def test_custom_exception_class(self):
        instance = self.start_ready("handler.custom_error")
        self.assert_failed(instance.call(), "ValidationError", "not valid")
        self.assert_failed(instance.call(), "ValidationError")  # the instance keeps serving

    def test_memory_error(self):
        instance = self.start_ready("handler.out_of_memory")
        self.assert_failed(instance.call(), "Runtime.OutOfMemory")

    def test_context(self):
        instance = self.start_ready("handler.context_fields")
        response = instance.call(None, attempt=2, taskToken="tok-1", memoryLimitInMB="512")
        fields = response["result"]
        self.assertEqual(fields["aws_request_id"], "req-1")
        self.assertEqual(fields["function_name"], "resize")
        self.assertEqual(fields["function_version"], "3")
        self.assertEqual(fields["invoked_function_arn"],
                         "arn:aws:lambda:us-east-1:123456789012:function:resize:3")
        self.assertEqual(fields["memory_limit_in_mb"], 512)
        self.assertEqual(fields["log_group_name"], "/stepflow/functions/resize")
        self.assertEqual(fields["log_stream_name"], f"3/{instance.proc.pid}")
        self.assertEqual(fields["execution_id"], "exec-1")
        self.assertEqual(fields["state_name"], "Resize")
        self.assertEqual(fields["attempt"], 2)
        self.assertEqual(fields["task_token"], "tok-1")
        self.assertGreater(fields["remaining"], 25_000)
        self.assertLessEqual(fields["remaining"], 30_000)
        # An integer memory limit works too; a missing one is the instance's.
        self.assertEqual(instance.call(None, memoryLimitInMB=1024)["result"]["memory_limit_in_mb"],
                         1024)
        self.assertEqual(instance.call(None, memoryLimitInMB=None)["result"]["memory_limit_in_mb"],
                         256)

    def test_nan_is_a_marshal_error(self):
        instance = self.start_ready("handler.not_a_number")
        self.assert_failed(instance.call(), "Runtime.MarshalError")

    def test_unserialisable_result_is_a_marshal_error(self):
        instance = self.start_ready("handler.a_set")
        response = instance.call()
        self.assert_failed(response, "Runtime.MarshalError")
        self.assertIn("Unable to marshal response", response["errorMessage"])

    def test_lone_surrogate_is_a_marshal_error(self):
        instance = self.start_ready("handler.lone_surrogate")
        self.assert_failed(instance.call(), "Runtime.MarshalError")

    def test_timing(self):
        self.measure("empty.handler", [sys.executable, "-c", "pass"])


# --- Node --------------------------------------------------------------------


@unittest.skipIf(NODE is None, "node is not installed")
class NodeBootstrapTest(CommonTests, BootstrapTestCase):
    language = "node"
    ECHO = "index.echo"
    NOTHING = "index.nothing"
    PRINTING = "index.printing"
    SLOW = "index.slow"
    INHERITED = "index.inheritedFds"
    CONTEXT = "index.context"

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="stepflow-node-")
        cls.code_dir = os.path.join(cls.tmp.name, "fn")
        cls.module_package_dir = os.path.join(cls.tmp.name, "fn-module")
        write_files(cls.code_dir, NODE_FILES)
        write_files(cls.module_package_dir, NODE_MODULE_PACKAGE_FILES)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    # Module forms.

    def test_es_module_mjs(self):
        self.assert_ok(self.start_ready("esm.handler").call(2), {"esm": 2})

    def test_package_type_module(self):
        instance = self.start_ready("index.handler", self.module_package_dir)
        self.assert_ok(instance.call(3), {"module": 3, "name": "resize"})

    def test_cjs_extension(self):
        self.assert_ok(self.start_ready("only.handler").call(), "cjs")

    def test_js_is_tried_before_mjs(self):
        self.assert_ok(self.start_ready("order.handler").call(), "js")

    def test_file_in_a_subfolder(self):
        self.assert_ok(self.start_ready("src/app.main").call(), "nested")

    def test_commonjs_exports_object(self):
        self.assert_ok(self.start_ready("exportsObject.handler").call(), "from the exports object")

    def test_export_found_on_the_default_export(self):
        self.assert_ok(self.start_ready("viaDefault.handler").call(), "from default")

    def test_top_level_await(self):
        instance = self.start_ready("topLevelAwait.handler", self.module_package_dir)
        self.assert_ok(instance.call(), "after await")

    # Handler forms.

    def test_sync_return_value(self):
        self.assert_ok(self.start_ready("index.syncValue").call(4), {"sync": 4})

    def test_function_returning_a_promise(self):
        self.assert_ok(self.start_ready("index.promiseValue").call(5), {"later": 5})

    def test_callback_style(self):
        self.assert_ok(self.start_ready("index.callbackValue").call(6), {"callback": 6})

    def test_callback_error(self):
        instance = self.start_ready("index.callbackError")
        self.assert_failed(instance.call(), "TypeError", "bad callback")

    def test_callback_waits_for_the_empty_event_loop(self):
        instance = self.start_ready("index.waits")
        self.assert_ok(instance.call(), "called back")
        self.assertIn("timer done", instance.take_stdout())  # the timer ran first
        self.assert_ok(instance.call(), "called back")  # and the channel is read again

    def test_callback_without_waiting(self):
        instance = self.start_ready("index.doesNotWait")
        self.assert_ok(instance.call(), "called back")
        self.assertNotIn("timer done", instance.take_stdout())

    # Init errors.

    def test_missing_file(self):
        self.assert_init_error("nothing_here.handler", "Runtime.ImportModuleError",
                               "Unable to import module 'nothing_here': "
                               "Cannot find module 'nothing_here'")

    def test_module_requiring_a_missing_package(self):
        self.assert_init_error("needsMissing.handler", "Runtime.ImportModuleError",
                               "Cannot find module 'not-installed-anywhere'")

    def test_syntax_error_commonjs(self):
        frame = self.assert_init_error("syntax.handler", "Runtime.UserCodeSyntaxError",
                                       "Syntax error in module 'syntax': Unexpected token")
        self.assertIn("(syntax.js:2)", frame["errorMessage"])
        self.assertTrue(frame["stackTrace"][0].endswith("syntax.js:2"), frame)

    def test_syntax_error_es_module(self):
        # Node does not say where an ES module's syntax error is.
        self.assert_init_error("syntaxEsm.handler", "Runtime.UserCodeSyntaxError",
                               "Unexpected token")

    def test_syntax_error_thrown_at_run_time_is_not_a_syntax_error_in_the_code(self):
        self.assert_init_error("parsesBadJson.handler", "Runtime.ImportModuleError",
                               "Unable to import module 'parsesBadJson': SyntaxError: ")

    def test_missing_export(self):
        self.assert_init_error("index.nope", "Runtime.HandlerNotFound",
                               "index.nope is undefined or not exported")

    def test_export_not_a_function(self):
        self.assert_init_error("index.notFunction", "Runtime.HandlerNotFound",
                               "index.notFunction is not a function")

    def test_exception_at_import(self):
        frame = self.assert_init_error("throws.handler", "Runtime.ImportModuleError",
                                       "Unable to import module 'throws': "
                                       "Error: boom at import")
        self.assertTrue(any("throws.js" in line for line in frame["stackTrace"]), frame)

    def test_uncaught_error_while_loading(self):
        self.assert_init_error("timerAtLoad.handler", "Runtime.ImportModuleError",
                               "Error: timer during load")

    def test_malformed_handler(self):
        self.assert_init_error("nodot", "Runtime.MalformedHandlerName", "Bad handler 'nodot'")

    # Call errors.

    def test_error_names(self):
        cases = {
            "typeError": ("TypeError", "wrong type"),
            "subclass": ("ValidationError", "not valid"),
            "named": ("Custom", "renamed"),
            "plainError": ("Error", "plain"),
            "string": ("Error", "just a string"),
            "object": ("Error", '{"code":42}'),
        }
        instance = self.start_ready("index.throws")
        for kind, (error_type, message) in cases.items():
            with self.subTest(kind=kind):
                response = instance.call(kind)
                self.assert_failed(response, error_type, message)
                if kind in ("string", "object"):
                    self.assertEqual(response["stackTrace"], [])
                else:
                    # The handler's frames, not the bootstrap's.
                    self.assertRegex(response["stackTrace"][0], r"^\s+at .*index\.js:\d+")
                    self.assertNotIn("bootstrap.js", "".join(response["stackTrace"]))

    def test_uncaught_exception_fails_the_call(self):
        instance = self.start_ready("index.uncaught")
        self.assert_failed(instance.call(), "RangeError", "from a timer")
        self.assert_failed(instance.call(), "RangeError")  # the instance keeps serving

    def test_unhandled_rejection_fails_the_call(self):
        instance = self.start_ready("index.unhandled")
        self.assert_failed(instance.call(), "URIError", "rejected")

    def test_uncaught_exception_between_calls_ends_the_process(self):
        instance = self.start_ready("index.throwsLater")
        self.assert_ok(instance.call(), "answered")
        self.assertEqual(instance.wait_exit(), 1)
        self.assertIn("after the call", instance.take_stderr())

    def test_context(self):
        instance = self.start_ready("index.context")
        response = instance.call(None, attempt=1, taskToken="tok-2", memoryLimitInMB=512)
        self.assert_ok(response, {
            "awsRequestId": "req-1",
            "functionName": "resize",
            "functionVersion": "3",
            "invokedFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:resize:3",
            "memoryLimitInMB": "512",
            "logGroupName": "/stepflow/functions/resize",
            "logStreamName": f"3/{instance.proc.pid}",
            "executionId": "exec-1",
            "stateName": "Resize",
            "attempt": 1,
            "taskToken": "tok-2",
            "callbackWaitsForEmptyEventLoop": True,
            "remaining": response["result"]["remaining"],
        })
        self.assertGreater(response["result"]["remaining"], 25_000)
        self.assertLessEqual(response["result"]["remaining"], 30_000)

    def test_marshal_errors(self):
        instance = self.start_ready("index.returns")
        for kind in ("bigint", "cycle", "loneSurrogate"):
            with self.subTest(kind=kind):
                response = instance.call(kind)
                self.assert_failed(response, "Runtime.MarshalError")
                self.assertIn("Unable to marshal response", response["errorMessage"])
        # A backslash before "ud800" is text, not a lone surrogate.
        self.assert_ok(instance.call("escapedBackslash"), {"s": "\\ud800"})

    def test_timing(self):
        self.measure("empty.handler", [NODE, "-e", "0"])


def tearDownModule():
    for line in MEASUREMENTS:
        print(line, file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
