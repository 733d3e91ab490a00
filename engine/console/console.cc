#include "engine/console/console.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "engine/api/control_plane.h"
#include "engine/asl/document.h"
#include "engine/console/assets.h"
#include "engine/console/dataflow.h"
#include "engine/console/history_view.h"
#include "engine/console/layout.h"
#include "engine/functions/local_invoker.h"
#include "engine/http/trigger_api.h"
#include "engine/graph/compiler.h"

namespace stepflow::console {

namespace {

using http::ParseTarget;
using http::Target;


using Clock = std::chrono::steady_clock;

// ------------------------------------------------------------ small helpers

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}


http::Response JsonResponse(int status, const Json& body) {
  http::Response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json");
  r.headers.emplace_back("Cache-Control", "no-store");
  r.body = DumpCompact(body);
  AddSecurityHeaders(&r);
  return r;
}

// {"error": {"code", "message"}}, as every JSON answer of the HTTP listener.
http::Response ErrorResponse(const Status& status) { return http::StatusResponse(status); }

Json Nullable(const std::optional<std::string>& s) { return s ? Json(*s) : Json(nullptr); }
Json Nullable(const std::optional<int64_t>& v) { return v ? Json(*v) : Json(nullptr); }

// JSON text kept as a value; text that does not parse stays a string.
Json Value(const std::string& text) {
  Result<Json> v = ParseJsonData(text);
  return v.ok() ? std::move(v).value() : Json(text);
}

Json EventJson(const store::HistoryEvent& e) {
  Json out = {{"id", e.id},
              {"previousEventId", e.previous_event_id},
              {"timestampMs", e.timestamp_ms},
              {"type", e.type},
              {"statePath", e.state_path}};
  Result<Json> details = ParseJsonData(e.details);
  out["details"] = details.ok() ? std::move(details).value() : Json::object();
  return out;
}

// Step Functions shows "input" and "output" details as JSON text; the
// console shows values. Nothing else in the details changes.
void YamlOf(const Json& v, YAML::Emitter& out) {
  if (v.is_object()) {
    out << YAML::BeginMap;
    for (auto& [key, value] : v.items()) {
      out << YAML::Key << key << YAML::Value;
      YamlOf(value, out);
    }
    out << YAML::EndMap;
  } else if (v.is_array()) {
    out << YAML::BeginSeq;
    for (const Json& item : v) YamlOf(item, out);
    out << YAML::EndSeq;
  } else if (v.is_string()) {
    out << YAML::DoubleQuoted << v.get<std::string>();
  } else if (v.is_null()) {
    out << YAML::Null;
  } else {
    out << DumpCompact(v);
  }
}

std::string ToYaml(const Json& v) {
  YAML::Emitter out;
  out.SetIndent(2);
  YamlOf(v, out);
  return std::string(out.c_str()) + "\n";
}

// --------------------------------------------------------------- live feed

struct Subscriber {
  std::string execution;
  int64_t last = 0;  // the last event id sent
  std::shared_ptr<http::Stream> stream;
  bool dirty = true;
  std::string status;  // the last status sent
  Clock::time_point last_read, last_sent;
};

}  // namespace

struct Console::Impl {
  store::Store* store;
  ConsoleOptions options;
  Assets assets;
  LayoutCache layouts{64};

  // The API's readers.
  std::mutex work_mu;
  std::condition_variable work_cv;
  std::deque<std::function<void()>> work;
  std::vector<std::thread> workers;
  bool stopping = false;

  // Parsed and compiled definitions, by (machine, version): versions are immutable.
  struct Machine {
    store::StateMachineVersion version;
    Json definition;
    std::string format;
    std::shared_ptr<const graph::Graph> graph;
  };
  std::mutex machines_mu;
  std::map<std::pair<std::string, int64_t>, std::shared_ptr<const Machine>> machines;

  // Histories read before, grown by their new events (a page polled during
  // a live run reads only what is new).
  struct CachedHistory {
    int64_t next_event_id = 0;
    std::shared_ptr<const std::vector<store::HistoryEvent>> events;
  };
  std::mutex history_mu;
  std::list<std::pair<std::string, CachedHistory>> histories;  // most recent first
  static constexpr size_t kHistories = 8;

  // Live streams.
  std::mutex feed_mu;
  std::condition_variable feed_cv;
  std::vector<Subscriber> subscribers;
  // Executions committed while their subscribers were out being served.
  std::unordered_set<std::string> committed_meanwhile;
  bool serving = false;
  std::thread feed;

