// Allocation lifetimes and sampling weights of the alloc probe's records.
#include "loadprof/capture/alloc_live.h"

#include <algorithm>
#include <unordered_map>

namespace loadprof::capture {

uint64_t alloc_estimated_bytes(uint64_t size, uint64_t period_bytes) {
  return period_bytes == 0 ? size : std::max(size, period_bytes);
}

double alloc_estimated_count(uint64_t size, uint64_t period_bytes) {
  if (period_bytes == 0 || size >= period_bytes) return 1.0;
  return size == 0 ? 1.0 : static_cast<double>(period_bytes) / static_cast<double>(size);
}

uint64_t alloc_sample_period(const Capture& capture) {
  return capture.alloc_info ? capture.alloc_info->sample_period_bytes : 0;
}

std::vector<AllocLifetime> alloc_lifetimes(const Capture& capture) {
  std::vector<const AllocEvent*> ordered;
  ordered.reserve(capture.allocs.size());
  for (const auto& e : capture.allocs) ordered.push_back(&e);
  // Records come in time order from one recorder; a merged or edited capture may not.
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const AllocEvent* a, const AllocEvent* b) { return a->time_ns < b->time_ns; });
  std::vector<AllocLifetime> out;
  std::unordered_map<uint64_t, size_t> open;  // hash of (pid, address) -> index in out
  auto key = [](const AllocEvent& e) { return e.address * 0x9E3779B97F4A7C15ull ^ e.pid; };
  for (const AllocEvent* e : ordered) {
    if (!e->is_free) {
      if (e->tracked) open[key(*e)] = out.size();
      out.push_back({e, 0});
      continue;
    }
    auto it = open.find(key(*e));
    if (it == open.end()) continue;  // its allocation is outside the capture (or window)
    AllocLifetime& l = out[it->second];
    if (l.alloc->pid == e->pid && l.alloc->address == e->address) l.free_ns = e->time_ns;
    open.erase(it);
  }
  return out;
}

}  // namespace loadprof::capture
