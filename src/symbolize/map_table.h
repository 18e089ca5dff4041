// Mappings of every process over time. Each mapping is valid from its time_ns
// until its process execs; at a lookup time the covering mapping with the
// latest time_ns wins, so a later mmap over a range shadows the older one
// without munmap records (perf emits none).
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "loadprof/capture/model.h"

namespace loadprof::symbolize {

class Module;  // elf_module.h

struct MapEntry {
  capture::Mapping mapping;
  // Resolved on first use; shared by every mapping of the same file.
  Module* module = nullptr;
  bool module_resolved = false;
};

class MapTable {
 public:
  void add(const capture::Mapping& mapping);
  void on_exec(uint32_t pid, uint64_t time_ns);
  // The mapping of pid covering ip at time_ns, or null.
  MapEntry* find(uint32_t pid, uint64_t time_ns, uint64_t ip);

 private:
  struct Process {
    std::vector<MapEntry> entries;        // sorted by start once `sorted` is set
    std::vector<uint64_t> max_end;        // max_end[i] = max end of entries[0..i]
    std::vector<uint64_t> exec_times_ns;  // sorted
    bool sorted = true;
  };
  std::unordered_map<uint32_t, Process> processes_;
};

}  // namespace loadprof::symbolize
