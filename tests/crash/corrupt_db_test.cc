// A --db that is not a stepflow database (a text file, random bytes, another
// program's SQLite file) is refused with a clear message, without a crash
// and without changing the file (engine/store/sqlite_store.h).
#include <random>

#include "tests/crash/crash_test_util.h"

namespace {

using namespace stepflow::crashtest;

void CheckRefused(const CommandResult& r, const std::string& what) {
  INFO(what << ": " << Describe(r));
  CHECK_FALSE(r.timed_out);
  CHECK(r.signal == 0);
  CHECK(r.exit_code > 0);
  CHECK((r.out + r.err).find("not a stepflow database") != std::string::npos);
}

void CheckAllVerbsRefuse(CrashEnv& env, const std::string& db, const std::string& definition) {
  const std::string original = ReadText(db);
  CheckRefused(Stepflow({"exec", "list", "--db", db, "--json"}), "exec list");
  CheckRefused(Stepflow({"exec", "list", "--db", db}), "exec list (table)");
  CheckRefused(env.Run(definition, Json{{"x", 1}}, db), "run");
  CheckRefused(env.Resume(db), "resume");
  CheckRefused(Stepflow({"exec", "describe", "m:0", "--db", db, "--json"}), "exec describe");
  CheckRefused(Stepflow({"exec", "history", "m:0", "--db", db, "--json"}), "exec history");
  CheckRefused(env.Redrive("m:0", db), "exec redrive");
  INFO("the file must be left as it was");
  CHECK(ReadText(db) == original);
  CHECK(env.Calls().empty());
}

}  // namespace

TEST_CASE("crash: a corrupted or foreign database is refused", "[crash]") {
  CrashEnv env;
  const std::string definition = env.Definition("hello", Json::parse(R"json({
    "StartAt": "Hello", "States": {"Hello": {"Type": "Task", "Resource": "echo", "End": true}}})json"));

  SECTION("a text file") {
    const std::string db = env.File("notes.txt");
    std::string text;
    for (int i = 0; i < 200; ++i) text += "line " + std::to_string(i) + ": not a database\n";
    WriteText(db, text);
    CheckAllVerbsRefuse(env, db, definition);
  }
  SECTION("random bytes") {
    const std::string db = env.File("random.bin");
    std::mt19937 rng(12345);
    std::string bytes(64 * 1024, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() & 0xff);
    WriteText(db, bytes);
    CheckAllVerbsRefuse(env, db, definition);
  }
  SECTION("random bytes behind a valid SQLite header") {
    // Passes the magic-string check; the rest is garbage.
    const std::string db = env.File("torn.db");
    std::mt19937 rng(777);
    std::string bytes(32 * 1024, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() & 0xff);
    const std::string magic("SQLite format 3\0", 16);
    bytes.replace(0, magic.size(), magic);
    WriteText(db, bytes);
    const std::string original = ReadText(db);
    for (const auto& [what, r] : std::vector<std::pair<std::string, CommandResult>>{
             {"exec list", Stepflow({"exec", "list", "--db", db, "--json"})},
             {"run", env.Run(definition, Json{{"x", 1}}, db)}}) {
      INFO(what << ": " << Describe(r));
      CHECK_FALSE(r.timed_out);
      CHECK(r.signal == 0);
      CHECK(r.exit_code > 0);
      // Either recognised as foreign or reported as corruption with
      // SQLite's message ("database disk image is malformed").
      const std::string text = r.out + r.err;
      CHECK((text.find("not a stepflow database") != std::string::npos ||
             text.find("malformed") != std::string::npos));
    }
    CHECK(ReadText(db) == original);
  }
  SECTION("another program's SQLite database") {
    const std::string db = env.File("foreign.db");
    if (!fs::exists("/usr/bin/sqlite3")) {
      WARN("no /usr/bin/sqlite3: foreign database case skipped");
      return;
    }
    auto made = RunCommand({"/usr/bin/sqlite3", db,
                            "CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT);"
                            "INSERT INTO customers(name) VALUES ('ada');"},
                           {}, kCommandTimeout);
    REQUIRE(made.exit_code == 0);
    CheckAllVerbsRefuse(env, db, definition);
  }
}
