"""What a handler raises, and the error names the SDK answers with.

The names are the same as the C++ SDK's (sdk/cpp/stepflow/worker.h), so a
workflow's Retry/Catch does not depend on the language of its workers.
"""

import grpc

UNKNOWN_FUNCTION = "Worker.UnknownFunction"  # no handler registered under the name
INVALID_INPUT = "Worker.InvalidInput"  # input_json is not JSON (handler not called)
INVALID_OUTPUT = "Worker.InvalidOutput"  # the result cannot be serialised to JSON
EXCEPTION = "Worker.Exception"  # the handler raised something other than TaskError


class TaskError(Exception):
    """A function-level error: the task fails with {error, cause}.

    The workflow's Retry and Catch match on `error` (e.g. "Payment.Declined").
    """

    def __init__(self, error: str, cause: str = ""):
        super().__init__(f"{error}: {cause}" if cause else error)
        self.error = error
        self.cause = cause


class AbortCall(Exception):
    """Answers a FunctionService call with a gRPC status instead of a result.

    The engine sees a transport failure (ARCHITECTURE §5: DEADLINE_EXCEEDED
    becomes States.Timeout, other codes States.TaskFailed), as if the worker
    were unreachable. Meant for tests and demos of Retry; a real failure is
    better told with TaskError. In an activity handler it is an ordinary
    exception (Worker.Exception).
    """

    def __init__(self, code: grpc.StatusCode, details: str = ""):
        super().__init__(f"{code.name}: {details}")
        self.code = code
        self.details = details
