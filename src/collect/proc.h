// /proc readers the collector needs: executable mappings of a live process
// (with build-ids), whether a process is alive, and its descendants. Parsing
// is split from reading so tests need no live process.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "loadprof/capture/model.h"
#include "loadprof/util/result.h"

namespace loadprof::collect {

// Parses /proc/PID/maps text; keeps executable mappings only (what user IPs
// can point into). time_ns and build_id are left for the caller.
std::vector<capture::Mapping> parse_proc_maps(std::string_view text, uint32_t pid);

// "12 (a b) S 7 ..." -> 7; -1 when malformed. The comm may contain ') '.
int parse_stat_ppid(std::string_view stat_text);

// The process (thread group) id of a task id; -1 when it does not exist.
pid_t thread_group_of(pid_t tid);

// true when /proc/PID exists and the process is not a zombie.
bool process_alive(pid_t pid);

// All live descendants of pid (children, grandchildren, ...), from /proc/*/stat.
std::vector<pid_t> find_descendants(pid_t pid);

// Reads the GNU build-id note of an ELF file; "" when it has none or cannot be read.
std::string read_build_id(const std::string& path);

// Build-ids by file, re-read when the file (device, inode, mtime) changes.
class BuildIdCache {
 public:
  // Reads through `open_path` (e.g. /proc/PID/map_files/...) when given, so
  // files of other mount namespaces and deleted files still resolve.
  std::string get(const std::string& path, const std::string& open_path = {});

 private:
  struct Entry {
    uint64_t dev = 0, ino = 0;
    int64_t mtime_ns = 0;
    std::string build_id;
  };
  std::map<std::string, Entry> entries_;
};

// Nanoseconds on the CPU of every live thread of a process, summed from
// /proc/PID/task/*/schedstat; 0 when the process is gone.
uint64_t process_cpu_ns(pid_t pid);

// (tid, comm) of every thread of a live process, from /proc/PID/task/*/comm.
std::vector<std::pair<uint32_t, std::string>> thread_names(pid_t pid);

// Snapshot of the executable mappings of a live process with build-ids.
// ErrorKind::target_gone when the process does not exist.
Result<std::vector<capture::Mapping>> snapshot_mappings(pid_t pid, uint64_t time_ns, BuildIdCache& cache);

}  // namespace loadprof::collect
