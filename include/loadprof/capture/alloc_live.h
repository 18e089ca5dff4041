// The alloc probe's records, joined: which recorded allocations are still
// live at a time (no free of theirs seen before it), and what one recorded
// allocation stands for when the probe sampled (bytes and calls, unbiased
// estimates). Shared by the folded export (alloc, alloc-live) and the
// analysis (live bytes over time, leak suspects).
#pragma once

#include <cstdint>
#include <vector>

#include "loadprof/capture/model.h"

namespace loadprof::capture {

// What one recorded allocation of `size` bytes stands for under sampling
// period `period_bytes` (0: none), as 1 / the probability it was recorded:
// min(1, size / period) on the uprobe path; 1 - exp(-size / period) on the
// preload path (poisson: a Poisson process by bytes, mean period).
uint64_t alloc_estimated_bytes(uint64_t size, uint64_t period_bytes, bool poisson = false);
double alloc_estimated_count(uint64_t size, uint64_t period_bytes, bool poisson = false);
// true when the capture's alloc records were sampled by the preload path's Poisson process.
bool alloc_poisson_sampling(const Capture& capture);

// One recorded allocation with the time it was freed (0: not freed in the capture).
struct AllocLifetime {
  const AllocEvent* alloc = nullptr;
  uint64_t free_ns = 0;
};

// Every recorded allocation (in time order) with its free: a free is matched
// to the latest allocation of the same (pid, address) before it. Allocations
// not tracked (live map full) come with free_ns 0 and tracked false.
std::vector<AllocLifetime> alloc_lifetimes(const Capture& capture);

// The sampling period the capture's alloc records were taken with (0: every allocation).
uint64_t alloc_sample_period(const Capture& capture);

}  // namespace loadprof::capture
