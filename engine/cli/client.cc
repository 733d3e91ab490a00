#include "engine/cli/client.h"

#include <chrono>

#include "engine/cli/client_rpc.h"
#include "engine/rpc/grpc_names.h"

namespace stepflow::cli {

bool ChooseServer(const std::string& verb, const std::string& server_flag,
                  const std::string& embedded_flag, bool has_embedded_mode, const char* env_server,
                  std::string* address, std::ostream& err) {
  address->clear();
  if (!server_flag.empty()) {
    if (!embedded_flag.empty()) {
      err << "stepflow " << verb << ": --server and " << embedded_flag
          << " cannot be used together (" << embedded_flag
          << " is for embedded mode, without a server)\n";
      return false;
    }
    *address = server_flag;
    return true;
  }
  std::string env = env_server != nullptr ? env_server : "";
  if (has_embedded_mode) {
    if (embedded_flag.empty()) *address = env;
    return true;
  }
  if (env.empty()) {
    err << "stepflow " << verb << ": needs a server: pass --server ADDR or set " << kServerEnv
        << "\n";
    return false;
  }
  *address = env;
  return true;
}

namespace client {

namespace {

constexpr int kMaxReceiveBytes = 64 * 1024 * 1024;

std::chrono::system_clock::time_point After(int64_t ms) {
  return std::chrono::system_clock::now() + std::chrono::milliseconds(ms);
}

// Error lines are one line: a multi-line server message is joined with "; ".
std::string OneLine(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  std::string line;
  for (char c : text) {
    if (c == '\r') continue;
    if (c == '\n')
      line += "; ";
    else
      line += c;
  }
  return line;
}

}  // namespace

std::string_view StatusCodeName(grpc::StatusCode code) {
  return rpc::GrpcStatusName(static_cast<int>(code));
}

Connection::Connection(std::string verb, const ClientOptions& options, std::ostream& err)
    : verb_(std::move(verb)), options_(options), err_(err) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxReceiveBytes);
  channel_ = grpc::CreateCustomChannel(options_.server, grpc::InsecureChannelCredentials(), args);
  stub_ = v1::StepflowService::NewStub(channel_);
}

bool Connection::Connect() {
  if (connected_) return true;
  const auto deadline = After(options_.connect_timeout_ms);
  grpc_connectivity_state state = channel_->GetState(/*try_to_connect=*/true);
  while (state != GRPC_CHANNEL_READY && state != GRPC_CHANNEL_TRANSIENT_FAILURE &&
         state != GRPC_CHANNEL_SHUTDOWN) {
    if (!channel_->WaitForStateChange(state, deadline)) {
      err_ << "stepflow: " << verb_ << ": UNAVAILABLE: no answer from the server at "
           << options_.server << " within " << options_.connect_timeout_ms / 1000.0 << " s\n";
      return false;
    }
    state = channel_->GetState(/*try_to_connect=*/true);
  }
  connected_ = true;
  return true;
}

void Connection::PrepareUnary(grpc::ClientContext* context, int64_t extra_ms) const {
  context->set_deadline(After(options_.call_timeout_ms + extra_ms));
  context->set_wait_for_ready(false);
}

void Connection::PrepareStream(grpc::ClientContext* context, bool follow) const {
  if (!follow) context->set_deadline(After(options_.call_timeout_ms));
  context->set_wait_for_ready(false);
}

int Connection::Fail(const grpc::Status& status) const {
  std::string message = OneLine(status.error_message());
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    message = "server at " + options_.server + (message.empty() ? "" : ": " + message);
  }
  err_ << "stepflow: " << verb_ << ": " << StatusCodeName(status.error_code()) << ": " << message
       << "\n";
  return 1;
}

}  // namespace client
}  // namespace stepflow::cli
