// The resource timeline (SPEC's "resources" key): the recorder's /proc
// readings (capture::ResourceSample) turned into one row per second of the
// capture, summed over the target processes, with the machine's figures
// beside them. A reading's deltas are spread over the seconds its interval
// covers, in proportion; gauges (RSS, threads, fds, memory) are each
// process's last reading before the end of the second.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "loadprof/capture/model.h"

namespace loadprof::analyze {

struct ResourceSecond {
  uint32_t t_s = 0;           // start of the second, from the capture start
  double cpu_pct = 0;         // target processes' CPU time, in % of one CPU
  uint64_t rss_bytes = 0;     // resident sets, summed
  uint64_t read_bytes = 0;    // storage reads in this second (/proc/PID/io)
  uint64_t write_bytes = 0;   // storage writes queued in this second
  uint64_t net_rx_bytes = 0;  // the targets' network namespaces, loopback included
  uint64_t net_tx_bytes = 0;
  // Absent when the recorder read a target but could not count them.
  std::optional<uint64_t> voluntary_ctxsw;
  std::optional<uint64_t> involuntary_ctxsw;
  uint32_t threads = 0;
  uint32_t fds = 0;
  uint32_t processes = 0;      // target processes with a reading by this second
  double machine_cpu_pct = 0;  // all CPUs busy, in % of all of them
  uint64_t machine_mem_used_bytes = 0;
  uint64_t machine_mem_available_bytes = 0;
  // Page faults in this second, summed over the target processes.
  uint64_t minor_faults = 0;
  uint64_t major_faults = 0;
};

// Empty when the capture holds no readings (older captures, imports).
std::vector<ResourceSecond> resource_timeline(const capture::Capture& capture);

}  // namespace loadprof::analyze
