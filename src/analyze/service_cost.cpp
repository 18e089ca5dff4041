// The service's CPU per request and its CPUs' other load (service_cost.h).
#include "loadprof/analyze/service_cost.h"

#include <algorithm>
#include <map>
#include <random>

namespace loadprof::analyze {

double ServiceCost::cpu_ms_per_request() const {
  double cpu = 0;
  uint64_t n = 0;
  for (const auto& b : blocks) cpu += b.cpu_ns, n += b.requests;
  return n ? cpu / static_cast<double>(n) / 1e6 : 0;
}

ServiceCost service_cost(const capture::Capture& c) {
  ServiceCost out;
  if (!c.load || c.load->measured_end_ns <= c.load->measured_start_ns) return out;
  const uint64_t from = c.load->measured_start_ns, to = c.load->measured_end_ns;
  // One block per reading time (the target's processes summed), its interval
  // inside the span by its middle.
  std::vector<std::pair<uint64_t, uint64_t>> intervals;  // [start, end]
  std::vector<double> cpu;
  std::map<uint64_t, size_t> index_of;  // reading time -> its interval
  for (const auto& r : c.resources) {
    if (r.pid == capture::kMachinePid || r.interval_ns == 0 || r.interval_ns > r.time_ns) continue;
    const uint64_t start = r.time_ns - r.interval_ns, mid = start + r.interval_ns / 2;
    if (mid < from || mid > to) continue;
    auto [at, added] = index_of.try_emplace(r.time_ns, intervals.size());
    if (added) {
      intervals.push_back({start, r.time_ns});
      cpu.push_back(0);
    }
    cpu[at->second] += static_cast<double>(r.cpu_ns);
  }
  // Requests by the reading whose interval holds their end (readings sorted by end).
  std::vector<size_t> order(intervals.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return intervals[a].second < intervals[b].second; });
  out.blocks.resize(intervals.size());
  std::vector<uint64_t> ends(order.size());
  for (size_t k = 0; k < order.size(); ++k) {
    out.blocks[k].cpu_ns = cpu[order[k]];
    ends[k] = intervals[order[k]].second;
  }
  for (const auto& r : c.requests) {
    if (r.stage == capture::kWarmupStage) continue;
    const size_t k = static_cast<size_t>(std::lower_bound(ends.begin(), ends.end(), r.end_ns) - ends.begin());
    if (k < ends.size() && r.end_ns > intervals[order[k]].first) ++out.blocks[k].requests;
  }
  uint64_t other = 0, all = 0;
  for (const auto& a : c.cpu_accounting) {
    if (a.target == 0 || a.second_ns + 1'000'000'000 <= from || a.second_ns >= to) continue;
    other += a.other;
    all += a.target + a.self + a.other + a.idle;
  }
  if (all > 0) out.other_pct = 100.0 * static_cast<double>(other) / static_cast<double>(all);
  return out;
}

std::optional<CostChange> compare_cost(const ServiceCost& base, const ServiceCost& next, size_t resamples,
                                       uint64_t seed) {
  auto with_requests = [](const ServiceCost& s) {
    size_t n = 0;
    for (const auto& b : s.blocks) n += b.requests > 0;
    return n;
  };
  if (with_requests(base) < 2 || with_requests(next) < 2) return std::nullopt;
  CostChange c;
  c.base_ms = base.cpu_ms_per_request();
  c.new_ms = next.cpu_ms_per_request();
  if (c.base_ms <= 0) return std::nullopt;
  c.change_pct = (c.new_ms - c.base_ms) / c.base_ms * 100;
  std::mt19937_64 rng(seed);
  auto resample = [&rng](const ServiceCost& s) {
    std::uniform_int_distribution<size_t> pick(0, s.blocks.size() - 1);
    double cpu = 0;
    uint64_t n = 0;
    for (size_t k = 0; k < s.blocks.size(); ++k) {
      const auto& b = s.blocks[pick(rng)];
      cpu += b.cpu_ns, n += b.requests;
    }
    return n ? cpu / static_cast<double>(n) : 0.0;
  };
  std::vector<double> changes;
  changes.reserve(resamples);
  for (size_t i = 0; i < resamples; ++i) {
    const double b = resample(base), n = resample(next);
    if (b > 0) changes.push_back((n - b) / b * 100);
  }
  if (changes.empty()) return std::nullopt;
  std::sort(changes.begin(), changes.end());
  auto at = [&](double q) {
    return changes[std::min(changes.size() - 1,
                            static_cast<size_t>(q * static_cast<double>(changes.size())))];
  };
  c.ci95_low_pct = at(0.025);
  c.ci95_high_pct = at(0.975);
  return c;
}

}  // namespace loadprof::analyze
