// Two-proportion z-test for the stack shares of `diff`.
#include "loadprof/stats/proportion.h"

#include <cmath>

namespace loadprof::stats {

double two_sided_p_value(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }

ProportionTest two_proportion_test(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2) {
  ProportionTest t;
  if (n1 == 0 || n2 == 0 || x1 > n1 || x2 > n2) return t;
  const double a = static_cast<double>(n1), b = static_cast<double>(n2);
  t.p1 = static_cast<double>(x1) / a;
  t.p2 = static_cast<double>(x2) / b;
  t.delta = t.p2 - t.p1;
  const double p = static_cast<double>(x1 + x2) / (a + b);
  t.pooled_se = std::sqrt(p * (1 - p) * (1 / a + 1 / b));
  if (t.pooled_se > 0) {
    t.z = t.delta / t.pooled_se;
    t.p_value = two_sided_p_value(t.z);
  }
  const double se = std::sqrt(t.p1 * (1 - t.p1) / a + t.p2 * (1 - t.p2) / b);
  t.ci95_low = t.delta - 1.959964 * se;
  t.ci95_high = t.delta + 1.959964 * se;
  return t;
}

}  // namespace loadprof::stats
