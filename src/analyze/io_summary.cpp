// Syscall and block-device figures of the io probe, from its log2 histograms.
#include "loadprof/analyze/io_summary.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "loadprof/capture/io_names.h"

namespace loadprof::analyze {
namespace {

template <class Stat>
void finish(Stat& s, uint64_t total_ns, uint64_t max_ns) {
  s.total_ms = static_cast<double>(total_ns) / 1e6;
  s.latency_ms.p50 = log2_quantile_ns(s.latency_log2, 0.50, max_ns) / 1e6;
  s.latency_ms.p99 = log2_quantile_ns(s.latency_log2, 0.99, max_ns) / 1e6;
  s.latency_ms.max = static_cast<double>(max_ns) / 1e6;
}

template <class Record, class Stat>
void add(const Record& r, Stat& s, uint64_t& total_ns, uint64_t& max_ns) {
  s.count += r.count;
  s.bytes += r.bytes;
  s.errors += r.errors;
  total_ns += r.total_ns;
  max_ns = std::max(max_ns, r.max_ns);
  for (size_t b = 0; b < capture::kIoLatencyBuckets; ++b) s.latency_log2[b] += r.latency_log2[b];
}

}  // namespace

double log2_quantile_ns(const capture::LatencyLog2& h, double q, uint64_t max_ns) {
  uint64_t total = 0;
  for (uint64_t c : h) total += c;
  if (total == 0) return 0;
  const double rank = q * static_cast<double>(total);
  double below = 0;
  for (size_t b = 0; b < h.size(); ++b) {
    if (h[b] == 0) continue;
    const double in_bucket = static_cast<double>(h[b]);
    if (below + in_bucket >= rank) {
      const double lo = b == 0 ? 0 : std::ldexp(1.0, static_cast<int>(b));
      const double hi = std::ldexp(1.0, static_cast<int>(b) + 1);
      const double v = lo + (hi - lo) * std::clamp((rank - below) / in_bucket, 0.0, 1.0);
      return max_ns ? std::min(v, static_cast<double>(max_ns)) : v;
    }
    below += in_bucket;
  }
  return static_cast<double>(max_ns);
}

IoSummary summarize_io(const capture::Capture& c) {
  IoSummary out;
  struct Acc {
    IoSyscallStat stat;
    uint64_t total_ns = 0, max_ns = 0;
  };
  std::map<std::pair<capture::IoSyscall, capture::FdKind>, Acc> by_syscall;
  for (const auto& r : c.io_syscalls) {
    Acc& a = by_syscall[{r.syscall, r.fd_kind}];
    add(r, a.stat, a.total_ns, a.max_ns);
  }
  for (auto& [key, a] : by_syscall) {
    a.stat.name = capture::io_syscall_name(key.first);
    a.stat.fd_kind = capture::fd_kind_name(key.second);
    finish(a.stat, a.total_ns, a.max_ns);
    out.syscalls.push_back(std::move(a.stat));
  }
  struct DevAcc {
    IoDeviceStat stat;
    uint64_t total_ns = 0, max_ns = 0;
  };
  std::map<std::pair<std::string, capture::BlockOp>, DevAcc> by_device;
  for (const auto& r : c.io_devices) {
    DevAcc& a = by_device[{r.device, r.op}];
    add(r, a.stat, a.total_ns, a.max_ns);
  }
  for (auto& [key, a] : by_device) {
    a.stat.device = key.first;
    a.stat.op = capture::block_op_name(key.second);
    finish(a.stat, a.total_ns, a.max_ns);
    out.devices.push_back(std::move(a.stat));
  }
  std::stable_sort(out.syscalls.begin(), out.syscalls.end(),
                   [](const IoSyscallStat& x, const IoSyscallStat& y) { return x.total_ms > y.total_ms; });
  std::stable_sort(out.devices.begin(), out.devices.end(),
                   [](const IoDeviceStat& x, const IoDeviceStat& y) { return x.total_ms > y.total_ms; });
  return out;
}

}  // namespace loadprof::analyze
