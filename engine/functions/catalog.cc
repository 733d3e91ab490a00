#include "engine/functions/catalog.h"

#include <algorithm>
#include <cctype>

#include "engine/runtime/arn.h"

namespace stepflow::functions {
namespace {

constexpr std::string_view kLatest = "$LATEST";
constexpr std::chrono::milliseconds kMaxAge{1000};
// A reference that is not found always reloads the catalog (a miss is rare,
// and answering it from a stale copy would fail a Task).
constexpr std::chrono::milliseconds kMissReload{0};

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

Status ValidateFunctionName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("function name is empty");
  if (name.size() > 140) {
    return Status::InvalidArgument("function name '" + std::string(name.substr(0, 40)) +
                                   "...' is longer than 140 characters");
  }
  for (char c : name) {
    if (c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c)) ||
        std::iscntrl(static_cast<unsigned char>(c))) {
      return Status::InvalidArgument("function name '" + std::string(name) +
                                     "' contains ':', '/', a space or a control character");
    }
  }
  return Status::Ok();
}

Status ValidateAliasName(std::string_view alias) {
  if (alias.empty() || alias.size() > 128) {
    return Status::InvalidArgument("alias names have 1 to 128 characters");
  }
  if (AllDigits(alias)) {
    return Status::InvalidArgument("alias '" + std::string(alias) +
                                   "' is a number: numbers name versions");
  }
  for (char c : alias) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
      return Status::InvalidArgument("alias '" + std::string(alias) +
                                     "' may hold only letters, digits, '-' and '_'");
    }
  }
  return Status::Ok();
}

Result<FunctionRef> ParseFunctionRef(std::string_view text) {
  FunctionRef ref;
  size_t colon = text.find(':');
  ref.name = std::string(text.substr(0, colon));
  STEPFLOW_RETURN_IF_ERROR(ValidateFunctionName(ref.name));
  if (colon == std::string_view::npos) return ref;
  ref.qualifier = std::string(text.substr(colon + 1));
  if (ref.qualifier == kLatest) return ref;
  if (AllDigits(ref.qualifier)) {
    if (ref.qualifier.size() > 15 || std::stoll(ref.qualifier) < 1) {
      return Status::InvalidArgument("'" + std::string(text) + "': versions count from 1");
    }
    return ref;
  }
  if (Status st = ValidateAliasName(ref.qualifier); !st.ok()) {
    return Status::InvalidArgument("'" + std::string(text) + "': the qualifier must be a " +
                                   "version number, $LATEST or an alias: " + st.message());
  }
  return ref;
}

Status ValidateEndpoint(std::string_view endpoint) {
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

Result<std::string> IntegrationKey(std::string_view text) {
  std::string_view key = text;
  constexpr std::string_view kArn = "arn:aws:states:";
  if (key.substr(0, kArn.size()) == kArn) {
    key = runtime::StatesArnRest(key).value_or(std::string_view());  // SERVICE:ACTION...
  }
  for (std::string_view suffix : {".waitForTaskToken", ".sync:2", ".sync"}) {
    if (key.size() > suffix.size() && key.substr(key.size() - suffix.size()) == suffix) {
      key.remove_suffix(suffix.size());
      break;
    }
  }
  const size_t colon = key.find(':');
  bool ok = colon != std::string_view::npos && colon > 0 && colon + 1 < key.size();
  for (char c : key) {
    if (std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c)) ||
        c == '/') {
      ok = false;
    }
  }
  if (!ok) {
    return Status::InvalidArgument("'" + std::string(text) +
                                   "' is not a service integration (expected SERVICE:ACTION, "
                                   "like sns:publish, or arn:aws:states:::SERVICE:ACTION)");
  }
  return std::string(key);
}

Catalog::Catalog(store::Store* store) : store_(store) {}

Status Catalog::Load() {
  std::unique_lock lock(mu_);
  return ReloadLocked();
}

Status Catalog::ReloadLocked() {
  Contents fresh;
  STEPFLOW_ASSIGN_OR_RETURN(fresh.versions, store_->ListFunctionVersions());
  STEPFLOW_ASSIGN_OR_RETURN(fresh.aliases, store_->ListFunctionAliases());
  STEPFLOW_ASSIGN_OR_RETURN(fresh.integrations, store_->ListIntegrations());
  contents_ = std::move(fresh);
  loaded_at_ = std::chrono::steady_clock::now();
  return Status::Ok();
}

