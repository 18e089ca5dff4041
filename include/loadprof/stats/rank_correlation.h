// Spearman's rank correlation: does y rise (or fall) with x, whatever the
// shape? Used by the correlation analysis on a function's share per window
// against the window's p99 latency or throughput. Pure arithmetic, no I/O.
#pragma once

#include <optional>
#include <vector>

namespace loadprof::stats {

// Ranks 1..n of the values, ties sharing their average rank (1, 2.5, 2.5, 4).
std::vector<double> average_ranks(const std::vector<double>& values);

// Spearman's rho: Pearson's correlation of the average ranks, in [-1, 1].
// Absent when x and y differ in length, hold fewer than 3 pairs, or either is
// constant (no ranking to compare).
std::optional<double> spearman(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace loadprof::stats
