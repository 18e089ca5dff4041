// Analysis of one capture: the figures the report writers print. Pure
// computation over a capture::Capture held in memory (no I/O, no BPF), so a
// capture can be analyzed on any machine. Times are seconds relative to the
// capture start here; the model's monotonic nanoseconds stop at this edge.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "loadprof/analyze/alloc_summary.h"
#include "loadprof/analyze/bottlenecks.h"
#include "loadprof/analyze/capacity_model.h"
#include "loadprof/analyze/correlation.h"
#include "loadprof/analyze/io_summary.h"
#include "loadprof/analyze/load_run.h"
#include "loadprof/analyze/peers.h"
#include "loadprof/analyze/resources.h"
#include "loadprof/analyze/stack_quality.h"
#include "loadprof/analyze/window_load.h"
#include "loadprof/capture/model.h"
#include "loadprof/capture/window.h"
#include "loadprof/util/result.h"

namespace loadprof::analyze {

// A process of the target set and how it ended.
struct ProcessSummary {
  uint32_t pid = 0;
  uint32_t ppid = 0;
  std::string command;
  bool launched = false;
  bool root = false;
  double start_s = 0;            // first seen, relative to the capture start
  std::optional<double> exit_s;  // exit time relative to the capture start
  std::optional<int> exit_code;
  std::optional<int> exit_signal;
  bool exited_mid_capture = false;  // exited before the capture ended
};

// Where one CPU's cpu-clock samples went over the whole capture. The sampling
// frequency asks for `expected` samples; the CPU may take fewer: the
// hypervisor ran something else (steal), the kernel throttled the event
// (throttled), or the CPU idled and its samples were skipped (an idle vCPU
// here takes about half of them). `idle` is the figure the report shows: the
// estimate, idle_counted plus what steal and throttling do not explain.
struct CpuShare {
  uint32_t cpu = 0;
  uint64_t target = 0;
  uint64_t self = 0;  // loadprof itself
  uint64_t other = 0;
  uint64_t idle = 0;            // shown: = idle_estimated
  uint64_t idle_counted = 0;    // idle samples the CPU actually took
  uint64_t idle_estimated = 0;  // idle_counted + the shortfall steal and throttling leave unexplained
  uint64_t steal = 0;           // samples the steal time explains (frequency x steal time)
  uint64_t throttled = 0;       // samples the throttled time explains
  uint64_t throttles = 0;       // THROTTLE records of the cpu-clock event
  uint64_t expected = 0;        // frequency x time inside the capture
  uint64_t total() const { return target + self + other + idle + steal + throttled; }
  double target_pct = 0;  // of total()
  double self_pct = 0;
  double other_pct = 0;
  double idle_pct = 0;
  double steal_pct = 0;
  double throttled_pct = 0;
};

// One second of the accounting, summed over all CPUs (same fields as CpuShare).
struct CpuSecond {
  double t_s = 0;  // start of the second, relative to the capture start
  uint64_t target = 0;
  uint64_t self = 0;
  uint64_t other = 0;
  uint64_t idle = 0;  // estimated
  uint64_t idle_counted = 0;
  uint64_t idle_estimated = 0;
  uint64_t steal = 0;
  uint64_t throttled = 0;
  double target_pct = 0;          // of all samples of that second (all CPUs, total())
  double busy_pct = 0;            // (target + self + other) / all
  double max_cpu_target_pct = 0;  // the highest per-CPU target share in that second
};

struct CpuAccountingSummary {
  std::vector<CpuShare> cpus;         // by cpu number
  CpuShare all;                       // every CPU together (cpu field unused)
  std::vector<CpuSecond> per_second;  // by time
  // Which idle figure `idle` and the percentages use: always "estimated" (the
  // counted one understates idle time; see CpuShare).
  std::string idle_shown = "estimated";
};

// A function (by display name: kernel frames carry "_[k]"). self counts the
// samples where it is the leaf; total counts the samples whose stack contains
// it, once per stack even under recursion.
struct FunctionStat {
  std::string name;
  std::string module;  // module of its first occurrence
  uint64_t self_samples = 0;
  uint64_t total_samples = 0;
  double self_pct = 0;  // of all cpu samples
  double total_pct = 0;
};

// A whole stack as in the folded output: root first, the process name as root.
struct StackStat {
  std::vector<std::string> frames;
  uint64_t samples = 0;
  double pct = 0;
  bool truncated = false;      // incomplete: the unwinder cut it, or it stopped early
  bool stopped_early = false;  // no root (main, thread start) and at most 2 user frames
};

// cpu samples of one process (pid) or one thread (pid, tid). cpu_pct is of
// one CPU over the whole capture (samples / (frequency x duration)): 98 %
// is a thread that was always on a CPU; share_pct is of all cpu samples.
struct ProcessCpu {
  uint32_t pid = 0;
  std::string command;
  uint64_t samples = 0;
  double share_pct = 0;
  double cpu_pct = 0;
};

struct ThreadCpu {
  uint32_t pid = 0;
  uint32_t tid = 0;
  std::string comm;  // the thread's name; the process's command when the capture has none
  uint64_t samples = 0;
  double share_pct = 0;
  double cpu_pct = 0;
};

// cpu samples by module (the ELF file, "[kernel]"): self = the leaf frame is
// in it; total = a frame of it is in the stack (once per stack). Unresolved
// "module+0x..." frames of a stripped library count for their module.
struct ModuleCpu {
  std::string module;
  uint64_t self_samples = 0;
  uint64_t total_samples = 0;
  double self_pct = 0;  // of all cpu samples
  double total_pct = 0;
};

// Where the threads' wall time went (SPEC's "wall"): on-CPU ms estimated from
// the cpu samples (samples / frequency), off-CPU ms by reason from the offcpu
// intervals, indexed by capture::OffCpuReason (offcpu_reason_names()).
inline constexpr size_t kOffCpuReasons = 8;
const std::array<const char*, kOffCpuReasons>& offcpu_reason_names();
struct WallTime {
  double on_cpu_ms = 0;
  std::array<double, kOffCpuReasons> offcpu_ms{};
  double total_ms() const;
};
struct ThreadWall {
  uint32_t pid = 0;
  uint32_t tid = 0;
  std::string comm;
  WallTime time;
};
// Who woke the threads that blocked for one reason (offcpu probe's wakers):
// one waker thread, the wake-ups it made and the blocked time they ended.
struct WakerShare {
  std::string reason;      // offcpu_reason_names()
  uint32_t waker_pid = 0;  // 0 and waker_tid 0: the idle task (a timer or an interrupt)
  uint32_t waker_tid = 0;
  std::string waker_comm;
  uint64_t wakeups = 0;
  double blocked_ms = 0;
  std::vector<std::string> woken;  // the woken threads' names, most blocked time first (up to 5)
};
inline constexpr size_t kTopWakersPerReason = 5;
// --offcpu-wakers: one stack of the wakers (frame pointers, root first as in
// a folded line, without a process root) and the waits it ended: their
// blocked time (switch-out to wakeup) and the woken threads' names.
struct WakerStackShare {
  std::string reason;  // offcpu_reason_names()
  std::vector<std::string> frames;
  uint64_t waits = 0;
  double blocked_ms = 0;
  std::vector<std::string> woken;  // most blocked time first (up to 5)
};
inline constexpr size_t kTopWakerStacksPerReason = 5;
struct WallSummary {
  WallTime total;
  std::vector<ThreadWall> threads;  // by total_ms, descending
  // Per blocked reason (in offcpu_reason_names() order) its top wakers by blocked_ms.
  std::vector<WakerShare> wakers;
  // Per blocked reason its top waker stacks by blocked_ms (--offcpu-wakers).
  std::vector<WakerStackShare> waker_stacks;
};

// What the capture file reader reported (ReadInfo) and how the recording ended.
struct CaptureInfo {
  std::string loadprof_version;  // of the recorder
  std::string hostname;
  std::string kernel_release;
  std::string command_line;
  std::string source;  // an imported capture's origin and clock (empty when recorded)
  std::vector<std::string> probes;
  uint32_t frequency_hz = 0;
  std::string unwind;
  uint32_t cpu_count = 0;
  uint64_t start_realtime_ns = 0;
  bool complete = false;  // the end record is present
  bool truncated = false;
  uint64_t damage_offset = 0;
  std::string damage;
  uint64_t chunks_read = 0;
  uint64_t chunks_skipped_unknown = 0;
};

// Samples per kind (SPEC's "samples" key); absent for a probe that did not
// run (not in the capture's probes and no records of it), so "0" always means
// "ran and saw nothing".
struct SampleCounts {
  std::optional<uint64_t> cpu;
  std::optional<uint64_t> offcpu;  // off-CPU intervals, aggregated ones counted individually
  std::optional<uint64_t> io;
  std::optional<uint64_t> alloc;
};

// The part of the capture a report shows (`report --window`), in seconds
// from the capture's start, clipped to the capture.
struct AnalysisWindow {
  double start_s = 0;
  double end_s = 0;
  double capture_duration_s = 0;  // the whole capture's
};

struct Analysis {
  CaptureInfo capture;
  double duration_s = 0;                  // of the window when there is one
  std::optional<AnalysisWindow> window;   // absent: the whole capture
  std::optional<WindowLoad> window_load;  // a bench capture under a window: its load figures
  bool duration_estimated = false;        // no end record: duration from the last data seen
  bool interrupted = false;
  std::string end_reason;                 // "duration", "interrupted", "target exited", "unknown"
  std::optional<double> target_exited_s;  // all target processes gone at this time
  std::vector<ProcessSummary> processes;
  SampleCounts samples;
  uint64_t cpu_samples_without_stack = 0;
  uint64_t cpu_samples_truncated = 0;                  // samples whose stack the unwinder cut short
  StackQuality stack_quality;                          // depths, roots reached, stacks stopped early
  std::vector<capture::UnwindModule> unwind;           // DWARF captures: per module (whole capture)
  std::vector<ProcessCpu> by_process;                  // by samples, descending
  std::vector<ThreadCpu> by_thread;                    // by samples, descending
  std::optional<WallSummary> wall;                     // present when the capture holds off-CPU data
  std::optional<IoSummary> io;                         // present when the io probe ran
  std::optional<PeersSummary> peers;                   // io probe: the sockets, merged per peer
  std::optional<AllocSummary> alloc;                   // present when the alloc probe ran
  std::vector<ModuleCpu> by_module;                    // by self samples, descending
  std::string group_by = "function";                   // how frames were grouped (group_by_module)
  capture::DropCounters lost;                          // probe -> reason -> count
  std::optional<CpuAccountingSummary> cpu_accounting;  // absent when the capture has none
  std::vector<FunctionStat> top_self;                  // by self samples, descending
  std::vector<FunctionStat> top_total;                 // by total samples, descending
  std::vector<StackStat> top_stacks;                   // by samples, descending
  std::vector<std::string> kinds;                      // profile kinds the capture holds ("cpu", ...)
  std::vector<ResourceSecond> resources;               // per second; empty without readings
  std::vector<std::string> warnings;                   // lines the report shows first (truncation, ...)
  std::optional<LoadView> load;                        // bench captures: the load run
  std::optional<Correlation> correlation;              // present when the capture holds requests (bench)
  BottleneckVerdict verdict;                           // the constraints found, or "no clear constraint"
  std::optional<CapacityModel> capacity_model;         // bench captures with stages or a capacity search
};

struct AnalysisOptions {
  size_t top_functions = 20;
  size_t top_stacks = 10;
  size_t top_threads = 20;
  size_t top_modules = 20;
  // false: a stack's shape (depth, roots) does not mark it truncated, for a
  // capture whose frames are not functions any more (group_by_module).
  bool judge_stack_shapes = true;
  // The window the capture was cut to (capture::restrict_to_window), in
  // monotonic ns: duration, CPU shares and the accounting's expected samples
  // are of it; times stay relative to the capture's start.
  std::optional<capture::PlacedWindow> window;
  CorrelationOptions correlation;
};

// Fails with corrupt_input when the capture refers to a stack or frame it
// does not hold (the reader should have refused it; analysis never crashes).
[[nodiscard]] Result<Analysis> analyze(const capture::Capture& capture, const AnalysisOptions& options = {});

// The capture with every frame replaced by its module ("libz.so.1.2.13",
// "kernel_[k]") and consecutive frames of one module merged: `report
// --group-by module` analyzes and folds this one. Stack ids and samples are
// kept, so every count is the same as in the original.
capture::Capture group_by_module(const capture::Capture& capture);

// The profile kinds SPEC.md names, and whether a word is one of them.
const std::vector<std::string>& all_kinds();
bool is_kind(const std::string& kind);
// The kinds this capture holds data for: "cpu" when it has cpu samples or the
// cpu probe ran, "offcpu" likewise, "wall" when it holds both.
std::vector<std::string> kinds_in_capture(const capture::Capture& capture);

}  // namespace loadprof::analyze
