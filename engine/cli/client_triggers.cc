// trigger create|apply|list|describe|pause|unpause|run|backfill|delete
// through the server (docs/triggers.md).
#include <fstream>
#include <iomanip>
#include <sstream>

#include "engine/asl/document.h"
#include "engine/cli/client_rpc.h"
#include "engine/cli/format.h"
#include "engine/common/json_util.h"
#include "engine/runtime/clock.h"
#include "engine/triggers/spec.h"

namespace stepflow::cli {
namespace {

Json Description(const v1::TriggerDescription& d) {
  auto description = ParseJsonData(d.description());
  return description.ok() ? *description : Json::object();
}

Json OccurrenceJson(const v1::TriggerOccurrence& o) {
  Json j = Json::object({{"key", o.key()},
                         {"scheduledTime", runtime::FormatTimestamp(o.scheduled_ms())},
                         {"outcome", o.outcome()},
                         {"recordedTime", runtime::FormatTimestamp(o.recorded_ms())}});
  if (!o.execution_id().empty()) j["executionId"] = o.execution_id();
  if (!o.detail().empty()) j["detail"] = o.detail();
  return j;
}

Json TriggerJson(const v1::TriggerDescription& d) {
  Json j = Json::object();
  j["name"] = d.name();
  j["kind"] = d.kind();
  j["description"] = Description(d);
  j["paused"] = d.paused();
  j["createdTime"] = runtime::FormatTimestamp(d.created_ms());
  j["updatedTime"] = runtime::FormatTimestamp(d.updated_ms());
  Json next = Json::array();
  for (int64_t ms : d.next_fire_ms()) next.push_back(runtime::FormatTimestamp(ms));
  j["nextFireTimes"] = next;
  Json occurrences = Json::array();
  for (const auto& o : d.occurrences()) occurrences.push_back(OccurrenceJson(o));
  j["occurrences"] = occurrences;
  Json counts = Json::object();
  for (const auto& [k, v] : std::map<std::string, int64_t>(d.counts().begin(), d.counts().end())) {
    counts[k] = v;
  }
  j["counts"] = counts;
  return j;
}

// "cron(0 2 * * ? *) in Europe/Berlin" or "webhook POST /hooks/NAME (hmac)".
std::string What(const v1::TriggerDescription& d, const Json& description) {
  if (d.kind() == "webhook") {
    std::string auth = "none";
    if (auto w = description.find("webhook"); w != description.end() && w->contains("auth")) {
      auth = (*w)["auth"].value("type", "none");
    }
    return "webhook POST /hooks/" + d.name() + " (auth " + auth + ")";
  }
  const Json& s = description.contains("schedule") ? description["schedule"] : Json::object();
  std::string what = s.value("expression", "") + " in " + s.value("timezone", "UTC");
  if (s.contains("start")) what += ", from " + s["start"].get<std::string>();
  if (s.contains("end")) what += ", until " + s["end"].get<std::string>();
  if (s.contains("jitterSeconds")) what += ", jitter up to " + std::to_string(s["jitterSeconds"].get<int64_t>()) + " s";
  return what;
}

void PrintTrigger(const v1::TriggerDescription& d, std::ostream& out) {
  Json description = Description(d);
  out << "name:        " << d.name() << "\n";
  out << "trigger:     " << What(d, description) << "\n";
  out << "machine:     " << description.value("machine", "") << "\n";
  out << "state:       " << (d.paused() ? "paused" : "active") << "\n";
  if (description.contains("input")) out << "input:       " << DumpCompact(description["input"]) << "\n";
  if (d.kind() == "schedule") {
    const Json& c = description["catchup"];
    out << "policies:    overlap " << description.value("overlap", "SKIP") << ", catch-up "
        << c.value("policy", "LATEST") << " (window " << c.value("windowSeconds", 0) << " s, at most "
        << c.value("maxRuns", 0) << " runs)";
    if (description.contains("remainingRuns")) {
      out << ", " << description["remainingRuns"].get<int64_t>() << " runs left when written";
    }
    out << "\n";
  }
  if (d.kind() == "schedule") {
    if (d.next_fire_ms().empty()) {
      out << "next fires:  none" << (d.paused() ? " (paused)" : "") << "\n";
    } else {
      out << "next fires:\n";
      for (int64_t ms : d.next_fire_ms()) out << "  " << runtime::FormatTimestamp(ms) << "\n";
    }
  }
  std::map<std::string, int64_t> counts(d.counts().begin(), d.counts().end());
  out << "occurrences:";
  if (counts.empty()) out << " none yet";
  for (const auto& [outcome, n] : counts) out << " " << n << " " << outcome;
  out << "\n";
  for (const auto& o : d.occurrences()) {
    out << "  " << std::left << std::setw(26) << o.key() << std::setw(8) << o.outcome() << " "
        << (o.execution_id().empty() ? "" : o.execution_id() + "  ") << o.detail() << "\n";
  }
}

int Put(const std::string& verb, const std::string& description, bool create_only,
        const ClientOptions& options, std::ostream& out, std::ostream& err) {
  client::Connection c(verb, options, err);
  v1::PutTriggerRequest request;
  request.set_description(description);
  request.set_create_only(create_only);
  v1::TriggerDescription d;
  if (!c.Call(&client::Stub::PutTrigger, request, &d)) return 1;
  if (options.json) {
    Json j = TriggerJson(d);
    j["unchanged"] = d.unchanged();
    out << DumpCompact(j) << "\n";
    return 0;
  }
  out << (d.unchanged() ? "unchanged " : create_only ? "created " : "applied ") << d.kind()
      << " trigger " << d.name();
  if (!d.next_fire_ms().empty()) out << "; next fire " << runtime::FormatTimestamp(d.next_fire_ms(0));
  if (d.kind() == "webhook") out << "; POST /hooks/" << d.name() << " on the HTTP listener";
  if (d.paused()) out << " (paused)";
  out << "\n";
  return 0;
}

// RFC 3339 (a date or a time without offset: UTC), or Unix seconds.
std::optional<int64_t> ParseTimeFlag(const std::string& text) {
  if (auto ms = triggers::ParseTimeMs(text)) return ms;
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos && text.size() < 12) {
    return std::stoll(text) * 1000;
  }
  return std::nullopt;
}

}  // namespace

