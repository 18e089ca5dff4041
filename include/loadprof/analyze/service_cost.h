// What one bench run cost the service, and how much of its CPUs other
// processes took: the figures `diff` uses to tell a slower build from a busier
// machine (docs/DIFF.md, "Latency on a shared machine").
//  - cost: the target's CPU time per measured request (/proc utime + stime of
//    the target processes, ResourceSample) over the load's measured span, kept
//    per /proc reading (about a second) with the requests that ended in it:
//    the blocks of a bootstrap;
//  - other_pct: of the cpu-clock samples on the CPUs where the target ran
//    (CpuAccounting rows with target samples, in the measured span), the share
//    other processes took (loadprof itself not counted).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "loadprof/capture/model.h"

namespace loadprof::analyze {

// A change of the CPU per request counts only beyond this (at its interval's
// near end), whatever the threshold: the same build's moved +18 % (interval
// +9 .. +30 %) between a run on a busy machine and one on a quiet one (/proc
// counts 10 ms ticks, and a CPU's speed depends on what else runs); twice the
// work moved it +64 .. +89 % (docs/benchmarks/gate.md).
inline constexpr double kMinCostChangePct = 20;

struct CostBlock {
  double cpu_ns = 0;      // the target's CPU time in one /proc reading's interval
  uint64_t requests = 0;  // measured requests that ended in it
};

struct ServiceCost {
  std::vector<CostBlock> blocks;      // empty: the capture has no target readings in the span
  std::optional<double> other_pct;    // none: no CPU accounting with target samples in the span
  double cpu_ms_per_request() const;  // over all blocks; 0 without requests
};

// A bench capture's (load run and request log); empty figures otherwise.
ServiceCost service_cost(const capture::Capture& capture);

struct CostChange {
  double base_ms = 0;  // CPU ms per request
  double new_ms = 0;
  double change_pct = 0;
  double ci95_low_pct = 0;  // block bootstrap over the readings, B resamples
  double ci95_high_pct = 0;
};

// None when either side has fewer than 2 blocks with requests.
std::optional<CostChange> compare_cost(const ServiceCost& base, const ServiceCost& next, size_t resamples,
                                       uint64_t seed);

}  // namespace loadprof::analyze
