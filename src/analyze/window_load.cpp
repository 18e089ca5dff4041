// Load figures of a windowed bench capture, from its request log (window_load.h).
#include "loadprof/analyze/window_load.h"

#include <algorithm>
#include <iterator>

namespace loadprof::analyze {
namespace {

// capture::RequestRecord::error_class values, in load::ErrorClass's order.
constexpr const char* kErrorClassNames[] = {"none", "connect", "timeout", "reset",
                                            "read", "4xx",     "5xx",     "expect"};

static_assert(std::size(kErrorClassNames) == 8);

}  // namespace

void RequestTally::add(uint64_t latency_ns, bool error, bool censored) {
  ++requests_;
  latency_.record(latency_ns);
  if (censored) censored_.record(latency_ns);
  if (error) ++errors_;
}

void RequestTally::add(const capture::RequestRecord& r) {
  add(r.end_ns > r.intended_start_ns ? r.end_ns - r.intended_start_ns : 0,
      r.error_class != capture::kRequestErrorNone, r.error_class == capture::kRequestErrorTimeout);
  // Sent once connected (a connect error never was): from then to the end, as the driver counts it.
  const uint64_t sent = r.actual_start_ns + r.connect_ns;
  if (r.error_class != capture::kRequestErrorConnect && r.end_ns >= sent) service_.record(r.end_ns - sent);
  if (r.error_class != capture::kRequestErrorNone)
    ++errors_by_class_[std::min<size_t>(r.error_class, kClasses)];
}

LoadFigures RequestTally::figures(uint64_t origin_ns, uint64_t from_ns, uint64_t to_ns) const {
  LoadFigures f;
  f.start_s = from_ns > origin_ns ? static_cast<double>(from_ns - origin_ns) / 1e9 : 0;
  f.duration_s = to_ns > from_ns ? static_cast<double>(to_ns - from_ns) / 1e9 : 0;
  f.requests = requests_;
  f.errors = errors_;
  f.error_rate_pct = requests_ ? 100.0 * static_cast<double>(errors_) / static_cast<double>(requests_) : 0;
  f.throughput_rps = f.duration_s > 0 ? static_cast<double>(requests_) / f.duration_s : 0;
  for (size_t i = 1; i < kClasses; ++i) f.errors_by_class[kErrorClassNames[i]] = errors_by_class_[i];
  if (errors_by_class_[kClasses]) f.errors_by_class["other"] = errors_by_class_[kClasses];
  f.latency = stats::percentiles_of(latency_);
  f.service_time = stats::percentiles_of(service_);
  return f;
}

LoadFigures log_figures(const capture::Capture& c) {
  RequestTally all;
  uint64_t first = UINT64_MAX, last = 0;
  for (const auto& r : c.requests) {
    if (r.stage == capture::kWarmupStage) continue;
    all.add(r);
    first = std::min(first, r.intended_start_ns);
    last = std::max(last, r.end_ns);
  }
  if (all.requests() == 0) return all.figures(0, 0, 0);
  const uint64_t origin = c.load ? c.load->measured_start_ns : first;
  return all.figures(origin, first, last);
}

std::optional<WindowLoad> window_load(const capture::Capture& c, const capture::PlacedWindow& w) {
  if (!c.load) return std::nullopt;
  const capture::LoadRun& run = c.load.value();
  const uint64_t origin = run.measured_start_ns;
  RequestTally total;
  std::vector<RequestTally> stages(run.stages.size());
  for (const auto& r : c.requests) {
    if (r.stage == capture::kWarmupStage) continue;
    total.add(r);
    if (r.stage < stages.size()) stages[r.stage].add(r);
  }
  WindowLoad out;
  // The load ran in its measured span: the window's part of it.
  const uint64_t from = std::max(w.start_ns, run.measured_start_ns);
  const uint64_t to =
      std::max(from, std::min(w.end_ns, run.measured_end_ns ? run.measured_end_ns : w.end_ns));
  out.total = total.figures(origin, from, to);
  for (size_t i = 0; i < stages.size(); ++i)
    out.stages.push_back(stages[i].figures(origin, run.stages[i].start_ns, run.stages[i].end_ns));
  const auto series_s = [&](uint64_t t) {
    return t > run.measured_start_ns ? static_cast<double>(t - run.measured_start_ns) / 1e9 : 0.0;
  };
  out.timeseries_from_s = series_s(w.start_ns);
  out.timeseries_to_s = series_s(w.end_ns);
  return out;
}

}  // namespace loadprof::analyze
