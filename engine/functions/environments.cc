#include "engine/functions/environments.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/common/json_util.h"

#include "engine/common/hash.h"
#include "engine/functions/process.h"

namespace stepflow::functions {
namespace {

namespace fs = std::filesystem;

constexpr const char* kReadyMarker = ".stepflow-ready";

std::string Trim(std::string s) {
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

const PackageFile* FindFile(const PackageFiles& files, const std::string& path) {
  for (const PackageFile& f : files) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The content digest of a folder or file on disk that a build reads (a
// local package or a wheel folder outside the package).
std::string DiskDigest(const std::string& path) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return Sha256Hex(ReadFileOrEmpty(path));
  // A wheel folder can be large: names, sizes and times are enough.
  std::vector<std::string> entries;
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const auto time = fs::last_write_time(it->path(), ec).time_since_epoch().count();
    entries.push_back(it->path().string() + " " + std::to_string(it->file_size(ec)) + " " +
                      std::to_string(time));
  }
  std::sort(entries.begin(), entries.end());
  std::string joined;
  for (const std::string& e : entries) joined += e + "\n";
  return Sha256Hex(joined);
}

// A requirement's local path, if it names one: "./libs/x", "../x", "/abs",
// "-e ./x", "file:./x", "name @ file:///abs".
std::string LocalPath(const std::string& line) {
  std::istringstream words(line);
  std::string word;
  while (words >> word) {
    if (word.rfind("file://", 0) == 0) return word.substr(7);
    if (word.rfind("file:", 0) == 0) return word.substr(5);
    if (word.rfind("./", 0) == 0 || word.rfind("../", 0) == 0 || word.rfind('/', 0) == 0) {
      return word;
    }
  }
  return "";
}

// requirements.txt without comments, blank lines and spacing, sorted; each
// local path followed by its content digest (from the package when inside
// it, from the disk otherwise).
std::string NormalisedRequirements(const PackageFiles& files) {
  const PackageFile* req = FindFile(files, "requirements.txt");
  if (!req) return "";
  std::vector<std::string> lines;
  std::istringstream in(req->content);
  std::string line;
  while (std::getline(in, line)) {
    if (const size_t hash = line.find(" #"); hash != std::string::npos) line.resize(hash);
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    std::string path = LocalPath(line);
    if (!path.empty()) {
      const std::string inside = fs::path(path).lexically_normal().generic_string();
      if (inside.rfind("..", 0) != 0 && inside[0] != '/') {
        PackageFiles sub;
        for (const PackageFile& f : files) {
          if (f.path.rfind(inside + "/", 0) == 0 || f.path == inside) sub.push_back(f);
        }
        line += " @" + PackageDigest(sub);
      } else {
        line += " @" + DiskDigest(path);
      }
    }
    lines.push_back(line);
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

std::string HomeDir() {
  const char* home = std::getenv("HOME");
  return home ? home : "/root";
}

// What decides where pip looks for packages.
std::string PipSettings() {
  std::string out;
  for (const char* var : {"PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX",
                          "PIP_TRUSTED_HOST", "PIP_CONFIG_FILE", "PIP_NO_BUILD_ISOLATION",
                          "PIP_ONLY_BINARY", "PIP_NO_BINARY", "PIP_PRE"}) {
    if (const char* v = std::getenv(var)) {
      out += std::string(var) + "=" + v + "\n";
      if (std::string(var) == "PIP_FIND_LINKS" && v[0] == '/') out += DiskDigest(v) + "\n";
    }
  }
  for (const std::string& conf :
       {std::string("/etc/pip.conf"), HomeDir() + "/.config/pip/pip.conf", HomeDir() + "/.pip/pip.conf"}) {
    out += conf + ":" + Sha256Hex(ReadFileOrEmpty(conf)) + "\n";
  }
  return out;
}

std::string NpmSettings(const PackageFiles& files) {
  std::string out;
  for (const auto& [k, v] : InheritedEnvironment()) {
    std::string lower = k;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    if (lower.rfind("npm_config_", 0) == 0) out += lower + "=" + v + "\n";
  }
  if (const PackageFile* rc = FindFile(files, ".npmrc")) out += "npmrc:" + Sha256Hex(rc->content) + "\n";
  out += "home npmrc:" + Sha256Hex(ReadFileOrEmpty(HomeDir() + "/.npmrc")) + "\n";
  return out;
}

// The parts of package.json that decide node_modules, sorted; "" when it
// has no dependencies.
std::string NodeDependencies(const PackageFiles& files) {
  const PackageFile* pkg = FindFile(files, "package.json");
  if (!pkg) return "";
  Json deps = Json::object();
  try {
    const Json j = Json::parse(pkg->content);
    for (const char* field : {"dependencies", "optionalDependencies", "peerDependencies",
                              "bundleDependencies", "overrides"}) {
      if (j.contains(field) && !j[field].empty()) deps[field] = j[field];
    }
  } catch (const Json::exception&) {
    return "unparsable:" + Sha256Hex(pkg->content);  // npm reports it at build time
  }
  if (deps.empty()) return "";
  std::string out = DumpCanonical(deps);  // sorted: the key of environments built before
  for (const char* lock : {"package-lock.json", "npm-shrinkwrap.json"}) {
    if (const PackageFile* f = FindFile(files, lock)) out += std::string("\n") + lock + ":" + Sha256Hex(f->content);
  }
  return out;
}

// An exclusive flock on PATH for as long as it lives.
class FileLock {
 public:
  explicit FileLock(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ >= 0) {
      while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
      }
    }
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

Status BuildFailed(const std::string& what, const CommandResult& r) {
  return Status::FailedPrecondition(what + " failed (" + r.Describe() + "):\n" + r.output);
}

}  // namespace

std::string PythonProgram() {
  if (const char* p = std::getenv("STEPFLOW_PYTHON"); p && *p) return p;
  // The system's python3 first: one interpreter for every environment,
  // whatever PATH a deploy happens to run with.
  if (::access("/usr/bin/python3", X_OK) == 0) return "/usr/bin/python3";
  std::string found = FindInPath("python3");
  return found.empty() ? "python3" : found;
}

Environments::Environments(std::string data_dir) : root_(std::move(data_dir) + "/envs") {}

std::string Environments::Dir(const std::string& key) const { return root_ + "/" + key; }

bool Environments::Ready(const std::string& key) const {
  std::error_code ec;
  return fs::exists(Dir(key) + "/" + kReadyMarker, ec);
}

std::string Environments::Interpreter(const std::string& runtime, const std::string& key) const {
  if (runtime == "python") return Dir(key) + "/bin/python3";
  const std::string node = FindInPath("node");
  return node.empty() ? "node" : node;
}

Result<std::string> Environments::InterpreterVersion(const std::string& runtime) {
  {
    std::lock_guard lock(mu_);
    const std::string& cached = runtime == "python" ? python_version_ : node_version_;
    if (!cached.empty()) return cached;
  }
  std::vector<std::string> argv = runtime == "python"
                                      ? std::vector<std::string>{PythonProgram(), "--version"}
                                      : std::vector<std::string>{"node", "--version"};
  STEPFLOW_ASSIGN_OR_RETURN(CommandResult r,
                            RunCommand(argv, "", InheritedEnvironment(), std::chrono::seconds(30)));
  if (!r.ok()) {
    return Status::Internal(argv[0] + " --version failed (" + r.Describe() + "): " + r.output);
  }
  std::string version = Trim(r.output);
  std::lock_guard lock(mu_);
  (runtime == "python" ? python_version_ : node_version_) = version;
  return version;
}

Result<std::string> Environments::KeyFor(const std::string& runtime, const PackageFiles& files) {
  STEPFLOW_ASSIGN_OR_RETURN(std::string version, InterpreterVersion(runtime));
  std::string spec = runtime + "\n" + version + "\n";
  if (runtime == "python") {
    const std::string reqs = NormalisedRequirements(files);
    // With no requirement, pip's settings cannot change the environment.
    spec += reqs.empty() ? "no requirements\n" : reqs + PipSettings();
  } else {
    const std::string deps = NodeDependencies(files);
    spec += deps.empty() ? "no dependencies\n" : deps + "\n" + NpmSettings(files);
  }
  return runtime + "-" + Sha256Hex(spec).substr(0, 32);
}

Result<Environments::Built> Environments::Ensure(const std::string& runtime, const std::string& key,
                                                                           const std::string& code_dir,
                                                 const PackageFiles& files) {
  std::error_code ec;
  fs::create_directories(root_, ec);
  if (ec) return Status::Internal("cannot create " + root_ + ": " + ec.message());
  FileLock lock(Dir(key) + ".lock");
  if (!lock.ok()) return Status::Internal("cannot lock " + Dir(key) + ".lock");
  Built built;
  built.dir = Dir(key);
  if (Ready(key)) {
    built.reused = true;
    return built;
  }
  // A build cut off earlier left a partial folder: start again.
  fs::remove_all(built.dir, ec);
  const auto start = std::chrono::steady_clock::now();
  Environment env = InheritedEnvironment();
  env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1";
  env["PIP_NO_INPUT"] = "1";
  env["PYTHONDONTWRITEBYTECODE"] = "1";
  std::vector<std::vector<std::string>> steps;
  std::string cwd = code_dir;
  if (runtime == "python") {
    const bool has_requirements = !NormalisedRequirements(files).empty();
    std::vector<std::string> venv = {PythonProgram(), "-m", "venv"};
    if (!has_requirements) venv.push_back("--without-pip");
    venv.push_back(built.dir);
    steps.push_back(venv);
    if (has_requirements) {
      // pip builds local packages where they lie (setup.py writes build/
      // and *.egg-info): it works on a copy, never on the stored code.
      cwd = built.dir + ".src";
      fs::remove_all(cwd, ec);
      STEPFLOW_RETURN_IF_ERROR(WritePackage(files, cwd));
      steps.push_back({built.dir + "/bin/python3", "-m", "pip", "install", "--no-input",
                       "--disable-pip-version-check", "-r", cwd + "/requirements.txt"});
    }
  } else {
    fs::create_directories(built.dir, ec);
    if (!NodeDependencies(files).empty()) {
      for (const char* name : {"package.json", "package-lock.json", "npm-shrinkwrap.json", ".npmrc"}) {
        if (const PackageFile* f = FindFile(files, name)) {
          std::ofstream(built.dir + "/" + name, std::ios::binary) << f->content;
        }
      }
      const bool locked = FindFile(files, "package-lock.json") || FindFile(files, "npm-shrinkwrap.json");
      std::vector<std::string> npm = {"npm", locked ? "ci" : "install", "--omit=dev", "--no-audit",
                                      "--no-fund", "--no-update-notifier"};
      if (!locked) npm.push_back("--no-package-lock");
      steps.push_back(npm);
      cwd = built.dir;
    }
  }
  std::string log;
  const std::string copy = built.dir + ".src";
  for (const std::vector<std::string>& step : steps) {
    Result<CommandResult> r = RunCommand(step, cwd, env, kBuildTimeout);
    if (!r.ok() || !r->ok()) {
      fs::remove_all(built.dir, ec);
      fs::remove_all(copy, ec);
      if (!r.ok()) return r.status();
      std::string what = step[0] == "npm" ? "npm " + step[1] : (step.size() > 3 && step[3] == "install" ? "pip install -r requirements.txt" : "python3 -m venv");
      return BuildFailed("building the " + runtime + " environment: " + what, *r);
    }
    log += r->output;
  }
  fs::remove_all(copy, ec);
  built.build_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - start)
                       .count();
  Json marker;
  marker["runtime"] = runtime;
  marker["buildMs"] = built.build_ms;
  std::ofstream(built.dir + "/" + kReadyMarker) << marker.dump() << "\n" << log;
  return built;
}

}  // namespace stepflow::functions
