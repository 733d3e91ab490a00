// A deployed function's code and settings (ARCHITECTURE §5, "Deployed
// functions").
//
// `stepflow functions deploy NAME DIR` reads DIR into a package: its files
// (node_modules, __pycache__, .git and virtual environments left out: the
// engine builds the environment itself), hashed in path order, so the same
// code always has the same digest. The code is kept once per digest under
// DATA/code/DIGEST/ and a deploy of unchanged code changes nothing.
//
//   auto files = ReadFunctionFolder("fns/resize");      // Result<PackageFiles>
//   std::string digest = PackageDigest(*files);
//   auto runtime = DetectRuntime(*files);                // "python" | "node"
//
// Errors: kInvalidArgument naming the file or the setting.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/common/status.h"

namespace stepflow::functions {

struct PackageFile {
  std::string path;     // relative, '/'-separated, no "." or ".." parts
  bool executable = false;
  std::string content;
};
using PackageFiles = std::vector<PackageFile>;  // sorted by path

// A deployed package may hold at most this much code (Lambda's unzipped limit).
inline constexpr int64_t kMaxPackageBytes = 250LL * 1024 * 1024;

// Reads a function folder: regular files only (symbolic links are followed
// within the folder), sorted by path. kInvalidArgument when DIR is not a
// folder, holds no file, or more than kMaxPackageBytes.
Result<PackageFiles> ReadFunctionFolder(const std::string& dir);
// Checks files received over the API: relative paths without "..", no
// duplicates, within the size limit. Sorts them by path.
Status CheckPackageFiles(PackageFiles& files);
// SHA-256 (hex) over the sorted paths, modes and contents.
std::string PackageDigest(const PackageFiles& files);
// Writes the files to DIR (created; must not exist), read-only.
Status WritePackage(const PackageFiles& files, const std::string& dir);

// "python" or "node" from the files (requirements.txt / *.py → python,
// package.json / *.js / *.mjs / *.cjs → node); kInvalidArgument when neither
// or both can be told.
Result<std::string> DetectRuntime(const PackageFiles& files);
// The handler used when none is given: Python `handler.handler`, or
// `lambda_function.lambda_handler` when lambda_function.py exists; Node
// `index.handler`.
std::string DefaultHandler(const std::string& runtime, const PackageFiles& files);
// kInvalidArgument unless the handler's file is in the package
// ("MODULE.FUNC": MODULE.py or MODULE/__init__.py; "FILE.EXPORT": FILE.js, .mjs or .cjs).
Status CheckHandler(const std::string& runtime, const std::string& handler,
                    const PackageFiles& files);

// A --mount as written: "PATH" (read-write) or "PATH:ro".
struct Mount {
  std::string path;
  bool read_only = false;
  static Mount Parse(const std::string& text);
  std::string ToString() const { return read_only ? path + ":ro" : path; }
};

// A deployed version's settings, kept as JSON in its catalog entry.
struct DeployedConfig {
  std::string runtime;  // "python" | "node"
  std::string handler;  // "handler.handler", "index.handler"
  int64_t timeout_s = 60;      // a call's limit (the Task's TimeoutSeconds may be shorter)
  int64_t memory_mb = 512;     // resident memory limit of an instance
  int64_t max_instances = 8;   // instances run at once
  int64_t min_instances = 0;   // kept running when idle
  int64_t keep_warm_s = 60;    // an idle instance above min_instances stops after this
  std::map<std::string, std::string> env;  // set for the handler
  bool network = true;         // the sandbox keeps the network
  bool sandbox = true;         // run in bubblewrap (false: --no-sandbox, or not installed)
  // Host folders the sandbox shows at the same path: "PATH" read-write,
  // "PATH:ro" read-only (--mount). Absolute, existing folders.
  std::vector<std::string> mounts;
  std::string env_key;         // the environment it runs in (environments.h)

  std::string ToJson() const;  // stable: same settings, same text
  static Result<DeployedConfig> FromJson(const std::string& text);
  // kInvalidArgument naming the bad setting.
  Status Check() const;
};

}  // namespace stepflow::functions
