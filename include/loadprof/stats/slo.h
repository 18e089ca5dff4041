// SLO terms as SPEC.md defines them: comma-separated METRIC<VALUE or
// METRIC>VALUE, metrics p50 p90 p95 p99 p999 max (latency; a bare number is
// milliseconds), errors (percent of requests), rps (throughput). Parsed once,
// judged over a whole run, a stage, or a capacity-search step.
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

}  // namespace loadprof::stats
