// Deployed functions, measured (bench/README.md, "Deployed functions"):
//
//   cold     from no instance to the handler's first answer (environment
//            built), Python and Node: keep-warm 0, so every call starts one
//   warm     engine → instance → engine round trip of an empty handler,
//            beside the same call to a gRPC Python worker (the SDK's) in the
//            same run
//   map      1,000 calls of a Python function sleeping 20 ms with
//            max-instances 8 (a Map's fan-out): wall time against the ideal
//            1,000 × 20 ms / 8, then the pool back to min-instances after
//            keep-warm
//   redeploy unchanged code (and a second function with the same
//            requirements: environment reused, no build)
//
//   build/bench/stepflow_functions_bench [DATA_DIR]   (STEPFLOW_BENCH_ONLY=cold|warm|map|redeploy)
//
// The gRPC worker needs build/python (the SDK and stubs): set
// STEPFLOW_PYTHON_PATH or run from the build's parent folder.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "engine/functions/catalog.h"
#include "engine/functions/deployer.h"
#include "engine/functions/environments.h"
#include "engine/functions/local_invoker.h"
#include "engine/functions/process.h"
#include "engine/functions/routing_invoker.h"
#include "engine/rpc/grpc_invoker.h"
#include "engine/store/memory_store.h"

namespace {

namespace fs = std::filesystem;
using namespace stepflow;
using namespace stepflow::functions;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

bool Wanted(const char* part) {
  const char* only = std::getenv("STEPFLOW_BENCH_ONLY");
  return only == nullptr || *only == '\0' || std::string(only) == part;
}

struct Platform {
  std::string dir;
  std::unique_ptr<store::Store> store = store::NewMemoryStore();
  Catalog catalog{store.get()};
  Environments environments{dir};
  std::unique_ptr<LocalInvoker> local;
  std::unique_ptr<Deployer> deployer;
  rpc::GrpcInvoker grpc;
  std::unique_ptr<RoutingInvoker> routing;
  int64_t calls = 0;

  explicit Platform(std::string data_dir) : dir(std::move(data_dir)), environments(dir) {
    LocalInvoker::Options o;
    o.data_dir = dir;
    o.store = store.get();
    local = std::make_unique<LocalInvoker>(o);
    deployer = std::make_unique<Deployer>(store.get(), &catalog, local.get(), &environments,
                                          [] { return int64_t{0}; });
    routing = std::make_unique<RoutingInvoker>(&catalog, &grpc, local.get());
  }

  Result<DeployResult> Deploy(const std::string& name, PackageFiles files, DeployRequest r = {}) {
    r.name = name;
    r.files = std::move(files);
    return deployer->Deploy(std::move(r));
  }

  runtime::TaskOutcome Call(const std::string& function, const std::string& input = "{}") {
    runtime::TaskRequest req;
    req.function = function;
    req.input_json = input;
    req.idempotency_key = "bench/" + std::to_string(++calls);
    req.execution_id = "bench";
    req.timeout = 60s;
    std::promise<runtime::TaskOutcome> p;
    auto f = p.get_future();
    routing->Invoke(req, [&p](runtime::TaskOutcome o) { p.set_value(std::move(o)); });
    return f.get();
  }
};

PackageFiles Files(std::vector<std::pair<std::string, std::string>> files) {
  PackageFiles out;
  for (auto& [path, content] : files) out.push_back({path, false, content});
  return out;
}

void Check(const Result<DeployResult>& r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "deploy %s failed: %s\n", what, r.status().message().c_str());
    std::exit(1);
  }
}

void ReportLatencies(const char* name, const std::vector<double>& ms, const char* target) {
  std::printf("%-52s p50 %7.3f ms  p99 %7.3f ms  (n=%zu; target %s)\n", name, Percentile(ms, 0.5),
              Percentile(ms, 0.99), ms.size(), target);
}

