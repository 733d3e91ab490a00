// Child processes and temporary directories for tests (POSIX, header-only).
//
//   Process       spawns argv (PATH is searched when argv[0] has no '/'),
//                 with optional environment additions, its stdout on a pipe
//                 the test reads line by line with timeouts, stderr inherited
//                 or sent to a file, stdin /dev/null or a pipe. The destructor
//                 sends SIGKILL (if the child was not reaped yet) and reaps,
//                 so a failing test never leaks a process.
//   RunCommand    runs argv to completion with `stdin_text`, collecting stdout
//                 and stderr; SIGKILLs it after `timeout`.
//   TempDir       a fresh directory under temp_directory_path(), removed with
//                 everything in it on destruction.
//
// Every wait is bounded by a timeout. Spawning uses posix_spawn, which is
// safe in multi-threaded test programs (gRPC threads); every descriptor this
// header opens is close-on-exec, so one child never holds another's pipe.
// Errors starting a process throw std::runtime_error (Catch reports it).
//
// Thread-safety: none; use one object from one thread.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace stepflow::testing {

using namespace std::chrono_literals;

struct SpawnOptions {
  // Added to (or replacing in) the parent's environment.
  std::vector<std::pair<std::string, std::string>> env;
  // Where stderr goes: empty → inherited from the test; otherwise this file
  // (created or appended to).
  std::string stderr_path;
  bool capture_stderr = false;  // stderr on a pipe instead (ReadStderr...)
  bool pipe_stdin = false;      // stdin on a pipe (WriteStdin); else /dev/null
  std::string working_dir;      // empty → the test's working directory
};

// How a child ended: exit code, or the signal that killed it.
struct ExitStatus {
  int code = -1;   // exit code when exited normally, else -1
  int signal = 0;  // the terminating signal, else 0
  bool Exited() const { return signal == 0; }
  bool operator==(const ExitStatus&) const = default;
};

namespace internal {

inline void ClosePipe(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

inline std::chrono::milliseconds Remaining(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() < 0 ? 0ms : left;
}

inline ExitStatus DecodeWaitStatus(int status) {
  ExitStatus s;
  if (WIFEXITED(status)) s.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) s.signal = WTERMSIG(status);
  return s;
}

// Reads what is available from `fd` into `buffer` (waiting up to `wait`).
// Returns false at EOF or on error (fd is then closed and set to -1).
inline bool ReadSome(int& fd, std::string& buffer, std::chrono::milliseconds wait) {
  if (fd < 0) return false;
  pollfd p{fd, POLLIN, 0};
  int r = ::poll(&p, 1, static_cast<int>(wait.count()));
  if (r < 0 && errno == EINTR) return true;
  if (r <= 0) return true;  // timeout: still open
  char chunk[65536];
  ssize_t n = ::read(fd, chunk, sizeof chunk);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) {
    ClosePipe(fd);
    return false;
  }
  buffer.append(chunk, static_cast<size_t>(n));
  return true;
}

inline void MakePipe(int fds[2]) {
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  }
}

}  // namespace internal

