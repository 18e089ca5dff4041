// Where frame-pointer stacks go wrong: a walk through code without frame
// pointers yields silent garbage (stack addresses, ASCII bytes). The table of
// executable mappings per process tells real return addresses from garbage.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "loadprof/capture/model.h"

namespace loadprof::collect {

// Executable mappings of one process, by start address.
class ExecMappings {
 public:
  // true when the mapping was not known yet (same start, end and path).
  bool add(const capture::Mapping& mapping);
  void clear() { by_start_.clear(); }
  bool contains(uint64_t address) const;
  const std::map<uint64_t, capture::Mapping>& all() const { return by_start_; }

 private:
  std::map<uint64_t, capture::Mapping> by_start_;
};

// Number of leading (leaf-first) frames that lie in executable mappings; the
// frames after the first address outside them are garbage of the walk.
size_t valid_user_frames(std::span<const uint64_t> ips, const ExecMappings& mappings);

}  // namespace loadprof::collect
