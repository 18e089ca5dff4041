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
// period `period_bytes` (0: none): each allocation was recorded with
// probability min(1, size / period), so it counts 1 / that probability.
uint64_t alloc_estimated_bytes(uint64_t size, uint64_t period_bytes);
double alloc_estimated_count(uint64_t size, uint64_t period_bytes);

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
