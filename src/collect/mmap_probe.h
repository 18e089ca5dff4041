// Loader of bpf/mmap.bpf.c (the mmap probe, always on with the alloc
// probe): opens the skeleton with the cpu probe's target map (one target
// set), attaches the per-syscall tracepoints of mmap/munmap/brk/mremap (raw
// sys_enter/sys_exit, tp_btf, when they cannot be attached), drains the per-second
// aggregates by (process, op, user stack), hands over the DWARF-mode calls
// from its ring buffer, and exposes the counters.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "loadprof/util/result.h"
#include "mmap.h"

struct mmap_probe;
struct ring_buffer;
struct bpf_link;

namespace loadprof::collect {

struct MmapProbeOptions {
  int targets_map_fd = -1;  // the cpu probe's target map
  // > 0: DWARF mode, each successful call of a target whose map entry is
  // LP_UNWIND_DWARF is sent with the user registers and this many bytes of
  // the user stack (a power of two, 512 .. 4096; lp_mmap_dwarf_event).
  uint32_t dwarf_stack_bytes = 0;
  uint64_t ringbuf_bytes = 0;  // 0: a default
};

class MmapProbe {
 public:
  using AggFn = std::function<void(const lp_mmap_agg_key&, const lp_mmap_agg&)>;
  using RecordFn = std::function<void(std::span<const uint8_t>)>;

  // on_record: the DWARF-mode calls (lp_mmap_dwarf_event), from consume().
  static Result<std::unique_ptr<MmapProbe>> open(const MmapProbeOptions& options, RecordFn on_record);
  ~MmapProbe();
  MmapProbe(const MmapProbe&) = delete;
  MmapProbe& operator=(const MmapProbe&) = delete;

  // Hands over (and removes) the aggregates of the map BPF stopped writing
  // at the previous call, then switches BPF to the map just emptied; all:
  // both (after stop(), when no program runs any more).
  void flush_aggregates(const AggFn& on_aggregate, bool all);
  // Hands the DWARF-mode calls waiting in the ring to on_record, at most a
  // few thousand per call (nothing outside DWARF mode).
  [[nodiscard]] Result<void> consume();
  // The ring buffer's fd: readable when BPF wakes the reader (a quarter
  // full), for an edge-triggered epoll; -1 outside DWARF mode.
  int ring_fd() const;
  // Detaches the tracepoints.
  void stop();
  // Sums over CPUs, indexed by lp_mmap_counter.
  std::array<uint64_t, LP_MMAP_COUNTERS> counters() const;
  // true: attached to the per-syscall tracepoints; false: the raw ones.
  bool per_syscall() const { return per_syscall_; }

 private:
  MmapProbe() = default;
  static int on_ringbuf_record(void* ctx, void* data, size_t size);

  RecordFn on_record_;
  uint64_t consumed_ = 0;  // records handed over by the current consume()
  int possible_cpus_ = 1;
  struct mmap_probe* skel_ = nullptr;
  ring_buffer* ringbuf_ = nullptr;  // DWARF mode only
  std::vector<bpf_link*> links_;
  bool per_syscall_ = false;
};

}  // namespace loadprof::collect
