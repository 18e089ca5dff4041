// `loadprof bench`: the load driver and the recorder in one process, on one
// clock (CLOCK_MONOTONIC). The recorder runs on a thread of its own; the load
// runs on the caller's thread once the targets are recorded (and, for a
// launched server, once it accepts connections). Every request of the load
// driver's log goes into the capture next to the samples, and the load run's
// summary with it, so `report` can put latency and stacks side by side.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "loadprof/capture/model.h"
#include "loadprof/load/driver.h"
#include "loadprof/load/request.h"
#include "loadprof/record/recorder.h"
#include "loadprof/util/result.h"

namespace loadprof::bench {

struct BenchOptions {
  record::RecordOptions record;  // targets, probes, output (bench sets its hooks)
  load::Url url;                 // where a launched target must accept connections
  int64_t listen_timeout_ns = 30'000'000'000;
};

// Runs the load with the given request-log sink (to set as LoadConfig::sink)
// and returns the run's record for the capture (describe_load_run()). Called
// on the caller's thread; errors (a target that refuses the first connection)
// end the bench with that error, the capture written.
using LoadFn = std::function<Result<capture::LoadRun>(load::RequestSink& sink)>;

struct BenchResult {
  record::RecordSummary record;
  int64_t listen_wait_ns = 0;     // launched: from exec to the first accepted connection
  uint64_t requests_written = 0;  // request records handed to the capture
  uint64_t requests_dropped = 0;  // lost between the driver and the capture (rings, queue)
  std::vector<pid_t> targets;     // the root targets
};

// stop: Ctrl-C (ends both; the capture is marked interrupted).
// target_cpu: called about once a second with the targets' CPU use in % of
// one CPU (the recorder's /proc reading), for a progress line; may be null.
[[nodiscard]] Result<BenchResult> run_bench(BenchOptions options, const LoadFn& run_load,
                                            const std::atomic<bool>& stop,
                                            const std::function<void(double)>& target_cpu = nullptr);

// The load run's record: the summary JSON and table given, the measured span
// and each stage on the monotonic clock, the log's counts.
capture::LoadRun describe_load_run(const load::LoadConfig& config, const load::LoadResult& result,
                                   std::string summary_json, std::string table);

}  // namespace loadprof::bench
