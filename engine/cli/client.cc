#include "engine/cli/client.h"

#include <cctype>
#include <chrono>
#include <sstream>

#include "engine/cli/client_api.h"
#include "engine/cli/client_rpc.h"
#include "engine/rpc/grpc_names.h"

namespace stepflow::cli {

namespace {

// "http://..." and the like: a URL where HOST:PORT belongs.
bool IsUrl(const std::string& address) {
  const size_t scheme = address.find("://");
  if (scheme == std::string::npos || scheme == 0) return false;
  for (size_t i = 0; i < scheme; ++i) {
    if (!std::isalpha(static_cast<unsigned char>(address[i]))) return false;
  }
  return true;
}

bool CheckAddress(const std::string& verb, const std::string& given_as, const std::string& address,
                  std::ostream& err) {
  if (!IsUrl(address)) return true;
  err << "stepflow " << verb << ": " << given_as << address
      << ": give the gRPC address as HOST:PORT (`stepflow server --listen`, default "
      << kDefaultServer << "), not a URL; the http:// address is the Step Functions API, for "
      << "the AWS CLI and SDKs (aws stepfunctions --endpoint-url " << address << ")\n";
  return false;
}

}  // namespace

bool ChooseServer(const std::string& verb, const std::string& server_flag,
                  const std::string& embedded_flag, bool has_embedded_mode, const char* env_server,
                  std::string* address, std::ostream& err, bool* defaulted) {
  address->clear();
  if (defaulted != nullptr) *defaulted = false;
  if (!server_flag.empty()) {
    if (!embedded_flag.empty()) {
      err << "stepflow " << verb << ": --server and " << embedded_flag
          << " cannot be used together (" << embedded_flag
          << " is for embedded mode, without a server)\n";
      return false;
    }
    if (!CheckAddress(verb, "--server ", server_flag, err)) return false;
    *address = server_flag;
    return true;
  }
  if (has_embedded_mode && !embedded_flag.empty()) return true;  // embedded
  const std::string env = env_server != nullptr ? env_server : "";
  if (!env.empty()) {
    if (!CheckAddress(verb, std::string(kServerEnv) + "=", env, err)) return false;
    *address = env;
    return true;
  }
  *address = kDefaultServer;
  if (defaulted != nullptr) *defaulted = true;
  return true;
}

// The status code as the gRPC edge names it (an ASL error there is INTERNAL).
std::string_view CodeName(StatusCode code) {
  return code == StatusCode::kAslError ? "INTERNAL" : stepflow::StatusCodeName(code);
}

int ApiClient::Fail(const Status& status) const {
  err_ << "stepflow: " << verb_ << ": " << CodeName(status.code()) << ": "
       << client::OneLine(status.message()) << "\n";
  return 1;
}

namespace client {

namespace {

constexpr int kMaxReceiveBytes = 64 * 1024 * 1024;

std::chrono::system_clock::time_point After(int64_t ms) {
  return std::chrono::system_clock::now() + std::chrono::milliseconds(ms);
}

}  // namespace

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
  std::string why = ConnectError();
  if (why.empty()) return true;
  err_ << "stepflow: " << verb_ << ": UNAVAILABLE: " << why << "\n";
  return false;
}

std::string Connection::ConnectError() {
  if (connected_) return "";
  const auto deadline = After(options_.connect_timeout_ms);
  grpc_connectivity_state state = channel_->GetState(/*try_to_connect=*/true);
  while (state != GRPC_CHANNEL_READY && state != GRPC_CHANNEL_TRANSIENT_FAILURE &&
         state != GRPC_CHANNEL_SHUTDOWN) {
    if (!channel_->WaitForStateChange(state, deadline)) {
      if (options_.default_server) return Unreachable("");
      std::ostringstream why;
      why << "no answer from the server at " << options_.server << " within "
          << options_.connect_timeout_ms / 1000.0 << " s";
      return why.str();
    }
    state = channel_->GetState(/*try_to_connect=*/true);
  }
  connected_ = true;
  return "";
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
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) message = Unreachable(message);
  err_ << "stepflow: " << verb_ << ": " << StatusCodeName(status.error_code()) << ": " << message
       << "\n";
  return 1;
}

std::string Connection::Unreachable(const std::string& why) const {
  if (options_.default_server) {
    std::string hint = "no stepflow server at " + options_.server +
                       " (the default address): start one with `stepflow server`, or name "
                       "yours with --server HOST:PORT or " +
                       kServerEnv;
    if (options_.has_embedded_mode) hint += ", or use a database file directly with --db FILE";
    return hint;
  }
  return "server at " + options_.server + (why.empty() ? "" : ": " + why);
}

}  // namespace client
}  // namespace stepflow::cli
