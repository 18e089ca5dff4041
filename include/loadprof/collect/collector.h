// The CPU collector: per-CPU cpu-clock perf events (CLOCK_MONOTONIC) with a BPF
// program that keeps only samples of the target process set (a map kept
// current by fork/exit tracepoints), user + kernel stacks copied into ring
// buffer records, a per-CPU perf sideband (mmap2/comm/fork/exit) for maps over
// time, per-CPU per-second sample accounting, and drop counters by reason.
// Later probes (offcpu, io, alloc) plug in beside the cpu program.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "loadprof/capture/model.h"
#include "loadprof/util/result.h"

namespace loadprof::collect {

// One sample as it came out of the ring buffer; the spans are valid only
// during the callback. IPs are leaf first.
struct CpuSampleView {
  uint64_t time_ns = 0;
  uint32_t pid = 0;
  uint32_t tid = 0;
  uint32_t cpu = 0;
  std::span<const uint64_t> user_ips;
  std::span<const uint64_t> kernel_ips;
  // The frame-pointer walk left executable memory (the garbage frames are
  // already removed) or hit the depth limit of 127 frames.
  bool user_truncated = false;
  // DWARF samples (user_ips empty): the user registers at the sample, x86-64
  // DWARF numbering 0..16 (rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip), and
  // the copy of the user stack from rsp up, for the recorder to unwind. Raw
  // stack bytes: never to be written anywhere. Empty user_regs: no user
  // context (a kernel thread).
  bool dwarf = false;
  std::span<const uint64_t> user_regs;
  std::span<const uint8_t> user_stack;
};

// One off-CPU interval of one thread (offcpu probe): switched out at
// start_ns, woken at wake_ns (0: no wakeup seen), switched back in at end_ns.
// Stacks at switch-out, leaf first, the probe's and the scheduler's own
// kernel frames already skipped; valid only during the callback.
struct OffCpuView {
  uint64_t start_ns = 0;
  uint64_t wake_ns = 0;
  uint64_t end_ns = 0;
  uint32_t pid = 0;
  uint32_t tid = 0;
  uint32_t waker_pid = 0;  // 0: unknown, or the idle task (waker_known)
  uint32_t waker_tid = 0;
  bool waker_known = false;     // sched_waking/sched_wakeup seen: waker_* name who woke it
  std::string_view waker_comm;  // the waker thread's name
  // runqueue: still runnable when switched out (preempted), the whole
  // interval waited for a CPU; else why it blocked (from the kernel stack),
  // and from wake_ns on it waited for a CPU.
  capture::OffCpuReason reason = capture::OffCpuReason::other;
  std::span<const uint64_t> user_ips;
  std::span<const uint64_t> kernel_ips;
  bool user_truncated = false;
  // >1: `count` short intervals merged in BPF; start_ns is the first one's
  // start, and [start, wake) and [wake, end) hold their summed blocked and
  // runqueue time.
  uint32_t count = 1;
  // DWARF (user_ips empty): the registers and stack copy at switch-out, as
  // in CpuSampleView, for the recorder to unwind. Appended fields.
  bool dwarf = false;
  std::span<const uint64_t> user_regs;
  std::span<const uint8_t> user_stack;
  // --offcpu-wakers: the waker's stacks at its waking (frame pointers, leaf
  // first, its own frames: from the caller of try_to_wake_up). User frames
  // only for a waker among the targets, not for a waking from an interrupt.
  // Appended fields.
  bool waker_stack = false;
  std::span<const uint64_t> waker_user_ips;
  std::span<const uint64_t> waker_kernel_ips;
};

// One io-probe syscall record: a slow call on its own (count 1) or the calls
// of one (process, syscall, fd kind, user stack) merged in BPF over about a
// second. record.stack is not set: the user stack (leaf first, valid only
// during the callback) is in user_ips.
struct IoSyscallView {
  capture::IoSyscallRecord record;
  std::span<const uint64_t> user_ips;
  bool user_truncated = false;
  // DWARF (user_ips empty): one call (count 1) with the registers at its
  // entry and its stack copy, as in CpuSampleView, for the recorder to unwind
  // and merge by unwound stack.
  bool dwarf = false;
  std::span<const uint64_t> user_regs;
  std::span<const uint8_t> user_stack;
};

// One alloc-probe record: a sampled allocation with its user stack (leaf
// first, valid only during the callback; record.stack is not set), or the
// free of one (no stack).
struct AllocView {
  capture::AllocEvent record;
  std::span<const uint64_t> user_ips;
  bool user_truncated = false;
  // DWARF (user_ips empty): the registers at the allocator's return (leaf:
  // the caller) and the stack copy, as in CpuSampleView, for the recorder to unwind.
  bool dwarf = false;
  std::span<const uint64_t> user_regs;
  std::span<const uint8_t> user_stack;
};

// One mmap-probe record: the mmap/munmap/brk/mremap calls of one (process,
// op, user stack) merged in BPF over about a second. record.stack is not set:
// the user stack (leaf first, valid only during the callback) is in user_ips.
struct MmapView {
  capture::MmapRecord record;
  std::span<const uint64_t> user_ips;
  bool user_truncated = false;
  // DWARF (user_ips empty): one call (calls 1) with the registers at its
  // exit and its stack copy, as in CpuSampleView, for the recorder to unwind
  // and merge by unwound stack.
  bool dwarf = false;
  std::span<const uint64_t> user_regs;
  std::span<const uint8_t> user_stack;
};

// Receives everything the collector drains, in time order across all CPUs and
// sources (ring buffer, sideband, /proc snapshots).
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void on_cpu_sample(const CpuSampleView& sample) = 0;
  // offcpu probe only; delivered at its end_ns in the time order.
  virtual void on_offcpu(const OffCpuView& /*interval*/) {}
  // io probe only: syscalls (at their end_ns in the time order; merged ones
  // about a second late) and block requests by device (whole machine).
  virtual void on_io_syscall(const IoSyscallView& /*calls*/) {}
  virtual void on_io_device(const capture::IoDeviceRecord& /*requests*/) {}
  // io probe: each socket a target talked on, once, when the collector stops.
  virtual void on_io_socket(const capture::SocketRecord& /*socket*/) {}
  // alloc probe only: allocations (at the allocator's return) and frees.
  virtual void on_alloc(const AllocView& /*event*/) {}
  // mmap probe (on with alloc, both paths): address-space calls by stack,
  // about a second late.
  virtual void on_mmap(const MmapView& /*calls*/) {}
  // An executable mapping: from the sideband (mmap2), from the /proc snapshot
  // taken when a process was added (time_ns = time of the snapshot), copied
  // from the parent when a child forks (time_ns = fork time; no mmap2 says
  // so), or found in /proc when a sample pointed outside every known mapping
  // ([vdso]; time_ns = that sample's time). Each mapping is reported once.
  virtual void on_mapping(const capture::Mapping& mapping) = 0;
  // A thread's name: from the sideband (exec, prctl) or, for threads running
  // when add_target took them, from /proc at that time (exec = false).
  // exec = true: the process's earlier mappings are gone from this time on.
  virtual void on_comm(uint32_t pid, uint32_t tid, std::string_view comm, bool exec, uint64_t time_ns) = 0;
  virtual void on_fork(uint32_t pid, uint32_t ppid, uint32_t tid, uint64_t time_ns) = 0;
  // tid == pid: the whole process exited (its last thread; from the exit
  // tracepoint). tid != pid: one thread exited (sideband).
  virtual void on_exit(uint32_t pid, uint32_t tid, uint64_t time_ns) = 0;
  // Follows on_exit(pid, pid) when the exit tracepoint saw the status:
  // wait-status style (WIFEXITED/WEXITSTATUS/WTERMSIG apply).
  virtual void on_exit_status(uint32_t /*pid*/, int /*wait_status*/, uint64_t /*time_ns*/) {}
};

