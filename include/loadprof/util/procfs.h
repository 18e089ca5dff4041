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

// The whole of /proc/PID/<name>. ErrorKind::target_gone when the process does not exist.
[[nodiscard]] Result<std::string> read(pid_t pid, const std::string& name);

}  // namespace loadprof::procfs
