#include "engine/functions/deployer.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>

namespace stepflow::functions {
namespace {

namespace fs = std::filesystem;

int64_t ElapsedMs(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               since)
      .count();
}

}  // namespace

Deployer::Deployer(store::Store* store, Catalog* catalog, LocalInvoker* invoker,
                   Environments* environments, std::function<int64_t()> now_ms)
    : store_(store),
      catalog_(catalog),
      invoker_(invoker),
      environments_(environments),
      now_ms_(std::move(now_ms)) {}

Result<DeployedFunction> Deployer::FromResolved(const ResolvedFunction& resolved) {
  STEPFLOW_ASSIGN_OR_RETURN(DeployedConfig config, DeployedConfig::FromJson(resolved.config));
  return DeployedFunction{resolved.name, resolved.version, resolved.target, std::move(config)};
}

Status Deployer::StoreCode(const PackageFiles& files, const std::string& digest) {
  const std::string dir = invoker_->CodeDir(digest);
  std::error_code ec;
  if (fs::exists(dir, ec)) return Status::Ok();
  // Written aside, then renamed: a reader never sees half a package.
  const std::string tmp = dir + ".tmp-" + std::to_string(::getpid()) + "-" +
                          std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  fs::create_directories(tmp, ec);
  if (ec) return Status::Internal("cannot create " + tmp + ": " + ec.message());
  Status st = WritePackage(files, tmp);
  if (st.ok()) {
    fs::rename(tmp, dir, ec);
    if (ec && !fs::exists(dir)) st = Status::Internal("cannot store the code in " + dir + ": " + ec.message());
  }
  if (fs::exists(tmp, ec)) {
    fs::permissions(tmp, fs::perms::owner_all, fs::perm_options::add, ec);
    for (auto& p : fs::recursive_directory_iterator(tmp, ec)) {
      fs::permissions(p.path(), fs::perms::owner_all, fs::perm_options::add, ec);
    }
    fs::remove_all(tmp, ec);
  }
  return st;
}

Status Deployer::LinkNodeModules(const std::string& code_dir, const std::string& env_dir) {
  // Node finds packages in node_modules beside or above the code: the code
  // folder links to its environment's.
  std::error_code ec;
  const fs::path target = fs::path(env_dir) / "node_modules";
  const fs::path link = fs::path(code_dir) / "node_modules";
  if (!fs::exists(target, ec) || fs::is_symlink(link, ec)) return Status::Ok();
  fs::create_directory_symlink(target, link, ec);
  if (ec && !fs::is_symlink(link)) {
    return Status::Internal("cannot link " + link.string() + ": " + ec.message());
  }
  return Status::Ok();
}

Result<DeployResult> Deployer::Deploy(DeployRequest request) {
  const auto start = std::chrono::steady_clock::now();
  STEPFLOW_RETURN_IF_ERROR(ValidateFunctionName(request.name));
  STEPFLOW_RETURN_IF_ERROR(CheckPackageFiles(request.files));
  DeployedConfig config;
  if (request.runtime.empty()) {
    STEPFLOW_ASSIGN_OR_RETURN(config.runtime, DetectRuntime(request.files));
  } else {
    config.runtime = request.runtime;
  }
  if (config.runtime != "python" && config.runtime != "node") {
    return Status::InvalidArgument("--runtime must be python or node, not '" + config.runtime + "'");
  }
  config.handler = request.handler.empty() ? DefaultHandler(config.runtime, request.files) : request.handler;
  STEPFLOW_RETURN_IF_ERROR(CheckHandler(config.runtime, config.handler, request.files));
  if (request.timeout_s) config.timeout_s = *request.timeout_s;
  if (request.memory_mb) config.memory_mb = *request.memory_mb;
  if (request.max_instances) config.max_instances = *request.max_instances;
  if (request.min_instances) config.min_instances = *request.min_instances;
  if (request.keep_warm_s) config.keep_warm_s = *request.keep_warm_s;
  config.env = request.env;
  config.network = request.network;
  config.sandbox = request.sandbox;
  for (const std::string& text : request.mounts) {
    Mount m = Mount::Parse(text);
    if (m.path.empty() || m.path[0] != '/') {
      return Status::InvalidArgument("--mount " + text + ": PATH or PATH:ro, with an absolute PATH");
    }
    std::string path = fs::path(m.path).lexically_normal().string();
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    // The engine's own files (database, code, environments) stay out of
    // reach: a function that could write them could change deployed code.
    const std::string data = fs::path(invoker_->DataDir()).lexically_normal().string();
    if (data == path || data.rfind(path == "/" ? path : path + "/", 0) == 0 ||
        path.rfind(data + "/", 0) == 0) {
      return Status::InvalidArgument("--mount " + path + ": it holds the engine's data folder (" + data +
                                     ", beside the database); mount a folder of its own");
    }
    config.mounts.push_back(Mount{path, m.read_only}.ToString());
  }
  STEPFLOW_RETURN_IF_ERROR(config.Check());

  DeployResult result;
  result.digest = PackageDigest(request.files);
  STEPFLOW_ASSIGN_OR_RETURN(config.env_key, environments_->KeyFor(config.runtime, request.files));
  result.config = config;
  const std::string code_dir = invoker_->CodeDir(result.digest);
  STEPFLOW_RETURN_IF_ERROR(StoreCode(request.files, result.digest));

  // The newest version already runs this: nothing to build or check.
  for (const store::FunctionVersion& v : catalog_->List().versions) {
    if (v.name == request.name) result.version = v;  // sorted: the newest last
  }
  const bool same = result.version.kind == "package" && result.version.target == result.digest &&
                    result.version.config == config.ToJson();
  if (same && environments_->Ready(config.env_key)) {
    result.version.unchanged = true;
    result.environment_reused = true;
    (void)store_->ClearDeployFailure(request.name);
    result.deploy_ms = ElapsedMs(start);
    return result;
  }

  auto fail = [&](const Status& st) -> Status {
    (void)store_->PutDeployFailure({request.name, now_ms_(), st.message()});
    return st;
  };
  Result<Environments::Built> built =
      environments_->Ensure(config.runtime, config.env_key, code_dir, request.files);
  if (!built.ok()) return fail(built.status());
  result.environment_reused = built->reused;
  result.environment_build_ms = built->build_ms;
  if (config.runtime == "node") {
    Status st = LinkNodeModules(code_dir, built->dir);
    if (!st.ok()) return fail(st);
  }
  DeployedFunction candidate{request.name, result.version.version + 1, result.digest, config};
  Status loads = invoker_->CheckLoads(candidate);
  if (!loads.ok()) return fail(loads);

  STEPFLOW_ASSIGN_OR_RETURN(result.version, catalog_->RegisterPackage(request.name, result.digest,
                                                                      config.ToJson(), now_ms_()));
  (void)store_->ClearDeployFailure(request.name);
  result.deploy_ms = ElapsedMs(start);
  return result;
}

}  // namespace stepflow::functions
