// The two-proportion test against values computed by hand (and checked with
// Python's math.erfc): known counts give known z, p and interval.
#include "loadprof/stats/proportion.h"

#include <gtest/gtest.h>

using loadprof::stats::two_proportion_test;
using loadprof::stats::two_sided_p_value;

TEST(Proportion, TwoPointsOnTwoHundredSamplesIsNoise) {
  // 25 % -> 27 %: pooled p 0.26, SE sqrt(0.26 x 0.74 x 2/200) = 0.04386.
  auto t = two_proportion_test(50, 200, 54, 200);
  EXPECT_NEAR(t.delta, 0.02, 1e-12);
  EXPECT_NEAR(t.pooled_se, 0.0438634, 1e-6);
  EXPECT_NEAR(t.z, 0.455961, 1e-5);
  EXPECT_NEAR(t.z_p_value, 0.648418, 1e-5);
  EXPECT_NEAR(t.exact_p_value, 0.73248, 1e-5);  // Fisher, checked with Python's lgamma
  EXPECT_NEAR(t.p_value, 0.73248, 1e-5);        // the larger
  EXPECT_GT(t.p_value, 0.05);
  EXPECT_LT(t.ci95_low, 0);
  EXPECT_GT(t.ci95_high, 0);
}

TEST(Proportion, TenToFifteenPercentOnAThousandIsSignificant) {
  auto t = two_proportion_test(100, 1000, 150, 1000);
  EXPECT_NEAR(t.z, 3.380617, 1e-5);
  EXPECT_NEAR(t.z_p_value, 0.000723233, 1e-8);
  EXPECT_NEAR(t.exact_p_value, 0.000895088, 1e-8);
  EXPECT_NEAR(t.p_value, 0.000895088, 1e-8);
  // Unpooled SE 0.014748: interval 0.05 -/+ 0.028906.
  EXPECT_NEAR(t.ci95_low, 0.05 - 1.959964 * 0.014748, 1e-5);
  EXPECT_NEAR(t.ci95_high, 0.05 + 1.959964 * 0.014748, 1e-5);
}

TEST(Proportion, ShrinkingGivesNegativeZ) {
  auto t = two_proportion_test(30, 1000, 10, 1000);
  EXPECT_NEAR(t.z, -3.194383, 1e-5);
  EXPECT_NEAR(t.z_p_value, 0.0014013, 1e-6);
  EXPECT_NEAR(t.p_value, 0.00200833, 1e-7);
}

TEST(Proportion, TwentyFiveToFortyPercentOnThreeThousand) {
  // The planted 2x slowdown of the diff test: compute 25 % -> 40 %.
  auto t = two_proportion_test(750, 3000, 1200, 3000);
  EXPECT_NEAR(t.z, 12.403473, 1e-5);
  EXPECT_LT(t.p_value, 1e-30);
}

TEST(Proportion, DegenerateInputsAreNoChange) {
  EXPECT_EQ(two_proportion_test(0, 0, 5, 10).p_value, 1.0);
  EXPECT_EQ(two_proportion_test(0, 100, 0, 100).z, 0.0);  // both 0 %: SE 0
  EXPECT_EQ(two_proportion_test(0, 100, 0, 100).p_value, 1.0);
  EXPECT_EQ(two_proportion_test(100, 100, 100, 100).p_value, 1.0);
  EXPECT_EQ(two_proportion_test(11, 10, 5, 10).p_value, 1.0);  // x > n
}

TEST(Proportion, NormalTail) {
  EXPECT_NEAR(two_sided_p_value(1.959964), 0.05, 1e-6);
  EXPECT_NEAR(two_sided_p_value(-2.575829), 0.01, 1e-6);
  EXPECT_EQ(two_sided_p_value(0), 1.0);
}

TEST(Proportion, DispersionOfBlocks) {
  using loadprof::stats::dispersion;
  // 10, 30, 10, 30 of 100 each: p 0.2, X^2 = 4 x 100 / 16 = 25, / 3 blocks of freedom = 8.33.
  const uint64_t x[] = {10, 30, 10, 30}, n[] = {100, 100, 100, 100};
  EXPECT_NEAR(dispersion(x, n, 4), 25.0 / 3, 1e-9);
  // As even as can be: below 1, taken as 1.
  const uint64_t flat[] = {20, 20, 20, 20};
  EXPECT_EQ(dispersion(flat, n, 4), 1.0);
  // Empty blocks are left out; one block, p 0 or 1: 1.
  const uint64_t n_gap[] = {100, 0, 100, 0};
  const uint64_t x_gap[] = {10, 0, 30, 0};
  EXPECT_NEAR(dispersion(x_gap, n_gap, 4), 12.5, 1e-9);  // X^2 12.5 over 1 degree of freedom
  EXPECT_EQ(dispersion(x, n, 1), 1.0);
  const uint64_t none[] = {0, 0, 0, 0};
  EXPECT_EQ(dispersion(none, n, 4), 1.0);
  EXPECT_EQ(dispersion(n, n, 4), 1.0);
}

TEST(Proportion, DispersionWidensTheTest) {
  // 10 % -> 15 % of 1000 with the base side 4x overdispersed: SE sqrt(0.125 x 0.875 x (4 + 1) / 1000).
  auto t = two_proportion_test(100, 1000, 150, 1000, 4, 1);
  EXPECT_NEAR(t.z, 2.138090, 1e-5);
  EXPECT_NEAR(t.z_p_value, 0.0325094, 1e-6);
  EXPECT_NEAR(t.p_value, 0.0325094, 1e-6);  // Fisher's 0.0009 is smaller
}

TEST(Proportion, ExactTestGuardsAHandfulOfSamples) {
  // Seen on a starved machine: a function with 0 of 2182 samples in base and
  // 1 of 150 in new. The normal approximation calls it significant; Fisher's
  // exact test (the one sample falls in new with probability 150/2332) does not.
  auto t = two_proportion_test(0, 2182, 1, 150);
  EXPECT_NEAR(t.z, 3.81, 0.01);
  EXPECT_LT(t.z_p_value, 2e-4);
  EXPECT_NEAR(t.exact_p_value, 150.0 / 2332, 1e-6);
  EXPECT_NEAR(t.p_value, 0.0643225, 1e-6);
  EXPECT_NEAR(loadprof::stats::fisher_exact_p_value(750, 3000, 1200, 3000), 2.10228e-35, 1e-39);
  EXPECT_EQ(loadprof::stats::fisher_exact_p_value(0, 100, 0, 100), 1.0);
}

TEST(Proportion, LargeCountsUseTheZTestAlone) {
  // 5000 / 10000 -> 5200 / 10000: more than kExactLimit of both kinds, no exact test.
  auto t = two_proportion_test(5000, 10000, 5200, 10000);
  EXPECT_EQ(t.exact_p_value, 1.0);
  EXPECT_NEAR(t.z, 2.828993, 1e-5);
  EXPECT_EQ(t.p_value, t.z_p_value);
  EXPECT_LT(t.p_value, 0.005);
}
