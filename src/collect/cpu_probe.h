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
#include "perf_ring.h"

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
  // DWARF unwinding: the cpu-clock events also carry the user registers and
  // a copy of the top user_stack_bytes of the user stack (and the kernel
  // callchain), written to each event's own perf ring for the processes whose
  // target-map entry says LP_UNWIND_DWARF. Their throttle records then come
  // through those rings too (throttle_output_fds is not used).
  bool dwarf = false;
  uint32_t user_stack_bytes = 16384;
};

// The user registers the DWARF samples carry, in this order (perf's x86 bit
// order: AX BX CX DX SI DI BP SP IP, then R8..R15).
inline constexpr uint64_t kDwarfSampleRegsMask = 0x1ffull | (0xffull << 16);
inline constexpr size_t kDwarfSampleRegs = 17;

class CpuProbe {
 public:
  using RecordFn = std::function<void(std::span<const uint8_t>)>;

  static Result<std::unique_ptr<CpuProbe>> open(const CpuProbeOptions& options, RecordFn on_record);
  ~CpuProbe();
  CpuProbe(const CpuProbe&) = delete;
  CpuProbe& operator=(const CpuProbe&) = delete;

  // mode: lp_unwind_mode (LP_UNWIND_DWARF only when opened with dwarf).
  [[nodiscard]] Result<void> add_pid(uint32_t pid, uint8_t mode = LP_UNWIND_FP);
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
  // The ring buffer's epoll fd (for a poll over several probes' rings).
  int wakeup_fd() const;
  // DWARF mode: hands every record of the cpu-clock events' perf rings
  // (PERF_RECORD_SAMPLE with TID, TIME, CALLCHAIN, REGS_USER, STACK_USER;
  // THROTTLE, UNTHROTTLE and LOST with a TID|TIME sample_id) to fn with the
  // index of its CPU in options.cpus. Still works after stop_sampling().
  void read_dwarf_rings(const std::function<void(size_t cpu_index, std::span<const uint8_t>)>& fn);
  uint64_t dwarf_ring_bytes() const { return dwarf_ring_bytes_; }
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
  std::vector<PerfRing> dwarf_rings_;  // per entry of options.cpus (DWARF mode)
  uint64_t dwarf_ring_bytes_ = 0;
};

}  // namespace loadprof::collect
