"""What a handler raises, and the error names the SDK answers with.

The Worker.* names are the same as the C++ SDK's (sdk/cpp/stepflow/worker.h),
so a workflow's Retry/Catch on them does not depend on the language of its
workers. An uncaught exception is named after its class, as AWS Lambda does
it, so that name is the language's own ("ValueError" here,
"std::invalid_argument" in C++).
"""

import grpc

UNKNOWN_FUNCTION = "Worker.UnknownFunction"  # no handler registered under the name
INVALID_INPUT = "Worker.InvalidInput"  # input_json is not JSON (handler not called)
INVALID_OUTPUT = "Worker.InvalidOutput"  # the result cannot be serialised to JSON


def exception_error(e: BaseException) -> tuple:
    """(error, cause) for an exception a handler raised other than TaskError.

    As AWS Lambda reports it (errorType, errorMessage), so Retry/Catch rules
    written for Lambda match unchanged: the class name without its module
    ("ValueError", "KeyError", a user's "QuotaExceeded") and str(e) ("boom";
    "'missing'" for a KeyError; "" when there is no message).
    """
    name = type(e).__name__
    try:
        cause = str(e)
    except Exception:  # a broken __str__ must not take the worker down either
        cause = f"<str() of the {name} failed>"
    return name, cause


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
    exception (error "AbortCall").
    """

    def __init__(self, code: grpc.StatusCode, details: str = ""):
        super().__init__(f"{code.name}: {details}")
        self.code = code
        self.details = details
