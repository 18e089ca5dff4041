// Loader of the offcpu probe (bpf/offcpu.bpf.c).
#include "offcpu_probe.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <string>

#include "bpf_util.h"
#include "offcpu.skel.h"

namespace loadprof::collect {
Result<std::unique_ptr<OffCpuProbe>> OffCpuProbe::open(const OffCpuProbeOptions& options,
                                                       RecordFn on_record) {
  std::unique_ptr<OffCpuProbe> probe(new OffCpuProbe());
  probe->on_record_ = std::move(on_record);
  int possible = libbpf_num_possible_cpus();
  if (possible <= 0) return libbpf_error("libbpf_num_possible_cpus", possible);
  probe->possible_cpus_ = possible;

  offcpu* skel = offcpu::open();
  if (!skel) return libbpf_error("open BPF object offcpu", errno);
  probe->skel_ = skel;
  skel->rodata->offcpu_min_ns = options.min_interval_ns;
  const uint32_t stack_bytes =
      options.dwarf_stack_bytes
          ? std::bit_ceil(std::clamp<uint32_t>(options.dwarf_stack_bytes, 512, LP_OFFCPU_STACK_MAX_BYTES))
          : 0;
  skel->rodata->offcpu_stack_bytes = stack_bytes;
  // The per-thread copies take 8 KiB each: none without DWARF targets.
  if (stack_bytes == 0) bpf_map__set_max_entries(skel->maps.dwarf_out, 1);
  skel->rodata->waker_stacks_on = options.waker_stacks ? 1 : 0;
  if (!options.waker_stacks) bpf_map__set_max_entries(skel->maps.waker_stacks, 1);
  // 16 MiB: ~7,800 intervals, or fewer with DWARF stack copies (up to 8 KiB
  // each) in the same ring.
  const uint64_t bytes = options.ringbuf_bytes
                             ? std::bit_ceil(std::max<uint64_t>(options.ringbuf_bytes, 4096))
                             : uint64_t{16} << 20;
  bpf_map__set_max_entries(skel->maps.events, static_cast<uint32_t>(bytes));
  // A quarter full, the reader is woken (ring_fd) instead of waiting for its
  // 250 ms timer. With the timer alone it came 276-408 ms apart on a busy
  // machine and an 8 MiB ring overflowed in 4 of 6 runs (docs/benchmarks/dwarf.md).
  skel->rodata->ringbuf_wakeup_bytes = bytes / 4;
  if (options.targets_map_fd >= 0) {
    int err = bpf_map__reuse_fd(skel->maps.targets, options.targets_map_fd);
    if (err) return libbpf_error("share the target map with the offcpu probe", err);
  }
  if (int err = offcpu::load(skel); err != 0) return libbpf_error("load BPF program offcpu", err);
  // sched_waking names the waker (in its context); sched_wakeup may run from
  // an IPI on the wakee's CPU, in its idle task (then it is only the fallback).
  for (bpf_program* prog : {skel->progs.on_switch, skel->progs.on_waking_btf, skel->progs.on_wakeup_btf,
                            skel->progs.on_wakeup_new_btf}) {
    bpf_link* link = bpf_program__attach(prog);
    if (!link) return libbpf_error(std::string("attach ") + bpf_program__name(prog), errno);
    probe->links_.push_back(link);
  }
  probe->ringbuf_ =
      ring_buffer__new(bpf_map__fd(skel->maps.events), &OffCpuProbe::on_ringbuf_record, probe.get(), nullptr);
  if (!probe->ringbuf_) return libbpf_error("ring_buffer__new (offcpu)", errno);
  return probe;
}

OffCpuProbe::~OffCpuProbe() {
  stop();
  if (ringbuf_) ring_buffer__free(ringbuf_);
  if (skel_) offcpu::destroy(skel_);
}

int OffCpuProbe::on_ringbuf_record(void* ctx, void* data, size_t size) {
  auto* self = static_cast<OffCpuProbe*>(ctx);
  self->on_record_(std::span<const uint8_t>(static_cast<const uint8_t*>(data), size));
  return 0;
}

int OffCpuProbe::ring_fd() const { return bpf_map__fd(skel_->maps.events); }

Result<void> OffCpuProbe::consume() {
  int n = ring_buffer__consume(ringbuf_);
  if (n < 0 && n != -EINTR) return libbpf_error("ring_buffer__consume (offcpu)", n);
  return {};
}

namespace {

void drain_map(bpf_map* map, const std::function<void(const lp_offcpu_agg&)>& fn) {
  lp_offcpu_agg_key key{};
  lp_offcpu_agg value{};
  // Always the first key: each one is deleted as it is read.
  while (bpf_map__get_next_key(map, nullptr, &key, sizeof key) == 0) {
    if (bpf_map__lookup_and_delete_elem(map, &key, sizeof key, &value, sizeof value, 0) != 0) break;
    fn(value);
  }
}

}  // namespace

void OffCpuProbe::flush_aggregates(const std::function<void(const lp_offcpu_agg&)>& fn, bool all) {
  const uint32_t writing = skel_->bss->agg_generation & 1;
  bpf_map* idle = writing ? skel_->maps.agg0 : skel_->maps.agg1;
  bpf_map* busy = writing ? skel_->maps.agg1 : skel_->maps.agg0;
  // The idle map was switched away from a flush ago: no program still writes it.
  drain_map(idle, fn);
  if (all) drain_map(busy, fn);
  skel_->bss->agg_generation = writing ^ 1;
}

bool OffCpuProbe::seed_thread(uint32_t pid, uint32_t tid, bool runnable, uint64_t start_ns) {
  lp_offcpu_event e{};
  e.type = LP_EVENT_OFFCPU;
  e.start_ns = start_ns;
  e.pid = pid;
  e.tid = tid;
  e.state = runnable ? 0 : 1;
  e.waker_user_stack_id = -1;  // none yet (0 is a valid stack id)
  e.waker_kernel_stack_id = -1;
  return bpf_map__update_elem(skel_->maps.switched_out, &tid, sizeof tid, &e, sizeof e, BPF_NOEXIST) == 0;
}

std::vector<lp_offcpu_event> OffCpuProbe::take_open() {
  std::vector<lp_offcpu_event> out;
  uint32_t tid = 0;
  lp_offcpu_event e{};
  while (bpf_map__get_next_key(skel_->maps.switched_out, nullptr, &tid, sizeof tid) == 0) {
    if (bpf_map__lookup_elem(skel_->maps.switched_out, &tid, sizeof tid, &e, sizeof e, 0) == 0)
      out.push_back(e);
    if (bpf_map__delete_elem(skel_->maps.switched_out, &tid, sizeof tid, 0) != 0) break;
  }
  return out;
}

bool OffCpuProbe::kept_stack(uint32_t tid, uint64_t start_ns, lp_offcpu_stack_event& out) const {
  if (skel_->rodata->offcpu_stack_bytes == 0) return false;
  if (bpf_map__lookup_elem(skel_->maps.dwarf_out, &tid, sizeof tid, &out, sizeof out, 0) != 0) return false;
  return out.start_ns == start_ns && out.stack_bytes <= LP_OFFCPU_STACK_MAX_BYTES;
}

bool OffCpuProbe::waker_stack(int32_t id, std::vector<uint64_t>& ips) {
  ips.clear();
  if (id < 0) return false;
  auto it = waker_stacks_.find(id);
  if (it == waker_stacks_.end()) {
    // Ids are never freed or reused in BPF: read once, kept.
    std::vector<uint64_t> frames(LP_MAX_STACK_DEPTH, 0);
    const uint32_t key = static_cast<uint32_t>(id);
    if (bpf_map__lookup_elem(skel_->maps.waker_stacks, &key, sizeof key, frames.data(),
                             frames.size() * sizeof(uint64_t), 0) != 0)
      return false;
    size_t n = 0;
    while (n < frames.size() && frames[n] != 0) ++n;
    frames.resize(n);
    it = waker_stacks_.emplace(id, std::move(frames)).first;
  }
  ips = it->second;
  return true;
}

void OffCpuProbe::stop() {
  for (bpf_link* link : links_) bpf_link__destroy(link);
  links_.clear();
}

std::array<uint64_t, LP_OFFCPU_DROP_REASONS> OffCpuProbe::drops() const {
  return sum_percpu_counters<LP_OFFCPU_DROP_REASONS>(skel_->maps.drops, possible_cpus_);
}

}  // namespace loadprof::collect