Status Catalog::Refresh(std::chrono::milliseconds max_age) {
  {
    std::shared_lock lock(mu_);
    if (max_age.count() > 0 && std::chrono::steady_clock::now() - loaded_at_ < max_age) {
      return Status::Ok();
    }
  }
  std::unique_lock lock(mu_);
  if (max_age.count() > 0 && std::chrono::steady_clock::now() - loaded_at_ < max_age) {
    return Status::Ok();
  }
  return ReloadLocked();
}

Status Catalog::Apply(const CatalogFile& file, int64_t now_ms) {
  for (const CatalogFile::Function& f : file.functions) {
    // The API wins: a function whose newest version was registered through
    // it keeps that version (the file would otherwise undo it at every start).
    bool api_newest = false;
    {
      std::shared_lock lock(mu_);
      for (const store::FunctionVersion& v : contents_.versions) {
        // sorted: the last one wins ("api" or "deploy")
        if (v.name == f.name) api_newest = v.source != "file";
      }
    }
    if (!api_newest) {
      STEPFLOW_RETURN_IF_ERROR(Register(f.name, f.endpoint, "file", now_ms).status());
    }
    for (const auto& [alias, version] : f.aliases) {
      if (HasAlias(f.name, alias)) continue;  // set (or moved) already: the API's to change
      STEPFLOW_RETURN_IF_ERROR(SetAlias(f.name, alias, version));
    }
  }
  for (const auto& [integration, function] : file.integrations) {
    if (IntegrationFunction(integration)) continue;  // mapped already
    STEPFLOW_RETURN_IF_ERROR(MapIntegration(integration, function));
  }
  return Status::Ok();
}

bool Catalog::HasAlias(const std::string& name, const std::string& alias) const {
  std::shared_lock lock(mu_);
  return std::any_of(contents_.aliases.begin(), contents_.aliases.end(),
                     [&](const store::FunctionAlias& a) {
                       return a.function == name && a.alias == alias;
                     });
}

Result<store::FunctionVersion> Catalog::Register(const std::string& name,
                                                 const std::string& endpoint,
                                                 const std::string& source, int64_t now_ms) {
  STEPFLOW_RETURN_IF_ERROR(ValidateFunctionName(name));
  STEPFLOW_RETURN_IF_ERROR(ValidateEndpoint(endpoint));
  store::FunctionVersion v;
  v.name = name;
  v.kind = "grpc";
  v.target = endpoint;
  v.source = source;
  v.created_ms = now_ms;
  return Put(v);
}

Result<store::FunctionVersion> Catalog::RegisterPackage(const std::string& name,
                                                        const std::string& digest,
                                                        const std::string& config,
                                                        int64_t now_ms) {
  STEPFLOW_RETURN_IF_ERROR(ValidateFunctionName(name));
  store::FunctionVersion v;
  v.name = name;
  v.kind = "package";
  v.target = digest;
  v.config = config;
  v.source = "deploy";
  v.created_ms = now_ms;
  return Put(v);
}

Result<store::FunctionVersion> Catalog::Put(const store::FunctionVersion& v) {
  std::unique_lock lock(mu_);
  STEPFLOW_ASSIGN_OR_RETURN(store::FunctionVersion stored, store_->PutFunctionVersion(v));
  STEPFLOW_RETURN_IF_ERROR(ReloadLocked());
  return stored;
}

Status Catalog::SetAlias(const std::string& name, const std::string& alias, int64_t version) {
  STEPFLOW_RETURN_IF_ERROR(ValidateFunctionName(name));
  STEPFLOW_RETURN_IF_ERROR(ValidateAliasName(alias));
  if (alias == kLatest) return Status::InvalidArgument("$LATEST cannot be an alias");
  std::unique_lock lock(mu_);
  STEPFLOW_RETURN_IF_ERROR(store_->PutFunctionAlias({name, alias, version}));
  return ReloadLocked();
}

Result<bool> Catalog::RemoveAlias(const std::string& name, const std::string& alias) {
  std::unique_lock lock(mu_);
  STEPFLOW_ASSIGN_OR_RETURN(bool removed, store_->RemoveFunctionAlias(name, alias));
  STEPFLOW_RETURN_IF_ERROR(ReloadLocked());
  return removed;
}

