// The recording pipeline: collector -> stack deduplication -> symbolizer ->
// capture writer, all on CLOCK_MONOTONIC. Runs until the duration ends, the
// targets are gone, or the stop flag is raised (Ctrl-C / SIGTERM).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "loadprof/capture/model.h"
#include "loadprof/capture/writer.h"
#include "loadprof/util/result.h"

namespace loadprof::record {

// What the recorder reports while it runs (a status line) and when it stops
// recording to write the capture (finishing).
struct RecordProgress {
  enum class Phase { recording, finishing } phase = Phase::recording;
  double elapsed_s = 0;
  uint64_t samples = 0;
  uint64_t lost = 0;                  // every drop counter summed
  size_t live_targets = 0;            // target processes alive (children included)
  pid_t launched_pid = 0;             // the launched command, 0 when attached
  bool command_has_terminal = false;  // the command's group holds the terminal (Ctrl-C reaches it first)
  // The targets' CPU over the last resource reading's interval (about the last
  // second), in % of one CPU, summed; absent before the second reading.
  std::optional<double> target_cpu_pct;
};

struct RecordOptions {
  std::vector<pid_t> pids;           // attach to these, or
  std::vector<std::string> command;  // launch this
  bool children = false;             // --children (launched commands are always followed)
  int64_t duration_ns = 0;           // 0: until Ctrl-C or the targets exit
  uint32_t frequency_hz = 99;
  std::vector<std::string> probes{"cpu"};
  // offcpu probe: intervals shorter than this are counted, not recorded.
  uint64_t offcpu_min_ns = 10'000;
  // offcpu probe: the waker's stack at each waking (--offcpu-wakers).
  bool offcpu_wakers = false;
  // io probe: syscalls this long or longer are recorded one by one.
  uint64_t io_slow_ns = 1'000'000;
  // alloc probe: 0 records every allocation; else one per this many bytes on
  // average (uprobes: each with probability size / period, every call still
  // traps; preload: a Poisson process by bytes).
  uint64_t alloc_sample_bytes = 0;
  // alloc probe by pid: > 0 counts the target's allocator calls first and
  // does not attach when the traps would take more than this % of a CPU.
  double alloc_max_overhead_pct = 0;
  std::string unwind = "auto";  // auto | dwarf | fp
  // DWARF unwinding: bytes of each sample's user stack copied (from the stack
  // pointer up; the kernel's maximum is 65528).
  uint32_t user_stack_bytes = 16384;
  std::string output_path;
  std::string command_line;  // loadprof's argv, for the metadata
  int stop_grace_ms = 2000;  // SIGINT -> SIGTERM grace for a launched command
  // Who a launched command runs as: this user (--user), else the user who
  // invoked sudo (SUDO_UID/SUDO_GID) when loadprof runs as root, else
  // loadprof's own user.
  std::string user;
  // Called about once a second while recording, and once with phase
  // finishing when the recording stops (on the recorder's thread).
  std::function<void(const RecordProgress&)> progress;
  // Raised by a second Ctrl-C: stop at once (a launched command gets SIGKILL
  // without the grace period); the capture is still written whole.
  const std::atomic<bool>* hurry = nullptr;

  // For a caller that records alongside its own work (bench):
  // A launched command gets the terminal's foreground (so Ctrl-C reaches it
  // first) only when this is set.
  bool give_terminal = true;
  // Called once on the recorder's thread when sampling runs and a launched
  // command has been let go (exec'd), with the root targets' pids.
  std::function<void(const std::vector<pid_t>& targets)> on_started;
  // Raised by the caller when its work is done: the recording ends normally
  // with end reason `finish_reason` (the stop flag ends it as interrupted).
  const std::atomic<bool>* finish = nullptr;
  std::string finish_reason = "finished";
  // Only `finish` and the stop flag end the recording (targets exiting and
  // the duration do not): the caller keeps writing until its work is done.
  bool caller_ends = false;
  // Called on the recorder's thread before each flush of the capture and once
  // more before its end, to add records of the caller's own (bench: the
  // request log and the load run).
  std::function<void(capture::CaptureWriter&)> on_flush;
};

// Where the recorder's own CPU time went, by phase (its thread's CPU time,
// read at phase boundaries), and what the kernel did on its behalf.
struct RecorderCost {
  uint64_t open_ns = 0;       // BPF load and attach, perf events, sideband rings
  uint64_t attach_ns = 0;     // targets: /proc scans (maps, build-ids, thread names), first drain
  uint64_t drain_ns = 0;      // rings read, records ordered, stacks deduplicated, maps refreshed
  uint64_t symbolize_ns = 0;  // stacks seen for the first time symbolized (on their own thread)
  uint64_t write_ns = 0;      // samples handed to the writer, chunks compressed and written
  uint64_t other_ns = 0;      // accounting, drop counters, target checks, the end of the capture
  uint64_t resources_ns = 0;  // the once-a-second /proc pass of the resource timeline
  uint64_t process_ns = 0;    // the whole process (every thread), from the start of run_record
  // Process CPU in the first second of sampling, and from then to the stop
  // (steady state; 0 for recordings under a second).
  uint64_t first_second_ns = 0;
  uint64_t steady_ns = 0;
  double recording_s = 0;  // time from the start of sampling to the stop
  // The sampling program (kernel.bpf_stats_enabled=1 only, else 0).
  uint64_t bpf_runs = 0;
  uint64_t bpf_run_ns = 0;
  uint64_t sideband_read = 0;  // sideband records read (every process on the machine)
  uint64_t sideband_kept = 0;  // ... of which about the targets
  // Rings emptied in the middle of a long dispatch (DWARF unwinding).
  uint64_t mid_dispatch_pumps = 0;
  uint64_t symbolized_stacks = 0;
  // DWARF unwinds done at record time (part of drain_ns) and their CPU time.
  uint64_t unwinds = 0;
  uint64_t unwind_ns = 0;
  uint64_t unwinds_replayed = 0;    // of unwinds, replayed from the unwinder's memo
  uint64_t symbolized_at_end = 0;   // ... of which after sampling stopped (no idle CPU before)
  std::string symbolizer_priority;  // "SCHED_IDLE", "nice 19", "recorder priority"

  // The resource timeline's passes (one a second) and their wall time, all together.
  uint64_t resource_passes = 0;
  uint64_t resource_pass_ns = 0;
};

struct RecordSummary {
  uint64_t samples = 0;
  uint64_t stacks = 0;
  uint64_t frames = 0;
  uint64_t processes = 0;
  uint64_t bytes_written = 0;
  double duration_s = 0;
  capture::EndInfo end;
  capture::DropCounters drops;
  std::optional<capture::Process> launched;  // with its exit status
  std::string launched_as;                   // "user nobody (uid 65534, gid 65534)"; "" = loadprof's own user
  // About the targets: why the capture has no samples, which target died or
  // was stopped mid-run (plain words, one per line).
  std::vector<std::string> target_notes;
  RecorderCost cost;
};

// stop: raised asynchronously (signal handler) to end the recording early.
[[nodiscard]] Result<RecordSummary> run_record(const RecordOptions& options, const std::atomic<bool>& stop);

}  // namespace loadprof::record
