// SLO terms as SPEC.md defines them: comma-separated METRIC<VALUE or
// METRIC>VALUE, metrics p50 p90 p95 p99 p999 max (latency; a bare number is
// milliseconds), errors (percent of requests), rps (throughput). Parsed once,
// judged over a whole run, a stage, or a capacity-search step. A term may end
// in @DURATION (p99<50ms@30s): a windowed term, every window of that length
// must hold; only `check` judges those (over a capture's request log).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "loadprof/stats/histogram.h"
#include "loadprof/util/result.h"

namespace loadprof::stats {

enum class SloMetric { p50, p90, p95, p99, p999, max, errors, rps };

struct SloTerm {
  std::string text;  // as written, e.g. "p99<50ms"
  SloMetric metric = SloMetric::p99;
  bool less_than = true;  // '<' (value must stay below) or '>' (must stay above)
  double threshold = 0;   // ms for latency, percent for errors, req/s for rps
  int64_t window_ns = 0;  // @30s: every window of this length must hold; 0 = the whole span
};

// Usage error naming the bad term: "bad term 'p99<<5': ...".
Result<std::vector<SloTerm>> parse_slo(std::string_view spec);

// What a term is judged against.
struct SloInput {
  Percentiles latency;
  double error_rate_pct = 0;
  double throughput_rps = 0;
};

struct SloVerdict {
  std::string term;
  double value = 0;  // measured, in the term's unit
  bool ok = true;
};

std::vector<SloVerdict> evaluate_slo(const std::vector<SloTerm>& terms, const SloInput& input);
bool all_ok(const std::vector<SloVerdict>& verdicts);

bool is_latency(SloMetric m);
double percentile_of(const Percentiles& p, SloMetric m);  // ms; 0 for errors and rps

// The verdicts of one span's requests, as the load driver and `check` judge
// them. `censored` is the subset of `latency` that is only a lower bound (a
// timeout, a request never sent or cancelled at the end): for the verdict it
// counts as longer than any threshold, so a percentile that falls among the
// censored is unknown — a '<' term on it is broken, its value is the lower
// bound measured, and (*lower_bound)[i] is set. Windows are not looked at.
std::vector<SloVerdict> judge_slo(const std::vector<SloTerm>& terms, const Histogram& latency,
                                  const Histogram& censored, double error_rate_pct, double throughput_rps,
                                  std::vector<bool>* lower_bound);

}  // namespace loadprof::stats
