// Deduplication of raw stacks: (address space, user IPs, kernel IPs) -> a
// dense id, so each distinct stack is symbolized and stored once. The lookup
// reuses one key buffer, so a stack seen before costs a hash and no allocation.
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

namespace loadprof::record {

class StackTable {
 public:
  struct Lookup {
    uint32_t id = 0;
    bool inserted = false;  // first time seen: the caller must resolve it
  };

  // space: identifies the address space (pid and exec generation).
  Lookup intern(uint64_t space, std::span<const uint64_t> user_ips, std::span<const uint64_t> kernel_ips,
                bool truncated);
  size_t size() const { return map_.size(); }

 private:
  struct KeyHash {
    size_t operator()(const std::vector<uint64_t>& key) const;
  };
  std::vector<uint64_t> key_;  // scratch: [space, flags|n_user, user..., kernel...]
  std::unordered_map<std::vector<uint64_t>, uint32_t, KeyHash> map_;
};

}  // namespace loadprof::record
