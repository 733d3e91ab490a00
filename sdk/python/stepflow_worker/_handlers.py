"""Running one handler: JSON in, JSON or a (error, cause) pair out."""

import dataclasses
import inspect
import json
import threading
from typing import Any, Callable, Optional, Tuple

from .errors import (INVALID_INPUT, INVALID_OUTPUT, UNKNOWN_FUNCTION, TaskError,
                     exception_error)

# A JSON value as the json module reads and writes it.
Json = Any


@dataclasses.dataclass(frozen=True)
class TaskContext:
    """What the engine says about a call (the request minus the input).

    For a FunctionService call every field but heartbeat_seconds comes from
    the InvokeRequest; task_token is set for .waitForTaskToken tasks (complete
    them later with ActivityClient). For an activity task, task_token,
    execution_id, state_name and heartbeat_seconds come from PollTask and the
    other fields are empty.
    """

    function: str = ""  # the function or activity name
    idempotency_key: str = ""  # "<executionId>/<event id>": stable across re-sends
    execution_id: str = ""
    state_name: str = ""
    state_path: str = ""  # e.g. "Fanout[2]/Charge"
    attempt: int = 0  # retries of this Task in this visit: 0 on the first try
    task_token: str = ""
    function_version: str = ""  # the catalog version called ("1", ...); "" for grpc://
    heartbeat_seconds: int = 0  # activities: send heartbeat() at least this often
    _heartbeat: Optional[Callable[[], bool]] = dataclasses.field(
        default=None, repr=False, compare=False)

    def heartbeat(self) -> bool:
        """Activities only: tells the engine the task is alive (SendTaskHeartbeat).

        Returns True when the engine accepted it, False when it did not (the
        token is stale — the task timed out or was stopped — or the server is
        unreachable); the handler may then give up. Never raises for those.
        """
        if self._heartbeat is None:
            raise RuntimeError("heartbeat() is only for activity tasks; "
                               "complete a .waitForTaskToken task with ActivityClient")
        return self._heartbeat()


@dataclasses.dataclass(frozen=True)
class Handler:
    fn: Callable[..., Json]
    wants_ctx: bool


def make_handler(fn: Callable[..., Json]) -> Handler:
    """Wraps fn; it gets ctx when it takes a second positional parameter."""
    if not callable(fn):
        raise TypeError(f"handler {fn!r} is not callable")
    return Handler(fn, _takes_two_arguments(fn))


def _takes_two_arguments(fn: Callable[..., Json]) -> bool:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # some builtins have no signature
        return False
    positional = 0
    for p in parameters:
        if p.kind == p.VAR_POSITIONAL:
            return True
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            positional += 1
    return positional >= 2


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def describe(e: BaseException) -> str:
    """"<ExceptionType>: <message>", or just the type when there is no message."""
    message = str(e)
    return f"{type(e).__name__}: {message}" if message else type(e).__name__


# The outcome of a call: (output_json, None) or (None, (error, cause)).
Outcome = Tuple[Optional[str], Optional[Tuple[str, str]]]


def run(handler: Optional[Handler], name: str, input_json: str, ctx: TaskContext,
        passthrough: Tuple[type, ...] = ()) -> Outcome:
    """Calls handler with the parsed input; exceptions in passthrough propagate."""
    if handler is None:
        return None, (UNKNOWN_FUNCTION, f"no function named '{name}'")
    try:
        value = json.loads(input_json, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return None, (INVALID_INPUT, f"input of function '{name}' is not valid JSON")
    try:
        result = handler.fn(value, ctx) if handler.wants_ctx else handler.fn(value)
    except TaskError as e:
        return None, (e.error, e.cause)
    except passthrough:
        raise
    except Exception as e:  # a handler's bug must not take the worker down
        return None, exception_error(e)
    try:
        text = json.dumps(result, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
        text.encode("utf-8")  # lone surrogates cannot go on the wire
    except (TypeError, ValueError, RecursionError) as e:
        return None, (INVALID_OUTPUT,
                      f"result of function '{name}' is not JSON: {describe(e)}")
    return text, None


class Registry:
    """name → Handler, safe to change while calls run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._handlers: dict = {}

    def add(self, name: str, fn: Callable[..., Json]) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError("a handler needs a non-empty name")
        handler = make_handler(fn)
        with self._lock:
            self._handlers[name] = handler

    def get(self, name: str) -> Optional[Handler]:
        with self._lock:
            return self._handlers.get(name)

    def names(self) -> list:
        with self._lock:
            return sorted(self._handlers)
