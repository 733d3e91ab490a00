// Triggers on a real `stepflow server` (docs/triggers.md): schedules fire
// exactly once per occurrence across kill -9, catch up after downtime as
// configured, backfills are safe to repeat after a crash; webhooks check
// their signature, timestamp and token, answer a repeated Idempotency-Key
// with the same execution, and a synchronous call with the outcome.
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "engine/common/hash.h"
#include "engine/common/json_util.h"
#include "engine/expr/timestamp.h"
#include "tests/integration/http_client.h"
#include "tests/integration/server_harness.h"

namespace stepflow::itest {
namespace {

const std::string kPass = R"j({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})j";
const std::string kFail =
    R"j({"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Order.Rejected","Cause":"no stock"}}})j";
const std::string kEcho =
    R"j({"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"got.$":"$"},"End":true}}})j";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "2026-12-04T10:00:07" (UTC) for at(): `ms` rounded up to a whole second.
std::string AtUtc(int64_t ms) {
  std::string iso = expr::Timestamp{(ms + 999) / 1000, 0}.ToString();  // ...Z
  return iso.substr(0, iso.size() - 1);
}

grpc::Status PutTrigger(Server& server, const Json& description, v1::TriggerDescription* out,
                        bool create_only = true) {
  v1::PutTriggerRequest request;
  request.set_description(DumpCompact(description));
  request.set_create_only(create_only);
  return server.Call(&Stub::PutTrigger, request, out);
}

v1::TriggerDescription Describe(Server& server, const std::string& name) {
  v1::DescribeTriggerRequest request;
  request.set_name(name);
  request.set_occurrences(-1);
  v1::TriggerDescription d;
  grpc::Status st = server.Call(&Stub::DescribeTrigger, request, &d);
  INFO(StatusText(st));
  REQUIRE(st.ok());
  return d;
}

std::map<std::string, v1::TriggerOccurrence> Occurrences(Server& server, const std::string& name) {
  std::map<std::string, v1::TriggerOccurrence> out;
  const v1::TriggerDescription d = Describe(server, name);
  for (const auto& o : d.occurrences()) out[o.key()] = o;
  return out;
}

// Executions of `machine`, by name.
std::set<std::string> ExecutionNames(Server& server, const std::string& machine) {
  v1::ListExecutionsRequest request;
  request.set_state_machine(machine);
  request.set_max_results(1000);
  std::set<std::string> names;
  while (true) {
    v1::ListExecutionsResponse response;
    REQUIRE(server.Call(&Stub::ListExecutions, request, &response).ok());
    for (const auto& e : response.executions()) {
      REQUIRE(names.insert(e.name()).second);  // a name is never there twice
    }
    if (response.next_token().empty()) break;
    request.set_next_token(response.next_token());
  }
  return names;
}

