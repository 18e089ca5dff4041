// Loader of the io probe (bpf/io.bpf.c).
#include "io_probe.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <fstream>
#include <string>

#include "bpf_util.h"
#include "io.skel.h"
#include "loadprof/capture/model.h"

namespace loadprof::collect {
namespace {

struct TracedSyscall {
  capture::IoSyscall id;
  uint32_t nr;  // x86-64
  uint32_t flags;
};

// The syscalls the probe times, by their x86-64 numbers.
constexpr uint32_t kFdBytes = LP_IO_F_FD | LP_IO_F_BYTES;
constexpr TracedSyscall kTraced[] = {
    {capture::IoSyscall::read, 0, kFdBytes},
    {capture::IoSyscall::write, 1, kFdBytes},
    {capture::IoSyscall::pread64, 17, kFdBytes},
    {capture::IoSyscall::pwrite64, 18, kFdBytes},
    {capture::IoSyscall::readv, 19, kFdBytes},
    {capture::IoSyscall::writev, 20, kFdBytes},
    {capture::IoSyscall::preadv, 295, kFdBytes},
    {capture::IoSyscall::pwritev, 296, kFdBytes},
    {capture::IoSyscall::fsync, 74, LP_IO_F_FD},
    {capture::IoSyscall::fdatasync, 75, LP_IO_F_FD},
    {capture::IoSyscall::sendto, 44, kFdBytes},
    {capture::IoSyscall::sendmsg, 46, kFdBytes},
    {capture::IoSyscall::recvfrom, 45, kFdBytes},
    {capture::IoSyscall::recvmsg, 47, kFdBytes},
    {capture::IoSyscall::accept, 43, LP_IO_F_SOCKET},
    {capture::IoSyscall::accept4, 288, LP_IO_F_SOCKET},
    {capture::IoSyscall::connect, 42, LP_IO_F_SOCKET},
    {capture::IoSyscall::poll, 7, LP_IO_F_POLL},
    {capture::IoSyscall::ppoll, 271, LP_IO_F_POLL},
    {capture::IoSyscall::select, 23, LP_IO_F_POLL},
    {capture::IoSyscall::pselect6, 270, LP_IO_F_POLL},
    {capture::IoSyscall::epoll_wait, 232, LP_IO_F_POLL},
    {capture::IoSyscall::epoll_pwait, 281, LP_IO_F_POLL},
    {capture::IoSyscall::epoll_pwait2, 441, LP_IO_F_POLL},
};

// The range connect() picks local ports from; Linux's default when unreadable.
std::pair<uint16_t, uint16_t> ephemeral_ports() {
  std::ifstream f("/proc/sys/net/ipv4/ip_local_port_range");
  unsigned low = 0, high = 0;
  if (f >> low >> high && low > 0 && low <= high && high <= 65535)
    return {static_cast<uint16_t>(low), static_cast<uint16_t>(high)};
  return {32768, 60999};
}

}  // namespace

Result<std::unique_ptr<IoProbe>> IoProbe::open(const IoProbeOptions& options, RecordFn on_record) {
  std::unique_ptr<IoProbe> probe(new IoProbe());
  probe->on_record_ = std::move(on_record);
  int possible = libbpf_num_possible_cpus();
  if (possible <= 0) return libbpf_error("libbpf_num_possible_cpus", possible);
  probe->possible_cpus_ = possible;

  struct io* skel = io::open();
  if (!skel) return libbpf_error("open BPF object io", errno);
  probe->skel_ = skel;
  skel->rodata->slow_ns = options.slow_ns;
  const auto [low, high] = ephemeral_ports();
  skel->rodata->ephemeral_low = low;
  skel->rodata->ephemeral_high = high;
  skel->rodata->io_stack_bytes =
      options.dwarf_stack_bytes
          ? std::bit_ceil(std::clamp<uint32_t>(options.dwarf_stack_bytes, 512, LP_IO_STACK_MAX_BYTES))
          : 0;
  // 4 MiB: ~3,900 slow calls (1,080 bytes each) between the reader's drains.
  // DWARF mode sends every call (4,312 bytes each): 32 MiB, ~7,800 calls,
  // and the reader is woken when a quarter is waiting (then a call that
  // finds no room is merged in BPF with its FP stack, counted).
  const uint64_t bytes = options.ringbuf_bytes
                             ? std::bit_ceil(std::max<uint64_t>(options.ringbuf_bytes, 4096))
                             : uint64_t{options.dwarf_stack_bytes ? 32u : 4u} << 20;
  bpf_map__set_max_entries(skel->maps.events, static_cast<uint32_t>(bytes));
  if (options.dwarf_stack_bytes) skel->rodata->ringbuf_wakeup_bytes = bytes / 4;
  if (options.targets_map_fd >= 0) {
    int err = bpf_map__reuse_fd(skel->maps.targets, options.targets_map_fd);
    if (err) return libbpf_error("share the target map with the io probe", err);
  }
  if (int err = io::load(skel); err != 0) return libbpf_error("load BPF program io", err);
  for (const TracedSyscall& t : kTraced) {
    const uint32_t value = (static_cast<uint32_t>(t.id) + 1) | t.flags;
    int err = bpf_map__update_elem(skel->maps.syscall_table, &t.nr, sizeof t.nr, &value, sizeof value, 0);
    if (err) return libbpf_error("fill the io probe's syscall table", err);
  }
  for (bpf_program* prog : {skel->progs.on_sys_enter, skel->progs.on_sys_exit, skel->progs.on_rq_issue,
                            skel->progs.on_rq_complete, skel->progs.on_sock_send, skel->progs.on_sock_recv}) {
    bpf_link* link = bpf_program__attach(prog);
    if (!link) return libbpf_error(std::string("attach ") + bpf_program__name(prog), errno);
    probe->links_.push_back(link);
  }
  probe->ringbuf_ =
      ring_buffer__new(bpf_map__fd(skel->maps.events), &IoProbe::on_ringbuf_record, probe.get(), nullptr);
  if (!probe->ringbuf_) return libbpf_error("ring_buffer__new (io)", errno);
  return probe;
}

IoProbe::~IoProbe() {
  stop();
  if (ringbuf_) ring_buffer__free(ringbuf_);
  if (skel_) io::destroy(skel_);
}

namespace {

// Records one consume() hands over at most. A target making syscalls faster
// than they are read (DWARF mode: ~355,000 calls/s of 4 KiB records) kept the
// reader consuming until it exited: nothing was unwound while it lived and
// every stack came out process_gone. Bounded, the recorder dispatches (and
// meets the process alive) between reads; what the ring cannot hold meanwhile
// is merged in BPF with its FP stack (counted).
constexpr uint64_t kConsumeBudget = 4096;
// The callback's "budget reached": the record is consumed, consuming stops.
constexpr int kBudgetReached = -EAGAIN;

}  // namespace

int IoProbe::on_ringbuf_record(void* ctx, void* data, size_t size) {
  auto* self = static_cast<IoProbe*>(ctx);
  self->on_record_(std::span<const uint8_t>(static_cast<const uint8_t*>(data), size));
  return ++self->consumed_ >= kConsumeBudget ? kBudgetReached : 0;
}

int IoProbe::ring_fd() const { return bpf_map__fd(skel_->maps.events); }

Result<void> IoProbe::consume() {
  consumed_ = 0;
  int n = ring_buffer__consume(ringbuf_);
  if (n < 0 && n != -EINTR && n != kBudgetReached) return libbpf_error("ring_buffer__consume (io)", n);
  return {};
}

namespace {

template <class Key, class Value, class Fn>
void drain_map(bpf_map* map, const Fn& fn) {
  Key key{};
  Value value{};
  // Always the first key: each one is deleted as it is read.
  while (bpf_map__get_next_key(map, nullptr, &key, sizeof key) == 0) {
    if (bpf_map__lookup_and_delete_elem(map, &key, sizeof key, &value, sizeof value, 0) != 0) break;
    fn(key, value);
  }
}

}  // namespace

void IoProbe::flush_aggregates(const SyscallAggFn& on_syscalls, const DeviceAggFn& on_device, bool all) {
  const uint32_t writing = skel_->bss->agg_generation & 1;
  // The idle maps were switched away from a flush ago: no program still writes them.
  drain_map<lp_io_agg_key, lp_io_agg>(writing ? skel_->maps.agg0 : skel_->maps.agg1, on_syscalls);
  drain_map<lp_io_device_key, lp_io_device_agg>(writing ? skel_->maps.dev0 : skel_->maps.dev1, on_device);
  if (all) {
    drain_map<lp_io_agg_key, lp_io_agg>(writing ? skel_->maps.agg1 : skel_->maps.agg0, on_syscalls);
    drain_map<lp_io_device_key, lp_io_device_agg>(writing ? skel_->maps.dev1 : skel_->maps.dev0, on_device);
  }
  skel_->bss->agg_generation = writing ^ 1;
}

void IoProbe::read_sockets(const SocketFn& on_socket) const {
  lp_io_socket_key key{}, next{};
  lp_io_socket value{};
  const lp_io_socket_key* prev = nullptr;
  while (bpf_map__get_next_key(skel_->maps.sockets, prev, &next, sizeof next) == 0) {
    key = next;
    prev = &key;
    if (bpf_map__lookup_elem(skel_->maps.sockets, &key, sizeof key, &value, sizeof value, 0) == 0)
      on_socket(key, value);
  }
}

void IoProbe::stop() {
  for (bpf_link* link : links_) bpf_link__destroy(link);
  links_.clear();
}

std::array<uint64_t, LP_IO_DROP_REASONS> IoProbe::drops() const {
  return sum_percpu_counters<LP_IO_DROP_REASONS>(skel_->maps.drops, possible_cpus_);
}

}  // namespace loadprof::collect
