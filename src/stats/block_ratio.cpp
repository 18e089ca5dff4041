// The block-variance test of two weight shares (see block_ratio.h).
#include "loadprof/stats/block_ratio.h"

#include <cmath>

namespace loadprof::stats {
namespace {

// The continued fraction of the regularized incomplete beta I_x(a, b)
// (modified Lentz's method), valid for x < (a + 1) / (a + b + 2).
double beta_fraction(double a, double b, double x) {
  constexpr double kTiny = 1e-300;
  constexpr double kEpsilon = 1e-15;
  double c = 1;
  double d = 1 - (a + b) * x / (a + 1);
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 500; ++m) {
    const double m2 = 2.0 * m;
    double num = m * (b - m) * x / ((a + m2 - 1) * (a + m2));  // even step
    d = 1 + num * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + num / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    h *= d * c;
    num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));  // odd step
    d = 1 + num * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + num / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double step = d * c;
    h *= step;
    if (std::fabs(step - 1) < kEpsilon) break;
  }
  return h;
}

// I_x(a, b), the regularized incomplete beta function.
double incomplete_beta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double front =
      std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x));
  if (x < (a + 1) / (a + b + 2)) return front * beta_fraction(a, b, x) / a;
  return 1 - front * beta_fraction(b, a, 1 - x) / b;
}

struct Side {
  double p = 0;
  double variance = 0;
  double df = 1;
};

Side side(const double* x, const double* n, size_t blocks) {
  Side s;
  double sx = 0, sn = 0;
  size_t k = 0;
  for (size_t b = 0; b < blocks; ++b) {
    if (n[b] <= 0) continue;
    sx += x[b];
    sn += n[b];
    ++k;
  }
  if (sn <= 0) return s;
  s.p = sx / sn;
  if (k < 2) return s;
  double ss = 0;
  for (size_t b = 0; b < blocks; ++b) {
    if (n[b] <= 0) continue;
    const double r = x[b] - s.p * n[b];
    ss += r * r;
  }
  s.variance = static_cast<double>(k) / static_cast<double>(k - 1) * ss / (sn * sn);
  s.df = static_cast<double>(k - 1);
  return s;
}

}  // namespace

double student_t_two_sided_p_value(double t, double df) {
  if (!(df > 0) || !std::isfinite(t)) return std::isfinite(t) ? 1 : 0;
  return incomplete_beta(df / 2, 0.5, df / (df + t * t));
}

double student_t_two_sided_quantile(double p, double df) {
  double lo = 0, hi = 1;
  while (student_t_two_sided_p_value(hi, df) > p && hi < 1e12) hi *= 2;
  for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; ++i) {
    const double mid = (lo + hi) / 2;
    if (student_t_two_sided_p_value(mid, df) > p)
      lo = mid;
    else
      hi = mid;
  }
  return (lo + hi) / 2;
}

BlockRatioTest block_ratio_test(const double* x1, const double* n1, size_t blocks1, const double* x2,
                                const double* n2, size_t blocks2) {
  BlockRatioTest out;
  const Side a = side(x1, n1, blocks1);
  const Side b = side(x2, n2, blocks2);
  out.p1 = a.p;
  out.p2 = b.p;
  out.delta = b.p - a.p;
  const double v = a.variance + b.variance;
  out.se = std::sqrt(v);
  if (v <= 0) {
    out.df = a.df + b.df;
    out.p_value = out.delta == 0 ? 1 : 0;
    out.ci95_low = out.ci95_high = out.delta;
    return out;
  }
  const double denominator = a.variance * a.variance / a.df + b.variance * b.variance / b.df;
  out.df = denominator > 0 ? v * v / denominator : a.df + b.df;
  out.t = out.delta / out.se;
  out.p_value = student_t_two_sided_p_value(out.t, out.df);
  const double q = student_t_two_sided_quantile(0.05, out.df);
  out.ci95_low = out.delta - q * out.se;
  out.ci95_high = out.delta + q * out.se;
  return out;
}

}  // namespace loadprof::stats
