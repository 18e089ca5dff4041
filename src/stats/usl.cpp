// Universal Scalability Law fit (usl.h): weighted linear least squares on
// N / X, solved by the 3x3 normal equations (Cramer's rule).
#include "loadprof/stats/usl.h"

#include <array>
#include <cmath>
#include <set>

namespace loadprof::stats {
namespace {

using Vec3 = std::array<double, 3>;
using Mat3 = std::array<Vec3, 3>;

double det3(const Mat3& m) {
  return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
         m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
         m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
}

// Least squares of y = sum_k coef_k basis_k over the bases `used` marks (the
// others fixed at 0). nullopt when the system is singular.
std::optional<Vec3> solve(const std::vector<UslPoint>& pts, const std::array<bool, 3>& used) {
  Mat3 ata{};
  Vec3 aty{};
  for (const auto& p : pts) {
    const double n = p.concurrency, y = n / p.throughput_rps, w = 1.0 / (y * y);
    const Vec3 basis = {1.0, n - 1.0, n * (n - 1.0)};
    for (int i = 0; i < 3; ++i) {
      aty[i] += w * basis[i] * y;
      for (int j = 0; j < 3; ++j) ata[i][j] += w * basis[i] * basis[j];
    }
  }
  for (int i = 0; i < 3; ++i)  // an unused basis: its row and column become the identity's (coef 0)
    if (!used[i]) {
      for (int j = 0; j < 3; ++j) ata[i][j] = ata[j][i] = 0;
      ata[i][i] = 1;
      aty[i] = 0;
    }
  const double d = det3(ata);
  if (!std::isfinite(d) || std::fabs(d) < 1e-300) return std::nullopt;
  Vec3 out{};
  for (int k = 0; k < 3; ++k) {
    Mat3 m = ata;
    for (int i = 0; i < 3; ++i) m[i][k] = aty[i];
    out[k] = det3(m) / d;
  }
  return out;
}

double relative_sse(const std::vector<UslPoint>& pts, const UslFit& f) {
  double s = 0;
  for (const auto& p : pts) {
    const double r = (f.throughput_at(p.concurrency) - p.throughput_rps) / p.throughput_rps;
    s += r * r;
  }
  return s;
}

}  // namespace

double UslFit::throughput_at(double n) const {
  const double den = 1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0);
  return den > 0 ? lambda_rps * n / den : 0.0;
}

std::optional<UslFit> fit_usl(const std::vector<UslPoint>& points) {
  std::vector<UslPoint> pts;
  std::set<double> distinct;
  for (const auto& p : points)
    if (p.concurrency > 0 && p.throughput_rps > 0 && std::isfinite(p.concurrency) &&
        std::isfinite(p.throughput_rps)) {
      pts.push_back(p);
      distinct.insert(p.concurrency);
    }
  if (distinct.size() < kUslMinPoints) return std::nullopt;
  // Every subset of {sigma, kappa} left free: the best fit whose free
  // coefficients come out non-negative (a negative contention is not physical).
  std::optional<UslFit> best;
  double best_sse = 0;
  for (const std::array<bool, 3> used : {std::array<bool, 3>{true, true, true},
                                         {true, true, false},
                                         {true, false, true},
                                         {true, false, false}}) {
    auto c = solve(pts, used);
    if (!c || (*c)[0] <= 0 || (*c)[1] < 0 || (*c)[2] < 0) continue;
    UslFit f;
    f.lambda_rps = 1.0 / (*c)[0];
    f.sigma = (*c)[1] / (*c)[0];
    f.kappa = (*c)[2] / (*c)[0];
    const double sse = relative_sse(pts, f);
    if (!best || sse < best_sse) {
      best = f;
      best_sse = sse;
    }
  }
  if (!best) return std::nullopt;
  double mean = 0;
  for (const auto& p : pts) mean += p.throughput_rps;
  mean /= static_cast<double>(pts.size());
  double ss_tot = 0, ss_res = 0;
  for (const auto& p : pts) {
    ss_tot += (p.throughput_rps - mean) * (p.throughput_rps - mean);
    const double r = best->throughput_at(p.concurrency) - p.throughput_rps;
    ss_res += r * r;
  }
  best->r_squared = ss_tot > 0 ? 1.0 - ss_res / ss_tot : 1.0;
  if (best->kappa > 0 && best->sigma < 1) {
    best->peak_concurrency = std::sqrt((1.0 - best->sigma) / best->kappa);
    best->peak_throughput_rps = best->throughput_at(*best->peak_concurrency);
  }
  return best;
}

}  // namespace loadprof::stats
