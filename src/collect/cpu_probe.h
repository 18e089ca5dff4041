// Loader of bpf/cpu.bpf.c: opens the skeleton, sizes the ring buffer, attaches
// the fork/exit tracepoints (tp_btf, raw_tp fallback) and one cpu-clock perf
// event per CPU, and exposes the target map, drop counters and accounting.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "cpu.h"
#include "loadprof/util/result.h"

struct cpu;
struct ring_buffer;
struct bpf_link;

namespace loadprof::collect {

struct CpuProbeOptions {
  uint32_t frequency_hz = 99;
  bool follow_children = true;
  uint64_t ringbuf_bytes = 0;
  uint32_t self_tgid = 0;
  std::vector<int> cpus{0};  // online CPU ids (not necessarily 0..N-1)
  // Per entry of cpus: a perf event fd with an mmap ring on the same CPU and
  // clock (the sideband's) that receives the cpu-clock event's THROTTLE /
  // UNTHROTTLE records; -1 or missing: throttling is not recorded.
  std::vector<int> throttle_output_fds;
};

class CpuProbe {
 public:
  using RecordFn = std::function<void(std::span<const uint8_t>)>;

  static Result<std::unique_ptr<CpuProbe>> open(const CpuProbeOptions& options, RecordFn on_record);
  ~CpuProbe();
  CpuProbe(const CpuProbe&) = delete;
  CpuProbe& operator=(const CpuProbe&) = delete;

  [[nodiscard]] Result<void> add_pid(uint32_t pid);
  // Takes a pid out of the filter (a target whose exit the tracepoint missed,
  // so that a process reusing the pid is not sampled).
  void remove_pid(uint32_t pid);
  // The pids in the filter now (for diagnostics and tests).
  std::vector<uint32_t> filter_pids() const;
  // The target map, for other probes to share (one target set).
  int targets_map_fd() const;
  // false when the THROTTLE records could not be routed (see options).
  bool throttling_recorded() const { return throttling_recorded_; }
  // Waits up to timeout_ms (an interrupting signal ends the wait) and hands
  // every available record to on_record.
  [[nodiscard]] Result<void> poll(int timeout_ms);
  [[nodiscard]] Result<void> consume();
  // Detaches the cpu-clock events: no sample is taken after this returns.
  void stop_sampling();

  // Sums over CPUs, indexed by lp_drop_reason.
  std::array<uint64_t, LP_DROP_REASONS> drops() const;
  // slots[cpu][slot]
  std::vector<std::array<lp_accounting_slot, LP_ACCOUNTING_SLOTS>> read_accounting() const;
  uint64_t ringbuf_bytes() const { return ringbuf_bytes_; }
  // The sample program's {run count, run time ns} (bpf_stats; zeros when off).
  std::pair<uint64_t, uint64_t> sample_program_stats() const;

 private:
  CpuProbe() = default;
  static int on_ringbuf_record(void* ctx, void* data, size_t size);

  CpuProbeOptions options_;
  RecordFn on_record_;
  int possible_cpus_ = 1;
  uint64_t ringbuf_bytes_ = 0;
  bool throttling_recorded_ = false;
  // Destroyed in this order (links before the skeleton): see the destructor.
  struct cpu* skel_ = nullptr;
  ring_buffer* ringbuf_ = nullptr;
  std::vector<bpf_link*> perf_links_;
  std::vector<bpf_link*> tracepoint_links_;
};

}  // namespace loadprof::collect