  Impl(store::Store* s, ConsoleOptions o)
      : store(s), options(std::move(o)), assets(options.assets_dir) {}

  // ------------------------------------------------------------- reading

  std::string Prefix() const {
    return "arn:aws:states:" + options.region + ":" + options.account + ":";
  }
  std::string MachineArn(const std::string& name) const {
    return Prefix() + "stateMachine:" + name;
  }
  std::string ExecutionArn(const std::string& id) const { return Prefix() + "execution:" + id; }

  Result<std::shared_ptr<const Machine>> LoadMachine(const std::string& name, int64_t version) {
    if (version > 0) {
      std::lock_guard lock(machines_mu);
      auto it = machines.find({name, version});
      if (it != machines.end()) return it->second;
    }
    STEPFLOW_ASSIGN_OR_RETURN(store::StateMachineVersion v,
                              store->GetStateMachineVersion(name, version));
    {
      std::lock_guard lock(machines_mu);
      auto it = machines.find({name, v.version});
      if (it != machines.end()) return it->second;
    }
    auto m = std::make_shared<Machine>();
    asl::ParseResult parsed = asl::ParseDefinition(v.definition);
    if (!parsed.document) {
      return Status::InvalidArgument("the stored definition of " + name + " version " +
                                     std::to_string(v.version) + " cannot be read");
    }
    m->definition = parsed.document->root();
    m->format = parsed.document->format() == asl::SourceFormat::kYaml ? "yaml" : "json";
    STEPFLOW_ASSIGN_OR_RETURN(m->graph, graph::CompileDefinition(m->definition));
    m->version = std::move(v);
    std::lock_guard lock(machines_mu);
    if (machines.size() > 256) machines.clear();
    machines[{name, m->version.version}] = m;
    return std::shared_ptr<const Machine>(m);
  }

  Result<std::shared_ptr<const std::vector<store::HistoryEvent>>> LoadHistory(
      const store::ExecutionRecord& x) {
    CachedHistory cached;
    {
      std::lock_guard lock(history_mu);
      for (auto it = histories.begin(); it != histories.end(); ++it) {
        if (it->first != x.id) continue;
        cached = it->second;
        histories.splice(histories.begin(), histories, it);
        break;
      }
    }
    if (cached.events && cached.next_event_id == x.next_event_id) return cached.events;
    store::HistoryQuery q;
    auto events = std::make_shared<std::vector<store::HistoryEvent>>();
    if (cached.events && cached.next_event_id < x.next_event_id) {
      *events = *cached.events;
      q.after_event_id = events->empty() ? 0 : events->back().id;
    }
    STEPFLOW_ASSIGN_OR_RETURN(std::vector<store::HistoryEvent> more, store->GetHistory(x.id, q));
    if (q.after_event_id == 0) events->clear();
    for (auto& e : more) events->push_back(std::move(e));
    std::shared_ptr<const std::vector<store::HistoryEvent>> result = std::move(events);
    std::lock_guard lock(history_mu);
    histories.remove_if([&](const auto& entry) { return entry.first == x.id; });
    histories.push_front({x.id, {x.next_event_id, result}});
    if (histories.size() > kHistories) histories.pop_back();
    return result;
  }

  Json Summary(const store::ExecutionRecord& x) const {
    Json out = {{"id", x.id},
                {"arn", ExecutionArn(x.id)},
                {"machine", x.machine},
                {"version", x.version},
                {"name", x.name},
                {"status", x.status},
                {"startMs", x.start_ms},
                {"redriveCount", x.redrive_count}};
    out["stopMs"] = Nullable(x.stop_ms);
    out["parentId"] = x.parent_id.empty() ? Json(nullptr) : Json(x.parent_id);
    return out;
  }

  // ------------------------------------------------------------ endpoints

