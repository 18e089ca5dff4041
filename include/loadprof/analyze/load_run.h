// The load run of a bench capture, as the report shows it: the driver's
// summary and table as recorded, and what the profile adds per stage — the
// targets' CPU use (from their cpu samples) and loadprof's own (the driver
// and the recorder, from the per-second CPU accounting).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loadprof/capture/model.h"

namespace loadprof::analyze {

struct StageUsage {
  double start_s = 0;  // from the capture's start
  double end_s = 0;
  // % of one CPU (200 = two CPUs busy): the targets' samples in the stage over
  // frequency x its length; absent without the cpu probe.
  std::optional<double> target_cpu_pct;
  // loadprof's own samples (load driver and recorder) in the accounting
  // seconds that start inside the stage, over frequency x those seconds.
  std::optional<double> loadprof_cpu_pct;
};

struct LoadView {
  std::string summary_json;  // `load --json`'s document
  std::string table;         // `load`'s final table
  std::vector<StageUsage> stages;
  uint64_t requests_in_capture = 0;  // request-log records read (the warmup's included)
  uint64_t log_records = 0;          // the driver's count of what it logged
  uint64_t log_dropped = 0;          // lost between the driver and the capture
};

// Absent when the capture holds no load run (record, import).
std::optional<LoadView> load_view(const capture::Capture& capture);

}  // namespace loadprof::analyze
