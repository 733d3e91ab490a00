// The executor's armed timers: a binary min-heap on fire time that knows
// where each timer sits, so a timer cancelled (a Task answered before its
// timeout, a heartbeat restarted) or belonging to an execution that ended
// leaves at once instead of staying until it reaches the front. The heap
// holds exactly the timers that can still fire.
//
// Timers are keyed by (execution id, timer id); arming a key that is armed
// moves it. Equal fire times fire in the order they were armed.
//
// Thread-safety: none (the executor's loop thread owns it).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace stepflow::runtime {

class TimerHeap {
 public:
  struct Entry {
    int64_t fire_at_ms = 0;
    std::string execution_id;
    int64_t timer_id = 0;
    uint64_t seq = 0;  // arming order, for ties
  };

  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  const Entry& top() const { return heap_.front(); }

  void Arm(int64_t fire_at_ms, const std::string& execution_id, int64_t timer_id) {
    Remove(execution_id, timer_id);
    heap_.push_back(Entry{fire_at_ms, execution_id, timer_id, next_seq_++});
    where_[execution_id][timer_id] = heap_.size() - 1;
    SiftUp(heap_.size() - 1);
  }

  Entry Pop() {
    Entry e = heap_.front();
    EraseAt(0);
    return e;
  }

  // False when the timer was not armed.
  bool Remove(const std::string& execution_id, int64_t timer_id) {
    auto it = where_.find(execution_id);
    if (it == where_.end()) return false;
    auto t = it->second.find(timer_id);
    if (t == it->second.end()) return false;
    EraseAt(t->second);
    return true;
  }

  // Every timer of one execution (it ended, or left memory). Returns how many.
  size_t RemoveExecution(const std::string& execution_id) {
    auto it = where_.find(execution_id);
    if (it == where_.end()) return 0;
    std::vector<int64_t> ids;
    ids.reserve(it->second.size());
    for (const auto& [id, index] : it->second) ids.push_back(id);
    for (int64_t id : ids) Remove(execution_id, id);
    return ids.size();
  }

 private:
  static bool Before(const Entry& a, const Entry& b) {
    return a.fire_at_ms != b.fire_at_ms ? a.fire_at_ms < b.fire_at_ms : a.seq < b.seq;
  }

  void Place(size_t i) { where_[heap_[i].execution_id][heap_[i].timer_id] = i; }

  void SiftUp(size_t i) {
    while (i > 0) {
      size_t parent = (i - 1) / 2;
      if (!Before(heap_[i], heap_[parent])) break;
      std::swap(heap_[i], heap_[parent]);
      Place(i);
      i = parent;
    }
    Place(i);
  }

  void SiftDown(size_t i) {
    for (;;) {
      size_t smallest = i, l = 2 * i + 1, r = l + 1;
      if (l < heap_.size() && Before(heap_[l], heap_[smallest])) smallest = l;
      if (r < heap_.size() && Before(heap_[r], heap_[smallest])) smallest = r;
      if (smallest == i) break;
      std::swap(heap_[i], heap_[smallest]);
      Place(i);
      i = smallest;
    }
    Place(i);
  }

  void EraseAt(size_t i) {
    auto it = where_.find(heap_[i].execution_id);
    it->second.erase(heap_[i].timer_id);
    if (it->second.empty()) where_.erase(it);
    const size_t last = heap_.size() - 1;
    if (i != last) {
      heap_[i] = std::move(heap_[last]);
      heap_.pop_back();
      // The moved entry may belong above or below its new place.
      if (i > 0 && Before(heap_[i], heap_[(i - 1) / 2])) {
        SiftUp(i);
      } else {
        SiftDown(i);
      }
    } else {
      heap_.pop_back();
    }
  }

  std::vector<Entry> heap_;
  std::unordered_map<std::string, std::unordered_map<int64_t, size_t>> where_;
  uint64_t next_seq_ = 0;
};

}  // namespace stepflow::runtime
