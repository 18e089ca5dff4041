// A bench capture's load run with the profile's per-stage CPU (load_run.h).
#include "loadprof/analyze/load_run.h"

#include <algorithm>
#include <set>

namespace loadprof::analyze {

std::optional<LoadView> load_view(const capture::Capture& c) {
  if (!c.load) return std::nullopt;
  LoadView v;
  v.summary_json = c.load->summary_json;
  v.table = c.load->table;
  v.requests_in_capture = c.requests.size();
  v.log_records = c.load->log_records;
  v.log_dropped = c.load->log_dropped;
  const uint64_t t0 = c.metadata.start_monotonic_ns;
  const double hz = c.metadata.frequency_hz;
  const bool cpu_probe =
      hz > 0 && (!c.cpu_samples.empty() || std::find(c.metadata.probes.begin(), c.metadata.probes.end(),
                                                     "cpu") != c.metadata.probes.end());
  for (const auto& span : c.load->stages) {
    StageUsage u;
    u.start_s = span.start_ns > t0 ? static_cast<double>(span.start_ns - t0) / 1e9 : 0;
    u.end_s = span.end_ns > t0 ? static_cast<double>(span.end_ns - t0) / 1e9 : 0;
    const double length_s = static_cast<double>(span.end_ns - std::min(span.end_ns, span.start_ns)) / 1e9;
    if (cpu_probe && length_s > 0) {
      uint64_t n = 0;
      for (const auto& s : c.cpu_samples)
        if (s.time_ns >= span.start_ns && s.time_ns < span.end_ns) ++n;
      u.target_cpu_pct = 100.0 * static_cast<double>(n) / (hz * length_s);
    }
    if (hz > 0) {
      uint64_t self = 0;
      std::set<uint64_t> seconds;
      for (const auto& a : c.cpu_accounting)
        if (a.second_ns >= span.start_ns && a.second_ns < span.end_ns) {
          self += a.self;
          seconds.insert(a.second_ns);
        }
      if (!seconds.empty())
        u.loadprof_cpu_pct = 100.0 * static_cast<double>(self) / (hz * static_cast<double>(seconds.size()));
    }
    v.stages.push_back(u);
  }
  return v;
}

}  // namespace loadprof::analyze