// What the collector itself cost and handled, for the recorder's cost account.
struct CollectorStats {
  // The sampling program's run count and total run time, counted by the kernel
  // only while kernel.bpf_stats_enabled is 1 (both 0 otherwise).
  uint64_t bpf_runs = 0;
  uint64_t bpf_run_ns = 0;
  // Sideband records read from the per-CPU rings, and those kept (about the
  // targets, or forks that may become targets); the rest are other processes'.
  uint64_t sideband_read = 0;
  uint64_t sideband_kept = 0;
  // Times the rings were emptied in the middle of a long dispatch (see pump()).
  uint64_t mid_dispatch_pumps = 0;
};

struct CollectorOptions {
  uint32_t frequency_hz = 99;
  // Children forked by a target become targets (fork tracepoint).
  bool follow_children = true;
  uint64_t ringbuf_bytes = 0;  // 0: sized from frequency x CPUs x record size
  // The offcpu probe (sched_switch/sched_wakeup) on the same target set.
  bool offcpu = false;
  // Off-CPU intervals shorter than this are aggregated in BPF per (thread,
  // stacks, runnable) and delivered about every second with a count.
  uint64_t offcpu_min_ns = 10'000;
  // The io probe (raw sys_enter/sys_exit, block_rq_issue/complete) on the
  // same target set. Calls at least io_slow_ns long are delivered one by one
  // with their exact times; shorter ones merged per second.
  bool io = false;
  uint64_t io_slow_ns = 1'000'000;
  // The alloc probe (uprobes on the allocator of each target added by pid;
  // not on children). alloc_sample_bytes 0: every allocation recorded, else
  // each with probability size / period (every call still traps).
  bool alloc = false;
  uint64_t alloc_sample_bytes = 0;
  // The alloc probe's preload path instead (launched commands): no uprobes;
  // the command loads libloadprof_alloc.so (see alloc_preload()), which
  // samples by bytes with a Poisson process of mean alloc_sample_bytes and
  // sends records through a shared-memory ring.
  bool alloc_preload = false;
  // With alloc (either path), the mmap probe on the same target set:
  // mmap/munmap/brk/mremap by user stack (per-syscall tracepoints). false
  // only to measure its cost.
  bool alloc_mmap = true;
  // With dwarf, the mmap probe's ring of DWARF-mode calls (each with its
  // registers and stack copy); 0: a default (8 MiB). Smaller only in tests.
  uint64_t mmap_ringbuf_bytes = 0;
  // Uprobe path: > 0 measures each target's allocator calls for
  // kAllocEstimateNs first (entry-only uprobes) and refuses to attach (usage
  // error) when the traps on every call would take more than this many
  // percent of a CPU at the rate measured.
  double alloc_max_overhead_pct = 0;
  // DWARF unwinding of the cpu samples: the cpu-clock events copy the user
  // registers and user_stack_bytes of the user stack of every target process
  // into per-CPU perf rings; samples arrive with user_regs / user_stack.
  bool dwarf = false;
  uint32_t user_stack_bytes = 16384;
  // With dwarf, the offcpu probe copies the user registers and this many
  // bytes of the user stack at each switch-out of a target thread (a power of
  // two, 512 .. 8192); its intervals arrive with user_regs / user_stack. The
  // io probe (each traced call) and the alloc probe's uprobe path (each
  // sampled allocation) copy as much, up to 4096.
  uint32_t offcpu_stack_bytes = 4096;
  // --offcpu-wakers: the offcpu probe takes the waker's user + kernel stacks
  // (frame pointers) at each waking of a target thread.
  bool offcpu_waker_stacks = false;
};

