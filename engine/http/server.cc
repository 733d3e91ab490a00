#include "engine/http/server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <deque>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>

namespace stepflow::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

std::string_view Request::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return {};
}

bool SplitHostPort(const std::string& address, std::string* host, std::string* port) {
  if (address.empty()) return false;
  std::string h, p;
  if (address.front() == '[') {
    auto close = address.find(']');
    if (close == std::string::npos || close + 1 >= address.size() || address[close + 1] != ':') {
      return false;
    }
    h = address.substr(1, close - 1);
    p = address.substr(close + 2);
  } else {
    auto colon = address.rfind(':');
    if (colon == std::string::npos) return false;
    h = address.substr(0, colon);
    p = address.substr(colon + 1);
    if (h.find(':') != std::string::npos) return false;  // IPv6 needs brackets
  }
  if (h.empty() || p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != p.npos) {
    return false;
  }
  if (std::stoi(p) > 65535) return false;
  *host = h;
  *port = p;
  return true;
}

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

namespace {

class Session;

}  // namespace

struct Server::Impl {
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  Handler handler;
  ServerOptions options;
  std::vector<std::thread> threads;
  int port = 0;
  std::atomic<bool> stopping{false};
  std::mutex sessions_mu;
  std::unordered_set<std::shared_ptr<Session>> sessions;

  void Accept();
};

