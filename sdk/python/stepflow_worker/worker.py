"""Worker: serves FunctionService and/or polls activities (see __init__)."""

import concurrent.futures
import os
import signal
import socket
import threading
import time
from typing import Callable, Optional

import grpc

from stepflow.v1 import function_pb2, function_pb2_grpc

from . import _handlers
from . import activity as _activity
from .errors import AbortCall


class Worker:
    """Functions served over gRPC and activities polled from the control plane.

    Thread-safety: register/function/activity may be called at any time (a
    call uses the handler registered when it starts); handlers run
    concurrently with themselves and each other, on up to max_workers
    threads for FunctionService calls (more calls queue) plus one thread per
    activity poller. serve is called once. stop and wait may be called from
    any thread but a handler's.
    """

    def __init__(self, max_workers: int = 16, max_message_bytes: int = 8 << 20):
        self._max_workers = max(1, max_workers)
        self._max_message_bytes = max_message_bytes
        self._functions = _handlers.Registry()
        self._activities = _handlers.Registry()
        self._lock = threading.Lock()  # guards the members below
        self._server: Optional[grpc.Server] = None
        self._executor: Optional[concurrent.futures.ThreadPoolExecutor] = None
        self._pollers: list = []  # threads running activity.poll_loop
        self._clients: list = []  # their ActivityClients
        self._poll_wait = 0  # the longest wait_seconds of the pollers
        self._stopping = threading.Event()  # stop() was called
        self._stopped = threading.Event()  # stop() has finished

    # ------------------------------------------------------------ handlers

    def register(self, name: str, fn: Callable) -> "Worker":
        """Serves fn as function `name` (replacing one of that name)."""
        self._functions.add(name, fn)
        return self

    def function(self, name: str) -> Callable:
        """Decorator form of register: @worker.function("charge")."""
        def decorate(fn: Callable) -> Callable:
            self.register(name, fn)
            return fn
        return decorate

    def register_activity(self, name: str, fn: Callable) -> "Worker":
        """Runs fn for tasks of activity `name` (see poll_activities)."""
        self._activities.add(name, fn)
        return self

    def activity(self, name: str) -> Callable:
        """Decorator form of register_activity: @worker.activity("review")."""
        def decorate(fn: Callable) -> Callable:
            self.register_activity(name, fn)
            return fn
        return decorate

    # ------------------------------------------------------------- serving

    def serve(self, address: str = "127.0.0.1:0") -> int:
        """Serves FunctionService on address ("HOST:PORT", port 0 = any free port,
        or "unix:/path"); returns the bound port (0 for a unix socket).

        Raises RuntimeError when it cannot listen (a port in use included) or
        when the worker was already serving or stopped.
        """
        with self._lock:
            if self._server is not None or self._stopping.is_set():
                raise RuntimeError("stepflow_worker: serve called twice or after stop")
            executor = concurrent.futures.ThreadPoolExecutor(
                max_workers=self._max_workers, thread_name_prefix="stepflow-worker")
            server = grpc.server(executor, options=[
                ("grpc.max_receive_message_length", self._max_message_bytes),
                ("grpc.max_send_message_length", self._max_message_bytes),
                ("grpc.so_reuseport", 0),  # a port in use is an error
            ])
            function_pb2_grpc.add_FunctionServiceServicer_to_server(
                _FunctionService(self._functions), server)
            unix_socket = address.startswith("unix:")
            try:
                port = server.add_insecure_port(address)
            except RuntimeError:
                port = 0
            if port == 0 and not unix_socket:
                executor.shutdown(wait=False)
                raise RuntimeError(f"stepflow_worker: cannot listen on {address}")
            server.start()
            self._server, self._executor = server, executor
            return 0 if unix_socket else port

    def poll_activities(self, server: str = _activity.DEFAULT_SERVER,
                        worker_name: Optional[str] = None, pollers: int = 1,
                        activities: Optional[list] = None, wait_seconds: int = 2) -> None:
        """Starts background threads that poll the control plane at `server`.

        For each activity (default: every one registered so far), `pollers`
        threads loop: PollTask(wait_seconds) → run the handler →
        SendTaskSuccess(output) or SendTaskFailure(error, cause) with the
        same error names as functions. A failed poll backs off (up to 2 s) and
        retries. Returns at once; stop() ends the loops (within about
        wait_seconds) after the tasks in hand are reported.
        """
        names = list(activities) if activities is not None else self._activities.names()
        if not names:
            raise ValueError("poll_activities: no activity registered")
        worker_name = worker_name or f"{socket.gethostname()}-{os.getpid()}"
        wait_seconds = max(1, int(wait_seconds))
        with self._lock:
            if self._stopping.is_set():
                raise RuntimeError("stepflow_worker: poll_activities after stop")
            client = _activity.ActivityClient(server, max_message_bytes=self._max_message_bytes)
            self._clients.append(client)
            self._poll_wait = max(self._poll_wait, wait_seconds)
            for name in names:
                for i in range(max(1, pollers)):
                    thread = threading.Thread(
                        target=_activity.poll_loop, name=f"stepflow-poll-{name}-{i}",
                        args=(client, self._activities, name, worker_name, wait_seconds,
                              self._stopping),
                        daemon=True)  # a stuck handler must not keep the process alive
                    thread.start()
                    self._pollers.append(thread)

    # ------------------------------------------------------------ stopping

    def stop(self, grace: float = 2.0) -> None:
        """Stops serving and polling; returns when done. Idempotent.

        Running calls get `grace` seconds to finish, then are cancelled.
        Pollers finish their poll in flight (up to wait_seconds) and report
        any task it brought; an activity handler still running after that and
        `grace` more seconds is abandoned (its thread is a daemon).
        """
        with self._lock:
            first = not self._stopping.is_set()
            self._stopping.set()
            server, executor = self._server, self._executor
            pollers, clients = list(self._pollers), list(self._clients)
            poll_wait = self._poll_wait
        if not first:
            self._stopped.wait()
            return
        try:
            if server is not None:
                server.stop(grace).wait()
                executor.shutdown(wait=False)
            deadline = time.monotonic() + poll_wait + grace + 1
            for thread in pollers:
                thread.join(timeout=max(0.0, deadline - time.monotonic()))
            if all(not t.is_alive() for t in pollers):
                for client in clients:
                    client.close()
        finally:
            self._stopped.set()

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Blocks until stop() has finished (or timeout); True if it has."""
        if timeout is not None:
            return self._stopped.wait(timeout)
        while not self._stopped.wait(0.5):  # short waits keep signals prompt
            pass
        return True

    def install_signal_handlers(self) -> None:
        """SIGTERM/SIGINT → stop() (in a helper thread). Call from the main thread."""
        def on_signal(signum, frame):
            threading.Thread(target=self.stop, name="stepflow-stop", daemon=True).start()
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)

    def run(self, address: str = "127.0.0.1:0") -> None:
        """serve(address), print "PORT <n>" on stdout, wait for SIGTERM/SIGINT, stop."""
        port = self.serve(address)
        self.install_signal_handlers()
        print(f"PORT {port}", flush=True)
        self.wait()


class _FunctionService(function_pb2_grpc.FunctionServiceServicer):
    """Invoke: one InvokeRequest → one InvokeResponse, whatever the handler does."""

    def __init__(self, functions: _handlers.Registry):
        self._functions = functions

    def Invoke(self, request, context):
        if not context.is_active():  # the engine gave up while the call queued
            context.abort(grpc.StatusCode.CANCELLED, "call cancelled")
        ctx = _handlers.TaskContext(
            function=request.function, idempotency_key=request.idempotency_key,
            execution_id=request.execution_id, state_name=request.state_name,
            state_path=request.state_path, attempt=request.attempt,
            task_token=request.task_token, function_version=request.function_version)
        try:
            output_json, error = _handlers.run(self._functions.get(request.function),
                                               request.function, request.input_json, ctx,
                                               passthrough=(AbortCall,))
        except AbortCall as e:
            context.abort(e.code, e.details)
        if error is not None:
            return function_pb2.InvokeResponse(
                error=function_pb2.TaskError(error=error[0], cause=error[1]))
        return function_pb2.InvokeResponse(output_json=output_json)
