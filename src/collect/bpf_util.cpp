// libbpf errors and per-CPU counters, shared by the probe loaders.
#include "bpf_util.h"

#include <bpf/libbpf.h>

#include <cerrno>

#include "privilege.h"

namespace loadprof::collect {

Error libbpf_error(const std::string& what, int err) {
  if (err < 0) err = -err;
  if (err == EPERM || err == EACCES) return permission_error(what, err);
  return errno_error(ErrorKind::internal, what, err);
}

void sum_percpu_counters(const bpf_map* map, int cpus, uint64_t* out, uint32_t slots) {
  std::vector<uint64_t> values(static_cast<size_t>(cpus > 0 ? cpus : 1));
  for (uint32_t slot = 0; slot < slots; ++slot) {
    if (bpf_map__lookup_elem(map, &slot, sizeof slot, values.data(), values.size() * sizeof(uint64_t), 0) !=
        0)
      continue;
    for (uint64_t v : values) out[slot] += v;
  }
}

}  // namespace loadprof::collect
