// DWARF unwinding of user stacks from a copy of the stack: elfutils libdwfl
// walks the call frames with each module's CFI (.eh_frame, .debug_frame),
// starting from the registers the sample carried and reading memory only out
// of the copied stack window. One Dwfl per process (its modules reported from
// /proc/PID/maps while the process lives, CFI cached across samples); a new
// mapping or an exec marks it stale and it is re-reported at the next unwind.
// Only addresses come out: the stack bytes are never kept.
// Not thread-safe: the recorder unwinds on its drain thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "loadprof/capture/model.h"

namespace loadprof::symbolize {

// x86-64 DWARF register numbers 0..16 (rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip).
inline constexpr size_t kUnwindRegs = 17;
inline constexpr size_t kUnwindMaxFrames = 127;

// Why an unwind ended.
enum class UnwindStop : uint8_t {
  complete,      // the outermost frame's CFI ended the walk (or nothing more to read)
  stack_window,  // a caller's frame lies above the copied stack window
  depth_limit,   // kUnwindMaxFrames frames
  no_maps,       // the process's maps could not be read (gone before its first unwind)
  failed,        // not even the caller of the leaf was found (no CFI, bad registers)
};
const char* unwind_stop_name(UnwindStop stop);

// Per module, what the unwinds went through: the stacks (unwinds) with a
// frame in it, how its frames were unwound, the unwinds that ended in it
// truncated, by reason.
struct UnwindModuleStats {
  std::string method;  // "dwarf" (it has CFI) or "fp" (libdw's frame-pointer fallback)
  uint64_t stacks = 0;
  uint64_t truncated = 0;
  std::map<std::string, uint64_t> truncated_by_reason;
};

struct UnwinderStats {
  uint64_t unwinds = 0;
  uint64_t unwind_ns = 0;  // thread CPU time spent in the unwinds
  uint64_t frames = 0;
  uint64_t reports = 0;                // (re-)reports of a process's modules
  uint64_t reports_from_mappings = 0;  // of reports, from the kept mappings (the process was gone)
  uint64_t replayed =
      0;  // unwinds (of `unwinds`) replayed from the memo: same registers, same stack words read
};

class DwarfUnwinder {
 public:
  static std::unique_ptr<DwarfUnwinder> create();
  virtual ~DwarfUnwinder() = default;

  // The process's executable mappings changed (mmap, exec): re-read them at
  // its next unwind.
  virtual void maps_changed(uint32_t pid) = 0;
  // An executable mapping of the process (as the recorder got it: sideband
  // mmap2 or /proc), kept for the case where the process is gone before its
  // first unwind: its modules are then reported from these (a mapping's
  // module is taken to start at start - pgoff, as GNU ld lays files out).
  // Also marks the process stale, as maps_changed.
  virtual void add_mapping(const capture::Mapping& mapping) = 0;
  // exec: the mappings kept so far are gone (and the process is stale).
  virtual void exec(uint32_t pid) = 0;
  // The process exited: its Dwfl is freed.
  virtual void forget(uint32_t pid) = 0;
  // Unwinds one stack into ips (leaf first; every address but the leaf a
  // return address, as in a frame-pointer stack). regs: kUnwindRegs values.
  // stack: the bytes copied from regs[rsp] up.
  virtual UnwindStop unwind(uint32_t pid, uint32_t tid, std::span<const uint64_t> regs,
                            std::span<const uint8_t> stack, std::vector<uint64_t>& ips) = 0;

  // Module (its path's file name) -> what the unwinds met there.
  virtual const std::map<std::string, UnwindModuleStats>& modules() const = 0;
  virtual UnwinderStats stats() const = 0;
};

}  // namespace loadprof::symbolize