  Result<Json> Machines() {
    STEPFLOW_ASSIGN_OR_RETURN(std::vector<std::string> names, store->ListStateMachines());
    STEPFLOW_ASSIGN_OR_RETURN(std::vector<store::ExecutionCount> rows, store->CountExecutions());
    std::map<std::string, std::map<std::string, int64_t>> counts;
    for (const auto& row : rows) counts[row.machine][row.status] = row.count;
    Json list = Json::array();
    for (const std::string& name : names) {
      STEPFLOW_ASSIGN_OR_RETURN(std::vector<store::StateMachineVersion> versions,
                                store->ListStateMachineVersions(name));
      if (versions.empty()) continue;
      Json item = {{"name", name},
                   {"arn", MachineArn(name)},
                   {"versions", static_cast<int64_t>(versions.size())},
                   {"latestVersion", versions.back().version},
                   {"createdMs", versions.front().created_ms},
                   {"counts", CountsJson(counts[name])}};
      store::ExecutionFilter newest;
      newest.machine = name;
      newest.limit = 1;
      newest.newest_first = true;
      STEPFLOW_ASSIGN_OR_RETURN(std::vector<store::ExecutionRecord> last,
                                store->ListExecutions(newest));
      item["lastRun"] = last.empty() ? Json(nullptr)
                                     : Json({{"id", last[0].id},
                                             {"name", last[0].name},
                                             {"status", last[0].status},
                                             {"startMs", last[0].start_ms}});
      list.push_back(std::move(item));
    }
    return Json{{"machines", std::move(list)}};
  }

  static Json CountsJson(const std::map<std::string, int64_t>& counts) {
    Json out = Json::object();
    for (const char* status :
         {store::kRunning, store::kSucceeded, store::kFailed, store::kTimedOut, store::kAborted}) {
      auto it = counts.find(status);
      out[status] = it == counts.end() ? 0 : it->second;
    }
    return out;
  }

  Result<Json> MachineInfo(const std::string& name) {
    STEPFLOW_ASSIGN_OR_RETURN(std::vector<store::StateMachineVersion> versions,
                              store->ListStateMachineVersions(name));
    if (versions.empty()) return Status::NotFound("state machine '" + name + "' does not exist");
    STEPFLOW_ASSIGN_OR_RETURN(std::vector<store::ExecutionCount> rows, store->CountExecutions());
    std::map<std::string, int64_t> counts;
    for (const auto& row : rows) {
      if (row.machine == name) counts[row.status] = row.count;
    }
    Json list = Json::array();
    for (const auto& v : versions) {
      list.push_back({{"version", v.version}, {"createdMs", v.created_ms}, {"sha256", v.sha256}});
    }
    return Json{{"name", name},
                {"arn", MachineArn(name)},
                {"counts", CountsJson(counts)},
                {"versions", std::move(list)}};
  }

  Result<int64_t> VersionOf(const std::string& text) {
    if (text == "latest") return 0;
    try {
      size_t used = 0;
      int64_t v = std::stoll(text, &used);
      if (used == text.size() && v > 0) return v;
    } catch (const std::exception&) {
    }
    return Status::InvalidArgument("version '" + text + "' is not a positive number or 'latest'");
  }

  Result<Json> Version(const std::string& name, const std::string& version_text) {
    STEPFLOW_ASSIGN_OR_RETURN(int64_t version, VersionOf(version_text));
    STEPFLOW_ASSIGN_OR_RETURN(std::shared_ptr<const Machine> m, LoadMachine(name, version));
    return Json{{"machine", name},
                {"arn", MachineArn(name)},
                {"version", m->version.version},
                {"createdMs", m->version.created_ms},
                {"sha256", m->version.sha256},
                {"format", m->format},
                {"source", m->version.definition},
                {"json", DumpPretty(m->definition)},
                {"yaml", ToYaml(m->definition)},
                {"definition", m->definition}};
  }

  Result<Json> Layout(const std::string& name, const std::string& version_text) {
    STEPFLOW_ASSIGN_OR_RETURN(int64_t version, VersionOf(version_text));
    STEPFLOW_ASSIGN_OR_RETURN(std::shared_ptr<const Machine> m, LoadMachine(name, version));
    return layouts.Get(m->version.sha256, *m->graph);
  }

