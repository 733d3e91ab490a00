// Deployer: `stepflow functions deploy` — from a package of files to a new
// immutable version of a function in the catalog.
//
//   1. the files are checked, the runtime and handler told (package.h);
//   2. the code is stored once per content digest (DATA/code/DIGEST);
//   3. its environment is found or built (environments.h);
//   4. one instance is started to check that the handler loads;
//   5. the catalog gets a version (kind "package"), unless the newest one
//      already runs this code with these settings (`unchanged`: steps 3-4
//      are then skipped too).
// A deploy that fails at 3 or 4 changes no version (the previous one keeps
// serving) and is kept as the function's DeployFailure until one succeeds.
//
// Thread-safety: Deploy may be called from any thread; deploys of one
// environment build it once.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "engine/common/status.h"
#include "engine/functions/catalog.h"
#include "engine/functions/environments.h"
#include "engine/functions/local_invoker.h"
#include "engine/functions/package.h"
#include "engine/store/store.h"

namespace stepflow::functions {

struct DeployRequest {
  std::string name;
  PackageFiles files;
  std::string runtime;  // "" = told from the files
  std::string handler;  // "" = the runtime's default
  // Unset: the defaults of DeployedConfig.
  std::optional<int64_t> timeout_s, memory_mb, max_instances, min_instances, keep_warm_s;
  std::map<std::string, std::string> env;
  bool network = true;
  bool sandbox = true;
  std::vector<std::string> mounts;  // "PATH" or "PATH:ro"
};

struct DeployResult {
  store::FunctionVersion version;  // `unchanged` when the newest already was this
  DeployedConfig config;
  std::string digest;
  bool environment_reused = false;
  int64_t environment_build_ms = 0;
  int64_t deploy_ms = 0;
};

class Deployer {
 public:
  // All must outlive the deployer. `now_ms` stamps versions and failures.
  Deployer(store::Store* store, Catalog* catalog, LocalInvoker* invoker, Environments* environments,
           std::function<int64_t()> now_ms);

  // kInvalidArgument for a bad request (names the field); kFailedPrecondition
  // with the build's or loader's output when the environment cannot be built
  // or the handler does not load.
  Result<DeployResult> Deploy(DeployRequest request);

  // A deployed version as the local invoker runs it (kDataLoss for
  // unreadable settings).
  static Result<DeployedFunction> FromResolved(const ResolvedFunction& resolved);

 private:
  Status StoreCode(const PackageFiles& files, const std::string& digest);
  Status LinkNodeModules(const std::string& code_dir, const std::string& env_dir);

  store::Store* store_;
  Catalog* catalog_;
  LocalInvoker* invoker_;
  Environments* environments_;
  std::function<int64_t()> now_ms_;
};

}  // namespace stepflow::functions
