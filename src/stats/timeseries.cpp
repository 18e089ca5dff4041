// Time series storage: sparse histogram buckets per second, expanded into a
// full Histogram only when percentiles are asked for.
#include "loadprof/stats/timeseries.h"

namespace loadprof::stats {

void TimeSeries::add_second(uint32_t t_s, const Histogram& latency, uint64_t requests, uint64_t errors,
                            uint64_t late_starts) {
  Entry& e = seconds_[t_s];
  e.requests += requests;
  e.errors += errors;
  e.late_starts += late_starts;
  if (latency.max_ns() > e.max_ns) e.max_ns = latency.max_ns();
  latency.append_sparse(e.buckets);
}

void TimeSeries::merge(const TimeSeries& other) {
  for (const auto& [t, o] : other.seconds_) {
    Entry& e = seconds_[t];
    e.requests += o.requests;
    e.errors += o.errors;
    e.late_starts += o.late_starts;
    if (o.max_ns > e.max_ns) e.max_ns = o.max_ns;
    e.buckets.insert(e.buckets.end(), o.buckets.begin(), o.buckets.end());
  }
}

std::vector<SecondPoint> TimeSeries::points() const {
  std::vector<SecondPoint> out(seconds());
  for (size_t i = 0; i < out.size(); ++i) out[i].t_s = static_cast<uint32_t>(i);
  Histogram h;
  for (const auto& [t, e] : seconds_) {
    SecondPoint& p = out[t];
    p.requests = e.requests;
    p.errors = e.errors;
    p.late_starts = e.late_starts;
    h.reset();
    h.add_sparse(e.buckets);
    p.latency = percentiles_of(h);
    p.latency.max_ms = static_cast<double>(e.max_ns) / 1e6;  // exact, not the bucket bound
  }
  return out;
}

}  // namespace loadprof::stats
