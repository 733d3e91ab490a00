// FunctionRegistry: which FunctionService endpoint serves each function NAME
// (ARCHITECTURE §5). A Task whose Resource is a bare NAME (or a Lambda ARN
// the runtime turned into a NAME) is called at the endpoint registered here.
//
// Loaded from the `--functions FILE` YAML:
//
//   functions:
//     echo: 127.0.0.1:50051       # HOST:PORT
//     resize: unix:/run/resize.sock
//
// and changed at run time through the API (Set/Remove).
//
// Endpoint syntax (checked by ValidateEndpoint): "HOST:PORT" with a decimal
// PORT in 1..65535 (HOST may be a name, an IPv4 address or "[IPv6]"), or
// "unix:/absolute/path". Names are non-empty and contain no '/' and no
// whitespace (a '/' would make "grpc://HOST:PORT/NAME" ambiguous).
//
// Errors: LoadFile/LoadString return kInvalidArgument (kNotFound for a
// missing file) whose message names the file, the key and, for YAML
// problems, the line:column (1-based).
//
// Thread-safety: every method may be called from any thread; readers share a
// std::shared_mutex, Set/Remove take it exclusively. Moving a registry is
// not thread-safe (do it before sharing it).
#pragma once

#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/common/status.h"

namespace stepflow::rpc {

class FunctionRegistry {
 public:
  FunctionRegistry() = default;
  FunctionRegistry(FunctionRegistry&& other) noexcept;
  FunctionRegistry& operator=(FunctionRegistry&& other) noexcept;
  FunctionRegistry(const FunctionRegistry&) = delete;
  FunctionRegistry& operator=(const FunctionRegistry&) = delete;

  // Reads the YAML file at `path`. An empty file gives an empty registry; a
  // file that is not empty must be a mapping with a `functions` mapping and
  // no other keys.
  static Result<FunctionRegistry> LoadFile(const std::string& path);
  // Same, from text; `origin` names the source in error messages.
  static Result<FunctionRegistry> LoadString(std::string_view yaml_text,
                                             const std::string& origin = "<functions>");

  // OK, or kInvalidArgument saying what is wrong with `endpoint` / `name`.
  static Status ValidateEndpoint(std::string_view endpoint);
  static Status ValidateName(std::string_view name);

  // Adds or replaces NAME → endpoint. kInvalidArgument for a bad name or
  // endpoint (the registry is then unchanged).
  Status Set(const std::string& name, const std::string& endpoint);
  // True when NAME was registered.
  bool Remove(const std::string& name);
  std::optional<std::string> Find(const std::string& name) const;
  // All (name, endpoint) pairs, sorted by name.
  std::vector<std::pair<std::string, std::string>> List() const;
  size_t size() const;

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::string, std::string, std::less<>> functions_;  // guarded by mutex_
};

}  // namespace stepflow::rpc
