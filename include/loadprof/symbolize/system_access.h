// The symbolizer's system boundary: kallsyms, JIT perf maps, and where to find
// the ELF file of a mapping. The real implementation reads /proc and the file
// system, and treats every file a target names as untrusted (it runs as root:
// a FIFO must not block it, a symlink must not lead it out of the target's
// tree, a huge file must not exhaust it). Unit tests replace it (a fake
// kallsyms text, a fake perf map).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "loadprof/capture/model.h"
#include "loadprof/util/fd.h"
#include "loadprof/util/result.h"

namespace loadprof::symbolize {

// A perf map beyond this is read only up to here (the last whole line);
// the rest is ignored and counted (SymbolizerStats::perf_maps_truncated).
inline constexpr uint64_t kMaxPerfMapBytes = 64ull << 20;

// The text of a target's perf-PID.map, or why there is none.
struct PerfMapText {
  enum class Status {
    ok,       // text holds the map (maybe truncated)
    absent,   // no such file: the usual case, not a warning
    refused,  // the file is there but not safe to read: why says it
  };
  Status status = Status::absent;
  std::string text;
  bool truncated = false;  // the file held more than kMaxPerfMapBytes
  uint64_t file_size_bytes = 0;
  std::string why;
};

// Where a candidate ELF file lives: in the target's own root (a path as the
// target sees it, opened through /proc/PID/root), or on this host as named
// (/proc/PID/map_files/..., the vDSO copy, our debug tree).
struct ElfCandidate {
  enum class Where { target, host };
  Where where = Where::host;
  std::string path;
  bool operator==(const ElfCandidate&) const = default;
};

class SystemAccess {
 public:
  virtual ~SystemAccess() = default;

  // A process the symbolizer heard of for the first time (its first
  // mapping), most likely still alive: the moment to note who it is (its
  // users, namespaces), which its perf map and files are checked against
  // later, when it may be gone or a zombie.
  virtual void note_process(uint32_t /*pid*/) {}
  // The text of /proc/kallsyms. Read once per Symbolizer, on first use, and
  // only when describe_kernel_addresses cannot answer.
  virtual Result<std::string> read_kallsyms() = 0;
  // The kernel's own symbol text per address, as printk's %pS prints it
  // ("name+0xoff/0xsize", "name+0xoff/0xsize [module]", "0x..." when no symbol
  // covers it), when this system can ask the kernel for a few addresses
  // (the recorder does, through BPF); nullopt: it cannot, read_kallsyms() is used.
  virtual std::optional<std::vector<std::string>> describe_kernel_addresses(
      std::span<const uint64_t> /*addresses*/) {
    return std::nullopt;
  }
  // The target's /tmp/perf-PID.map (in its own root, PID as it sees itself):
  // a regular file owned by root or by the target's user, at most
  // kMaxPerfMapBytes of it.
  virtual PerfMapText read_perf_map(uint32_t pid) = 0;
  // Files that may hold the ELF image of a mapping, best first:
  // /proc/PID/map_files/START-END while the process lives (survives a deleted
  // or replaced file), then the path in the target's root (or on the host
  // once the process is gone, when it shared our mount namespace), then
  // /usr/lib/debug/.build-id/xx/yyyy.debug (the target's, then ours).
  // The symbolizer takes the first that opens and whose build-id matches.
  // For "[vdso]": a file holding the vDSO image (the real one: a memfd copy
  // of loadprof's own, which is the same for every 64-bit process).
  virtual std::vector<ElfCandidate> elf_candidates(const capture::Mapping& mapping) = 0;
  // Opens a candidate, or a separate debug file named after the mapping of
  // pid, for reading: a regular file, never blocking. The error says why not.
  virtual Result<UniqueFd> open_elf(uint32_t pid, const ElfCandidate& candidate);
};

// /proc and the real file system.
std::unique_ptr<SystemAccess> make_system_access();

}  // namespace loadprof::symbolize
