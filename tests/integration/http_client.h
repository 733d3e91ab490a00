// A plain HTTP/1.1 client for the integration tests: one request per
// connection to 127.0.0.1, bounded waits.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

namespace stepflow::itest {

struct HttpAnswer {
  int status = 0;
  std::string head;  // the status line and headers, lower-cased names kept as sent
  std::string body;
  std::string Header(const std::string& name) const {
    std::string lower_head = head;
    for (char& c : lower_head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t at = lower_head.find("\r\n" + name + ":");
    if (at == std::string::npos) return "";
    size_t start = at + 2 + name.size() + 1;
    size_t end = head.find("\r\n", start);
    std::string value = head.substr(start, end - start);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    return value;
  }
};

// A socket to 127.0.0.1:port, closed by the destructor.
class Connection {
 public:
  explicit Connection(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~Connection() { close(fd_); }
  void Send(const std::string& bytes) {
    REQUIRE(send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(bytes.size()));
  }
  // Reads what arrives within `timeout`; "" once the peer closed.
  std::string Read(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return "";
    char buffer[65536];
    ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) {
      closed_ = true;
      return "";
    }
    return std::string(buffer, static_cast<size_t>(n));
  }
  bool closed() const { return closed_; }

 private:
  int fd_ = -1;
  bool closed_ = false;
};

inline HttpAnswer Request(int port, const std::string& method, const std::string& target,
                   const std::vector<std::string>& headers = {}, const std::string& body = "",
                   const std::string& host = "") {
  Connection c(port);
  std::string request =
      method + " " + target +
      " HTTP/1.1\r\nHost: " + (host.empty() ? "127.0.0.1:" + std::to_string(port) : host) +
      "\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  for (const auto& h : headers) request += h + "\r\n";
  request += "\r\n" + body;
  c.Send(request);
  std::string all;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!c.closed() && std::chrono::steady_clock::now() < deadline) all += c.Read(std::chrono::milliseconds(200));
  HttpAnswer a;
  size_t split = all.find("\r\n\r\n");
  REQUIRE(split != std::string::npos);
  a.head = all.substr(0, split);
  a.body = all.substr(split + 4);
  a.status = std::stoi(a.head.substr(9, 3));
  return a;
}

}  // namespace stepflow::itest
