// The checkpoint: an Execution's frame tree as MessagePack, stored in the
// executions row with every step (ARCHITECTURE §3: "the current state is
// loaded, not re-derived"). A finished, succeeded execution keeps no
// checkpoint; a failed one keeps it for redrive.
#include <algorithm>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/runtime/execution.h"

namespace stepflow::runtime {

namespace {

// Version 2 may keep a large fan-out's children and input in pieces apart
// from the row (Store::GetCheckpointParts); version 1 never did, and reads
// as version 2 does.
constexpr int kCheckpointVersion = 2;
// Children per checkpoint piece: a step rewrites the pieces holding a child
// that changed (or runs), so a Map step costs O(kChunk), not O(items).
constexpr size_t kChunk = 128;

using Parts = std::vector<std::pair<std::string, std::string>>;

std::string Msgpack(const Json& j) {
  std::vector<uint8_t> bytes = Json::to_msgpack(j);
  return std::string(bytes.begin(), bytes.end());
}

Json EncodeFrame(const Frame& f, Parts* parts);

Json EncodeChild(const Child& c, Parts* parts) {
  Json j = {{"st", static_cast<int>(c.status)}, {"in", c.input}};
  if (!c.output.is_null()) j["out"] = c.output;
  if (c.frame) j["fr"] = EncodeFrame(*c.frame, parts);
  return j;
}

// Whether `f`'s children (and input) go into pieces.
bool Apart(const Frame& f, const Parts* parts) {
  return parts != nullptr && f.fanout && f.fanout->children.size() > kChunk;
}

std::string PartKey(const Frame& f, const std::string& what) {
  return f.prefix + f.current().name + "#" + what;
}

Json EncodeFanout(const Frame& f, Parts* parts) {
  const Fanout& fo = *f.fanout;
  Json j = {{"m", fo.is_map},           {"mc", fo.max_concurrency},
            {"tc", fo.tolerated_count}, {"tp", fo.tolerated_percent},
            {"np", fo.next_pending},    {"r", fo.running},
            {"s", fo.succeeded},        {"f", fo.failed}};
  if (!Apart(f, parts)) {
    Json children = Json::array();
    for (const Child& c : fo.children) children.push_back(EncodeChild(c, parts));
    j["c"] = std::move(children);
    return j;
  }
  const size_t n = fo.children.size(), chunks = (n + kChunk - 1) / kChunk;
  fo.chunk_bytes.resize(chunks);
  fo.chunk_marks.resize(chunks);
  Json keys = Json::array();
  for (size_t k = 0; k < chunks; ++k) {
    const size_t begin = k * kChunk, end = std::min(n, begin + kChunk);
    // A chunk whose children all keep their status (and none runs) is as
    // it was written: no need to encode it again.
    std::string marks;
    bool running = false;
    for (size_t i = begin; i < end; ++i) {
      const Child& c = fo.children[i];
      marks.push_back(static_cast<char>('a' + static_cast<int>(c.status)));
      running = running || c.status == Child::Status::kRunning;
    }
    std::string key = PartKey(f, std::to_string(k));
    keys.push_back(key);
    if (!running && !fo.chunk_bytes[k].empty() && marks == fo.chunk_marks[k]) continue;
    Json chunk = Json::array();
    for (size_t i = begin; i < end; ++i) chunk.push_back(EncodeChild(fo.children[i], parts));
    std::string bytes = Msgpack(chunk);
    if (bytes != fo.chunk_bytes[k]) {
      parts->emplace_back(std::move(key), bytes);
      fo.chunk_bytes[k] = std::move(bytes);
    }
    fo.chunk_marks[k] = std::move(marks);
  }
  j["cc"] = std::move(keys);
  return j;
}

Json EncodeFrame(const Frame& f, Parts* parts) {
  Json j = {{"s", f.state},
            {"p", static_cast<int>(f.phase)},
            {"st", static_cast<int>(f.status)},
            {"e", f.entered_ms},
            {"rc", f.retry_counts},
            {"r", f.retry_count},
            {"l", f.last_event_id}};
  if (Apart(f, parts)) {
    // The input of a Map or Parallel state does not change while its
    // children run: written once.
    std::string key = PartKey(f, "in");
    if (!f.fanout->input_written) {
      parts->emplace_back(key, Msgpack(f.input));
      f.fanout->input_written = true;
    }
    j["inp"] = std::move(key);
  } else {
    j["in"] = f.input;
  }
  if (!f.vars.is_null()) j["v"] = f.vars;
  if (!f.task_version.empty()) j["pin"] = {f.pinned_state, f.pinned_function, f.task_version};
  if (f.phase == Phase::kTask) {
    j["t"] = {{"id", f.task_id},          {"fn", f.task_function},
              {"in", f.task_input},       {"rt", f.task_resource_type},
              {"rs", f.task_resource},    {"to", f.task_timeout_ms},
              {"wp", f.task_wrap_payload}};

    if (f.task_kind != TaskKind::kCall) {
      Json& t = j["t"];
      t["k"] = static_cast<int>(f.task_kind);
      if (!f.task_activity.empty()) t["a"] = f.task_activity;
      t["hb"] = f.task_heartbeat_ms;
      t["tt"] = {f.task_timeout_timer, f.task_timeout_fire_ms};
      t["ht"] = {f.heartbeat_timer, f.heartbeat_fire_ms};
    }
  }
  if (f.phase == Phase::kWait || f.phase == Phase::kRetry) {
    j["ti"] = f.timer_id;
    j["fa"] = f.fire_at_ms;
    if (!f.wait_output.is_null()) j["wo"] = f.wait_output;
  }
  if (f.fanout) j["fo"] = EncodeFanout(f, parts);
  if (!f.error.empty()) j["err"] = f.error;
  if (f.cause) j["cause"] = *f.cause;
  return j;
}

// The nesting depth of a MessagePack document, without building it (the
// library's reader recurses once per level, so a corrupt blob must not
// reach it unchecked). Returns -1 for a truncated or malformed document.
int MsgpackDepth(std::string_view b, int limit) {
  std::vector<uint64_t> remaining;  // elements left in each open container
  size_t i = 0;
  int deepest = 0;
  auto read_be = [&](size_t n, uint64_t* out) {
    if (i + n > b.size()) return false;
    uint64_t v = 0;
    for (size_t k = 0; k < n; ++k) v = (v << 8) | static_cast<unsigned char>(b[i + k]);
    i += n;
    *out = v;
    return true;
  };
  uint64_t values = 1;  // top-level values still to read
  while (values > 0 || !remaining.empty()) {
    if (i >= b.size()) return -1;
    const unsigned char t = static_cast<unsigned char>(b[i++]);
    uint64_t skip = 0, children = 0, n = 0;
    bool container = false;
    if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3) {
    } else if (t >= 0x80 && t <= 0x8f) {
      container = true, children = 2ull * (t & 0x0f);
    } else if (t >= 0x90 && t <= 0x9f) {
      container = true, children = t & 0x0f;
    } else if (t >= 0xa0 && t <= 0xbf) {
      skip = t & 0x1f;
    } else {
      switch (t) {
        case 0xc4:
        case 0xd9:
          if (!read_be(1, &skip)) return -1;
          break;
        case 0xc5:
        case 0xda:
          if (!read_be(2, &skip)) return -1;
          break;
        case 0xc6:
        case 0xdb:
          if (!read_be(4, &skip)) return -1;
          break;
        case 0xc7:
          if (!read_be(1, &skip)) return -1;
          ++skip;
          break;
        case 0xc8:
          if (!read_be(2, &skip)) return -1;
          ++skip;
          break;
        case 0xc9:
          if (!read_be(4, &skip)) return -1;
          ++skip;
          break;
        case 0xca:
          skip = 4;
          break;
        case 0xcb:
          skip = 8;
          break;
        case 0xcc:
        case 0xd0:
          skip = 1;
          break;
        case 0xcd:
        case 0xd1:
          skip = 2;
          break;
        case 0xce:
        case 0xd2:
          skip = 4;
          break;
        case 0xcf:
        case 0xd3:
          skip = 8;
          break;
        case 0xd4:
          skip = 2;
          break;
        case 0xd5:
          skip = 3;
          break;
        case 0xd6:
          skip = 5;
          break;
        case 0xd7:
          skip = 9;
          break;
        case 0xd8:
          skip = 17;
          break;
        case 0xdc:
          if (!read_be(2, &n)) return -1;
          container = true, children = n;
          break;
        case 0xdd:
          if (!read_be(4, &n)) return -1;
          container = true, children = n;
          break;
        case 0xde:
          if (!read_be(2, &n)) return -1;
          container = true, children = 2 * n;
          break;
        case 0xdf:
          if (!read_be(4, &n)) return -1;
          container = true, children = 2 * n;
          break;
        default:
          return -1;  // 0xc1 is never used
      }
    }
    if (skip > b.size() - i) return -1;
    i += skip;
    // This value is done for its parent.
    if (!remaining.empty())
      --remaining.back();
    else
      --values;
    if (container && children > 0) {
      if (children > b.size()) return -1;  // more elements than bytes
      remaining.push_back(children);
      deepest = std::max(deepest, static_cast<int>(remaining.size()));
      if (deepest > limit) return deepest;
    }
    while (!remaining.empty() && remaining.back() == 0) remaining.pop_back();
  }
  return deepest;
}

Status Corrupt(const std::string& why) {
  return Status(StatusCode::kDataLoss, "the execution's checkpoint is unusable: " + why);
}

}  // namespace

