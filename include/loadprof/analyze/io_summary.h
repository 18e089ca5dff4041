// The io probe's figures (SPEC's "io" key): syscalls by (name, fd kind) and
// block requests by (device, op) — count, bytes, total time and latency
// percentiles. The recorder keeps latencies as log2 histograms (a bucket
// spans a factor of 2), so p50/p99 are interpolated inside their bucket and
// capped at the largest latency seen; max is exact.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "loadprof/capture/model.h"

namespace loadprof::analyze {

struct LatencyMs {
  double p50 = 0;
  double p99 = 0;
  double max = 0;
};

struct IoSyscallStat {
  std::string name;     // "fsync"
  std::string fd_kind;  // "file", "socket", "pipe", "other", "poll"
  uint64_t count = 0;
  uint64_t bytes = 0;
  uint64_t errors = 0;
  double total_ms = 0;
  LatencyMs latency_ms;
  capture::LatencyLog2 latency_log2{};
};

struct IoDeviceStat {
  std::string device;  // "vda"
  std::string op;      // "read", "write", "flush", "discard", "other"
  uint64_t count = 0;
  uint64_t bytes = 0;
  uint64_t errors = 0;
  double total_ms = 0;
  LatencyMs latency_ms;
  capture::LatencyLog2 latency_log2{};
};

struct IoSummary {
  std::vector<IoSyscallStat> syscalls;  // by total_ms, descending
  std::vector<IoDeviceStat> devices;    // by total_ms, descending (the whole machine's requests)
};

IoSummary summarize_io(const capture::Capture& capture);

// The latency (ns) below which a fraction q of the histogram's calls lie:
// linear inside the bucket that holds it ([2^b, 2^(b+1)) ns), at most max_ns.
double log2_quantile_ns(const capture::LatencyLog2& histogram, double q, uint64_t max_ns);

}  // namespace loadprof::analyze
