"""stepflow_worker: write stepflow workers in Python (ARCHITECTURE §5).

    from stepflow_worker import Worker, TaskError

    worker = Worker()

    @worker.function("greet")
    def greet(input):
        return {"greeting": f"Hello, {input.get('name', 'world')}!"}

    @worker.function("charge")
    def charge(input, ctx):  # a second parameter receives a TaskContext
        if input["amount"] > 1000:
            raise TaskError("Payment.Declined", "over the limit")
        return {"charged": input["amount"], "key": ctx.idempotency_key}

    worker.run("127.0.0.1:50051")  # prints "PORT 50051"; stops on SIGTERM/SIGINT

Promises (one call → one answer, never a crashed worker):
    handler returns a JSON value   → output_json (compact JSON)
    handler raises TaskError       → error {error, cause}
    handler raises anything else   → error = the exception's class name
                                     ("ValueError", "KeyError", "QuotaExceeded"),
                                     cause = str(exception), as AWS Lambda
    input_json is not JSON         → "Worker.InvalidInput" (handler not called)
    no handler under that name     → "Worker.UnknownFunction"
    result not serialisable        → "Worker.InvalidOutput"
    handler raises AbortCall       → the gRPC status it names (functions only)
Retry/Catch in the workflow match on the error name.

Activities: @worker.activity("name") handlers run for tasks that
worker.poll_activities(server) polls from the control plane; the result goes
back with SendTaskSuccess/SendTaskFailure, ctx.heartbeat() sends
SendTaskHeartbeat. ActivityClient completes tasks by token (.waitForTaskToken
callbacks: the token reaches a function as ctx.task_token).

Delivery is at least once: use ctx.idempotency_key to make side effects
idempotent. Needs the stubs generated from proto/stepflow/v1 (the module
stepflow.v1): `pip install ./sdk/python` installs both, or the build puts
both in <build>/python.
"""

from .activity import ActivityClient
from .errors import INVALID_INPUT, INVALID_OUTPUT, UNKNOWN_FUNCTION, AbortCall, TaskError
from ._handlers import TaskContext
from .worker import Worker

__all__ = [
    "AbortCall", "ActivityClient", "TaskContext", "TaskError", "Worker",
    "INVALID_INPUT", "INVALID_OUTPUT", "UNKNOWN_FUNCTION",
]
