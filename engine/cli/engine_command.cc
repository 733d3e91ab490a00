// The verbs that run executions in this process: run, resume, exec redrive.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "engine/cli/commands.h"
#include "engine/host/engine.h"
#include "engine/cli/format.h"
#include "engine/graph/compiler.h"

namespace stepflow::cli {

// Builds the engine for a verb (host::BuildEngine), printing why not on `err`.
std::unique_ptr<host::Engine> OpenEngine(const char* verb, const EngineOptions& o,
                                         std::ostream& err, bool exclusive = false) {
  const std::string_view v = verb;
  host::EngineConfig c;
  c.db = o.db.empty() ? "stepflow.db" : o.db;
  // Only `run` starts a database; redrive continues one (resume checks first).
  c.create = v == "run";
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
  for (const std::string& line : (*engine)->deployed) err << "stepflow " << verb << ": deployed " << line << "\n";
  return std::move(engine).value();
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

// Runs the executor to the end and prints one result per execution id.
int Finish(const char* verb, host::Engine& e, const std::vector<std::string>& ids, const EngineOptions& o,
           std::ostream& out, std::ostream& err) {
  Status st = e.executor->RunUntilIdle();
  if (!st.ok()) {
    err << "stepflow " << verb << ": " << st.message() << "\n";
    return 1;
  }
  // Executions left waiting for functions nobody registered stay RUNNING.
  for (const runtime::HeldTask& h : e.executor->HeldTasks()) {
    err << "stepflow " << verb << ": execution " << h.execution_id << " stays RUNNING: "
        << h.state_path << " calls '" << h.function << "', which cannot be called: " << h.cause
        << ". Register it, then resume again\n";
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
  auto engine = OpenEngine("run", options, err);
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
  request.name = name;
  request.input = input_text;
  auto id = e.executor->StartExecution(request);
  if (!id.ok()) {
    err << "stepflow run: " << id.status().message() << "\n";
    return 2;
  }
  int code = Finish("run", e, {*id}, options, out, err);
  if (options.db == ":memory:") DropWithProcess(*engine);
  return code;
}

int ResumeCommand(const EngineOptions& options, std::ostream& out, std::ostream& err) {
  if (DatabaseMissing(options)) {  // nothing was ever stored there: nothing to resume
    if (!options.json) out << "no unfinished executions\n";
    return 0;
  }
  auto engine = OpenEngine("resume", options, err, /*exclusive=*/true);
  if (!engine) return 2;
  host::Engine& e = *engine;
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
  auto engine = OpenEngine("exec redrive", options, err);
  if (!engine) return 2;
  host::Engine& e = *engine;
  Status st = e.executor->Redrive(id);
  if (!st.ok()) {
    err << "stepflow exec redrive: " << st.message() << "\n";
    return 1;
  }
  return Finish("exec redrive", e, {id}, options, out, err);
}

}  // namespace stepflow::cli
