// The compiled form of a state machine: an immutable Graph of states indexed
// by position, with transitions resolved to indices, paths, templates,
// intrinsics, Choice rules and JSONata expressions pre-parsed, and Parallel
// branches / Map item processors as sub-graphs.
//
// A Graph is built by graph::Compile (compiler.h) from a validated
// definition and never changes afterwards; executions share it through a
// shared_ptr<const Graph>. Thread-safety: immutable, safe to share.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "engine/common/json_util.h"
#include "engine/expr/choice_rule.h"
#include "engine/expr/intrinsics.h"
#include "engine/expr/json_path.h"
#include "engine/expr/jsonata_template.h"
#include "engine/expr/payload_template.h"
#include "engine/expr/pipeline.h"
#include "engine/expr/timestamp.h"

namespace stepflow::graph {

inline constexpr int kNoState = -1;

enum class StateType { kTask, kParallel, kMap, kPass, kWait, kChoice, kSucceed, kFail };
enum class QueryLanguage { kJsonPath, kJsonata };

std::string_view StateTypeName(StateType type);  // "Task", "Pass", ...

// A JSONata field, compiled (expressions parsed); nullopt = absent.
using JsonataField = std::optional<expr::JsonataTemplate>;

// A value that is either a literal or read from a reference path at run
// time (TimeoutSeconds / TimeoutSecondsPath and friends), or in a JSONata
// state a {% %} expression.
template <typename T>
struct Dynamic {
  std::optional<T> value;
  std::optional<expr::Path> path;
  JsonataField jsonata;
  bool present() const { return value || path || jsonata; }
};

// ErrorPath / CausePath: a reference path or an intrinsic.
struct PathOrIntrinsic {
  std::optional<expr::Path> path;
  std::shared_ptr<const expr::IntrinsicCall> call;
};

struct Retrier {
  std::vector<std::string> error_equals;
  int64_t interval_seconds = 1;
  int64_t max_attempts = 3;
  double backoff_rate = 2.0;
  std::optional<int64_t> max_delay_seconds;
  bool jitter_full = false;  // JitterStrategy FULL
};

struct Catcher {
  std::vector<std::string> error_equals;
  int next = kNoState;
  expr::PathField result_path;                  // JSONPath
  std::optional<expr::PayloadTemplate> assign;  // JSONPath Assign
  JsonataField jsonata_assign;                  // "Catch[i]/Assign"
  JsonataField jsonata_output;                  // "Catch[i]/Output"
};

struct ChoiceBranch {
  std::optional<expr::ChoiceRule> rule;  // JSONPath rules
  JsonataField condition;                // JSONata Condition: true, false or an expression
  int next = kNoState;
  std::optional<expr::PayloadTemplate> assign;
  JsonataField jsonata_assign;
  JsonataField jsonata_output;
  std::string label;  // for drawings: the rule in words, or the Condition's expression
};

class Graph;

struct TaskSpec {
  std::string resource;
  Dynamic<int64_t> timeout_seconds;  // absent = 60 at run time
  Dynamic<int64_t> heartbeat_seconds;
  Json credentials;  // null = none
  JsonataField jsonata_arguments;
};

struct PassSpec {
  std::optional<Json> result;  // JSONPath Result
};

struct WaitSpec {
  Dynamic<int64_t> seconds;
  Dynamic<expr::Timestamp> timestamp;
};

struct ChoiceSpec {
  std::vector<ChoiceBranch> choices;
  int default_next = kNoState;
};

struct SucceedSpec {};

struct FailSpec {
  std::optional<std::string> error, cause;  // literal strings
  PathOrIntrinsic error_path, cause_path;
  JsonataField jsonata_error, jsonata_cause;  // {% %} Error / Cause
};

struct ParallelSpec {
  std::vector<std::shared_ptr<const Graph>> branches;
  JsonataField jsonata_arguments;
};

struct MapSpec {
  std::shared_ptr<const Graph> processor;
  bool distributed = false;                            // ProcessorConfig.Mode
  std::string execution_type;                          // ProcessorConfig.ExecutionType
  std::optional<expr::Path> items_path;                // JSONPath ItemsPath
  JsonataField jsonata_items;                          // JSONata Items
  std::optional<expr::PayloadTemplate> item_selector;  // ItemSelector or legacy Parameters
  JsonataField jsonata_item_selector;
  Dynamic<int64_t> max_concurrency;  // absent / 0 = unbounded
  Dynamic<double> tolerated_failure_percentage;
  Dynamic<int64_t> tolerated_failure_count;
  Json item_batcher;  // raw; null = none
  std::optional<expr::PayloadTemplate> batch_input;  // JSONPath BatchInput
  JsonataField jsonata_batch_input;
  Json item_reader;    // raw; null = none
  Json result_writer;  // raw; null = none
  std::string label;
};

using StateSpec = std::variant<TaskSpec, ParallelSpec, MapSpec, PassSpec, WaitSpec, ChoiceSpec,
                               SucceedSpec, FailSpec>;

struct State {
  std::string name;
  StateType type = StateType::kPass;
  QueryLanguage language = QueryLanguage::kJsonPath;
  std::string pointer;  // JSON pointer of the state in the definition
  std::string comment;
  bool uses_context = false;  // some field of the state may read $$ / $states.context
  int next = kNoState;  // kNoState with end == true for terminal states
  bool end = false;
  expr::StateIo io;                             // JSONPath pipeline
  std::optional<expr::PayloadTemplate> assign;  // JSONPath Assign
  JsonataField jsonata_assign;                  // JSONata Assign
  JsonataField jsonata_output;                  // JSONata Output
  std::vector<Retrier> retry;
  std::vector<Catcher> catchers;
  StateSpec spec;

  template <typename T>
  const T& As() const {
    return std::get<T>(spec);
  }
};

class Graph {
 public:
  const std::vector<State>& states() const { return states_; }
  const State& state(int index) const { return states_[static_cast<size_t>(index)]; }
  int start() const { return start_; }
  // The index of the state named `name` in this graph (not in sub-graphs),
  // or kNoState.
  int Find(std::string_view name) const;
  QueryLanguage language() const { return language_; }
  std::optional<int64_t> timeout_seconds() const { return timeout_seconds_; }
  const std::string& comment() const { return comment_; }
  // SHA-256 (hex) of the canonical JSON of the whole definition; set on the
  // top-level graph only.
  const std::string& content_hash() const { return content_hash_; }
  // Total number of states, sub-graphs included.
  size_t TotalStates() const;

 private:
  friend class Compiler;
  std::vector<State> states_;
  std::unordered_map<std::string, int> index_;
  int start_ = 0;
  QueryLanguage language_ = QueryLanguage::kJsonPath;
  std::optional<int64_t> timeout_seconds_;
  std::string comment_;
  std::string content_hash_;
};

}  // namespace stepflow::graph
