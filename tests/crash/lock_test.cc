// One database, several engines: runs may share it, a resume may not run
// while executions are running elsewhere (it would run them twice).
#include "tests/crash/crash_test_util.h"

namespace {

using namespace stepflow::crashtest;

TEST_CASE("resume refuses a database whose executions are running in another process",
          "[crash][lock]") {
  CrashEnv env;
  const std::string definition = env.Definition("slow", Json::parse(R"json({
    "StartAt": "Nap",
    "States": {"Nap": {"Type": "Task", "Resource": "sleep", "Parameters": {"ms": 4000}, "End": true}}
  })json"));
  const std::string quick = env.Definition("quick", Json::parse(R"json({
    "StartAt": "Echo",
    "States": {"Echo": {"Type": "Task", "Resource": "echo", "End": true}}
  })json"));
  const std::string db = env.File("shared.db");
  auto running = env.StartRun(definition, Json::object(), db);
  REQUIRE(env.WaitForCalls(1) >= 1);

  // A second run on the same database is fine: each runs its own execution.
  auto other = env.Run(quick, Json::object(), db);
  INFO("second run: " << Describe(other));
  CHECK(other.exit_code == 0);

  // A resume now would run the first execution a second time: refused.
  auto resume = env.Resume(db);
  INFO("resume: " << Describe(resume));
  CHECK(resume.exit_code == 2);
  CHECK(resume.err.find("running executions") != std::string::npos);

  auto status = running->Wait(30s);
  REQUIRE(status.has_value());
  CHECK(*status == stepflow::testing::ExitStatus{0, 0});
  CHECK(env.Calls().size() == 2);  // one per run, none from the refused resume

  auto after = env.Resume(db);  // nothing left to do, and now allowed
  INFO("resume after: " << Describe(after));
  CHECK(after.exit_code == 0);
  CHECK(NonEmptyLines(after.out).empty());
}

}  // namespace