int TriggerCreateCommand(const std::string& name, const TriggerFlags& f,
                         const ClientOptions& options, std::ostream& out, std::ostream& err) {
  auto fail = [&](const std::string& why) {
    err << "stepflow: trigger create: " << why << "\n";
    return 2;
  };
  if (f.schedule.empty() == !f.webhook) return fail("give exactly one of --schedule EXPR and --webhook");
  Json d = Json::object({{"name", name}, {"machine", f.machine}});
  if (!f.webhook) {
    Json s = Json::object({{"expression", f.schedule}});
    if (!f.timezone.empty()) s["timezone"] = f.timezone;
    if (!f.start.empty()) s["start"] = f.start;
    if (!f.end.empty()) s["end"] = f.end;
    if (f.jitter >= 0) s["jitterSeconds"] = f.jitter;
    d["schedule"] = s;
  } else {
    Json auth = Json::object({{"type", f.auth.empty() ? "none" : f.auth}});
    if (!f.secret.empty()) auth[f.auth == "bearer" ? "token" : "secret"] = f.secret;
    if (f.tolerance >= 0) auth["toleranceSeconds"] = f.tolerance;
    d["webhook"] = Json::object({{"auth", auth}});
  }
  if (f.has_input) {
    if (std::string why = InputJsonError(f.input); !why.empty()) return fail(why);
    d["input"] = *ParseJsonData(f.input);
  }
  if (!f.overlap.empty()) d["overlap"] = f.overlap;
  if (!f.catchup.empty() || f.catchup_window >= 0 || f.catchup_max >= 0) {
    Json c = Json::object();
    if (!f.catchup.empty()) c["policy"] = f.catchup;
    if (f.catchup_window >= 0) c["windowSeconds"] = f.catchup_window;
    if (f.catchup_max >= 0) c["maxRuns"] = f.catchup_max;
    d["catchup"] = c;
  }
  if (f.remaining >= 0) d["remainingRuns"] = f.remaining;
  if (f.paused) d["paused"] = true;
  return Put("trigger create", DumpCompact(d), /*create_only=*/true, options, out, err);
}

int TriggerApplyCommand(const std::string& file, const ClientOptions& options, std::ostream& out,
                        std::ostream& err) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    err << "stepflow: trigger apply: cannot read " << file << "\n";
    return 2;
  }
  std::stringstream text;
  text << in.rdbuf();
  // JSON or YAML (by the extension, JSON when unsure), read with the
  // definition reader: its errors carry line:column.
  asl::ParseResult parsed = asl::ParseDefinition(text.str(), file);
  if (!parsed.document) {
    for (const asl::Diagnostic& d : parsed.diagnostics) {
      err << "stepflow: trigger apply: " << file << ":" << d.line << ":" << d.column << ": "
          << d.message << "\n";
    }
    if (parsed.diagnostics.empty()) err << "stepflow: trigger apply: " << file << ": unreadable\n";
    return 2;
  }
  return Put("trigger apply", DumpCompact(parsed.document->root()), /*create_only=*/false, options,
             out, err);
}

int TriggerListCommand(const ClientOptions& options, std::ostream& out, std::ostream& err) {
  client::Connection c("trigger list", options, err);
  v1::ListTriggersResponse response;
  if (!c.Call(&client::Stub::ListTriggers, v1::ListTriggersRequest(), &response)) return 1;
  if (options.json) {
    Json all = Json::array();
    for (const auto& d : response.triggers()) all.push_back(TriggerJson(d));
    out << DumpCompact(all) << "\n";
    return 0;
  }
  if (response.triggers().empty()) {
    out << "no triggers\n";
    return 0;
  }
  out << std::left << std::setw(24) << "NAME" << std::setw(9) << "KIND" << std::setw(8) << "STATE"
      << std::setw(26) << "NEXT FIRE" << "LAST OCCURRENCE\n";
  for (const auto& d : response.triggers()) {
    std::string last = "-";
    if (!d.occurrences().empty()) {
      last = d.occurrences(0).key() + " " + d.occurrences(0).outcome();
    }
    out << std::setw(24) << d.name() << std::setw(9) << d.kind() << std::setw(8)
        << (d.paused() ? "paused" : "active") << std::setw(26)
        << (d.next_fire_ms().empty() ? std::string("-") : runtime::FormatTimestamp(d.next_fire_ms(0)))
        << last << "\n";
  }
  return 0;
}

