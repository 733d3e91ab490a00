// The executor's timer heap: fire order, and cancelled timers leave at once.
#include "engine/runtime/timer_heap.h"

#include <catch2/catch.hpp>
#include <random>
#include <vector>

namespace stepflow::runtime {
namespace {

TEST_CASE("timers fire by time, ties in arming order", "[timers]") {
  TimerHeap h;
  h.Arm(30, "a", 1);
  h.Arm(10, "b", 1);
  h.Arm(20, "a", 2);
  h.Arm(10, "c", 7);
  std::vector<std::string> order;
  while (!h.empty()) {
    TimerHeap::Entry e = h.Pop();
    order.push_back(e.execution_id + std::to_string(e.timer_id) + "@" + std::to_string(e.fire_at_ms));
  }
  CHECK(order == std::vector<std::string>{"b1@10", "c7@10", "a2@20", "a1@30"});
}

TEST_CASE("cancelled timers and those of an ended execution leave the heap at once", "[timers]") {
  TimerHeap h;
  std::mt19937 rng(7);
  for (int i = 0; i < 1000; ++i) h.Arm(static_cast<int64_t>(rng() % 5000), "x" + std::to_string(i % 10), i);
  CHECK(h.size() == 1000);
  for (int i = 0; i < 1000; i += 2) CHECK(h.Remove("x" + std::to_string(i % 10), i));
  CHECK_FALSE(h.Remove("x0", 0));
  CHECK(h.size() == 500);
  CHECK(h.RemoveExecution("x1") == 100);
  CHECK(h.RemoveExecution("x1") == 0);
  CHECK(h.size() == 400);
  h.Arm(1, "x3", 3);  // re-arming moves the timer, it is not added twice
  CHECK(h.size() == 400);
  int64_t last = -1;
  size_t popped = 0;
  while (!h.empty()) {
    TimerHeap::Entry e = h.Pop();
    CHECK(e.fire_at_ms >= last);
    CHECK(e.timer_id % 2 == 1);
    CHECK(e.execution_id != "x1");
    last = e.fire_at_ms;
    ++popped;
  }
  CHECK(popped == 400);
}

}  // namespace
}  // namespace stepflow::runtime
