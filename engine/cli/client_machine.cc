// machine create|update|describe|list|delete, written once against an
// ApiClient (a server, or the engine in this process over --db).
#include <iomanip>

#include "engine/cli/client_api.h"
#include "engine/cli/commands.h"
#include "engine/common/json_util.h"
#include "engine/runtime/clock.h"

namespace stepflow::cli {

namespace {

constexpr size_t kMaxDefinitionBytes = 1024 * 1024;

std::string Time(int64_t ms) { return ms ? runtime::FormatTimestamp(ms) : std::string("-"); }

}  // namespace

int MachinePutVerb(ApiClient& api, const std::string& name, const std::string& file, bool update,
                   bool json, std::ostream& out) {
  std::ostream& err = api.err();
  const std::string verb = update ? "machine update" : "machine create";
  std::string definition, error;
  if (!ReadDefinitionFile(file, kMaxDefinitionBytes, &definition, &error)) {
    err << "stepflow " << verb << ": " << error << "\n";
    return 2;
  }
  if (definition.size() > kMaxDefinitionBytes) {
    err << "stepflow " << verb << ": " << file << " is larger than the 1 MiB definition limit\n";
    return 2;
  }
  auto ref = api.PutStateMachine(name, definition, update);
  if (!ref.ok()) {
    const Status& st = ref.status();
    // An invalid definition: every diagnostic on its own line, as
    // `stepflow validate` prints them (the API's message has them on one).
    if (st.code() == StatusCode::kInvalidArgument &&
        st.message().rfind("invalid definition", 0) == 0) {
      auto validation = api.ValidateDefinition(definition);
      if (validation.ok() && !validation->valid) {
        size_t errors = 0;
        for (const auto& d : validation->diagnostics) {
          if (d.severity != asl::Severity::kError) continue;
          PrintDiagnostic(err, file == "-" ? "<stdin>" : file, d);
          ++errors;
        }
        if (errors > 0) {
          return api.Fail(
              Status::InvalidArgument((file == "-" ? std::string("the definition") : file) +
                                      " is not a valid definition (" + std::to_string(errors) +
                                      (errors == 1 ? " error)" : " errors)")));
        }
      }
    }
    return api.Fail(st);
  }
  if (json) {
    Json j = {{"name", ref->name},
              {"version", ref->version},
              {"createdMs", ref->created_ms},
              {"unchanged", ref->unchanged}};
    out << DumpCompact(j) << "\n";
    return 0;
  }
  out << ref->name << " version " << ref->version;
  if (ref->unchanged) out << " (unchanged: the definition equals the newest version)";
  out << "\n";
  return 0;
}

int MachineDescribeVerb(ApiClient& api, const std::string& name, int64_t version, bool json,
                        std::ostream& out) {
  auto described = api.DescribeStateMachine(name, version);
  if (!described.ok()) return api.Fail(described.status());
  const store::StateMachineVersion& d = described->described;
  if (json) {
    Json versions = Json::array();
    for (const auto& v : described->versions) {
      versions.push_back(
          {{"version", v.version}, {"sha256", v.sha256}, {"createdMs", v.created_ms}});
    }
    Json j = {{"name", d.machine},  {"version", d.version},      {"definition", d.definition},
              {"sha256", d.sha256}, {"createdMs", d.created_ms}, {"versions", std::move(versions)}};
    out << DumpCompact(j) << "\n";
    return 0;
  }
  out << std::left << std::setw(12) << "name" << d.machine << "\n"
      << std::setw(12) << "version" << d.version << "\n"
      << std::setw(12) << "sha256" << d.sha256 << "\n"
      << std::setw(12) << "created" << Time(d.created_ms) << "\n"
      << "versions\n"
      << "  " << std::setw(9) << "VERSION" << std::setw(26) << "CREATED"
      << "SHA256\n";
  for (const auto& v : described->versions) {
    out << "  " << std::setw(9) << v.version << std::setw(26) << Time(v.created_ms) << v.sha256
        << "\n";
  }
  out << "definition\n" << d.definition;
  if (!d.definition.empty() && d.definition.back() != '\n') out << "\n";
  return 0;
}

int MachineListVerb(ApiClient& api, bool json, std::ostream& out) {
  std::vector<api::MachineSummary> items;
  api::PageRequest request;
  do {
    auto page = api.ListStateMachines(request);
    if (!page.ok()) return api.Fail(page.status());
    for (auto& m : page->items) items.push_back(std::move(m));
    // An API that repeats its token would loop forever: stop instead.
    if (page->next_token == request.next_token) break;
    request.next_token = page->next_token;
  } while (!request.next_token.empty());
  if (json) {
    Json arr = Json::array();
    for (const auto& m : items) {
      arr.push_back(
          {{"name", m.name}, {"latestVersion", m.latest_version}, {"createdMs", m.updated_ms}});
    }
    out << DumpCompact(arr) << "\n";
    return 0;
  }
  size_t width = 6;
  for (const auto& m : items) width = std::max(width, m.name.size() + 2);
  out << std::left << std::setw(static_cast<int>(width)) << "NAME" << std::setw(8) << "LATEST"
      << "CREATED\n";
  for (const auto& m : items) {
    out << std::left << std::setw(static_cast<int>(width)) << m.name << std::setw(8)
        << m.latest_version << Time(m.updated_ms) << "\n";
  }
  return 0;
}

int MachineDeleteVerb(ApiClient& api, const std::string& name, bool purge, bool json,
                      std::ostream& out) {
  if (Status st = api.DeleteStateMachine(name, purge); !st.ok()) return api.Fail(st);
  if (json) {
    out << DumpCompact(Json{{"name", name}, {"deleted", true}, {"purged", purge}}) << "\n";
  } else if (purge) {
    out << "deleted " << name << " and its executions\n";
  } else {
    out << "deleted " << name
        << " (its executions stay readable with exec describe|history|list; --purge deletes "
           "them too)\n";
  }
  return 0;
}

// ------------------------------------------------- the commands, remote

int MachineCreateCommand(const std::string& name, const std::string& file, bool update,
                         const ClientOptions& options, std::ostream& out, std::ostream& err) {
  auto api = ConnectRemote(update ? "machine update" : "machine create", options, err);
  return MachinePutVerb(*api, name, file, update, options.json, out);
}

int MachineDescribeCommand(const std::string& name, int64_t version, const ClientOptions& options,
                           std::ostream& out, std::ostream& err) {
  auto api = ConnectRemote("machine describe", options, err);
  return MachineDescribeVerb(*api, name, version, options.json, out);
}

int MachineListCommand(const ClientOptions& options, std::ostream& out, std::ostream& err) {
  auto api = ConnectRemote("machine list", options, err);
  return MachineListVerb(*api, options.json, out);
}

int MachineDeleteCommand(const std::string& name, bool purge, const ClientOptions& options,
                         std::ostream& out, std::ostream& err) {
  auto api = ConnectRemote("machine delete", options, err);
  return MachineDeleteVerb(*api, name, purge, options.json, out);
}

}  // namespace stepflow::cli
