// The one time base: CLOCK_MONOTONIC nanoseconds, shared with bpf_ktime_get_ns,
// perf events opened with use_clockid, and steady_clock in the load driver.
#pragma once

#include <cstdint>

namespace loadprof {

uint64_t monotonic_ns();
uint64_t realtime_ns();
// CPU time used by the calling thread / the whole process (a system call, not
// the vDSO: for accounting at coarse points, not per event).
uint64_t thread_cpu_ns();
uint64_t process_cpu_ns();

// A MONOTONIC<->REALTIME pair taken as close together as possible (the
// realtime reading is bracketed by two monotonic ones, midpoint kept).
struct ClockPair {
  uint64_t monotonic_ns = 0;
  uint64_t realtime_ns = 0;
};
ClockPair clock_pair_now();

}  // namespace loadprof
