// The HTTP/1.1 listener of `stepflow server --http`: Boost.Beast on Asio, a
// few threads serving any number of keep-alive connections (each connection
// is a strand; nothing blocks a thread). A handler gets the whole request
// and answers through a Reply that may be called later, from any thread —
// the API answers writes from the engine's commit callback.
//
//   auto server = http::Server::Start("127.0.0.1:8083", handler);
//   ... (*server)->port() ...
//   (*server)->Shutdown();   // closes the listener and every connection
//
// Limits: request headers 16 KiB; a body past ServerOptions::max_body_bytes
// is refused with 413 from its Content-Length, before it is read; a
// connection idle for idle_timeout is closed.
//
// Thread-safety: Start/Shutdown from one thread; handlers run on the
// server's threads and must not block for long (hand slow work to a thread
// of their own).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/common/status.h"

namespace stepflow::http {

struct Request {
  std::string method;  // "POST"
  std::string target;  // "/" or "/path?query"
  // Header names in lower case, in the order received.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote;  // "127.0.0.1:54321"

  // The first value of header `name` (lower case), or "".
  std::string_view Header(std::string_view name) const;
};

// A streamed answer's writer (server-sent events): bytes are written in
// the order sent, as they come. Thread-safety: every method may be called
// from any thread.
class Stream {
 public:
  virtual ~Stream() = default;
  // Queues bytes for the client; false once the connection has ended.
  virtual bool Send(std::string bytes) = 0;
  // Ends the answer (the connection closes after what was queued).
  virtual void Close() = 0;
  virtual bool closed() const = 0;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When set, the answer is a stream: the status line and headers are
  // written (the body, if any, first), the connection is kept for the
  // stream alone and closed when it ends, and `stream` gets the writer.
  // The connection ending (the client gone, the server shutting down) shows
  // as Send returning false and closed() true.
  std::function<void(std::shared_ptr<Stream>)> stream;
};

// Answers a request; call it exactly once, from any thread.
using Reply = std::function<void(Response)>;
using Handler = std::function<void(Request&& request, Reply reply)>;

struct ServerOptions {
  int threads = 2;
  size_t max_body_bytes = 4 << 20;
  std::chrono::seconds idle_timeout{120};
};

class Server {
 public:
  // kFailedPrecondition when `listen` ("HOST:PORT", port 0 = the OS chooses)
  // cannot be bound.
  static Result<std::unique_ptr<Server>> Start(const std::string& listen, Handler handler,
                                               ServerOptions options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const;
  // Stops accepting, closes every connection and joins the threads.
  void Shutdown();

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Work that blocks (a long poll, a wait for an execution's end) on threads
// of its own, so no listener thread waits: at most `max` at once.
// Thread-safety: every method may be called from any thread.
class BlockingWork {
 public:
  explicit BlockingWork(int max) : max_(max) {}
  ~BlockingWork() { Drain(); }
  BlockingWork(const BlockingWork&) = delete;
  BlockingWork& operator=(const BlockingWork&) = delete;

  // Runs `work` on a new thread; false (and `work` is dropped) when `max`
  // run already.
  bool Run(std::function<void()> work);
  // Waits until every work started has returned.
  void Drain();

 private:
  const int max_;
  std::mutex mu_;
  std::condition_variable cv_;
  int running_ = 0;
};

// Percent-decoding ("+" is a space in a query, not in a path).
std::string PercentDecode(std::string_view s, bool query);

// A request target taken apart: "/api/executions/a%3Ab?limit=5".
struct Target {
  std::vector<std::string> segments;         // decoded, without empty ones
  std::map<std::string, std::string> query;  // decoded; the first of a repeated key

  std::string Get(const std::string& key, const std::string& fallback = "") const;
  // nullopt when absent, empty or not an integer.
  std::optional<int64_t> Int(const std::string& key) const;
};
Target ParseTarget(const std::string& target);

// Splits "HOST:PORT" ("[::1]:80" too); false when it is not that.
bool SplitHostPort(const std::string& address, std::string* host, std::string* port);
// Whether `host` names the loopback interface (127.0.0.0/8, ::1, localhost).
bool IsLoopbackHost(const std::string& host);

}  // namespace stepflow::http
