// Two-proportion tests: is the difference between x1 of n1 and x2 of n2 more
// than sampling noise? Used by `diff` on stack shares (a function's samples of
// all samples), where every sample is one Bernoulli draw "in the function or
// not". Pure arithmetic, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>

namespace loadprof::stats {

struct ProportionTest {
  double p1 = 0;             // x1 / n1
  double p2 = 0;             // x2 / n2
  double delta = 0;          // p2 - p1
  double pooled_se = 0;      // sqrt(p (1 - p) (1/n1 + 1/n2)), p = (x1 + x2) / (n1 + n2)
  double z = 0;              // delta / pooled_se (0 when pooled_se is 0)
  double z_p_value = 1;      // two-sided, from the normal distribution
  double exact_p_value = 1;  // Fisher's exact test; 1 when not computed (large counts)
  double p_value = 1;        // the larger of the two (z_p_value alone for large counts)
  double ci95_low = 0;       // delta -/+ 1.96 x the unpooled standard error
  double ci95_high = 0;      //   sqrt(p1 (1 - p1) / n1 + p2 (1 - p2) / n2)
};

// The two-proportion z-test (pooled standard error under "no change") and a
// 95 % interval of the difference. n1 or n2 of 0, or x > n: p_value 1, z 0.
// dispersion1/2 (>= 1; 1 = binomial) scale each side's variance, as a
// quasi-binomial model does when the draws are not independent:
// SE = sqrt(p (1 - p) (d1/n1 + d2/n2)). When either the successes or the
// failures of both sides together are at most kExactLimit, Fisher's exact
// test is computed too and p_value is the larger: the normal approximation
// fails at a handful of samples (0 of 2182 against 1 of 150: z 3.8, p 1e-4;
// exact: 0.064).
inline constexpr uint64_t kExactLimit = 2000;
ProportionTest two_proportion_test(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2, double dispersion1 = 1,
                                   double dispersion2 = 1);

// How much more a proportion varies between blocks (of time) than independent
// draws would make it: Pearson's X^2 / (K - 1) over the K blocks with n_b > 0,
// X^2 = sum (x_b - n_b p)^2 / (n_b p (1 - p)), p = sum x / sum n. 1 for a
// binomial; at least 1 here (a smaller estimate is taken as noise), and 1 when
// K < 2 or p is 0 or 1. x and n have one entry per block.
double dispersion(const uint64_t* x, const uint64_t* n, size_t blocks);

// Fisher's exact test, two-sided (the tables no more likely than the one
// observed, with the margins fixed). Exact at any size; O(min(K, N - K)).
double fisher_exact_p_value(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2);

// P(|Z| >= |z|) for a standard normal Z.
double two_sided_p_value(double z);

}  // namespace loadprof::stats
