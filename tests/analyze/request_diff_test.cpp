// Latency and throughput diff of two request logs: a planted 2x slowdown is a
// regression with an interval that excludes 0; two runs drawn from the same
// distribution are not called different (false alarms counted over 40 pairs);
// stages line up by index; captures without requests say why; a capture
// from a machine whose monotonic clock differs lines up by its load start; a
// change below kMinLatencyChangeMs, or on a shared machine without a change
// of the service's CPU per request, does not count.
#include "loadprof/analyze/request_diff.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <random>

#include "loadprof/capture/reader.h"
#include "loadprof/capture/writer.h"

namespace loadprof::analyze {
namespace {

// `seconds` seconds at `rate` req/s; latencies lognormal around median_ms,
// with a slow second now and then (the server's state shared by a second's
// requests), stages of equal length.
capture::Capture run(uint64_t seed, double median_ms, int seconds = 30, int rate = 200, int stages = 1) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> lat(std::log(median_ms * 1e6), 0.4);
  std::bernoulli_distribution slow_second(0.1);
  capture::Capture c;
  const uint64_t t0 = 1'000'000'000'000;
  c.metadata.start_monotonic_ns = t0;
  c.load = capture::LoadRun{};
  for (int s = 0; s < stages; ++s)
    c.load->stages.push_back({t0 + uint64_t(s) * seconds / stages * 1'000'000'000ull,
                              t0 + uint64_t(s + 1) * seconds / stages * 1'000'000'000ull});
  for (int sec = 0; sec < seconds; ++sec) {
    const double factor = slow_second(rng) ? 3.0 : 1.0;
    for (int i = 0; i < rate; ++i) {
      capture::RequestRecord r;
      r.intended_start_ns = t0 + uint64_t(sec) * 1'000'000'000ull + uint64_t(i) * (1'000'000'000ull / rate);
      r.actual_start_ns = r.intended_start_ns;
      r.end_ns = r.intended_start_ns + static_cast<uint64_t>(lat(rng) * factor);
      r.status = 200;
      r.stage = static_cast<uint16_t>(sec * stages / seconds);
      c.requests.push_back(r);
    }
  }
  return c;
}

const LatencyChange* find(const RequestDiff& d, const std::string& metric, std::optional<int> stage) {
  for (const auto& c : d.latency)
    if (c.metric == metric && c.stage == stage) return &c;
  return nullptr;
}

TEST(RequestDiff, PlantedTwofoldSlowdownIsARegression) {
  std::string note;
  auto d = diff_requests(run(1, 1.0), run(2, 2.0), 5, 0.05, note, 1000);
  ASSERT_TRUE(d.has_value()) << note;
  EXPECT_EQ(d->verdict, Verdict::regression);
  const auto* p50 = find(*d, "p50", std::nullopt);
  ASSERT_NE(p50, nullptr);
  EXPECT_NEAR(p50->change_pct, 100, 15);
  EXPECT_TRUE(p50->significant);
  EXPECT_GT(p50->ci95_low_pct, 50);
  EXPECT_LT(p50->ci95_low_pct, p50->change_pct);
  EXPECT_GT(p50->ci95_high_pct, p50->change_pct);
  EXPECT_EQ(p50->verdict, Verdict::regression);
  // The same rate on both sides: throughput unchanged.
  EXPECT_NEAR(d->throughput.change_pct, 0, 1);
  EXPECT_EQ(d->throughput.verdict, Verdict::no_change);
}

TEST(RequestDiff, SameDistributionRarelyCalledDifferent) {
  int alarms = 0;
  for (uint64_t i = 0; i < 40; ++i) {
    std::string note;
    auto d = diff_requests(run(100 + 2 * i, 1.0), run(101 + 2 * i, 1.0), 5, 0.05, note, 500, i + 1);
    ASSERT_TRUE(d.has_value());
    if (d->verdict != Verdict::no_change) ++alarms;
  }
  // alpha 0.05 family-wise: about 2 of 40 at most by design; 5 would say the intervals are too narrow.
  EXPECT_LE(alarms, 4);
}

TEST(RequestDiff, StagesLineUpByIndexOrAreSaidNotTo) {
  std::string note;
  auto d = diff_requests(run(3, 1.0, 30, 200, 3), run(4, 1.0, 30, 200, 3), 5, 0.05, note, 200);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->comparisons, 16u);  // 4 percentiles x (whole run + 3 stages)
  EXPECT_NE(find(*d, "p99", 3), nullptr);
  auto e = diff_requests(run(3, 1.0, 30, 200, 3), run(4, 1.0, 30, 200, 2), 5, 0.05, note, 200);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->comparisons, 4u);
  EXPECT_NE(e->stages_note.find("base has 3, new 2"), std::string::npos);
}

