// The load figures of a bench capture cut to a time window (`report
// --window`): the driver's summary is of the whole run, so requests, errors,
// latency, service time and throughput — in total and per stage — are counted
// again from the request log inside the window (requests due to start in it,
// the warmup's left out), as the driver counts them: latency from the
// intended send, service time from the actual send once connected.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "loadprof/capture/model.h"
#include "loadprof/capture/window.h"
#include "loadprof/stats/histogram.h"

namespace loadprof::analyze {

struct LoadFigures {
  double start_s = 0;     // from the end of the warmup (as load --json's stages)
  double duration_s = 0;  // the part of the window (and of the stage) the load ran in
  uint64_t requests = 0;
  uint64_t errors = 0;
  double error_rate_pct = 0;
  double throughput_rps = 0;                        // requests per second of duration_s
  std::map<std::string, uint64_t> errors_by_class;  // "connect", "timeout", ... as load names them
  stats::Percentiles latency;
  stats::Percentiles service_time;  // requests that were sent (a connect error never was)
};

// The load's figures from the whole request log the capture holds (the
// warmup's left out); duration_s from the first intended send to the last end.
LoadFigures log_figures(const capture::Capture& capture);

struct WindowLoad {
  LoadFigures total;
  std::vector<LoadFigures> stages;  // by stage index; duration_s 0 for a stage outside the window
  // The window in the seconds of the load's time series (t_s counts from the
  // end of the warmup): its entries in [from, to) are the window's.
  double timeseries_from_s = 0;
  double timeseries_to_s = 0;
};

// Absent when the capture holds no load run. The capture is already cut to
// the window (capture::restrict_to_window): its requests are the window's and
// its stage spans are clipped to it.
std::optional<WindowLoad> window_load(const capture::Capture& capture, const capture::PlacedWindow& window);

}  // namespace loadprof::analyze
