// The alloc probe's rate estimate (uprobe path): what probing every
// allocator call would cost a process, from calls counted before attaching.
#pragma once

#include <cstdint>

namespace loadprof::collect {

// What one uprobe trap costs on the machines this runs on (PLATFORM.md: a
// VM's traps cost 10-20x bare metal's, so the estimate errs high elsewhere).
inline constexpr double kUprobeHitNs = 5600;
inline constexpr double kUretprobeHitNs = 15000;

// The target's allocation rate, counted before attaching (entry uprobes on
// the allocating functions; free is left alone, a free assumed per
// allocation), and what probing every call would cost it: each allocation
// pays an entry and a return trap, its free an entry trap, against the CPU
// time its own work takes.
struct AllocRate {
  uint64_t window_ns = 0;
  uint64_t allocs = 0;          // calls of the allocating functions counted in the window
  uint64_t cpu_ns = 0;          // the process's CPU time in the window (its threads' schedstat)
  double allocs_per_cpu_s = 0;  // per second of its own work (the counting traps taken out)
  double overhead_pct = 0;      // extra CPU time per unit of its work with every call probed
  // The counting traps took nearly all its CPU time: the figures are floors.
  bool saturated = false;
};

// The overhead of probing every call, from what the counting window saw.
AllocRate estimate_alloc_rate(uint64_t window_ns, uint64_t allocs, uint64_t cpu_ns);

}  // namespace loadprof::collect
