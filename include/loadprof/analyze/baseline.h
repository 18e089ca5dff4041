// Baselines: the JSON file performance teams keep per endpoint or scenario
// step — name, slo_p95_ms, current_p95_ms, current_p99_ms, throughput_rps,
// last_tested, status, bottleneck (docs/CI.md) — compared with a bench
// capture's figures, and written back with them (`check --update`).
// A p95 above its SLO fails; a p95/p99 above the baseline's by more than the
// threshold fails when it is also beyond noise: the lower end of the 95 %
// binomial (order-statistic) interval on the new percentile is above the
// baseline's figure (within-run noise); with two or more runs kept in the
// entry's `recent_runs` (`--update` keeps the last kBaselineRecentRuns that
// passed) the new figure must also be above median + 3 x 1.4826 x MAD of
// theirs (between-run noise); and on a shared machine (other processes took
// >= kSharedMachineOtherPct of the target's CPUs) only when the target's CPU
// per request grew beyond max(threshold, kMinCostChangePct) over the recent
// runs' median.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loadprof/analyze/check.h"
#include "loadprof/analyze/request_diff.h"
#include "loadprof/stats/quantile_ci.h"
#include "loadprof/util/result.h"

namespace loadprof::analyze {

// One entry's figures from the capture (latency in ms, CO-corrected).
struct EntryFigures {
  std::string name;  // the URL's path, or the scenario step's name
  uint64_t requests = 0;
  double error_rate_pct = 0;
  double throughput_rps = 0;
  double p50_ms = 0, p95_ms = 0, p99_ms = 0;  // the histogram's, as `load` reports them
  stats::QuantileCi p95_ci, p99_ci;           // 95 % intervals from the exact latencies
  // The target's CPU time per request (ServiceCost): set by the caller for a
  // URL's single entry; none for a scenario's steps (they share the CPU).
  std::optional<double> cpu_ms_per_request;
};

// Runs of an entry kept in the file (`recent_runs`) for its between-run noise.
inline constexpr size_t kBaselineRecentRuns = 5;

// One entry per scenario step that has requests (when the capture names its
// steps), else one for the URL's path.
std::vector<EntryFigures> entry_figures(const LoadLog& log);

struct PercentileComparison {
  std::optional<double> baseline_ms;  // current_pNN_ms in the file
  double change_pct = 0;              // new vs baseline
  bool beyond_threshold = false;
  bool beyond_noise = false;  // the interval's low end is above the baseline
  // Between runs: median + 3 x 1.4826 x MAD of the recent runs' figures (none
  // with fewer than two); beyond_runs is true without it.
  std::optional<double> runs_noise_top_ms;
  bool beyond_runs = true;
  // Beyond all three on a shared machine without the CPU per request growing:
  // not counted (EntryVerdict::held_back_why says why).
  bool held_back = false;
  bool regressed() const { return beyond_threshold && beyond_noise && beyond_runs && !held_back; }
};

struct EntryVerdict {
  EntryFigures figures;
  bool in_baseline = false;
  std::optional<double> slo_p95_ms;
  bool slo_broken = false;
  PercentileComparison p95, p99;
  bool ok = true;
  std::vector<std::string> reasons;  // why it fails, one line each
  size_t recent_runs = 0;            // in the file before this one
  std::string held_back_why;         // a regression not counted, and why
};

struct BaselineCheck {
  std::vector<EntryVerdict> entries;
  std::vector<std::string> not_in_capture;  // baseline entries this capture has no requests for
  bool ok = true;
  std::optional<double> other_pct;  // this run's machine (ServiceCost::other_pct)
};

// `baseline_json` empty: no file yet (every entry is new). Corrupt input error
// naming `path` when the text is not a baseline.
Result<BaselineCheck> compare_baseline(std::string_view baseline_json, const std::string& path,
                                       const std::vector<EntryFigures>& figures, double threshold_pct,
                                       std::optional<double> other_pct = std::nullopt);

// The file with every entry of the capture written back: figures, last_tested
// (`date_iso`, YYYY-MM-DD) and status (pass|fail). An entry that fails keeps
// its current_* figures (a regression must not become the next bar) and its
// recent_runs; an entry that passes has this run appended to recent_runs
// (p50/p95/p99, CPU per request, other_pct, date; the last
// kBaselineRecentRuns kept); new
// entries are appended; other entries and unknown keys stay as they were.
// `bottleneck` (when not empty) fills the bottleneck of entries that have
// none; one the team wrote is never replaced.
Result<std::string> updated_baseline(std::string_view baseline_json, const std::string& path,
                                     const BaselineCheck& check, const std::string& date_iso,
                                     const std::string& bottleneck = {});

}  // namespace loadprof::analyze
