// The console on a real `stepflow server` (docs/console.md): pages and
// assets with their security headers, the JSON API under /api/, the live
// history stream (server-sent events, resumable from an event id), and the
// checks that keep other sites out: cross-site POSTs and foreign Host names.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "engine/common/json_util.h"
#include "tests/integration/http_client.h"
#include "tests/integration/server_harness.h"

namespace stepflow::itest {
namespace {

using Clock = std::chrono::steady_clock;

Json GetJson(int port, const std::string& target, int expected = 200) {
  HttpAnswer a = Request(port, "GET", target);
  INFO(target << " → " << a.status << " " << a.body);
  REQUIRE(a.status == expected);
  CHECK(a.Header("content-type") == "application/json");
  return Json::parse(a.body);
}

HttpAnswer Aws(int port, const std::string& operation, const Json& body,
               const std::vector<std::string>& extra = {}) {
  std::vector<std::string> headers = {"Content-Type: application/x-amz-json-1.0",
                                      "X-Amz-Target: AWSStepFunctions." + operation};
  headers.insert(headers.end(), extra.begin(), extra.end());
  return Request(port, "POST", "/", headers, DumpCompact(body));
}

constexpr const char* kArn = "arn:aws:states:us-east-1:123456789012:stateMachine:";

TEST_CASE("console: pages, assets and the JSON API of a run", "[console]") {
  Server server;
  const int port = server.http_port();
  const std::string definition = R"({"StartAt":"Prepare","States":{
    "Prepare":{"Type":"Pass","InputPath":"$.order","Parameters":{"id.$":"$.id","n.$":"$.n"},
               "ResultPath":"$.prepared","Next":"Fan"},
    "Fan":{"Type":"Map","ItemsPath":"$.items","ResultPath":null,"Next":"Done",
      "ItemProcessor":{"StartAt":"Leaf","States":{"Leaf":{"Type":"Pass","End":true}}}},
    "Done":{"Type":"Succeed"}}})";
  server.CreateMachine("shop", std::string(definition));
  const std::string id = server.Start("shop", R"({"order":{"id":7,"n":2},"items":[1,2,3]})");
  server.WaitForStatus(id, "SUCCEEDED");

  SECTION("the page and its assets, with a strict policy") {
    for (const std::string& target :
         std::vector<std::string>{"/", "/machines/shop", "/executions/" + id + "?state=Fan"}) {
      HttpAnswer page = Request(port, "GET", target);
      INFO(target);
      REQUIRE(page.status == 200);
      CHECK(page.Header("content-type") == "text/html; charset=utf-8");
      CHECK(page.body.find("/assets/app.js") != std::string::npos);
      const std::string csp = page.Header("content-security-policy");
      CHECK(csp.find("script-src 'self'") != std::string::npos);
      CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
      CHECK(csp.find("unsafe-inline") == std::string::npos);
      CHECK(page.Header("x-content-type-options") == "nosniff");
    }
    HttpAnswer js = Request(port, "GET", "/assets/app.js");
    REQUIRE(js.status == 200);
    CHECK(js.Header("content-type") == "text/javascript; charset=utf-8");
    const std::string etag = js.Header("etag");
    REQUIRE_FALSE(etag.empty());
    CHECK(Request(port, "GET", "/assets/app.js", {"If-None-Match: " + etag}).status == 304);
    CHECK(Request(port, "GET", "/assets/nope.js").status == 404);
    CHECK(Request(port, "GET", "/assets/..%2Fconsole.h").status == 404);
  }

  SECTION("machines, versions, executions, history, states, data flow") {
    Json machines = GetJson(port, "/api/machines");
    REQUIRE(machines["machines"].size() == 1);
    const Json& shop = machines["machines"][0];
    CHECK(shop["name"] == "shop");
    CHECK(shop["arn"] == std::string(kArn) + "shop");
    CHECK(shop["counts"]["SUCCEEDED"] == 1);
    CHECK(shop["lastRun"]["id"] == id);

    Json version = GetJson(port, "/api/machines/shop/versions/latest");
    CHECK(version["version"] == 1);
    CHECK(version["format"] == "json");
    CHECK(version["definition"]["StartAt"] == "Prepare");
    CHECK(version["yaml"].get<std::string>().find("StartAt: \"Prepare\"") != std::string::npos);

    Json list = GetJson(port, "/api/executions?machine=shop&limit=10");
    REQUIRE(list["executions"].size() == 1);
    CHECK(list["executions"][0]["id"] == id);
    CHECK(list["next"].is_null());
    CHECK(GetJson(port, "/api/executions?machine=shop&name=zzz")["executions"].empty());

    Json x = GetJson(port, "/api/executions/" + id);
    CHECK(x["status"] == "SUCCEEDED");
    CHECK(x["input"]["order"]["id"] == 7);
    CHECK(x["machineArn"] == std::string(kArn) + "shop");

    Json first = GetJson(port, "/api/executions/" + id + "/history?limit=3");
    REQUIRE(first["events"].size() == 3);
    CHECK(first["events"][0]["type"] == "ExecutionStarted");
    CHECK(first["next"] == 3);
    const int64_t total = first["total"];
    Json rest = GetJson(port, "/api/executions/" + id + "/history?after=3&limit=1000");
    CHECK(static_cast<int64_t>(rest["events"].size()) == total - 3);
    CHECK(rest["events"][0]["id"] == 4);
    Json last = GetJson(port, "/api/executions/" + id + "/history?reverse=true&limit=1");
    CHECK(last["events"][0]["type"] == "ExecutionSucceeded");
    Json leaves = GetJson(port, "/api/executions/" + id + "/history?state=Fan%5B1%5D%2F");
    REQUIRE_FALSE(leaves["events"].empty());
    for (const Json& e : leaves["events"]) CHECK(e["statePath"] == "Fan[1]/Leaf");

    Json states = GetJson(port, "/api/executions/" + id + "/states");
    CHECK(states["states"]["Prepare"]["status"] == "SUCCEEDED");
    CHECK(states["states"]["Fan[*]/Leaf"]["visits"] == 3);

    Json iterations = GetJson(port, "/api/executions/" + id + "/iterations?state=Fan");
    CHECK(iterations["total"] == 3);
    CHECK(iterations["histogram"]["SUCCEEDED"] == 3);

    Json flow = GetJson(port, "/api/executions/" + id + "/dataflow?state=Prepare");
    const Json& stages = flow["visits"][0]["stages"];
    CHECK(stages[1]["name"] == "afterInputPath");
    CHECK(stages[1]["value"] == Json::parse(R"({"id":7,"n":2})"));
    CHECK(flow["visits"][0]["matchesRecord"] == true);
  }

  SECTION("bad requests are JSON errors") {
    Json missing = GetJson(port, "/api/executions/nope:nope", 404);
    CHECK(missing["error"]["code"] == "NotFound");
    CHECK(GetJson(port, "/api/machines/shop/versions/abc", 400)["error"]["code"] ==
          "InvalidArgument");
    CHECK(GetJson(port, "/api/nothing", 404)["error"]["message"].get<std::string>().find(
              "no such console API") != std::string::npos);
    GetJson(port, "/api/executions/" + id + "/dataflow?state=Nope", 404);
    GetJson(port, "/api/executions/" + id + "/iterations?state=Prepare", 404);
  }

  SECTION("another site can neither act nor read") {
    const Json start = {{"stateMachineArn", std::string(kArn) + "shop"}};
    HttpAnswer cross = Aws(port, "StartExecution", start, {"Origin: http://evil.example"});
    CHECK(cross.status == 403);
    CHECK(cross.body.find("AccessDeniedException") != std::string::npos);
    CHECK(Aws(port, "StartExecution", start, {"Sec-Fetch-Site: cross-site"}).status == 403);
    CHECK(Aws(port, "StartExecution", start, {"Sec-Fetch-Site: same-site"}).status == 403);
    // The console's own page, and clients that send neither header.
    const std::string self = "Origin: http://127.0.0.1:" + std::to_string(port);
    CHECK(Aws(port, "StartExecution", start, {self, "Sec-Fetch-Site: same-origin"}).status == 200);
    CHECK(Aws(port, "StartExecution", start).status == 200);
    // A DNS name of another site pointing at 127.0.0.1 reads nothing.
    CHECK(Request(port, "GET", "/api/machines", {}, "", "evil.example:" + std::to_string(port))
              .status == 403);
    CHECK(
        Request(port, "GET", "/api/machines", {}, "", "localhost:" + std::to_string(port)).status ==
        200);
    // Nor act: the Step Functions API refuses the name too.
    CHECK(Request(port, "POST", "/",
                  {"Content-Type: application/x-amz-json-1.0",
                   "X-Amz-Target: AWSStepFunctions.ListStateMachines",
                   "Origin: http://evil.example:" + std::to_string(port),
                   "Sec-Fetch-Site: same-origin"},
                  "{}", "evil.example:" + std::to_string(port))
              .status == 403);
  }
}

