// Executable-mapping table and the frame-pointer truncation check.
#include "stack_check.h"

namespace loadprof::collect {

bool ExecMappings::add(const capture::Mapping& mapping) {
  if (!mapping.executable || mapping.end <= mapping.start) return false;
  // A new mapping replaces whatever it overlaps (mmap over an old range).
  auto it = by_start_.lower_bound(mapping.start);
  if (it != by_start_.begin()) {
    auto prev = std::prev(it);
    if (prev->second.end > mapping.start) it = prev;
  }
  bool same = false;
  while (it != by_start_.end() && it->first < mapping.end) {
    if (it->second.start == mapping.start && it->second.end == mapping.end && it->second.path == mapping.path &&
        it->second.pgoff == mapping.pgoff) {
      same = true;
      ++it;
      continue;
    }
    it = by_start_.erase(it);
  }
  if (same) return false;
  by_start_[mapping.start] = mapping;
  return true;
}

bool ExecMappings::contains(uint64_t address) const {
  auto it = by_start_.upper_bound(address);
  if (it == by_start_.begin()) return false;
  --it;
  return address >= it->second.start && address < it->second.end;
}

size_t valid_user_frames(std::span<const uint64_t> ips, const ExecMappings& mappings) {
  size_t n = 0;
  while (n < ips.size() && mappings.contains(ips[n])) ++n;
  return n;
}

}  // namespace loadprof::collect
