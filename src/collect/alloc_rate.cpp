// The cost of probing every allocator call (alloc_rate.h).
#include "alloc_rate.h"

#include <algorithm>

namespace loadprof::collect {

AllocRate estimate_alloc_rate(uint64_t window_ns, uint64_t allocs, uint64_t cpu_ns) {
  AllocRate r;
  r.window_ns = window_ns;
  r.allocs = allocs;
  r.cpu_ns = cpu_ns;
  if (cpu_ns == 0) return r;
  const double cpu = static_cast<double>(cpu_ns);
  const double a = static_cast<double>(allocs);
  // The counting traps ran on the target's threads: its own work is the rest
  // (at least 1 % of it, when the traps took nearly all: the figures are then
  // a floor).
  r.saturated = cpu - a * kUprobeHitNs < 0.01 * cpu;
  const double work_ns = std::max(cpu - a * kUprobeHitNs, 0.01 * cpu);
  r.allocs_per_cpu_s = a / work_ns * 1e9;
  // Every allocation pays an entry and a return trap, and its free an entry trap.
  r.overhead_pct = 100.0 * a * (2 * kUprobeHitNs + kUretprobeHitNs) / work_ns;
  return r;
}

}  // namespace loadprof::collect
