// The trigger scheduler under load (docs/triggers.md): 10,000 schedules in
// a SQLite database, fired by the scheduler on the real clock into a real
// executor (a Pass machine, so the engine's own cost is what is measured).
//
//   idle    10,000 schedules whose next occurrence is months away: the
//           scheduler's CPU time and memory while nothing is due.
//   firing  of the 10,000, 6,000 fire every minute spread by a 59 s jitter
//           (100 firings/s): the delay from each occurrence's fire time to
//           its ExecutionStarted being committed, p50/p99/max, and CPU.
//
//   stepflow_trigger_bench [--seconds 130] [--idle-seconds 10] [--dir /tmp]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/common/json_util.h"
#include "engine/runtime/executor.h"
#include "engine/store/sqlite_store.h"
#include "engine/triggers/scheduler.h"

using namespace stepflow;

namespace {

class NoInvoker : public runtime::Invoker {
 public:
  void Invoke(runtime::TaskRequest, std::function<void(runtime::TaskOutcome)> done) override {
    done(runtime::TaskOutcome::Failure("States.TaskFailed", "no functions in this benchmark"));
  }
};

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

long RssKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

double Percentile(std::vector<int64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  return static_cast<double>(v[i]);
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = 130, idle_seconds = 10;
  std::string dir = std::filesystem::temp_directory_path().string();
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--idle-seconds")) idle_seconds = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--dir")) dir = argv[i + 1];
  }
  const std::string path = dir + "/stepflow-trigger-bench.db";
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
  auto store = store::OpenSqliteStore(path);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().message().c_str());
    return 1;
  }
  NoInvoker invoker;
  runtime::SystemClock clock;
  runtime::Executor executor(store->get(), &invoker, &clock);
  if (!executor.PutStateMachine("m", R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})")
           .ok()) {
    return 1;
  }
  std::thread loop([&] { (void)executor.Run(); });

  auto put = [&](const std::string& name, const std::string& expression, int64_t jitter) {
    Json d = {{"name", name}, {"machine", "m"}, {"schedule", {{"expression", expression}}}};
    if (jitter > 0) d["schedule"]["jitterSeconds"] = jitter;
    auto spec = triggers::ParseTriggerSpec(d);
    const int64_t now = clock.NowMs();
    (void)(*store)->PutTrigger({name, DumpCompact(triggers::TriggerSpecJson(*spec)), false, now, now});
  };

  // ---------------------------------------------------------------- idle
  for (int i = 0; i < 10'000; ++i) put("idle-" + std::to_string(i), "cron(0 3 1 1 ? *)", 3600);
  const long rss_before = RssKb();
  auto t0 = std::chrono::steady_clock::now();
  {
    triggers::Scheduler scheduler(store->get(), &executor, &clock);
    if (!scheduler.Start().ok()) return 1;
    const double load_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const long rss_loaded = RssKb();
    const double cpu0 = CpuSeconds();
    std::this_thread::sleep_for(std::chrono::seconds(idle_seconds));
    const double cpu = CpuSeconds() - cpu0;
    std::printf("idle: 10,000 schedules loaded in %.2f s, +%ld KiB resident (%.0f bytes each); "
                "CPU while idle %.3f%% of a core over %d s\n",
                load_s, rss_loaded - rss_before, (rss_loaded - rss_before) * 1024.0 / 10'000,
                100.0 * cpu / idle_seconds, idle_seconds);
    scheduler.Stop();
  }

  // -------------------------------------------------------------- firing
  // 6,000 of them fire every minute, spread over it by their jitter.
  for (int i = 0; i < 6'000; ++i) put("idle-" + std::to_string(i), "rate(1 minute)", 59);
  triggers::Scheduler scheduler(store->get(), &executor, &clock);
  if (!scheduler.Start().ok()) return 1;
  // The first minute fills up (each trigger's first occurrence comes after
  // it was written); the last 60 s are the steady state: rate and CPU.
  std::this_thread::sleep_for(std::chrono::seconds(std::max(0, seconds - 60)));
  const int64_t started0 = scheduler.Stats().started;
  const double cpu0 = CpuSeconds();
  std::this_thread::sleep_for(std::chrono::seconds(std::min(seconds, 60)));
  const double cpu = CpuSeconds() - cpu0;
  triggers::SchedulerStats stats = scheduler.Stats();
  const double steady = static_cast<double>(stats.started - started0) / std::min(seconds, 60);
  scheduler.Stop();
  executor.Shutdown();
  loop.join();
  std::printf("firing: %lld started in %d s (%.1f/s over the last minute), %lld missed, %lld "
              "skipped, %lld failed; fire time → ExecutionStarted committed: p50 %.0f ms, p99 %.0f "
              "ms, max %.0f ms; CPU over the last minute %.1f%% of a core (scheduler, engine and "
              "SQLite)\n",
              static_cast<long long>(stats.started), seconds, steady,
              static_cast<long long>(stats.missed),
              static_cast<long long>(stats.skipped), static_cast<long long>(stats.failed),
              Percentile(stats.delays_ms, 0.50), Percentile(stats.delays_ms, 0.99),
              Percentile(stats.delays_ms, 1.0), 100.0 * cpu / std::min(seconds, 60));
  store->reset();
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
  return 0;
}