// Decoding needs the graph to place each frame, and private access to the
// Execution to rebuild its indexes.
struct CheckpointCodec {
  using PartIndex = std::unordered_map<std::string_view, const std::string*>;

  // A piece kept apart from the row, decoded.
  static Result<Json> Part(const PartIndex& parts, const Json& key) {
    auto it = parts.find(key.get_ref<const std::string&>());
    if (it == parts.end()) return Corrupt("piece " + DumpCompact(key) + " is missing");
    constexpr int kMaxDepth = 1024;
    int depth = MsgpackDepth(*it->second, kMaxDepth);
    if (depth < 0 || depth > kMaxDepth) return Corrupt("piece " + DumpCompact(key) + " is malformed");
    return Json::from_msgpack(*it->second);
  }

  static Status DecodeFrame(const Json& j, const graph::Graph* g, Frame* parent, size_t index,
                            std::string prefix, Frame* f, Execution* x, const PartIndex& parts) {
    f->graph = g;
    f->parent = parent;
    f->child_index = index;
    f->prefix = std::move(prefix);
    f->state = j.at("s").get<int>();
    if (f->state < 0 || static_cast<size_t>(f->state) >= g->states().size()) {
      return Corrupt("state index out of range");
    }
    const int phase = j.at("p").get<int>(), status = j.at("st").get<int>();
    if (phase < 0 || phase > static_cast<int>(Phase::kDone)) return Corrupt("unknown phase");
    if (status < 0 || status > static_cast<int>(FrameStatus::kAborted)) {
      return Corrupt("unknown frame status");
    }
    f->phase = static_cast<Phase>(phase);
    f->status = static_cast<FrameStatus>(status);
    if (auto it = j.find("inp"); it != j.end()) {
      STEPFLOW_ASSIGN_OR_RETURN(f->input, Part(parts, *it));
    } else {
      f->input = j.at("in");
    }
    f->entered_ms = j.at("e").get<int64_t>();
    f->retry_counts = j.at("rc").get<std::vector<int64_t>>();
    f->retry_count = j.at("r").get<int64_t>();
    f->last_event_id = j.at("l").get<int64_t>();
    if (auto it = j.find("v"); it != j.end()) f->vars = *it;
    if (auto it = j.find("pin"); it != j.end()) {
      f->pinned_state = it->at(0).get<int>();
      f->pinned_function = it->at(1).get<std::string>();
      f->task_version = it->at(2).get<std::string>();
    }
    if (auto it = j.find("err"); it != j.end()) f->error = it->get<std::string>();
    if (auto it = j.find("cause"); it != j.end()) f->cause = it->get<std::string>();
    const bool running = f->status == FrameStatus::kRunning;
    if (auto it = j.find("t"); it != j.end()) {
      const Json& t = *it;
      f->task_id = t.at("id").get<int64_t>();
      f->task_function = t.at("fn").get<std::string>();
      f->task_input = t.at("in").get<std::string>();
      f->task_resource_type = t.at("rt").get<std::string>();
      f->task_resource = t.at("rs").get<std::string>();
      f->task_timeout_ms = t.at("to").get<int64_t>();
      f->task_wrap_payload = t.at("wp").get<bool>();

      if (auto k = t.find("k"); k != t.end()) {
        int kind = k->get<int>();
        if (kind < 0 || kind > static_cast<int>(TaskKind::kChild)) {
          throw std::out_of_range("bad task kind");
        }
        f->task_kind = static_cast<TaskKind>(kind);
        if (auto a = t.find("a"); a != t.end()) f->task_activity = a->get<std::string>();
        f->task_heartbeat_ms = t.at("hb").get<int64_t>();
        f->task_timeout_timer = t.at("tt").at(0).get<int64_t>();
        f->task_timeout_fire_ms = t.at("tt").at(1).get<int64_t>();
        f->heartbeat_timer = t.at("ht").at(0).get<int64_t>();
        f->heartbeat_fire_ms = t.at("ht").at(1).get<int64_t>();
      }
      if (running && f->phase == Phase::kTask) {
        x->tasks_[f->task_id] = f;
        if (f->task_timeout_timer != 0) x->timers_[f->task_timeout_timer] = f;
        if (f->heartbeat_timer != 0) x->timers_[f->heartbeat_timer] = f;
      }
    }
    if (auto it = j.find("ti"); it != j.end()) {
      f->timer_id = it->get<int64_t>();
      f->fire_at_ms = j.at("fa").get<int64_t>();
      if (auto wo = j.find("wo"); wo != j.end()) f->wait_output = *wo;
      if (running) x->timers_[f->timer_id] = f;
    }
    if (auto it = j.find("fo"); it != j.end()) {
      const Json& fj = *it;
      const graph::State& s = g->state(f->state);
      if (s.type != graph::StateType::kMap && s.type != graph::StateType::kParallel) {
        return Corrupt("children under a state that is neither Map nor Parallel");
      }
      auto fo = std::make_unique<Fanout>();
      fo->is_map = fj.at("m").get<bool>();
      fo->max_concurrency = fj.at("mc").get<int64_t>();
      fo->tolerated_count = fj.at("tc").get<int64_t>();
      fo->tolerated_percent = fj.at("tp").get<double>();
      fo->next_pending = fj.at("np").get<size_t>();
      fo->running = fj.at("r").get<int64_t>();
      fo->succeeded = fj.at("s").get<int64_t>();
      fo->failed = fj.at("f").get<int64_t>();
      if (fo->is_map != (s.type == graph::StateType::kMap)) return Corrupt("fan-out kind");
      Json gathered;
      if (auto cc = fj.find("cc"); cc != fj.end()) {
        gathered = Json::array();
        for (const Json& key : *cc) {
          STEPFLOW_ASSIGN_OR_RETURN(Json chunk, Part(parts, key));
          for (Json& c : chunk) gathered.push_back(std::move(c));
        }
      }
      const Json& children = gathered.is_array() ? gathered : fj.at("c");
      fo->children.resize(children.size());
      for (size_t i = 0; i < children.size(); ++i) {
        const Json& cj = children[i];
        Child& c = fo->children[i];
        const int child_status = cj.at("st").get<int>();
        if (child_status < 0 || child_status > static_cast<int>(Child::Status::kAborted)) {
          return Corrupt("unknown child status");
        }
        c.status = static_cast<Child::Status>(child_status);
        c.input = cj.at("in");
        if (auto out = cj.find("out"); out != cj.end()) c.output = *out;
        if (auto fr = cj.find("fr"); fr != cj.end()) {
          const graph::Graph* child_graph = nullptr;
          if (fo->is_map) {
            child_graph = s.As<graph::MapSpec>().processor.get();
          } else {
            const auto& branches = s.As<graph::ParallelSpec>().branches;
            if (i >= branches.size()) return Corrupt("branch index out of range");
            child_graph = branches[i].get();
          }
          c.frame = std::make_unique<Frame>();
          STEPFLOW_RETURN_IF_ERROR(DecodeFrame(*fr, child_graph, f, i,
                                               f->prefix + s.name + "[" + std::to_string(i) + "]/",
                                               c.frame.get(), x, parts));
        }
      }
      f->fanout = std::move(fo);
    }
    if (running) {
      if ((f->phase == Phase::kTask && !j.contains("t")) ||
          ((f->phase == Phase::kWait || f->phase == Phase::kRetry) && !j.contains("ti")) ||
          (f->phase == Phase::kChildren && !f->fanout)) {
        return Corrupt("a running frame waits for something it does not record");
      }
    }
    return Status::Ok();
  }
};