Result<bool> Catalog::Remove(const std::string& name) {
  std::unique_lock lock(mu_);
  STEPFLOW_ASSIGN_OR_RETURN(bool removed, store_->RemoveFunction(name));
  STEPFLOW_RETURN_IF_ERROR(ReloadLocked());
  return removed;
}

Status Catalog::MapIntegration(const std::string& integration, const std::string& function) {
  STEPFLOW_ASSIGN_OR_RETURN(std::string key, IntegrationKey(integration));
  STEPFLOW_RETURN_IF_ERROR(ParseFunctionRef(function).status());
  std::unique_lock lock(mu_);
  STEPFLOW_RETURN_IF_ERROR(store_->PutIntegration(key, function));
  return ReloadLocked();
}

Result<bool> Catalog::UnmapIntegration(const std::string& integration) {
  STEPFLOW_ASSIGN_OR_RETURN(std::string key, IntegrationKey(integration));
  std::unique_lock lock(mu_);
  STEPFLOW_ASSIGN_OR_RETURN(bool removed, store_->RemoveIntegration(key));
  STEPFLOW_RETURN_IF_ERROR(ReloadLocked());
  return removed;
}

Result<ResolvedFunction> Catalog::ResolveLocked(const FunctionRef& ref) const {
  const auto& versions = contents_.versions;
  // Versions are sorted by (name, version): the function's range.
  auto first = std::lower_bound(
      versions.begin(), versions.end(), ref.name,
      [](const store::FunctionVersion& v, const std::string& name) { return v.name < name; });
  auto last = first;
  while (last != versions.end() && last->name == ref.name) ++last;
  if (first == last) {
    return Status::NotFound("function '" + ref.name +
                            "' is not registered (stepflow functions deploy NAME DIR, "
                            "stepflow functions register NAME ENDPOINT, or a --functions file)");
  }
  int64_t wanted = 0;  // 0 = the newest
  if (!ref.qualifier.empty() && ref.qualifier != kLatest) {
    if (AllDigits(ref.qualifier)) {
      wanted = std::stoll(ref.qualifier);
    } else {
      auto alias = std::find_if(contents_.aliases.begin(), contents_.aliases.end(),
                                [&](const store::FunctionAlias& a) {
                                  return a.function == ref.name && a.alias == ref.qualifier;
                                });
      // An alias nobody defined here (a definition written for AWS names
      // `:prod`) calls the newest version, as an unqualified name does.
      if (alias != contents_.aliases.end()) wanted = alias->version;
    }
  }
  const store::FunctionVersion* v = &*(last - 1);
  if (wanted != 0) {
    auto it = std::find_if(first, last, [&](const auto& x) { return x.version == wanted; });
    if (it == last) {
      return Status::NotFound("function '" + ref.name + "' has no version " +
                              std::to_string(wanted) + " (newest: " +
                              std::to_string(v->version) + ")");
    }
    v = &*it;
  }
  const bool qualified = !ref.qualifier.empty() && ref.qualifier != kLatest;
  return ResolvedFunction{v->name, v->version, qualified, v->kind, v->target, v->config};
}

Result<ResolvedFunction> Catalog::Resolve(std::string_view reference) {
  STEPFLOW_ASSIGN_OR_RETURN(FunctionRef ref, ParseFunctionRef(reference));
  STEPFLOW_RETURN_IF_ERROR(Refresh(kMaxAge));
  {
    std::shared_lock lock(mu_);
    Result<ResolvedFunction> found = ResolveLocked(ref);
    if (found.ok() || found.status().code() != StatusCode::kNotFound) return found;
  }
  // Not here: another process may have registered it since the last read.
  STEPFLOW_RETURN_IF_ERROR(Refresh(kMissReload));
  std::shared_lock lock(mu_);
  return ResolveLocked(ref);
}

std::optional<std::string> Catalog::IntegrationFunction(const std::string& integration_key) {
  auto find = [&]() -> std::optional<std::string> {
    std::shared_lock lock(mu_);
    for (const auto& [key, function] : contents_.integrations) {
      if (key == integration_key) return function;
    }
    return std::nullopt;
  };
  if (!Refresh(kMaxAge).ok()) return find();
  if (auto found = find()) return found;
  if (!Refresh(kMissReload).ok()) return std::nullopt;
  return find();
}

Catalog::Contents Catalog::List() {
  (void)Refresh(kMaxAge);
  std::shared_lock lock(mu_);
  return contents_;
}

}  // namespace stepflow::functions
