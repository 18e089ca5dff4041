// The capacity model of a bench capture (report.json's "capacity_model"):
// from its stages or its capacity search (--find-capacity), throughput
// against offered rate and latency against throughput, the knee, a Universal
// Scalability Law fit when there are enough points, the highest rate that met
// the SLO, and how long p99 took to come back after each spike. Reads the
// load summary the capture holds and its request log; pure computation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loadprof/capture/model.h"
#include "loadprof/stats/usl.h"

namespace loadprof::analyze {

// A stage (or a search step): what was asked for and what came back.
struct CapacityPoint {
  std::string source;                 // "stage" | "step"
  uint32_t index = 0;                 // its stage (step) number, from 0, in the order run
  std::optional<double> offered_rps;  // mean requested rate; absent for a closed-model run
  double throughput_rps = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double error_rate_pct = 0;
  // Mean requests in flight, Little's law: throughput x mean service time
  // (request log, stages) or x p50 (search steps: the log does not tell
  // steps apart).
  double concurrency = 0;
  std::optional<bool> slo_ok;
};

// A stage whose rate is >= kSpikeFactor x the stage before it and that the
// next stage comes down from (a jump that the run never comes down from is a
// step of a ramp: there is no "after" to recover in).
struct SpikeRecovery {
  uint32_t stage = 0;
  double from_rps = 0;
  double to_rps = 0;
  double end_s = 0;             // the spike stage's end, in the load's seconds (from the end of the warmup)
  double pre_spike_p99_ms = 0;  // median of the per-second p99 over the stage before the spike
  double threshold_ms = 0;      // pre_spike_p99_ms x kRecoveryTolerance
  std::optional<double> recovery_s;  // seconds after the spike's end until a second's p99 <= threshold
  double watched_s = 0;              // seconds of the run after the spike's end
};

struct CapacityModel {
  std::string source;  // "stages" | "capacity_search"
  // By offered rate (by concurrency when closed). Of the stages, those that
  // raised the rate above every stage before them: a later stage at a lower
  // rate (after a spike) measures a recovery, not the curve.
  std::vector<CapacityPoint> points;
  std::optional<double> max_throughput_rps;
  // The lowest offered rate from which p99 stayed turned up (> 2x and > 1 ms
  // above the lowest rate's p99) or throughput fell below 90 % of the offered
  // rate, at every higher rate: the rule `load --find-capacity` uses for its
  // knee_rps, plus saturation. Absent when no point turned up.
  std::optional<double> knee_rps;
  std::optional<double> max_rate_meeting_slo_rps;  // absent without an SLO or when no point met it
  std::optional<stats::UslFit> usl;                // with >= stats::kUslMinPoints points
  std::string usl_note;                            // why there is no fit, or what its peak means
  std::vector<SpikeRecovery> spikes;
};

inline constexpr double kSpikeFactor = 2.0;
// A second's p99 counts as back to the pre-spike level within 1.5x of it: at a
// steady rate, per-second p99 on a shared machine moves by +-30-50 % from one
// second to the next, so an exact match would call most recoveries never.
inline constexpr double kRecoveryTolerance = 1.5;

// Absent for a capture without a load run, or with a single stage and no
// capacity search (one point is no curve).
std::optional<CapacityModel> capacity_model(const capture::Capture& capture);

}  // namespace loadprof::analyze
