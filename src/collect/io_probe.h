// Loader of bpf/io.bpf.c: opens the skeleton with the cpu probe's target map
// (one target set), fills the syscall table (x86-64 numbers of the syscalls
// in capture::IoSyscall), attaches sys_enter/sys_exit and block_rq_issue/
// block_rq_complete and sock_send_length/sock_recv_length (tp_btf), drains
// the per-second aggregates, reads the sockets the target talked on, and
// exposes the drop counters.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "io.h"
#include "loadprof/util/result.h"

struct io;
struct ring_buffer;
struct bpf_link;

namespace loadprof::collect {

struct IoProbeOptions {
  int targets_map_fd = -1;       // the cpu probe's target map
  uint64_t slow_ns = 1'000'000;  // calls this long or longer are sent on their own, with their stack
  uint64_t ringbuf_bytes = 0;    // 0: a default
  // > 0: DWARF mode, each traced call of a target whose map entry is
  // LP_UNWIND_DWARF is sent with the user registers and this many bytes of
  // the user stack (a power of two, 512 .. 4096; lp_io_dwarf_event).
  uint32_t dwarf_stack_bytes = 0;
};

class IoProbe {
 public:
  using RecordFn = std::function<void(std::span<const uint8_t>)>;
  using SyscallAggFn = std::function<void(const lp_io_agg_key&, const lp_io_agg&)>;
  using DeviceAggFn = std::function<void(const lp_io_device_key&, const lp_io_device_agg&)>;
  using SocketFn = std::function<void(const lp_io_socket_key&, const lp_io_socket&)>;

  static Result<std::unique_ptr<IoProbe>> open(const IoProbeOptions& options, RecordFn on_record);
  ~IoProbe();
  IoProbe(const IoProbe&) = delete;
  IoProbe& operator=(const IoProbe&) = delete;

  // Hands the available records (slow calls, exchanges, DWARF-mode calls) to
  // on_record, at most a few thousand per call.
  [[nodiscard]] Result<void> consume();
  // The ring buffer's fd: readable when BPF wakes the reader (DWARF mode,
  // a quarter full), for an edge-triggered epoll.
  int ring_fd() const;
  // Hands over (and removes) the aggregates of the maps BPF stopped writing
  // at the previous call, then switches BPF to the maps just emptied; all:
  // both generations (after stop(), when no program runs any more).
  void flush_aggregates(const SyscallAggFn& on_syscalls, const DeviceAggFn& on_device, bool all);
  // Hands over every socket seen so far (kept: a socket's figures run to the end).
  void read_sockets(const SocketFn& on_socket) const;
  // Detaches the tracepoints.
  void stop();
  // Sums over CPUs, indexed by lp_io_drop_reason.
  std::array<uint64_t, LP_IO_DROP_REASONS> drops() const;

 private:
  IoProbe() = default;
  static int on_ringbuf_record(void* ctx, void* data, size_t size);

  RecordFn on_record_;
  uint64_t consumed_ = 0;  // records handed over by the current consume()
  int possible_cpus_ = 1;
  struct io* skel_ = nullptr;
  ring_buffer* ringbuf_ = nullptr;
  std::vector<bpf_link*> links_;
};

}  // namespace loadprof::collect
