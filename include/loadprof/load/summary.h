// What a finished run means: SLO verdicts over the whole run and per stage,
// who limited the run, and the two renderings of it — the final text table
// and the JSON whose top-level keys are shared with report.json (SPEC.md).
#pragma once

#include <string>
#include <vector>

#include "loadprof/load/driver.h"
#include "loadprof/load/scenario.h"
#include "loadprof/stats/slo.h"

namespace loadprof::load {

// A scenario run's own results: per step, and the journeys behind them.
struct ScenarioReport {
  std::string file;
  bool weighted = false;
  uint64_t journeys = 0;     // journeys started (warmup included)
  uint64_t rows_reused = 0;  // unique CSV rows handed out again
  size_t bytes_per_virtual_user = 0;
  std::vector<StepResult> steps;
};

struct LoadSummary {
  const LoadConfig* config = nullptr;
  const LoadResult* result = nullptr;
  Saturation saturation;
  std::vector<stats::SloVerdict> slo;  // whole run
  // Per term of `slo`: its value is only a lower bound (the percentile falls
  // among censored requests: timeouts, not sent, cancelled), and a '<' term is broken.
  std::vector<bool> slo_lower_bound;
  std::vector<std::vector<stats::SloVerdict>> stage_slo;  // per stage
  bool slo_ok = true;
  const ScenarioReport* scenario = nullptr;  // set for --scenario runs: "scenario" in the JSON, a step table
  std::string capacity_json;  // set for --find-capacity: the "capacity" object (capacity_json())
  std::vector<stats::SloTerm> slo_terms;  // the terms of `slo`, for their units
  std::string stopped_answering;          // stopped_answering(): "" when the target answered to the end
};

// Plain words when the target stopped answering successfully before the end
// and requests kept failing ("the target stopped answering: connection
// refused from 2.0 s on, ..."), from the first and last time each error class
// was seen; "" otherwise.
std::string stopped_answering(const LoadResult& result);

LoadSummary summarize(const LoadConfig& config, const LoadResult& result,
                      const std::vector<stats::SloTerm>& slo);

// Throughput of a stage or run: completed requests per second of its span.
double throughput_rps(uint64_t requests, int64_t duration_ns);

// The final table (per stage and total), service time, schedule lag, errors,
// driver CPU, the saturation warning and the SLO verdicts.
std::string format_table(const LoadSummary& summary);
// JSON text (pretty-printed) with SPEC.md's keys plus the time series.
std::string format_json(const LoadSummary& summary);

}  // namespace loadprof::load
