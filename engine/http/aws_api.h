// The AWS Step Functions API (JSON 1.0 protocol) over api::ControlPlane, so
// the AWS CLI, boto3 and the AWS SDKs work against stepflow unchanged:
//
//   POST /   Content-Type: application/x-amz-json-1.0
//            X-Amz-Target: AWSStepFunctions.StartExecution
//            {"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:orders"}
//   → 200 {"executionArn": "...:execution:orders:3f1c…", "startDate": 1764816000.123}
//
// Embedded JSON travels as strings (definition, input, output, event
// details' input/output/parameters), times as epoch seconds. Every answer
// has x-amzn-RequestId; an error is HTTP 400 (5xx for the server's own
// failures) with {"__type": "…#Name", "message": …} and a matching
// X-Amzn-Errortype header. `Host` is ignored (SDKs prefix "sync-" to it for
// StartSyncExecution). Signatures are not verified.
//
// ARNs: arn:aws:states:REGION:ACCOUNT:stateMachine:NAME[:VERSION],
// …:execution:MACHINE:NAME, …:activity:NAME. REGION is --aws-region, else
// the request's SigV4 credential scope, else us-east-1; ACCOUNT is
// --aws-account (123456789012).
//
// Thread-safety: Handle may be called from any thread. Long polls
// (GetActivityTask) and StartSyncExecution wait on threads of their own;
// Drain() (after api::ControlPlane::BeginShutdown) waits for them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "engine/api/control_plane.h"
#include "engine/http/server.h"

namespace stepflow::http {

struct AwsOptions {
  std::string region;                       // "" = the request's credential scope, else us-east-1
  std::string account = "123456789012";
  std::chrono::milliseconds activity_poll{50'000};  // under the SDKs' 60 s read timeout
  std::chrono::milliseconds sync_timeout{300'000};  // StartSyncExecution's longest wait
  int max_waiting = 1024;  // long polls and sync starts at once; more get ThrottlingException
};

class AwsApi {
 public:
  AwsApi(api::ControlPlane* plane, AwsOptions options);
  ~AwsApi();
  AwsApi(const AwsApi&) = delete;
  AwsApi& operator=(const AwsApi&) = delete;

  // A POST / request (any other request is the caller's).
  void Handle(Request&& request, Reply reply);
  // Waits for the long polls and sync starts in flight to answer.
  void Drain();

  struct Call;

 private:
  void Dispatch(const std::shared_ptr<Call>& call);

  api::ControlPlane* plane_;
  AwsOptions options_;
  BlockingWork waiting_;  // long polls and sync starts
};

}  // namespace stepflow::http
