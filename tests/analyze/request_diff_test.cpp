// Latency and throughput diff of two request logs: a planted 2x slowdown is a
// regression with an interval that excludes 0; two runs drawn from the same
// distribution are not called different (false alarms counted over 40 pairs);
// stages line up by index; captures without requests say why.
#include "loadprof/analyze/request_diff.h"

#include <gtest/gtest.h>

#include <random>

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

}  // namespace
}  // namespace loadprof::analyze
