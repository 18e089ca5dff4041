// Loader of bpf/mmap.bpf.c (the mmap probe, always on with the alloc
// probe): opens the skeleton with the cpu probe's target map (one target
// set), attaches the per-syscall tracepoints of mmap/munmap/brk (raw
// sys_enter/sys_exit, tp_btf, when they cannot be attached), drains the per-second
// aggregates of mmap/munmap/brk by (process, op, user stack), and exposes the
// counters.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "loadprof/util/result.h"
#include "mmap.h"

struct mmap_probe;
struct bpf_link;

namespace loadprof::collect {

struct MmapProbeOptions {
  int targets_map_fd = -1;  // the cpu probe's target map
};

class MmapProbe {
 public:
  using AggFn = std::function<void(const lp_mmap_agg_key&, const lp_mmap_agg&)>;

  static Result<std::unique_ptr<MmapProbe>> open(const MmapProbeOptions& options);
  ~MmapProbe();
  MmapProbe(const MmapProbe&) = delete;
  MmapProbe& operator=(const MmapProbe&) = delete;

  // Hands over (and removes) the aggregates of the map BPF stopped writing
  // at the previous call, then switches BPF to the map just emptied; all:
  // both (after stop(), when no program runs any more).
  void flush_aggregates(const AggFn& on_aggregate, bool all);
  // Detaches the tracepoints.
  void stop();
  // Sums over CPUs, indexed by lp_mmap_counter.
  std::array<uint64_t, LP_MMAP_COUNTERS> counters() const;
  // true: attached to the per-syscall tracepoints; false: the raw ones.
  bool per_syscall() const { return per_syscall_; }

 private:
  MmapProbe() = default;

  int possible_cpus_ = 1;
  struct mmap_probe* skel_ = nullptr;
  std::vector<bpf_link*> links_;
  bool per_syscall_ = false;
};

}  // namespace loadprof::collect