int TriggerDescribeCommand(const std::string& name, int occurrences, const ClientOptions& options,
                           std::ostream& out, std::ostream& err) {
  client::Connection c("trigger describe", options, err);
  v1::DescribeTriggerRequest request;
  request.set_name(name);
  request.set_occurrences(occurrences);
  v1::TriggerDescription d;
  if (!c.Call(&client::Stub::DescribeTrigger, request, &d)) return 1;
  if (options.json) {
    out << DumpCompact(TriggerJson(d)) << "\n";
  } else {
    PrintTrigger(d, out);
  }
  return 0;
}

int TriggerPauseCommand(const std::string& name, bool paused, const ClientOptions& options,
                        std::ostream& out, std::ostream& err) {
  client::Connection c(paused ? "trigger pause" : "trigger unpause", options, err);
  v1::PauseTriggerRequest request;
  request.set_name(name);
  request.set_paused(paused);
  v1::TriggerDescription d;
  if (!c.Call(&client::Stub::PauseTrigger, request, &d)) return 1;
  if (options.json) {
    out << DumpCompact(TriggerJson(d)) << "\n";
  } else {
    out << (paused ? "paused " : "unpaused ") << name;
    if (!paused && !d.next_fire_ms().empty()) {
      out << "; next fire " << runtime::FormatTimestamp(d.next_fire_ms(0));
    }
    out << "\n";
  }
  return 0;
}

int TriggerRunCommand(const std::string& name, const std::string* input,
                      const ClientOptions& options, std::ostream& out, std::ostream& err) {
  if (input != nullptr) {
    if (std::string why = InputJsonError(*input); !why.empty()) {
      err << "stepflow: trigger run: " << why << "\n";
      return 2;
    }
  }
  client::Connection c("trigger run", options, err);
  v1::RunTriggerRequest request;
  request.set_name(name);
  if (input != nullptr) request.set_input(*input);
  v1::RunTriggerResponse response;
  if (!c.Call(&client::Stub::RunTrigger, request, &response)) return 1;
  if (options.json) {
    out << DumpCompact(Json::object({{"executionId", response.execution_id()},
                                     {"startTime", runtime::FormatTimestamp(response.start_ms())}}))
        << "\n";
  } else {
    out << "started " << response.execution_id() << "\n";
  }
  return 0;
}

int TriggerBackfillCommand(const std::string& name, const std::string& from, const std::string& to,
                           const ClientOptions& options, std::ostream& out, std::ostream& err) {
  auto from_ms = ParseTimeFlag(from);
  auto to_ms = ParseTimeFlag(to);
  if (!from_ms || !to_ms) {
    err << "stepflow: trigger backfill: --" << (from_ms ? "to" : "from") << " '"
        << (from_ms ? to : from) << "' is not an RFC 3339 time (2026-12-01T00:00:00Z, 2026-12-01) or Unix seconds\n";
    return 2;
  }
  client::Connection c("trigger backfill", options, err);
  v1::BackfillTriggerRequest request;
  request.set_name(name);
  request.set_from_ms(*from_ms);
  request.set_to_ms(*to_ms);
  v1::BackfillTriggerResponse r;
  // Up to 10,000 starts: allow for them.
  if (!c.Call(&client::Stub::BackfillTrigger, request, &r, 10 * 60 * 1000)) return 1;
  if (options.json) {
    Json ids = Json::array(), errors = Json::array();
    for (const auto& id : r.execution_ids()) ids.push_back(id);
    for (const auto& e : r.errors()) errors.push_back(e);
    out << DumpCompact(Json::object({{"occurrences", r.occurrences()},
                                     {"started", r.started()},
                                     {"alreadyStarted", r.already()},
                                     {"failed", r.failed()},
                                     {"executionIds", ids},
                                     {"errors", errors}}))
        << "\n";
  } else {
    out << r.occurrences() << " occurrences: " << r.started() << " started, " << r.already()
        << " started before, " << r.failed() << " failed\n";
    for (const auto& e : r.errors()) out << "  " << e << "\n";
  }
  return r.failed() > 0 ? 1 : 0;
}

int TriggerDeleteCommand(const std::string& name, const ClientOptions& options, std::ostream& out,
                         std::ostream& err) {
  client::Connection c("trigger delete", options, err);
  v1::DeleteTriggerRequest request;
  request.set_name(name);
  v1::DeleteTriggerResponse response;
  if (!c.Call(&client::Stub::DeleteTrigger, request, &response)) return 1;
  if (options.json) {
    out << DumpCompact(Json::object({{"name", name}, {"deleted", true}})) << "\n";
  } else {
    out << "deleted " << name << "\n";
  }
  return 0;
}

}  // namespace stepflow::cli
