// The Universal Scalability Law (Gunther): throughput at concurrency N is
// X(N) = lambda N / (1 + sigma (N - 1) + kappa N (N - 1)), sigma the
// contention (serialized part), kappa the coherency cost (crosstalk that makes
// throughput fall past a peak). Fitted by least squares on measured
// (concurrency, throughput) points for the capacity model. Pure arithmetic.
#pragma once

#include <optional>
#include <vector>

namespace loadprof::stats {

struct UslPoint {
  double concurrency = 0;     // N: mean requests in flight (Little's law: throughput x mean latency)
  double throughput_rps = 0;  // X(N)
};

struct UslFit {
  double lambda_rps = 0;  // X(1): throughput of one request in flight
  double sigma = 0;       // contention, >= 0
  double kappa = 0;       // coherency, >= 0
  double r_squared = 0;   // of the throughputs the fit predicts against the measured ones
  // Where X(N) peaks: N* = sqrt((1 - sigma) / kappa). Absent when kappa is 0
  // or sigma >= 1 (throughput only levels off, towards lambda / sigma).
  std::optional<double> peak_concurrency;
  std::optional<double> peak_throughput_rps;
  double throughput_at(double concurrency) const;
};

// Fewer points than this fit three parameters too loosely to mean anything.
inline constexpr size_t kUslMinPoints = 4;

// Linearized fit: N / X = (1 + sigma (N - 1) + kappa N (N - 1)) / lambda is
// linear in (1 / lambda, sigma / lambda, kappa / lambda); least squares on it,
// each point weighted by 1 / (N / X)^2 so that the residuals minimized are
// relative errors of X (a 5 % miss counts the same at 10 and at 10,000 req/s).
// sigma and kappa are kept >= 0 (a negative one is refitted as 0). Absent with
// fewer than kUslMinPoints points of distinct N > 0 and X > 0.
std::optional<UslFit> fit_usl(const std::vector<UslPoint>& points);

}  // namespace loadprof::stats
