// The recorder's once-a-second resource pass: one reading of /proc per target
// process (stat, io, net/dev, the fd directory, its network namespace) plus a
// taskstats query for its context switches, and one of the machine
// (/proc/stat, /proc/meminfo). Turns the cumulative counters into deltas
// since the previous reading of the same process (capture::ResourceSample).
// No per-thread walk: /proc/PID/stat and /proc/PID/io already sum all threads.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "loadprof/capture/model.h"
#include "taskstats.h"

namespace loadprof::record {

class ResourceSampler {
 public:
  ResourceSampler();

  // One pass at now_ns over the machine and `pids` (the live targets); the
  // machine's row first. A pid whose /proc is gone is left out.
  std::vector<capture::ResourceSample> sample(const std::vector<uint32_t>& pids, uint64_t now_ns);

  // false: context switches are not known (no taskstats, or not allowed).
  bool ctxsw_available() const { return taskstats_.has_value(); }
  // Counted, never silent: a live target's /proc file that did not parse, and
  // readings where a context-switch sum went down (threads exited, taking
  // their switches with them; that delta is 0).
  uint64_t unreadable() const { return unreadable_; }
  uint64_t ctxsw_went_back() const { return ctxsw_went_back_; }
  uint64_t passes() const { return passes_; }
  uint64_t pass_ns() const { return pass_ns_; }  // wall time of all passes

 private:
  struct Previous {
    uint64_t time_ns = 0;
    uint64_t cpu_ticks = 0;
    uint64_t read_bytes = 0;
    uint64_t write_bytes = 0;
    uint64_t voluntary = 0;
    uint64_t involuntary = 0;
    bool has_ctxsw = false;
    uint64_t minor_faults = 0;
    uint64_t major_faults = 0;
  };
  struct NetPrevious {
    uint64_t rx_bytes = 0;
    uint64_t tx_bytes = 0;
  };
  std::optional<capture::ResourceSample> sample_process(uint32_t pid, uint64_t now_ns,
                                                        std::unordered_map<uint64_t, bool>& netns_seen);
  capture::ResourceSample sample_machine(uint64_t now_ns);

  std::optional<TaskstatsClient> taskstats_;
  uint64_t ticks_per_s_ = 100;
  uint64_t page_bytes_ = 4096;
  std::unordered_map<uint32_t, Previous> previous_;
  std::unordered_map<uint64_t, NetPrevious> net_previous_;  // by namespace inode
  std::optional<Previous> machine_previous_;                // cpu_ticks = busy ticks
  uint64_t unreadable_ = 0;
  uint64_t ctxsw_went_back_ = 0;
  uint64_t passes_ = 0;
  uint64_t pass_ns_ = 0;
};

}  // namespace loadprof::record