// Reads server-sent events from a connection until `stop` says so or the
// deadline passes; returns the text read.
std::string ReadEvents(Connection& c, const std::function<bool(const std::string&)>& stop,
                       std::chrono::seconds limit) {
  std::string all;
  const auto deadline = Clock::now() + limit;
  while (!c.closed() && Clock::now() < deadline && !stop(all)) {
    all += c.Read(std::chrono::milliseconds(100));
  }
  return all;
}

std::vector<int64_t> EventIds(const std::string& text) {
  std::vector<int64_t> ids;
  size_t at = 0;
  while ((at = text.find("\nid: ", at)) != std::string::npos) {
    ids.push_back(std::stoll(text.substr(at + 5)));
    at += 5;
  }
  return ids;
}

TEST_CASE("console: a running execution's history streams live and resumes", "[console]") {
  Server server;
  const int port = server.http_port();
  server.CreateMachine("slow", std::string(R"({"StartAt":"A","States":{
    "A":{"Type":"Pass","Next":"W"},
    "W":{"Type":"Wait","Seconds":2,"Next":"B"},
    "B":{"Type":"Pass","End":true}}})"));
  const std::string id = server.Start("slow", "{}");

  Connection c(port);
  c.Send("GET /api/executions/" + id + "/events HTTP/1.1\r\nHost: 127.0.0.1:" +
         std::to_string(port) + "\r\nAccept: text/event-stream\r\n\r\n");
  // Everything so far arrives at once, the Wait's end as it commits.
  std::string text = ReadEvents(
      c, [](const std::string& t) { return t.find("WaitStateEntered") != std::string::npos; },
      std::chrono::seconds(10));
  REQUIRE(text.find("HTTP/1.1 200") == 0);
  CHECK(text.find("Content-Type: text/event-stream") != std::string::npos);
  CHECK(text.find("ExecutionSucceeded") == std::string::npos);
  text += ReadEvents(
      c, [](const std::string& t) { return t.find("event: end") != std::string::npos; },
      std::chrono::seconds(15));
  REQUIRE(text.find("event: end") != std::string::npos);
  CHECK(text.find("\"status\":\"SUCCEEDED\"") != std::string::npos);
  std::vector<int64_t> ids = EventIds(text);
  REQUIRE_FALSE(ids.empty());
  for (size_t i = 0; i < ids.size(); ++i) CHECK(ids[i] == static_cast<int64_t>(i + 1));
  // The stream ends by itself after "end".
  ReadEvents(
      c, [](const std::string&) { return false; }, std::chrono::seconds(3));
  CHECK(c.closed());

  // A reconnect with Last-Event-ID gets only what came after it.
  Connection again(port);
  again.Send("GET /api/executions/" + id +
             "/events HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
             "\r\nLast-Event-ID: " + std::to_string(ids.size() - 2) + "\r\n\r\n");
  std::string resumed = ReadEvents(
      again, [](const std::string& t) { return t.find("event: end") != std::string::npos; },
      std::chrono::seconds(10));
  CHECK(EventIds(resumed) == std::vector<int64_t>{static_cast<int64_t>(ids.size() - 1),
                                                  static_cast<int64_t>(ids.size())});

  // An unknown execution is a 404, not a stream.
  CHECK(Request(port, "GET", "/api/executions/slow:nope/events").status == 404);
}

}  // namespace
}  // namespace stepflow::itest
