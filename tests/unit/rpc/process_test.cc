// tests/support/process.h, which the engine's system tests build on.
#include "tests/support/process.h"

#include <catch2/catch.hpp>
#include <fstream>

namespace stepflow::testing {
namespace {

TEST_CASE("RunCommand feeds stdin and collects stdout, stderr and the exit code",
          "[support][process]") {
  CommandResult r = RunCommand({"sh", "-c", "cat; echo oops >&2; exit 3"}, "hello\nworld\n", 30s);
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code == 3);
  CHECK(r.signal == 0);
  CHECK(r.out == "hello\nworld\n");
  CHECK(r.err == "oops\n");
}

TEST_CASE("RunCommand handles output larger than a pipe buffer", "[support][process]") {
  const std::string input(1 << 20, 'a');
  CommandResult r = RunCommand({"cat"}, input, 30s);
  CHECK(r.exit_code == 0);
  CHECK(r.out.size() == input.size());
}

TEST_CASE("RunCommand kills a command past its timeout", "[support][process]") {
  CommandResult r = RunCommand({"sleep", "30"}, "", 200ms);
  CHECK(r.timed_out);
  CHECK(r.signal == SIGKILL);
}

TEST_CASE("RunCommand passes environment additions", "[support][process]") {
  CommandResult r = RunCommand({"sh", "-c", "echo $STEPFLOW_X"}, "", 30s, {{"STEPFLOW_X", "42"}});
  CHECK(r.out == "42\n");
}

TEST_CASE("RunCommand reports a missing program", "[support][process]") {
  CHECK_THROWS(RunCommand({"/nonexistent/program"}, "", 5s));
}

TEST_CASE("Process reads lines with timeouts and reports how the child ended",
          "[support][process]") {
  Process p({"sh", "-c", "echo first; echo PORT 1234; exec sleep 30"});
  CHECK(p.ReadLine(10s) == "first");
  CHECK(p.ReadPortLine(10s) == 1234);
  CHECK_FALSE(p.ReadLine(50ms).has_value());  // nothing more yet: times out
  CHECK(p.Running());
  CHECK_FALSE(p.Wait(10ms).has_value());
  REQUIRE(p.Kill(SIGTERM));
  auto status = p.Wait(10s);
  REQUIRE(status.has_value());
  CHECK(status->signal == SIGTERM);
  CHECK_FALSE(status->Exited());
  CHECK_FALSE(p.Kill());  // already reaped: never signals a reused pid
  CHECK(p.Wait(0ms) == status);
}

TEST_CASE("Process returns a last line without newline at EOF", "[support][process]") {
  Process p({"printf", "a\\nb"});
  CHECK(p.ReadLine(10s) == "a");
  CHECK(p.ReadLine(10s) == "b");
  CHECK_FALSE(p.ReadLine(10s).has_value());
  CHECK(p.Wait(10s) == ExitStatus{0, 0});
}

TEST_CASE("Process sends stderr to a file and runs in a chosen directory", "[support][process]") {
  TempDir dir;
  SpawnOptions options;
  options.stderr_path = dir.File("err.txt");
  options.working_dir = dir.path().string();
  Process p({"sh", "-c", "pwd; echo bad >&2"}, options);
  CHECK(p.ReadAll(10s) == dir.path().string() + "\n");
  CHECK(p.Wait(10s) == ExitStatus{0, 0});
  std::ifstream err(dir.File("err.txt"));
  std::string line;
  std::getline(err, line);
  CHECK(line == "bad");
}

TEST_CASE("Process destructor kills and reaps a running child", "[support][process]") {
  pid_t pid = 0;
  {
    Process p({"sleep", "30"});
    pid = p.pid();
    REQUIRE(pid > 0);
  }
  CHECK(::kill(pid, 0) != 0);  // gone and reaped (no zombie left to signal)
}

TEST_CASE("TempDir creates a fresh directory and removes it", "[support][tempdir]") {
  std::filesystem::path path;
  {
    TempDir a, b;
    CHECK(a.path() != b.path());
    CHECK(std::filesystem::is_directory(a.path()));
    std::filesystem::create_directories(a.path() / "x" / "y");
    std::ofstream(a.File("x/y/z.txt")) << "data";
    path = a.path();
  }
  CHECK_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace stepflow::testing
