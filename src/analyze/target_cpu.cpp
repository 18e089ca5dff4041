// Mean target CPU over a span, from the resource readings.
#include "loadprof/analyze/target_cpu.h"

#include <algorithm>

namespace loadprof::analyze {

std::optional<double> target_cpu_pct(const capture::Capture& c, uint64_t start_ns, uint64_t end_ns) {
  if (end_ns <= start_ns) return std::nullopt;
  double cpu_ns = 0;
  uint64_t covered_lo = UINT64_MAX, covered_hi = 0;
  for (const auto& r : c.resources) {
    if (r.interval_ns == 0 || r.interval_ns > r.time_ns) continue;
    const uint64_t lo = r.time_ns - r.interval_ns, hi = r.time_ns;
    const uint64_t a = std::max(lo, start_ns), b = std::min(hi, end_ns);
    if (a >= b) continue;
    // The machine's readings say which part of the span was read at all.
    if (r.pid == capture::kMachinePid) {
      covered_lo = std::min(covered_lo, a);
      covered_hi = std::max(covered_hi, b);
      continue;
    }
    cpu_ns += static_cast<double>(r.cpu_ns) * static_cast<double>(b - a) / static_cast<double>(r.interval_ns);
  }
  if (covered_hi <= covered_lo) return std::nullopt;
  return cpu_ns * 100.0 / static_cast<double>(covered_hi - covered_lo);
}

}  // namespace loadprof::analyze
