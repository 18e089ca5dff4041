// Histogram accuracy against exact sorted percentiles, merge, serialization.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "loadprof/stats/histogram.h"
#include "loadprof/stats/timeseries.h"

using loadprof::stats::Histogram;

namespace {
uint64_t exact_quantile(const std::vector<uint64_t>& sorted, double q) {
  auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(sorted.size())));
  if (rank == 0) rank = 1;
  return sorted[rank - 1];
}

double rel_err(uint64_t got, uint64_t want) {
  return std::fabs(static_cast<double>(got) - static_cast<double>(want)) / static_cast<double>(want);
}
}  // namespace

TEST(Histogram, BucketsAreContiguousAndNarrow) {
  for (size_t i = 0; i + 1 < Histogram::kBucketCount; ++i) {
    ASSERT_EQ(Histogram::bucket_upper_ns(i), Histogram::bucket_lower_ns(i + 1)) << i;
    uint64_t lo = Histogram::bucket_lower_ns(i);
    if (lo >= 1000) {
      ASSERT_LE(double(Histogram::bucket_upper_ns(i) - lo) / double(lo), 1.0 / 128 + 1e-12);
    }
  }
  for (uint64_t v : {0ull, 1ull, 255ull, 256ull, 257ull, 1000ull, 123456789ull, 99'999'999'999ull}) {
    size_t i = Histogram::bucket_index(v);
    EXPECT_LE(Histogram::bucket_lower_ns(i), v);
    EXPECT_GT(Histogram::bucket_upper_ns(i), v);
  }
  EXPECT_LT(Histogram::bucket_index(Histogram::kMaxTrackableNs), Histogram::kBucketCount);
}

TEST(Histogram, PercentilesWithinOnePercentOfExactOnRandomData) {
  std::mt19937_64 rng(42);
  // Log-uniform over 1 us .. 100 s, plus a lognormal around 10 ms: both shapes a load run sees.
  std::uniform_real_distribution<double> logu(std::log(1e3), std::log(1e11));
  std::lognormal_distribution<double> logn(std::log(10e6), 0.5);
  for (int shape = 0; shape < 2; ++shape) {
    Histogram h;
    std::vector<uint64_t> vals;
    for (int i = 0; i < 200000; ++i) {
      double x = shape == 0 ? std::exp(logu(rng)) : logn(rng);
      auto v = static_cast<uint64_t>(std::clamp(x, 1e3, 1e11));
      vals.push_back(v);
      h.record(v);
    }
    std::sort(vals.begin(), vals.end());
    double worst = 0;
    for (double q : {0.0001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 0.9999}) {
      double e = rel_err(h.value_at_quantile(q), exact_quantile(vals, q));
      worst = std::max(worst, e);
      EXPECT_LE(e, 0.01) << "shape " << shape << " q " << q;
    }
    EXPECT_LE(worst, 1.0 / 256 + 1e-9);  // the design bound, tighter than 1 %
    EXPECT_EQ(h.max_ns(), vals.back());
    EXPECT_EQ(h.min_ns(), vals.front());
    EXPECT_EQ(h.value_at_quantile(1.0), vals.back());
    EXPECT_EQ(h.count(), vals.size());
  }
}

TEST(Histogram, MergeIsLosslessAcrossThreadsAndSerializeRoundTrips) {
  std::mt19937_64 rng(7);
  std::exponential_distribution<double> ex(1.0 / 5e6);
  Histogram all, parts[4];
  for (int i = 0; i < 100000; ++i) {
    auto v = static_cast<uint64_t>(ex(rng)) + 1000;
    all.record(v);
    parts[i % 4].record(v);
  }
  Histogram merged;
  for (auto& p : parts) {
    auto bytes = p.serialize();
    auto back = Histogram::deserialize(bytes);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_TRUE(*back == p);
    merged.merge(*back);
  }
  EXPECT_TRUE(merged == all);
  for (double q : {0.5, 0.99, 0.999}) EXPECT_EQ(merged.value_at_quantile(q), all.value_at_quantile(q));
  EXPECT_LT(all.serialize().size(), 6000u);  // sparse: far below 4096 * 8 bytes
}

TEST(Histogram, RejectsCorruptBytes) {
  Histogram h;
  h.record(12345);
  h.record(99999);
  std::string b = h.serialize();
  EXPECT_FALSE(Histogram::deserialize("").ok());
  EXPECT_FALSE(Histogram::deserialize(b.substr(0, b.size() - 1)).ok());
  EXPECT_FALSE(Histogram::deserialize(b + "x").ok());
  std::string wrong = b;
  wrong[0] ^= 0x5;
  EXPECT_FALSE(Histogram::deserialize(wrong).ok());
}

TEST(Histogram, ClampsHugeValuesButKeepsExactMax) {
  Histogram h;
  h.record(500'000'000'000ull);
  h.record(0);
  EXPECT_EQ(h.max_ns(), 500'000'000'000ull);
  EXPECT_EQ(h.min_ns(), 0u);
  EXPECT_EQ(h.value_at_quantile(1.0), 500'000'000'000ull);
  Histogram empty;
  EXPECT_EQ(empty.value_at_quantile(0.99), 0u);
}

TEST(TimeSeries, MergesSecondsAcrossThreads) {
  loadprof::stats::TimeSeries a, b;
  Histogram h1, h2;
  for (int i = 1; i <= 100; ++i) h1.record(i * 1'000'000ull);  // 1..100 ms
  for (int i = 0; i < 50; ++i) h2.record(200'000'000ull);
  a.add_second(0, h1, 100, 3, 1);
  b.add_second(0, h2, 50, 2, 0);
  b.add_second(2, h1, 100, 0, 5);
  a.merge(b);
  auto pts = a.points();
  ASSERT_EQ(pts.size(), 3u);
  EXPECT_EQ(pts[0].requests, 150u);
  EXPECT_EQ(pts[0].errors, 5u);
  EXPECT_EQ(pts[0].late_starts, 1u);
  EXPECT_NEAR(pts[0].latency.max_ms, 200.0, 1e-9);
  EXPECT_NEAR(pts[0].latency.p50_ms, 75.0, 75.0 * 0.01);  // rank 75 of 150 is 75 ms
  EXPECT_EQ(pts[1].requests, 0u);
  EXPECT_EQ(pts[2].late_starts, 5u);
  EXPECT_NEAR(pts[2].latency.p99_ms, 99.0, 1.0);
}
