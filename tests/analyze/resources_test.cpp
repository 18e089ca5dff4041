// The resource timeline and target_cpu_pct over hand-built readings whose
// intervals straddle seconds: deltas spread in proportion, gauges from the
// last reading of each second.
#include "loadprof/analyze/resources.h"

#include <gtest/gtest.h>

#include "loadprof/analyze/target_cpu.h"

namespace loadprof::analyze {
namespace {

constexpr uint64_t kS0 = 5'000'000'000'000, kSec = 1'000'000'000, kMiB = 1 << 20;

capture::ResourceSample machine(uint64_t t, uint64_t interval, uint64_t cpu_ns) {
  capture::ResourceSample r;
  r.time_ns = t;
  r.pid = capture::kMachinePid;
  r.interval_ns = interval;
  r.cpu_ns = cpu_ns;
  r.rss_bytes = 1000 * kMiB + t - kS0;
  r.available_bytes = 3000 * kMiB;
  return r;
}

capture::ResourceSample proc(uint64_t t, uint64_t interval, uint64_t cpu_ns, uint64_t write, uint64_t vol,
                             uint64_t rss, uint32_t threads) {
  capture::ResourceSample r;
  r.time_ns = t;
  r.pid = 100;
  r.interval_ns = interval;
  r.cpu_ns = cpu_ns;
  r.write_bytes = write;
  r.voluntary_ctxsw = vol;
  r.ctxsw_known = true;
  r.rss_bytes = rss;
  r.threads = threads;
  r.fds = threads + 2;
  return r;
}

capture::Capture readings() {
  capture::Capture c;
  c.metadata.start_monotonic_ns = kS0;
  c.metadata.cpu_count = 2;
  const uint64_t half = kSec / 2;
  c.resources = {machine(kS0, 0, 0),
                 proc(kS0, 0, 0, 0, 0, 10 * kMiB, 1),
                 machine(kS0 + kSec + half, kSec + half, kSec + half),  // 1.5 s of 2 CPUs, half busy
                 proc(kS0 + kSec + half, kSec + half, 3 * half / 2, 3000, 300, 20 * kMiB, 2),
                 machine(kS0 + 2 * kSec + half, kSec, 2 * kSec),  // both CPUs busy
                 proc(kS0 + 2 * kSec + half, kSec, kSec, 1000, 100, 30 * kMiB, 3)};
  return c;
}

TEST(ResourceTimeline, DeltasSpreadOverTheSecondsTheyCoverAndGaugesTakeTheLastReading) {
  auto rows = resource_timeline(readings());
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].t_s, 0u);
  EXPECT_NEAR(rows[0].cpu_pct, 50.0, 0.01);
  EXPECT_NEAR(rows[0].machine_cpu_pct, 50.0, 0.01);
  EXPECT_EQ(rows[0].write_bytes, 2000u);
  EXPECT_EQ(rows[0].voluntary_ctxsw, 200u);
  EXPECT_EQ(rows[0].rss_bytes, 10 * kMiB);
  EXPECT_EQ(rows[0].threads, 1u);
  EXPECT_EQ(rows[0].processes, 1u);
  // Second 1: half of the 1.5-s reading, half of the 1-s one.
  EXPECT_NEAR(rows[1].cpu_pct, 75.0, 0.01);
  EXPECT_NEAR(rows[1].machine_cpu_pct, 75.0, 0.01);
  EXPECT_EQ(rows[1].write_bytes, 1500u);
  EXPECT_EQ(rows[1].voluntary_ctxsw, 150u);
  EXPECT_EQ(rows[1].rss_bytes, 20 * kMiB);
  EXPECT_EQ(rows[1].threads, 2u);
  EXPECT_EQ(rows[1].fds, 4u);
  // Second 2, read for its first half only: rates over the half read.
  EXPECT_NEAR(rows[2].cpu_pct, 100.0, 0.01);
  EXPECT_NEAR(rows[2].machine_cpu_pct, 100.0, 0.01);
  EXPECT_EQ(rows[2].write_bytes, 500u);
  EXPECT_EQ(rows[2].rss_bytes, 30 * kMiB);
  EXPECT_EQ(rows[2].machine_mem_available_bytes, 3000 * kMiB);
  EXPECT_EQ(rows[2].machine_mem_used_bytes, 1000 * kMiB + 2 * kSec + kSec / 2);
  EXPECT_EQ(rows[2].involuntary_ctxsw, 0u);
}

TEST(ResourceTimeline, UnknownContextSwitchesAreAbsentAndNoReadingsNoRows) {
  auto c = readings();
  for (auto& r : c.resources) r.ctxsw_known = false;
  auto rows = resource_timeline(c);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_FALSE(rows[1].voluntary_ctxsw.has_value());
  c.resources.clear();
  EXPECT_TRUE(resource_timeline(c).empty());
}

TEST(TargetCpu, MeanOverASpanOfTheReadings) {
  const auto c = readings();
  auto all = target_cpu_pct(c, kS0, kS0 + 2 * kSec + kSec / 2);
  ASSERT_TRUE(all);
  EXPECT_NEAR(*all, 70.0, 0.01);  // 1.75 s of CPU in 2.5 s
  auto last = target_cpu_pct(c, kS0 + 2 * kSec, kS0 + 2 * kSec + kSec / 2);
  ASSERT_TRUE(last);
  EXPECT_NEAR(*last, 100.0, 0.01);
  // Past the last reading: only the part that was read counts; nothing read at all -> none.
  auto tail = target_cpu_pct(c, kS0 + 2 * kSec, kS0 + 10 * kSec);
  ASSERT_TRUE(tail);
  EXPECT_NEAR(*tail, 100.0, 0.01);
  EXPECT_FALSE(target_cpu_pct(c, kS0 + 5 * kSec, kS0 + 6 * kSec));
  EXPECT_FALSE(target_cpu_pct(c, kS0 + 2 * kSec, kS0 + 2 * kSec));
}

}  // namespace
}  // namespace loadprof::analyze
