// Loader of the mmap probe (bpf/mmap.bpf.c).
#include "mmap_probe.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "bpf_util.h"
#include "loadprof/util/log.h"
#include "mmap_probe.skel.h"

namespace loadprof::collect {

Result<std::unique_ptr<MmapProbe>> MmapProbe::open(const MmapProbeOptions& options) {
  std::unique_ptr<MmapProbe> probe(new MmapProbe());
  int possible = libbpf_num_possible_cpus();
  if (possible <= 0) return libbpf_error("libbpf_num_possible_cpus", possible);
  probe->possible_cpus_ = possible;
  struct mmap_probe* skel = mmap_probe::open();
  if (!skel) return libbpf_error("open BPF object mmap", errno);
  probe->skel_ = skel;
  if (options.targets_map_fd >= 0) {
    int err = bpf_map__reuse_fd(skel->maps.targets, options.targets_map_fd);
    if (err) return libbpf_error("share the target map with the mmap probe", err);
  }
  // The per-syscall tracepoints run only for these syscalls; the raw ones for
  // every syscall on the machine (measured: docs/benchmarks/mmap.md). Those
  // need tracefs; without it, the raw ones. Only the set used is loaded.
  const bool tracefs = access("/sys/kernel/tracing/events/syscalls/sys_enter_mmap/id", R_OK) == 0 ||
                       access("/sys/kernel/debug/tracing/events/syscalls/sys_enter_mmap/id", R_OK) == 0;
  for (bpf_program* prog : {skel->progs.on_enter_mmap, skel->progs.on_enter_munmap, skel->progs.on_enter_brk,
                            skel->progs.on_exit})
    bpf_program__set_autoload(prog, tracefs);
  for (bpf_program* prog : {skel->progs.on_sys_enter, skel->progs.on_sys_exit})
    bpf_program__set_autoload(prog, !tracefs);
  if (int err = mmap_probe::load(skel); err != 0) return libbpf_error("load BPF program mmap", err);
  if (!tracefs) log::debug("mmap: no tracefs: the raw sys_enter/sys_exit tracepoints");
  if (tracefs) {
    const std::pair<bpf_program*, const char*> entries[] = {{skel->progs.on_enter_mmap, "mmap"},
                                                            {skel->progs.on_enter_munmap, "munmap"},
                                                            {skel->progs.on_enter_brk, "brk"}};
    for (const auto& [enter, syscall] : entries) {
      for (const auto& [prog, name] : {std::pair{enter, std::string("sys_enter_") + syscall},
                                       std::pair{skel->progs.on_exit, std::string("sys_exit_") + syscall}}) {
        bpf_link* link = bpf_program__attach_tracepoint(prog, "syscalls", name.c_str());
        if (!link) return libbpf_error("attach the syscalls:" + name + " tracepoint", errno);
        probe->links_.push_back(link);
      }
    }
  }
  probe->per_syscall_ = tracefs;
  if (!tracefs) {
    for (bpf_program* prog : {skel->progs.on_sys_enter, skel->progs.on_sys_exit}) {
      bpf_link* link = bpf_program__attach(prog);
      if (!link) return libbpf_error(std::string("attach ") + bpf_program__name(prog), errno);
      probe->links_.push_back(link);
    }
  }
  return probe;
}

MmapProbe::~MmapProbe() {
  stop();
  if (skel_) mmap_probe::destroy(skel_);
}

namespace {

void drain_map(bpf_map* map, const MmapProbe::AggFn& fn) {
  lp_mmap_agg_key key{};
  lp_mmap_agg value{};
  // Always the first key: each one is deleted as it is read.
  while (bpf_map__get_next_key(map, nullptr, &key, sizeof key) == 0) {
    if (bpf_map__lookup_and_delete_elem(map, &key, sizeof key, &value, sizeof value, 0) != 0) break;
    fn(key, value);
  }
}

}  // namespace

void MmapProbe::flush_aggregates(const AggFn& on_aggregate, bool all) {
  const uint32_t writing = skel_->bss->agg_generation & 1;
  // The idle map was switched away from a flush ago: no program still writes it.
  drain_map(writing ? skel_->maps.agg0 : skel_->maps.agg1, on_aggregate);
  if (all) drain_map(writing ? skel_->maps.agg1 : skel_->maps.agg0, on_aggregate);
  skel_->bss->agg_generation = writing ^ 1;
}

void MmapProbe::stop() {
  for (bpf_link* link : links_) bpf_link__destroy(link);
  links_.clear();
}

std::array<uint64_t, LP_MMAP_COUNTERS> MmapProbe::counters() const {
  return sum_percpu_counters<LP_MMAP_COUNTERS>(skel_->maps.counters, possible_cpus_);
}

}  // namespace loadprof::collect
