// Binomial (order-statistic) confidence interval on a percentile (quantile_ci.h).
#include "loadprof/stats/quantile_ci.h"

#include <algorithm>
#include <cmath>

namespace loadprof::stats {

QuantileCi quantile_ci(const std::vector<uint64_t>& sorted_ns, double q, double z) {
  QuantileCi ci;
  const size_t n = sorted_ns.size();
  if (n == 0) return ci;
  const double nq = static_cast<double>(n) * q;
  const double sd = std::sqrt(nq * (1.0 - q));
  // 1-based ranks, clamped into the sample.
  auto at_rank = [&](double rank) {
    const double r = std::clamp(rank, 1.0, static_cast<double>(n));
    return sorted_ns[static_cast<size_t>(r) - 1];
  };
  ci.value_ns = at_rank(std::ceil(nq));
  ci.low_ns = at_rank(std::floor(nq - z * sd));
  ci.high_ns = at_rank(std::ceil(nq + z * sd) + 1);
  return ci;
}

}  // namespace loadprof::stats
