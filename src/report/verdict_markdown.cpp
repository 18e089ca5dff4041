// report.md's "Verdict" section (first after the header) and its capacity
// model (verdict_sections.h).
#include <cstdio>
#include <string>

#include "verdict_sections.h"

namespace loadprof::report {
namespace {

std::string f2(double v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}
std::string opt(const std::optional<double>& v, const char* unit = "") {
  return v ? f2(*v) + unit : std::string("-");
}

}  // namespace

void verdict_markdown(std::ostream& out, const analyze::BottleneckVerdict& v) {
  out << "## Verdict\n\n";
  if (v.bottlenecks.empty()) {
    out << "**" << v.summary << ".**\n\n";
  } else {
    out << "**" << v.summary << "**\n\n";
    size_t n = 0;
    for (const auto& b : v.bottlenecks) {
      out << ++n << ". **" << b.kind << "**" << (b.frame.empty() ? "" : " in `" + b.frame + "`") << " — "
          << f2(b.share_pct) << " % of " << b.share_of << ". Estimated gain: " << b.estimated_gain << ".\n"
          << "   - Evidence: " << b.evidence << "\n"
          << "   - Recommendation: " << b.recommendation << "\n";
      for (const auto& s : b.stacks) out << "   - Stack: `" << s << "`\n";
    }
    out << "\n" << kGainNote << "\n\n";
  }
  if (!v.not_checked.empty()) {
    out << "Not looked for:\n";
    for (const auto& c : v.not_checked) out << "- " << c.kind << ": " << c.reason << "\n";
    out << "\n";
  }
}

void capacity_model_markdown(std::ostream& out, const analyze::CapacityModel& m) {
  out << "## Capacity model\n\n";
  out << "From the " << (m.source == "stages" ? "stages" : "capacity search's steps") << ": max throughput "
      << opt(m.max_throughput_rps, " req/s") << "; knee " << opt(m.knee_rps, " req/s")
      << " (lowest offered rate from which p99 stayed > 2x and > 1 ms above the lowest rate's, or throughput "
         "< 90 % of it); highest rate meeting the SLO "
      << opt(m.max_rate_meeting_slo_rps, " req/s") << ".\n\n";
  out << "| offered req/s | throughput req/s | p50 ms | p99 ms | errors % | in flight | SLO |\n"
         "|---:|---:|---:|---:|---:|---:|---|\n";
  for (const auto& p : m.points)
    out << "| " << opt(p.offered_rps) << " | " << f2(p.throughput_rps) << " | " << f2(p.p50_ms) << " | "
        << f2(p.p99_ms) << " | " << f2(p.error_rate_pct) << " | " << f2(p.concurrency) << " | "
        << (p.slo_ok ? (*p.slo_ok ? "ok" : "broken") : "-") << " |\n";
  out << "\n";
  if (m.usl) {
    out << "Universal Scalability Law fit (X(N) = lambda N / (1 + sigma (N-1) + kappa N (N-1)), N = requests "
           "in "
           "flight): lambda "
        << f2(m.usl->lambda_rps) << " req/s, sigma " << m.usl->sigma << ", kappa " << m.usl->kappa << ", R² "
        << f2(m.usl->r_squared);
    if (m.usl->peak_throughput_rps)
      out << "; predicted peak " << f2(*m.usl->peak_throughput_rps) << " req/s at "
          << f2(*m.usl->peak_concurrency) << " in flight";
    out << " (" << m.usl_note << ").\n\n";
  } else {
    out << "USL: " << m.usl_note << ".\n\n";
  }
  for (const auto& s : m.spikes) {
    out << "- Spike at stage " << s.stage + 1 << " (" << f2(s.from_rps) << " -> " << f2(s.to_rps)
        << " req/s): p99 before it " << f2(s.pre_spike_p99_ms) << " ms; ";
    if (s.recovery_s)
      out << "back within " << f2(s.threshold_ms) << " ms " << f2(*s.recovery_s)
          << " s after the spike ended\n";
    else
      out << "not back within " << f2(s.threshold_ms) << " ms in the " << f2(s.watched_s)
          << " s that followed\n";
  }
  if (!m.spikes.empty()) out << "\n";
}

}  // namespace loadprof::report
