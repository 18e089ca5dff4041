// A bench capture's load run with the profile's per-stage CPU (load_run.h).
#include "loadprof/analyze/load_run.h"

#include <algorithm>
#include <iterator>
#include <set>

namespace loadprof::analyze {

namespace {

// capture::RequestRecord::error_class values, in load::ErrorClass's order (1: connect).
constexpr const char* kErrorClassNames[] = {"none", "connect", "timeout", "reset",
                                            "read", "4xx",     "5xx",     "expect"};
constexpr uint16_t kWarmupStage = 0xFFFF;

}  // namespace

LogFigures log_figures(const capture::Capture& c) {
  LogFigures f;
  for (size_t i = 1; i < std::size(kErrorClassNames); ++i) f.errors_by_class[kErrorClassNames[i]] = 0;
  stats::Histogram latency, service;
  uint64_t first = UINT64_MAX, last = 0;
  for (const auto& r : c.requests) {
    if (r.stage == kWarmupStage) continue;
    ++f.requests;
    latency.record(r.end_ns > r.intended_start_ns ? r.end_ns - r.intended_start_ns : 0);
    // Sent once connected (a connect error never was): from then to the end, as the driver counts it.
    if (r.error_class != 1 && r.end_ns >= r.actual_start_ns + r.connect_ns)
      service.record(r.end_ns - r.actual_start_ns - r.connect_ns);
    if (r.error_class != 0) {
      ++f.errors;
      const char* name =
          r.error_class < std::size(kErrorClassNames) ? kErrorClassNames[r.error_class] : "other";
      ++f.errors_by_class[name];
    }
    first = std::min(first, r.intended_start_ns);
    last = std::max(last, r.end_ns);
  }
  if (f.requests == 0) return f;
  f.error_rate_pct = 100.0 * static_cast<double>(f.errors) / static_cast<double>(f.requests);
  f.span_s = last > first ? static_cast<double>(last - first) / 1e9 : 0;
  f.throughput_rps = f.span_s > 0 ? static_cast<double>(f.requests) / f.span_s : 0;
  f.latency = stats::percentiles_of(latency);
  f.service = stats::percentiles_of(service);
  return f;
}

std::optional<LoadView> load_view(const capture::Capture& c) {
  if (!c.load) return std::nullopt;
  LoadView v;
  v.summary_json = c.load->summary_json;
  v.table = c.load->table;
  v.requests_in_capture = c.requests.size();
  v.log_records = c.load->log_records;
  v.log_dropped = c.load->log_dropped;
  v.from_log = log_figures(c);
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
