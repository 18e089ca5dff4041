// Bottleneck classification (report.json's "bottlenecks" and "verdict"): the
// constraints the capture's evidence shows — the target's CPU saturated, a hot
// function that grows with latency, lock, runqueue, disk, network wait, a
// syscall-heavy target — each with its numbers, a recommendation naming the
// function, and an estimated gain from the measured share (Amdahl), ranked by
// that gain. No evidence, no bottleneck: a capture without a clear constraint
// says so, and the kinds its probes could not look for are listed with why.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loadprof/capture/model.h"

namespace loadprof::analyze {

struct Analysis;

struct Bottleneck {
  std::string kind;   // cpu_saturation|cpu|lock|runqueue|io|network|syscall|downstream|alloc|leak
  std::string frame;  // the function (or thread) it names
  // The constraint's measured share: of the slowest requests' time (cpu, lock,
  // io, network, runqueue), of one endpoint's summed latency (the same kinds,
  // found per endpoint), of the target's CPU (syscall), of the cores the
  // target could use (cpu_saturation).
  double share_pct = 0;
  std::string share_of;  // what share_pct is a share of, in words
  std::string evidence;  // the numbers
  std::string recommendation;
  std::string estimated_gain;  // e.g. "p99 -40 % (from 180 ms to about 110 ms)"
  double gain_pct = 0;         // the estimated improvement the ranking uses (p99, CPU or throughput, in %)
  std::vector<std::string> stacks;  // folded stacks behind it, heaviest first (at most kBottleneckStacks)
  // From the slowest requests: its measured time in them over their number
  // (the ms each would lose without it). Absent for the other rules.
  std::optional<double> per_slow_request_ms;
};

// A kind the capture could not say anything about, and why.
struct NotChecked {
  std::string kind;
  std::string reason;
};

struct BottleneckVerdict {
  std::vector<Bottleneck> bottlenecks;  // leaks first (by growth), then by gain_pct, descending
  // One line: the top constraint and its gain, or "no clear constraint: ..."
  // with the figures that were looked at.
  std::string summary;
  std::vector<NotChecked> not_checked;
};

// Thresholds. Each is a floor on evidence, chosen so that a uniform run's
// noise stays below it (tests/analyze/bottlenecks_e2e_test.cpp runs one).
//
// A function (or off-CPU reason) must take this much more of the slowest
// requests' time (or of the slow windows' samples) than of the median ones':
// inclusive shares of a uniform run's slow and median requests differ by a few
// points (a page fault, a timer tick), a planted cause by 50 and more.
inline constexpr double kMinGrowthPctPoints = 20.0;
// ... and at least this part of the slowest requests' summed latency: below
// it, removing the function entirely would move p99 by less than a second
// run moves it by itself (p99 spread between same-build runs, docs/DIFF.md).
inline constexpr double kMinSlowTimeSharePct = 10.0;
// A wait (lock, io, network, runqueue) the slowest requests share is named
// only when it takes at least this much of each of them: a service whose p99
// is under a millisecond sees its slowest requests' socket and runqueue waits
// move by tenths of a millisecond between two runs of the same build (a
// uniform run once showed 0.27 ms of socket wait per slow request, 17 % of
// its 0.98 ms p99, from nothing planted).
inline constexpr double kMinWaitPerSlowRequestMs = 0.5;
// cpu: the slowest requests' shares are judged on at least this many of their
// samples (a share of 3 samples moves in steps of 33 points; a uniform run's
// 13 slowest requests hold 1 or 2).
inline constexpr uint64_t kMinSlowSamples = 10;
// ... and a function that grew by this much is named even under the 10 %
// floor: in an event loop the slowest requests mostly wait for the loop while
// another request burns, time no sample can be given to, so the burning
// function's measured part of their latency (the gain) understates it.
inline constexpr double kDominantGrowthPctPoints = 50.0;
// cpu_saturation: the target used this much of the CPUs it could get (the
// cores, or the one CPU a thread can run on) over the busiest stage. 85, not
// 100: the sampler, the driver and the kernel take the rest on a full machine.
inline constexpr double kSaturatedCpuPct = 85.0;
// runqueue: threads waited for a CPU this long relative to the time they ran.
// A machine with spare cores keeps it under 5 %; 25 % means one in five
// runnable moments was spent queued.
inline constexpr double kRunqueuePctOfOnCpu = 25.0;
// syscall: the kernel's part of the target's CPU samples (leaf in the
// kernel), counted only while the target is busy enough to matter.
inline constexpr double kSyscallKernelPct = 50.0;
inline constexpr double kBusyCpuPctOfOneCpu = 25.0;
inline constexpr size_t kBottleneckStacks = 3;
// downstream: this many round trips per request to one peer is called an N+1
// pattern (batching them is the recommendation); fewer, the peer's own speed.
inline constexpr double kNPlusOneRoundTrips = 3.0;
// One endpoint (scenario step) of a mix: a function or a wait that takes this
// share of the endpoint's summed latency is named, when the endpoint had at
// least kEndpointMinRequests requests and half of its time could be given to
// functions (correlation's attribution). A quarter of an endpoint's time is a
// quarter off its mean latency: the gain a user would act on.
inline constexpr double kEndpointPartPct = 25.0;
inline constexpr uint64_t kEndpointMinRequests = 20;
inline constexpr double kEndpointMinAttributedPct = 50.0;

// Expects analysis's other figures (wall, io, correlation, load, accounting)
// filled in: it reads them.
BottleneckVerdict classify_bottlenecks(const capture::Capture& capture, const Analysis& analysis);

}  // namespace loadprof::analyze
