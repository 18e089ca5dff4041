// The symbolizer's system boundary: kallsyms, JIT perf maps, and where to find
// the ELF file of a mapping. The real implementation reads /proc and the file
// system; unit tests replace it (a fake kallsyms text, a fake perf map).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "loadprof/capture/model.h"
#include "loadprof/util/result.h"

namespace loadprof::symbolize {

class SystemAccess {
 public:
  virtual ~SystemAccess() = default;

  // The text of /proc/kallsyms. Read once per Symbolizer, on first use.
  virtual Result<std::string> read_kallsyms() = 0;
  // The text of /tmp/perf-PID.map, or an error when there is none.
  virtual Result<std::string> read_perf_map(uint32_t pid) = 0;
  // Files that may hold the ELF image of a mapping, best first:
  // /proc/PID/map_files/START-END while the process lives (survives a deleted
  // or replaced file), then the path, then /usr/lib/debug/.build-id/xx/yyyy.debug.
  // The symbolizer takes the first that opens and whose build-id matches.
  // For "[vdso]": a file holding the vDSO image (the real one: a memfd copy
  // of loadprof's own, which is the same for every 64-bit process).
  virtual std::vector<std::string> elf_candidates(const capture::Mapping& mapping) = 0;
};

// /proc and the real file system.
std::unique_ptr<SystemAccess> make_system_access();

}  // namespace loadprof::symbolize
