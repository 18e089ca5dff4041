// The alloc probe's figures (SPEC's "alloc" key and the leak section):
// allocation totals (every call, counted in BPF) and the recorded sample's
// bytes and calls by stack, the bytes still live at the end by stack, tracked
// live bytes over time, and leak suspects: stacks whose live bytes grow
// steadily over the capture (least-squares slope with its R^2, the growth
// continuing in the second half), apart from a working set that levels off.
// Allocations made before the capture are never live here (their frees are
// counted, not subtracted).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loadprof/analyze/mmap_summary.h"
#include "loadprof/capture/model.h"

namespace loadprof::analyze {

inline constexpr size_t kAllocStackFrames = 32;

struct AllocStackStat {
  uint32_t pid = 0;
  capture::StackId stack = capture::kNoStack;
  std::string frame;                // the allocating function: the stack's leaf (the allocator's caller)
  std::vector<std::string> frames;  // the stack, leaf first (at most kAllocStackFrames)
  uint64_t bytes = 0;               // allocated (estimated under sampling)
  double count = 0;                 // allocations (estimated under sampling)
  uint64_t live_bytes = 0;          // still live at the end (estimated)
  bool truncated = false;           // the stack's unwinding stopped early (FP-less code)
};

struct LeakSuspect {
  uint32_t pid = 0;
  capture::StackId stack = capture::kNoStack;
  std::string frame;
  std::vector<std::string> frames;  // leaf first
  double growth_bytes_per_s = 0;    // least-squares slope of the stack's live bytes
  double r2 = 0;                    // how steady: 1 = a straight line
  uint64_t live_bytes_end = 0;
  uint64_t allocated_bytes = 0;
  std::string confidence;  // "high" (R^2 >= 0.9) or "medium"
  std::string recommendation;
};

struct AllocPoint {
  double t_s = 0;           // from the capture start
  uint64_t live_bytes = 0;  // tracked live bytes (estimated)
  uint64_t rss_bytes = 0;   // the targets' RSS at the closest reading before (0: none)
};

struct AllocSummary {
  std::string method;  // "uprobes", "preload"
  std::string allocator;
  uint64_t sample_period_bytes = 0;
  uint64_t allocations = 0;      // every call (BPF counter)
  uint64_t allocated_bytes = 0;  // every call's bytes (BPF counter)
  uint64_t recorded = 0;         // allocations recorded
  uint64_t frees_unknown = 0;    // frees of addresses allocated before the capture (or not sampled)
  uint64_t live_bytes_end = 0;   // tracked, estimated
  uint64_t rss_bytes_start = 0;
  uint64_t rss_bytes_end = 0;
  uint64_t truncated_stacks = 0;       // recorded allocations whose stack stopped early
  std::vector<AllocStackStat> stacks;  // by bytes, descending
  std::vector<AllocPoint> timeline;    // live bytes about 4 times a second
  std::vector<LeakSuspect> leaks;      // by growth, descending
  std::optional<MmapSummary> mmap;     // the mmap probe (on with alloc): mmap/munmap/brk by stack
};

// nullopt when the capture holds no alloc probe data.
std::optional<AllocSummary> summarize_alloc(const capture::Capture& capture, double start_s_offset = 0);

// The leak suspects alone (for the bottleneck classifier), by growth descending.
std::vector<LeakSuspect> leak_suspects(const capture::Capture& capture);

}  // namespace loadprof::analyze
