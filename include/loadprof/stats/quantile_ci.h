// A distribution-free confidence interval on a percentile of a sample: the
// order statistics whose ranks bracket n*q by z standard deviations of the
// binomial count Bin(n, q) of values at or below the true quantile (the
// normal approximation of the exact binomial interval). No resampling, so it
// costs one sort of the sample and answers for any n.
#pragma once

#include <cstdint>
#include <vector>

namespace loadprof::stats {

struct QuantileCi {
  uint64_t low_ns = 0;  // the interval's ends, values of the sample
  uint64_t high_ns = 0;
  uint64_t value_ns = 0;  // the sample's own quantile (rank ceil(n*q))
};

// `sorted_ns` ascending; confidence 0.95 uses z = 1.96. Empty sample: all 0.
QuantileCi quantile_ci(const std::vector<uint64_t>& sorted_ns, double q, double z = 1.96);

}  // namespace loadprof::stats
