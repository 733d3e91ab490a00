#include "engine/rpc/function_registry.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

namespace stepflow::rpc {
namespace {

// "file:LINE:COLUMN" (1-based) for a node that has a position.
std::string Where(const std::string& origin, const YAML::Mark& mark) {
  if (mark.is_null()) return origin;
  return origin + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

const char* NodeKind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "undefined";
  }
}

Result<FunctionRegistry> Parse(std::string_view text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    return Status::InvalidArgument(Where(origin, e.mark) + ": invalid YAML: " + e.msg);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(origin + ": invalid YAML: " + e.what());
  }

  FunctionRegistry registry;
  if (root.IsNull()) return registry;  // an empty file registers nothing
  if (!root.IsMap()) {
    return Status::InvalidArgument(Where(origin, root.Mark()) + ": expected a mapping with key " +
                                   "'functions', found " + NodeKind(root));
  }
  try {
    YAML::Node functions;
    for (const auto& entry : root) {
      const std::string key = entry.first.Scalar();
      if (key != "functions") {
        return Status::InvalidArgument(Where(origin, entry.first.Mark()) + ": unknown key '" + key +
                                       "' (expected 'functions')");
      }
      functions = entry.second;
    }
    if (!functions) {
      return Status::InvalidArgument(origin + ": missing key 'functions'");
    }
    if (functions.IsNull()) return registry;  // "functions:" with nothing under it
    if (!functions.IsMap()) {
      return Status::InvalidArgument(Where(origin, functions.Mark()) +
                                     ": 'functions' must be a mapping of NAME: ENDPOINT, found " +
                                     NodeKind(functions));
    }
    std::set<std::string> seen;
    for (const auto& entry : functions) {
      const YAML::Node& name_node = entry.first;
      const YAML::Node& endpoint_node = entry.second;
      if (!name_node.IsScalar()) {
        return Status::InvalidArgument(Where(origin, name_node.Mark()) +
                                       ": function names must be strings");
      }
      const std::string name = name_node.Scalar();
      const std::string where = Where(origin, name_node.Mark());
      if (Status s = FunctionRegistry::ValidateName(name); !s.ok()) {
        return Status::InvalidArgument(where + ": functions." + name + ": " + s.message());
      }
      if (!seen.insert(name).second) {
        return Status::InvalidArgument(where + ": function '" + name + "' is listed twice");
      }
      if (!endpoint_node.IsScalar()) {
        return Status::InvalidArgument(Where(origin, endpoint_node.Mark()) + ": functions." + name +
                                       ": endpoint must be a string like HOST:PORT or " +
                                       "unix:/PATH, found " + NodeKind(endpoint_node));
      }
      if (Status s = registry.Set(name, endpoint_node.Scalar()); !s.ok()) {
        return Status::InvalidArgument(Where(origin, endpoint_node.Mark()) + ": functions." + name +
                                       ": " + s.message());
      }
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(Where(origin, e.mark) + ": " + e.msg);
  }
  return registry;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

FunctionRegistry::FunctionRegistry(FunctionRegistry&& other) noexcept
    : functions_(std::move(other.functions_)) {}

FunctionRegistry& FunctionRegistry::operator=(FunctionRegistry&& other) noexcept {
  if (this != &other) {
    std::unique_lock lock(mutex_);
    functions_ = std::move(other.functions_);
  }
  return *this;
}

Result<FunctionRegistry> FunctionRegistry::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::NotFound("function registry file '" + path + "' cannot be read");
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return Status::InvalidArgument("function registry file '" + path + "': read error");
  }
  return Parse(text.str(), path);
}

Result<FunctionRegistry> FunctionRegistry::LoadString(std::string_view yaml_text,
                                                      const std::string& origin) {
  return Parse(yaml_text, origin);
}

Status FunctionRegistry::ValidateName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("function name is empty");
  for (char c : name) {
    if (c == '/' || std::isspace(static_cast<unsigned char>(c)) ||
        std::iscntrl(static_cast<unsigned char>(c))) {
      return Status::InvalidArgument("function name '" + std::string(name) +
                                     "' contains '/', a space or a control character");
    }
  }
  return Status::Ok();
}

Status FunctionRegistry::ValidateEndpoint(std::string_view endpoint) {
  const std::string quoted = "endpoint '" + std::string(endpoint) + "'";
  if (endpoint.empty()) {
    return Status::InvalidArgument("endpoint is empty (expected HOST:PORT or unix:/PATH)");
  }
  if (endpoint.substr(0, 5) == "unix:") {
    if (endpoint.size() < 7 || endpoint[5] != '/') {
      return Status::InvalidArgument(quoted + ": expected unix:/ABSOLUTE/PATH");
    }
    return Status::Ok();
  }
  const size_t colon = endpoint.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Status::InvalidArgument(quoted + ": expected HOST:PORT or unix:/PATH");
  }
  std::string_view host = endpoint.substr(0, colon);
  std::string_view port = endpoint.substr(colon + 1);
  if (!AllDigits(port) || port.size() > 5 || std::stoi(std::string(port)) < 1 ||
      std::stoi(std::string(port)) > 65535) {
    return Status::InvalidArgument(quoted + ": port must be a number from 1 to 65535");
  }
  const bool bracketed = host.front() == '[' && host.back() == ']' && host.size() > 2;
  if (!bracketed && host.find(':') != std::string_view::npos) {
    return Status::InvalidArgument(quoted + ": write IPv6 hosts in brackets, like [::1]:50051");
  }
  for (char c : host) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '/') {
      return Status::InvalidArgument(quoted + ": host contains a space or '/'");
    }
  }
  return Status::Ok();
}

Status FunctionRegistry::Set(const std::string& name, const std::string& endpoint) {
  STEPFLOW_RETURN_IF_ERROR(ValidateName(name));
  STEPFLOW_RETURN_IF_ERROR(ValidateEndpoint(endpoint));
  std::unique_lock lock(mutex_);
  functions_[name] = endpoint;
  return Status::Ok();
}

bool FunctionRegistry::Remove(const std::string& name) {
  std::unique_lock lock(mutex_);
  return functions_.erase(name) > 0;
}

std::optional<std::string> FunctionRegistry::Find(const std::string& name) const {
  std::shared_lock lock(mutex_);
  auto it = functions_.find(name);
  if (it == functions_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::pair<std::string, std::string>> FunctionRegistry::List() const {
  std::shared_lock lock(mutex_);
  return {functions_.begin(), functions_.end()};
}

size_t FunctionRegistry::size() const {
  std::shared_lock lock(mutex_);
  return functions_.size();
}

}  // namespace stepflow::rpc
