#include "engine/functions/package.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include "engine/common/json_util.h"

#include "engine/common/hash.h"

namespace stepflow::functions {
namespace {

namespace fs = std::filesystem;

// Left out of a package: what the engine builds itself, caches and VCS data.
bool SkippedName(const std::string& name) {
  static const std::set<std::string> kSkipped = {
      "node_modules", "__pycache__", ".git", ".hg", ".svn", ".venv", "venv", ".mypy_cache",
      ".pytest_cache", ".DS_Store"};
  return kSkipped.count(name) > 0 || (name.size() > 4 && name.substr(name.size() - 4) == ".pyc");
}

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool HasFile(const PackageFiles& files, const std::string& path) {
  return std::any_of(files.begin(), files.end(), [&](const PackageFile& f) { return f.path == path; });
}

Status TooLarge(int64_t bytes) {
  return Status::InvalidArgument("the package holds " + std::to_string(bytes / (1024 * 1024)) +
                                 " MiB, over the limit of " +
                                 std::to_string(kMaxPackageBytes / (1024 * 1024)) + " MiB");
}

}  // namespace

Result<PackageFiles> ReadFunctionFolder(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Status::InvalidArgument("'" + dir + "' is not a folder");
  }
  PackageFiles files;
  int64_t total = 0;
  fs::recursive_directory_iterator it(dir, fs::directory_options::follow_directory_symlink, ec);
  if (ec) return Status::InvalidArgument("cannot read '" + dir + "': " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return Status::InvalidArgument("cannot read '" + dir + "': " + ec.message());
    const fs::path& path = it->path();
    if (SkippedName(path.filename().string())) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    std::ifstream in(path, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    if (!in.good() && !in.eof()) {
      return Status::InvalidArgument("cannot read '" + path.string() + "'");
    }
    PackageFile file;
    file.path = fs::relative(path, dir, ec).generic_string();
    file.executable = (fs::status(path, ec).permissions() & fs::perms::owner_exec) != fs::perms::none;
    file.content = std::move(content).str();
    total += static_cast<int64_t>(file.content.size());
    if (total > kMaxPackageBytes) return TooLarge(total);
    files.push_back(std::move(file));
  }
  if (files.empty()) return Status::InvalidArgument("'" + dir + "' holds no file");
  std::sort(files.begin(), files.end(),
            [](const PackageFile& a, const PackageFile& b) { return a.path < b.path; });
  return files;
}

Status CheckPackageFiles(PackageFiles& files) {
  if (files.empty()) return Status::InvalidArgument("the package holds no file");
  int64_t total = 0;
  for (const PackageFile& f : files) {
    const fs::path p(f.path);
    bool bad = f.path.empty() || p.is_absolute() || f.path.find('\\') != std::string::npos ||
               f.path.find('\0') != std::string::npos;
    for (const fs::path& part : p) {
      if (part == ".." || part == "." || part.empty()) bad = true;
    }
    if (bad) return Status::InvalidArgument("bad file path in the package: '" + f.path + "'");
    total += static_cast<int64_t>(f.content.size());
  }
  if (total > kMaxPackageBytes) return TooLarge(total);
  std::sort(files.begin(), files.end(),
            [](const PackageFile& a, const PackageFile& b) { return a.path < b.path; });
  for (size_t i = 1; i < files.size(); ++i) {
    if (files[i].path == files[i - 1].path) {
      return Status::InvalidArgument("the package holds '" + files[i].path + "' twice");
    }
  }
  return Status::Ok();
}

std::string PackageDigest(const PackageFiles& files) {
  // A manifest of (path, mode, size, content hash): hashing per file keeps
  // memory flat whatever the package's size.
  std::string manifest;
  for (const PackageFile& f : files) {
    manifest += f.path;
    manifest += '\0';
    manifest += f.executable ? "x" : "-";
    manifest += std::to_string(f.content.size());
    manifest += Sha256Hex(f.content);
    manifest += '\n';
  }
  return Sha256Hex(manifest);
}

Status WritePackage(const PackageFiles& files, const std::string& dir) {
  std::error_code ec;
  for (const PackageFile& f : files) {
    const fs::path path = fs::path(dir) / f.path;
    fs::create_directories(path.parent_path(), ec);
    if (ec) return Status::Internal("cannot create '" + path.parent_path().string() + "': " + ec.message());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(f.content.data(), static_cast<std::streamsize>(f.content.size()));
    out.close();
    if (!out) return Status::Internal("cannot write '" + path.string() + "'");
    ::chmod(path.c_str(), f.executable ? 0555 : 0444);
  }
  return Status::Ok();
}

Result<std::string> DetectRuntime(const PackageFiles& files) {
  bool python = HasFile(files, "requirements.txt");
  bool node = HasFile(files, "package.json");
  if (!python && !node) {
    for (const PackageFile& f : files) {
      if (f.path.find('/') != std::string::npos) continue;  // top-level sources only
      if (EndsWith(f.path, ".py")) python = true;
      if (EndsWith(f.path, ".js") || EndsWith(f.path, ".mjs") || EndsWith(f.path, ".cjs")) {
        node = true;
      }
    }
  }
  if (python && !node) return std::string("python");
  if (node && !python) return std::string("node");
  return Status::InvalidArgument(
      python ? "the folder holds both Python and Node code: say which with --runtime python|node"
             : "no Python or Node code found (requirements.txt, package.json, *.py, *.js): say "
               "which with --runtime python|node");
}

std::string DefaultHandler(const std::string& runtime, const PackageFiles& files) {
  if (runtime == "node") return "index.handler";
  if (!HasFile(files, "handler.py") && HasFile(files, "lambda_function.py")) {
    return "lambda_function.lambda_handler";
  }
  return "handler.handler";
}

Status CheckHandler(const std::string& runtime, const std::string& handler,
                    const PackageFiles& files) {
  const size_t dot = handler.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == handler.size()) {
    return Status::InvalidArgument("handler '" + handler + "' is not " +
                                   (runtime == "node" ? "FILE.EXPORT" : "MODULE.FUNCTION"));
  }
  const std::string module = handler.substr(0, dot);
  std::vector<std::string> candidates;
  if (runtime == "node") {
    for (const char* ext : {".js", ".mjs", ".cjs"}) candidates.push_back(module + ext);
  } else {
    std::string path = module;
    std::replace(path.begin(), path.end(), '.', '/');
    candidates = {path + ".py", path + "/__init__.py"};
  }
  for (const std::string& c : candidates) {
    if (HasFile(files, c)) return Status::Ok();
  }
  return Status::InvalidArgument("handler '" + handler + "': the package has no " +
                                 candidates.front() +
                                 (runtime == "node" ? " (nor .mjs, .cjs)" : ""));
}