// What a launched command needs to join the preload path: the memfd it must
// inherit and the environment entries (LD_PRELOAD, LOADPROF_ALLOC_FD).
struct AllocPreloadHandoff {
  int fd = -1;
  std::vector<std::string> environment;
};

class Collector {
 public:
  // Loads the BPF programs and opens the perf events. A missing capability is
  // ErrorKind::permission with a message naming CAP_BPF / CAP_PERFMON.
  static Result<std::unique_ptr<Collector>> open(const CollectorOptions& options);
  virtual ~Collector() = default;

  // Adds a process (and, with children, its existing descendants) to the
  // filter and reports its current maps through the sink on the next poll.
  // An absent pid is ErrorKind::target_gone.
  [[nodiscard]] virtual Result<void> add_target(pid_t pid, bool with_children) = 0;
  // Waits about timeout_ms (a signal ends the wait early), then drains the
  // ring buffers and the sideband into sink in time order. Events of the last
  // ~20 ms are held back to the next poll so that records of one moment
  // coming through different buffers are delivered in order.
  [[nodiscard]] virtual Result<void> poll(EventSink& sink, int timeout_ms) = 0;
  // Stops sampling and delivers everything still buffered. Call once at the
  // end; poll() delivers nothing new afterwards.
  [[nodiscard]] virtual Result<void> stop(EventSink& sink) = 0;
  // Number of target processes still alive (per the exit tracepoint).
  virtual size_t live_targets() const = 0;
  virtual capture::DropCounters drops() const = 0;
  // Per-CPU per-second accounting of finished seconds (target/self/other/idle
  // samples counted; steal time from /proc/stat; throttles of the cpu-clock
  // event and the time they lasted), each second once; after stop() every
  // second up to the stop's, the last partial one included.
  virtual std::vector<capture::CpuAccounting> take_accounting() = 0;
  // The pids in the BPF filter now (diagnostics, tests).
  virtual std::vector<uint32_t> filter_pids() const = 0;
  // false when throttle records could not be routed to a ring (throttles then read 0).
  virtual bool throttling_recorded() const = 0;
  // Size of the sample ring buffer actually used.
  virtual uint64_t ringbuf_bytes() const = 0;
  virtual CollectorStats stats() const = 0;
  // The alloc probe's method, allocator(s) found and counts so far; nullopt
  // without the probe.
  virtual std::optional<capture::AllocInfo> alloc_info() const = 0;
  // With CollectorOptions::alloc_preload: what to hand the launched command; else nullopt.
  virtual std::optional<AllocPreloadHandoff> alloc_preload() const = 0;
};

}  // namespace loadprof::collect