  Result<Json> Executions(const Target& t) {
    const int64_t limit = std::clamp<int64_t>(t.Int("limit").value_or(50), 1, 1000);
    const std::string name = Lower(t.Get("name"));
    const std::optional<int64_t> from = t.Int("fromMs"), to = t.Int("toMs");
    store::ExecutionFilter filter;
    filter.machine = t.Get("machine");
    filter.status = t.Get("status");
    filter.newest_first = t.Get("order", "newest") != "oldest";
    filter.after_id = t.Get("after");
    filter.limit = 500;
    Json list = Json::array();
    std::string last_id;
    bool more = false;
    // Filters the store does not know (name, time) are applied here, page by page.
    // The list is in start order, so a time bound ends the scan; at most
    // kScan rows are read per request, then `next` continues after the last.
    constexpr int64_t kScan = 50'000;
    int64_t scanned = 0;
    bool done = false;
    while (!done && !more) {
      STEPFLOW_ASSIGN_OR_RETURN(std::vector<store::ExecutionRecord> page,
                                store->ListExecutions(filter));
      for (const auto& x : page) {
        const bool past =
            filter.newest_first ? (from && x.start_ms < *from) : (to && x.start_ms > *to);
        if (past) {
          done = true;
          break;
        }
        if (static_cast<int64_t>(list.size()) == limit || scanned == kScan) {
          more = true;
          break;
        }
        ++scanned;
        filter.after_id = x.id;
        last_id = x.id;
        if (!name.empty() && Lower(x.name).find(name) == std::string::npos) continue;
        if (from && x.start_ms < *from) continue;
        if (to && x.start_ms > *to) continue;
        list.push_back(Summary(x));
      }
      if (static_cast<int64_t>(page.size()) < filter.limit) done = true;
    }
    return Json{{"executions", std::move(list)}, {"next", more ? Json(last_id) : Json(nullptr)}};
  }

  Result<Json> Execution(const std::string& id) {
    STEPFLOW_ASSIGN_OR_RETURN(store::ExecutionRecord x, store->GetExecution(id));
    Json out = Summary(x);
    out["machineArn"] = MachineArn(x.machine);
    out["input"] = Value(x.input);
    out["output"] = x.output ? Value(*x.output) : Json(nullptr);
    out["error"] = Nullable(x.error);
    out["cause"] = Nullable(x.cause);
    out["redriveMs"] = Nullable(x.redrive_ms);
    api::RedriveInfo redrive = api::RedriveStatusOf(x);
    out["redriveStatus"] = redrive.redrivable ? "REDRIVABLE" : "NOT_REDRIVABLE";
    out["redriveStatusReason"] = redrive.reason;
    out["lastEventId"] = x.next_event_id - 1;
    return out;
  }

  Result<Json> History(const std::string& id, const Target& t) {
    STEPFLOW_ASSIGN_OR_RETURN(store::ExecutionRecord x, store->GetExecution(id));
    STEPFLOW_ASSIGN_OR_RETURN(auto events, LoadHistory(x));
    const int64_t limit = std::clamp<int64_t>(t.Int("limit").value_or(200), 1, 1000);
    const bool reverse = t.Get("reverse") == "true";
    const std::optional<int64_t> after = t.Int("after");
    const std::string type = Lower(t.Get("type")), state = t.Get("state"), text = t.Get("text");
    const bool filtered = !type.empty() || !state.empty() || !text.empty();
    auto matches = [&](const store::HistoryEvent& e) {
      if (!type.empty() && Lower(e.type).find(type) == std::string::npos) return false;
      if (!state.empty() && e.state_path.compare(0, state.size(), state) != 0) return false;
      if (!text.empty() && e.details.find(text) == std::string::npos &&
          e.type.find(text) == std::string::npos && e.state_path.find(text) == std::string::npos) {
        return false;
      }
      return true;
    };
    Json list = Json::array();
    std::optional<int64_t> next;
    int64_t matching = 0;
    const auto& all = *events;
    if (!reverse) {
      // Ids are dense from 1: event id N is at index N - 1.
      size_t start = after ? static_cast<size_t>(
                                 std::clamp<int64_t>(*after, 0, static_cast<int64_t>(all.size())))
                           : 0;
      for (size_t i = start; i < all.size(); ++i) {
        if (filtered && !matches(all[i])) continue;
        if (static_cast<int64_t>(list.size()) == limit) {
          next = list.back()["id"].get<int64_t>();  // more match after this page
          break;
        }
        list.push_back(EventJson(all[i]));
      }
    } else {
      int64_t end = after && *after > 0 ? std::min<int64_t>(*after - 1, all.size())
                                        : static_cast<int64_t>(all.size());
      for (int64_t i = end - 1; i >= 0; --i) {
        const auto& e = all[static_cast<size_t>(i)];
        if (filtered && !matches(e)) continue;
        if (static_cast<int64_t>(list.size()) == limit) {
          next = list.back()["id"].get<int64_t>();
          break;
        }
        list.push_back(EventJson(e));
      }
    }
    if (filtered) {
      for (const auto& e : all) matching += matches(e) ? 1 : 0;
    } else {
      matching = static_cast<int64_t>(all.size());
    }
    return Json{{"events", std::move(list)},
                {"next", next ? Json(*next) : Json(nullptr)},
                {"total", static_cast<int64_t>(all.size())},
                {"matching", matching}};
  }

