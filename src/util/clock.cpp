// CLOCK_MONOTONIC / CLOCK_REALTIME readings.
#include "loadprof/util/clock.h"

#include <time.h>

namespace loadprof {
namespace {
uint64_t read_clock(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}
}  // namespace

uint64_t monotonic_ns() { return read_clock(CLOCK_MONOTONIC); }
uint64_t realtime_ns() { return read_clock(CLOCK_REALTIME); }
uint64_t thread_cpu_ns() { return read_clock(CLOCK_THREAD_CPUTIME_ID); }
uint64_t process_cpu_ns() { return read_clock(CLOCK_PROCESS_CPUTIME_ID); }

ClockPair clock_pair_now() {
  // Keep the tightest of a few brackets so a preemption between reads does not skew the pair.
  ClockPair best{};
  uint64_t best_width = UINT64_MAX;
  for (int i = 0; i < 5; ++i) {
    uint64_t m0 = monotonic_ns();
    uint64_t r = realtime_ns();
    uint64_t m1 = monotonic_ns();
    if (m1 - m0 < best_width) {
      best_width = m1 - m0;
      best = {m0 + (m1 - m0) / 2, r};
    }
  }
  return best;
}

}  // namespace loadprof
