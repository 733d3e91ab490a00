// Environments of deployed functions: a Python virtual environment with the
// package's requirements.txt installed by pip, or a node_modules installed by
// npm from its package.json (npm ci when it has a lock file).
//
// An environment is keyed by a hash of what decides its contents: the
// runtime, the interpreter's version, the dependency file's normalised
// content (with the content of local packages it names), and the package
// index settings pip or npm would use (PIP_INDEX_URL, PIP_FIND_LINKS,
// PIP_NO_INDEX, ..., pip.conf, npm_config_registry, .npmrc). It is built once
// under DATA/envs/KEY and shared by every function and version with that key;
// a file lock makes two deploys of one key (in one process or two) build it
// once. The build honours pip's and npm's own configuration, which it
// inherits from the engine's environment, so a private index or a folder of
// wheels works offline. No download happens anywhere but in a build.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "engine/common/status.h"
#include "engine/functions/package.h"

namespace stepflow::functions {

class Environments {
 public:
  explicit Environments(std::string data_dir);

  // The key of the environment `files` need.
  Result<std::string> KeyFor(const std::string& runtime, const PackageFiles& files);

  struct Built {
    std::string dir;
    bool reused = false;   // it existed: nothing was built
    int64_t build_ms = 0;  // the build's duration (0 when reused)
  };
  // Finds or builds environment `key` from the package at `code_dir`.
  // kFailedPrecondition with the tool's own output when the build fails
  // (nothing is left behind); kInternal when a tool cannot be started.
  Result<Built> Ensure(const std::string& runtime, const std::string& key,
                       const std::string& code_dir, const PackageFiles& files);
  bool Ready(const std::string& key) const;

  std::string Dir(const std::string& key) const;
  // The program that runs an instance: the environment's python, or node.
  std::string Interpreter(const std::string& runtime, const std::string& key) const;

  // "Python 3.11.2", "v20.20.2" (cached); kInternal when not installed.
  Result<std::string> InterpreterVersion(const std::string& runtime);

  // How long a build may take before it is stopped.
  static constexpr std::chrono::minutes kBuildTimeout{20};

 private:
  const std::string root_;  // DATA/envs
  std::mutex mu_;
  std::string python_version_, node_version_;  // guarded by mu_
};

// The python3 that builds environments: $STEPFLOW_PYTHON, else /usr/bin/python3,
// else python3 in PATH.
std::string PythonProgram();

}  // namespace stepflow::functions
