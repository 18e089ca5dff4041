// Baselines: the JSON file performance teams keep per endpoint or scenario
// step — name, slo_p95_ms, current_p95_ms, current_p99_ms, throughput_rps,
// last_tested, status, bottleneck (docs/CI.md) — compared with a bench
// capture's figures, and written back with them (`check --update`).
// A p95 above its SLO fails; a p95/p99 above the baseline's by more than the
// threshold fails when it is also beyond noise: the lower end of the 95 %
// binomial (order-statistic) interval on the new percentile is above the
// baseline's figure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loadprof/analyze/check.h"
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
};

// One entry per scenario step that has requests (when the capture names its
// steps), else one for the URL's path.
std::vector<EntryFigures> entry_figures(const LoadLog& log);

struct PercentileComparison {
  std::optional<double> baseline_ms;  // current_pNN_ms in the file
  double change_pct = 0;              // new vs baseline
  bool beyond_threshold = false;
  bool beyond_noise = false;  // the interval's low end is above the baseline
  bool regressed() const { return beyond_threshold && beyond_noise; }
};

struct EntryVerdict {
  EntryFigures figures;
  bool in_baseline = false;
  std::optional<double> slo_p95_ms;
  bool slo_broken = false;
  PercentileComparison p95, p99;
  bool ok = true;
  std::vector<std::string> reasons;  // why it fails, one line each
};

struct BaselineCheck {
  std::vector<EntryVerdict> entries;
  std::vector<std::string> not_in_capture;  // baseline entries this capture has no requests for
  bool ok = true;
};

// `baseline_json` empty: no file yet (every entry is new). Corrupt input error
// naming `path` when the text is not a baseline.
Result<BaselineCheck> compare_baseline(std::string_view baseline_json, const std::string& path,
                                       const std::vector<EntryFigures>& figures, double threshold_pct);

// The file with every entry of the capture written back: figures, last_tested
// (`date_iso`, YYYY-MM-DD) and status (pass|fail). An entry that fails keeps
// its current_* figures (a regression must not become the next bar); new
// entries are appended; other entries and unknown keys stay as they were.
// `bottleneck` (when not empty) fills the bottleneck of entries that have
// none; one the team wrote is never replaced.
Result<std::string> updated_baseline(std::string_view baseline_json, const std::string& path,
                                     const BaselineCheck& check, const std::string& date_iso,
                                     const std::string& bottleneck = {});

}  // namespace loadprof::analyze
