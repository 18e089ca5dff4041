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

// The one place requests are counted into figures — log_figures,
// window_load and check's SLO spans (check.h's figures_of) all add their
// requests here: latency from the intended send, errors (by class for a
// capture's record), timeouts censored (their latency a lower bound), and
// service time from the actual send once connected.
class RequestTally {
 public:
  // A request of the capture's log: all of the below.
  void add(const capture::RequestRecord& r);
  // A request known by its latency alone (check's log): no class, no service time.
  void add(uint64_t latency_ns, bool error, bool censored);

  uint64_t requests() const { return requests_; }
  uint64_t errors() const { return errors_; }
  const stats::Histogram& latency() const { return latency_; }
  const stats::Histogram& censored() const { return censored_; }
  // From origin_ns (the end of the warmup), over [from_ns, to_ns).
  LoadFigures figures(uint64_t origin_ns, uint64_t from_ns, uint64_t to_ns) const;

 private:
  static constexpr size_t kClasses = 8;  // capture::RequestRecord::error_class values load names
  uint64_t requests_ = 0;
  uint64_t errors_ = 0;
  uint64_t errors_by_class_[kClasses + 1] = {};  // the last: a class this reader does not know
  stats::Histogram latency_;
  stats::Histogram censored_;
  stats::Histogram service_;
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