TEST_CASE("triggers: bad descriptions are refused with the field and nothing is stored") {
  Server server;
  server.CreateMachine("m", kPass);
  v1::TriggerDescription d;
  auto refused = [&](const char* description, grpc::StatusCode code, const std::string& text) {
    grpc::Status st = PutTrigger(server, Json::parse(description), &d);
    INFO(StatusText(st));
    CHECK(st.error_code() == code);
    CHECK(st.error_message().find(text) != std::string::npos);
  };
  refused(R"j({"name":"t","machine":"m","schedule":"cron(0 2 * * * *)"})j",
          grpc::StatusCode::INVALID_ARGUMENT, "/schedule: cron");
  refused(R"j({"name":"t","machine":"m","schedule":{"expression":"rate(1 hour)","timezone":"Moon/Base"}})j",
          grpc::StatusCode::INVALID_ARGUMENT, "/schedule/timezone: unknown time zone 'Moon/Base'");
  refused(R"j({"name":"t","machine":"m","schedule":{"expression":"rate(1 hour)",
             "start":"2027-01-01T00:00:00Z","end":"2026-01-01T00:00:00Z"}})j",
          grpc::StatusCode::INVALID_ARGUMENT, "/schedule/end: the end must be after the start");
  refused(R"j({"name":"t","machine":"nope","schedule":"rate(1 hour)"})j",
          grpc::StatusCode::NOT_FOUND, "/machine: state machine 'nope' does not exist");
  refused(R"j({"name":"t","machine":"m","schedule":"at(2001-01-01T00:00:00)"})j",
          grpc::StatusCode::INVALID_ARGUMENT, "has no occurrence after now");
  v1::PutTriggerRequest not_json;
  not_json.set_description("{name: t");
  grpc::Status st = server.Call(&Stub::PutTrigger, not_json, &d);
  CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  v1::ListTriggersResponse all;
  REQUIRE(server.Call(&Stub::ListTriggers, v1::ListTriggersRequest(), &all).ok());
  CHECK(all.triggers().empty());

  // A good one; created twice is ALREADY_EXISTS, applied again unchanged.
  Json good = Json::parse(R"j({"name":"t","machine":"m","schedule":{"expression":"cron(0 2 * * ? *)",
                              "timezone":"Europe/Berlin"}})j");
  REQUIRE(PutTrigger(server, good, &d).ok());
  CHECK(d.next_fire_ms_size() == 10);
  CHECK(PutTrigger(server, good, &d).error_code() == grpc::StatusCode::ALREADY_EXISTS);
  REQUIRE(PutTrigger(server, good, &d, /*create_only=*/false).ok());
  CHECK(d.unchanged());
  // The console shows it.
  HttpAnswer page = Request(server.http_port(), "GET", "/api/triggers/t");
  REQUIRE(page.status == 200);
  Json shown = Json::parse(page.body);
  CHECK(shown["nextFireMs"].size() == 10);
  CHECK(shown["description"]["schedule"]["timezone"] == "Europe/Berlin");
  CHECK(Json::parse(Request(server.http_port(), "GET", "/api/triggers").body)["triggers"].size() == 1);
  CHECK(Request(server.http_port(), "GET", "/triggers/t").status == 200);
  // Every fire time is 02:00 in Berlin: 01:00Z in winter.
  for (int64_t ms : d.next_fire_ms()) {
    std::string t = expr::Timestamp::FromMillis(ms).ToString();
    CHECK((t.substr(11) == "01:00:00Z" || t.substr(11) == "00:00:00Z"));
  }
}

TEST_CASE("triggers: kill -9 around the firing starts every occurrence exactly once") {
  Server server;
  server.CreateMachine("m", kPass);
  // 40 one-shot schedules due in the same second, 2-3 s from now.
  const int64_t due = NowMs() + 2500;
  const std::string at = "at(" + AtUtc(due) + ")";
  const int64_t due_ms = ((due + 999) / 1000) * 1000;
  v1::TriggerDescription d;
  for (int i = 0; i < 40; ++i) {
    Json t = {{"name", "once-" + std::to_string(i)}, {"machine", "m"}, {"schedule", at}};
    REQUIRE(PutTrigger(server, t, &d).ok());
  }
  // Killed while the occurrences fire: some were committed, maybe none.
  while (NowMs() < due_ms + 5) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  server.Kill9();
  server.Restart();
  WaitUntil([&] { return ExecutionNames(server, "m").size() == 40; }, "40 executions");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // Once more, killed and restarted: nothing starts again.
  server.Kill9();
  server.Restart();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::set<std::string> names = ExecutionNames(server, "m");
  CHECK(names.size() == 40);
  for (int i = 0; i < 40; ++i) {
    const std::string name = "once-" + std::to_string(i);
    auto occurrences = Occurrences(server, name);
    REQUIRE(occurrences.size() == 1);
    const v1::TriggerOccurrence& o = occurrences.begin()->second;
    CHECK(o.outcome() == "STARTED");
    CHECK(o.execution_id() == "m:" + name + "-" + [&] {
      std::string iso = expr::Timestamp::FromMillis(due_ms).ToString();
      std::string compact;
      for (char c : iso) if (c != '-' && c != ':') compact += c;
      return compact;
    }());
    CHECK(names.count(o.execution_id().substr(2)) == 1);
  }
}

TEST_CASE("triggers: occurrences due while the server was down catch up as configured") {
  Server server({"--trigger-grace", "1"});
  server.CreateMachine("m", kPass);
  const int64_t due = NowMs() + 1500;
  const int64_t due_ms = ((due + 999) / 1000) * 1000;
  const std::string at = "at(" + AtUtc(due) + ")";
  v1::TriggerDescription d;
  for (const char* policy : {"NONE", "LATEST", "ALL"}) {
    Json t = {{"name", std::string("down-") + policy},
              {"machine", "m"},
              {"schedule", at},
              {"catchup", {{"policy", policy}}}};
    REQUIRE(PutTrigger(server, t, &d).ok());
  }
  server.Kill9();
  // Down across the occurrence and past the grace period.
  while (NowMs() < due_ms + 2500) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  server.Restart();
  WaitUntil([&] { return Occurrences(server, "down-ALL").size() == 1; }, "down-ALL decided");
  WaitUntil([&] { return Occurrences(server, "down-NONE").size() == 1; }, "down-NONE decided");
  CHECK(Occurrences(server, "down-NONE").begin()->second.outcome() == "MISSED");
  CHECK(Occurrences(server, "down-NONE").begin()->second.detail().find("NONE") != std::string::npos);
  CHECK(Occurrences(server, "down-LATEST").begin()->second.outcome() == "STARTED");
  CHECK(Occurrences(server, "down-ALL").begin()->second.outcome() == "STARTED");
  const v1::TriggerDescription none = Describe(server, "down-NONE");
  const auto& counts = none.counts();
  CHECK(counts.at("MISSED") == 1);
}

