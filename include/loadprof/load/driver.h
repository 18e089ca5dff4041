// The load driver: T threads, each with its own epoll loop and connections,
// driving HTTP/1.1 requests at a target in the open model (a schedule of
// intended send times; latency counted from the intended time, so a stalled
// server cannot hide behind a waiting client) or the closed model (fixed
// concurrency, optional think time). Each thread keeps its own histograms;
// they are merged after the threads finish, so the hot path takes no lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "loadprof/load/http_response.h"
#include "loadprof/load/request.h"
#include "loadprof/load/request_log.h"
#include "loadprof/load/schedule.h"
#include "loadprof/stats/histogram.h"
#include "loadprof/stats/timeseries.h"
#include "loadprof/util/result.h"

namespace loadprof::load {

// Per-request hook for scenarios: chooses the bytes of each request and hears
// how each one ended. Called on the driver thread that owns the connection (a
// connection belongs to one thread, so per-connection state needs no lock);
// must not allocate on the hot path.
class RequestSource {
 public:
  virtual ~RequestSource() = default;
  struct Next {
    std::string_view bytes;  // must stay valid until the response completes
    bool head = false;
    uint32_t step = 0;  // recorded as RequestRecord::scenario_step
    // Where the driver copies the response as received (status line, headers,
    // body; at most keep_capacity bytes) for captures and expectations. Null: not kept.
    char* keep = nullptr;
    uint32_t keep_capacity = 0;
    // Hears the whole body as it arrives, decoded (for checks that must see all
    // of it, beyond keep_capacity). Null: none.
    ResponseParser::BodyObserver* body = nullptr;
  };
  virtual Next next(uint32_t worker, uint32_t connection_id) = 0;