class Process {
 public:
  explicit Process(std::vector<std::string> argv, SpawnOptions options = {}) {
    if (argv.empty()) throw std::runtime_error("Process: empty argv");
    int out[2], err[2] = {-1, -1}, in[2] = {-1, -1};
    internal::MakePipe(out);
    if (options.capture_stderr) internal::MakePipe(err);
    if (options.pipe_stdin) internal::MakePipe(in);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (options.pipe_stdin) {
      posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    } else {
      posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    }
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    if (options.capture_stderr) {
      posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    } else if (!options.stderr_path.empty()) {
      posix_spawn_file_actions_addopen(&actions, 2, options.stderr_path.c_str(),
                                       O_WRONLY | O_CREAT | O_APPEND, 0644);
    }
    if (!options.working_dir.empty()) {
      posix_spawn_file_actions_addchdir_np(&actions, options.working_dir.c_str());
    }

    // Child environment: the parent's, with options.env replacing or adding.
    std::vector<std::string> env_strings;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      std::string entry = *e;
      std::string name = entry.substr(0, entry.find('='));
      bool replaced = false;
      for (const auto& [k, v] : options.env) replaced = replaced || k == name;
      if (!replaced) env_strings.push_back(std::move(entry));
    }
    for (const auto& [k, v] : options.env) env_strings.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);

    pid_t pid = -1;
    const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    internal::ClosePipe(out[1]);
    internal::ClosePipe(err[1]);
    internal::ClosePipe(in[0]);
    stdout_fd_ = out[0];
    stderr_fd_ = err[0];
    stdin_fd_ = in[1];
    if (rc != 0) {
      CloseAll();
      throw std::runtime_error("cannot start '" + argv[0] + "': " + std::strerror(rc));
    }
    pid_ = pid;
  }

  ~Process() {
    if (!reaped_ && pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
    CloseAll();
  }

  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }

  // The next stdout line (without '\n'); nullopt on timeout or at EOF with
  // nothing left (a last line without '\n' is returned at EOF).
  std::optional<std::string> ReadLine(std::chrono::milliseconds timeout) {
    return ReadLineFrom(stdout_fd_, stdout_buffer_, timeout);
  }
  std::optional<std::string> ReadStderrLine(std::chrono::milliseconds timeout) {
    return ReadLineFrom(stderr_fd_, stderr_buffer_, timeout);
  }

  // Reads stdout lines until one is "PORT <n>" and returns n; nullopt on
  // timeout or EOF. Other lines are skipped.
  std::optional<int> ReadPortLine(std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto line = ReadLine(internal::Remaining(deadline));
      if (!line) return std::nullopt;
      if (line->rfind("PORT ", 0) == 0) {
        try {
          size_t used = 0;
          int port = std::stoi(line->substr(5), &used);
          if (used == line->size() - 5 && port > 0 && port < 65536) return port;
        } catch (const std::exception&) {
        }
      }
    }
  }

  // All remaining stdout until EOF or the timeout (whatever arrived).
  std::string ReadAll(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (stdout_fd_ >= 0 && std::chrono::steady_clock::now() < deadline) {
      internal::ReadSome(stdout_fd_, stdout_buffer_, internal::Remaining(deadline));
    }
    return std::exchange(stdout_buffer_, {});
  }

  // Writes all of `text` to the child's stdin (requires pipe_stdin); false if
  // the child closed it.
  bool WriteStdin(std::string_view text) {
    while (!text.empty() && stdin_fd_ >= 0) {
      ssize_t n = ::write(stdin_fd_, text.data(), text.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      text.remove_prefix(static_cast<size_t>(n));
    }
    return text.empty();
  }
  void CloseStdin() { internal::ClosePipe(stdin_fd_); }

  // Sends `signal`; false if the child was already reaped or kill failed.
  bool Kill(int signal = SIGKILL) {
    if (reaped_ || pid_ <= 0) return false;
    return ::kill(pid_, signal) == 0;
  }

  // Waits up to `timeout` for the child to end and reaps it; nullopt if it
  // is still running. Once reaped, returns the same status again.
  std::optional<ExitStatus> Wait(std::chrono::milliseconds timeout = 10s) {
    if (reaped_) return exit_status_;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto sleep = 1ms;
    for (;;) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        reaped_ = true;
        exit_status_ = internal::DecodeWaitStatus(status);
        return exit_status_;
      }
      if (r < 0 && errno != EINTR) {
        throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
      }
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(
          std::min<std::chrono::milliseconds>(sleep, std::max(internal::Remaining(deadline), 1ms)));
      sleep = std::min<std::chrono::milliseconds>(sleep * 2, 20ms);
    }
  }

  // True while the child has not ended (reaps it if it has).
  bool Running() { return !Wait(0ms).has_value(); }

  // SIGTERM, wait up to `grace`, then SIGKILL; returns how it ended.
  ExitStatus Stop(std::chrono::milliseconds grace = 5s) {
    Kill(SIGTERM);
    if (auto s = Wait(grace)) return *s;
    Kill(SIGKILL);
    if (auto s = Wait(10s)) return *s;
    throw std::runtime_error("process " + std::to_string(pid_) + " survived SIGKILL for 10 s");
  }

  // For RunCommand: raw descriptors and buffers.
  int& stdout_fd() { return stdout_fd_; }
  int& stderr_fd() { return stderr_fd_; }
  int& stdin_fd() { return stdin_fd_; }
  std::string& stdout_buffer() { return stdout_buffer_; }
  std::string& stderr_buffer() { return stderr_buffer_; }

 private:
  static std::optional<std::string> ReadLineFrom(int& fd, std::string& buffer,
                                                 std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const size_t newline = buffer.find('\n');
      if (newline != std::string::npos) {
        std::string line = buffer.substr(0, newline);
        buffer.erase(0, newline + 1);
        return line;
      }
      if (fd < 0) {
        if (buffer.empty()) return std::nullopt;
        return std::exchange(buffer, {});
      }
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      internal::ReadSome(fd, buffer, internal::Remaining(deadline));
    }
  }

  void CloseAll() {
    internal::ClosePipe(stdout_fd_);
    internal::ClosePipe(stderr_fd_);
    internal::ClosePipe(stdin_fd_);
  }

  pid_t pid_ = -1;
  bool reaped_ = false;
  ExitStatus exit_status_;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  int stdin_fd_ = -1;
  std::string stdout_buffer_;
  std::string stderr_buffer_;
};