Mount Mount::Parse(const std::string& text) {
  const bool ro = text.size() > 3 && text.compare(text.size() - 3, 3, ":ro") == 0;
  return {ro ? text.substr(0, text.size() - 3) : text, ro};
}

std::string DeployedConfig::ToJson() const {
  Json j;
  j["runtime"] = runtime;
  j["handler"] = handler;
  j["timeoutSeconds"] = timeout_s;
  j["memoryMb"] = memory_mb;
  j["maxInstances"] = max_instances;
  j["minInstances"] = min_instances;
  j["keepWarmSeconds"] = keep_warm_s;
  j["environment"] = env;  // std::map: sorted by name
  j["network"] = network;
  j["sandbox"] = sandbox;
  if (!mounts.empty()) j["mounts"] = mounts;
  j["envKey"] = env_key;
  return j.dump();
}

Result<DeployedConfig> DeployedConfig::FromJson(const std::string& text) {
  try {
    const Json j = Json::parse(text);
    DeployedConfig c;
    c.runtime = j.at("runtime").get<std::string>();
    c.handler = j.at("handler").get<std::string>();
    c.timeout_s = j.value("timeoutSeconds", c.timeout_s);
    c.memory_mb = j.value("memoryMb", c.memory_mb);
    c.max_instances = j.value("maxInstances", c.max_instances);
    c.min_instances = j.value("minInstances", c.min_instances);
    c.keep_warm_s = j.value("keepWarmSeconds", c.keep_warm_s);
    c.env = j.value("environment", c.env);
    c.network = j.value("network", c.network);
    c.sandbox = j.value("sandbox", c.sandbox);
    c.mounts = j.value("mounts", c.mounts);
    c.env_key = j.value("envKey", c.env_key);
    return c;
  } catch (const Json::exception& e) {
    return Status(StatusCode::kDataLoss, std::string("a deployed function's settings are unreadable: ") + e.what());
  }
}

Status DeployedConfig::Check() const {
  if (runtime != "python" && runtime != "node") {
    return Status::InvalidArgument("--runtime must be python or node, not '" + runtime + "'");
  }
  if (timeout_s < 1 || timeout_s > 86400) {
    return Status::InvalidArgument("--timeout must be 1 to 86400 seconds");
  }
  if (memory_mb < 32 || memory_mb > 1024 * 1024) {
    return Status::InvalidArgument("--memory-mb must be 32 to 1048576");
  }
  if (max_instances < 1 || max_instances > 1024) {
    return Status::InvalidArgument("--max-instances must be 1 to 1024");
  }
  if (min_instances < 0 || min_instances > max_instances) {
    return Status::InvalidArgument("--min-instances must be 0 to --max-instances (" +
                                   std::to_string(max_instances) + ")");
  }
  if (keep_warm_s < 0) return Status::InvalidArgument("--keep-warm must not be negative");
  for (const std::string& m : mounts) {
    const std::string path = Mount::Parse(m).path;
    std::error_code ec;
    if (path.empty() || path[0] != '/' || path.find("..") != std::string::npos) {
      return Status::InvalidArgument("--mount " + m + ": an absolute path is needed (PATH or PATH:ro)");
    }
    if (!std::filesystem::is_directory(path, ec)) {
      return Status::InvalidArgument("--mount " + m + ": no folder at " + path);
    }
  }
  for (const auto& [key, value] : env) {
    const bool valid = !key.empty() && key.find('=') == std::string::npos &&
                       key.find('\0') == std::string::npos && value.find('\0') == std::string::npos;
    if (!valid) return Status::InvalidArgument("--env '" + key + "': not a variable name");
    if (key.rfind("STEPFLOW_", 0) == 0) {
      return Status::InvalidArgument("--env " + key + ": STEPFLOW_ variables are the runtime's");
    }
  }
  return Status::Ok();
}

}  // namespace stepflow::functions