  struct Loaded {
    store::ExecutionRecord execution;
    std::shared_ptr<const Machine> machine;
    std::shared_ptr<const std::vector<store::HistoryEvent>> events;
  };
  Result<Loaded> LoadAll(const std::string& id) {
    Loaded l;
    STEPFLOW_ASSIGN_OR_RETURN(l.execution, store->GetExecution(id));
    STEPFLOW_ASSIGN_OR_RETURN(l.machine, LoadMachine(l.execution.machine, l.execution.version));
    STEPFLOW_ASSIGN_OR_RETURN(l.events, LoadHistory(l.execution));
    return l;
  }

  Result<Json> States(const std::string& id) {
    STEPFLOW_ASSIGN_OR_RETURN(Loaded l, LoadAll(id));
    return StateSummary(*l.machine->graph, l.execution, *l.events);
  }

  Result<Json> IterationList(const std::string& id, const Target& t) {
    STEPFLOW_ASSIGN_OR_RETURN(Loaded l, LoadAll(id));
    IterationQuery q;
    q.state = t.Get("state");
    q.status = t.Get("status");
    q.sort = t.Get("sort", "index");
    q.descending = t.Get("desc") == "true";
    q.offset = t.Int("offset").value_or(0);
    q.limit = t.Int("limit").value_or(100);
    return Iterations(*l.machine->graph, l.execution, *l.events, q);
  }

  Result<Json> Flow(const std::string& id, const Target& t) {
    STEPFLOW_ASSIGN_OR_RETURN(Loaded l, LoadAll(id));
    return DataFlow(*l.machine->graph, l.machine->definition, l.execution, *l.events,
                    t.Get("state"));
  }

  // ------------------------------------------------------------- triggers

  Result<Json> Triggers() {
    Json list = Json::array();
    if (options.plane != nullptr) {
      STEPFLOW_ASSIGN_OR_RETURN(auto views, options.plane->ListTriggers());
      for (const api::TriggerView& v : views) list.push_back(http::TriggerApi::ViewJson(v));
    }
    return Json{{"triggers", std::move(list)}};
  }

  Result<Json> TriggerInfo(const std::string& name) {
    if (options.plane == nullptr) return Status::NotFound("this server has no triggers");
    STEPFLOW_ASSIGN_OR_RETURN(auto view, options.plane->DescribeTrigger(name, 100));
    return http::TriggerApi::ViewJson(view);
  }

  Result<Json> Functions() {
    STEPFLOW_ASSIGN_OR_RETURN(std::vector<store::FunctionVersion> versions,
                              store->ListFunctionVersions());
    STEPFLOW_ASSIGN_OR_RETURN(std::vector<store::FunctionAlias> aliases,
                              store->ListFunctionAliases());
    STEPFLOW_ASSIGN_OR_RETURN(std::vector<store::DeployFailure> failures,
                              store->ListDeployFailures());
    std::map<std::string, Json> by_name;
    for (const auto& v : versions) {
      Json& f = by_name[v.name];
      if (f.is_null()) {
        f = {{"name", v.name}, {"versions", Json::array()}, {"aliases", Json::array()}};
        f["instances"] = nullptr;
        f["deployFailure"] = nullptr;
      }
      f["kind"] = v.kind;
      Json item = {{"version", v.version},
                   {"kind", v.kind},
                   {"target", v.target},
                   {"source", v.source},
                   {"createdMs", v.created_ms}};
      item["config"] = v.config.empty() ? Json(nullptr) : Value(v.config);
      f["versions"].push_back(std::move(item));
      if (v.kind == "package" && options.local != nullptr) {
        functions::PoolStats stats = options.local->Stats(v.name, v.version);
        f["instances"] = {{"version", v.version},
                          {"starting", stats.starting},
                          {"idle", stats.idle},
                          {"busy", stats.busy},
                          {"startedTotal", stats.started_total},
                          {"queued", stats.queued}};
      }
    }
    for (const auto& a : aliases) {
      auto it = by_name.find(a.function);
      if (it != by_name.end())
        it->second["aliases"].push_back({{"alias", a.alias}, {"version", a.version}});
    }
    for (const auto& failure : failures) {
      Json& f = by_name[failure.name];
      if (f.is_null()) {
        f = {{"name", failure.name},
             {"kind", "package"},
             {"versions", Json::array()},
             {"aliases", Json::array()}};
        f["instances"] = nullptr;
      }
      f["deployFailure"] = {{"message", failure.message}, {"timeMs", failure.created_ms}};
    }
    Json list = Json::array();
    for (auto& [name, f] : by_name) list.push_back(std::move(f));
    return Json{{"functions", std::move(list)}};
  }

