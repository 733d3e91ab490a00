// The function catalog: what a Task's Resource can call (ARCHITECTURE §5).
//
// A function NAME has immutable versions 1, 2, ... Each registration of a
// new target (a FunctionService endpoint, or deployed code: functions/package.h) adds
// a version; registering the newest version's target again changes nothing.
// Aliases name one version ("prod" -> 3). A reference is resolved as:
//
//   NAME            the newest version
//   NAME:$LATEST    the newest version
//   NAME:N          version N
//   NAME:ALIAS      the version the alias points to (an alias that is not
//                   defined: the newest version, so definitions written for
//                   AWS, which name `:prod` and the like, run unchanged)
//
// Service integrations ("sns:publish", "dynamodb:putItem", "aws-sdk:s3:getObject")
// are mapped to a function reference; a Task whose Resource is
// arn:aws:states:::sns:publish then calls that function with its Parameters.
//
// Everything is kept in the Store, so every process that opens a database
// (server, run, resume, exec redrive) resolves the same way; the `--functions`
// file is applied to the stored catalog when a process opens it. Reads are
// served from memory: changes made through this object are seen at once,
// changes made by another process within about a second (and at once when
// a reference is not found).
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/status.h"
#include "engine/store/store.h"

namespace stepflow::functions {

// NAME[:QUALIFIER] split; qualifier "" when absent.
struct FunctionRef {
  std::string name;
  std::string qualifier;
  std::string ToString() const { return qualifier.empty() ? name : name + ":" + qualifier; }
};

// kInvalidArgument naming the problem. Names: 1-140 characters, none of
// ':', '/', whitespace or control characters. Qualifiers: a version number,
// "$LATEST" or an alias (letters, digits, '-' and '_', not all digits).
Result<FunctionRef> ParseFunctionRef(std::string_view text);
Status ValidateFunctionName(std::string_view name);
Status ValidateAliasName(std::string_view alias);
// "HOST:PORT" (PORT 1-65535, IPv6 hosts in brackets) or "unix:/ABSOLUTE/PATH".
Status ValidateEndpoint(std::string_view endpoint);
// An integration as written in a mapping: "sns:publish", or a whole resource
// "arn:aws:states:::sns:publish[.sync|.waitForTaskToken]"; returns the key
// ("sns:publish"). kInvalidArgument when it is not SERVICE:ACTION.
Result<std::string> IntegrationKey(std::string_view text);

struct ResolvedFunction {
  std::string name;
  int64_t version = 0;
  bool qualified = false;  // named by a version or an alias (not NAME or NAME:$LATEST)
  std::string kind;    // "grpc" | "package"
  std::string target;  // "grpc": the endpoint; "package": the code's digest
  std::string config;  // "package": its settings (DeployedConfig JSON)
};

// What a `--functions` file says:
//
//   functions:
//     echo: 127.0.0.1:50051            # NAME: ENDPOINT
//     quote:                           # or a mapping
//       endpoint: unix:/run/quote.sock
//       aliases: {prod: 2}             # ALIAS: VERSION
//   integrations:
//     sns:publish: notifier            # SERVICE:ACTION: FUNCTION[:QUALIFIER]
struct CatalogFile {
  struct Function {
    std::string name, endpoint;
    std::map<std::string, int64_t> aliases;
  };
  std::vector<Function> functions;
  std::vector<std::pair<std::string, std::string>> integrations;
};
// kInvalidArgument (kNotFound for a missing file) naming the file, the key
// and, for YAML problems, line:column.
Result<CatalogFile> LoadCatalogFile(const std::string& path);
Result<CatalogFile> ParseCatalogFile(std::string_view yaml_text,
                                     const std::string& origin = "<functions>");

class Catalog {
 public:
  // `store` must outlive the catalog.
  explicit Catalog(store::Store* store);
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  // Reads the stored catalog (store errors only).
  Status Load();
  // Registers the file's functions (source "file": a new version when the
  // endpoint changed, unless the function's newest version was registered
  // through the API, which wins). The file's aliases and integrations are
  // set when they do not exist yet: once set, the API changes them (a file
  // applied at every start must not move an alias back).
  Status Apply(const CatalogFile& file, int64_t now_ms);

  // A new version of `name` calling `endpoint` (or the newest one, with
  // `unchanged`, when it already calls it).
  Result<store::FunctionVersion> Register(const std::string& name, const std::string& endpoint,
                                          const std::string& source, int64_t now_ms);
  // A new version of `name` running deployed code `digest` with `config`
  // (DeployedConfig JSON), or the newest one (`unchanged`) when it is the same.
  Result<store::FunctionVersion> RegisterPackage(const std::string& name, const std::string& digest,
                                                 const std::string& config, int64_t now_ms);
  Status SetAlias(const std::string& name, const std::string& alias, int64_t version);
  Result<bool> RemoveAlias(const std::string& name, const std::string& alias);
  Result<bool> Remove(const std::string& name);
  // `function` is a reference; it need not exist yet.
  Status MapIntegration(const std::string& integration, const std::string& function);
  Result<bool> UnmapIntegration(const std::string& integration);

  // kNotFound saying what is missing (the function or the version).
  Result<ResolvedFunction> Resolve(std::string_view reference);
  // The function reference `integration_key` is mapped to; nullopt if none.
  std::optional<std::string> IntegrationFunction(const std::string& integration_key);

  struct Contents {
    std::vector<store::FunctionVersion> versions;  // by name, version
    std::vector<store::FunctionAlias> aliases;     // by function, alias
    std::vector<std::pair<std::string, std::string>> integrations;
  };
  Contents List();

 private:
  // Reloads from the store when the copy is older than `max_age`.
  Status Refresh(std::chrono::milliseconds max_age);
  Status ReloadLocked();
  Result<store::FunctionVersion> Put(const store::FunctionVersion& v);
  bool HasAlias(const std::string& name, const std::string& alias) const;
  Result<ResolvedFunction> ResolveLocked(const FunctionRef& ref) const;

  store::Store* store_;
  mutable std::shared_mutex mu_;
  Contents contents_;  // guarded by mu_
  std::chrono::steady_clock::time_point loaded_at_{};  // guarded by mu_
};

}  // namespace stepflow::functions
