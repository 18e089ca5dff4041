// The off-CPU and io kinds of `diff`: every function's share of a weight
// (off-CPU nanoseconds; nanoseconds inside io syscalls; bytes they moved),
// kept per time block for the block-variance test (stats/block_ratio.h).
// Internal to analyze (diff.cpp).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "loadprof/capture/model.h"
#include "loadprof/util/result.h"

namespace loadprof::analyze {

// Blocks of equal time from the kind's first record to its last end; a
// record's weight is spread over the blocks it overlaps (a thread asleep for
// the whole capture weighs the same in every block).
inline constexpr size_t kWeightBlocks = 20;
using WeightBlocks = std::array<double, kWeightBlocks>;

struct WeightShare {
  double weight = 0;
  WeightBlocks blocks{};
};

struct WeightCounts {
  // Stack frames (display names as in the folded output, counted once per
  // stack under recursion): their total share. The leaf tag of the folded
  // output ("[offcpu:lock]", "[io:fsync:file]"): the time by reason or
  // operation, a self share.
  std::map<std::string, WeightShare> total;
  std::map<std::string, WeightShare> tags;
  // Tags whose time is waiting rather than blocking — off-CPU network,
  // sleep, pipe and runqueue waits; io time in calls on sockets, pipes and
  // poll: idle threads wait that way, and how many idled (connections a
  // driver opened, a pool) changes between runs of the same build. Their
  // rows are shown but not judged, and their time is in no function row.
  std::set<std::string> unjudged_tags;
  double weight = 0;            // n: every record's weight
  double without_stack = 0;     // part of n whose record has no stack (only its tag)
  WeightBlocks block_weight{};  // n per block
  // The time the blocks cover (a bench capture's load window, else the first
  // record's start to the last one's end), in all and per block: the
  // denominator of a time kind's rate.
  double span_ns = 0;
  WeightBlocks block_span_ns{};
};

// kind "offcpu" (weight "ns") or "io" (weight "ns" or "bytes"). A bench
// capture's records are cut to the load's measured span (start-up and drain,
// where only idle threads wait, last differently in every run).
// corrupt_input for a record of a stack or frame the capture lacks.
[[nodiscard]] Result<WeightCounts> weight_counts(const capture::Capture& capture, const std::string& kind,
                                                 const std::string& weight);

}  // namespace loadprof::analyze
