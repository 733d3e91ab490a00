// A minimal timing helper for stepflow's benchmark programs: runs a body
// repeatedly and reports the median time per operation over several rounds.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace stepflow::bench {

// Keeps the optimiser from deleting work whose result is unused.
template <typename T>
inline void DoNotOptimize(const T& value) {
  asm volatile("" : : "r,m"(value) : "memory");
}

// Runs `body` `iterations` times per round, `rounds` rounds; returns the
// median nanoseconds per iteration.
inline double MedianNanos(int rounds, int iterations, const std::function<void()>& body) {
  std::vector<double> per_op;
  for (int r = 0; r < rounds; ++r) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < iterations; ++i) body();
    auto end = std::chrono::steady_clock::now();
    per_op.push_back(std::chrono::duration<double, std::nano>(end - start).count() / iterations);
  }
  std::sort(per_op.begin(), per_op.end());
  return per_op[per_op.size() / 2];
}

inline void Report(const std::string& name, double nanos, const std::string& target) {
  if (nanos >= 1e6) {
    std::printf("%-58s %10.2f ms/op   (target %s)\n", name.c_str(), nanos / 1e6, target.c_str());
  } else if (nanos >= 1e3) {
    std::printf("%-58s %10.2f us/op   (target %s)\n", name.c_str(), nanos / 1e3, target.c_str());
  } else {
    std::printf("%-58s %10.1f ns/op   (target %s)\n", name.c_str(), nanos, target.c_str());
  }
}

}  // namespace stepflow::bench
