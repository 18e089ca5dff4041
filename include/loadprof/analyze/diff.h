// `diff` of two captures: per stack kind, every function's share of the
// samples (self: it is the leaf; total: it is in the stack) in BASE against
// NEW, with a two-proportion test so sampling noise is not called a change.
//
// Definitions (docs/DIFF.md says the same for users):
//  - share_pct = samples with the function / samples of the kind that have a
//    stack x 100 (samples without one are counted apart);
//  - change_pct = (new_pct - base_pct) / base_pct x 100: the threshold is
//    relative (5 % means a 20 % share must reach 21 %); a function absent
//    from BASE has no change_pct and passes any threshold;
//  - the test's variance is binomial times each side's dispersion: how much
//    the share varied between 10 time blocks of its capture beyond what
//    independent samples would give (Pearson X^2 / df, at least 1);
//  - significant: the two-sided p-value of the pooled two-proportion z-test
//    is below alpha / m (Bonferroni), m = the number of (function, self|total)
//    shares compared, so testing many functions does not multiply false
//    alarms;
//  - regression: significant, grew, and change_pct > threshold_pct;
//    improvement: significant, shrank, and -change_pct > threshold_pct;
//  - the kernel frames of an interrupt taken in user code (timer ticks,
//    rescheduling IPIs, device interrupts: the machine's noise, not the
//    code's) are left out unless keep_interrupts: the sample counts for the
//    interrupted function.
// The off-CPU and io kinds compare weights instead (off-CPU ns by reason and
// by stack; ns inside io syscalls and the bytes they moved, by operation and
// by stack): time as a rate, % of the window's wall time (100 = one thread
// all the time; a bench capture's window is the load's measured span), bytes
// as a share of all bytes. No binomial there: each side's variance comes from
// 20 time blocks and the test is Student's t (stats/block_ratio.h); the
// significance and regression rules are the same.
// The verdict is regression when any share is one, else improvement when
// any is one, else no_change. Shares, not times: without request counts a
// CPU-only capture has no work unit to divide by, so a function that got
// faster raises the share of every other one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loadprof/analyze/request_diff.h"
#include "loadprof/analyze/verdict.h"
#include "loadprof/capture/model.h"
#include "loadprof/util/result.h"

namespace loadprof::analyze {

// An off-CPU or io time row changes by at least this many points of the
// wall time (1 = 10 ms of waiting per second) at its interval's near end to be
// a regression or improvement: the same build's io writes moved 0.42 -> 0.63
// % of the wall time between runs (interval +0.11..+0.30 points), the disk's
// other writers, not the build (DiffIoE2E, busy machine).
inline constexpr double kMinTimeChangePoints = 1.0;

struct DiffOptions {
  double threshold_pct = 5;  // relative change of a share, see above
  double alpha = 0.05;       // family-wise, before the Bonferroni split
  // cpu, offcpu, io; empty: each of them that both captures hold.
  std::vector<std::string> kinds;
  size_t top_unchanged = 20;  // besides every significant share, this many more by |delta|
  // False: the kernel frames of an interrupt taken in user code are left out
  // (the sample counts for the interrupted function); see diff.cpp.
  bool keep_interrupts = false;
};

struct ShareChange {
  std::string frame;  // display name, as in the folded output
  std::string kind;   // "cpu", "offcpu", "io"
  bool self = false;  // self share (leaf) or total share (anywhere in the stack)
  // What the shares are of: "samples" (cpu), "ns" (offcpu, io: base_pct and
  // new_pct are then % of the window's wall time, over 100 when threads wait
  // together), "bytes" (io); base_samples/new_samples then hold ns or bytes.
  std::string weight = "samples";
  uint64_t base_samples = 0;
  uint64_t new_samples = 0;
  double base_pct = 0;
  double new_pct = 0;
  double delta_pct_points = 0;
  std::optional<double> change_pct;  // relative; none when base_pct is 0
  // Each side's variance between time blocks against a binomial's (>= 1),
  // scaling its variance in the test: samples taken in bursts or in step
  // with a periodic workload are not independent draws.
  double base_dispersion = 1;
  double new_dispersion = 1;
  double z = 0;  // t for ns and bytes (Student's, df below)
  double df =
      0;  // ns and bytes: Welch-Satterthwaite degrees of freedom of the block variances; 0 for samples
  double p_value = 1;
  double ci95_low_points = 0;  // 95 % interval of delta_pct_points
  double ci95_high_points = 0;
  bool significant = false;
  Verdict verdict = Verdict::no_change;
  // False for a waiting reason or operation of offcpu/io (weight_shares.h):
  // shown, its verdict always no_change.
  bool judged = true;
};

struct KindDiff {
  std::string kind;
  std::string weight = "samples";  // as ShareChange::weight: the counts below are ns or bytes then
  uint64_t base_samples = 0;       // n of each side: samples with a stack
  uint64_t new_samples = 0;
  uint64_t base_without_stack = 0;  // left out of n (counted, never silently)
  uint64_t new_without_stack = 0;
  // Samples whose interrupt frames were left out (0 with keep_interrupts).
  uint64_t base_interrupt_samples = 0;
  uint64_t new_interrupt_samples = 0;
  size_t comparisons = 0;     // m
  double alpha_per_test = 0;  // alpha / m
  Verdict verdict = Verdict::no_change;
  // Regressions (largest delta first), then improvements, then the other
  // significant and the largest unchanged by |delta|.
  std::vector<ShareChange> changes;
};

// "cpu", "offcpu", "io", or "io_bytes" for io's bytes: the key of a kind in
// diff.json's "samples" and the name of its differential flame graph.
inline std::string diff_kind_label(const KindDiff& k) {
  return k.weight == "bytes" ? k.kind + "_bytes" : k.kind;
}

struct DiffResult {
  Verdict verdict = Verdict::no_change;
  double threshold_pct = 0;
  double alpha = 0;
  std::vector<KindDiff> kinds;
  // Request-log figures (latency, throughput): absent when either capture
  // holds no requests; why, for the report.
  bool has_requests = false;
  std::string requests_note;
  std::optional<RequestDiff> requests;
  // Kinds left out because neither capture holds samples of them while both
  // hold request logs (load-only data): said in the report.
  std::vector<std::string> kinds_skipped;
};

// The options alone, before any capture is read: not_available for a kind of
// SPEC.md other than cpu, offcpu and io, usage for an unknown kind or a
// negative threshold.
[[nodiscard]] Result<void> check_diff_options(const DiffOptions& options);

// Errors: check_diff_options'; usage for a kind asked for that a capture holds
// no samples or time of (naming which: "base"/"new");
// corrupt_input for a sample or stack referring to what the capture lacks.
[[nodiscard]] Result<DiffResult> diff_captures(const capture::Capture& base, const capture::Capture& next,
                                               const DiffOptions& options);

}  // namespace loadprof::analyze
