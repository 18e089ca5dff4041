// Traced calls merged by key for about a second: the io and mmap probes
// merge their frame-pointer calls in BPF; their DWARF calls are unwound here
// and merged by the unwound stack with this, then written the same way.
#pragma once

#include <cstdint>
#include <map>

namespace loadprof::record {

template <typename Key, typename Record>
class MergedCalls {
 public:
  // r under key: kept as is when the key is new, else merge(kept, r).
  template <typename Merge>
  void add(const Key& key, const Record& r, uint64_t start_ns, Merge merge) {
    if (merged_.empty()) first_ns_ = start_ns;
    auto [it, inserted] = merged_.try_emplace(key, r);
    if (!inserted) merge(it->second, r);
  }

  // Every record to write(), once the oldest merged call started period_ns
  // before now_ns (by call time), or at once with all (the end).
  template <typename Write>
  void flush(uint64_t now_ns, bool all, uint64_t period_ns, Write write) {
    if (merged_.empty() || (!all && now_ns < first_ns_ + period_ns)) return;
    for (const auto& [key, r] : merged_) write(r);
    merged_.clear();
  }

 private:
  std::map<Key, Record> merged_;
  uint64_t first_ns_ = 0;  // start of the oldest call merged
};

}  // namespace loadprof::record