struct CommandResult {
  int exit_code = -1;  // -1 when killed by a signal (see signal) or timed out
  int signal = 0;
  bool timed_out = false;  // killed with SIGKILL after `timeout`
  std::string out;
  std::string err;
};

// Runs argv to completion: feeds `stdin_text` and collects stdout and stderr
// concurrently (no pipe deadlock); SIGKILLs the child after `timeout`.
inline CommandResult RunCommand(std::vector<std::string> argv, const std::string& stdin_text = {},
                                std::chrono::milliseconds timeout = 60s,
                                std::vector<std::pair<std::string, std::string>> env = {}) {
  SpawnOptions options;
  options.env = std::move(env);
  options.capture_stderr = true;
  options.pipe_stdin = true;
  Process p(std::move(argv), options);
  ::fcntl(p.stdin_fd(), F_SETFL, ::fcntl(p.stdin_fd(), F_GETFL) | O_NONBLOCK);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t written = 0;
  if (stdin_text.empty()) p.CloseStdin();
  CommandResult result;
  while (p.stdout_fd() >= 0 || p.stderr_fd() >= 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      result.timed_out = true;
      break;
    }
    pollfd fds[3];
    int n = 0;
    int out_i = -1, err_i = -1, in_i = -1;
    if (p.stdout_fd() >= 0) fds[out_i = n++] = {p.stdout_fd(), POLLIN, 0};
    if (p.stderr_fd() >= 0) fds[err_i = n++] = {p.stderr_fd(), POLLIN, 0};
    if (p.stdin_fd() >= 0) fds[in_i = n++] = {p.stdin_fd(), POLLOUT, 0};
    int r = ::poll(fds, n,
                   static_cast<int>(std::min<int64_t>(internal::Remaining(deadline).count(), 100)));
    if (r < 0 && errno != EINTR) break;
    if (r <= 0) continue;
    if (out_i >= 0 && fds[out_i].revents) internal::ReadSome(p.stdout_fd(), p.stdout_buffer(), 0ms);
    if (err_i >= 0 && fds[err_i].revents) internal::ReadSome(p.stderr_fd(), p.stderr_buffer(), 0ms);
    if (in_i >= 0 && fds[in_i].revents) {
      if (fds[in_i].revents & (POLLERR | POLLHUP)) {
        p.CloseStdin();
      } else {
        ssize_t w = ::write(p.stdin_fd(), stdin_text.data() + written, stdin_text.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == stdin_text.size()) {
          p.CloseStdin();
        }
      }
    }
  }
  p.CloseStdin();
  std::optional<ExitStatus> status;
  if (!result.timed_out) status = p.Wait(internal::Remaining(deadline));
  if (!status) {
    result.timed_out = true;
    p.Kill(SIGKILL);
    status = p.Wait(10s);
  }
  if (status) {
    result.exit_code = status->code;
    result.signal = status->signal;
  }
  result.out = std::move(p.stdout_buffer());
  result.err = std::move(p.stderr_buffer());
  return result;
}

// A fresh, empty directory, removed recursively on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "stepflow-test") {
    std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp(" + pattern + "): " + std::strerror(errno));
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // path() / name, as a string.
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace stepflow::testing
