// The binomial interval on a percentile: it brackets the sample's percentile,
// narrows as n grows, and covers the true quantile of a known distribution
// about 95 % of the time.
#include "loadprof/stats/quantile_ci.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

using namespace loadprof::stats;

TEST(QuantileCi, BracketsTheSamplePercentileAndNarrowsWithN) {
  std::vector<uint64_t> small, large;
  for (uint64_t i = 1; i <= 100; ++i) small.push_back(i);
  for (uint64_t i = 1; i <= 10000; ++i) large.push_back(i);
  auto a = quantile_ci(small, 0.95), b = quantile_ci(large, 0.95);
  EXPECT_EQ(a.value_ns, 95u);
  EXPECT_LE(a.low_ns, 95u);
  EXPECT_GE(a.high_ns, 95u);
  EXPECT_LT(a.low_ns, 95u);
  EXPECT_EQ(b.value_ns, 9500u);
  // Relative width shrinks like 1/sqrt(n).
  const double wa = static_cast<double>(a.high_ns - a.low_ns) / 100.0;
  const double wb = static_cast<double>(b.high_ns - b.low_ns) / 10000.0;
  EXPECT_LT(wb, wa / 5);
  EXPECT_EQ(quantile_ci({}, 0.99).value_ns, 0u);
  EXPECT_EQ(quantile_ci({7}, 0.99).low_ns, 7u);
}

TEST(QuantileCi, CoversTheTrueQuantileAboutNinetyFivePercentOfTheTime) {
  // Exponential latencies (mean 1 ms): the true p95 is -ln(0.05) ms.
  std::mt19937_64 rng(42);
  std::exponential_distribution<double> exp_ms(1.0);
  const double true_p95_ns = -std::log(0.05) * 1e6;
  int covered = 0;
  const int trials = 400;
  for (int t = 0; t < trials; ++t) {
    std::vector<uint64_t> v(500);
    for (auto& x : v) x = static_cast<uint64_t>(exp_ms(rng) * 1e6);
    std::sort(v.begin(), v.end());
    auto ci = quantile_ci(v, 0.95);
    covered +=
        static_cast<double>(ci.low_ns) <= true_p95_ns && true_p95_ns <= static_cast<double>(ci.high_ns);
  }
  const double rate = static_cast<double>(covered) / trials;
  EXPECT_GT(rate, 0.92) << rate;
  EXPECT_LT(rate, 0.99) << rate;
}
