#include "engine/console/history_view.h"

#include <algorithm>
#include <map>
#include <unordered_map>

namespace stepflow::console {

namespace {

// One level of a state path: "Fanout[3]" (name, index "3") or, last, "Charge".
struct Segment {
  std::string_view name;
  std::string_view index;  // "" for the last segment
};

// Splits "A[1]/B[*]/C" at each "]/"; false when it has no such shape.
std::vector<Segment> SplitPath(std::string_view path) {
  std::vector<Segment> out;
  size_t from = 0;
  while (true) {
    size_t close = path.find("]/", from);
    if (close == std::string_view::npos) {
      out.push_back({path.substr(from), {}});
      return out;
    }
    std::string_view level = path.substr(from, close - from);
    size_t open = level.rfind('[');
    if (open == std::string_view::npos) {
      out.push_back({path.substr(from), {}});
      return out;
    }
    out.push_back({level.substr(0, open), level.substr(open + 1)});
    from = close + 2;
  }
}

void ReadError(const store::HistoryEvent& e, std::string* error, std::string* cause) {
  Json details = EventDetails(e);
  if (auto it = details.find("error"); it != details.end() && it->is_string()) {
    *error = it->get<std::string>();
  }
  if (auto it = details.find("cause"); it != details.end() && it->is_string()) {
    *cause = it->get<std::string>();
  }
}

// A state's status over its visits, worst first.
int Rank(const std::string& status) {
  if (status == "FAILED") return 5;
  if (status == "RUNNING") return 4;
  if (status == "CAUGHT") return 3;
  if (status == "ABORTED") return 2;
  if (status == "SUCCEEDED") return 1;
  return 0;
}

bool IsContainerEnd(std::string_view type) {
  return type == "MapStateFailed" || type == "MapStateAborted" || type == "ParallelStateFailed" ||
         type == "ParallelStateAborted" || type == "MapIterationFailed" ||
         type == "MapIterationAborted";
}

struct Visit {
  std::string path;  // actual
  std::string template_path;
  std::string status = "RUNNING";
  bool open = true;
  bool failed = false;  // a failure event was seen in it and no success after it
  int64_t first = 0, last = 0;
  int64_t attempts = 0;
  std::string error, cause;
};

}  // namespace

void FailError(const graph::Graph& root, std::string_view state_path, std::string* error,
               std::string* cause) {
  const graph::State* s = FindState(root, state_path);
  if (s == nullptr || s->type != graph::StateType::kFail) return;
  const auto& fail = s->As<graph::FailSpec>();
  if (fail.error) *error = *fail.error;
  if (fail.cause) *cause = *fail.cause;
}

const graph::State* FindState(const graph::Graph& root, std::string_view state_path) {
  const graph::Graph* g = &root;
  std::vector<Segment> segments = SplitPath(state_path);
  for (size_t i = 0; i < segments.size(); ++i) {
    int index = g->Find(segments[i].name);
    if (index == graph::kNoState) return nullptr;
    const graph::State& s = g->state(index);
    if (i + 1 == segments.size()) return &s;
    if (const auto* map = std::get_if<graph::MapSpec>(&s.spec); map && map->processor) {
      g = map->processor.get();
    } else if (const auto* par = std::get_if<graph::ParallelSpec>(&s.spec)) {
      size_t branch = 0;
      std::string_view digits = segments[i].index;
      if (digits.empty() || digits.size() > 6) return nullptr;
      for (char c : digits) {
        if (c < '0' || c > '9') return nullptr;
        branch = branch * 10 + static_cast<size_t>(c - '0');
      }
      if (branch >= par->branches.size()) return nullptr;
      g = par->branches[branch].get();
    } else {
      return nullptr;
    }
  }
  return nullptr;
}

std::string TemplatePath(const graph::Graph& root, std::string_view state_path) {
  const graph::Graph* g = &root;
  std::string out;
  std::vector<Segment> segments = SplitPath(state_path);
  for (size_t i = 0; i < segments.size(); ++i) {
    out += segments[i].name;
    if (i + 1 == segments.size()) break;
    const graph::State* s = nullptr;
    if (g != nullptr) {
      int index = g->Find(segments[i].name);
      if (index != graph::kNoState) s = &g->state(index);
    }
    const auto* map = s ? std::get_if<graph::MapSpec>(&s->spec) : nullptr;
    const auto* par = s ? std::get_if<graph::ParallelSpec>(&s->spec) : nullptr;
    out += '[';
    out += map ? std::string_view("*") : segments[i].index;
    out += "]/";
    if (map) {
      g = map->processor.get();
    } else if (par) {
      size_t branch = 0;
      for (char c : segments[i].index) branch = branch * 10 + static_cast<size_t>(c - '0');
      g = branch < par->branches.size() ? par->branches[branch].get() : nullptr;
    } else {
      g = nullptr;
    }
  }
  return out;
}

std::string_view ScopeOf(std::string_view path) {
  size_t close = path.rfind("]/");
  return close == std::string_view::npos ? std::string_view() : path.substr(0, close + 2);
}

Json EventDetails(const store::HistoryEvent& event) {
  Result<Json> details = ParseJsonData(event.details);
  return details.ok() && details->is_object() ? std::move(details).value() : Json::object();
}

std::optional<int64_t> BodyIndex(std::string_view path, std::string_view prefix, bool direct) {
  if (!path.starts_with(prefix)) return std::nullopt;
  size_t at = prefix.size();
  int64_t index = 0;
  bool digits = false;
  while (at < path.size() && path[at] >= '0' && path[at] <= '9' && index < (int64_t{1} << 40)) {
    index = index * 10 + (path[at] - '0');
    ++at;
    digits = true;
  }
  if (!digits || path.substr(at, 2) != "]/") return std::nullopt;
  if (direct && path.find("]/", at + 2) != std::string_view::npos) return std::nullopt;
  return index;
}

bool IsFailureEvent(std::string_view type) {
  return type.ends_with("Failed") || type.ends_with("TimedOut") || type == "FailStateEntered";
}

Json StateSummary(const graph::Graph& root, const store::ExecutionRecord& execution,
                  const std::vector<store::HistoryEvent>& events) {
  std::vector<Visit> visits;
  std::unordered_map<std::string, size_t> latest;           // actual path → visit
  std::unordered_map<std::string, std::string> scope_open;  // scope → actual path
  std::unordered_map<std::string, std::string> left;        // scope → template path
  std::unordered_map<std::string, std::string> templates;   // actual → template
  std::map<std::pair<std::string, std::string>, int64_t> transitions;
  std::optional<int64_t> first_failure;
  bool redriven = false;

  auto template_of = [&](const std::string& path) -> const std::string& {
    auto it = templates.find(path);
    if (it == templates.end()) it = templates.emplace(path, TemplatePath(root, path)).first;
    return it->second;
  };
  auto current = [&](const std::string& path) -> Visit* {
    auto it = latest.find(path);
    return it == latest.end() ? nullptr : &visits[it->second];
  };
  // Open visits by scope ("" or "Fan[3]/"), ordered: the visits inside a
  // Map, an iteration or a branch are one range of keys.
  std::map<std::string, std::vector<size_t>, std::less<>> open_by_scope;
  auto close = [&](Visit& v, const std::string& status) {
    v.status = status;
    if (!v.open) return;
    v.open = false;
    auto it = open_by_scope.find(ScopeOf(v.path));
    if (it == open_by_scope.end()) return;
    const size_t index = static_cast<size_t>(&v - visits.data());
    std::erase(it->second, index);
    if (it->second.empty()) open_by_scope.erase(it);
  };

  for (const store::HistoryEvent& e : events) {
    const std::string& type = e.type;
    if (!first_failure && IsFailureEvent(type)) first_failure = e.id;
    const std::string& path = e.state_path;
    if (type.ends_with("StateEntered")) {
      const std::string scope(ScopeOf(path));
      const std::string& tpath = template_of(path);
      if (auto open = scope_open.find(scope); open != scope_open.end() && open->second != path) {
        // The state before left without an exit: a Catch took it here.
        if (Visit* before = current(open->second); before && before->open) {
          close(*before, before->failed ? "CAUGHT" : "SUCCEEDED");
          left[scope] = before->template_path;
        }
      }
      if (auto from = left.find(scope); from != left.end()) {
        ++transitions[{from->second, tpath}];
      } else if (scope.empty() && !redriven) {
        ++transitions[{"__start__", tpath}];
      }
      Visit v;
      v.path = path;
      v.template_path = tpath;
      v.first = v.last = e.id;
      if (type == "FailStateEntered") {
        v.open = false;
        v.failed = true;
        v.status = "FAILED";
        FailError(root, path, &v.error, &v.cause);
      }
      latest[path] = visits.size();
      if (v.open) open_by_scope[scope].push_back(visits.size());
      visits.push_back(std::move(v));
      scope_open[scope] = path;
      continue;
    }
    if (path.empty()) {
      if (type == "ExecutionRedriven") {
        // The redrive enters the failed states again: no edge leads there.
        redriven = true;
        left.clear();
        scope_open.clear();
      }
      if (type == "ExecutionSucceeded") {
        if (auto from = left.find(""); from != left.end()) ++transitions[{from->second, "__end__"}];
      }
      continue;
    }
    Visit* v = current(path);
    if (v != nullptr) v->last = e.id;
    if (type.ends_with("StateExited")) {
      // A failure no success followed, then an exit: a Catch took the state on.
      if (v != nullptr) close(*v, v->failed ? "CAUGHT" : "SUCCEEDED");
      const std::string scope(ScopeOf(path));
      left[scope] = template_of(path);
      scope_open.erase(scope);
      continue;
    }
    if (type == "TaskScheduled" || type == "ActivityScheduled") {
      if (v != nullptr) ++v->attempts;
      continue;
    }
    if (type == "TaskSucceeded" || type == "ActivitySucceeded" || type == "MapStateSucceeded" ||
        type == "ParallelStateSucceeded") {
      if (v != nullptr) v->failed = false;  // a retry succeeded
      continue;
    }
    if (IsContainerEnd(type)) {
      // Whatever still runs inside the Map/Parallel (or the iteration) ends.
      std::string prefix = path + "[";
      if (type.starts_with("MapIteration")) {
        Json details = EventDetails(e);
        if (auto it = details.find("index"); it != details.end() && it->is_number_integer()) {
          prefix += std::to_string(it->get<int64_t>()) + "]/";
        }
      }
      std::vector<size_t> inside;
      for (auto it = open_by_scope.lower_bound(prefix);
           it != open_by_scope.end() && it->first.starts_with(prefix); ++it) {
        inside.insert(inside.end(), it->second.begin(), it->second.end());
      }
      for (size_t index : inside) {
        Visit& inner = visits[index];
        close(inner, inner.failed ? "FAILED" : "ABORTED");
      }
      if (!type.starts_with("MapIteration") && v != nullptr && type.ends_with("Failed")) {
        v->failed = true;
        ReadError(e, &v->error, &v->cause);
      }
      continue;
    }
    if (IsFailureEvent(type) && v != nullptr) {
      v->failed = true;
      ReadError(e, &v->error, &v->cause);
    }
  }

  const bool running = execution.status == store::kRunning;
  for (Visit& v : visits) {
    if (v.open) v.status = running ? "RUNNING" : (v.failed ? "FAILED" : "ABORTED");
  }
  // One entry per template path, from the latest visit of each actual path.
  struct Entry {
    std::map<std::string, int64_t> counts;
    int64_t visits = 0, attempts = 0, first = 0, last = 0;
    std::string status, error, cause;
  };
  std::map<std::string, Entry> states;
  for (const Visit& v : visits) {
    Entry& entry = states[v.template_path];
    ++entry.visits;
    entry.attempts += v.attempts;
    if (entry.first == 0) entry.first = v.first;
    entry.last = std::max(entry.last, v.last);
    // The error of a visit that ended with it (a retry that succeeded leaves
    // its failures to the attempts, not to the state).
    if (!v.error.empty() && v.failed) {
      entry.error = v.error;
      entry.cause = v.cause;
    }
  }
  for (const auto& [path, index] : latest) {
    const Visit& v = visits[index];
    Entry& entry = states[v.template_path];
    ++entry.counts[v.status];
    if (Rank(v.status) > Rank(entry.status)) entry.status = v.status;
  }
  Json out = Json::object();
  out["status"] = execution.status;
  out["eventCount"] = events.empty() ? 0 : events.back().id;
  out["firstFailureEventId"] = first_failure ? Json(*first_failure) : Json(nullptr);
  Json by_path = Json::object();
  for (const auto& [path, entry] : states) {
    Json counts = Json::object();
    for (const auto& [status, n] : entry.counts) counts[status] = n;
    Json item = {{"status", entry.status},      {"visits", entry.visits},
                 {"counts", std::move(counts)}, {"firstEventId", entry.first},
                 {"lastEventId", entry.last},   {"attempts", entry.attempts}};
    item["error"] = entry.error.empty() ? Json(nullptr) : Json(entry.error);
    item["cause"] = entry.error.empty() ? Json(nullptr) : Json(entry.cause);
    by_path[path] = std::move(item);
  }
  out["states"] = std::move(by_path);
  Json taken = Json::array();
  for (const auto& [edge, count] : transitions) {
    taken.push_back({{"from", edge.first}, {"to", edge.second}, {"count", count}});
  }
  out["transitions"] = std::move(taken);
  return out;
}

Result<Json> Iterations(const graph::Graph& root, const store::ExecutionRecord& execution,
                        const std::vector<store::HistoryEvent>& events,
                        const IterationQuery& query) {
  const graph::State* map = FindState(root, query.state);
  if (map == nullptr || map->type != graph::StateType::kMap) {
    return Status::NotFound("'" + query.state + "' is not a Map state of this execution");
  }
  struct Iteration {
    int64_t index = 0;
    std::string status = "RUNNING";
    int64_t start = 0, stop = 0, events = 0, first = 0;
    std::string error, cause;
  };
  std::map<int64_t, Iteration> iterations;
  const std::string prefix = query.state + "[";
  for (const store::HistoryEvent& e : events) {
    if (e.state_path == query.state && e.type.starts_with("MapIteration")) {
      Json details = EventDetails(e);
      auto it = details.find("index");
      if (it == details.end() || !it->is_number_integer()) continue;
      Iteration& item = iterations[it->get<int64_t>()];
      item.index = it->get<int64_t>();
      if (e.type == "MapIterationStarted") {
        // A redriven iteration starts again: its earlier end no longer counts.
        item.status = "RUNNING";
        item.start = e.timestamp_ms;
        item.stop = 0;
        if (item.first == 0) item.first = e.id;
      } else {
        item.stop = e.timestamp_ms;
        item.status = e.type == "MapIterationSucceeded" ? "SUCCEEDED"
                      : e.type == "MapIterationFailed"  ? "FAILED"
                                                        : "ABORTED";
        if (item.status == "SUCCEEDED") {
          item.error.clear();
          item.cause.clear();
        }
      }
      ++item.events;
      continue;
    }
    if (!e.state_path.starts_with(prefix)) continue;
    // "<map>[<index>]/...": the events of one iteration.
    std::optional<int64_t> body = BodyIndex(e.state_path, prefix, false);
    if (!body) continue;
    const int64_t index = *body;
    Iteration& item = iterations[index];
    item.index = index;
    ++item.events;
    if (item.first == 0) item.first = e.id;
    if (e.type == "FailStateEntered") {
      FailError(root, e.state_path, &item.error, &item.cause);
    } else if (IsFailureEvent(e.type)) {
      ReadError(e, &item.error, &item.cause);
    }
  }
  const bool running = execution.status == store::kRunning;
  std::map<std::string, int64_t> histogram;
  std::vector<const Iteration*> selected;
  for (auto& [index, item] : iterations) {
    if (item.status == "RUNNING" && !running) item.status = "ABORTED";
    ++histogram[item.status];
    if (query.status.empty() || query.status == item.status) selected.push_back(&item);
  }
  auto duration = [](const Iteration* i) { return i->stop > 0 ? i->stop - i->start : -1; };
  std::stable_sort(selected.begin(), selected.end(), [&](const Iteration* a, const Iteration* b) {
    if (query.sort == "duration" && duration(a) != duration(b)) {
      return query.descending ? duration(a) > duration(b) : duration(a) < duration(b);
    }
    if (query.sort == "status" && a->status != b->status) {
      return query.descending ? a->status > b->status : a->status < b->status;
    }
    return query.descending && query.sort == "index" ? a->index > b->index : a->index < b->index;
  });
  Json page = Json::array();
  const int64_t offset = std::max<int64_t>(0, query.offset);
  const int64_t limit = std::clamp<int64_t>(query.limit, 1, 1000);
  for (int64_t i = offset; i < static_cast<int64_t>(selected.size()) && i < offset + limit; ++i) {
    const Iteration* item = selected[static_cast<size_t>(i)];
    Json row = {{"index", item->index},
                {"status", item->status},
                {"startMs", item->start},
                {"events", item->events},
                {"firstEventId", item->first}};
    row["stopMs"] = item->stop > 0 ? Json(item->stop) : Json(nullptr);
    row["durationMs"] = item->stop > 0 ? Json(item->stop - item->start) : Json(nullptr);
    row["error"] = item->error.empty() ? Json(nullptr) : Json(item->error);
    row["cause"] = item->error.empty() ? Json(nullptr) : Json(item->cause);
    page.push_back(std::move(row));
  }
  Json counts = Json::object();
  for (const auto& [status, n] : histogram) counts[status] = n;
  Json out = Json::object();
  out["state"] = query.state;
  out["total"] = static_cast<int64_t>(iterations.size());
  out["matching"] = static_cast<int64_t>(selected.size());
  out["histogram"] = std::move(counts);
  out["iterations"] = std::move(page);
  return out;
}

}  // namespace stepflow::console
