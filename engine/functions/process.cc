#include "engine/functions/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

extern char** environ;

namespace stepflow::functions {
namespace {

// Pipe ends land at fd >= 10, so that dup2 onto 0-4 in the child never meets
// an fd that is already its own target (which would keep FD_CLOEXEC set).
constexpr int kLowestFd = 10;

struct Pipe {
  int read = -1, write = -1;
};

Status MakePipe(Pipe& p) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Status::Internal(std::string("pipe: ") + std::strerror(errno));
  for (int i = 0; i < 2; ++i) {
    int moved = ::fcntl(fds[i], F_DUPFD_CLOEXEC, kLowestFd);
    ::close(fds[i]);
    fds[i] = moved;
  }
  if (fds[0] < 0 || fds[1] < 0) {
    if (fds[0] >= 0) ::close(fds[0]);
    if (fds[1] >= 0) ::close(fds[1]);
    return Status::Internal(std::string("fcntl: ") + std::strerror(errno));
  }
  p = {fds[0], fds[1]};
  return Status::Ok();
}

void SetNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// argv and envp for posix_spawn, owning their strings.
struct CStrings {
  std::vector<std::string> storage;
  std::vector<char*> pointers;
  explicit CStrings(std::vector<std::string> s) : storage(std::move(s)) {
    for (std::string& x : storage) pointers.push_back(x.data());
    pointers.push_back(nullptr);
  }
  char** get() { return pointers.data(); }
};

CStrings EnvStrings(const Environment& env) {
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return CStrings(std::move(out));
}

// Spawns argv with the given fd mapping (child fd -> parent fd) in `cwd`,
// in a new process group.
Result<pid_t> Spawn(const std::vector<std::string>& argv, const std::string& cwd,
                    const Environment& env, const std::vector<std::pair<int, int>>& fds) {
  std::string program = argv.at(0);
  if (program.find('/') == std::string::npos) {
    program = FindInPath(program);
    if (program.empty()) return Status::Internal("'" + argv[0] + "' is not installed (not in PATH)");
  }
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  for (const auto& [child, parent] : fds) posix_spawn_file_actions_adddup2(&actions, parent, child);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
                                      POSIX_SPAWN_SETSIGMASK);
  CStrings args(argv);
  CStrings envp = EnvStrings(env);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, program.c_str(), &actions, &attr, args.get(), envp.get());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return Status::Internal("cannot start " + program + ": " + std::strerror(rc));
  return pid;
}

}  // namespace

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

void Spawned::CloseAll() {
  for (int* fd : {&request_fd, &response_fd, &stdout_fd, &stderr_fd}) CloseFd(*fd);
}

Environment InheritedEnvironment() {
  Environment env;
  for (char** e = environ; e && *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq) env.emplace(std::string(*e, static_cast<size_t>(eq - *e)), std::string(eq + 1));
  }
  return env;
}

std::string FindInPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

std::string DescribeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) return "exit code " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) {
    const int sig = WTERMSIG(wait_status);
    const char* name = sigabbrev_np(sig);
    return "killed by signal " + std::to_string(sig) + (name ? std::string(" (SIG") + name + ")" : "");
  }
  return "ended (status " + std::to_string(wait_status) + ")";
}

bool CommandResult::ok() const {
  return !timed_out && WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
}

std::string CommandResult::Describe() const {
  return timed_out ? "timed out" : DescribeWaitStatus(wait_status);
}

Result<CommandResult> RunCommand(const std::vector<std::string>& argv, const std::string& cwd,
                                 const Environment& env, std::chrono::milliseconds timeout,
                                 size_t max_output) {
  Pipe out;
  STEPFLOW_RETURN_IF_ERROR(MakePipe(out));
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  Result<pid_t> pid = Spawn(argv, cwd, env, {{0, null_fd}, {1, out.write}, {2, out.write}});
  CloseFd(null_fd);
  CloseFd(out.write);
  if (!pid.ok()) {
    CloseFd(out.read);
    return pid.status();
  }
  CommandResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[8192];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(-*pid, SIGKILL);
      result.timed_out = true;
      break;
    }
    pollfd p{out.read, POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    const ssize_t got = ::read(out.read, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // every writer closed: the command (and its children) ended
    result.output.append(buf, static_cast<size_t>(got));
    if (result.output.size() > 2 * max_output) {
      result.output.erase(0, result.output.size() - max_output);
    }
  }
  CloseFd(out.read);
  // The group may hold children that outlived the command.
  ::kill(-*pid, SIGKILL);
  while (::waitpid(*pid, &result.wait_status, 0) < 0 && errno == EINTR) {
  }
  if (result.output.size() > max_output) {
    result.output = "..." + result.output.substr(result.output.size() - max_output);
  }
  return result;
}

Result<Spawned> SpawnWithChannel(const std::vector<std::string>& argv, const std::string& cwd,
                                 const Environment& env) {
  Pipe request, response, out, err;
  Status st = MakePipe(request);
  if (st.ok()) st = MakePipe(response);
  if (st.ok()) st = MakePipe(out);
  if (st.ok()) st = MakePipe(err);
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  Result<pid_t> pid =
      st.ok() ? Spawn(argv, cwd, env,
                      {{0, null_fd}, {1, out.write}, {2, err.write}, {3, request.read},
                       {4, response.write}})
              : Result<pid_t>(st);
  CloseFd(null_fd);
  CloseFd(request.read);
  CloseFd(response.write);
  CloseFd(out.write);
  CloseFd(err.write);
  Spawned s{pid.ok() ? *pid : -1, request.write, response.read, out.read, err.read};
  if (!pid.ok()) {
    s.CloseAll();
    return pid.status();
  }
  for (int fd : {s.request_fd, s.response_fd, s.stdout_fd, s.stderr_fd}) SetNonBlocking(fd);
  return s;
}

}  // namespace stepflow::functions
