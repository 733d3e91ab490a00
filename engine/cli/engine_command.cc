// The verbs that run executions in this process: run, resume, exec redrive.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "engine/cli/commands.h"
#include "engine/cli/engine.h"
#include "engine/cli/format.h"
#include "engine/graph/compiler.h"
#include "engine/rpc/function_registry.h"
#include "engine/rpc/grpc_invoker.h"
#include "engine/runtime/executor.h"
#include "engine/store/memory_store.h"
#include "engine/store/sqlite_store.h"

namespace stepflow::cli {

DatabaseLock::~DatabaseLock() {
  if (fd_ >= 0) ::close(fd_);
}

bool DatabaseLock::Acquire(const std::string& db, bool exclusive, std::string* error) {
  const std::string path = db + "-lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    *error = "cannot open lock file " + path + ": " + std::strerror(errno);
    return false;
  }
  if (::flock(fd_, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0) return true;
  *error = exclusive ? "other stepflow processes are running executions of " + db +
                           "; resuming or serving it now would run them twice. Wait for them "
                           "to end (or stop them), then try again"
                     : db + " is being resumed or served by another stepflow process; try again "
                            "when it has finished (or start executions through the server)";
  return false;
}

bool OpenEngine(const char* verb, const EngineOptions& o, Engine* e, std::ostream& err,
                bool exclusive, bool callbacks) {
  if (o.durability != "full" && o.durability != "normal") {
    err << "stepflow " << verb << ": --durability must be full or normal\n";
    return false;
  }
  // Only `run` starts a database; redrive continues one (resume checks first).
  const std::string_view v = verb;
  auto store = OpenStore(verb, o, err, /*must_exist=*/v != "run" && v != "server");
  if (!store) return false;
  e->store = std::move(store);
  // Locked before anything is read from the database.
  if (o.db != ":memory:") {
    std::string error;
    if (!e->lock.Acquire(o.db.empty() ? "stepflow.db" : o.db, exclusive, &error)) {
      err << "stepflow " << verb << ": " << error << "\n";
      return false;
    }
  }
  e->registry = std::make_shared<rpc::FunctionRegistry>();
  if (!o.functions.empty()) {
    auto loaded = rpc::FunctionRegistry::LoadFile(o.functions);
    if (!loaded.ok()) {
      err << "stepflow " << verb << ": " << loaded.status().message() << "\n";
      return false;
    }
    *e->registry = std::move(loaded).value();
  }
  if (o.skip_waits)
    e->clock = std::make_unique<runtime::SkippingClock>();
  else
    e->clock = std::make_unique<runtime::SystemClock>();
  e->invoker = std::make_unique<rpc::GrpcInvoker>(e->registry);
  runtime::ExecutorOptions eo;
  eo.limits.max_history_events = o.max_history_events;
  eo.limits.callbacks = callbacks;
  e->executor =
      std::make_unique<runtime::Executor>(e->store.get(), e->invoker.get(), e->clock.get(), eo);
  return true;
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

// Runs the executor to the end and prints one result per execution id.
int Finish(const char* verb, Engine& e, const std::vector<std::string>& ids, const EngineOptions& o,
           std::ostream& out, std::ostream& err) {
  Status st = e.executor->RunUntilIdle();
  if (!st.ok()) {
    err << "stepflow " << verb << ": " << st.message() << "\n";
    return 1;
  }
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
  if (!Json::accept(input_text)) {
    err << "stepflow run: the input is not valid JSON\n";
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
  Engine e;
  if (!OpenEngine("run", options, &e, err)) return 2;
  std::string machine = MachineName(file);
  auto version = e.executor->PutStateMachine(machine, definition);
  if (!version.ok()) {
    err << "stepflow run: " << version.status().message() << "\n";
    return 2;
  }
  runtime::StartRequest request;
  request.machine = machine;
  request.version = *version;
  request.name = name;
  request.input = input_text;
  auto id = e.executor->StartExecution(request);
  if (!id.ok()) {
    err << "stepflow run: " << id.status().message() << "\n";
    return 2;
  }
  return Finish("run", e, {*id}, options, out, err);
}

int ResumeCommand(const EngineOptions& options, std::ostream& out, std::ostream& err) {
  if (DatabaseMissing(options)) {  // nothing was ever stored there: nothing to resume
    if (!options.json) out << "no unfinished executions\n";
    return 0;
  }
  Engine e;
  if (!OpenEngine("resume", options, &e, err, /*exclusive=*/true)) return 2;
  auto ids = e.executor->ResumeAll();
  if (!ids.ok()) {
    err << "stepflow resume: " << ids.status().message() << "\n";
    return 1;
  }
  if (ids->empty() && !options.json) out << "no unfinished executions\n";
  return Finish("resume", e, *ids, options, out, err);
}

int ExecRedriveCommand(const std::string& id, const EngineOptions& options, std::ostream& out,
                       std::ostream& err) {
  Engine e;
  if (!OpenEngine("exec redrive", options, &e, err)) return 2;
  Status st = e.executor->Redrive(id);
  if (!st.ok()) {
    err << "stepflow exec redrive: " << st.message() << "\n";
    return 1;
  }
  return Finish("exec redrive", e, {id}, options, out, err);
}

}  // namespace stepflow::cli
