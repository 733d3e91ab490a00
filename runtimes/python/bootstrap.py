"""The Python bootstrap of a deployed function's instance.

The engine starts it as `PYTHON bootstrap.py` (the function's virtualenv
interpreter) in the function's code directory. It imports the handler named by
STEPFLOW_HANDLER ("MODULE.FUNCTION", MODULE may be dotted) once, says "ready",
then answers the engine's invoke requests one at a time until the engine closes
the request channel. The protocol is in runtimes/README.md.

Channel: fd 3 carries requests from the engine, fd 4 responses to it; each
frame is a 4-byte big-endian length and that many bytes of UTF-8 JSON.
stdout and stderr belong to the function (its log); this file never writes to
stdout, and writes to stderr only when the engine broke the protocol.

Start-up cost counts (an instance is started on a call's path), so only
modules needed at start-up are imported here; traceback is imported when an
error is reported.
"""

import importlib
import json
import os
import sys
import time

REQUESTS_FD = 3
RESPONSES_FD = 4
DEFAULT_HANDLER = "handler.handler"

# json.dumps settings for every frame: compact, UTF-8 text, and NaN/Infinity
# refused (they are not JSON; the engine could not read them).
_DUMPS = {"separators": (",", ":"), "ensure_ascii": False, "allow_nan": False}


class InitError(Exception):
    """The handler could not be loaded; reported as an initError frame."""

    def __init__(self, error_type, message, stack_trace=()):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.stack_trace = list(stack_trace)


class ProtocolError(Exception):
    """The engine sent something this side cannot read."""


class Context:
    """The handler's second argument, shaped like AWS Lambda's context object.

    Built from the request's "context" field; a field the engine left out takes
    the instance's value (function name, version, memory) or an empty one.
    """

    __slots__ = ("aws_request_id", "function_name", "function_version",
                 "invoked_function_arn", "memory_limit_in_mb", "log_group_name",
                 "log_stream_name", "execution_id", "state_name", "attempt", "task_token",
                 "_deadline_ms")

    def __init__(self, fields, deadline_ms, instance):
        self.aws_request_id = _to_str(fields.get("awsRequestId"), "")
        self.function_name = _to_str(fields.get("functionName"), instance.function_name)
        self.function_version = _to_str(fields.get("functionVersion"), instance.function_version)
        self.invoked_function_arn = _to_str(fields.get("invokedFunctionArn"), "")
        self.memory_limit_in_mb = _to_int(fields.get("memoryLimitInMB"), instance.memory_mb)
        self.log_group_name = instance.log_group_name
        self.log_stream_name = instance.log_stream_name
        self.execution_id = _to_str(fields.get("executionId"), "")
        self.state_name = _to_str(fields.get("stateName"), "")
        self.attempt = _to_int(fields.get("attempt"), 0)
        self.task_token = _to_str(fields.get("taskToken"), "")
        # A request without a deadline has no time left rather than unlimited
        # time: the engine always sets one, and a handler that paces itself by
        # the remaining time then stops early instead of running on.
        self._deadline_ms = _to_int(deadline_ms, 0)

    def get_remaining_time_in_millis(self):
        """Milliseconds until the engine's deadline for this call, at least 0."""
        return max(0, self._deadline_ms - int(time.time() * 1000))

    def __repr__(self):
        return (f"Context(aws_request_id={self.aws_request_id!r}, "
                f"function_name={self.function_name!r}, "
                f"function_version={self.function_version!r}, "
                f"execution_id={self.execution_id!r}, state_name={self.state_name!r}, "
                f"attempt={self.attempt})")


class Instance:
    """What stays the same for every call of this instance."""

    def __init__(self, environ):
        self.function_name = environ.get("STEPFLOW_FUNCTION_NAME", "")
        self.function_version = environ.get("STEPFLOW_FUNCTION_VERSION", "")
        self.memory_mb = _to_int(environ.get("STEPFLOW_MEMORY_MB"), 0)
        self.log_group_name = "/stepflow/functions/" + self.function_name
        self.log_stream_name = f"{self.function_version}/{os.getpid()}"


def _to_str(value, default):
    """str(value), or default when value is missing (None)."""
    return default if value is None else str(value)


def _to_int(value, default):
    """int(value), or default when value is missing or not a number."""
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return default


# --- The channel -------------------------------------------------------------


def _read_exact(count):
    """count bytes from the request channel, or b"" at EOF before the first."""
    data = os.read(REQUESTS_FD, count)
    if len(data) == count or not data:
        return data
    parts = [data]
    received = len(data)
    while received < count:
        chunk = os.read(REQUESTS_FD, count - received)
        if not chunk:
            raise ProtocolError("the request channel closed in the middle of a frame")
        parts.append(chunk)
        received += len(chunk)
    return b"".join(parts)


def read_frame():
    """The next request's bytes, or None when the engine closed the channel."""
    header = _read_exact(4)
    if not header:
        return None
    if len(header) < 4:
        raise ProtocolError("the request channel closed in the middle of a frame")
    return _read_exact(int.from_bytes(header, "big"))


def write_frame(payload):
    """Writes one frame of already-encoded UTF-8 JSON to the response channel."""
    view = memoryview(len(payload).to_bytes(4, "big") + payload)
    while view:
        view = view[os.write(RESPONSES_FD, view):]


def flush_logs():
    """Pushes buffered print()/logging output into the stdout/stderr pipes.

    Done before each response so the engine, once it has the response, finds
    all of the call's log output already in the pipes.
    """
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            try:
                stream.flush()
            except Exception:  # a closed or replaced stream must not fail the call
                pass