  Result<Json> Logs(const std::string& name, const Target& t) {
    store::FunctionLogQuery q;
    q.function = name;
    q.after_id = t.Int("after").value_or(0);
    const int64_t limit = std::clamp<int64_t>(t.Int("limit").value_or(200), 1, 1000);
    q.limit = limit + 1;
    STEPFLOW_ASSIGN_OR_RETURN(std::vector<store::FunctionLog> logs, store->ListFunctionLogs(q));
    Json list = Json::array();
    bool more = static_cast<int64_t>(logs.size()) > limit;
    for (int64_t i = 0; i < static_cast<int64_t>(logs.size()) && i < limit; ++i) {
      const auto& l = logs[static_cast<size_t>(i)];
      list.push_back({{"id", l.id},
                      {"version", l.version},
                      {"executionId", l.execution_id},
                      {"call", l.idempotency_key},
                      {"timeMs", l.created_ms},
                      {"text", l.text}});
    }
    return Json{{"logs", std::move(list)},
                {"next", more && !list.empty() ? list.back()["id"] : Json(nullptr)}};
  }

  // The /api/ request on a reader thread.
  http::Response Api(const Target& t) {
    const auto& s = t.segments;  // s[0] == "api"
    auto answer = [](Result<Json> r) {
      return r.ok() ? JsonResponse(200, *r) : ErrorResponse(r.status());
    };
    if (s.size() == 2 && s[1] == "machines") return answer(Machines());
    if (s.size() == 3 && s[1] == "machines") return answer(MachineInfo(s[2]));
    if (s.size() == 5 && s[1] == "machines" && s[3] == "versions")
      return answer(Version(s[2], s[4]));
    if (s.size() == 6 && s[1] == "machines" && s[3] == "versions" && s[5] == "layout") {
      return answer(Layout(s[2], s[4]));
    }
    if (s.size() == 2 && s[1] == "executions") return answer(Executions(t));
    if (s.size() == 3 && s[1] == "executions") return answer(Execution(s[2]));
    if (s.size() == 4 && s[1] == "executions") {
      if (s[3] == "history") return answer(History(s[2], t));
      if (s[3] == "states") return answer(States(s[2]));
      if (s[3] == "iterations") return answer(IterationList(s[2], t));
      if (s[3] == "dataflow") return answer(Flow(s[2], t));
    }
    if (s.size() == 2 && s[1] == "triggers") return answer(Triggers());
    if (s.size() == 3 && s[1] == "triggers") return answer(TriggerInfo(s[2]));
    if (s.size() == 2 && s[1] == "functions") return answer(Functions());
    if (s.size() == 4 && s[1] == "functions" && s[3] == "logs") return answer(Logs(s[2], t));
    return ErrorResponse(Status::NotFound("no such console API: /" + [&] {
      std::string joined;
      for (const auto& part : s) joined += (joined.empty() ? "" : "/") + part;
      return joined;
    }()));
  }

  // -------------------------------------------------------------- threads

  // Queues `job` for a reader; false when the console is shutting down.
  bool Post(std::function<void()> job) {
    std::lock_guard lock(work_mu);
    if (stopping) return false;
    work.push_back(std::move(job));
    work_cv.notify_one();
    return true;
  }

  void Work() {
    while (true) {
      std::function<void()> job;
      {
        std::unique_lock lock(work_mu);
        work_cv.wait(lock, [&] { return stopping || !work.empty(); });
        if (stopping && work.empty()) return;
        job = std::move(work.front());
        work.pop_front();
      }
      job();
    }
  }

  static std::string Frame(const char* event, const std::string& data,
                           std::optional<int64_t> id = std::nullopt) {
    std::string out;
    if (id) out += "id: " + std::to_string(*id) + "\n";
    out += "event: ";
    out += event;
    out += "\ndata: " + data + "\n\n";
    return out;
  }

