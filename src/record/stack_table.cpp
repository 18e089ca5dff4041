// StackTable: hashing and interning of raw stacks.
#include "stack_table.h"

namespace loadprof::record {

size_t StackTable::KeyHash::operator()(const std::vector<uint64_t>& key) const {
  // 64-bit mix per word (splitmix64 finalizer), combined FNV-style.
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint64_t w : key) {
    w ^= w >> 30;
    w *= 0xbf58476d1ce4e5b9ull;
    w ^= w >> 27;
    w *= 0x94d049bb133111ebull;
    w ^= w >> 31;
    h = (h ^ w) * 0x100000001b3ull;
  }
  return static_cast<size_t>(h);
}

StackTable::Lookup StackTable::intern(uint64_t space, std::span<const uint64_t> user_ips,
                                      std::span<const uint64_t> kernel_ips, bool truncated) {
  key_.clear();
  key_.push_back(space);
  key_.push_back((truncated ? 1ull << 63 : 0) | user_ips.size());
  key_.insert(key_.end(), user_ips.begin(), user_ips.end());
  key_.insert(key_.end(), kernel_ips.begin(), kernel_ips.end());
  auto it = map_.find(key_);
  if (it != map_.end()) return {it->second, false};
  uint32_t id = static_cast<uint32_t>(map_.size());
  map_.emplace(key_, id);
  return {id, true};
}

}  // namespace loadprof::record