def encode_frame(message):
    """The frame for a message built here (ready, errors): a lone surrogate in
    an error's text becomes "?" rather than failing the report."""
    return json.dumps(message, **_DUMPS).encode("utf-8", "replace")


# --- Loading the handler -----------------------------------------------------


def _user_frames(tb):
    """format_tb lines of tb without this file's and the import system's frames."""
    import traceback
    own = (os.path.abspath(__file__), os.path.abspath(importlib.__file__))
    frames = [f for f in traceback.extract_tb(tb)
              if os.path.abspath(f.filename) not in own
              and not f.filename.startswith("<frozen importlib")]
    return traceback.format_list(frames)


def _describe(exc):
    """str(exc), even when the exception's __str__ fails."""
    try:
        return str(exc)
    except Exception:
        return f"<unprintable {type(exc).__name__} object>"


def load_handler(spec):
    """Imports MODULE and returns its FUNCTION; raises InitError."""
    module_name, dot, function_name = spec.rpartition(".")
    if not dot or not module_name or not function_name:
        raise InitError("Runtime.MalformedHandlerName",
                        f"Bad handler '{spec}': expected MODULE.FUNCTION")
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as exc:
        import traceback
        # The location (file, line, the line and a caret) is the useful trace.
        location = traceback.format_exception_only(type(exc), exc)[:-1]
        raise InitError("Runtime.UserCodeSyntaxError",
                        f"Syntax error in module '{module_name}': {_describe(exc)}",
                        _user_frames(exc.__traceback__) + location) from None
    except ImportError as exc:
        raise InitError("Runtime.ImportModuleError",
                        f"Unable to import module '{module_name}': {_describe(exc)}",
                        _user_frames(exc.__traceback__)) from None
    except Exception as exc:
        raise InitError("Runtime.ImportModuleError",
                        f"Unable to import module '{module_name}': "
                        f"{type(exc).__name__}: {_describe(exc)}",
                        _user_frames(exc.__traceback__)) from None
    handler = getattr(module, function_name, None)
    if handler is None:
        raise InitError("Runtime.HandlerNotFound",
                        f"Handler '{function_name}' missing on module '{module_name}'")
    if not callable(handler):
        raise InitError("Runtime.HandlerNotFound",
                        f"Handler '{function_name}' on module '{module_name}' is not callable")
    return handler


# --- Calls -------------------------------------------------------------------


def _error_result(call_id, error_type, message, stack_trace):
    return encode_frame({"type": "result", "id": call_id, "ok": False,
                         "errorType": error_type, "errorMessage": message,
                         "stackTrace": stack_trace})


def invoke(handler, request, instance):
    """Runs one invoke request; returns the encoded result frame."""
    call_id = request.get("id")
    fields = request.get("context")
    context = Context(fields if isinstance(fields, dict) else {}, request.get("deadlineMs"),
                      instance)
    try:
        result = handler(request.get("event"), context)
    except Exception as exc:
        import traceback
        # Lambda's names, so a state's Retry/Catch can match them.
        error_type = "Runtime.OutOfMemory" if isinstance(exc, MemoryError) else type(exc).__name__
        # tb_next: the first frame is this function, calling the handler.
        return _error_result(call_id, error_type, _describe(exc),
                             traceback.format_tb(exc.__traceback__.tb_next))
    try:
        return json.dumps({"type": "result", "id": call_id, "ok": True, "result": result},
                          **_DUMPS).encode("utf-8")
    except Exception as exc:  # TypeError, ValueError (NaN, a cycle), a lone surrogate, ...
        return _error_result(call_id, "Runtime.MarshalError",
                             f"Unable to marshal response: {_describe(exc)}", [])


def serve(handler, instance):
    """Answers requests until the engine closes the channel."""
    while True:
        frame = read_frame()
        if frame is None:
            return
        try:
            request = json.loads(frame)
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
            raise ProtocolError(f"a request is not JSON: {exc}") from None
        if not isinstance(request, dict):
            raise ProtocolError("a request is not a JSON object")
        if request.get("type") != "invoke":
            continue  # a message type this bootstrap does not know: nothing to answer
        response = invoke(handler, request, instance)
        flush_logs()
        write_frame(response)


def main():
    try:
        for fd in (REQUESTS_FD, RESPONSES_FD):
            # Close-on-exec, so processes the handler starts do not hold the
            # engine's channel; blocking, whatever the engine's pipes were made with.
            os.set_inheritable(fd, False)
            os.set_blocking(fd, True)
    except OSError as exc:
        sys.stderr.write(f"stepflow bootstrap: fds 3 and 4 must be the engine's channel: {exc}\n")
        return 2

    code_dir = os.environ.get("STEPFLOW_CODE_DIR") or os.getcwd()
    # sys.path[0] is this file's directory; the function's code takes its place.
    if sys.path and sys.path[0] == os.path.dirname(os.path.abspath(__file__)):
        sys.path[0] = code_dir
    else:
        sys.path.insert(0, code_dir)

    instance = Instance(os.environ)
    try:
        try:
            handler = load_handler(os.environ.get("STEPFLOW_HANDLER") or DEFAULT_HANDLER)
        except InitError as exc:
            flush_logs()
            write_frame(encode_frame({"type": "initError", "errorType": exc.error_type,
                                      "errorMessage": exc.message,
                                      "stackTrace": exc.stack_trace}))
            return 1
        flush_logs()
        version = "%d.%d.%d" % sys.version_info[:3]
        write_frame(encode_frame({"type": "ready", "runtime": "python " + version}))
        serve(handler, instance)
        return 0
    except BrokenPipeError:
        return 0  # the engine stopped reading: it is gone, nobody to answer
    except ProtocolError as exc:
        flush_logs()
        sys.stderr.write(f"stepflow bootstrap: {exc}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