TEST_CASE("triggers: a backfill killed midway and repeated starts each occurrence once") {
  Server server;
  server.CreateMachine("m", kPass);
  v1::TriggerDescription d;
  REQUIRE(PutTrigger(server, Json::parse(R"j({"name":"bf","machine":"m","schedule":"rate(1 minute)"})j"), &d).ok());
  // 1500 minutes of the past.
  const int64_t to = (NowMs() / 60'000 - 10) * 60'000;
  const int64_t from = to - 1500 * 60'000;
  v1::BackfillTriggerRequest request;
  request.set_name("bf");
  request.set_from_ms(from);
  request.set_to_ms(to);
  std::thread first([&] {
    v1::BackfillTriggerResponse ignored;
    grpc::ClientContext ctx;
    SetDeadline(ctx, std::chrono::seconds(60));
    (void)server.stub().BackfillTrigger(&ctx, request, &ignored);  // cut off by the kill
  });
  // Kill once some (not all) have started.
  WaitUntil([&] { return !ExecutionNames(server, "m").empty(); }, "the backfill started");
  server.Kill9();
  first.join();
  server.Restart();
  const size_t before = ExecutionNames(server, "m").size();
  INFO("started before the kill: " << before);
  v1::BackfillTriggerResponse response;
  grpc::ClientContext ctx;
  SetDeadline(ctx, std::chrono::seconds(120));
  grpc::Status st = server.stub().BackfillTrigger(&ctx, request, &response);
  INFO(StatusText(st));
  REQUIRE(st.ok());
  CHECK(response.occurrences() == 1500);
  CHECK(response.started() + response.already() == 1500);
  CHECK(response.already() >= static_cast<int64_t>(before));
  CHECK(response.failed() == 0);
  CHECK(ExecutionNames(server, "m").size() == 1500);
  // Again: all there already.
  v1::BackfillTriggerResponse again;
  REQUIRE(server.Call(&Stub::BackfillTrigger, request, &again).ok());
  CHECK(again.started() == 0);
  CHECK(again.already() == 1500);
  CHECK(ExecutionNames(server, "m").size() == 1500);
  CHECK(Describe(server, "bf").counts().at("STARTED") == 1500);
}

TEST_CASE("triggers: webhooks authenticate, deduplicate and answer the outcome") {
  Server server;
  server.CreateMachine("ok", kEcho);
  server.CreateMachine("bad", kFail);
  const int port = server.http_port();
  v1::TriggerDescription d;
  REQUIRE(PutTrigger(server, Json::parse(R"j({"name":"signed","machine":"ok",
      "webhook":{"auth":{"type":"hmac","secret":"s3cr3t-s3cr3t","toleranceSeconds":60}}})j"), &d).ok());
  REQUIRE(PutTrigger(server, Json::parse(R"j({"name":"token","machine":"bad",
      "webhook":{"auth":{"type":"bearer","token":"t0k3n-t0k3n"}}})j"), &d).ok());
  REQUIRE(PutTrigger(server, Json::parse(R"j({"name":"open","machine":"ok","webhook":{},
      "input":{"order":"{% $states.input.body.id %}","q":"{% $states.input.query.src %}"}})j"), &d).ok());

  auto sign = [](const std::string& body, int64_t t, const std::string& secret = "s3cr3t-s3cr3t") {
    return "X-Stepflow-Signature: t=" + std::to_string(t) +
           ",v1=" + HmacSha256Hex(secret, std::to_string(t) + "." + body);
  };
  const std::string body = R"j({"id":"o-1"})j";
  const int64_t now = NowMs() / 1000;

  SECTION("HMAC signatures") {
    HttpAnswer missing = Request(port, "POST", "/hooks/signed", {}, body);
    CHECK(missing.status == 401);
    HttpAnswer wrong = Request(port, "POST", "/hooks/signed", {sign(body, now, "other-secret")}, body);
    CHECK(wrong.status == 401);
    CHECK(Json::parse(wrong.body)["error"]["message"] == "the signature does not match the body");
    HttpAnswer stale = Request(port, "POST", "/hooks/signed", {sign(body, now - 600)}, body);
    CHECK(stale.status == 401);
    CHECK(Json::parse(stale.body)["error"]["message"].get<std::string>().find("tolerance is 60 s") !=
          std::string::npos);
    HttpAnswer tampered =
        Request(port, "POST", "/hooks/signed", {sign(body, now)}, R"j({"id":"o-2"})j");
    CHECK(tampered.status == 401);
    CHECK(ExecutionNames(server, "ok").empty());

    HttpAnswer good = Request(port, "POST", "/hooks/signed",
                              {sign(body, now), "Idempotency-Key: order-1"}, body);
    INFO(good.body);
    REQUIRE(good.status == 202);
    Json started = Json::parse(good.body);
    CHECK(started["alreadyStarted"] == false);
    const std::string arn = started["executionArn"];
    CHECK(arn.rfind("arn:aws:states:us-east-1:123456789012:execution:ok:signed-", 0) == 0);
    // The same key again: the same execution, not a second one.
    HttpAnswer again = Request(port, "POST", "/hooks/signed",
                               {sign(body, now), "Idempotency-Key: order-1"}, body);
    REQUIRE(again.status == 202);
    CHECK(Json::parse(again.body)["executionArn"] == arn);
    CHECK(Json::parse(again.body)["alreadyStarted"] == true);
    CHECK(ExecutionNames(server, "ok").size() == 1);
    v1::Execution e = server.WaitForStatus(started["executionId"], "SUCCEEDED");
    CHECK(Json::parse(e.output_json())["got"] == Json::parse(body));
  }
  SECTION("bearer tokens and a synchronous call of a failing workflow") {
    HttpAnswer no = Request(port, "POST", "/hooks/token", {"Authorization: Bearer nope"}, "{}");
    CHECK(no.status == 401);
    CHECK(no.Header("www-authenticate") == "Bearer");
    HttpAnswer failed =
        Request(port, "POST", "/hooks/token?wait=20", {"Authorization: Bearer t0k3n-t0k3n"}, "{}");
    INFO(failed.body);
    CHECK(failed.status == 500);
    Json answer = Json::parse(failed.body);
    CHECK(answer["status"] == "FAILED");
    CHECK(answer["error"] == "Order.Rejected");
    CHECK(answer["cause"] == "no stock");
  }
  SECTION("a synchronous call answers the output; the input template reads body and query") {
    HttpAnswer done = Request(port, "POST", "/hooks/open?wait=20&src=shop", {}, body);
    INFO(done.body);
    REQUIRE(done.status == 200);
    Json answer = Json::parse(done.body);
    CHECK(answer["status"] == "SUCCEEDED");
    CHECK(answer["output"] == Json::parse(R"j({"got":{"order":"o-1","q":"shop"}})j"));
  }
  SECTION("bodies that are not JSON or too large, unknown or paused hooks") {
    CHECK(Request(port, "POST", "/hooks/open", {}, "{not json").status == 400);
    CHECK(Request(port, "POST", "/hooks/open", {}, "\"" + std::string(300 * 1024, 'x') + "\"")
              .status == 413);
    CHECK(Request(port, "POST", "/hooks/none", {}, "{}").status == 404);
    CHECK(Request(port, "GET", "/hooks/open").status == 405);
    v1::PauseTriggerRequest pause;
    pause.set_name("open");
    pause.set_paused(true);
    REQUIRE(server.Call(&Stub::PauseTrigger, pause, &d).ok());
    CHECK(Request(port, "POST", "/hooks/open", {}, "{}").status == 409);
    CHECK(ExecutionNames(server, "ok").empty());
  }
}

TEST_CASE("triggers: the HTTP API manages them") {
  Server server;
  server.CreateMachine("m", kPass);
  const int port = server.http_port();
  const std::vector<std::string> json = {"Content-Type: application/json"};
  const std::string description = R"j({"name":"h1","machine":"m","schedule":"rate(1 hour)"})j";
  HttpAnswer created = Request(port, "POST", "/api/triggers?create=true", json, description);
  INFO(created.body);
  REQUIRE(created.status == 201);
  CHECK(Json::parse(created.body)["nextFireMs"].size() == 10);
  HttpAnswer taken = Request(port, "POST", "/api/triggers?create=true", json, description);
  CHECK(taken.status == 409);
  CHECK(Json::parse(taken.body)["error"]["code"] == "Conflict");
  HttpAnswer same = Request(port, "POST", "/api/triggers", json, description);
  CHECK(same.status == 200);
  CHECK(Json::parse(same.body)["unchanged"] == true);
  HttpAnswer bad = Request(port, "POST", "/api/triggers", json,
                           R"j({"name":"h2","machine":"m","schedule":"rate(1 fortnight)"})j");
  CHECK(bad.status == 400);
  CHECK(Json::parse(bad.body)["error"]["message"].get<std::string>().rfind("/schedule: rate", 0) == 0);
  HttpAnswer run = Request(port, "POST", "/api/triggers/h1/run", json, R"j({"now":1})j");
  INFO(run.body);
  REQUIRE(run.status == 200);
  v1::Execution e = server.WaitForStatus(Json::parse(run.body)["executionId"], "SUCCEEDED");
  CHECK(e.input_json() == R"j({"now":1})j");
  HttpAnswer paused = Request(port, "POST", "/api/triggers/h1/pause", json, "");
  CHECK(Json::parse(paused.body)["paused"] == true);
  CHECK(Json::parse(paused.body)["nextFireMs"].empty());
  // A cross-site page may not act on it.
  CHECK(Request(port, "POST", "/api/triggers/h1/unpause", {"Origin: http://evil.example"}, "").status ==
        403);
  CHECK(Request(port, "DELETE", "/api/triggers/h1").status == 200);
  CHECK(Request(port, "DELETE", "/api/triggers/h1").status == 404);
}

TEST_CASE("triggers: the CLI creates, describes, runs, pauses and deletes") {
  Server server;
  server.CreateMachine("m", kPass);
  auto cli = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {STEPFLOW_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--server");
    argv.push_back(server.address());
    return stepflow::testing::RunCommand(argv, {}, std::chrono::seconds(30),
                                         {{"STEPFLOW_SERVER", ""}});
  };
  auto created = cli({"trigger", "create", "nightly", "--machine", "m", "--schedule",
                      "cron(0 2 * * ? *)", "--timezone", "America/New_York", "--overlap",
                      "buffer-all"});
  INFO(created.err);
  REQUIRE(created.exit_code == 0);
  CHECK(created.out.rfind("created schedule trigger nightly; next fire ", 0) == 0);
  auto described = cli({"trigger", "describe", "nightly", "--json"});
  REQUIRE(described.exit_code == 0);
  Json j = Json::parse(described.out);
  CHECK(j["nextFireTimes"].size() == 10);
  CHECK(j["description"]["overlap"] == "BUFFER_ALL");
  CHECK(j["description"]["schedule"]["timezone"] == "America/New_York");
  auto run = cli({"trigger", "run", "nightly", "--input", R"j({"manual":true})j"});
  REQUIRE(run.exit_code == 0);
  const std::string id = run.out.substr(std::string("started ").size(), run.out.size() - 9);
  CHECK(server.WaitForStatus(id, "SUCCEEDED").input_json() == R"j({"manual":true})j");
  CHECK(cli({"trigger", "pause", "nightly"}).out == "paused nightly\n");
  CHECK(Json::parse(cli({"trigger", "describe", "nightly", "--json"}).out)["nextFireTimes"].empty());
  auto list = cli({"trigger", "list"});
  CHECK(list.out.find("nightly") != std::string::npos);
  CHECK(list.out.find("paused") != std::string::npos);
  auto bad = cli({"trigger", "create", "x", "--machine", "m", "--schedule", "rate(0 minutes)"});
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("INVALID_ARGUMENT: /schedule/expression: rate") != std::string::npos);
  // apply from YAML, with line:column errors for a broken file.
  const std::string yaml = server.dir().File("hook.yaml");
  WriteFile(yaml, "name: hook\nmachine: m\nwebhook:\n  auth: {type: bearer, token: abcdefgh12}\n");
  auto applied = cli({"trigger", "apply", yaml});
  INFO(applied.err);
  CHECK(applied.exit_code == 0);
  CHECK(applied.out.find("webhook trigger hook") != std::string::npos);
  CHECK(cli({"trigger", "delete", "hook"}).out == "deleted hook\n");
  CHECK(cli({"trigger", "describe", "hook"}).err.find("NOT_FOUND") != std::string::npos);
}

}  // namespace
}  // namespace stepflow::itest
