// `check`: a bench capture's request log judged against SLO terms — over the
// whole run, per stage, and per window for windowed terms (p99<50ms@30s).
// Latency is end - intended start (coordinated omission corrected), failed
// requests count at the time they failed, timeouts are censored: the figures
// are those of `load --json` for the same requests (same histogram).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "loadprof/capture/model.h"
#include "loadprof/stats/histogram.h"
#include "loadprof/stats/slo.h"
#include "loadprof/util/result.h"

namespace loadprof::analyze {

// One measured request of the log (the warmup's are left out).
struct LoggedRequest {
  uint64_t end_ns = 0;  // capture clock
  uint64_t latency_ns = 0;
  bool error = false;
  bool censored = false;  // a timeout: its latency is a lower bound
  uint16_t stage = 0;
  uint16_t step = 0;  // scenario step index
};

struct LogStage {
  uint64_t start_ns = 0, end_ns = 0;  // capture clock
  double duration_s = 0;              // the load summary's (throughput's divisor)
};

// What `check` reads of a bench capture.
struct LoadLog {
  std::vector<LoggedRequest> requests;
  uint64_t measured_start_ns = 0, measured_end_ns = 0;
  double duration_s = 0;  // the load summary's
  std::vector<LogStage> stages;
  std::string url_path;                 // the loaded URL's path ("/" when none), query left out
  std::vector<std::string> step_names;  // a scenario's steps, by index; empty for a URL
  uint64_t warmup_requests = 0;         // in the log, not judged
  uint64_t never_completed = 0;         // not sent or unanswered at the end: not in the log
  uint64_t log_dropped = 0;             // lost between the driver and the capture
  double summary_p99_ms = -1;           // the load summary's p99 (-1: absent)
};

// Usage error "PATH has no load data (record captures have none; use bench)"
// when the capture holds no load run or an empty request log.
Result<LoadLog> load_log(const capture::Capture& capture, const std::string& path);

// The figures of a set of requests over a span.
struct SpanFigures {
  uint64_t requests = 0, errors = 0;
  double duration_s = 0;
  stats::Histogram latency, censored;
  // Requests of the span that never completed (not in the log, no latency
  // known): like censored ones, longer than any threshold for a verdict.
  uint64_t never_completed = 0;
  double error_rate_pct() const;
  double throughput_rps() const;
};
SpanFigures figures_of(const LoadLog& log, const std::function<bool(const LoggedRequest&)>& keep,
                       double duration_s);

struct TermVerdict {
  std::string term;  // as written
  stats::SloMetric metric = stats::SloMetric::p99;
  double value = 0;  // measured, in the term's unit; windowed: the worst window's
  bool ok = true;
  bool lower_bound = false;  // the value falls among censored requests (a lower bound)
  // Windowed terms only:
  int64_t window_ns = 0;
  size_t windows = 0, windows_failed = 0;
  double worst_start_s = 0, worst_end_s = 0;  // the worst window, from the scope's start
};

struct ScopeVerdict {
  std::string name;               // "whole run", "stage 2"
  double start_s = 0, end_s = 0;  // from the measured start
  uint64_t requests = 0;
  std::vector<TermVerdict> terms;
  bool ok = true;
};

struct SloCheck {
  std::vector<ScopeVerdict> scopes;  // the whole run first, then each stage (when more than one)
  bool ok = true;
};

SloCheck check_slo(const LoadLog& log, const std::vector<stats::SloTerm>& terms);

}  // namespace loadprof::analyze