TEST(RequestDiff, WarmupLeftOutAndNoRequestsSaysWhy) {
  auto base = run(5, 1.0, 10);
  auto next = base;
  // A warmup before the same run, 10x slower: it must not count.
  for (const auto& r : base.requests) {
    if (r.intended_start_ns >= base.metadata.start_monotonic_ns + 2'000'000'000) break;
    auto w = r;
    w.stage = 0xFFFF;
    w.end_ns = w.intended_start_ns + (r.end_ns - r.intended_start_ns) * 10;
    next.requests.push_back(w);
  }
  std::string note;
  auto d = diff_requests(base, next, 5, 0.05, note, 300);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->new_requests, d->base_requests);
  for (const auto& c : d->latency) EXPECT_DOUBLE_EQ(c.change_pct, 0) << c.metric;
  EXPECT_EQ(d->verdict, Verdict::no_change);
  capture::Capture empty;
  EXPECT_FALSE(diff_requests(base, empty, 5, 0.05, note, 100).has_value());
  EXPECT_NE(note.find("new has none"), std::string::npos) << note;
}

// The machine around a run: other processes took `other_pct` of the
// target's CPU (CpuAccounting, 100 samples a second), and the target spent
// cpu_ms_per_request on each request (/proc readings once a second, +-5 %).
void on_a_machine(capture::Capture& c, double other_pct, double cpu_ms_per_request, int seconds = 30,
                  int rate = 200) {
  const uint64_t t0 = c.metadata.start_monotonic_ns;
  c.load->measured_start_ns = t0;
  c.load->measured_end_ns = t0 + uint64_t(seconds) * 1'000'000'000ull;
  for (int sec = 0; sec < seconds; ++sec) {
    capture::CpuAccounting a;
    a.second_ns = t0 + uint64_t(sec) * 1'000'000'000ull;
    a.cpu = 1;
    a.target = 20;
    a.other = static_cast<uint64_t>(other_pct);
    a.idle = 100 - a.target - std::min<uint64_t>(a.other, 80);
    c.cpu_accounting.push_back(a);
    capture::ResourceSample r;
    r.time_ns = t0 + uint64_t(sec + 1) * 1'000'000'000ull;
    r.pid = 100;
    r.interval_ns = 1'000'000'000;
    r.cpu_ns = static_cast<uint64_t>(rate * cpu_ms_per_request * 1e6 * (sec % 2 ? 1.05 : 0.95));
    c.resources.push_back(r);
  }
}