  // One pass over a subscriber: new events, its status, the end.
  // Returns false when it is done.
  bool Serve(Subscriber& sub) {
    if (sub.stream->closed()) return false;
    auto record = store->GetExecution(sub.execution);
    if (!record.ok()) {
      sub.stream->Send(Frame("unavailable", DumpCompact({{"message", record.status().message()}})));
      sub.stream->Close();
      return false;
    }
    sub.last_read = Clock::now();
    std::string batch;
    if (record->next_event_id - 1 > sub.last) {
      store::HistoryQuery q;
      q.after_event_id = sub.last;
      q.limit = 2000;
      auto events = store->GetHistory(sub.execution, q);
      if (!events.ok() || events->empty()) {
        // Read again at the next wake-up or poll, not in a loop.
        sub.dirty = false;
        return true;
      }
      for (const auto& e : *events) {
        batch += Frame("history", DumpCompact(EventJson(e)), e.id);
        sub.last = e.id;
      }
    }
    const bool more = record->next_event_id - 1 > sub.last;
    if (!batch.empty() || record->status != sub.status) {
      sub.status = record->status;
      batch += Frame("execution", DumpCompact(Summary(*record)));
    }
    if (!batch.empty()) {
      if (!sub.stream->Send(std::move(batch))) return false;
      sub.last_sent = Clock::now();
    }
    if (record->status != store::kRunning && !more) {
      sub.stream->Send(Frame("end", "{}"));
      sub.stream->Close();
      return false;
    }
    sub.dirty = more;
    return true;
  }

  void Feed() {
    std::unique_lock lock(feed_mu);
    bool again = false;
    while (!stopping) {
      if (!again) feed_cv.wait_for(lock, std::chrono::milliseconds(500));
      again = false;
      if (stopping) break;
      const auto now = Clock::now();
      // Serve outside the lock: Committed must never wait for a store read.
      std::vector<Subscriber> work_list;
      for (auto it = subscribers.begin(); it != subscribers.end();) {
        // A commit made elsewhere (another process on the database) shows
        // within two seconds; this process's commits wake the feed at once.
        if (it->dirty || now - it->last_read >= std::chrono::seconds(2) || it->stream->closed()) {
          work_list.push_back(std::move(*it));
          it = subscribers.erase(it);
        } else {
          ++it;
        }
      }
      for (auto& sub : subscribers) {
        if (now - sub.last_sent >= std::chrono::seconds(15)) {
          sub.stream->Send(": keep-alive\n\n");
          sub.last_sent = now;
        }
      }
      serving = true;
      lock.unlock();
      std::vector<Subscriber> keep;
      for (auto& sub : work_list) {
        sub.dirty = false;
        if (Serve(sub)) keep.push_back(std::move(sub));
      }
      lock.lock();
      serving = false;
      for (auto& sub : keep) {
        if (committed_meanwhile.count(sub.execution) > 0) sub.dirty = true;
        subscribers.push_back(std::move(sub));
      }
      committed_meanwhile.clear();
      if (std::any_of(subscribers.begin(), subscribers.end(),
                      [](const Subscriber& sub) { return sub.dirty; })) {
        again = true;  // serve again without waiting
      }
    }
    for (auto& sub : subscribers) sub.stream->Close();
    subscribers.clear();
  }

  void Subscribe(const std::string& id, int64_t after, std::shared_ptr<http::Stream> stream) {
    Subscriber sub;
    sub.execution = id;
    sub.last = after;
    sub.stream = std::move(stream);
    sub.stream->Send("retry: 1000\n\n");
    std::lock_guard lock(feed_mu);
    if (stopping) {
      sub.stream->Close();
      return;
    }
    subscribers.push_back(std::move(sub));
    feed_cv.notify_one();
  }

  void Committed(const std::string& id) {
    std::lock_guard lock(feed_mu);
    if (serving) committed_meanwhile.insert(id);
    bool any = false;
    for (auto& sub : subscribers) {
      if (sub.execution == id) {
        sub.dirty = true;
        any = true;
      }
    }
    if (any) feed_cv.notify_one();
  }
};

Console::Console(store::Store* store, ConsoleOptions options)
    : impl_(std::make_unique<Impl>(store, std::move(options))) {
  for (int i = 0; i < std::max(1, impl_->options.threads); ++i) {
    impl_->workers.emplace_back([impl = impl_.get()] { impl->Work(); });
  }
  impl_->feed = std::thread([impl = impl_.get()] { impl->Feed(); });
}

Console::~Console() { Shutdown(); }

