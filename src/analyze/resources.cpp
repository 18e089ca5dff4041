// The resource timeline: readings -> one row per second.
#include "loadprof/analyze/resources.h"

#include <algorithm>
#include <map>

namespace loadprof::analyze {
namespace {

constexpr uint64_t kSecondNs = 1'000'000'000;

struct Sums {
  double cpu_ns = 0, read = 0, write = 0, rx = 0, tx = 0, vol = 0, invol = 0, minflt = 0, majflt = 0;
  double machine_cpu_ns = 0;
  uint64_t machine_covered_ns = 0;
  bool ctxsw_known = false;
  bool ctxsw_missing = false;  // a process reading without them
  bool seen = false;           // some reading speaks of this second
};

}  // namespace

std::vector<ResourceSecond> resource_timeline(const capture::Capture& c) {
  if (c.resources.empty()) return {};
  const uint64_t start = c.metadata.start_monotonic_ns;
  uint64_t last = start;
  for (const auto& r : c.resources) last = std::max(last, r.time_ns);
  const size_t seconds = static_cast<size_t>((last - std::min(last, start)) / kSecondNs) + 1;
  std::vector<Sums> sums(seconds);
  const uint32_t cpus = std::max<uint32_t>(1, c.metadata.cpu_count);

  // Deltas, spread over the seconds their interval covers.
  for (const auto& r : c.resources) {
    if (r.interval_ns == 0 || r.time_ns < start + r.interval_ns) continue;
    const uint64_t lo = r.time_ns - r.interval_ns - start, hi = r.time_ns - start;
    for (uint64_t s = lo / kSecondNs; s < seconds && s * kSecondNs < hi; ++s) {
      const uint64_t a = std::max(lo, s * kSecondNs), b = std::min(hi, (s + 1) * kSecondNs);
      if (b <= a) continue;
      const double f = static_cast<double>(b - a) / static_cast<double>(r.interval_ns);
      Sums& x = sums[s];
      x.seen = true;
      if (r.pid == capture::kMachinePid) {
        x.machine_cpu_ns += f * static_cast<double>(r.cpu_ns);
        x.machine_covered_ns += b - a;
        continue;
      }
      x.cpu_ns += f * static_cast<double>(r.cpu_ns);
      x.read += f * static_cast<double>(r.read_bytes);
      x.write += f * static_cast<double>(r.write_bytes);
      x.rx += f * static_cast<double>(r.net_rx_bytes);
      x.tx += f * static_cast<double>(r.net_tx_bytes);
      x.minflt += f * static_cast<double>(r.minor_faults);
      x.majflt += f * static_cast<double>(r.major_faults);
      if (r.ctxsw_known) {
        x.vol += f * static_cast<double>(r.voluntary_ctxsw);
        x.invol += f * static_cast<double>(r.involuntary_ctxsw);
        x.ctxsw_known = true;
      } else {
        x.ctxsw_missing = true;
      }
    }
  }

  // Gauges: each pid's last reading before the end of the second, while the
  // pid still has readings at or after the second's start.
  std::map<uint32_t, std::vector<const capture::ResourceSample*>> by_pid;
  for (const auto& r : c.resources) by_pid[r.pid].push_back(&r);
  std::vector<ResourceSecond> out(seconds);
  for (size_t s = 0; s < seconds; ++s) out[s].t_s = static_cast<uint32_t>(s);
  for (auto& [pid, rows] : by_pid) {
    std::stable_sort(rows.begin(), rows.end(),
                     [](const auto* a, const auto* b) { return a->time_ns < b->time_ns; });
    const uint64_t first = rows.front()->time_ns - start, final = rows.back()->time_ns - start;
    size_t i = 0;
    for (size_t s = first / kSecondNs; s < seconds && s * kSecondNs <= final; ++s) {
      while (i + 1 < rows.size() && rows[i + 1]->time_ns - start < (s + 1) * kSecondNs) ++i;
      const capture::ResourceSample& r = *rows[i];
      ResourceSecond& o = out[s];
      sums[s].seen = true;
      if (pid == capture::kMachinePid) {
        o.machine_mem_used_bytes = r.rss_bytes;
        o.machine_mem_available_bytes = r.available_bytes;
        continue;
      }
      o.rss_bytes += r.rss_bytes;
      o.threads += r.threads;
      o.fds += r.fds;
      ++o.processes;
    }
  }

  for (size_t s = 0; s < seconds; ++s) {
    const Sums& x = sums[s];
    ResourceSecond& o = out[s];
    if (x.machine_covered_ns > 0) {
      const double covered = static_cast<double>(x.machine_covered_ns);
      o.cpu_pct = x.cpu_ns * 100.0 / covered;
      // /proc/stat counts in ticks: a second can read a tick over 100 %.
      o.machine_cpu_pct = std::min(100.0, x.machine_cpu_ns * 100.0 / (covered * cpus));
    }
    o.read_bytes = static_cast<uint64_t>(x.read + 0.5);
    o.write_bytes = static_cast<uint64_t>(x.write + 0.5);
    o.net_rx_bytes = static_cast<uint64_t>(x.rx + 0.5);
    o.net_tx_bytes = static_cast<uint64_t>(x.tx + 0.5);
    o.minor_faults = static_cast<uint64_t>(x.minflt + 0.5);
    o.major_faults = static_cast<uint64_t>(x.majflt + 0.5);
    // Unknown only when a process was read without them (a second without
    // process readings had no switches to count).
    if (x.ctxsw_known || !x.ctxsw_missing) {
      o.voluntary_ctxsw = static_cast<uint64_t>(x.vol + 0.5);
      o.involuntary_ctxsw = static_cast<uint64_t>(x.invol + 0.5);
    }
  }
  // Seconds no reading speaks of (before a --window, say) are left out.
  std::vector<ResourceSecond> kept;
  for (size_t s = 0; s < seconds; ++s)
    if (sums[s].seen) kept.push_back(out[s]);
  return kept;
}

}  // namespace loadprof::analyze
