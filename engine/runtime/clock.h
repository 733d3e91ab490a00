// Time as the runtime sees it: milliseconds since the Unix epoch from an
// injectable Clock, so tests and `--skip-waits` control it.
//
//   SystemClock    real time.
//   SkippingClock  real time plus an offset that only grows: the executor
//                  jumps it to the next timer when no Task is in flight, so
//                  Wait states and back-offs fire in real-time order without
//                  anybody waiting (`stepflow run --skip-waits`).
//   FakeClock      set by hand (unit tests).
//
// Thread-safety: NowMs may be called from any thread; Advance* from the
// executor's thread only.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace stepflow::runtime {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMs() const = 0;
  // True when the executor may jump time forward (see SkippingClock).
  virtual bool CanSkip() const { return false; }
  // Moves time forward to at least `ms` (no-op for real clocks).
  virtual void AdvanceTo(int64_t /*ms*/) {}
};

inline int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A monotonic clock in milliseconds, for intervals that are not part of an
// execution's time (retrying a held call).
inline int64_t SteadyNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class SystemClock : public Clock {
 public:
  int64_t NowMs() const override { return SystemNowMs(); }
};

class SkippingClock : public Clock {
 public:
  int64_t NowMs() const override { return SystemNowMs() + offset_.load(); }
  bool CanSkip() const override { return true; }
  void AdvanceTo(int64_t ms) override {
    int64_t now = NowMs();
    if (ms > now) offset_ += ms - now;
  }

 private:
  std::atomic<int64_t> offset_{0};
};

class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t start_ms = 1'700'000'000'000) : now_(start_ms) {}
  int64_t NowMs() const override { return now_.load(); }
  bool CanSkip() const override { return true; }
  void AdvanceTo(int64_t ms) override {
    if (ms > now_) now_ = ms;
  }

 private:
  std::atomic<int64_t> now_;
};

// RFC 3339 UTC with milliseconds: "2026-11-23T23:19:03.123Z".
std::string FormatTimestamp(int64_t ms);

}  // namespace stepflow::runtime
