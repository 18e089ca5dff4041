// The one parser of /proc text formats that several modules read (collect,
// symbolize, record): /proc/PID/maps lines and the ppid of /proc/PID/stat.
// Parsing is split from reading so tests need no live process.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "loadprof/util/result.h"

namespace loadprof::procfs {

// One line of /proc/PID/maps:
// "55d0c7a00000-55d0c7a02000 r-xp 00002000 fd:01 1234      /usr/bin/foo"
struct MapsLine {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t pgoff = 0;
  bool executable = false;
  std::string path;  // empty for anonymous memory; may hold spaces
};

// Every well-formed line; malformed ones (and end <= start) are skipped.
std::vector<MapsLine> parse_maps(std::string_view text);

// "12 (a b) S 7 ..." -> 7; -1 when malformed. The comm may contain ') '.
int parse_stat_ppid(std::string_view stat_text);

// The "Tgid:" field of /proc/PID/status (the process a thread belongs to); -1
// when absent or malformed.
int parse_status_tgid(std::string_view status_text);

// A kernel CPU list such as "0-3,5,7-8\n" -> {0,1,2,3,5,7,8}, ascending and
// without duplicates. Empty on a malformed list (or ids above 65535).
std::vector<int> parse_cpu_list(std::string_view text);

// The per-CPU lines of /proc/stat: cpu id -> steal time in USER_HZ ticks (the
// 8th number: user nice system idle iowait irq softirq steal). Lines without a
// steal column or with a malformed id are skipped; the "cpu " total too.
struct CpuSteal {
  int cpu = 0;
  uint64_t steal_ticks = 0;
};
std::vector<CpuSteal> parse_stat_steal(std::string_view proc_stat_text);

// The whole of /proc/PID/<name>. ErrorKind::target_gone when the process does not exist.
[[nodiscard]] Result<std::string> read(pid_t pid, const std::string& name);
// The whole of a file (for /proc/stat, /sys lists); ErrorKind::io when unreadable.
[[nodiscard]] Result<std::string> read_path(const std::string& path);
// The online CPUs from /sys/devices/system/cpu/online; 0..N-1 of
// sysconf(_SC_NPROCESSORS_ONLN) when that file is missing or malformed.
std::vector<int> online_cpus();

}  // namespace loadprof::procfs