void Cold(Platform& p) {
  DeployRequest cold;
  cold.keep_warm_s = 0;  // every instance stops once idle: each call starts one
  Check(p.Deploy("cold_py", Files({{"handler.py", "def handler(e, c):\n    return None\n"}}), cold), "cold_py");
  Check(p.Deploy("cold_js", Files({{"index.js", "exports.handler = async () => null;\n"}}), cold), "cold_js");
  for (const char* fn : {"cold_py", "cold_js"}) {
    std::vector<double> ms;
    for (int i = 0; i < 30; ++i) {
      // Wait until the previous instance is gone.
      for (int w = 0; w < 200; ++w) {
        PoolStats s = p.local->Stats(fn, 1);
        if (s.idle + s.busy + s.starting == 0) break;
        std::this_thread::sleep_for(5ms);
      }
      const auto start = Clock::now();
      runtime::TaskOutcome o = p.Call(fn);
      ms.push_back(Ms(Clock::now() - start));
      if (!o.ok) std::fprintf(stderr, "%s: %s %s\n", fn, o.error.c_str(), o.cause.c_str());
    }
    ReportLatencies((std::string("cold start, ") + (fn[5] == 'p' ? "Python" : "Node") +
                     " (no instance → first answer)").c_str(),
                    ms, "p50 <= 100 ms");
  }
}

// A gRPC Python worker (the SDK) serving "empty" on an OS-chosen port.
struct PythonWorker {
  pid_t pid = -1;
  int port = 0;
  PythonWorker() {
    const char* path_env = std::getenv("STEPFLOW_PYTHON_PATH");
    const std::string path = path_env ? path_env : "build/python";
    const std::string script =
        "import sys\n"
        "from stepflow_worker import Worker\n"
        "w = Worker()\n"
        "w.register('empty', lambda inp, ctx: None)\n"
        "w.run('127.0.0.1:0')\n";
    int out[2];
    if (::pipe(out) != 0) return;
    pid = ::fork();
    if (pid == 0) {
      ::dup2(out[1], 1);
      ::close(out[0]);
      ::setenv("PYTHONPATH", path.c_str(), 1);
      ::execl("/usr/bin/python3", "python3", "-c", script.c_str(), nullptr);
      ::_exit(127);
    }
    ::close(out[1]);
    std::string text;
    char buf[256];
    ssize_t n;
    while (text.find('\n') == std::string::npos && (n = ::read(out[0], buf, sizeof buf)) > 0) {
      text.append(buf, static_cast<size_t>(n));
    }
    ::close(out[0]);
    if (text.rfind("PORT ", 0) == 0) port = std::atoi(text.c_str() + 5);
  }
  ~PythonWorker() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

void Warm(Platform& p) {
  Check(p.Deploy("empty_py", Files({{"handler.py", "def handler(e, c):\n    return None\n"}})), "empty_py");
  Check(p.Deploy("empty_js", Files({{"index.js", "exports.handler = async () => null;\n"}})), "empty_js");
  PythonWorker worker;
  std::vector<std::pair<std::string, std::string>> targets = {{"empty_py", "deployed Python"},
                                                              {"empty_js", "deployed Node"}};
  if (worker.port > 0) {
    targets.push_back({"grpc://127.0.0.1:" + std::to_string(worker.port) + "/empty",
                       "gRPC Python worker (SDK)"});
  } else {
    std::fprintf(stderr, "the gRPC Python worker did not start (set STEPFLOW_PYTHON_PATH)\n");
  }
  for (const auto& [fn, label] : targets) {
    for (int i = 0; i < 200; ++i) p.Call(fn);  // warm up
    std::vector<double> ms;
    for (int i = 0; i < 3000; ++i) {
      const auto start = Clock::now();
      runtime::TaskOutcome o = p.Call(fn);
      ms.push_back(Ms(Clock::now() - start));
      if (!o.ok) {
        std::fprintf(stderr, "%s: %s %s\n", fn.c_str(), o.error.c_str(), o.cause.c_str());
        break;
      }
    }
    ReportLatencies(("warm call, empty handler: " + label).c_str(), ms,
                    "p50 <= 0.3 ms, p99 <= 1 ms");
  }
}

void Map(Platform& p) {
  DeployRequest r;
  r.max_instances = 8;
  r.keep_warm_s = 2;
  Check(p.Deploy("sleepy", Files({{"handler.py", "import time\ndef handler(e, c):\n    time.sleep(0.02)\n    return e\n"}}), r),
        "sleepy");
  const int n = 1000;
  std::vector<std::shared_ptr<std::promise<runtime::TaskOutcome>>> promises;
  const auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    auto pr = std::make_shared<std::promise<runtime::TaskOutcome>>();
    promises.push_back(pr);
    runtime::TaskRequest req;
    req.function = "sleepy";
    req.input_json = std::to_string(i);
    req.idempotency_key = "map/" + std::to_string(i);
    req.timeout = 120s;
    p.routing->Invoke(req, [pr](runtime::TaskOutcome o) { pr->set_value(std::move(o)); });
  }
  int failed = 0;
  for (auto& pr : promises) failed += pr->get_future().get().ok ? 0 : 1;
  const double wall = Ms(Clock::now() - start);
  const double ideal = n * 20.0 / 8;
  PoolStats s = p.local->Stats("sleepy", 1);
  std::printf("%-52s %8.0f ms, ideal %.0f ms: %.2fx (target <= 1.3x); %lld instances started, %d failed\n",
              "Map of 1,000 x 20 ms, max-instances 8", wall, ideal, wall / ideal,
              static_cast<long long>(s.started_total), failed);
  const auto idle_start = Clock::now();
  for (int w = 0; w < 1000; ++w) {
    s = p.local->Stats("sleepy", 1);
    if (s.idle + s.busy + s.starting == 0) break;
    std::this_thread::sleep_for(10ms);
  }
  std::printf("%-52s %8.0f ms after the last call (keep-warm 2 s, min-instances 0): %lld left\n",
              "  back to min-instances", Ms(Clock::now() - idle_start),
              static_cast<long long>(s.idle + s.busy + s.starting));
}

