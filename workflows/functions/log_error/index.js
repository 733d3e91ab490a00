// log_error: write a failed request to the function's log as one JSON line.
//
// Event:   {"requestId": "req-7f3a9c", "route": "/products",
//           "error": "Catalog.NotFound", "cause": "no product \"p-999\""}
// Result:  {"logged": true, "at": "2025-06-01T12:00:00.000Z"}
//
// The line goes to stderr, which the function's log collects
// (`stepflow functions logs log_error`); it carries the execution and state
// the call came from, so the log leads back to the execution's history.

'use strict';

exports.handler = async (event, context = {}) => {
  const at = new Date().toISOString();
  const field = (name) => (typeof event[name] === 'string' ? event[name] : '');
  console.error(JSON.stringify({
    at,
    level: 'error',
    requestId: field('requestId'),
    route: field('route'),
    error: field('error'),
    cause: field('cause'),
    executionId: context.executionId || '',
    state: context.stateName || '',
  }));
  return { logged: true, at };
};
