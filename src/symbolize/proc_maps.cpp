// /proc/PID/maps as capture::Mapping records (the parsing is util's procfs).
#include "loadprof/symbolize/proc_maps.h"

#include "loadprof/util/procfs.h"

namespace loadprof::symbolize {

std::vector<capture::Mapping> parse_proc_maps(std::string_view text, uint32_t pid, uint64_t time_ns) {
  std::vector<capture::Mapping> out;
  for (auto& line : procfs::parse_maps(text)) {
    capture::Mapping m;
    m.pid = pid;
    m.time_ns = time_ns;
    m.start = line.start;
    m.end = line.end;
    m.pgoff = line.pgoff;
    m.executable = line.executable;
    m.path = std::move(line.path);
    out.push_back(std::move(m));
  }
  return out;
}

Result<std::vector<capture::Mapping>> read_proc_maps(uint32_t pid, uint64_t time_ns) {
  LOADPROF_TRY(text, procfs::read(static_cast<pid_t>(pid), "maps"));
  return parse_proc_maps(text, pid, time_ns);
}

}  // namespace loadprof::symbolize
