// Loader of bpf/offcpu.bpf.c: opens the skeleton with the cpu probe's target
// map (one target set), sizes the ring buffer, attaches sched_switch and
// sched_wakeup/sched_wakeup_new (tp_btf), drains the aggregates of short
// intervals, and exposes the drop counters.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "loadprof/util/result.h"
#include "offcpu.h"

struct offcpu;
struct ring_buffer;
struct bpf_link;

namespace loadprof::collect {

struct OffCpuProbeOptions {
  int targets_map_fd = -1;       // the cpu probe's target map
  uint64_t min_interval_ns = 0;  // shorter intervals are aggregated in BPF
  uint64_t ringbuf_bytes = 0;    // 0: a default sized for busy targets
  // DWARF: user stack bytes copied at switch-out for the targets whose
  // target-map entry is LP_UNWIND_DWARF (a power of two, 512 ..
  // LP_OFFCPU_STACK_MAX_BYTES); 0: none (frame-pointer stacks only).
  uint32_t dwarf_stack_bytes = 0;
  // --offcpu-wakers: the waker's user + kernel stacks (frame pointers) at
  // each waking (one bpf_get_stackid each), ids carried by the records.
  bool waker_stacks = false;
};

class OffCpuProbe {
 public:
  using RecordFn = std::function<void(std::span<const uint8_t>)>;

  static Result<std::unique_ptr<OffCpuProbe>> open(const OffCpuProbeOptions& options, RecordFn on_record);
  ~OffCpuProbe();
  OffCpuProbe(const OffCpuProbe&) = delete;
  OffCpuProbe& operator=(const OffCpuProbe&) = delete;

  // Hands every available record to on_record.
  [[nodiscard]] Result<void> consume();
  // The ring buffer map: its poll wait queue is woken when the ring is a
  // quarter full (records are otherwise sent without a wake-up). Register it
  // edge-triggered: level-triggered, it stays readable while any record waits.
  int ring_fd() const;
  // Hands over (and removes) the aggregates of the map BPF stopped writing at
  // the previous call, then switches BPF to the map just emptied; all: both
  // maps (after stop(), when no program runs any more).
  void flush_aggregates(const std::function<void(const lp_offcpu_agg&)>& on_aggregate, bool all);
  // A thread of a new target, off the CPU (or waiting for one: runnable) since
  // start_ns as far as the probe knows: its next switch-in ends an interval
  // from there (without stacks). Does nothing when the probe saw it already
  // (then false).
  bool seed_thread(uint32_t pid, uint32_t tid, bool runnable, uint64_t start_ns);
  // Detaches the tracepoints: no interval ends after this returns.
  void stop();
  // After stop(): the threads still off the CPU (switched out, not back in).
  std::vector<lp_offcpu_event> take_open();
  // DWARF: the registers and stack copied at the switch-out of tid at
  // start_ns, when still kept (for the intervals take_open() returns).
  bool kept_stack(uint32_t tid, uint64_t start_ns, lp_offcpu_stack_event& out) const;
  // --offcpu-wakers: the frames of a record's waker_*_stack_id (leaf first);
  // false for a negative id or one the map does not hold.
  bool waker_stack(int32_t id, std::vector<uint64_t>& ips);
  // Sums over CPUs, indexed by lp_offcpu_drop_reason.
  std::array<uint64_t, LP_OFFCPU_DROP_REASONS> drops() const;

 private:
  OffCpuProbe() = default;
  static int on_ringbuf_record(void* ctx, void* data, size_t size);

  RecordFn on_record_;
  int possible_cpus_ = 1;
  struct offcpu* skel_ = nullptr;
  ring_buffer* ringbuf_ = nullptr;
  std::vector<bpf_link*> links_;
  std::unordered_map<int32_t, std::vector<uint64_t>> waker_stacks_;  // id -> frames, read once
};

}  // namespace loadprof::collect
