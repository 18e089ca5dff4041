// Nearest-rank percentile of a sorted sample, shared by the analyses that
// keep every latency (correlation, endpoints).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace loadprof::analyze {

// q in [0, 1]; 0 for an empty sample.
inline uint64_t sorted_percentile(const std::vector<uint64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  const double rank = std::ceil(q * static_cast<double>(sorted.size()));
  const size_t i = rank < 1 ? 0 : std::min(sorted.size() - 1, static_cast<size_t>(rank) - 1);
  return sorted[i];
}

}  // namespace loadprof::analyze
