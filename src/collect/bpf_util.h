// What every probe loader does with libbpf the same way: turn its errors
// into ours (a permission error named as such) and sum a per-CPU array of
// counters (drop and event counters, one slot per reason).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "loadprof/util/result.h"

struct bpf_map;

namespace loadprof::collect {

// ErrorKind::permission for EPERM/EACCES, else internal; err as libbpf gives
// it (negative or positive errno).
Error libbpf_error(const std::string& what, int err);

// Sums slot i of a BPF_MAP_TYPE_PERCPU_ARRAY of uint64_t over `cpus` CPUs
// into out[i]; a slot that cannot be read stays 0.
void sum_percpu_counters(const bpf_map* map, int cpus, uint64_t* out, uint32_t slots);

template <uint32_t N>
std::array<uint64_t, N> sum_percpu_counters(const bpf_map* map, int cpus) {
  std::array<uint64_t, N> out{};
  sum_percpu_counters(map, cpus, out.data(), N);
  return out;
}

}  // namespace loadprof::collect
