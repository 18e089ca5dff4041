// Two-proportion z-test for the stack shares of `diff`.
#include "loadprof/stats/proportion.h"

#include <algorithm>
#include <cmath>

namespace loadprof::stats {

double two_sided_p_value(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }

namespace {
double log_choose(uint64_t n, uint64_t k) {
  return std::lgamma(static_cast<double>(n) + 1) - std::lgamma(static_cast<double>(k) + 1) -
         std::lgamma(static_cast<double>(n - k) + 1);
}
}  // namespace

double fisher_exact_p_value(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2) {
  if (n1 == 0 || n2 == 0 || x1 > n1 || x2 > n2) return 1;
  const uint64_t n = n1 + n2, k = x1 + x2;
  const uint64_t lo = n1 > n - k ? n1 - (n - k) : 0;
  const uint64_t hi = std::min(k, n1);
  const double denominator = log_choose(n, n1);
  auto log_p = [&](uint64_t i) { return log_choose(k, i) + log_choose(n - k, n1 - i) - denominator; };
  const double observed = log_p(x1) + 1e-7;  // relative tolerance for ties
  double sum = 0;
  for (uint64_t i = lo; i <= hi; ++i) {
    const double lp = log_p(i);
    if (lp <= observed) sum += std::exp(lp);
  }
  return std::min(1.0, sum);
}

double dispersion(const uint64_t* x, const uint64_t* n, size_t blocks) {
  uint64_t sx = 0, sn = 0;
  size_t k = 0;
  for (size_t b = 0; b < blocks; ++b) {
    if (n[b] == 0) continue;
    sx += x[b];
    sn += n[b];
    ++k;
  }
  if (k < 2 || sx == 0 || sx >= sn) return 1;
  const double p = static_cast<double>(sx) / static_cast<double>(sn);
  double chi2 = 0;
  for (size_t b = 0; b < blocks; ++b) {
    if (n[b] == 0) continue;
    const double expected = static_cast<double>(n[b]) * p;
    const double d = static_cast<double>(x[b]) - expected;
    chi2 += d * d / (expected * (1 - p));
  }
  return std::max(1.0, chi2 / static_cast<double>(k - 1));
}

ProportionTest two_proportion_test(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2, double dispersion1,
                                   double dispersion2) {
  ProportionTest t;
  if (n1 == 0 || n2 == 0 || x1 > n1 || x2 > n2) return t;
  const double a = static_cast<double>(n1), b = static_cast<double>(n2);
  t.p1 = static_cast<double>(x1) / a;
  t.p2 = static_cast<double>(x2) / b;
  t.delta = t.p2 - t.p1;
  const double p = static_cast<double>(x1 + x2) / (a + b);
  t.pooled_se = std::sqrt(p * (1 - p) * (dispersion1 / a + dispersion2 / b));
  if (t.pooled_se > 0) {
    t.z = t.delta / t.pooled_se;
    t.z_p_value = two_sided_p_value(t.z);
  }
  const uint64_t successes = x1 + x2, failures = n1 + n2 - successes;
  t.p_value = t.z_p_value;
  if (std::min(successes, failures) <= kExactLimit) {
    t.exact_p_value = fisher_exact_p_value(x1, n1, x2, n2);
    t.p_value = std::max(t.z_p_value, t.exact_p_value);
  }
  const double se = std::sqrt(dispersion1 * t.p1 * (1 - t.p1) / a + dispersion2 * t.p2 * (1 - t.p2) / b);
  t.ci95_low = t.delta - 1.959964 * se;
  t.ci95_high = t.delta + 1.959964 * se;
  return t;
}

}  // namespace loadprof::stats