namespace {

// One connection: read a request, hand it to the handler, write the answer
// when the Reply is called, then read the next (keep-alive). Everything on
// the connection's strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Server::Impl* server)
      : stream_(std::move(socket)), server_(server) {
    boost::system::error_code ec;
    auto endpoint = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  }

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); });
  }

  void Close() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->streaming_) return self->EndStream();
      boost::system::error_code ec;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      self->stream_.close();
    });
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    // The body limit is checked by hand below (a 413, not a dropped connection).
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    stream_.expires_after(server_->options.idle_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = shared_from_this()](beast::error_code ec, size_t) {
                               self->OnHeader(ec);
                             });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return Finish();
    const auto length = parser_->content_length();
    if (length && *length > server_->options.max_body_bytes) {
      Response r;
      r.status = 413;
      r.headers.emplace_back("Content-Type", "text/plain");
      r.body = "the request body has " + std::to_string(*length) + " bytes; the limit is " +
               std::to_string(server_->options.max_body_bytes) + "\n";
      keep_alive_ = false;
      return Write(std::move(r));
    }
    if (!length && parser_->chunked()) {
      parser_->body_limit(server_->options.max_body_bytes);
    }
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        self->OnBody(ec);
                      });
  }

  void OnBody(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) {
      Response r;
      r.status = 413;
      r.headers.emplace_back("Content-Type", "text/plain");
      r.body = "the request body is larger than " +
               std::to_string(server_->options.max_body_bytes) + " bytes\n";
      keep_alive_ = false;
      return Write(std::move(r));
    }
    if (ec) return Finish();
    stream_.expires_never();  // the handler may take its time (long polls)
    auto req = parser_->release();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    Request request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.remote = remote_;
    for (const auto& field : req) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      request.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    request.body = std::move(req.body());
    auto self = shared_from_this();
    auto answered = std::make_shared<std::atomic<bool>>(false);
    Reply reply = [self, answered](Response response) {
      if (answered->exchange(true)) return;
      asio::post(self->stream_.get_executor(),
                 [self, response = std::move(response)]() mutable {
                   self->Write(std::move(response));
                 });
    };
    server_->handler(std::move(request), std::move(reply));
  }

  void Write(Response response) {
    if (response.stream) return WriteStreamHead(std::move(response));
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    res->version(version_ == 10 ? 10 : 11);
    res->result(static_cast<unsigned>(response.status));
    res->set(bhttp::field::server, "stepflow");
    for (auto& [name, value] : response.headers) res->insert(name, value);
    res->body() = std::move(response.body);
    if (server_->stopping) keep_alive_ = false;
    res->keep_alive(keep_alive_);
    res->prepare_payload();
    stream_.expires_after(std::chrono::seconds(60));
    bhttp::async_write(stream_, *res,
                       [self = shared_from_this(), res](beast::error_code ec, size_t) {
                         if (ec || !self->keep_alive_) return self->Finish();
                         self->Read();
                       });
  }

  // A streamed answer: the head (close-delimited body), then the stream's
  // bytes in order. A read on the socket notices the client going away.
  void WriteStreamHead(Response response) {
    keep_alive_ = false;
    std::string head = "HTTP/1.1 " + std::to_string(response.status) + " " +
                       std::string(bhttp::obsolete_reason(static_cast<bhttp::status>(
                           static_cast<unsigned>(response.status)))) +
                       "\r\nServer: stepflow\r\nConnection: close\r\n";
    for (const auto& [name, value] : response.headers) head += name + ": " + value + "\r\n";
    head += "\r\n" + response.body;
    stream_.expires_never();
    streaming_ = true;
    auto writer = std::make_shared<SessionStream>(shared_from_this());
    stream_writer_ = writer;
    queued_bytes_ += head.size();
    QueueStreamBytes(std::move(head));
    WatchForClose();
    auto open = std::move(response.stream);
    open(std::move(writer));
  }

  void QueueStreamBytes(std::string bytes) {
    if (stream_ended_) return;
    pending_.push_back(std::move(bytes));
    if (!writing_) WriteNextChunk();
  }

  void WriteNextChunk() {
    if (pending_.empty()) {
      writing_ = false;
      if (close_after_writes_) EndStream();
      return;
    }
    writing_ = true;
    auto chunk = std::make_shared<std::string>(std::move(pending_.front()));
    pending_.pop_front();
    asio::async_write(stream_.socket(), asio::buffer(*chunk),
                      [self = shared_from_this(), chunk](beast::error_code ec, size_t) {
                        self->queued_bytes_ -= chunk->size();
                        if (ec) return self->EndStream();
                        self->WriteNextChunk();
                      });
  }

  void WatchForClose() {
    auto byte = std::make_shared<char>();
    stream_.socket().async_read_some(asio::buffer(byte.get(), 1),
                                     [self = shared_from_this(), byte](beast::error_code ec,
                                                                        size_t) {
                                       if (ec) return self->EndStream();
                                       self->WatchForClose();  // ignore what a client sends
                                     });
  }

  void CloseStreamWhenWritten() {
    close_after_writes_ = true;
    if (!writing_) EndStream();
  }

  void EndStream() {
    if (stream_ended_) return;
    stream_ended_ = true;
    if (auto writer = stream_writer_.lock()) writer->MarkClosed();
    pending_.clear();
    Finish();
  }

  class SessionStream : public Stream {
   public:
    explicit SessionStream(std::shared_ptr<Session> session) : session_(std::move(session)) {}
    bool Send(std::string bytes) override {
      if (closed_) return false;
      // A client that does not read: the stream ends rather than queueing
      // without bound (an EventSource reconnects and resumes by event id).
      if (session_->queued_bytes_.fetch_add(bytes.size()) + bytes.size() > kMaxQueuedBytes) {
        session_->queued_bytes_ -= bytes.size();
        closed_ = true;
        Close();
        return false;
      }
      asio::post(session_->stream_.get_executor(),
                 [s = session_, bytes = std::move(bytes)]() mutable {
                   s->QueueStreamBytes(std::move(bytes));
                 });
      return true;
    }
    void Close() override {
      asio::post(session_->stream_.get_executor(),
                 [s = session_] { s->CloseStreamWhenWritten(); });
    }
    bool closed() const override { return closed_; }
    void MarkClosed() { closed_ = true; }

   private:
    std::shared_ptr<Session> session_;
    std::atomic<bool> closed_{false};
  };

  void Finish() {
    boost::system::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
    std::lock_guard lock(server_->sessions_mu);
    server_->sessions.erase(shared_from_this());
  }

  beast::tcp_stream stream_;
  Server::Impl* server_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string remote_;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  // A streamed answer (Response::stream).
  bool streaming_ = false;
  bool writing_ = false;
  bool close_after_writes_ = false;
  bool stream_ended_ = false;
  std::deque<std::string> pending_;
  // Bytes sent and not yet written (pending_ and the write in flight).
  std::atomic<size_t> queued_bytes_{0};
  static constexpr size_t kMaxQueuedBytes = 8 << 20;
  std::weak_ptr<SessionStream> stream_writer_;
};

}  // namespace