  struct Response {
    int status = 0;
    ErrorClass error = ErrorClass::none;  // the driver's verdict (transport, or status >= 400)
    std::string_view bytes;               // the kept response (empty unless Next::keep was set)
    bool truncated = false;               // the response was longer than keep_capacity
    bool warmup = false;
    int64_t intended_ns = 0, start_ns = 0, end_ns = 0;  // CLOCK_MONOTONIC
  };
  struct After {
    ErrorClass error =
        ErrorClass::none;  // the final verdict (may add ErrorClass::expect, or clear a status error)
    bool more = false;     // the virtual user on this connection sends again after think_ns (open model)
    int64_t think_ns = 0;  // pause before this connection's next request (closed model: always applies)
  };
  virtual After on_response(uint32_t /*worker*/, uint32_t /*connection_id*/, const Response& r) {
    return {r.error, false, 0};
  }
};

// Statuses counted one by one (LoadResult::status_counts): 100..599.
inline constexpr int kStatusCodes = 600;

// A request counts as a late start when it left more than this after its intended time.
inline constexpr int64_t kLateStartNs = 1'000'000;

struct LoadConfig {
  Url url;
  std::string request;  // formatted request bytes (format_request)
  bool head_request = false;
  bool keep_alive = true;
  int threads = 1;
  int connections = 0;  // 0: 64 closed, sized from the peak rate open
  bool closed = false;
  int64_t think_time_ns = 0;  // closed model
  Arrival arrival = Arrival::uniform;
  std::vector<Stage> stages;  // open: the rates; closed: one stage, only its duration counts
  int64_t warmup_ns = 0;
  int64_t timeout_ns = 10'000'000'000;
  // Statuses >= 400 are errors unless listed here.
  std::vector<int> ok_statuses;
  uint64_t max_requests = 0;  // stop issuing after this many (0: no bound)
  uint64_t seed = 1;
  RequestSink* sink = nullptr;
  size_t log_ring_records = 1u << 16;       // per thread
  RequestSource* source = nullptr;          // per-request hook (scenarios); null: send `request`
  const std::atomic<bool>* stop = nullptr;  // set by a signal handler: stop early, keep results
  // A run that got no response at all fails with target_gone. A capacity step
  // clears it: a target that accepted every connection and answered nothing
  // within the timeout is overloaded, a failing step, not gone.
  bool answer_required = true;
};

// Connections used when LoadConfig::connections is 0.
int default_connections(const LoadConfig& config);

struct Progress {
  double elapsed_s = 0;
  uint64_t requests = 0;
  uint64_t errors = 0;
  double last_second_rps = 0;
  double last_second_p99_ms = 0;
  int stage = -1;  // -1 warmup
};

struct StageResult {
  int64_t start_ns = 0;  // relative to the end of the warmup
  int64_t duration_ns = 0;
  double rate_start_rps = 0, rate_end_rps = 0;
  uint64_t requests = 0, errors = 0, late_starts = 0;
  uint64_t arrivals = 0;  // completed requests that began a scheduled arrival (the others continue a journey)
  uint64_t censored =
      0;  // in `latency` but not in `requests`: not sent, or cancelled at the end (LoadResult)
  stats::Histogram latency;           // every completion, failures included, plus the censored
  stats::Histogram latency_censored;  // of `latency`, the lower bounds (LoadResult::latency_censored)
  stats::Histogram service;
};

struct ThreadUsage {
  int64_t cpu_ns = 0;        // CPU time the thread used
  int64_t wall_ns = 0;       // from the run start to the thread's end
  int64_t busy_ns = 0;       // wall time not spent waiting in epoll (running or starved of a CPU)
  int64_t runqueue_ns = -1;  // runnable but waiting for a CPU (/proc schedstat); -1: not known
};

struct LoadResult {
  bool interrupted = false;
  bool closed = false;
  // The measured span: from the end of the warmup to the stop, or to the last
  // response counted when that came later (requests sent before the stop and
  // answered in the drain). Throughput divides by it.
  int64_t duration_ns = 0;
  int64_t scheduled_ns = 0;  // the schedule's part of it: from the end of the warmup to the stop
  uint64_t requests = 0;     // completed (with or without error), warmup excluded
  uint64_t errors = 0;
  uint64_t errors_by_class[kErrorClassCount] = {};
  uint64_t late_starts = 0;
  uint64_t arrivals =
      0;  // of `requests`, those that began a scheduled arrival (== requests without journeys)
  uint64_t driver_late_starts =
      0;  // late although a connection was free: the driver was behind (a lower bound)
  // Requests that never completed, yet count in the latency percentiles,
  // censored (their true latency is at least the value recorded):
  uint64_t not_sent = 0;      // open model: due before the stop but never sent; at (stop - intended)
  uint64_t cancelled = 0;     // in flight when the drain after the stop ran out; at (cancel - intended)
  uint64_t censored = 0;      // not_sent + cancelled, warmup excluded
  uint64_t local_errors = 0;  // of the connect errors, the driver's own (no socket: EMFILE; epoll_ctl failed)
  uint64_t responses = 0;     // any HTTP response received, warmup included
  uint64_t warmup_requests = 0;
  // From the intended send (CO-corrected): every completed request, failed or
  // not (at the time it failed), and the censored ones.
  stats::Histogram latency;
  // Of `latency`, the values that are only lower bounds: timeouts (the driver
  // gave up), not_sent and cancelled. SLO verdicts treat them as longer than any
  // threshold (summarize()).
  stats::Histogram latency_censored;
  // From the actual send, the connection up, to the end: every completion that got
  // that far, failures included (never connected, or cancelled at the end: excluded).
  stats::Histogram service;
  stats::Histogram connect;  // TCP connect time of each connection opened for a measured request
  // Actual send - when it was due: the intended send (open model), or the end of
  // the virtual user's think time (closed model, where late_starts stays 0).
  stats::Histogram schedule_lag;
  std::vector<StageResult> stages;
  stats::TimeSeries timeseries;       // by completion second after the warmup
  std::vector<double> requested_rps;  // per second of the time series (open model)
  std::vector<ThreadUsage> threads;
  int connections = 0;
  uint64_t log_records = 0;
  uint64_t log_dropped = 0;
  int64_t start_monotonic_ns = 0;         // run start, warmup included
  std::vector<std::string> warnings;      // about the run's setup (the open-file limit)
  std::map<int, uint64_t> status_counts;  // measured responses by HTTP status (errors >= 400 included)
  uint64_t bytes_received = 0;            // response bytes (headers and body) of the measured requests
  // When each error class was first and last seen, and the last successful
  // response, from the end of the warmup (ns); -1: never.
  int64_t error_first_ns[kErrorClassCount] = {-1, -1, -1, -1, -1, -1, -1, -1};
  int64_t error_last_ns[kErrorClassCount] = {-1, -1, -1, -1, -1, -1, -1, -1};
  int64_t last_ok_ns = -1;
  static_assert(kErrorClassCount == 8, "error_first_ns/error_last_ns initializers");
  int connect_errno = 0;  // errno of a connect error (ECONNREFUSED...), 0: none known
};

using ProgressFn = std::function<void(const Progress&)>;

// Runs the load. Fails with target_gone when the host does not resolve, the
// first connection is refused or times out, or (answer_required) nothing was
// answered; with usage for a bad config.
// Errors during the run are data in LoadResult.
Result<LoadResult> run_load(const LoadConfig& config, const ProgressFn& progress = nullptr);

// Plain-words verdict on who limited the run: empty when the requested rate
// was met; otherwise names the driver (its threads were busy) or the target.
struct Saturation {
  std::string limited_by;  // "", "driver" or "target"
  std::string message;
  double achieved_pct = 100;           // of the requested arrivals
  double max_thread_cpu_pct = 0;       // the driver thread that used the most CPU
  double max_thread_busy_pct = 0;      // the driver thread that waited least in epoll
  double max_thread_runqueue_pct = 0;  // the driver thread that waited longest for a CPU
  // limited_by == "driver" because the machine was busy, not because the driver
  // worked to its limit: no thread used half a CPU, and their wait for a CPU
  // accounts for the lateness (open model: at least a quarter of the summed
  // schedule lag; closed: longer than they ran). A starved driver also makes
  // connections look busy (unread responses), so this is decided before the
  // target is blamed. More threads would not help; a quieter machine would.
  bool starved = false;
};
Saturation judge_saturation(const LoadResult& result, const Schedule& schedule);

}  // namespace loadprof::load
