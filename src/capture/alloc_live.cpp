// Allocation lifetimes and sampling weights of the alloc probe's records.
#include "loadprof/capture/alloc_live.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace loadprof::capture {

uint64_t alloc_estimated_bytes(uint64_t size, uint64_t period_bytes, bool poisson) {
  if (period_bytes == 0) return size;
  if (!poisson) return std::max(size, period_bytes);
  return static_cast<uint64_t>(static_cast<double>(size) * alloc_estimated_count(size, period_bytes, true) +
                               0.5);
}

double alloc_estimated_count(uint64_t size, uint64_t period_bytes, bool poisson) {
  if (period_bytes == 0) return 1.0;
  if (poisson) {
    // Sampled with probability 1 - exp(-size/period); for size 0 the limit of size/p is the period.
    if (size == 0) return 1.0;
    const double p = -std::expm1(-static_cast<double>(size) / static_cast<double>(period_bytes));
    return p > 0 ? 1.0 / p : 1.0;
  }
  if (size >= period_bytes) return 1.0;
  return size == 0 ? 1.0 : static_cast<double>(period_bytes) / static_cast<double>(size);
}

bool alloc_poisson_sampling(const Capture& capture) {
  return capture.alloc_info && capture.alloc_info->method == "preload";
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
