// Spearman's rank correlation against values worked out by hand.
#include "loadprof/stats/rank_correlation.h"

#include <gtest/gtest.h>

namespace loadprof::stats {
namespace {

TEST(AverageRanks, TiesShareTheirMeanRank) {
  const std::vector<double> r = average_ranks({10, 20, 20, 5});
  EXPECT_EQ(r, (std::vector<double>{2, 3.5, 3.5, 1}));
}

TEST(Spearman, MonotoneIsOneWhateverTheShape) {
  EXPECT_DOUBLE_EQ(*spearman({1, 2, 3, 4, 5}, {1, 8, 27, 64, 125}), 1.0);
  EXPECT_DOUBLE_EQ(*spearman({1, 2, 3, 4, 5}, {9, 7, 5, 3, 1}), -1.0);
}

TEST(Spearman, KnownValueWithTies) {
  // ranks x: 1 2 3 4; y = {1, 3, 2, 2} -> ranks 1 4 2.5 2.5.
  // deviations from 2.5: x -1.5 -0.5 0.5 1.5; y -1.5 1.5 0 0
  // sxy = 2.25 - 0.75 = 1.5; sxx = 5; syy = 4.5 -> 1.5 / sqrt(22.5) = 0.3162
  EXPECT_NEAR(*spearman({1, 2, 3, 4}, {1, 3, 2, 2}), 0.31623, 1e-4);
}

TEST(Spearman, AbsentWhenNothingToRank) {
  EXPECT_FALSE(spearman({1, 2}, {1, 2}));        // fewer than 3 pairs
  EXPECT_FALSE(spearman({1, 2, 3}, {4, 4, 4}));  // constant
  EXPECT_FALSE(spearman({1, 2, 3}, {1, 2}));     // lengths differ
}

}  // namespace
}  // namespace loadprof::stats
