// Status and Result<T>: how every fallible call in stepflow reports failure
// across a module boundary. Exceptions from third-party libraries are caught
// inside the module that calls them and turned into a Status.
//
// A Status either is OK or carries a code and a message. Runtime failures
// that the Amazon States Language defines (States.Runtime,
// States.ParameterPathFailure, a worker's own error name, ...) use
// StatusCode::kAslError and carry the ASL error name in error() and the
// human-readable cause in message(), so Retry/Catch can match on error().
//
// Thread-safety: values; no shared state.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace stepflow {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // the caller's input is malformed
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,  // the request is valid but the state forbids it
  kResourceExhausted,   // a named limit was passed
  kUnavailable,
  kInternal,
  kDataLoss,  // stored data is corrupt or foreign
  kAslError,  // an ASL runtime error; see Status::error()
};

std::string_view StatusCodeName(StatusCode code);

class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  static Status ResourceExhausted(std::string m) {
    return {StatusCode::kResourceExhausted, std::move(m)};
  }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  // An ASL error: `error` is the error name Retry/Catch match on (for
  // example "States.ParameterPathFailure"), `cause` the text for people.
  static Status AslError(std::string error, std::string cause) {
    Status s(StatusCode::kAslError, std::move(cause));
    s.error_ = std::move(error);
    return s;
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // The ASL error name; empty unless code() == kAslError.
  const std::string& error() const { return error_; }
  // "CODE: message", or "Error: cause" for ASL errors.
  std::string ToString() const;

  // A finer kind than the code, named after the Step Functions API's error
  // ("InvalidName", "ExecutionDoesNotExist", ...), set where the api core
  // knows it; the HTTP edge turns it into its error type. "" when unset.
  const std::string& reason() const { return reason_; }
  Status&& WithReason(std::string reason) && {
    reason_ = std::move(reason);
    return std::move(*this);
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string error_;
  std::string reason_;
};

// Holds either a value or a non-OK Status.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok());
  }

  bool ok() const { return v_.index() == 0; }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace stepflow

// Propagates a non-OK Status from an expression returning Status.
#define STEPFLOW_RETURN_IF_ERROR(expr) \
  do {                                 \
    ::stepflow::Status _st = (expr);   \
    if (!_st.ok()) return _st;         \
  } while (0)

#define STEPFLOW_CONCAT_INNER(a, b) a##b
#define STEPFLOW_CONCAT(a, b) STEPFLOW_CONCAT_INNER(a, b)
// Evaluates a Result<T> expression; on error returns its Status, otherwise
// declares `lhs` initialised from the value.
#define STEPFLOW_ASSIGN_OR_RETURN(lhs, expr) \
  STEPFLOW_ASSIGN_OR_RETURN_IMPL(STEPFLOW_CONCAT(_res_, __LINE__), lhs, expr)
#define STEPFLOW_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return tmp.status();                  \
  lhs = std::move(tmp).value()
