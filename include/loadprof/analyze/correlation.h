// Latency <-> stack correlation (SPEC's "correlation" key): the capture's
// request log (bench) cut into one-second windows and stages, each function's
// share of the target's stacks per window, the functions whose share grows in
// slow windows and with latency (rank correlation), and the cpu samples
// attributed to the requests in flight when they were taken (slow requests
// against median ones). Pure computation over a capture::Capture.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loadprof/analyze/endpoints.h"
#include "loadprof/capture/folded.h"
#include "loadprof/capture/model.h"

namespace loadprof::analyze {

struct CorrelationOptions {
  uint64_t window_ns = 1'000'000'000;  // one second
  // A window is judged slow or fast only with this many requests ended in it:
  // a p99 of 2 requests is their max, not a percentile.
  uint64_t min_window_requests = 5;
  // Windows enter the rank correlation with this many cpu samples of the
  // target (a share of 3 samples moves in steps of 33 points).
  uint64_t min_window_samples = 10;
  // slow: window p99 > slow_factor x the median of the judged windows' p99.
  double slow_factor = 1.5;
  // A thread is judged to serve one connection from at least this many of its
  // samples inside requests.
  uint64_t min_thread_samples = 3;
  size_t top_functions = 20;
  // Without slow windows (ranked by rank correlation alone), functions with a
  // smaller share of their kind come after the others: the rank correlation
  // of a 1 % share over a few windows is noise (a handful of samples).
  double min_ranked_share_pct = 5.0;
};

// One second (or one stage) of the run: the requests that ended in it.
struct LatencyWindow {
  double t_s = 0;         // start, seconds from the capture start
  double duration_s = 0;  // 1, the last one shorter; a stage's span (as bench recorded it, else
                          // first intended send to last end)
  uint32_t stage = 0;     // stages only
  uint64_t requests = 0;
  uint64_t errors = 0;
  double throughput_rps = 0;
  std::optional<double> p50_ms;  // latency = end - intended start (CO-corrected)
  std::optional<double> p99_ms;
  uint64_t cpu_samples = 0;  // the target's, with a stack
  double offcpu_ms = 0;      // the target's off-CPU time clipped to the window
  std::optional<bool> slow;  // absent: too few requests to judge (windows only)
};

// A function (display name, as in the folded output; off-CPU reasons as the
// leaf frames "[offcpu:lock]") and its inclusive share of one kind's weight:
// cpu = samples whose stack holds it, offcpu = ns of intervals whose stack holds it.
struct CorrelatedFunction {
  std::string frame;
  std::string kind;  // "cpu" | "offcpu"
  double fast_share_pct = 0;
  double slow_share_pct = 0;
  double growth_pct_points = 0;                 // slow - fast
  std::optional<double> rank_correlation;       // Spearman, share vs window p99
  std::optional<double> load_rank_correlation;  // Spearman, share vs window throughput
};

// How the cpu samples were matched with requests.
struct Attribution {
  // By time: a sample of the target taken inside exactly one request's
  // [actual start, end) is that request's. By thread: a thread that serves
  // one connection (thread-per-connection: that connection had a request in
  // flight at >= 90 % of the thread's samples inside requests, no other at
  // more than 60 %) gives its samples to the request of that connection in
  // flight, however many others are. Any other sample taken while several
  // requests were in flight is attributed to none (sharing it would hand a
  // slow request's work to the fast ones that merely overlapped it).
  std::string method = "time; threads serving one connection: by that connection";
  std::string ambiguous = "not attributed";
  std::string connection_join = "not possible: needs the io probe's peers";
  uint64_t cpu_samples = 0;           // the target's, with a stack
  uint64_t in_requests = 0;           // taken while at least one request was in flight
  uint64_t attributed = 0;            // by_time + by_thread
  uint64_t attributed_by_time = 0;    // exactly one request in flight
  uint64_t attributed_by_thread = 0;  // the thread's connection had exactly one in flight
  uint64_t ambiguous_samples = 0;     // inside requests, attributed to none
  uint64_t dedicated_threads = 0;     // threads found serving one connection
  // Threads that followed one connection's requests as closely but had fewer
  // samples in them than the thread serving it (a backend's thread answering
  // its queries): not given the connection's requests.
  uint64_t companion_threads = 0;
  double coverage_pct = 0;  // attributed of cpu_samples
  // Off-CPU time: only a thread serving one connection's (a blocked thread of
  // an event loop or a pool cannot be told apart from an idle one), the part
  // of each interval inside a request of its connection.
  double offcpu_ms = 0;  // the target's, all of it
  double offcpu_attributed_ms = 0;
  // Socket waits of such a thread across a request's start or end, and its
  // first one in a request that opened the connection: waiting for its client
  // (the request to arrive, the answer to be read), not given to the request.
  double offcpu_client_wait_ms = 0;
};

struct RequestFunction {
  std::string frame;
  std::string kind;             // "cpu" | "offcpu"
  double slow_share_pct = 0;    // of the samples (off-CPU ns) attributed to slow requests
  double median_share_pct = 0;  // of the samples (off-CPU ns) attributed to median requests
  double growth_pct_points = 0;
};

// The slowest requests (latency >= the p99 of all) against the median ones
// (latency between p40 and p60), by the cpu samples and the off-CPU time
// attributed to them.
struct SlowRequests {
  double latency_threshold_ms = 0;  // p99
  double median_low_ms = 0;         // p40
  double median_high_ms = 0;        // p60
  uint64_t slow_requests = 0;
  uint64_t median_requests = 0;
  uint64_t slow_samples = 0;
  uint64_t median_samples = 0;
  double slow_offcpu_ms = 0;  // off-CPU time attributed to them (threads serving one connection)
  double median_offcpu_ms = 0;
  // Both kinds; the cpu and offcpu shares are each of their own kind's total.
  // Ranked by growth x the kind's part of the slowest requests' time (cpu:
  // samples / frequency; offcpu: the attributed ms), then narrowest first.
  std::vector<RequestFunction> functions;  // by growth, descending (narrowest first within 90 % of the top)
};

struct Correlation {
  double window_s = 1;
  std::string slow_rule;                    // the rule in words, with its parameters
  std::optional<double> slow_threshold_ms;  // absent: no window could be judged
  uint64_t slow_windows = 0;
  uint64_t fast_windows = 0;
  uint64_t requests = 0;
  uint64_t requests_without_end = 0;  // end before the intended start (not counted anywhere)
  uint64_t warmup_requests = 0;       // sent during the load's warmup (not counted anywhere)
  std::vector<LatencyWindow> windows;
  std::vector<LatencyWindow> stages;  // when requests carry more than one stage
  // By growth (slow - fast), descending; by rank correlation when no window
  // was slow. Both kinds together. The functions within 90 % of the largest
  // growth come first, narrowest (smallest slow share) first: the function
  // that grew, ahead of its callers, which inclusive shares make grow as much.
  std::vector<CorrelatedFunction> stacks;
  Attribution attribution;
  std::optional<SlowRequests> slow_requests;  // absent when nothing was attributed
  // Each scenario step's time by function and reason (endpoints.h); empty
  // for a run of one step or when nothing was attributed.
  std::vector<Endpoint> endpoints;
  // Folded cpu stacks (same rules as the folded export) for the differential
  // flame graphs: samples in slow windows against fast windows, samples of
  // slow requests against median requests.
  std::vector<capture::FoldedLine> slow_windows_folded;
  std::vector<capture::FoldedLine> fast_windows_folded;
  std::vector<capture::FoldedLine> slow_requests_folded;
  std::vector<capture::FoldedLine> median_requests_folded;
};

// Absent for a capture without requests. Expects stack and frame references
// checked (analyze() does it first).
std::optional<Correlation> correlate(const capture::Capture& capture, const CorrelationOptions& options = {});

}  // namespace loadprof::analyze
