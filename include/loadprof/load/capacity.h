// The capacity search (--find-capacity): open-model steps at a fixed rate,
// stepped up geometrically until one fails, then bisected between the last
// passing and the first failing rate. A step fails when the SLO breaks, errors
// rise, or the target cannot keep up with the requested rate; the search stops
// without a verdict on the target when the driver itself saturated (a false
// capacity would be worse than none). A step the driver could not send on time
// only because the machine was busy (its threads waited for a CPU, they did not
// work) passes if it met the SLO anyway (the lateness only made the latency
// worse); failing, it says nothing about the target: it is run again, up to
// twice, and counted. Each step is a separate
// run_load with its own warm-up, which is excluded from the judgement.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "loadprof/load/driver.h"
#include "loadprof/stats/histogram.h"
#include "loadprof/stats/slo.h"
#include "loadprof/util/result.h"

namespace loadprof::load {

struct CapacityConfig {
  double start_rps = 10;                // first step's rate
  double factor = 2;                    // geometric step-up
  int64_t step_ns = 10'000'000'000;     // each step, warm-up included
  int64_t budget_ns = 300'000'000'000;  // the whole search (--duration)
  double precision = 0.05;              // bisect until failing / passing <= 1 + precision
  std::vector<stats::SloTerm> slo;      // latency and error terms; may be empty
  double max_error_pct = 1.0;           // errors rise: used when the SLO has no errors term
  // After a failing step, probe at the lowest rate tried until the latency is
  // back near the passing steps' (the target's backlog drained) before the
  // next step, so no step inherits the queue of the one before.
  bool settle = true;
  int64_t probe_ns = 500'000'000;  // each probe (longer when that gives fewer than 5 requests)
  int64_t max_settle_ns = 0;       // give up waiting after this; 0: 3 steps, within 5..30 s
};

// The warm-up of a step of `step_ns`: a fifth of it, at least 100 ms, at most 5 s.
int64_t capacity_warmup_ns(int64_t step_ns);

struct CapacityStep {
  double rate_rps = 0;
  double throughput_rps = 0;
  double error_rate_pct = 0;
  double achieved_pct = 100;
  stats::Percentiles latency;
  bool slo_ok = false;
  bool driver_starved = false;  // verdict "driver" because the machine was busy (Saturation::starved)
  std::string
      verdict;  // "ok", or why it failed: "slo: p99<50ms (measured 81.2 ms)", "errors", "target", "driver"
  // The backlog check after this step (failing steps followed by another):
  double drain_s = -1;        // time until a probe's latency was back to normal; -1: not checked
  bool drained = true;        // false: still slow when the check gave up (max_settle_ns)
  int drain_probes = 0;       // probes run
  double probe_rate_rps = 0;  // their rate
  double probe_p99_ms = 0;    // the last probe's p99
};

struct CapacityResult {
  double max_rate_rps = 0;  // the highest rate that passed; 0 when none did
  std::string limited_by;   // "slo", "errors", "driver" or "duration"
  std::string message;      // plain words: why the search stopped
  // The lowest rate from which p99 stayed turned up (> 2x and > 1 ms above the
  // lowest rate's) at every higher rate tried; 0: none.
  double knee_rps = 0;
  bool interrupted = false;
  int64_t elapsed_ns = 0;
  uint64_t retried_steps = 0;  // steps run again because judged "driver" (not in `steps`)
  std::vector<CapacityStep> steps;  // in the order run
  // The run at max_rate_rps (or the first step when none passed): the top-level figures of --json.
  LoadConfig best_config;
  LoadResult best;
  bool has_best = false;
};

// The knee of a search's steps (CapacityResult::knee_rps).
double knee_rps(const std::vector<CapacityStep>& steps);

// Called before each step with the step's config (set connections, reset a
// scenario source), and after it with its verdict (progress lines).
using CapacityBefore = std::function<void(LoadConfig&)>;
using CapacityAfter = std::function<void(const CapacityStep&, const LoadResult&)>;
// Called after a step's backlog check (CapacityStep::drain_s set).
using CapacityDrained = std::function<void(const CapacityStep&)>;

// Runs the search. Fails only as run_load fails (the target is gone, a bad config).
Result<CapacityResult> find_capacity(const LoadConfig& base, const CapacityConfig& config,
                                     const CapacityBefore& before = nullptr,
                                     const CapacityAfter& after = nullptr,
                                     const CapacityDrained& drained = nullptr);

// One line on a step's backlog check: "backlog drained in 1.2 s (3 probes at
// 10 req/s, p99 2.1 ms)"; "" when it was not checked.
std::string format_drain(const CapacityStep& step);

// Text: the curve and the verdict. JSON: the `capacity` object of SPEC.md.
std::string format_capacity_table(const CapacityResult& result);
std::string capacity_json(const CapacityResult& result);  // a JSON object, compact

}  // namespace loadprof::load