store::ExecutionRecord Execution::Snapshot(Parts* parts) const {
  store::ExecutionRecord r = record_;
  if (record_.status == store::kSucceeded) {
    r.state.clear();
    return r;
  }
  Json j = {{"v", kCheckpointVersion},
            {"root", EncodeFrame(root_, parts)},
            {"nt", next_timer_id_},
            {"tf", timeout_fire_ms_}};
  r.state = Msgpack(j);
  return r;
}

Result<std::unique_ptr<Execution>> Execution::Restore(store::ExecutionRecord record,
                                                      std::shared_ptr<const graph::Graph> graph,
                                                      Limits limits, const Parts& parts) {
  std::string state = std::move(record.state);
  std::string status = record.status;
  // The input was checked when the execution started: one that no longer
  // parses was damaged in storage, and running on with {} would lose it.
  if (!record.input.empty() && !Json::accept(record.input)) {
    return Status(StatusCode::kDataLoss, "the execution's stored input is not JSON");
  }
  auto x = std::make_unique<Execution>(std::move(record), std::move(graph), limits);
  x->record_.status = status;
  if (state.empty()) {
    if (status == store::kRunning) return Corrupt("a running execution has no checkpoint");
    return x;
  }
  // Data nests up to kMaxJsonDepth; each level of Parallel/Map adds a few.
  constexpr int kMaxDepth = 1024;
  int depth = MsgpackDepth(state, kMaxDepth);
  if (depth < 0) return Corrupt("truncated or malformed");
  if (depth > kMaxDepth) return Corrupt("nested too deeply");
  try {
    Json j = Json::from_msgpack(state);
    const int version = j.at("v").get<int>();
    if (version < 1 || version > kCheckpointVersion) return Corrupt("unknown checkpoint version");
    CheckpointCodec::PartIndex index;
    for (const auto& [key, data] : parts) index.emplace(key, &data);
    x->next_timer_id_ = j.at("nt").get<int64_t>();
    x->timeout_fire_ms_ = j.at("tf").get<int64_t>();
    STEPFLOW_RETURN_IF_ERROR(CheckpointCodec::DecodeFrame(j.at("root"), x->graph_.get(), nullptr, 0,
                                                          "", &x->root_, x.get(), index));
  } catch (const std::exception& e) {
    return Corrupt(e.what());
  }
  if (status != store::kRunning) {
    x->tasks_.clear();
    x->timers_.clear();
    x->timeout_fire_ms_ = 0;
  }
  return x;
}

}  // namespace stepflow::runtime
