// Loader of the mmap probe (bpf/mmap.bpf.c).
#include "mmap_probe.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "bpf_util.h"
#include "loadprof/util/log.h"
#include "mmap_probe.skel.h"

namespace loadprof::collect {

Result<std::unique_ptr<MmapProbe>> MmapProbe::open(const MmapProbeOptions& options, RecordFn on_record) {
  std::unique_ptr<MmapProbe> probe(new MmapProbe());
  probe->on_record_ = std::move(on_record);
  int possible = libbpf_num_possible_cpus();
  if (possible <= 0) return libbpf_error("libbpf_num_possible_cpus", possible);
  probe->possible_cpus_ = possible;
  struct mmap_probe* skel = mmap_probe::open();
  if (!skel) return libbpf_error("open BPF object mmap", errno);
  probe->skel_ = skel;
  const bool dwarf = options.dwarf_stack_bytes > 0;
  skel->rodata->mmap_stack_bytes =
      dwarf ? std::bit_ceil(std::clamp<uint32_t>(options.dwarf_stack_bytes, 512, LP_MMAP_STACK_MAX_BYTES))
            : 0;
  // DWARF mode sends every call (4,280 bytes each): 8 MiB hold ~1,960 of
  // them, and the reader is woken when a quarter is waiting (a call that
  // then finds no room is merged in BPF with its FP stack, counted). These
  // calls are rare (tens to thousands a second). Outside DWARF mode the ring
  // is never written: its smallest size.
  const uint64_t ring_bytes = !dwarf ? 4096
                              : options.ringbuf_bytes
                                  ? std::bit_ceil(std::max<uint64_t>(options.ringbuf_bytes, 4096))
                                  : uint64_t{8} << 20;
  bpf_map__set_max_entries(skel->maps.events, static_cast<uint32_t>(ring_bytes));
  if (dwarf) skel->rodata->ringbuf_wakeup_bytes = ring_bytes / 4;
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
                            skel->progs.on_enter_mremap, skel->progs.on_exit})
    bpf_program__set_autoload(prog, tracefs);
  for (bpf_program* prog : {skel->progs.on_sys_enter, skel->progs.on_sys_exit})
    bpf_program__set_autoload(prog, !tracefs);
  if (int err = mmap_probe::load(skel); err != 0) return libbpf_error("load BPF program mmap", err);
  if (!tracefs) log::debug("mmap: no tracefs: the raw sys_enter/sys_exit tracepoints");
  if (tracefs) {
    const std::pair<bpf_program*, const char*> entries[] = {{skel->progs.on_enter_mmap, "mmap"},
                                                            {skel->progs.on_enter_munmap, "munmap"},
                                                            {skel->progs.on_enter_brk, "brk"},
                                                            {skel->progs.on_enter_mremap, "mremap"}};
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
  if (dwarf) {
    probe->ringbuf_ =
        ring_buffer__new(bpf_map__fd(skel->maps.events), &MmapProbe::on_ringbuf_record, probe.get(), nullptr);
    if (!probe->ringbuf_) return libbpf_error("ring_buffer__new (mmap)", errno);
  }
  return probe;
}

MmapProbe::~MmapProbe() {
  stop();
  if (ringbuf_) ring_buffer__free(ringbuf_);
  if (skel_) mmap_probe::destroy(skel_);
}

namespace {

// Records one consume() hands over at most (as the io probe: the recorder
// dispatches, and unwinds while the process lives, between reads).
constexpr uint64_t kConsumeBudget = 4096;
// The callback's "budget reached": the record is consumed, consuming stops.
constexpr int kBudgetReached = -EAGAIN;

}  // namespace

int MmapProbe::on_ringbuf_record(void* ctx, void* data, size_t size) {
  auto* self = static_cast<MmapProbe*>(ctx);
  self->on_record_(std::span<const uint8_t>(static_cast<const uint8_t*>(data), size));
  return ++self->consumed_ >= kConsumeBudget ? kBudgetReached : 0;
}

int MmapProbe::ring_fd() const { return ringbuf_ ? bpf_map__fd(skel_->maps.events) : -1; }

Result<void> MmapProbe::consume() {
  if (!ringbuf_) return {};
  consumed_ = 0;
  int n = ring_buffer__consume(ringbuf_);
  if (n < 0 && n != -EINTR && n != kBudgetReached) return libbpf_error("ring_buffer__consume (mmap)", n);
  return {};
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
