// Student's t against published table values, and the block test of two
// weight shares on blocks built by hand.
#include "loadprof/stats/block_ratio.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace loadprof::stats;

TEST(StudentT, MatchesTableValues) {
  EXPECT_NEAR(student_t_two_sided_p_value(2.262, 9), 0.05, 0.0005);    // t(0.975, 9)
  EXPECT_NEAR(student_t_two_sided_p_value(3.250, 9), 0.01, 0.0002);    // t(0.995, 9)
  EXPECT_NEAR(student_t_two_sided_p_value(12.706, 1), 0.05, 0.0005);   // Cauchy
  EXPECT_NEAR(student_t_two_sided_p_value(1.960, 1e6), 0.05, 0.0002);  // the normal
  EXPECT_DOUBLE_EQ(student_t_two_sided_p_value(0, 5), 1);
  EXPECT_NEAR(student_t_two_sided_quantile(0.05, 9), 2.262, 0.001);
  EXPECT_NEAR(student_t_two_sided_quantile(0.05, 19), 2.093, 0.001);
  EXPECT_NEAR(student_t_two_sided_quantile(0.001, 18), 3.922, 0.002);
}

TEST(BlockRatio, ShareVaryingBetweenBlocksIsNoise) {
  // 10 blocks of 1000 ns; the share swings 10..30 % in both captures, mean 20 vs 21 %.
  std::vector<double> n(10, 1000), x1, x2;
  for (int b = 0; b < 10; ++b) {
    x1.push_back(b % 2 ? 300 : 100);
    x2.push_back(b % 2 ? 310 : 110);
  }
  const auto t = block_ratio_test(x1.data(), n.data(), 10, x2.data(), n.data(), 10);
  EXPECT_NEAR(t.p1, 0.20, 1e-12);
  EXPECT_NEAR(t.p2, 0.21, 1e-12);
  // v = 10/9 x 10 x 100^2 / 10000^2 per side
  EXPECT_NEAR(t.se, std::sqrt(2 * 10.0 / 9 * 10 * 1e4 / 1e8), 1e-12);
  EXPECT_NEAR(t.df, 18, 1e-9);
  EXPECT_GT(t.p_value, 0.5);
  EXPECT_LT(t.ci95_low, 0);
  EXPECT_GT(t.ci95_high, 0.02);
}

TEST(BlockRatio, SteadyShareThatDoubledIsSignificant) {
  std::vector<double> n(10, 1000), x1, x2;
  for (int b = 0; b < 10; ++b) {
    x1.push_back(100 + (b % 3) * 5);
    x2.push_back(200 + (b % 3) * 5);
  }
  const auto t = block_ratio_test(x1.data(), n.data(), 10, x2.data(), n.data(), 10);
  EXPECT_NEAR(t.delta, 0.1, 1e-3);
  EXPECT_LT(t.p_value, 1e-10);
  EXPECT_GT(t.ci95_low, 0.095);
}

TEST(BlockRatio, EmptyBlocksAreLeftOutAndOneBlockHasNoVariance) {
  std::vector<double> n1 = {0, 1000, 0}, x1 = {0, 500, 0};
  std::vector<double> n2 = {0, 1000, 0}, x2 = {0, 500, 0};
  auto t = block_ratio_test(x1.data(), n1.data(), 3, x2.data(), n2.data(), 3);
  EXPECT_DOUBLE_EQ(t.p_value, 1);
  x2[1] = 600;
  t = block_ratio_test(x1.data(), n1.data(), 3, x2.data(), n2.data(), 3);
  EXPECT_DOUBLE_EQ(t.p_value, 0);  // no noise estimate on either side: a difference is exact
}
