"""Activities and callbacks through the control plane (StepflowService).

ActivityClient completes tasks by token: a .waitForTaskToken task whose token
reached a function as ctx.task_token, or an activity task. The poll loop that
Worker.poll_activities runs lives here too.
"""

import json
import logging
import threading
import time
from typing import Optional

import grpc

from stepflow.v1 import service_pb2, service_pb2_grpc

from . import _handlers
from .errors import INVALID_OUTPUT

log = logging.getLogger("stepflow_worker")

DEFAULT_SERVER = "127.0.0.1:7233"  # `stepflow server`'s default --listen

# Codes worth sending again: the server may come back.
_TRANSIENT = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


class ActivityClient:
    """A StepflowService client for completing tasks by their token.

    Every send_* raises grpc.RpcError when the server refuses or cannot be
    reached: NOT_FOUND for a stale or unknown token (nothing changed),
    INVALID_ARGUMENT for a bad token or output, UNAVAILABLE when the server is
    down. Thread-safe; close() (or `with`) releases the channel.
    """

    def __init__(self, server: str = DEFAULT_SERVER, timeout: float = 10.0,
                 max_message_bytes: int = 8 << 20):
        self.server = server
        self.timeout = timeout
        self._channel = grpc.insecure_channel(server, options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
        ])
        self.stub = service_pb2_grpc.StepflowServiceStub(self._channel)

    def send_success(self, task_token: str, output: _handlers.Json = None, *,
                     output_json: Optional[str] = None) -> None:
        """Completes the task with `output` (a JSON value), or raw `output_json` text."""
        if output_json is None:
            output_json = json.dumps(output, allow_nan=False, ensure_ascii=False,
                                     separators=(",", ":"))
        self.stub.SendTaskSuccess(service_pb2.SendTaskSuccessRequest(
            task_token=task_token, output_json=output_json), timeout=self.timeout)

    def send_failure(self, task_token: str, error: str, cause: str = "") -> None:
        """Fails the task with {error, cause}; Retry/Catch match on `error`."""
        self.stub.SendTaskFailure(service_pb2.SendTaskFailureRequest(
            task_token=task_token, error=error, cause=cause), timeout=self.timeout)

    def send_heartbeat(self, task_token: str) -> None:
        """Resets the task's HeartbeatSeconds clock."""
        self.stub.SendTaskHeartbeat(service_pb2.SendTaskHeartbeatRequest(
            task_token=task_token), timeout=self.timeout)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "ActivityClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Backoff:
    """0.1 s, 0.2 s, ... up to `limit` seconds between failed attempts."""

    def __init__(self, first: float = 0.1, limit: float = 2.0):
        self.first, self.limit, self.next_delay = first, limit, first

    def next(self) -> float:
        delay = self.next_delay
        self.next_delay = min(self.next_delay * 2, self.limit)
        return delay

    def reset(self) -> None:
        self.next_delay = self.first


def poll_loop(client: ActivityClient, registry: _handlers.Registry, activity: str,
              worker_name: str, wait_seconds: int, stopping: threading.Event) -> None:
    """Polls for `activity` until `stopping` is set, running each task that comes.

    A poll in flight when stop is asked is let finish (at most wait_seconds),
    and a task it brings is run and reported, so no task is dropped.
    """
    request = service_pb2.PollTaskRequest(activity=activity, worker_name=worker_name,
                                          wait_seconds=wait_seconds)
    backoff = Backoff()
    failures = 0  # in a row: only the first is a warning
    while not stopping.is_set():
        try:
            task = client.stub.PollTask(request, timeout=wait_seconds + client.timeout)
        except grpc.RpcError as e:
            failures += 1
            log.log(logging.WARNING if failures == 1 else logging.DEBUG,
                    "PollTask(%s) on %s failed: %s; retrying", activity, client.server,
                    _status(e))
            stopping.wait(backoff.next())
            continue
        if failures:
            log.info("PollTask(%s) on %s works again", activity, client.server)
        failures = 0
        backoff.reset()
        if task.task_token:  # "" = nothing came within the wait
            _run_task(client, registry, activity, task)


def _run_task(client: ActivityClient, registry: _handlers.Registry, activity: str,
              task: service_pb2.PollTaskResponse) -> None:
    token = task.task_token

    def heartbeat() -> bool:
        try:
            client.send_heartbeat(token)
            return True
        except grpc.RpcError as e:
            log.warning("heartbeat for a %s task was not accepted: %s", activity, _status(e))
            return False

    ctx = _handlers.TaskContext(function=activity, execution_id=task.execution_id,
                                state_name=task.state_name, task_token=token,
                                heartbeat_seconds=task.heartbeat_seconds, _heartbeat=heartbeat)
    output_json, error = _handlers.run(registry.get(activity), activity, task.input_json, ctx)
    if error is None:
        try:
            _send(client.send_success, token, output_json=output_json)
            return
        except grpc.RpcError as e:
            if e.code() not in (grpc.StatusCode.INVALID_ARGUMENT,
                                grpc.StatusCode.RESOURCE_EXHAUSTED):
                log.error("SendTaskSuccess for a %s task failed: %s", activity, _status(e))
                return
            error = (INVALID_OUTPUT, f"the server refused the output: {_status(e)}")
    try:
        _send(client.send_failure, token, error[0], error[1])
    except grpc.RpcError as e:
        log.error("SendTaskFailure for a %s task failed: %s", activity, _status(e))


def _send(method, *args, attempts: int = 5, **kwargs) -> None:
    """Calls method, again after a transient failure (a few times, briefly)."""
    backoff = Backoff()
    for attempt in range(attempts):
        try:
            return method(*args, **kwargs)
        except grpc.RpcError as e:
            if e.code() not in _TRANSIENT or attempt + 1 == attempts:
                raise
            time.sleep(backoff.next())


def _status(e: grpc.RpcError) -> str:
    try:
        return f"{e.code().name}: {e.details()}"
    except AttributeError:  # an RpcError that is not a Call
        return str(e)
