// Time-versioned mapping lookup (see map_table.h).
#include "symbolize/map_table.h"

#include <algorithm>

namespace loadprof::symbolize {

void MapTable::add(const capture::Mapping& mapping) {
  if (mapping.end <= mapping.start) return;
  Process& p = processes_[mapping.pid];
  if (!p.entries.empty() && p.entries.back().mapping.start > mapping.start) p.sorted = false;
  p.entries.push_back(MapEntry{mapping});
  if (p.sorted) p.max_end.push_back(std::max(p.max_end.empty() ? 0 : p.max_end.back(), mapping.end));
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
    p.max_end.clear();
    for (const MapEntry& e : p.entries)
      p.max_end.push_back(std::max(p.max_end.empty() ? 0 : p.max_end.back(), e.mapping.end));
    p.sorted = true;
  }
  auto it = std::upper_bound(p.entries.begin(), p.entries.end(), ip,
                             [](uint64_t a, const MapEntry& e) { return a < e.mapping.start; });
  MapEntry* best = nullptr;
  // Walk down while some entry at or below could still reach ip; with few
  // overlapping mappings that is one or two steps.
  while (it != p.entries.begin()) {
    --it;
    if (p.max_end[it - p.entries.begin()] <= ip) break;
    const capture::Mapping& m = it->mapping;
    if (ip >= m.end || m.time_ns > time_ns) continue;
    // An exec after the mapping appeared and at or before the lookup time ends it.
    auto ex = std::upper_bound(p.exec_times_ns.begin(), p.exec_times_ns.end(), m.time_ns);
    if (ex != p.exec_times_ns.end() && *ex <= time_ns) continue;
    if (best == nullptr || m.time_ns >= best->mapping.time_ns) best = &*it;
  }
  return best;
}

}  // namespace loadprof::symbolize
