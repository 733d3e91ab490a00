// schemas/asl.schema.json is what editors use for completion and hover; the
// validator's field tables (AllowedStateFields) are what the engine accepts.
// These tests keep the two from drifting apart.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "engine/asl/validator.h"
#include "engine/common/json_util.h"

namespace stepflow::asl {
namespace {

const Json& Schema() {
  static const Json schema = [] {
    std::ifstream in(STEPFLOW_SOURCE_DIR "/schemas/asl.schema.json", std::ios::binary);
    REQUIRE(in.good());
    std::stringstream text;
    text << in.rdbuf();
    Json parsed = Json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    REQUIRE_FALSE(parsed.is_discarded());
    return parsed;
  }();
  return schema;
}

std::set<std::string> KeysOf(const Json& object) {
  std::set<std::string> keys;
  for (const auto& [key, value] : object.items()) keys.insert(key);
  return keys;
}

std::string Joined(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Every "$ref" under `node` names a definition that exists.
void CheckRefs(const Json& node, const Json& definitions, const std::string& where) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "$ref" && value.is_string()) {
        const std::string ref = value.get<std::string>();
        const std::string prefix = "#/definitions/";
        INFO(where << ": $ref " << ref);
        REQUIRE(ref.rfind(prefix, 0) == 0);
        CHECK(definitions.contains(ref.substr(prefix.size())));
      } else {
        CheckRefs(value, definitions, where + "/" + key);
      }
    }
  } else if (node.is_array()) {
    for (size_t i = 0; i < node.size(); ++i) CheckRefs(node[i], definitions, where + "/" + std::to_string(i));
  }
}

TEST_CASE("schema properties of each state type are the union of both languages' fields",
          "[schema]") {
  const Json& definitions = Schema().at("definitions");
  for (const std::string& type : StateTypes()) {
    DYNAMIC_SECTION(type) {
      const std::string name = type + "State";
      INFO("definitions/" << name);
      REQUIRE(definitions.contains(name));
      const Json& state = definitions.at(name);
      REQUIRE(state.contains("properties"));
      CHECK(state.value("additionalProperties", true) == false);

      std::set<std::string> expected;
      for (const auto& f : AllowedStateFields(type, "JSONPath")) expected.insert(f);
      for (const auto& f : AllowedStateFields(type, "JSONata")) expected.insert(f);
      REQUIRE_FALSE(expected.empty());
      const std::set<std::string> actual = KeysOf(state.at("properties"));

      std::set<std::string> missing, extra;
      for (const auto& f : expected) if (!actual.count(f)) missing.insert(f);
      for (const auto& f : actual) if (!expected.count(f)) extra.insert(f);
      INFO("in AllowedStateFields but not in the schema: " << Joined(missing));
      INFO("in the schema but not in AllowedStateFields: " << Joined(extra));
      CHECK(actual == expected);

      // The Type property pins the state type.
      CHECK(state.at("properties").at("Type").value("const", "") == type);
    }
  }
}

TEST_CASE("schema Type enum lists exactly the state types", "[schema]") {
  const Json& definitions = Schema().at("definitions");
  REQUIRE(definitions.contains("StateType"));
  std::set<std::string> in_schema;
  for (const auto& t : definitions.at("StateType").at("enum")) in_schema.insert(t.get<std::string>());
  const std::set<std::string> in_engine(StateTypes().begin(), StateTypes().end());
  CHECK(in_schema == in_engine);
  CHECK(definitions.at("StateType").at("enum").size() == StateTypes().size());
}

TEST_CASE("schema is draft-07 and every $ref resolves", "[schema]") {
  const Json& schema = Schema();
  CHECK(schema.value("$schema", "") == "http://json-schema.org/draft-07/schema#");
  for (const char* field : {"StartAt", "States", "Comment", "Version", "TimeoutSeconds", "QueryLanguage"}) {
    INFO(field);
    CHECK(schema.at("properties").contains(field));
  }
  CheckRefs(schema, schema.at("definitions"), "");
}

}  // namespace
}  // namespace stepflow::asl