TEST(RequestDiff, OnASharedMachineLatencyCountsOnlyWithTheServicesCpuPerRequest) {
  std::string note;
  // Other processes took 80 % of the target's CPUs; latency doubled.
  auto base = run(1, 1.0), busier = run(2, 2.0), slower = run(2, 2.0);
  on_a_machine(base, 80, 0.5);
  on_a_machine(busier, 80, 0.5);  // the same work per request: the machine, not the build
  on_a_machine(slower, 80, 1.0);  // twice the work per request: the build
  auto held = diff_requests(base, busier, 5, 0.05, note, 500);
  ASSERT_TRUE(held.has_value()) << note;
  EXPECT_TRUE(held->gate.shared_machine);
  ASSERT_TRUE(held->gate.cost.has_value());
  EXPECT_NEAR(held->gate.cost->change_pct, 0, 5);
  EXPECT_FALSE(held->gate.regressions_count);
  EXPECT_NE(held->gate.why.find("shared machine"), std::string::npos) << held->gate.why;
  const auto* p50 = find(*held, "p50", std::nullopt);
  ASSERT_NE(p50, nullptr);
  EXPECT_GT(p50->ci95_low_pct, 50);  // the interval rule alone would call it
  EXPECT_TRUE(p50->held_back);
  EXPECT_EQ(p50->verdict, Verdict::no_change);
  EXPECT_EQ(held->verdict, Verdict::no_change);

  auto counted = diff_requests(base, slower, 5, 0.05, note, 500);
  ASSERT_TRUE(counted.has_value()) << note;
  ASSERT_TRUE(counted->gate.cost.has_value());
  EXPECT_NEAR(counted->gate.cost->change_pct, 100, 10);
  EXPECT_GT(counted->gate.cost->ci95_low_pct, 5);
  EXPECT_TRUE(counted->gate.regressions_count);
  EXPECT_EQ(counted->gate.cost_verdict, Verdict::regression);
  EXPECT_EQ(held->gate.cost_verdict, Verdict::no_change);
  EXPECT_EQ(counted->verdict, Verdict::regression);

  // A machine of its own (other processes 2 %): latency stands alone.
  auto quiet_base = run(1, 1.0), quiet_new = run(2, 2.0);
  on_a_machine(quiet_base, 2, 0.5);
  on_a_machine(quiet_new, 2, 0.5);
  auto quiet = diff_requests(quiet_base, quiet_new, 5, 0.05, note, 500);
  ASSERT_TRUE(quiet.has_value()) << note;
  EXPECT_FALSE(quiet->gate.shared_machine);
  EXPECT_TRUE(quiet->gate.why.empty());
  EXPECT_EQ(quiet->verdict, Verdict::regression);
}

TEST(RequestDiff, AChangeBelowTheFloorInMillisecondsIsNoRegression) {
  std::string note;
  // 0.1 -> 0.15 ms: +50 %, its interval far beyond 5 %, but 0.05 ms is scheduling noise.
  auto d = diff_requests(run(1, 0.1), run(2, 0.15), 5, 0.05, note, 500);
  ASSERT_TRUE(d.has_value()) << note;
  const auto* p50 = find(*d, "p50", std::nullopt);
  ASSERT_NE(p50, nullptr);
  EXPECT_GT(p50->ci95_low_pct, 20);
  EXPECT_TRUE(p50->significant);
  EXPECT_EQ(p50->verdict, Verdict::no_change);
  // 0.4 -> 0.8 ms at p50: beyond it.
  auto e = diff_requests(run(1, 0.4), run(2, 0.8), 5, 0.05, note, 500);
  ASSERT_TRUE(e.has_value()) << note;
  EXPECT_EQ(find(*e, "p50", std::nullopt)->verdict, Verdict::regression);
}

// The same run as recorded on another machine: every monotonic time moved by
// `shift_ns` (booted earlier), the wall clock the same, written with the
// capture writer and read back.
capture::Capture on_another_machine(const capture::Capture& c, uint64_t shift_ns, const std::string& path) {
  capture::Capture moved = c;
  moved.metadata.start_monotonic_ns += shift_ns;
  for (auto& p : moved.clock_sync) p.monotonic_ns += shift_ns;
  moved.load->measured_start_ns += shift_ns;
  moved.load->measured_end_ns += shift_ns;
  for (auto& st : moved.load->stages) st.start_ns += shift_ns, st.end_ns += shift_ns;
  for (auto& r : moved.requests) {
    r.intended_start_ns += shift_ns;
    r.actual_start_ns += shift_ns;
    r.end_ns += shift_ns;
  }
  EXPECT_TRUE(static_cast<bool>(capture::write_whole_capture(path, moved)));
  auto back = capture::read_capture(path);
  EXPECT_TRUE(static_cast<bool>(back));
  std::remove(path.c_str());
  return back ? *back : moved;
}

