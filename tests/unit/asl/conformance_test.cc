// Conformance corpus: definitions written from the ASL specification and the
// Step Functions Developer Guide, checked the way `stepflow validate` checks a
// file (parse, then validate).
//
//   conformance/valid/NAME.json|.yaml    must give no ERROR diagnostic
//   conformance/invalid/NAME.json        must give the ERROR named by
//   conformance/invalid/NAME.expect.json {"pointer": "...", "code": "..."}
//
// New files are picked up automatically.
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
#include "tests/unit/asl/validator_test_util.h"

namespace stepflow::asl {
namespace {

namespace fs = std::filesystem;

const fs::path kCorpus = fs::path(STEPFLOW_SOURCE_DIR) / "tests/unit/asl/conformance";
constexpr std::string_view kExpectSuffix = ".expect.json";

using ::stepflow::testing::ReadFile;

using ::stepflow::testing::EndsWith;

// Definition files of a corpus folder (not the .expect.json files), sorted.
std::vector<fs::path> Definitions(const char* folder) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(kCorpus / folder)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || EndsWith(name, kExpectSuffix)) continue;
    if (EndsWith(name, ".json") || EndsWith(name, ".yaml")) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// What `stepflow validate` reports for the file: parse problems, then the
// validator's.
std::vector<Diagnostic> ValidateFile(const fs::path& path) {
  return CheckDefinition(ReadFile(path), path.filename().string()).diagnostics;
}

TEST_CASE("conformance: valid definitions have no errors", "[conformance]") {
  const auto files = Definitions("valid");
  REQUIRE(files.size() >= 40);
  for (const auto& path : files) {
    INFO(path.filename().string());
    auto diagnostics = ValidateFile(path);
    INFO(testing::Describe(diagnostics));
    CHECK_FALSE(HasErrors(diagnostics));
  }
}

TEST_CASE("conformance: invalid definitions have the expected error", "[conformance]") {
  const auto files = Definitions("invalid");
  REQUIRE(files.size() >= 40);
  for (const auto& path : files) {
    INFO(path.filename().string());
    fs::path expect_path = path;
    expect_path.replace_extension(kExpectSuffix);
    REQUIRE(fs::exists(expect_path));
    Json expect = Json::parse(ReadFile(expect_path));
    const std::string pointer = expect.at("pointer").get<std::string>();
    const std::string code = expect.at("code").get<std::string>();
    INFO("expected " << code << " at '" << pointer << "'");
    auto diagnostics = ValidateFile(path);
    INFO(testing::Describe(diagnostics));
    CHECK(std::any_of(diagnostics.begin(), diagnostics.end(), [&](const Diagnostic& d) {
      return d.severity == Severity::kError && d.code == code && d.pointer == pointer;
    }));
  }
}

TEST_CASE("conformance: every expectation has its definition", "[conformance]") {
  for (const auto& entry : fs::directory_iterator(kCorpus / "invalid")) {
    const std::string name = entry.path().filename().string();
    if (!EndsWith(name, kExpectSuffix)) continue;
    INFO(name);
    const std::string stem = name.substr(0, name.size() - kExpectSuffix.size());
    CHECK(fs::exists(kCorpus / "invalid" / (stem + ".json")));
  }
}

}  // namespace
}  // namespace stepflow::asl
