// The `--functions` YAML file (catalog.h: CatalogFile).
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "engine/functions/catalog.h"

namespace stepflow::functions {
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

Status Bad(const std::string& origin, const YAML::Node& node, const std::string& message) {
  return Status::InvalidArgument(Where(origin, node.Mark()) + ": " + message);
}

Status ParseFunction(const std::string& origin, const YAML::Node& key, const YAML::Node& value,
                     CatalogFile::Function* f) {
  f->name = key.Scalar();
  const std::string at = "functions." + f->name;
  if (Status s = ValidateFunctionName(f->name); !s.ok()) return Bad(origin, key, at + ": " + s.message());
  if (value.IsScalar()) {
    f->endpoint = value.Scalar();
  } else if (value.IsMap()) {
    for (const auto& field : value) {
      const std::string name = field.first.Scalar();
      if (name == "endpoint" && field.second.IsScalar()) {
        f->endpoint = field.second.Scalar();
      } else if (name == "aliases" && field.second.IsMap()) {
        for (const auto& alias : field.second) {
          const std::string alias_name = alias.first.Scalar();
          if (Status s = ValidateAliasName(alias_name); !s.ok()) {
            return Bad(origin, alias.first, at + ".aliases: " + s.message());
          }
          int64_t version = 0;
          try {
            version = alias.second.as<int64_t>();
          } catch (const YAML::Exception&) {
            version = 0;
          }
          if (version < 1) {
            return Bad(origin, alias.second,
                       at + ".aliases." + alias_name + ": expected a version number");
          }
          f->aliases[alias_name] = version;
        }
      } else {
        return Bad(origin, field.first,
                   at + ": unknown key '" + name +
                       "' (expected endpoint: HOST:PORT and aliases: {ALIAS: VERSION})");
      }
    }
  } else {
    return Bad(origin, value,
               at + ": expected an endpoint like HOST:PORT or unix:/PATH, found " +
                   NodeKind(value));
  }
  if (Status s = ValidateEndpoint(f->endpoint); !s.ok()) {
    return Bad(origin, value, at + ": " + s.message());
  }
  return Status::Ok();
}

Result<CatalogFile> Parse(std::string_view text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    return Status::InvalidArgument(Where(origin, e.mark) + ": invalid YAML: " + e.msg);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(origin + ": invalid YAML: " + e.what());
  }
  CatalogFile file;
  if (root.IsNull()) return file;  // an empty file registers nothing
  if (!root.IsMap()) {
    return Bad(origin, root,
               std::string("expected a mapping with keys 'functions' and 'integrations', found ") +
                   NodeKind(root));
  }
  try {
    std::set<std::string> seen;
    for (const auto& section : root) {
      const std::string key = section.first.Scalar();
      const YAML::Node& body = section.second;
      if (key != "functions" && key != "integrations") {
        return Bad(origin, section.first,
                   "unknown key '" + key + "' (expected 'functions' or 'integrations')");
      }
      if (body.IsNull()) continue;
      if (!body.IsMap()) {
        return Bad(origin, body, "'" + key + "' must be a mapping, found " + NodeKind(body));
      }
      for (const auto& entry : body) {
        if (!entry.first.IsScalar()) return Bad(origin, entry.first, "keys must be strings");
        if (key == "functions") {
          CatalogFile::Function f;
          STEPFLOW_RETURN_IF_ERROR(ParseFunction(origin, entry.first, entry.second, &f));
          if (!seen.insert(f.name).second) {
            return Bad(origin, entry.first, "function '" + f.name + "' is listed twice");
          }
          file.functions.push_back(std::move(f));
          continue;
        }
        const std::string integration = entry.first.Scalar();
        Result<std::string> k = IntegrationKey(integration);
        if (!k.ok()) return Bad(origin, entry.first, "integrations: " + k.status().message());
        if (!entry.second.IsScalar()) {
          return Bad(origin, entry.second,
                     "integrations." + integration + ": expected a function name");
        }
        if (Status s = ParseFunctionRef(entry.second.Scalar()).status(); !s.ok()) {
          return Bad(origin, entry.second, "integrations." + integration + ": " + s.message());
        }
        file.integrations.emplace_back(*k, entry.second.Scalar());
      }
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(Where(origin, e.mark) + ": " + e.msg);
  }
  return file;
}

}  // namespace

Result<CatalogFile> LoadCatalogFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("functions file '" + path + "' cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::InvalidArgument("functions file '" + path + "': read error");
  return Parse(text.str(), path);
}

Result<CatalogFile> ParseCatalogFile(std::string_view yaml_text, const std::string& origin) {
  return Parse(yaml_text, origin);
}

}  // namespace stepflow::functions