void Server::Impl::Accept() {
  acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
    if (stopping) return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      auto session = std::make_shared<Session>(std::move(socket), this);
      {
        std::lock_guard lock(sessions_mu);
        sessions.insert(session);
      }
      session->Start();
    }
    Accept();
  });
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { Shutdown(); }

int Server::port() const { return impl_->port; }

Result<std::unique_ptr<Server>> Server::Start(const std::string& listen, Handler handler,
                                              ServerOptions options) {
  std::string host, port;
  if (!SplitHostPort(listen, &host, &port)) {
    return Status::FailedPrecondition("cannot listen on '" + listen +
                                      "': not HOST:PORT (for example 127.0.0.1:8083)");
  }
  auto impl = std::make_unique<Impl>();
  impl->handler = std::move(handler);
  impl->options = options;
  boost::system::error_code ec;
  tcp::resolver resolver(impl->io);
  auto results = resolver.resolve(host, port, tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    return Status::FailedPrecondition("cannot listen on " + listen + ": " + ec.message());
  }
  tcp::endpoint endpoint = results.begin()->endpoint();
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::FailedPrecondition("cannot listen on " + listen + ": " + ec.message());
  }
  impl->port = impl->acceptor.local_endpoint().port();
  impl->Accept();
  for (int i = 0; i < std::max(1, options.threads); ++i) {
    impl->threads.emplace_back([io = &impl->io] { io->run(); });
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

void Server::Shutdown() {
  if (!impl_ || impl_->threads.empty()) return;
  impl_->stopping = true;
  asio::post(impl_->io, [impl = impl_.get()] {
    boost::system::error_code ec;
    impl->acceptor.close(ec);
  });
  {
    std::lock_guard lock(impl_->sessions_mu);
    for (const auto& session : impl_->sessions) session->Close();
  }
  // Replies still owed (a long poll) hold their sessions; the io stops.
  impl_->io.stop();
  for (std::thread& t : impl_->threads) t.join();
  impl_->threads.clear();
  std::lock_guard lock(impl_->sessions_mu);
  impl_->sessions.clear();
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool BlockingWork::Run(std::function<void()> work) {
  {
    std::lock_guard lock(mu_);
    if (running_ >= max_) return false;
    ++running_;
  }
  std::thread([this, work = std::move(work)] {
    work();
    std::lock_guard lock(mu_);
    if (--running_ == 0) cv_.notify_all();
  }).detach();
  return true;
}

void BlockingWork::Drain() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return running_ == 0; });
}

std::string PercentDecode(std::string_view s, bool query) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]);
      int lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += query && s[i] == '+' ? ' ' : s[i];
  }
  return out;
}

std::string Target::Get(const std::string& key, const std::string& fallback) const {
  auto it = query.find(key);
  return it == query.end() ? fallback : it->second;
}

std::optional<int64_t> Target::Int(const std::string& key) const {
  auto it = query.find(key);
  if (it == query.end() || it->second.empty()) return std::nullopt;
  try {
    size_t used = 0;
    int64_t v = std::stoll(it->second, &used);
    if (used != it->second.size()) return std::nullopt;
    return v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

Target ParseTarget(const std::string& target) {
  Target t;
  const size_t q = target.find('?');
  std::string_view path(target.data(), q == std::string::npos ? target.size() : q);
  size_t from = 0;
  while (from <= path.size()) {
    size_t slash = path.find('/', from);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > from) t.segments.push_back(PercentDecode(path.substr(from, slash - from), false));
    from = slash + 1;
  }
  if (q != std::string::npos) {
    std::string_view query(target.data() + q + 1, target.size() - q - 1);
    size_t at = 0;
    while (at <= query.size()) {
      size_t amp = query.find('&', at);
      if (amp == std::string_view::npos) amp = query.size();
      std::string_view pair = query.substr(at, amp - at);
      if (!pair.empty()) {
        size_t eq = pair.find('=');
        std::string key = PercentDecode(pair.substr(0, eq), true);
        std::string value = eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1), true);
        t.query.emplace(std::move(key), std::move(value));
      }
      at = amp + 1;
    }
  }
  return t;
}

}  // namespace stepflow::http
