// The function catalog over a store (both backends), its --functions file,
// and the resource checks made before a definition is stored.
#include "engine/functions/catalog.h"

#include <algorithm>
#include <catch2/catch.hpp>

#include "engine/functions/resource_check.h"
#include "engine/graph/compiler.h"
#include "engine/store/memory_store.h"
#include "engine/store/sqlite_store.h"
#include "tests/support/process.h"

namespace stepflow::functions {
namespace {

using Catch::Matchers::Contains;

// A catalog over a memory store or a SQLite file.
struct Fixture {
  testing::TempDir dir{"stepflow-catalog"};
  std::unique_ptr<store::Store> store;
  std::unique_ptr<Catalog> catalog;
  explicit Fixture(bool sqlite) {
    if (sqlite) {
      auto opened = store::OpenSqliteStore(dir.File("db"));
      REQUIRE(opened.ok());
      store = std::move(opened).value();
    } else {
      store = store::NewMemoryStore();
    }
    catalog = std::make_unique<Catalog>(store.get());
    REQUIRE(catalog->Load().ok());
  }
};

TEST_CASE("catalog: every new endpoint is a version, NAME resolves to the newest",
          "[functions][catalog]") {
  Fixture f(GENERATE(false, true));
  auto v1 = f.catalog->Register("quote", "127.0.0.1:5001", "api", 10);
  REQUIRE(v1.ok());
  CHECK(v1->version == 1);
  CHECK_FALSE(v1->unchanged);
  auto same = f.catalog->Register("quote", "127.0.0.1:5001", "file", 20);
  REQUIRE(same.ok());
  CHECK(same->version == 1);
  CHECK(same->unchanged);
  auto v2 = f.catalog->Register("quote", "unix:/run/quote.sock", "api", 30);
  REQUIRE(v2.ok());
  CHECK(v2->version == 2);

  auto newest = f.catalog->Resolve("quote");
  REQUIRE(newest.ok());
  CHECK(newest->version == 2);
  CHECK(newest->target == "unix:/run/quote.sock");
  CHECK(f.catalog->Resolve("quote:$LATEST")->version == 2);
  CHECK(f.catalog->Resolve("quote:1")->target == "127.0.0.1:5001");

  REQUIRE(f.catalog->SetAlias("quote", "prod", 1).ok());
  CHECK(f.catalog->Resolve("quote:prod")->version == 1);
  REQUIRE(f.catalog->SetAlias("quote", "prod", 2).ok());
  CHECK(f.catalog->Resolve("quote:prod")->version == 2);
  CHECK(f.catalog->SetAlias("quote", "prod", 9).code() == StatusCode::kNotFound);
  CHECK(f.catalog->SetAlias("quote", "42", 1).code() == StatusCode::kInvalidArgument);

  CHECK(f.catalog->Resolve("quote:7").status().code() == StatusCode::kNotFound);
  CHECK_THAT(f.catalog->Resolve("quote:7").status().message(), Contains("no version 7"));
  // An alias that is not defined calls the newest version (AWS definitions name `:prod`).
  auto undefined = f.catalog->Resolve("quote:beta");
  REQUIRE(undefined.ok());
  CHECK(undefined->version == 2);
  CHECK(undefined->qualified);
  CHECK_THAT(f.catalog->Resolve("nobody").status().message(), Contains("'nobody' is not registered"));
  CHECK(f.catalog->Resolve("bad name").status().code() == StatusCode::kInvalidArgument);

  // Another catalog over the same store (another process) sees the same.
  Catalog other(f.store.get());
  REQUIRE(other.Load().ok());
  CHECK(other.Resolve("quote:prod")->version == 2);

  REQUIRE(f.catalog->RemoveAlias("quote", "prod").value());
  CHECK_FALSE(f.catalog->RemoveAlias("quote", "prod").value());
  REQUIRE(f.catalog->Remove("quote").value());
  CHECK(f.catalog->Resolve("quote").status().code() == StatusCode::kNotFound);
  CHECK_FALSE(f.catalog->Remove("quote").value());
}

TEST_CASE("catalog: names, qualifiers, endpoints and integrations are checked",
          "[functions][catalog]") {
  CHECK(ParseFunctionRef("echo")->qualifier.empty());
  CHECK(ParseFunctionRef("echo:3")->qualifier == "3");
  CHECK(ParseFunctionRef("echo:prod")->qualifier == "prod");
  for (const char* bad : {"", ":3", "echo:", "echo:0", "a/b", "echo:pr od", "echo:1:2"}) {
    INFO(bad);
    CHECK_FALSE(ParseFunctionRef(bad).ok());
  }
  CHECK(ValidateEndpoint("127.0.0.1:50051").ok());
  CHECK(ValidateEndpoint("[::1]:50051").ok());
  CHECK(ValidateEndpoint("unix:/run/x.sock").ok());
  for (const char* bad : {"", "nohost", "host:0", "host:70000", "::1:5", "unix:relative"}) {
    INFO(bad);
    CHECK_FALSE(ValidateEndpoint(bad).ok());
  }
  CHECK(IntegrationKey("sns:publish").value() == "sns:publish");
  CHECK(IntegrationKey("arn:aws:states:::sns:publish").value() == "sns:publish");
  CHECK(IntegrationKey("arn:aws:states:::sqs:sendMessage.waitForTaskToken").value() ==
        "sqs:sendMessage");
  CHECK(IntegrationKey("arn:aws:states:::aws-sdk:s3:getObject").value() == "aws-sdk:s3:getObject");
  CHECK(IntegrationKey("arn:aws:states:::glue:startJobRun.sync").value() == "glue:startJobRun");
  CHECK_FALSE(IntegrationKey("publish").ok());
  CHECK_FALSE(IntegrationKey("sns:").ok());
}

TEST_CASE("catalog: integrations map to function references", "[functions][catalog]") {
  Fixture f(GENERATE(false, true));
  CHECK_FALSE(f.catalog->IntegrationFunction("sns:publish"));
  REQUIRE(f.catalog->MapIntegration("arn:aws:states:::sns:publish", "notifier:prod").ok());
  CHECK(f.catalog->IntegrationFunction("sns:publish") == "notifier:prod");
  CHECK(f.catalog->MapIntegration("sns:publish", "bad name").code() ==
        StatusCode::kInvalidArgument);
  REQUIRE(f.catalog->MapIntegration("sns:publish", "notifier").ok());
  CHECK(f.catalog->IntegrationFunction("sns:publish") == "notifier");
  REQUIRE(f.catalog->UnmapIntegration("sns:publish").value());
  CHECK_FALSE(f.catalog->IntegrationFunction("sns:publish"));
}

TEST_CASE("catalog file: functions, aliases and integrations, and errors naming file, key and line",
          "[functions][catalog]") {
  auto file = ParseCatalogFile(R"(
functions:
  echo: 127.0.0.1:50051
  quote:
    endpoint: unix:/run/quote.sock
    aliases: {prod: 1}
integrations:
  sns:publish: echo
  dynamodb:putItem: quote:prod
)",
                               "fns.yaml");
  REQUIRE(file.ok());
  REQUIRE(file->functions.size() == 2);
  CHECK(file->functions[1].aliases.at("prod") == 1);
  REQUIRE(file->integrations.size() == 2);

