// Address -> frames. User addresses through elfutils libdwfl (function names,
// demangled C++, inline frames expanded, file:line), kernel addresses through
// /proc/kallsyms, JIT code through /tmp/perf-PID.map. Maps are versioned by
// time per process so a dlopen'ed library or an exited child still resolves.
// Lookups are cached per module. A Symbolizer is not thread-safe: the record
// pipeline symbolizes on one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "loadprof/capture/model.h"
#include "loadprof/symbolize/system_access.h"

namespace loadprof::symbolize {

struct SymbolizerOptions {
  // Cache user frames per (module, file offset, return address). Off only to
  // check that the cache changes nothing (tests) and to measure it (bench).
  bool cache = true;
  // Where libdwfl looks for separate debug files (.gnu_debuglink names and
  // DIR/.build-id/xx/yyyy.debug), as in elfutils: ":.debug:/usr/lib/debug".
  std::string debuginfo_path = ":.debug:/usr/lib/debug";
};

// What the symbolizer did so far; for tests and benchmarks.
struct SymbolizerStats {
  uint64_t user_lookups = 0;
  uint64_t user_cache_hits = 0;
  uint64_t kernel_lookups = 0;
  uint64_t modules_opened = 0;       // ELF files opened with libdwfl (once per path+build-id)
  uint64_t modules_failed = 0;       // modules whose file could not be opened or did not match
  uint64_t unknown_addresses = 0;    // user addresses outside every known mapping
  uint64_t perf_maps_refused = 0;    // perf-PID.map not read: a FIFO, symlink, device, foreign owner
  uint64_t perf_maps_truncated = 0;  // perf-PID.map larger than kMaxPerfMapBytes: the rest ignored
};

class Symbolizer {
 public:
  static std::unique_ptr<Symbolizer> create(SymbolizerOptions options = {});
  // With a replaced system boundary (tests feed a fake kallsyms text).
  static std::unique_ptr<Symbolizer> create(std::unique_ptr<SystemAccess> system,
                                            SymbolizerOptions options = {});
  virtual ~Symbolizer() = default;

  // Every mapping the collector saw (a /proc snapshot or perf mmap2 records),
  // in any order. At a lookup time the mapping covering the address with the
  // latest time_ns <= that time wins (a later mmap over a range replaces it).
  // A /proc snapshot taken once sampling already runs should carry time_ns 0
  // (or the process's start), or samples taken before it find no mapping.
  virtual void add_mapping(const capture::Mapping& mapping) = 0;
  // exec replaces the address space of pid from time_ns on: mappings added
  // with an earlier time_ns are not used for lookups at or after time_ns.
  virtual void on_exec(uint32_t pid, uint64_t time_ns) = 0;

  // Appends the frames for one user address, leaf first (inline frames before
  // the function they are inlined into). return_address: look up ip - 1 (every
  // frame but the leaf). Never fails: unresolved -> "module+0xoff" (file
  // offset of ip); anonymous memory without a JIT symbol -> "[anon]+0xoff";
  // no mapping at all -> function and module "[unknown]" with the raw address.
  virtual void symbolize_user(uint32_t pid, uint64_t time_ns, uint64_t ip, bool return_address,
                              std::vector<capture::Frame>& out) = 0;
  // Appends one frame (kernel=true) for a kernel address; "[kernel]+0xaddr"
  // when kallsyms is unreadable or has no symbol below the address.
  virtual void symbolize_kernel(uint64_t ip, std::vector<capture::Frame>& out) = 0;
  // The same, looking up ip - 1 when return_address (every kernel frame but
  // the first). The default serves fakes that implement only the above.
  virtual void symbolize_kernel(uint64_t ip, bool return_address, std::vector<capture::Frame>& out) {
    size_t first = out.size();
    symbolize_kernel(return_address && ip > 0 ? ip - 1 : ip, out);
    for (size_t i = first; i < out.size(); ++i) out[i].address = ip;
  }

  // Kernel addresses about to be symbolized (return addresses already minus
  // one), looked up together when the system answers per address: one call
  // for a batch of new stacks instead of one per frame.
  virtual void prefetch_kernel(std::span<const uint64_t> /*ips*/) {}

  // A whole stack, leaf first: every address but the first is a return address.
  void symbolize_user_stack(uint32_t pid, uint64_t time_ns, std::span<const uint64_t> ips,
                            std::vector<capture::Frame>& out) {
    for (size_t i = 0; i < ips.size(); ++i) symbolize_user(pid, time_ns, ips[i], i > 0, out);
  }
  void symbolize_kernel_stack(std::span<const uint64_t> ips, std::vector<capture::Frame>& out) {
    for (size_t i = 0; i < ips.size(); ++i) symbolize_kernel(ips[i], i > 0, out);
  }

  virtual SymbolizerStats stats() const { return {}; }
  // One-line warnings (a refused or capped perf map) since the last call.
  virtual std::vector<std::string> take_warnings() { return {}; }
};

}  // namespace loadprof::symbolize
