// Is the difference between two shares of a weight (a function's off-CPU
// nanoseconds of all off-CPU nanoseconds, its bytes of all bytes) more than
// the noise of each capture? Weights are not independent draws, so there is
// no binomial variance: each capture is cut into time blocks and a share's
// variance is read from how it moved between them (the ratio estimator's
// linearised variance over blocks, as for a cluster sample). With few blocks
// that variance is itself noisy, so the test and the interval use Student's
// t with Welch-Satterthwaite degrees of freedom, not the normal. Pure
// arithmetic, no I/O.
#pragma once

#include <cstddef>

namespace loadprof::stats {

struct BlockRatioTest {
  double p1 = 0;     // sum x1 / sum n1
  double p2 = 0;     // sum x2 / sum n2
  double delta = 0;  // p2 - p1
  double se = 0;  // sqrt(v1 + v2), v = K/(K-1) sum (x_b - p n_b)^2 / (sum n)^2 over the K blocks with n_b > 0
  double df = 0;  // Welch-Satterthwaite from each side's K - 1
  double t = 0;   // delta / se (0 when se is 0)
  double p_value = 1;   // two-sided, Student's t with df; se 0: 1 when delta is 0, else 0
  double ci95_low = 0;  // delta -/+ t(0.975, df) se
  double ci95_high = 0;
};

// x and n have one entry per block (the share's weight and the whole weight
// in block b; or the weight and the block's duration, for a rate). A side with fewer than 2 blocks holding
// weight has no variance estimate: its variance counts as 0 and its df as 1.
BlockRatioTest block_ratio_test(const double* x1, const double* n1, size_t blocks1, const double* x2,
                                const double* n2, size_t blocks2);

// P(|T| >= |t|) for Student's t with df degrees of freedom (df > 0).
double student_t_two_sided_p_value(double t, double df);

// The t with P(|T| >= t) = p (0 < p < 1), by bisection on the above.
double student_t_two_sided_quantile(double p, double df);

}  // namespace loadprof::stats