  Fixture f(false);
  REQUIRE(f.catalog->Apply(*file, 5).ok());
  CHECK(f.catalog->Resolve("quote:prod")->target == "unix:/run/quote.sock");
  CHECK(f.catalog->IntegrationFunction("dynamodb:putItem") == "quote:prod");
  CHECK(f.catalog->List().versions.front().source == "file");
  // Applying the same file again changes nothing.
  REQUIRE(f.catalog->Apply(*file, 6).ok());
  CHECK(f.catalog->List().versions.size() == 2);
  // What the API changed since stays changed when the file is applied again.
  REQUIRE(f.catalog->Register("quote", "127.0.0.1:7000", "api", 7).ok());
  REQUIRE(f.catalog->SetAlias("quote", "prod", 2).ok());
  REQUIRE(f.catalog->MapIntegration("sns:publish", "quote").ok());
  REQUIRE(f.catalog->Apply(*file, 8).ok());
  CHECK(f.catalog->Resolve("quote")->target == "127.0.0.1:7000");
  CHECK(f.catalog->Resolve("quote:prod")->version == 2);
  CHECK(f.catalog->IntegrationFunction("sns:publish") == "quote");

  CHECK(ParseCatalogFile("").ok());
  CHECK(ParseCatalogFile("functions:\n").ok());
  struct Bad {
    const char* text;
    const char* says;
  };
  for (Bad bad : {Bad{"functions: [a]", "must be a mapping"},
                  Bad{"other: {}", "unknown key 'other'"},
                  Bad{"functions:\n  echo: nohost\n", "fns.yaml:2:9"},
                  Bad{"functions:\n  a/b: h:1\n", "functions.a/b"},
                  Bad{"functions:\n  q: {endpoint: h:1, aliases: {prod: x}}\n", "aliases.prod"},
                  Bad{"integrations:\n  publish: echo\n", "SERVICE:ACTION"},
                  Bad{"functions: {a: [", "invalid YAML"}}) {
    INFO(bad.text);
    auto parsed = ParseCatalogFile(bad.text, "fns.yaml");
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(parsed.status().message(), Contains(bad.says));
  }
  CHECK(LoadCatalogFile("/nonexistent/fns.yaml").status().code() == StatusCode::kNotFound);
}

TEST_CASE("resource check: unmapped integrations and S3 readers/writers are found up front",
          "[functions][resources]") {
  auto compiled = graph::CompileText(R"({
    "StartAt": "Notify",
    "States": {
      "Notify": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "Next": "Save"},
      "Save": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem.waitForTaskToken",
               "Next": "Fan"},
      "Fan": {"Type": "Parallel", "Next": "Each", "Branches": [{"StartAt": "Child", "States": {
        "Child": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                  "Parameters": {"StateMachineArn": "child"}, "Next": "Lambda"},
        "Lambda": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f:prod",
                   "End": true}}}]},
      "Each": {"Type": "Map", "End": true,
               "ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2",
                              "Parameters": {"Bucket": "b"}},
               "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED",
                                                     "ExecutionType": "STANDARD"},
                                 "StartAt": "Put", "States": {
                 "Put": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                         "End": true}}}}
    }})");
  REQUIRE(compiled.graph);
  Fixture f(false);
  auto problems = FindResourceProblems(*compiled.graph, f.catalog.get());
  std::vector<std::string> seen;
  for (const auto& p : problems) {
    seen.push_back(p.code + " " + p.pointer);
    if (p.pointer == "/States/Notify/Resource") {
      CHECK_THAT(p.message, Contains("stepflow functions map sns:publish FUNCTION"));
    }
  }
  std::sort(seen.begin(), seen.end());
  CHECK(seen == std::vector<std::string>{
                    "INTEGRATION_NOT_MAPPED /States/Each/ItemProcessor/States/Put/Resource",
                    "INTEGRATION_NOT_MAPPED /States/Notify/Resource",
                    "INTEGRATION_NOT_MAPPED /States/Save/Resource",
                    "ITEM_READER_UNSUPPORTED /States/Each/ItemReader"});

  REQUIRE(f.catalog->MapIntegration("sns:publish", "notifier").ok());
  REQUIRE(f.catalog->MapIntegration("dynamodb:putItem", "ddb").ok());
  REQUIRE(f.catalog->MapIntegration("sqs:sendMessage", "queue").ok());
  problems = FindResourceProblems(*compiled.graph, f.catalog.get());
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].code == "ITEM_READER_UNSUPPORTED");
  Status st = CheckResources(*compiled.graph, f.catalog.get());
  CHECK(st.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(st.message(), Contains("ItemReader"));
  // Without a catalog (validate) every integration is reported.
  CHECK(FindResourceProblems(*compiled.graph, nullptr).size() == 4);
}

}  // namespace
}  // namespace stepflow::functions