TEST(RequestDiff, CapturesFromMachinesWithOtherMonotonicClocksLineUpByTheirLoadStart) {
  // Ten seconds at 200 req/s; second 3 of the load is slow (every request 20 ms).
  capture::Capture base = run(7, 1.0, 10);
  const uint64_t t0 = base.metadata.start_monotonic_ns;
  base.metadata.start_realtime_ns = 1'790'000'000'000'000'000;
  base.clock_sync.push_back({t0 + 10'000'000'000ull, base.metadata.start_realtime_ns + 10'000'000'000ull});
  base.load->measured_start_ns = t0;
  base.load->measured_end_ns = t0 + 10'000'000'000ull;
  for (auto& r : base.requests)
    if (r.intended_start_ns >= t0 + 3'000'000'000ull && r.intended_start_ns < t0 + 3'900'000'000ull)
      r.end_ns = r.intended_start_ns + 20'000'000;
  // The new run: the same requests, its load started 0.4 s after its capture
  // did, on a machine up for 3 days longer.
  capture::Capture later = base;
  const uint64_t delay_ns = 400'000'000;
  for (auto& r : later.requests)
    r.intended_start_ns += delay_ns, r.actual_start_ns += delay_ns, r.end_ns += delay_ns;
  later.load->measured_start_ns += delay_ns;
  later.load->measured_end_ns += delay_ns;
  for (auto& st : later.load->stages) st.start_ns += delay_ns, st.end_ns += delay_ns;
  const uint64_t shift_ns = 3ull * 86400 * 1'000'000'000;
  const std::string path = "/tmp/loadprof_request_diff_clock." + std::to_string(getpid()) + ".lpc";
  capture::Capture next = on_another_machine(later, shift_ns, path);
  ASSERT_EQ(next.requests.size(), base.requests.size());
  ASSERT_EQ(next.requests[0].end_ns, base.requests[0].end_ns + shift_ns + delay_ns);

  std::string note;
  auto d = diff_requests(base, next, 5, 0.05, note, 300);
  ASSERT_TRUE(d.has_value()) << note;
  // The wall clock says when each load started, through the clock pairs.
  ASSERT_TRUE(d->base_clock.load_start_realtime_ns.has_value());
  ASSERT_TRUE(d->new_clock.load_start_realtime_ns.has_value());
  EXPECT_EQ(*d->new_clock.load_start_realtime_ns - *d->base_clock.load_start_realtime_ns,
            static_cast<int64_t>(delay_ns));
  EXPECT_EQ(d->new_clock.load_start_ns - d->base_clock.load_start_ns, shift_ns + delay_ns);
  // Second by second the same run: the slow second is second 3 on both sides.
  ASSERT_GE(d->timeline.size(), 10u);
  for (size_t s = 0; s < 10; ++s) {
    const auto& a = d->timeline[s];
    EXPECT_EQ(a.second, s);
    EXPECT_EQ(a.base_requests, a.new_requests) << "second " << s;
    EXPECT_DOUBLE_EQ(a.base_p99_ms, a.new_p99_ms) << "second " << s;
    if (s == 3) {
      EXPECT_GT(a.base_p99_ms, 15.0);
    } else {
      EXPECT_LT(a.base_p99_ms, 10.0) << "second " << s;
    }
  }
  for (const auto& c : d->latency) EXPECT_DOUBLE_EQ(c.change_pct, 0) << c.metric;
  EXPECT_EQ(d->verdict, Verdict::no_change);
}

}  // namespace
}  // namespace loadprof::analyze
