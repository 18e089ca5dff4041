// Loader of bpf/alloc.bpf.c (the alloc probe's uprobe path): finds the
// allocator a target process uses (the module of its maps that defines
// malloc: its own executable, jemalloc, tcmalloc, or glibc), attaches the
// entry uprobes and the common uretprobe for that pid, hands the ring
// buffer's alloc/free records over and sums the per-CPU counters.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "alloc.h"
#include "loadprof/util/result.h"

struct alloc;
struct ring_buffer;
struct bpf_link;

namespace loadprof::collect {

struct AllocProbeOptions {
  uint64_t sample_period_bytes = 0;  // 0: every allocation is recorded
  uint64_t ringbuf_bytes = 0;        // 0: a default
  // > 0: DWARF mode, a sampled allocation carries the user registers and
  // this many bytes of the user stack (a power of two, 512 .. 4096) instead
  // of a frame-pointer stack (lp_alloc_dwarf_event).
  uint32_t dwarf_stack_bytes = 0;
};

// What attach() found in a process.
struct AllocatorFound {
  std::string name;                    // "glibc", "jemalloc", "tcmalloc", or "own (MODULE)"
  std::string path;                    // the module that defines malloc
  std::vector<std::string> functions;  // the functions probed
};

// What measure_rate() saw: allocator calls of a process over a window (each
// traced: the rate is the traced one), and the process's CPU time in it.
struct AllocRateEstimate {
  uint64_t calls = 0;
  uint64_t window_ns = 0;
  uint64_t target_cpu_ns = 0;  // all its threads, traps included
  double calls_per_s() const;
  // The share of one CPU, in percent, that uprobes on every call take at
  // this rate (PLATFORM.md: ~5.6 us a uprobe, ~15 us a uretprobe; about half
  // the calls are frees, entry only: kTracedCallNs per call). The rate is the
  // traced one: a process slowed down by the traps reads lower than it runs.
  double overhead_pct() const;
  static constexpr uint64_t kTracedCallNs = 13'100;  // (5.6 + 15 + 5.6) / 2 us
};

class AllocProbe {
 public:
  using RecordFn = std::function<void(std::span<const uint8_t>)>;

  static Result<std::unique_ptr<AllocProbe>> open(const AllocProbeOptions& options, RecordFn on_record);
  ~AllocProbe();
  AllocProbe(const AllocProbe&) = delete;
  AllocProbe& operator=(const AllocProbe&) = delete;

  // Attaches the probes to the allocator process pid uses.
  Result<AllocatorFound> attach(pid_t pid);
  // The allocator calls (allocations and frees) the attached probes count
  // over the next window_ns (every process attached so far: the uprobes are
  // per pid, the counters shared), and pid's CPU time meanwhile.
  Result<AllocRateEstimate> measure_rate(pid_t pid, uint64_t window_ns);
  // Hands every available record to on_record.
  [[nodiscard]] Result<void> consume();
  // Detaches every uprobe.
  void stop();
  // Sums over CPUs, indexed by lp_alloc_counter.
  std::array<uint64_t, LP_ALLOC_COUNTERS> counters() const;

 private:
  AllocProbe() = default;
  static int on_ringbuf_record(void* ctx, void* data, size_t size);

  RecordFn on_record_;
  int possible_cpus_ = 1;
  struct alloc* skel_ = nullptr;
  ring_buffer* ringbuf_ = nullptr;
  std::vector<bpf_link*> links_;
};

// The module of a process's maps that defines `malloc` (the executable first,
// then the other libraries, glibc last: the dynamic linker's order of
// precedence), and its name. Paths are as the process sees them.
Result<AllocatorFound> find_allocator(pid_t pid);

// "jemalloc", "tcmalloc", "glibc" or "own (BASENAME)" for the module at path
// that defines malloc (is_exe: the process's executable).
std::string allocator_name(const std::string& path, bool is_exe);

}  // namespace loadprof::collect
