// Every example in workflows/ must parse, match its JSON twin, validate
// without errors and come with a parsable example input. New examples are
// picked up automatically: workflows/NAME.asl.yaml, NAME.asl.json,
// NAME.input.json.
#include <catch2/catch.hpp>

#include "tests/unit/test_files.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/asl/document.h"
#include "engine/asl/validator.h"
#include "engine/common/json_util.h"

namespace stepflow::asl {
namespace {

namespace fs = std::filesystem;

const fs::path kWorkflowDir = fs::path(STEPFLOW_SOURCE_DIR) / "workflows";
constexpr std::string_view kYamlSuffix = ".asl.yaml";
constexpr std::string_view kJsonSuffix = ".asl.json";

using ::stepflow::testing::ReadFile;

using ::stepflow::testing::EndsWith;

// Example names (NAME of NAME<suffix>) in workflows/, sorted.
std::vector<std::string> ExampleNames(std::string_view suffix) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kWorkflowDir)) {
    const std::string file = entry.path().filename().string();
    if (entry.is_regular_file() && EndsWith(file, suffix)) {
      names.push_back(file.substr(0, file.size() - suffix.size()));
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string Describe(const std::vector<Diagnostic>& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics) {
    out += std::string(SeverityName(d.severity)) + " " + d.code + " at '" + d.pointer + "'";
    if (d.line > 0) out += " (" + std::to_string(d.line) + ":" + std::to_string(d.column) + ")";
    out += ": " + d.message + "\n";
  }
  return out;
}

std::vector<Diagnostic> Errors(const std::vector<Diagnostic>& diagnostics) {
  std::vector<Diagnostic> errors;
  for (const auto& d : diagnostics) {
    if (d.severity == Severity::kError) errors.push_back(d);
  }
  return errors;
}

// Parses `path` as a definition; fails the test (with the diagnostics) if it
// cannot be read.
Document ParseExample(const fs::path& path) {
  INFO("parsing " << path.string());
  REQUIRE(fs::exists(path));
  ParseResult parsed = ParseDefinition(ReadFile(path), path.filename().string());
  INFO(Describe(parsed.diagnostics));
  REQUIRE(parsed.document.has_value());
  CHECK(Errors(parsed.diagnostics).empty());
  return std::move(*parsed.document);
}

TEST_CASE("the documented examples exist", "[examples]") {
  const auto names = ExampleNames(kYamlSuffix);
  for (const char* required : {"crawler", "ml_pipeline", "web_request"}) {
    INFO(required);
    CHECK(std::find(names.begin(), names.end(), required) != names.end());
  }
}

TEST_CASE("every example parses, matches its JSON twin and validates", "[examples]") {
  const auto names = ExampleNames(kYamlSuffix);
  REQUIRE_FALSE(names.empty());
  for (const std::string& name : names) {
    DYNAMIC_SECTION(name) {
      const Document yaml = ParseExample(kWorkflowDir / (name + std::string(kYamlSuffix)));
      CHECK(yaml.format() == SourceFormat::kYaml);
      const Document json = ParseExample(kWorkflowDir / (name + std::string(kJsonSuffix)));
      CHECK(json.format() == SourceFormat::kJson);

      INFO("YAML: " << DumpCompact(yaml.root()));
      INFO("JSON: " << DumpCompact(json.root()));
      CHECK(yaml.root() == json.root());

      for (const Document* doc : {&yaml, &json}) {
        const auto diagnostics = Validate(*doc);
        INFO((doc == &yaml ? "YAML" : "JSON") << " diagnostics:\n" << Describe(diagnostics));
        CHECK(Errors(diagnostics).empty());
      }

      const fs::path input = kWorkflowDir / (name + ".input.json");
      INFO("example input " << input.string());
      REQUIRE(fs::exists(input));
      const Json value = Json::parse(ReadFile(input), nullptr, /*allow_exceptions=*/false);
      CHECK_FALSE(value.is_discarded());
    }
  }
}

TEST_CASE("every JSON example has a YAML twin", "[examples]") {
  const auto yaml_names = ExampleNames(kYamlSuffix);
  for (const std::string& name : ExampleNames(kJsonSuffix)) {
    INFO(name << kJsonSuffix << " has no " << name << kYamlSuffix);
    CHECK(std::binary_search(yaml_names.begin(), yaml_names.end(), name));
  }
}

}  // namespace
}  // namespace stepflow::asl
