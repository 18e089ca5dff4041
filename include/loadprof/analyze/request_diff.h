// `diff` of two bench captures' request logs: latency percentiles overall and
// per stage, with 95 % confidence intervals of their change, and throughput.
//
// Definitions (docs/DIFF.md says the same for users):
//  - latency = end - intended start (CO-corrected, as `load` reports it),
//    every measured request (the warmup's are left out), failed ones at the
//    time they failed;
//  - change_pct = (new - base) / base x 100 of a percentile;
//  - its interval: a block bootstrap that resamples whole seconds of each run
//    with replacement (requests of one second share the server's state, so
//    they are not independent draws), B resamples, the percentile of the
//    change taken at alpha/(2m) and 1 - alpha/(2m), m = the percentiles
//    compared (Bonferroni); significant when the interval excludes 0;
//  - regression: the whole interval above +threshold (grew by more than the
//    threshold with 95 % confidence) and its low end at least
//    kMinLatencyChangeMs; improvement: the mirror image; the interval is
//    within-run, so between-run noise is not in it: on a shared machine
//    (LatencyGate) a latency change counts only when the service's CPU per
//    request changed beyond the threshold too (docs/DIFF.md, measured);
//  - throughput: requests per second of the measured span; significant by
//    Welch's t-test on the per-second counts (a drop is a regression when it
//    is beyond the threshold).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loadprof/analyze/service_cost.h"
#include "loadprof/analyze/verdict.h"
#include "loadprof/capture/model.h"

namespace loadprof::analyze {

struct LatencyChange {
  std::string metric;        // "p50", "p90", "p95", "p99"
  std::optional<int> stage;  // 1-based; none: the whole run
  double base_ms = 0;
  double new_ms = 0;
  double change_pct = 0;
  double ci95_low_pct = 0;
  double ci95_high_pct = 0;
  bool significant = false;
  Verdict verdict = Verdict::no_change;
  // A regression or improvement by the rules above that the gate did not
  // count (LatencyGate says why): its verdict is no_change.
  bool held_back = false;
};

// A change of latency smaller than this (at its interval's near end) is the
// scheduler's noise, not the build's: on a busy 2-CPU machine the same build's
// p50 moved by 0.03-0.17 ms between runs seconds apart (docs/DIFF.md).
inline constexpr double kMinLatencyChangeMs = 0.2;
// Other processes taking this share of the target's CPUs (either run) make
// the machine shared: latency there moves between runs by far more than the
// within-run interval (same build p50 0.62 -> 6.77 ms at 90-96 %, measured).
inline constexpr double kSharedMachineOtherPct = 20;

// Whether latency's verdicts count, and the figures that decided it: on a
// shared machine a latency change counts only when the service's own CPU per
// request changed the same way (its whole interval beyond max(threshold,
// kMinCostChangePct)).
// Throughput is judged as before.
struct LatencyGate {
  std::optional<double> base_other_pct, new_other_pct;  // ServiceCost::other_pct
  bool shared_machine = false;
  std::optional<CostChange> cost;  // CPU ms per request; none without /proc readings
  // The cost's own verdict, on any machine: regression when its whole 95 %
  // interval is above +max(threshold, kMinCostChangePct) (each request made the service work more:
  // a uniform slowdown the stack shares cannot see), improvement the mirror.
  Verdict cost_verdict = Verdict::no_change;
  // On a machine of its own both count; on a shared one a regression counts
  // when the cost's whole interval is above +max(threshold,
  // kMinCostChangePct), an improvement when below its negative.
  bool regressions_count = true;
  bool improvements_count = true;
  std::string why;  // on a shared machine: the figures that decided
};

struct ThroughputChange {
  double base_rps = 0;
  double new_rps = 0;
  double change_pct = 0;
  double p_value = 1;
  bool significant = false;
  Verdict verdict = Verdict::no_change;
};

// Where one run's load started: on its capture's monotonic clock (which
// another machine's does not share) and, through the capture's clock pairs
// (MONOTONIC<->REALTIME), on the wall clock. Per-second figures are counted
// from this start on each side, so two machines' runs line up second by second.
struct RunClock {
  uint64_t load_start_ns = 0;                     // monotonic: the warmup's end (bench), else the first send
  std::optional<int64_t> load_start_realtime_ns;  // none without a clock pair
  size_t seconds = 0;                             // seconds of the load with requests ending in them
};

// Second `second` of both loads (each from its own load start): requests
// that ended in it and their p99 (0 when none).
struct AlignedSecond {
  uint64_t second = 0;
  uint64_t base_requests = 0;
  uint64_t new_requests = 0;
  double base_p99_ms = 0;
  double new_p99_ms = 0;
};

struct RequestDiff {
  uint64_t base_requests = 0;
  uint64_t new_requests = 0;
  size_t resamples = 0;
  size_t comparisons = 0;  // m
  std::vector<LatencyChange> latency;
  ThroughputChange throughput;
  std::string stages_note;  // why stages were not compared, when they were not
  RunClock base_clock, new_clock;
  LatencyGate gate;
  std::vector<AlignedSecond> timeline;  // the longer run's seconds
  Verdict verdict = Verdict::no_change;
};

// Absent (with why in `note`) when either capture has no measured requests.
std::optional<RequestDiff> diff_requests(const capture::Capture& base, const capture::Capture& next,
                                         double threshold_pct, double alpha, std::string& note,
                                         size_t resamples = 2000, uint64_t seed = 1);

}  // namespace loadprof::analyze
