// Time-versioned mapping lookup (see map_table.h).
#include "symbolize/map_table.h"

#include <algorithm>

namespace loadprof::symbolize {

void MapTable::add(const capture::Mapping& mapping) {
  if (mapping.end <= mapping.start) return;
  Process& p = processes_[mapping.pid];
  if (!p.entries.empty() && p.entries.back().mapping.start > mapping.start) p.sorted = false;
  p.entries.push_back(MapEntry{mapping});
  p.max_length = std::max(p.max_length, mapping.end - mapping.start);
}

void MapTable::on_exec(uint32_t pid, uint64_t time_ns) {
  auto& times = processes_[pid].exec_times_ns;
  times.insert(std::upper_bound(times.begin(), times.end(), time_ns), time_ns);
}

MapEntry* MapTable::find(uint32_t pid, uint64_t time_ns, uint64_t ip) {
  auto pit = processes_.find(pid);
  if (pit == processes_.end()) return nullptr;
  Process& p = pit->second;
  if (!p.sorted) {
    // Stable: entries of equal start keep their insertion (time) order.
    std::stable_sort(p.entries.begin(), p.entries.end(),
                     [](const MapEntry& a, const MapEntry& b) { return a.mapping.start < b.mapping.start; });
    p.sorted = true;
  }
  auto it = std::upper_bound(p.entries.begin(), p.entries.end(), ip,
                             [](uint64_t a, const MapEntry& e) { return a < e.mapping.start; });
  MapEntry* best = nullptr;
  // Every entry that could cover ip starts within max_length below it.
  while (it != p.entries.begin()) {
    --it;
    const capture::Mapping& m = it->mapping;
    if (ip - m.start >= p.max_length) break;
    if (ip >= m.end || m.time_ns > time_ns) continue;
    // An exec after the mapping appeared and at or before the lookup time ends it.
    auto ex = std::upper_bound(p.exec_times_ns.begin(), p.exec_times_ns.end(), m.time_ns);
    if (ex != p.exec_times_ns.end() && *ex <= time_ns) continue;
    if (best == nullptr || m.time_ns >= best->mapping.time_ns) best = &*it;
  }
  return best;
}

}  // namespace loadprof::symbolize