void Console::Shutdown() {
  {
    std::scoped_lock lock(impl_->work_mu, impl_->feed_mu);
    if (impl_->stopping) return;
    impl_->stopping = true;
  }
  impl_->work_cv.notify_all();
  impl_->feed_cv.notify_all();
  for (auto& t : impl_->workers) t.join();
  impl_->feed.join();
}

void Console::Committed(const std::string& execution_id) { impl_->Committed(execution_id); }

bool Console::Handle(http::Request& request, http::Reply& reply) {
  if (request.method != "GET" && request.method != "HEAD") return false;
  Target t = ParseTarget(request.target);
  const bool api = !t.segments.empty() && t.segments[0] == "api";
  const bool asset = t.segments.size() == 2 && t.segments[0] == "assets";
  const bool page =
      t.segments.empty() || (t.segments[0] == "machines" || t.segments[0] == "executions" ||
                             t.segments[0] == "functions" || t.segments[0] == "triggers");
  const bool icon = t.segments.size() == 1 && t.segments[0] == "favicon.ico";
  if (!api && !asset && !page && !icon) return false;
  if (asset || page || icon) {
    const std::string name = asset ? t.segments[1] : icon ? "favicon.svg" : "index.html";
    std::shared_ptr<const Asset> a = impl_->assets.Find(name);
    http::Response r;
    AddSecurityHeaders(&r);
    if (a == nullptr) {
      r.status = 404;
      r.headers.emplace_back("Content-Type", "text/plain");
      r.body = page ? "the console's assets are not in this build\n" : "no such asset\n";
      reply(std::move(r));
      return true;
    }
    r.headers.emplace_back("ETag", a->etag);
    r.headers.emplace_back("Cache-Control", "no-cache");
    if (request.Header("if-none-match") == a->etag) {
      r.status = 304;
    } else {
      r.headers.emplace_back("Content-Type", a->mime);
      if (request.method != "HEAD") r.body = a->body;
    }
    reply(std::move(r));
    return true;
  }
  // The live stream of an execution's history.
  const bool events =
      t.segments.size() == 4 && t.segments[1] == "executions" && t.segments[3] == "events";
  int64_t after = t.Int("after").value_or(0);
  if (std::string_view last = request.Header("last-event-id"); events && !last.empty()) {
    try {
      after = std::stoll(std::string(last));
    } catch (const std::exception&) {
    }
  }
  const bool queued =
      impl_->Post([impl = impl_.get(), t = std::move(t), reply, events, after]() mutable {
        if (!events) return reply(impl->Api(t));
        auto exists = impl->store->GetExecution(t.segments[2]);
        if (!exists.ok()) return reply(ErrorResponse(exists.status()));
        http::Response r;
        r.headers.emplace_back("Content-Type", "text/event-stream");
        r.headers.emplace_back("Cache-Control", "no-store");
        r.headers.emplace_back("X-Accel-Buffering", "no");
        AddSecurityHeaders(&r);
        r.stream = [impl, id = t.segments[2], after](std::shared_ptr<http::Stream> s) {
          impl->Subscribe(id, after, std::move(s));
        };
        reply(std::move(r));
      });
  if (!queued)
    reply(ErrorResponse(Status(StatusCode::kUnavailable, "the server is shutting down")));
  return true;
}

bool CrossSite(const http::Request& request) {
  std::string_view site = request.Header("sec-fetch-site");
  if (!site.empty() && site != "same-origin" && site != "none") return true;
  std::string_view origin = request.Header("origin");
  if (origin.empty()) return false;
  if (origin == "null") return true;
  size_t scheme = origin.find("://");
  if (scheme == std::string_view::npos) return true;
  return Lower(origin.substr(scheme + 3)) != Lower(request.Header("host"));
}

bool LoopbackHost(const http::Request& request) {
  std::string host(request.Header("host"));
  if (host.empty()) return true;  // HTTP/1.0 clients
  if (host.front() == '[') {
    size_t close = host.find(']');
    host = close == std::string::npos ? host : host.substr(1, close - 1);
  } else if (size_t colon = host.rfind(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  host = Lower(host);
  return host == "localhost" || http::IsLoopbackHost(host);
}

void AddSecurityHeaders(http::Response* response) {
  response->headers.emplace_back(
      "Content-Security-Policy",
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
      "form-action 'self'; frame-ancestors 'none'");
  response->headers.emplace_back("X-Content-Type-Options", "nosniff");
  response->headers.emplace_back("Referrer-Policy", "no-referrer");
  response->headers.emplace_back("X-Frame-Options", "DENY");
}

}  // namespace stepflow::console
