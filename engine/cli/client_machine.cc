// machine create|update|describe|list|delete through the server.
#include <iomanip>

#include "engine/cli/client_rpc.h"
#include "engine/cli/commands.h"
#include "engine/common/json_util.h"
#include "engine/runtime/clock.h"

namespace stepflow::cli {

namespace {

constexpr size_t kMaxDefinitionBytes = 1024 * 1024;

std::string Time(int64_t ms) { return ms ? runtime::FormatTimestamp(ms) : std::string("-"); }

}  // namespace

int MachineCreateCommand(const std::string& name, const std::string& file, bool update,
                         const ClientOptions& options, std::ostream& out, std::ostream& err) {
  const char* verb = update ? "machine update" : "machine create";
  std::string definition, error;
  if (!ReadDefinitionFile(file, kMaxDefinitionBytes, &definition, &error)) {
    err << "stepflow " << verb << ": " << error << "\n";
    return 2;
  }
  if (definition.size() > kMaxDefinitionBytes) {
    err << "stepflow " << verb << ": " << file << " is larger than the 1 MiB definition limit\n";
    return 2;
  }
  client::Connection c(verb, options, err);
  v1::StateMachineVersionRef ref;
  bool ok;
  if (update) {
    v1::UpdateStateMachineRequest request;
    request.set_name(name);
    request.set_definition(definition);
    ok = c.Call(&client::Stub::UpdateStateMachine, request, &ref);
  } else {
    v1::CreateStateMachineRequest request;
    request.set_name(name);
    request.set_definition(definition);
    ok = c.Call(&client::Stub::CreateStateMachine, request, &ref);
  }
  if (!ok) return 1;
  if (options.json) {
    Json j = {{"name", ref.name()},
              {"version", ref.version()},
              {"createdMs", ref.created_ms()},
              {"unchanged", ref.unchanged()}};
    out << DumpCompact(j) << "\n";
    return 0;
  }
  out << ref.name() << " version " << ref.version();
  if (ref.unchanged()) out << " (unchanged: the definition equals the newest version)";
  out << "\n";
  return 0;
}

int MachineDescribeCommand(const std::string& name, int64_t version, const ClientOptions& options,
                           std::ostream& out, std::ostream& err) {
  client::Connection c("machine describe", options, err);
  v1::DescribeStateMachineRequest request;
  request.set_name(name);
  request.set_version(version);
  v1::StateMachineDescription d;
  if (!c.Call(&client::Stub::DescribeStateMachine, request, &d)) return 1;
  if (options.json) {
    Json versions = Json::array();
    for (const auto& v : d.versions()) {
      versions.push_back(
          {{"version", v.version()}, {"sha256", v.sha256()}, {"createdMs", v.created_ms()}});
    }
    Json j = {
        {"name", d.name()},     {"version", d.version()},      {"definition", d.definition()},
        {"sha256", d.sha256()}, {"createdMs", d.created_ms()}, {"versions", std::move(versions)}};
    out << DumpCompact(j) << "\n";
    return 0;
  }
  out << std::left << std::setw(12) << "name" << d.name() << "\n"
      << std::setw(12) << "version" << d.version() << "\n"
      << std::setw(12) << "sha256" << d.sha256() << "\n"
      << std::setw(12) << "created" << Time(d.created_ms()) << "\n"
      << "versions\n"
      << "  " << std::setw(9) << "VERSION" << std::setw(26) << "CREATED"
      << "SHA256\n";
  for (const auto& v : d.versions()) {
    out << "  " << std::setw(9) << v.version() << std::setw(26) << Time(v.created_ms())
        << v.sha256() << "\n";
  }
  out << "definition\n" << d.definition();
  if (!d.definition().empty() && d.definition().back() != '\n') out << "\n";
  return 0;
}

int MachineListCommand(const ClientOptions& options, std::ostream& out, std::ostream& err) {
  client::Connection c("machine list", options, err);
  std::vector<v1::StateMachineListItem> items;
  v1::ListStateMachinesRequest request;
  do {
    v1::ListStateMachinesResponse page;
    if (!c.Call(&client::Stub::ListStateMachines, request, &page)) return 1;
    for (const auto& m : page.state_machines()) items.push_back(m);
    // A server that repeats its token would loop forever: stop instead.
    if (page.next_token() == request.next_token()) break;
    request.set_next_token(page.next_token());
  } while (!request.next_token().empty());
  if (options.json) {
    Json arr = Json::array();
    for (const auto& m : items) {
      arr.push_back({{"name", m.name()},
                     {"latestVersion", m.latest_version()},
                     {"createdMs", m.created_ms()}});
    }
    out << DumpCompact(arr) << "\n";
    return 0;
  }
  size_t width = 6;
  for (const auto& m : items) width = std::max(width, m.name().size() + 2);
  out << std::left << std::setw(static_cast<int>(width)) << "NAME" << std::setw(8) << "LATEST"
      << "CREATED\n";
  for (const auto& m : items) {
    out << std::left << std::setw(static_cast<int>(width)) << m.name() << std::setw(8)
        << m.latest_version() << Time(m.created_ms()) << "\n";
  }
  return 0;
}

int MachineDeleteCommand(const std::string& name, const ClientOptions& options, std::ostream& out,
                         std::ostream& err) {
  client::Connection c("machine delete", options, err);
  v1::DeleteStateMachineRequest request;
  request.set_name(name);
  v1::DeleteStateMachineResponse response;
  if (!c.Call(&client::Stub::DeleteStateMachine, request, &response)) return 1;
  if (options.json)
    out << DumpCompact(Json{{"name", name}, {"deleted", true}}) << "\n";
  else
    out << "deleted " << name << "\n";
  return 0;
}

}  // namespace stepflow::cli