void Redeploy(Platform& p) {
  const std::string lib = "from setuptools import setup\nsetup(name='benchlib', version='1.0', packages=['benchlib'])\n";
  auto files = [&](const std::string& handler) {
    return Files({{"handler.py", handler},
                  {"requirements.txt", "./libs/benchlib\n"},
                  {"libs/benchlib/setup.py", lib},
                  {"libs/benchlib/benchlib/__init__.py", "def answer():\n    return 42\n"}});
  };
  const std::string h1 = "import benchlib\ndef handler(e, c):\n    return benchlib.answer()\n";
  auto t0 = Clock::now();
  Result<DeployResult> first = p.Deploy("redeploy_a", files(h1));
  Check(first, "redeploy_a");
  std::printf("%-52s %8.0f ms (environment built in %lld ms)\n", "first deploy, local-package requirement",
              Ms(Clock::now() - t0), static_cast<long long>(first->environment_build_ms));
  t0 = Clock::now();
  Result<DeployResult> same = p.Deploy("redeploy_a", files(h1));
  Check(same, "redeploy_a again");
  std::printf("%-52s %8.1f ms (unchanged: %s)\n", "redeploy, unchanged code", Ms(Clock::now() - t0),
              same->version.unchanged ? "yes" : "no");
  t0 = Clock::now();
  Result<DeployResult> changed = p.Deploy("redeploy_a", files(h1 + "# changed\n"));
  Check(changed, "redeploy_a changed");
  std::printf("%-52s %8.1f ms (version %lld, environment reused: %s)\n",
              "redeploy, changed code, same requirements", Ms(Clock::now() - t0),
              static_cast<long long>(changed->version.version), changed->environment_reused ? "yes" : "no");
  t0 = Clock::now();
  Result<DeployResult> second = p.Deploy("redeploy_b", files("import benchlib\ndef handler(e, c):\n    return 1\n"));
  Check(second, "redeploy_b");
  std::printf("%-52s %8.1f ms (environment reused: %s)\n", "second function, same requirements",
              Ms(Clock::now() - t0), second->environment_reused ? "yes" : "no");
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1]
                             : (fs::temp_directory_path() / ("stepflow-functions-bench-" + std::to_string(::getpid()))).string();
  dir = fs::absolute(dir).string();
  fs::create_directories(dir);
  {
    Platform p(dir);
    std::printf("sandbox: %s\n", p.local->SandboxUnavailable().empty() ? "bubblewrap" : p.local->SandboxUnavailable().c_str());
    if (Wanted("cold")) Cold(p);
    if (Wanted("warm")) Warm(p);
    if (Wanted("map")) Map(p);
    if (Wanted("redeploy")) Redeploy(p);
  }
  if (argc <= 1) {
    std::error_code ec;
    for (auto& e : fs::recursive_directory_iterator(dir, ec)) {
      fs::permissions(e.path(), fs::perms::owner_all, fs::perm_options::add, ec);
    }
    fs::remove_all(dir, ec);
  }
  return 0;
}
