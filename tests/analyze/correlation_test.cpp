// The latency <-> stack correlation on captures built in memory with planted
// effects: a function sampled only in slow windows leads, a function with the
// same share everywhere shows no growth, samples inside one request are
// attributed to it and samples inside several to none.
#include "loadprof/analyze/correlation.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "analyze/correlation_capture.h"
#include "loadprof/analyze/analysis.h"

namespace loadprof::analyze {
namespace {

using namespace loadprof::testing;

const CorrelatedFunction* find(const Correlation& c, const std::string& frame,
                               const std::string& kind = "cpu") {
  for (const auto& f : c.stacks)
    if (f.frame == frame && f.kind == kind) return &f;
  return nullptr;
}

TEST(Correlation, AbsentWithoutRequests) {
  capture::Capture c = base_capture(3);
  add_samples(c, kStart, kStart + kSec, 0, 10);
  EXPECT_FALSE(correlate(c));
  auto a = analyze(c);
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->correlation);
}

TEST(Correlation, WindowsCarryLatencyAndThroughput) {
  const auto corr = correlate(planted());
  ASSERT_TRUE(corr);
  ASSERT_EQ(corr->windows.size(), 10u);
  EXPECT_EQ(corr->requests, 1000u);
  const LatencyWindow& w3 = corr->windows[3];
  EXPECT_DOUBLE_EQ(w3.t_s, 3.0);
  EXPECT_EQ(w3.requests, 100u);
  EXPECT_DOUBLE_EQ(w3.throughput_rps, 100.0);
  EXPECT_DOUBLE_EQ(*w3.p99_ms, 50.0);
  EXPECT_NEAR(*w3.p50_ms, 2.3, 1e-9);
  EXPECT_EQ(w3.cpu_samples, 100u);
  EXPECT_TRUE(*w3.slow);
  EXPECT_NEAR(*corr->windows[0].p99_ms, 2.0, 1e-9);
  EXPECT_FALSE(*corr->windows[0].slow);
  // median of the window p99s: fast ones 2.0 .. 2.9 (8 of them), 50, 50 -> (2.5 + 2.6) / 2 = 2.55
  EXPECT_NEAR(*corr->slow_threshold_ms, 1.5 * 2.55, 1e-9);
  EXPECT_EQ(corr->slow_windows, 2u);
  EXPECT_EQ(corr->fast_windows, 8u);
}

TEST(Correlation, FunctionOnlyInSlowWindowsLeadsAndNoiseShowsNoGrowth) {
  const auto corr = correlate(planted());
  ASSERT_TRUE(corr);
  ASSERT_FALSE(corr->stacks.empty());
  const CorrelatedFunction& top = corr->stacks.front();
  EXPECT_EQ(top.frame, "burn");
  EXPECT_EQ(top.kind, "cpu");
  EXPECT_NEAR(top.fast_share_pct, 0.0, 1e-9);
  EXPECT_NEAR(top.slow_share_pct, 50.0, 1e-9);
  EXPECT_NEAR(top.growth_pct_points, 50.0, 1e-9);
  // Share is 0 in 8 windows (tied ranks) and 50 % in the 2 with the highest p99: rho
  // = Pearson of ranks; share ranks 4.5 x 8, 9.5 x 2; p99 ranks 1..8, 9.5 x 2:
  // sxy 40, sxx 40, syy 82 -> 40 / sqrt(3280) = 0.6984
  ASSERT_TRUE(top.rank_correlation);
  EXPECT_NEAR(*top.rank_correlation, 0.6984, 1e-3);

  const CorrelatedFunction* noise = find(*corr, "noise");
  ASSERT_NE(noise, nullptr);
  EXPECT_NEAR(noise->growth_pct_points, 0.0, 1e-9);
  EXPECT_NEAR(noise->fast_share_pct, 10.0, 1e-9);
  EXPECT_FALSE(noise->rank_correlation);  // the same share in every window: nothing to rank

  const CorrelatedFunction* parse = find(*corr, "parse");
  ASSERT_NE(parse, nullptr);
  EXPECT_NEAR(parse->growth_pct_points, -50.0, 1e-9);
  EXPECT_EQ(corr->stacks.back().frame, "parse");  // shrank the most: last
  ASSERT_TRUE(parse->rank_correlation);
  EXPECT_NEAR(*parse->rank_correlation, -0.6984, 1e-3);

  // main and handle are in every sample: 100 % everywhere.
  const CorrelatedFunction* main_fn = find(*corr, "main");
  ASSERT_NE(main_fn, nullptr);
  EXPECT_NEAR(main_fn->slow_share_pct, 100.0, 1e-9);
  EXPECT_NEAR(main_fn->growth_pct_points, 0.0, 1e-9);
}

TEST(Correlation, SlowVsFastFoldedLinesSplitTheSamples) {
  const auto corr = correlate(planted());
  ASSERT_TRUE(corr);
  uint64_t slow = 0, fast = 0, burn_slow = 0, burn_fast = 0;
  for (const auto& l : corr->slow_windows_folded) {
    slow += l.count;
    if (l.stack == "server;main;handle;burn") burn_slow += l.count;
  }
  for (const auto& l : corr->fast_windows_folded) {
    fast += l.count;
    if (l.stack.find("burn") != std::string::npos) burn_fast += l.count;
  }
  EXPECT_EQ(slow, 200u);
  EXPECT_EQ(fast, 800u);
  EXPECT_EQ(burn_slow, 100u);
  EXPECT_EQ(burn_fast, 0u);
}

TEST(Correlation, TiesAreOrderedByName) {
  // Two functions with identical figures everywhere: alphabetical, every run.
  capture::Capture c = planted();
  c.frames[3].function = "zeta";   // parse
  c.frames[4].function = "alpha";  // noise
  for (auto& s : c.cpu_samples)
    if (s.stack == 1) s.stack = 2;  // parse samples become noise samples: noise = 100 % fast, 50 % slow
  c.stacks[2] = {{4, 1, 0}, false};
  const auto corr = correlate(c);
  ASSERT_TRUE(corr);
  // handle and main: both 100 % everywhere (growth 0, no rank correlation): handle before main.
  std::vector<std::string> order;
  for (const auto& f : corr->stacks) order.push_back(f.frame);
  const auto h = std::find(order.begin(), order.end(), "handle");
  const auto m = std::find(order.begin(), order.end(), "main");
  ASSERT_NE(h, order.end());
  ASSERT_NE(m, order.end());
  EXPECT_LT(h - order.begin(), m - order.begin());
  EXPECT_EQ(order.front(), "burn");
  EXPECT_EQ(order.back(), "alpha");
}

TEST(Correlation, EmptyWindowsAreNotJudged) {
  capture::Capture c = planted();
  // No request ends in windows 5 and 6 (their samples stay).
  std::erase_if(c.requests, [](const capture::RequestRecord& r) {
    return r.end_ns >= kStart + 5 * kSec && r.end_ns < kStart + 7 * kSec;
  });
  const auto corr = correlate(c);
  ASSERT_TRUE(corr);
  ASSERT_EQ(corr->windows.size(), 10u);
  EXPECT_EQ(corr->windows[5].requests, 0u);
  EXPECT_FALSE(corr->windows[5].slow);
  EXPECT_FALSE(corr->windows[5].p99_ms);
  EXPECT_EQ(corr->windows[5].cpu_samples, 100u);
  EXPECT_EQ(corr->slow_windows + corr->fast_windows, 8u);
  EXPECT_EQ(corr->stacks.front().frame, "burn");
  // The unjudged windows' samples are in neither flame graph.
  uint64_t n = 0;
  for (const auto& l : corr->slow_windows_folded) n += l.count;
  for (const auto& l : corr->fast_windows_folded) n += l.count;
  EXPECT_EQ(n, 800u);
}

TEST(Correlation, OneWindowHasNoSlowWindowsAndNoRankCorrelation) {
  capture::Capture c = base_capture(1);
  for (uint64_t i = 0; i < 50; ++i) add_request(c, kStart + i * 10 * kMs, 3 * kMs);
  add_samples(c, kStart, kStart + kSec, 0, 30);
  add_samples(c, kStart + 1, kStart + kSec, 2, 10);
  const auto corr = correlate(c);
  ASSERT_TRUE(corr);
  ASSERT_EQ(corr->windows.size(), 1u);
  EXPECT_NEAR(*corr->slow_threshold_ms, 4.5, 1e-9);
  EXPECT_EQ(corr->slow_windows, 0u);
  EXPECT_EQ(corr->fast_windows, 1u);
  ASSERT_FALSE(corr->stacks.empty());
  for (const auto& f : corr->stacks) {
    EXPECT_FALSE(f.rank_correlation) << f.frame;
    EXPECT_EQ(f.growth_pct_points, 0.0) << f.frame;
  }
  EXPECT_TRUE(corr->slow_windows_folded.empty());
  EXPECT_TRUE(corr->fast_windows_folded.empty());
}

TEST(Correlation, OffCpuTimeIsClippedToWindowsAndRankedWithItsReason) {
  capture::Capture c = planted();
  c.metadata.probes = {"cpu", "offcpu"};
  for (uint64_t w = 0; w < 10; ++w) {
    const bool slow = w == 3 || w == 7;
    // 400 ms of sleep in every window; the slow ones wait 400 ms on a lock too,
    // one interval straddling into the next window by half.
    capture::OffCpuInterval sleep;
    sleep.start_ns = kStart + w * kSec;
    sleep.end_ns = sleep.start_ns + 400 * kMs;
    sleep.pid = sleep.tid = 7;
    sleep.stack = 2;
    sleep.reason = capture::OffCpuReason::sleep;
    c.offcpu.push_back(sleep);
    if (slow) {
      capture::OffCpuInterval lock = sleep;
      lock.start_ns = kStart + w * kSec + 800 * kMs;
      lock.end_ns = lock.start_ns + 400 * kMs;  // 200 ms in w, 200 ms in w + 1
      lock.stack = 3;
      lock.reason = capture::OffCpuReason::lock;
      c.offcpu.push_back(lock);
    }
  }
  const auto corr = correlate(c);
  ASSERT_TRUE(corr);
  EXPECT_NEAR(corr->windows[3].offcpu_ms, 600.0, 1e-6);
  EXPECT_NEAR(corr->windows[4].offcpu_ms, 600.0, 1e-6);
  EXPECT_NEAR(corr->windows[5].offcpu_ms, 400.0, 1e-6);
  // Slow windows: 2 x (400 sleep + 200 lock) ms; the lock is 1/3 of it. Fast
  // windows: 8 x 400 sleep + 2 x 200 lock (windows 4 and 8) = 3600 ms, lock 1/9.
  const CorrelatedFunction* lock = find(*corr, "[offcpu:lock]", "offcpu");
  ASSERT_NE(lock, nullptr);
  EXPECT_NEAR(lock->slow_share_pct, 100.0 / 3, 1e-6);
  EXPECT_NEAR(lock->fast_share_pct, 100.0 / 9, 1e-6);
  const CorrelatedFunction* futex = find(*corr, "futex_wait_[k]", "offcpu");
  ASSERT_NE(futex, nullptr);
  EXPECT_NEAR(futex->growth_pct_points, 100.0 / 3 - 100.0 / 9, 1e-6);
  // burn (cpu, +50) still leads; the lock (+22) comes before noise (0).
  EXPECT_EQ(corr->stacks.front().frame, "burn");
}

// Requests one after another (no overlap) get their samples; two in flight
// at once leave theirs unattributed.
TEST(Correlation, SamplesInsideOneRequestAreAttributedAndOverlapsAreNot) {
  capture::Capture c = base_capture(2);
  // 100 requests, one every 10 ms from t=0: every 10th takes 8 ms (burn), the rest 1 ms (parse).
  for (uint64_t i = 0; i < 100; ++i) {
    const uint64_t t = kStart + i * 10 * kMs;
    const bool slow = i % 10 == 0;
    add_request(c, t, slow ? 8 * kMs : 1 * kMs);
    add_samples(c, t + 1, t + (slow ? 8 : 1) * kMs, slow ? 0 : 1, slow ? 4 : 1);
  }
  // Between requests: 50 noise samples inside no request.
  for (uint64_t i = 0; i < 50; ++i)
    add_samples(c, kStart + i * 10 * kMs + 9 * kMs, kStart + i * 10 * kMs + 9 * kMs + 1, 2, 1);
  // Two overlapping requests in the second second, with 3 samples while both are in flight.
  add_request(c, kStart + 1500 * kMs, 20 * kMs);
  add_request(c, kStart + 1505 * kMs, 20 * kMs);
  add_samples(c, kStart + 1506 * kMs, kStart + 1519 * kMs, 3, 3);
  const auto corr = correlate(c);
  ASSERT_TRUE(corr);
  const Attribution& at = corr->attribution;
  EXPECT_EQ(at.dedicated_threads, 0u);  // one thread, a connection per request
  EXPECT_EQ(at.attributed_by_time, 130u);
  EXPECT_EQ(at.cpu_samples, 40u + 90u + 50u + 3u);
  EXPECT_EQ(at.in_requests, 40u + 90u + 3u);
  EXPECT_EQ(at.attributed, 130u);
  EXPECT_EQ(at.ambiguous_samples, 3u);
  EXPECT_NEAR(at.coverage_pct, 100.0 * 130 / 183, 1e-9);

  ASSERT_TRUE(corr->slow_requests);
  const SlowRequests& sr = *corr->slow_requests;
  // 102 latencies: 90 x 1 ms, 10 x 8 ms, 2 x 20 ms; p99 = the 101st = 20 ms.
  EXPECT_DOUBLE_EQ(sr.latency_threshold_ms, 20.0);
  EXPECT_EQ(sr.slow_requests, 2u);
  EXPECT_EQ(sr.slow_samples, 0u);  // their samples were ambiguous
  EXPECT_DOUBLE_EQ(sr.median_low_ms, 1.0);
  EXPECT_EQ(sr.median_samples, 90u);
}

// Thread-per-connection: connection 1 (thread 10) sends a 20 ms request every
// 40 ms that burns (a sample every ms); connection 2 (thread 11) a 0.5 ms
// request every 2 ms, offset by 0.3 ms so that no burn sample falls inside
// one. Half of connection 2's samples are taken during a burn: ambiguous by
// time alone. Each thread's connection was in flight at all of its samples,
// the other connection at none (thread 10) or half (thread 11): both threads
// serve one connection and every sample inside a request is attributed.
TEST(Correlation, ThreadsServingOneConnectionResolveOverlaps) {
  capture::Capture c = base_capture(1);
  for (uint64_t i = 0; i < 25; ++i) {
    const uint64_t t = kStart + i * 40 * kMs;
    add_request(c, t, 20 * kMs, 0, 1);
    add_samples(c, t + 1, t + 20 * kMs, 0, 20, 10);
  }
  for (uint64_t i = 0; i < 500; ++i) {
    const uint64_t t = kStart + i * 2 * kMs + 300'000;
    add_request(c, t, kMs / 2, 0, 2);
    add_samples(c, t + 1, t + kMs / 2, 1, 1, 11);
  }
  const auto corr = correlate(c);
  ASSERT_TRUE(corr);
  const Attribution& at = corr->attribution;
  EXPECT_EQ(at.dedicated_threads, 2u);
  EXPECT_EQ(at.cpu_samples, 1000u);
  EXPECT_EQ(at.in_requests, 1000u);
  EXPECT_EQ(at.attributed, 1000u);
  EXPECT_EQ(at.attributed_by_thread, 1000u);
  EXPECT_EQ(at.ambiguous_samples, 0u);
  // p99 of 500 x 0.5 ms and 25 x 20 ms is 20 ms: the burning requests, all burn.
  ASSERT_TRUE(corr->slow_requests);
  EXPECT_EQ(corr->slow_requests->slow_requests, 25u);
  EXPECT_EQ(corr->slow_requests->functions.front().frame, "burn");
  EXPECT_NEAR(corr->slow_requests->functions.front().slow_share_pct, 100.0, 1e-9);
}

// Off-CPU time joins the requests through the thread serving their
// connection: connection 1's 20 ms requests (thread 10) run 5 ms and wait
// 15 ms on a lock; connection 2's 0.5 ms requests (thread 11) wait 0.1 ms in
// the run queue; thread 12 sleeps the whole second and serves no request.
TEST(Correlation, OffCpuTimeOfAThreadServingOneConnectionGoesToItsRequest) {
  capture::Capture c = base_capture(1);
  const auto interval = [&](uint64_t from, uint64_t to, uint32_t tid, capture::StackId stack,
                            capture::OffCpuReason reason) {
    capture::OffCpuInterval o;
    o.start_ns = from;
    o.end_ns = to;
    o.pid = 7;
    o.tid = tid;
    o.stack = stack;
    o.reason = reason;
    c.offcpu.push_back(o);
  };
  for (uint64_t i = 0; i < 25; ++i) {
    const uint64_t t = kStart + i * 40 * kMs;
    add_request(c, t, 20 * kMs, 0, 1);
    add_samples(c, t + 1, t + 5 * kMs, 0, 5, 10);
    interval(t + 5 * kMs, t + 20 * kMs, 10, 3, capture::OffCpuReason::lock);
  }
  for (uint64_t i = 0; i < 500; ++i) {
    const uint64_t t = kStart + i * 2 * kMs + 300'000;
    add_request(c, t, kMs / 2, 0, 2);
    add_samples(c, t + 1, t + kMs / 2, 1, 1, 11);
    interval(t + 200'000, t + 300'000, 11, 1, capture::OffCpuReason::runqueue);
  }
  interval(kStart, kStart + kSec, 12, 2, capture::OffCpuReason::sleep);
  const auto corr = correlate(c);
  ASSERT_TRUE(corr);
  const Attribution& at = corr->attribution;
  EXPECT_EQ(at.dedicated_threads, 2u);
  EXPECT_NEAR(at.offcpu_ms, 375.0 + 50.0 + 1000.0, 1e-6);
  EXPECT_NEAR(at.offcpu_attributed_ms, 375.0 + 50.0, 1e-6);
  ASSERT_TRUE(corr->slow_requests);
  const SlowRequests& sr = *corr->slow_requests;
  EXPECT_EQ(sr.slow_requests, 25u);
  EXPECT_NEAR(sr.slow_offcpu_ms, 375.0, 1e-6);
  EXPECT_NEAR(sr.median_offcpu_ms, 50.0, 1e-6);
  const RequestFunction* lock = nullptr;
  const RequestFunction* runqueue = nullptr;
  for (const auto& f : sr.functions) {
    if (f.frame == "[offcpu:lock]") lock = &f;
    if (f.frame == "[offcpu:runqueue]") runqueue = &f;
  }
  ASSERT_NE(lock, nullptr);
  EXPECT_EQ(lock->kind, "offcpu");
  EXPECT_NEAR(lock->slow_share_pct, 100.0, 1e-9);
  EXPECT_NEAR(lock->median_share_pct, 0.0, 1e-9);
  ASSERT_NE(runqueue, nullptr);
  EXPECT_NEAR(runqueue->growth_pct_points, -100.0, 1e-9);
  // 125 cpu samples at 99 Hz (1263 ms) against 375 ms off the CPU: burn (+100
  // x 0.77) leads the lock (+100 x 0.23).
  EXPECT_EQ(sr.functions.front().frame, "burn");
  EXPECT_EQ(sr.functions.front().kind, "cpu");
  // At 999 Hz the same samples are 125 ms: the lock wait (375 ms) leads.
  c.metadata.frequency_hz = 999;
  const auto at999 = correlate(c);
  ASSERT_TRUE(at999 && at999->slow_requests);
  EXPECT_EQ(at999->slow_requests->functions.front().frame, "[offcpu:lock]");
  EXPECT_EQ(at999->slow_requests->functions.front().kind, "offcpu");
}

// A thread serving one connection blocks on its socket between requests.
// Connection 1's 20 ms requests (thread 10): the bytes arrive 6 ms after the
// driver stamped the start (the wait began before it), the answer is read
// 4 ms after the thread went back to its socket, and in between 5 ms on a
// downstream socket begin and end inside the request. Only that 5 ms is the
// request's; the 10 ms across its edges is the client's. The first request
// opened the connection: its thread's first wait (4 ms, for the bytes) is
// inside it and the client's too.
TEST(Correlation, ASocketWaitAcrossARequestsEdgeIsTheClientsNotTheRequests) {
  capture::Capture c = base_capture(1);
  const auto interval = [&](uint64_t from, uint64_t to) {
    capture::OffCpuInterval o;
    o.start_ns = from;
    o.end_ns = to;
    o.pid = 7;
    o.tid = 10;
    o.stack = 1;
    o.reason = capture::OffCpuReason::network;
    c.offcpu.push_back(o);
  };
  uint64_t previous_end = kStart;
  for (uint64_t i = 0; i < 25; ++i) {
    const uint64_t t = kStart + i * 40 * kMs + kMs;
    add_request(c, t, 20 * kMs, 0, 1);
    if (i == 0) c.requests.back().connect_ns = kMs;
    interval(i == 0 ? t + 2 * kMs : previous_end, t + 6 * kMs);  // waiting for the request to arrive
    add_samples(c, t + 6 * kMs, t + 8 * kMs, 0, 2, 10);
    interval(t + 8 * kMs, t + 13 * kMs);  // a downstream call inside the request
    add_samples(c, t + 13 * kMs, t + 16 * kMs, 0, 3, 10);
    previous_end = t + 16 * kMs;  // answered; the driver reads it at t + 20 ms
  }
  const auto corr = correlate(c);
  ASSERT_TRUE(corr);
  const Attribution& at = corr->attribution;
  EXPECT_EQ(at.dedicated_threads, 1u);
  EXPECT_NEAR(at.offcpu_attributed_ms, 25 * 5.0, 1e-6);
  EXPECT_NEAR(at.offcpu_client_wait_ms, 24 * 10.0 + 4.0, 1e-6);
}

// An event loop: one thread serves both connections (connection 1 in flight
// at 75 % of its samples inside requests, connection 2 at 50 %), so it is not
// taken for one connection's: connection 2's samples during a burn (250) stay
// unattributed, the rest are attributed by time.
TEST(Correlation, AnEventLoopThreadIsNotTakenForOneConnection) {
  capture::Capture c = base_capture(1);
  for (uint64_t i = 0; i < 25; ++i) {
    const uint64_t t = kStart + i * 40 * kMs;
    add_request(c, t, 20 * kMs, 0, 1);
    add_samples(c, t + 1, t + 20 * kMs, 0, 20, 7);
  }
  for (uint64_t i = 0; i < 500; ++i) {
    const uint64_t t = kStart + i * 2 * kMs + 300'000;
    add_request(c, t, kMs / 2, 0, 2);
    add_samples(c, t + 1, t + kMs / 2, 1, 1, 7);
  }
  const auto corr = correlate(c);
  ASSERT_TRUE(corr);
  const Attribution& at = corr->attribution;
  EXPECT_EQ(at.dedicated_threads, 0u);
  EXPECT_EQ(at.attributed_by_thread, 0u);
  EXPECT_EQ(at.ambiguous_samples, 250u);
  EXPECT_EQ(at.attributed_by_time, 750u);
}

// A backend thread answering one connection's queries follows its requests as
// closely as the thread serving it: thread 10 burns 10 samples in each of
// connection 1's 25 requests, thread 20 takes 2 in each and waits on its
// socket the whole second. Only thread 10 serves the connection; thread 20's
// wait runs beside the requests and is not theirs (it would count their time
// twice: 1000 ms of waiting in 500 ms of requests).
TEST(Correlation, ACompanionThreadOfAConnectionIsNotGivenItsRequests) {
  capture::Capture c = base_capture(1);
  for (uint64_t i = 0; i < 25; ++i) {
    const uint64_t t = kStart + i * 40 * kMs;
    add_request(c, t, 20 * kMs, 0, 1);
    add_samples(c, t + 1, t + 20 * kMs, 0, 10, 10);
    add_samples(c, t + 2, t + 20 * kMs, 1, 2, 20);
  }
  capture::OffCpuInterval wait;
  wait.start_ns = kStart;
  wait.end_ns = kStart + kSec;
  wait.pid = 7;
  wait.tid = 20;
  wait.stack = 1;
  wait.reason = capture::OffCpuReason::network;
  c.offcpu.push_back(wait);
  const auto corr = correlate(c);
  ASSERT_TRUE(corr);
  const Attribution& at = corr->attribution;
  EXPECT_EQ(at.dedicated_threads, 1u);
  EXPECT_EQ(at.companion_threads, 1u);
  EXPECT_NEAR(at.offcpu_attributed_ms, 0.0, 1e-9);
  // Its samples are still the requests' by time (one request in flight).
  EXPECT_EQ(at.attributed_by_thread, 250u);
  EXPECT_EQ(at.attributed_by_time, 50u);
}

// Two endpoints of a mix, one after the other on two connections (threads 10
// and 11), at 1000 Hz: "search" (step 0) takes 10 ms, 6 on the CPU in burn
// and 4 waiting for a lock in handle; "home" (step 1) takes 2 ms, all in
// parse. Each endpoint's time splits by the own function nearest the leaf
// (futex_wait is the kernel's: handle is named) and the reason.
TEST(Correlation, EndpointsSplitEachStepsTimeByFunctionAndReason) {
  capture::Capture c = base_capture(1);
  c.metadata.frequency_hz = 1000;
  capture::LoadRun run;
  run.summary_json = R"({"scenario": {"steps": [{"name": "search"}, {"name": "home"}]}})";
  c.load = run;
  for (uint64_t i = 0; i < 40; ++i) {
    const uint64_t t = kStart + i * 20 * kMs;
    add_request(c, t, 10 * kMs, 0, 1);
    add_samples(c, t + 1, t + 6 * kMs, 0, 6, 10);
    capture::OffCpuInterval o;
    o.start_ns = t + 6 * kMs;
    o.end_ns = t + 10 * kMs;
    o.pid = 7;
    o.tid = 10;
    o.stack = 3;
    o.reason = capture::OffCpuReason::lock;
    c.offcpu.push_back(o);
    add_request(c, t + 12 * kMs, 2 * kMs, 0, 2);
    c.requests.back().step = 1;
    add_samples(c, t + 12 * kMs + 1, t + 14 * kMs, 1, 2, 11);
  }
  const auto corr = correlate(c);
  ASSERT_TRUE(corr);
  ASSERT_EQ(corr->endpoints.size(), 2u);
  const Endpoint& search = corr->endpoints[0];
  EXPECT_EQ(search.name, "search");
  EXPECT_EQ(search.requests, 40u);
  EXPECT_NEAR(search.mean_ms, 10.0, 1e-9);
  EXPECT_NEAR(search.share_of_all_pct, 100.0 * 400 / 480, 1e-9);
  EXPECT_NEAR(search.attributed_pct, 100.0, 1e-9);
  ASSERT_EQ(search.parts.size(), 2u);
  EXPECT_EQ(search.parts[0].kind, "cpu");
  EXPECT_EQ(search.parts[0].frame, "burn");
  EXPECT_NEAR(search.parts[0].share_pct, 60.0, 1e-9);
  EXPECT_EQ(search.parts[1].kind, "lock");
  EXPECT_EQ(search.parts[1].frame, "handle");
  EXPECT_NEAR(search.parts[1].share_pct, 40.0, 1e-9);
  const Endpoint& home = corr->endpoints[1];
  EXPECT_EQ(home.name, "home");
  ASSERT_EQ(home.parts.size(), 1u);
  EXPECT_EQ(home.parts[0].frame, "parse");
  EXPECT_NEAR(home.parts[0].share_pct, 100.0, 1e-9);
  // One step is no mix: no endpoints.
  for (auto& r : c.requests) r.step = 0;
  EXPECT_TRUE(correlate(c)->endpoints.empty());
}

TEST(Correlation, WarmupRequestsAreLeftOut) {
  capture::Capture c = planted();
  add_request(c, kStart + 100 * kMs, 900 * kMs, 0xFFFF);
  const auto corr = correlate(c);
  ASSERT_TRUE(corr);
  EXPECT_EQ(corr->warmup_requests, 1u);
  EXPECT_EQ(corr->requests, 1000u);
  EXPECT_TRUE(corr->stages.empty());
}

TEST(Correlation, SlowRequestsLeadWithTheirFunction) {
  const capture::Capture c = slow_request_planted();
  const auto corr = correlate(c);
  ASSERT_TRUE(corr);
  ASSERT_TRUE(corr->slow_requests);
  const SlowRequests& sr = *corr->slow_requests;
  EXPECT_EQ(sr.slow_requests, 4u);
  EXPECT_EQ(sr.slow_samples, 36u);
  EXPECT_EQ(sr.median_samples, sr.median_requests);
  ASSERT_FALSE(sr.functions.empty());
  EXPECT_EQ(sr.functions.front().frame, "burn");
  EXPECT_NEAR(sr.functions.front().slow_share_pct, 800.0 / 9, 1e-9);
  EXPECT_NEAR(sr.functions.front().median_share_pct, 0.0, 1e-9);
  EXPECT_EQ(sr.functions.back().frame, "parse");
  uint64_t burn = 0;
  for (const auto& l : corr->slow_requests_folded)
    if (l.stack == "server;main;handle;burn") burn = l.count;
  EXPECT_EQ(burn, 32u);
  for (const auto& l : corr->median_requests_folded) EXPECT_EQ(l.stack.find("burn"), std::string::npos);
}

// The handler that calls burn is in every slow sample and in no median one
// (those are noise;main): it grows 100 points, burn 94.7. Both are within 90 %
// of the top; burn, the narrower (94.7 % of the slow samples against 100 %),
// is what the growth is made of and comes first.
TEST(Correlation, TheFunctionThatGrewLeadsItsCallers) {
  capture::Capture c = base_capture(2);
  for (uint64_t i = 0; i < 200; ++i) {
    const uint64_t t = kStart + i * 10 * kMs;
    const bool slow = i % 50 == 0;
    add_request(c, t, slow ? 9 * kMs : 1 * kMs);
    if (slow) {
      add_samples(c, t + 1, t + 9 * kMs, 0, 18);
      add_samples(c, t + 2, t + 9 * kMs, 1, 1);
    } else {
      add_samples(c, t + 1, t + kMs, 2, 1);
    }
  }
  const auto corr = correlate(c);
  ASSERT_TRUE(corr);
  ASSERT_TRUE(corr->slow_requests);
  const auto& fs = corr->slow_requests->functions;
  ASSERT_GE(fs.size(), 2u);
  EXPECT_EQ(fs[0].frame, "burn");
  EXPECT_NEAR(fs[0].growth_pct_points, 1800.0 / 19, 1e-9);
  EXPECT_EQ(fs[1].frame, "handle");
  EXPECT_NEAR(fs[1].growth_pct_points, 100.0, 1e-9);
}

// A caller that only calls the function that grew has the same shares: the
// callee leads, whatever the names ("a_caller" sorts before "burn").
TEST(Correlation, TheCalleeLeadsACallerWithTheSameShares) {
  capture::Capture c = slow_request_planted();
  c.frames[1].function = "a_caller";  // handle
  c.stacks[0] = {{2, 1, 0}, false};   // burn;a_caller;main
  c.stacks[1] = {{3, 0}, false};      // parse;main: the median requests' samples
  const auto corr = correlate(c);
  ASSERT_TRUE(corr);
  ASSERT_TRUE(corr->slow_requests);
  const auto& fs = corr->slow_requests->functions;
  ASSERT_GE(fs.size(), 2u);
  EXPECT_EQ(fs[0].frame, "burn");
  EXPECT_EQ(fs[1].frame, "a_caller");
  EXPECT_EQ(fs[0].growth_pct_points, fs[1].growth_pct_points);
}

TEST(Correlation, StagesGetTheirOwnWindows) {
  capture::Capture c = base_capture(4);
  for (uint64_t i = 0; i < 100; ++i) add_request(c, kStart + i * 20 * kMs, 1 * kMs, 0);  // 0..2 s, 50 rps
  for (uint64_t i = 0; i < 400; ++i)
    add_request(c, kStart + 2 * kSec + i * 5 * kMs, 4 * kMs, 1);  // 2..4 s, 200 rps
  const auto corr = correlate(c);
  ASSERT_TRUE(corr);
  ASSERT_EQ(corr->stages.size(), 2u);
  EXPECT_EQ(corr->stages[1].stage, 1u);
  EXPECT_EQ(corr->stages[1].requests, 400u);
  EXPECT_NEAR(corr->stages[0].throughput_rps, 100 / 1.981, 0.01);
  EXPECT_NEAR(corr->stages[1].throughput_rps, 400 / 1.999, 0.01);
  EXPECT_DOUBLE_EQ(*corr->stages[1].p99_ms, 4.0);
  EXPECT_NEAR(corr->stages[1].t_s, 2.0, 1e-9);
}

}  // namespace
}  // namespace loadprof::analyze
