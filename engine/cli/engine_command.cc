// The verbs that run executions in this process: run, resume; and what the
// embedded exec verbs share with them (embedded.h).
#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "engine/cli/commands.h"
#include "engine/cli/embedded.h"
#include "engine/cli/format.h"
#include "engine/graph/compiler.h"
#include "engine/host/engine.h"

namespace stepflow::cli {

std::unique_ptr<host::Engine> OpenEngine(const char* verb, const EngineOptions& o,
                                         std::ostream& err, bool create, bool exclusive) {
  host::EngineConfig c;
  c.db = o.db.empty() ? "stepflow.db" : o.db;
  c.create = create;
  if (c.create && o.db.empty()) {
    err << "stepflow " << verb << ": executions are kept in ./stepflow.db (--db to choose)\n";
  }
  c.exclusive = exclusive;
  c.functions_file = o.functions;
  c.functions_dir = o.functions_dir;
  c.data_dir = o.data_dir;
  c.skip_waits = o.skip_waits;
  c.durability = o.durability;
  c.max_history_events = o.max_history_events;
  auto engine = host::BuildEngine(c);
  if (!engine.ok()) {
    err << "stepflow " << verb << ": " << engine.status().message() << "\n";
    return nullptr;
  }
  for (const std::string& line : (*engine)->deployed) {
    err << "stepflow " << verb << ": deployed " << line << "\n";
  }
  return std::move(engine).value();
}

// ------------------------------------------------------------ interrupts

namespace {

sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

InterruptWatch::InterruptWatch() {
  sigset_t set = StopSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  watcher_ = std::thread([this] { Watch(); });
}

InterruptWatch::~InterruptWatch() {
  done_ = true;
  watcher_.join();
  // A signal that came meanwhile is taken here, not by the default action.
  sigset_t set = StopSignals();
  const timespec zero{0, 0};
  while (sigtimedwait(&set, nullptr, &zero) > 0) interrupted_ = true;
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

void InterruptWatch::OnSignal(std::function<void()> stop) {
  std::lock_guard lock(mu_);
  stop_ = std::move(stop);
  if (stop_ && interrupted_) stop_();  // a signal came before there was anything to stop
}

void InterruptWatch::Watch() {
  sigset_t set = StopSignals();
  const timespec tick{0, 100'000'000};  // 100 ms: how soon the destructor is heard
  while (!done_) {
    if (sigtimedwait(&set, nullptr, &tick) <= 0) continue;
    std::lock_guard lock(mu_);
    if (interrupted_.exchange(true) || !stop_) _exit(kInterruptedExit);
    stop_();
  }
}

Status RunUntilIdleInterruptibly(runtime::Executor& executor, InterruptWatch& watch) {
  watch.OnSignal([&executor] { executor.Shutdown(); });
  Status st = executor.RunUntilIdle();
  watch.OnSignal(nullptr);
  return st;
}

std::string ShellWord(const std::string& text) {
  bool plain = !text.empty();
  for (unsigned char c : text) {
    if (!(std::isalnum(c) ||
          std::string_view("_./:@%+=,-").find(static_cast<char>(c)) != std::string_view::npos)) {
      plain = false;
    }
  }
  if (plain) return text;
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

std::string DbArgument(const EngineOptions& options) {
  return ShellWord(options.db.empty() ? "stepflow.db" : options.db);
}

void ReportInterrupted(const char* verb, const EngineOptions& options, store::Store& store,
                       const std::vector<std::string>& ids, std::ostream& err) {
  if (options.db == ":memory:") {
    err << "stepflow " << verb << ": interrupted; the database was in memory (--db :memory:), "
        << "so nothing is left to resume\n";
    return;
  }
  std::vector<std::string> running;
  for (const std::string& id : ids) {
    auto record = store.GetExecution(id);
    if (record.ok() && record->status == store::kRunning) running.push_back(id);
  }
  if (running.empty()) {
    err << "stepflow " << verb << ": interrupted; no execution was left running\n";
    return;
  }
  const std::string db = DbArgument(options);
  if (running.size() == 1) {
    err << "stepflow " << verb << ": interrupted; execution " << running[0] << " stays RUNNING in "
        << db << ", checkpointed\n"
        << "  go on with it:  stepflow resume --db " << db << "\n"
        << "  or stop it:     stepflow exec stop " << ShellWord(running[0]) << " --db " << db
        << "\n";
    return;
  }
  err << "stepflow " << verb << ": interrupted; " << running.size()
      << " executions stay RUNNING in " << db << ", checkpointed\n"
      << "  go on with them:  stepflow resume --db " << db << "\n"
      << "  or stop one:      stepflow exec stop ID --db " << db << "   (ID one of:";
  for (const std::string& id : running) err << " " << id;
  err << ")\n";
}

void ReportHeld(const char* verb, runtime::Executor& executor, std::ostream& err) {
  for (const runtime::HeldTask& h : executor.HeldTasks()) {
    err << "stepflow " << verb << ": execution " << h.execution_id
        << " stays RUNNING: " << h.state_path << " calls '" << h.function
        << "', which cannot be called: " << h.cause << ". Register it, then resume again\n";
  }
}

namespace {

// The state machine name for a definition file: its file name without the
// .asl/.json/.yaml/.yml suffixes, characters a name cannot hold replaced.
std::string MachineName(const std::string& file) {
  std::string name = std::filesystem::path(file).filename().string();
  for (const char* suffix : {".json", ".yaml", ".yml", ".asl"}) {
    std::string s(suffix);
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      name.resize(name.size() - s.size());
    }
  }
  for (char& c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) c = '-';
  }
  if (name.empty() || file == "-") name = "stdin";
  if (name.size() > 80) name.resize(80);
  return name;
}

// For an in-memory run that has printed its result: stops the engine, then
// leaves the store (every event of the history) to go with the process,
// which is about to exit; freeing a history of a million events one by one
// costs a tenth of the run. Sanitizer builds free it, so leaks stay visible.
void DropWithProcess(host::Engine& e) {
#if !defined(__SANITIZE_ADDRESS__)
  e.executor.reset();
  e.invoker.reset();
  e.deployer.reset();
  e.local.reset();
  e.grpc.reset();
  (void)e.store.release();
#else
  (void)e;
#endif
}

// Runs the executor to the end and prints one result per execution id; on
// SIGINT/SIGTERM says what stays RUNNING instead.
int Finish(const char* verb, host::Engine& e, InterruptWatch& watch,
           const std::vector<std::string>& ids, const EngineOptions& o, std::ostream& out,
           std::ostream& err) {
  Status st = RunUntilIdleInterruptibly(*e.executor, watch);
  if (!st.ok()) {
    err << "stepflow " << verb << ": " << st.message() << "\n";
    return 1;
  }
  if (watch.interrupted()) {
    ReportInterrupted(verb, o, *e.store, ids, err);
    return kInterruptedExit;
  }
  ReportHeld(verb, *e.executor, err);
  bool all_succeeded = true;
  for (const std::string& id : ids) {
    auto record = e.store->GetExecution(id);
    if (!record.ok()) {
      err << "stepflow " << verb << ": " << record.status().message() << "\n";
      return 1;
    }
    if (record->status != store::kSucceeded) all_succeeded = false;
    PrintResult(*record, o.json, out);
  }
  return all_succeeded ? 0 : 1;
}

}  // namespace

int RunCommand(const std::string& file, const std::string* input, const std::string* input_file,
               const std::string& name, const EngineOptions& options, std::ostream& out,
               std::ostream& err) {
  InterruptWatch watch;  // before the engine starts any thread
  std::string definition, error;
  if (!ReadDefinitionFile(file, 1024 * 1024, &definition, &error)) {
    err << "stepflow run: " << error << "\n";
    return 2;
  }
  std::string input_text = "{}";
  if (input != nullptr) input_text = *input;
  if (input_file != nullptr) {
    std::ifstream in(*input_file, std::ios::binary);
    if (!in) {
      err << "stepflow run: cannot read input file '" << *input_file << "'\n";
      return 2;
    }
    input_text.assign(std::istreambuf_iterator<char>(in), {});
  }
  if (std::string why = InputJsonError(input_text, input_file ? *input_file : ""); !why.empty()) {
    err << "stepflow run: " << why << "\n";
    return 2;
  }
  auto compiled = graph::CompileText(definition, file == "-" ? "" : file);
  if (!compiled.graph) {
    for (const auto& d : compiled.diagnostics) {
      if (d.severity == asl::Severity::kError) PrintDiagnostic(err, file, d);
    }
    err << "stepflow run: " << file << " is not a valid definition\n";
    return 2;
  }
  auto engine = OpenEngine("run", options, err, /*create=*/true);
  if (!engine) return 2;
  host::Engine& e = *engine;
  std::string machine = MachineName(file);
  auto version = e.executor->PutStateMachine(machine, definition, compiled.graph);
  if (!version.ok()) {
    err << "stepflow run: " << version.status().message() << "\n";
    return 2;
  }
  runtime::StartRequest request;
  request.machine = machine;
  request.version = *version;
  // Named here, so the id can be told as soon as the start is committed.
  request.name = name.empty() ? runtime::NewUuid() : name;
  request.input = input_text;
  const std::string execution_id = machine + ":" + request.name;
  request.committed = [&err, execution_id](const Status& st) {
    if (st.ok()) err << "stepflow run: execution " << execution_id << " started" << std::endl;
  };
  auto id = e.executor->StartExecution(request);
  if (!id.ok()) {
    err << "stepflow run: " << id.status().message() << "\n";
    return 2;
  }
  int code = Finish("run", e, watch, {*id}, options, out, err);
  if (options.db == ":memory:") DropWithProcess(*engine);
  return code;
}

int ResumeCommand(const EngineOptions& options, std::ostream& out, std::ostream& err) {
  if (DatabaseMissing(options)) {  // nothing was ever stored there: nothing to resume
    if (!options.json) out << "no unfinished executions\n";
    return 0;
  }
  InterruptWatch watch;
  auto engine = OpenEngine("resume", options, err, /*create=*/false, /*exclusive=*/true);
  if (!engine) return 2;
  host::Engine& e = *engine;
  auto ids = e.executor->ResumeAll();
  if (!ids.ok()) {
    err << "stepflow resume: " << ids.status().message() << "\n";
    return 1;
  }
  if (ids->empty() && !options.json) out << "no unfinished executions\n";
  return Finish("resume", e, watch, *ids, options, out, err);
}

}  // namespace stepflow::cli
