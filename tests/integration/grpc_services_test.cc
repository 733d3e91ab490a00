// The standard gRPC services next to the control plane: health checking
// (grpc.health.v1.Health/Check → SERVING) and server reflection. No generated
// stubs exist for them here, so the calls go through grpc::GenericStub with
// hand-encoded protobuf bytes.
#include <grpcpp/generic/generic_stub.h>

#include "tests/integration/server_harness.h"

namespace {

using namespace stepflow::itest;
using Catch::Matchers::Contains;

grpc::ByteBuffer Bytes(const std::string& data) {
  grpc::Slice slice(data);
  return grpc::ByteBuffer(&slice, 1);
}

std::string ToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

// A completion queue drained on destruction.
class Queue {
 public:
  ~Queue() {
    cq_.Shutdown();
    void* tag;
    bool ok;
    while (cq_.Next(&tag, &ok)) {
    }
  }
  grpc::CompletionQueue* get() { return &cq_; }
  // Waits (bounded) for the next event; REQUIREs it is `expected`; returns ok.
  bool Expect(intptr_t expected) {
    void* tag = nullptr;
    bool ok = false;
    auto r = cq_.AsyncNext(&tag, &ok, std::chrono::system_clock::now() + kWait);
    REQUIRE(r == grpc::CompletionQueue::GOT_EVENT);
    REQUIRE(reinterpret_cast<intptr_t>(tag) == expected);
    return ok;
  }

 private:
  grpc::CompletionQueue cq_;
};

void* Tag(intptr_t i) { return reinterpret_cast<void*>(i); }

}  // namespace

TEST_CASE("grpc.health.v1.Health/Check answers SERVING", "[integration][grpc]") {
  Server server;
  grpc::GenericStub generic(server.channel());
  Queue cq;
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  // HealthCheckRequest{service: ""}: no fields set, zero bytes.
  auto call = generic.PrepareUnaryCall(&ctx, "/grpc.health.v1.Health/Check", Bytes(""), cq.get());
  REQUIRE(call);
  call->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  call->Finish(&response, &status, Tag(1));
  cq.Expect(1);
  INFO(StatusText(status));
  REQUIRE(status.ok());
  // HealthCheckResponse{status: SERVING}: field 1, varint 1.
  CHECK(ToString(response) == std::string("\x08\x01", 2));
}

TEST_CASE("server reflection lists the StepflowService", "[integration][grpc]") {
  Server server;
  grpc::GenericStub generic(server.channel());
  Queue cq;
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  auto call = generic.PrepareCall(
      &ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", cq.get());
  REQUIRE(call);
  call->StartCall(Tag(1));
  REQUIRE(cq.Expect(1));
  // ServerReflectionRequest{list_services: ""}: field 7, length-delimited, empty.
  call->Write(Bytes(std::string("\x3a\x00", 2)), Tag(2));
  REQUIRE(cq.Expect(2));
  call->WritesDone(Tag(3));
  REQUIRE(cq.Expect(3));
  grpc::ByteBuffer response;
  call->Read(&response, Tag(4));
  const bool got = cq.Expect(4);
  grpc::Status status;
  call->Finish(&status, Tag(5));
  cq.Expect(5);
  INFO(StatusText(status));
  CHECK(status.error_code() != grpc::StatusCode::UNIMPLEMENTED);
  REQUIRE(status.ok());
  REQUIRE(got);
  const std::string bytes = ToString(response);
  CHECK_THAT(bytes, Contains("stepflow.v1.StepflowService"));
  CHECK_THAT(bytes, Contains("grpc.health.v1.Health"));
}
