// The Collector: wires the cpu probe (BPF ring buffer), the perf sideband and
// /proc snapshots into one time-ordered event stream for the target set.
//
// With the io probe, its slow calls come through a third ring buffer into
// the same ordering (at their exit time), and the per-second aggregates of
// short calls and block requests are drained with the offcpu ones.
//
// With the offcpu probe, its intervals come through a second ring buffer into
// the same ordering (at their switch-in time), their kernel stacks classified
// by reason with kernel symbol names asked of the kernel (cached by address).
//
// Ordering: samples, fork/exit events and sideband records come through
// different buffers. Each poll reads all of them, sorts by time and delivers
// what is older than (now - kHoldBackNs); the rest waits for the next poll.
// So a child's mmap2 never comes before its fork, and a sample's stack is
// checked against the mappings that existed when it was taken.
#include "loadprof/collect/collector.h"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "alloc_preload_ring.h"
#include "alloc_probe.h"
#include "cpu_probe.h"
#include "dwarf_sample.h"
#include "io_probe.h"
#include "loadprof/collect/kernel_symbol_lookup.h"
#include "loadprof/util/clock.h"
#include "loadprof/util/fd.h"
#include "loadprof/util/log.h"
#include "loadprof/util/procfs.h"
#include "mmap_probe.h"
#include "offcpu_classify.h"
#include "offcpu_probe.h"
#include "proc.h"
#include "sideband.h"
#include "stack_check.h"
#include "waker_frames.h"

namespace loadprof::collect {
namespace {

constexpr uint64_t kHoldBackNs = 20'000'000;
constexpr uint64_t kPumpIntervalNs = 10'000'000;
constexpr uint64_t kSecondNs = 1'000'000'000;
// --alloc-max-overhead: how long the traced allocator calls are counted before deciding to stay.
constexpr uint64_t kAllocEstimateNs = 200'000'000;
// A slot of a finished second is read only after this much more time, so
// sample programs still running at the boundary have finished writing.
constexpr uint64_t kAccountingMarginNs = 50'000'000;
constexpr size_t kSidebandPagesPerCpu = 64;
constexpr uint64_t kLivenessCheckNs = 1'000'000'000;
constexpr uint64_t kRetiredMapsNs = 5'000'000'000;

struct Event {
  enum class Kind : uint8_t {
    sideband,
    snapshot_mapping,
    sample,
    fork,
    exit,
    offcpu,
    io_syscall,
    io_device,
    alloc,
    mmap
  };
  Kind kind = Kind::sideband;
  uint64_t time_ns = 0;
  uint32_t seq = 0;       // arrival order, to keep sorting stable and cheap
  SidebandRecord record;  // sideband; snapshot_mapping uses record.mapping
  // sample / fork / exit
  uint32_t pid = 0, tid = 0, cpu = 0, ppid = 0;
  int exit_status = 0;
  std::vector<uint64_t> user_ips, kernel_ips;
  bool user_stack_ok = true;
  // DWARF sample: registers (DWARF numbering) and the user stack copy.
  bool dwarf = false;
  std::vector<uint64_t> regs;
  std::vector<uint8_t> stack;
  // offcpu (time_ns = end_ns)
  uint64_t start_ns = 0, wake_ns = 0;
  uint32_t waker_pid = 0, waker_tid = 0;
  bool waker_known = false;
  std::string waker_comm;
  capture::OffCpuReason reason = capture::OffCpuReason::other;
  uint32_t count = 1;
  // --offcpu-wakers: the waker's stacks (its own frames), out of line.
  struct WakerStacks {
    std::vector<uint64_t> user_ips, kernel_ips;
  };
  std::unique_ptr<WakerStacks> waker_stacks;
  // io_syscall (its stack in user_ips) / io_device (time_ns = end_ns); kept
  // out of line: most events are samples, moved around while sorting.
  std::unique_ptr<capture::IoSyscallRecord> io;
  std::unique_ptr<capture::IoDeviceRecord> device;
  std::unique_ptr<capture::AllocEvent> alloc;  // alloc (its stack in user_ips)
  std::unique_ptr<capture::MmapRecord> mmap;   // mmap (its stack in user_ips, see window)
  std::vector<uint64_t> window;                // mmap: stack words below the first frame record
};

// Steal and throttled time of one CPU in one second (joined to its accounting row).
struct SecondExtra {
  uint64_t steal_ns = 0;
  uint64_t throttles = 0;
  uint64_t throttled_ns = 0;
};

// Calls add(second, ns) for the part of [from_ns, to_ns) in each second.
template <class Add>
void split_by_second(uint64_t from_ns, uint64_t to_ns, Add add) {
  while (from_ns < to_ns) {
    const uint64_t second = from_ns / kSecondNs;
    const uint64_t end = std::min(to_ns, (second + 1) * kSecondNs);
    add(second, end - from_ns);
    from_ns = end;
  }
}

class CollectorImpl final : public Collector {
 public:
  Result<void> init(const CollectorOptions& options) {
    options_ = options;
    // The online CPUs by id: ids may have holes (0-3,5,7-8), so never 0..N-1.
    cpus_ = procfs::online_cpus();
    // The sideband first: its rings also take the cpu-clock events' throttle records.
    LOADPROF_TRY(sideband, Sideband::open(cpus_, kSidebandPagesPerCpu));
    sideband_.emplace(std::move(sideband));
    CpuProbeOptions po;
    po.frequency_hz = options.frequency_hz;
    po.follow_children = options.follow_children;
    po.ringbuf_bytes = options.ringbuf_bytes;
    po.self_tgid = static_cast<uint32_t>(getpid());
    po.cpus = cpus_;
    po.dwarf = options.dwarf;
    po.user_stack_bytes = options.user_stack_bytes;
    for (size_t i = 0; i < cpus_.size(); ++i) po.throttle_output_fds.push_back(sideband_->fd(i));
    LOADPROF_TRY(probe, CpuProbe::open(po, [this](std::span<const uint8_t> r) { on_bpf_record(r); }));
    probe_ = std::move(probe);
    if (options.offcpu) {
      OffCpuProbeOptions oo;
      oo.targets_map_fd = probe_->targets_map_fd();
      oo.min_interval_ns = options.offcpu_min_ns;
      oo.dwarf_stack_bytes = options.dwarf ? options.offcpu_stack_bytes : 0;
      oo.waker_stacks = options.offcpu_waker_stacks;
      LOADPROF_TRY(off, OffCpuProbe::open(oo, [this](std::span<const uint8_t> r) { on_offcpu_record(r); }));
      offcpu_ = std::move(off);
      auto ksyms = KernelSymbolLookup::open();
      if (ksyms.ok()) {
        ksyms_ = std::move(ksyms).value();
      } else {
        log::warn("offcpu: kernel symbols unavailable (" + ksyms.error().message +
                  "): blocked time is classified as other");
      }
    }
    if (options.io) {
      IoProbeOptions io;
      io.targets_map_fd = probe_->targets_map_fd();
      io.slow_ns = options.io_slow_ns;
      io.dwarf_stack_bytes = options.dwarf ? options.offcpu_stack_bytes : 0;
      LOADPROF_TRY(io_probe, IoProbe::open(io, [this](std::span<const uint8_t> r) { on_io_record(r); }));
      io_ = std::move(io_probe);
    }
    if (options.alloc && options.alloc_preload) {
      LOADPROF_TRY(ring, AllocPreloadRing::open(options.alloc_sample_bytes, 0,
                                                [this](std::span<const uint8_t> r) { on_alloc_record(r); }));
      alloc_preload_ = std::move(ring);
    } else if (options.alloc) {
      AllocProbeOptions ao;
      ao.sample_period_bytes = options.alloc_sample_bytes;
      ao.dwarf_stack_bytes = options.dwarf ? options.offcpu_stack_bytes : 0;
      LOADPROF_TRY(alloc_probe,
                   AllocProbe::open(ao, [this](std::span<const uint8_t> r) { on_alloc_record(r); }));
      alloc_ = std::move(alloc_probe);
    }
    if (options.alloc && options.alloc_mmap) {
      MmapProbeOptions mo;
      mo.targets_map_fd = probe_->targets_map_fd();
      mo.dwarf_stack_bytes = options.dwarf ? options.offcpu_stack_bytes : 0;
      mo.ringbuf_bytes = options.mmap_ringbuf_bytes;
      LOADPROF_TRY(mmap_probe,
                   MmapProbe::open(mo, [this](std::span<const uint8_t> r) { on_mmap_record(r); }));
      mmap_ = std::move(mmap_probe);
    }
    if (offcpu_ || (options.dwarf && (io_ || mmap_))) LOADPROF_CHECK(watch_rings());
    start_second_ = monotonic_ns() / kSecondNs;
    next_second_.assign(cpus_.size(), start_second_);
    throttled_since_ns_.assign(cpus_.size(), 0);
    clock_ticks_per_s_ = sysconf(_SC_CLK_TCK) > 0 ? static_cast<uint64_t>(sysconf(_SC_CLK_TCK)) : 100;
    read_steal(monotonic_ns());
    last_liveness_check_ns_ = monotonic_ns();
    return {};
  }

  Result<void> add_target(pid_t pid, bool with_children) override {
    if (pid <= 0 || !process_alive(pid)) {
      return make_error(ErrorKind::target_gone, "process " + std::to_string(pid) + " does not exist");
    }
    // A thread id stands for its whole process: the filter works on tgids.
    pid_t tgid = thread_group_of(pid);
    if (tgid > 0) pid = tgid;
    LOADPROF_CHECK(add_one(pid));
    if (with_children) {
      for (pid_t child : find_descendants(pid)) {
        auto r = add_one(child);
        if (!r.ok() && r.error().kind != ErrorKind::target_gone) return r.error();
      }
    }
    return {};
  }

  Result<void> poll(EventSink& sink, int timeout_ms) override {
    if (stopped_) return {};
    if (wakeups_.valid()) {
      // The off-CPU ring (and the io and mmap rings in DWARF mode) wakes us
      // when it is a quarter full; the cpu one never does.
      epoll_event events[4];
      if (epoll_wait(wakeups_.get(), events, 4, timeout_ms) < 0 && errno != EINTR)
        return errno_error(ErrorKind::internal, "wait for the ring buffers", errno);
    } else {
      LOADPROF_CHECK(probe_->poll(timeout_ms));
    }
    return drain(sink, false);
  }

  Result<void> stop(EventSink& sink) override {
    if (stopped_) return {};
    probe_->stop_sampling();
    if (offcpu_) offcpu_->stop();
    if (io_) io_->stop();
    if (alloc_) alloc_->stop();
    if (mmap_) mmap_->stop();
    stopped_ = true;
    if (alloc_preload_) warn_preload_unused();
    stop_ns_ = monotonic_ns();
    // Threads still off the CPU: their intervals end with the capture.
    if (offcpu_) {
      for (lp_offcpu_event& o : offcpu_->take_open()) {
        if (o.start_ns >= stop_ns_) continue;
        o.end_ns = stop_ns_;
        // DWARF: its stack copy is still in BPF's map (it was never sent).
        if (options_.dwarf && offcpu_->kept_stack(o.tid, o.start_ns, *kept_stack_)) {
          on_offcpu_stack(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(kept_stack_.get()),
                                                   sizeof(lp_offcpu_stack_event)));
        }
        push(offcpu_event(o));
      }
    }
    LOADPROF_CHECK(drain(sink, true));
    if (io_)
      io_->read_sockets(
          [&](const lp_io_socket_key& k, const lp_io_socket& s) { sink.on_io_socket(socket_record(k, s)); });
    // A cpu-clock event still throttled at the end was throttled until now.
    for (size_t i = 0; i < cpus_.size(); ++i) {
      if (throttled_since_ns_[i] == 0) continue;
      add_throttled(i, throttled_since_ns_[i], stop_ns_);
      throttled_since_ns_[i] = 0;
    }
    return {};
  }

  std::vector<uint32_t> filter_pids() const override { return probe_->filter_pids(); }
  bool throttling_recorded() const override { return probe_->throttling_recorded(); }

  size_t live_targets() const override { return live_.size(); }

  capture::DropCounters drops() const override {
    auto bpf = probe_->drops();
    capture::DropCounters out;
    auto& cpu = out["cpu"];
    cpu["ringbuf_full"] = bpf[LP_DROP_RINGBUF_FULL];
    cpu["stack_not_collected"] = bpf[LP_DROP_USER_STACK];
    cpu["kernel_stack_not_collected"] = bpf[LP_DROP_KERNEL_STACK];
    cpu["map_full"] = bpf[LP_DROP_MAP_FULL];
    cpu["task_event_ringbuf_full"] = bpf[LP_DROP_EVENT_RINGBUF_FULL];
    cpu["stack_truncated"] = stack_truncated_;
    cpu["accounting_overwritten"] = accounting_overwritten_;
    if (options_.dwarf) {
      cpu["dwarf_ring_lost"] = dwarf_ring_lost_;
      cpu["dwarf_record_malformed"] = dwarf_malformed_;
      cpu["dwarf_not_target"] = dwarf_foreign_;
    }
    out["sideband"]["lost_records"] = sideband_lost_;
    if (offcpu_) {
      auto o = offcpu_->drops();
      auto& off = out["offcpu"];
      off["ringbuf_full"] = o[LP_OFFCPU_DROP_RINGBUF_FULL];
      off["stack_not_collected"] = o[LP_OFFCPU_DROP_USER_STACK];
      off["kernel_stack_not_collected"] = o[LP_OFFCPU_DROP_KERNEL_STACK];
      off["map_full"] = o[LP_OFFCPU_DROP_START_MAP_FULL];
      off["aggregate_map_full"] = o[LP_OFFCPU_DROP_AGGREGATE_MAP_FULL];
      if (options_.offcpu_waker_stacks) off["waker_stack_not_collected"] = o[LP_OFFCPU_DROP_WAKER_STACK];
      off["stack_truncated"] = offcpu_stack_truncated_;
      if (options_.dwarf) {
        off["dwarf_ringbuf_full"] = o[LP_OFFCPU_DROP_DWARF_RINGBUF_FULL];
        off["dwarf_stack_not_copied"] = o[LP_OFFCPU_DROP_DWARF_STACK];
        off["dwarf_stack_orphaned"] = offcpu_stack_orphans_;
      }
    }
    if (io_) {
      auto d = io_->drops();
      auto& io = out["io"];
      io["ringbuf_full"] = d[LP_IO_DROP_RINGBUF_FULL];
      io["stack_not_collected"] = d[LP_IO_DROP_USER_STACK];
      io["inflight_map_full"] = d[LP_IO_DROP_INFLIGHT_MAP_FULL];
      io["aggregate_map_full"] = d[LP_IO_DROP_AGGREGATE_MAP_FULL];
      io["request_map_full"] = d[LP_IO_DROP_REQUEST_MAP_FULL];
      io["device_map_full"] = d[LP_IO_DROP_DEVICE_MAP_FULL];
      io["socket_map_full"] = d[LP_IO_DROP_SOCKET_MAP_FULL];
      io["exchange_ringbuf_full"] = d[LP_IO_DROP_EXCHANGE_RINGBUF_FULL];
      io["exchange_peers"] = d[LP_IO_DROP_EXCHANGE_PEERS];
      io["exchange_buffer_full"] = served_dropped_;
      io["stack_truncated"] = io_stack_truncated_;
      if (options_.dwarf) {
        io["dwarf_ringbuf_full"] = d[LP_IO_DROP_DWARF_RINGBUF_FULL];
        io["dwarf_stack_not_copied"] = d[LP_IO_DROP_DWARF_STACK];
      }
    }
    if (alloc_ || alloc_preload_) {
      auto a = alloc_counters();
      auto& al = out["alloc"];
      al["ringbuf_full"] = a[LP_ALLOC_DROP_RINGBUF_FULL];
      al["live_map_full"] = a[LP_ALLOC_DROP_LIVE_MAP_FULL];
      al["inflight_map_full"] = a[LP_ALLOC_DROP_INFLIGHT_MAP_FULL];
      al["stack_not_collected"] = a[LP_ALLOC_DROP_USER_STACK];
      al["return_without_entry"] = a[LP_ALLOC_MISSED_RETURNS];
      al["stack_truncated"] = alloc_stack_truncated_;
      if (alloc_ && options_.dwarf) al["dwarf_stack_not_copied"] = alloc_stack_not_copied_;
      if (alloc_preload_) al["record_unfinished"] = alloc_preload_->unfinished();
    }
    if (mmap_) {
      auto m = mmap_->counters();
      auto& mm = out["mmap"];
      mm["inflight_map_full"] = m[LP_MMAP_DROP_INFLIGHT];
      mm["aggregate_map_full"] = m[LP_MMAP_DROP_AGGREGATE_MAP_FULL];
      mm["stack_window_unreadable"] = m[LP_MMAP_DROP_USER_STACK];
      mm["stack_truncated"] = mmap_stack_truncated_;
      if (options_.dwarf) {
        mm["dwarf_ringbuf_full"] = m[LP_MMAP_DWARF_RINGBUF_FULL];
        mm["dwarf_stack_not_copied"] = m[LP_MMAP_DWARF_STACK];
      }
    }
    return out;
  }

  std::vector<capture::CpuAccounting> take_accounting() override {
    std::vector<capture::CpuAccounting> out;
    // Seconds s with (s + 1) * 1e9 + margin <= now are finished. After stop()
    // no sample program runs any more: every second up to the stop's is, even
    // when the stop fell into the first moments of its second.
    uint64_t end_second = 0;  // exclusive
    if (stopped_) {
      end_second = stop_ns_ / kSecondNs + 1;
    } else {
      const uint64_t now_ns = monotonic_ns();
      if (now_ns < kAccountingMarginNs + kSecondNs) return out;
      end_second = (now_ns - kAccountingMarginNs) / kSecondNs;
    }
    auto slots = probe_->read_accounting();
    for (size_t i = 0; i < cpus_.size(); ++i) {
      const size_t c = static_cast<size_t>(cpus_[i]);
      if (c >= slots.size()) continue;
      uint64_t& next = next_second_[i];
      if (end_second > next + LP_ACCOUNTING_SLOTS) {
        accounting_overwritten_ += end_second - LP_ACCOUNTING_SLOTS - next;
        next = end_second - LP_ACCOUNTING_SLOTS;
      }
      for (; next < end_second; ++next) {
        const lp_accounting_slot& slot = slots[c][next % LP_ACCOUNTING_SLOTS];
        capture::CpuAccounting a;
        a.second_ns = next * kSecondNs;
        a.cpu = static_cast<uint32_t>(c);
        if (slot.second == next) {
          a.target = slot.target;
          a.self = slot.self;
          a.other = slot.other;
          a.idle = slot.idle;
        } else if (slot.second > next) {
          ++accounting_overwritten_;
          continue;
        }  // else: no sample at all on this CPU in that second
        if (auto it = extras_.find(next); it != extras_.end()) {
          const SecondExtra& x = it->second[i];
          a.steal_ns = x.steal_ns;
          a.throttles = x.throttles;
          a.throttled_ns = x.throttled_ns;
        }
        out.push_back(a);
      }
    }
    // Extras of seconds every CPU has reported are done with.
    const uint64_t oldest =
        next_second_.empty() ? end_second : *std::min_element(next_second_.begin(), next_second_.end());
    extras_.erase(extras_.begin(), extras_.lower_bound(oldest));
    return out;
  }

  uint64_t ringbuf_bytes() const override { return probe_->ringbuf_bytes(); }

  CollectorStats stats() const override {
    CollectorStats st = stats_;
    std::tie(st.bpf_runs, st.bpf_run_ns) = probe_->sample_program_stats();
    return st;
  }

  std::optional<AllocPreloadHandoff> alloc_preload() const override {
    if (!alloc_preload_) return std::nullopt;
    return AllocPreloadHandoff{alloc_preload_->fd(), alloc_preload_->environment()};
  }

  std::optional<capture::AllocInfo> alloc_info() const override {
    if (!alloc_ && !alloc_preload_) return std::nullopt;
    capture::AllocInfo info = alloc_found_;
    info.method = alloc_preload_ ? "preload" : "uprobes";
    if (alloc_preload_) {
      info.allocator_path = alloc_preload_->allocator_path();
      info.allocator = info.allocator_path.empty()
                           ? ""
                           : allocator_name(info.allocator_path, alloc_preload_->not_interposed() > 0);
    }
    info.sample_period_bytes = options_.alloc_sample_bytes;
    auto a = alloc_counters();
    info.allocations = a[LP_ALLOC_CALLS];
    info.allocated_bytes = a[LP_ALLOC_BYTES];
    info.sampled = a[LP_ALLOC_SAMPLED];
    info.frees = a[LP_ALLOC_FREES];
    info.frees_unknown = a[LP_ALLOC_FREES_UNKNOWN];
    return info;
  }

 private:
  std::array<uint64_t, LP_ALLOC_COUNTERS> alloc_counters() const {
    return alloc_preload_ ? alloc_preload_->counters() : alloc_->counters();
  }

  // The preload path records nothing when the command never loaded the
  // library (a static executable, setuid, LD_PRELOAD cleared) or its own
  // executable defines malloc (found before ours): said, not left silent.
  void warn_preload_unused() const {
    if (alloc_preload_->processes() == 0) {
      log::warn("alloc: the command never loaded " + alloc_preload_->library_path() +
                " (statically linked, setuid, or LD_PRELOAD cleared): no allocation was recorded");
    } else if (alloc_preload_->not_interposed() > 0) {
      log::warn("alloc: malloc of " + std::to_string(alloc_preload_->not_interposed()) +
                " process(es) resolves to their executable's own (" + alloc_preload_->allocator_path() +
                "), found before the preload library: their allocations were not seen; use --pid (uprobes)");
    }
    if (alloc_preload_->unwinder_allocations() > 0) {
      log::debug("alloc: " + std::to_string(alloc_preload_->unwinder_allocations()) +
                 " allocations made by the in-process unwinder itself (not profiled)");
    }
  }

  static std::string format_pct(double pct) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g %%", pct);
    return buf;
  }

  static std::string format_estimate(pid_t pid, const AllocRateEstimate& e) {
    char buf[256];
    std::snprintf(
        buf, sizeof buf,
        "alloc: process %d made %llu traced allocator calls in %.2f s (%.0f/s, %.0f ms of CPU): the uprobes "
        "take about ",
        static_cast<int>(pid), static_cast<unsigned long long>(e.calls),
        static_cast<double>(e.window_ns) / 1e9, e.calls_per_s(), static_cast<double>(e.target_cpu_ns) / 1e6);
    return buf + format_pct(e.overhead_pct()) + " of a CPU";
  }

  // Attaches the alloc probe's uprobes to the allocator pid uses; notes what was found.
  Result<void> attach_alloc(pid_t pid) {
    LOADPROF_TRY(found, alloc_->attach(pid));
    if (options_.alloc_max_overhead_pct > 0) {
      // Measured with the probes on, at most kAllocEstimateNs of full tracing
      // before giving up: a count-only uprobe detached just before the real
      // ones were attached was followed by silent entry probes (2 of 2 tries;
      // entries also stayed silent once on a target attached while it was
      // churning, so the cause may lie in the kernel's uprobes, not the detach).
      LOADPROF_TRY(est, alloc_->measure_rate(pid, kAllocEstimateNs));
      const std::string what = format_estimate(pid, est);
      if (est.overhead_pct() > options_.alloc_max_overhead_pct) {
        alloc_->stop();
        return make_error(ErrorKind::usage,
                          what + " > --alloc-max-overhead " + format_pct(options_.alloc_max_overhead_pct) +
                              ": detached (launch it with -- CMD for the sampled preload path, "
                              "or raise the limit)");
      }
      log::info(what + ", within --alloc-max-overhead " + format_pct(options_.alloc_max_overhead_pct));
    }
    auto join = [](std::string& to, const std::string& what) {
      if (to.find(what) != std::string::npos) return;
      if (!to.empty()) to += ", ";
      to += what;
    };
    join(alloc_found_.allocator, found.name);
    join(alloc_found_.allocator_path, found.path);
    std::string functions;
    for (const auto& f : found.functions) functions += (functions.empty() ? "" : ", ") + f;
    log::info("alloc: process " + std::to_string(pid) + " allocates with " + found.name + " (" + found.path +
              "); uprobes on " + functions);
    return {};
  }

  Result<void> add_one(pid_t pid) {
    uint64_t time_ns = monotonic_ns();  // before the map insert: valid for every sample after it
    reuse_pid(static_cast<uint32_t>(pid));
    // Into the filter first, then the snapshot (which checks the process is
    // alive): an exit after the insert is seen by the exit tracepoint, an exit
    // before it fails the snapshot and takes the pid out again. Never a dead
    // pid left in the filter for a process that reuses it.
    LOADPROF_CHECK(
        probe_->add_pid(static_cast<uint32_t>(pid), options_.dwarf ? LP_UNWIND_DWARF : LP_UNWIND_FP));
    auto snapshot = snapshot_mappings(pid, time_ns, build_ids_);
    if (!snapshot.ok()) {
      probe_->remove_pid(static_cast<uint32_t>(pid));
      return snapshot.error();
    }
    auto mappings = std::move(snapshot).value();
    uint32_t p = static_cast<uint32_t>(pid);
    known_.insert(p);
    live_.insert(p);
    // Names of the threads already running (the sideband only reports renames and execs).
    for (auto& [tid, comm] : thread_names(pid)) {
      Event e;
      e.kind = Event::Kind::sideband;
      e.time_ns = time_ns;
      e.record.kind = SidebandRecord::Kind::comm;
      e.record.time_ns = time_ns;
      e.record.pid = p;
      e.record.tid = tid;
      e.record.comm = std::move(comm);
      push(std::move(e));
    }
    if (offcpu_) seed_offcpu(p, time_ns);
    if (alloc_) {
      auto attached = attach_alloc(pid);
      if (!attached.ok()) {
        probe_->remove_pid(p);
        known_.erase(p);
        live_.erase(p);
        return attached.error();
      }
    }
    for (auto& m : mappings) {
      Event e;
      e.kind = Event::Kind::snapshot_mapping;
      e.time_ns = time_ns;
      e.record.mapping = std::move(m);
      push(std::move(e));
    }
    return {};
  }

  // The threads of a new target start off the CPU as far as the offcpu probe
  // knows: a thread asleep at the start (or for the whole capture) is
  // accounted from the start, its reason read from /proc (state, kernel stack).
  void seed_offcpu(uint32_t pid, uint64_t time_ns) {
    for (const auto& [tid, comm] : thread_names(static_cast<pid_t>(pid))) {
      const std::string task = "/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/";
      auto stat = procfs::read_path(task + "stat");
      if (!stat.ok()) continue;
      const size_t paren = stat->rfind(')');
      const char state = paren != std::string::npos && paren + 2 < stat->size() ? (*stat)[paren + 2] : '?';
      const bool runnable = state == 'R';
      std::vector<std::string> names;
      if (auto stack = procfs::read_path(task + "stack"); stack.ok()) {
        // "[<0>] do_nanosleep+0x6a/0x180" per line, leaf first.
        size_t at = 0;
        while (at < stack->size()) {
          size_t end = stack->find('\n', at);
          if (end == std::string::npos) end = stack->size();
          std::string_view line(stack->data() + at, end - at);
          if (size_t sp = line.find("] "); sp != std::string_view::npos)
            names.emplace_back(kernel_function_name(line.substr(sp + 2)));
          at = end + 1;
        }
      }
      names.erase(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(offcpu_scheduler_frames(names)));
      seeded_[tid] = {time_ns, classify_offcpu(runnable ? 0 : 1, names)};
      if (offcpu_->seed_thread(pid, tid, runnable, time_ns) && options_.dwarf && !runnable)
        seed_dwarf_stack(pid, static_cast<uint32_t>(tid), task, time_ns);
    }
  }

  // DWARF: a thread blocked since before the recording has no switch-out to
  // copy its stack at; /proc gives its user sp and pc (task/TID/syscall) and
  // the top of its stack is read from the process. Only sp and pc are known:
  // CFI that finds the caller from rsp (most of -O2 code, glibc's wrappers)
  // unwinds; a frame that needs another register stops the unwind there.
  void seed_dwarf_stack(uint32_t pid, uint32_t tid, const std::string& task, uint64_t time_ns) {
    auto text = procfs::read_path(task + "syscall");
    if (!text.ok()) return;
    // "NR ARG1..ARG6 SP PC" in a syscall, "-1 SP PC" blocked outside one.
    std::vector<uint64_t> fields;
    for (size_t at = 0; at < text->size();) {
      const size_t end = std::min(text->find(' ', at), text->size());
      fields.push_back(std::strtoull(text->substr(at, end - at).c_str(), nullptr, 0));
      at = end + 1;
    }
    if (fields.size() != 9 && fields.size() != 3) return;
    const uint64_t sp = fields[fields.size() - 2], pc = fields.back();
    if (sp == 0 || pc == 0) return;
    OffCpuStack copy;
    copy.regs.assign(LP_OFFCPU_DWARF_REGS, 0);
    copy.regs[7] = sp;
    copy.regs[16] = pc;
    // As in BPF (user_stack.bpf.h): the size asked, else up to the stack's
    // end, the last readable page boundary below sp + size.
    const size_t size = options_.offcpu_stack_bytes;
    constexpr uint64_t kPage = 4096;
    ssize_t n = -1;
    for (uint64_t end = sp + size; end > sp && end - sp >= 64 && n <= 0; end = (end - 1) & ~(kPage - 1)) {
      copy.stack.resize(end - sp);
      iovec local{copy.stack.data(), copy.stack.size()};
      iovec remote{reinterpret_cast<void*>(sp), copy.stack.size()};
      n = process_vm_readv(static_cast<pid_t>(pid), &local, 1, &remote, 1, 0);
    }
    if (n <= 0) return;
    copy.stack.resize(static_cast<size_t>(n));
    offcpu_stacks_[{tid, time_ns}] = std::move(copy);
  }

  // One epoll over the cpu probe's ring buffer and, edge-triggered, the
  // offcpu ring and the io and mmap rings in DWARF mode (woken only when they
  // fill: see OffCpuProbe::ring_fd, IoProbe::ring_fd, MmapProbe::ring_fd).
  Result<void> watch_rings() {
    wakeups_ = UniqueFd(epoll_create1(EPOLL_CLOEXEC));
    if (!wakeups_.valid()) return errno_error(ErrorKind::internal, "epoll_create1", errno);
    epoll_event cpu{};
    cpu.events = EPOLLIN;
    epoll_event filling{};
    filling.events = EPOLLIN | EPOLLET;
    if (epoll_ctl(wakeups_.get(), EPOLL_CTL_ADD, probe_->wakeup_fd(), &cpu) != 0 ||
        (offcpu_ && epoll_ctl(wakeups_.get(), EPOLL_CTL_ADD, offcpu_->ring_fd(), &filling) != 0) ||
        (io_ && options_.dwarf && epoll_ctl(wakeups_.get(), EPOLL_CTL_ADD, io_->ring_fd(), &filling) != 0) ||
        (mmap_ && mmap_->ring_fd() >= 0 &&
         epoll_ctl(wakeups_.get(), EPOLL_CTL_ADD, mmap_->ring_fd(), &filling) != 0))
      return errno_error(ErrorKind::internal, "epoll_ctl (ring buffers)", errno);
    return {};
  }

  void push(Event e) {
    e.seq = seq_++;
    (pumping_ ? incoming_ : pending_).push_back(std::move(e));
  }

  // Empties every ring (the BPF ring buffers, the DWARF perf rings) into
  // incoming_, merged into pending_ at the next drain. Called between events
  // while dispatching: a dispatch that unwinds DWARF samples (~4-30 us each)
  // can take longer than a ring holds (waits --offcpu-min 0 filled the 8 MiB
  // off-CPU ring while the reader unwound).
  Result<void> pump() {
    pumping_ = true;
    Result<void> r = consume_rings();
    pumping_ = false;
    ++stats_.mid_dispatch_pumps;
    return r;
  }

  Result<void> consume_rings() {
    LOADPROF_CHECK(probe_->consume());
    if (io_) LOADPROF_CHECK(io_->consume());
    if (alloc_) LOADPROF_CHECK(alloc_->consume());
    if (offcpu_) LOADPROF_CHECK(offcpu_->consume());
    if (mmap_) LOADPROF_CHECK(mmap_->consume());
    if (options_.dwarf) read_dwarf_rings();
    return {};
  }

  void on_bpf_record(std::span<const uint8_t> data) {
    if (data.size() < sizeof(uint32_t)) return;
    uint32_t type;
    std::memcpy(&type, data.data(), sizeof type);
    Event e;
    if (type == LP_EVENT_SAMPLE && data.size() >= sizeof(lp_sample_event)) {
      const auto* s = reinterpret_cast<const lp_sample_event*>(data.data());
      e.kind = Event::Kind::sample;
      e.time_ns = s->time_ns;
      e.pid = s->pid;
      e.tid = s->tid;
      e.cpu = s->cpu;
      auto frames = [](int32_t bytes) {
        return bytes > 0 ? std::min<size_t>(static_cast<size_t>(bytes) / 8, LP_MAX_STACK_DEPTH) : 0;
      };
      e.user_ips.assign(s->user_ips, s->user_ips + frames(s->user_stack_bytes));
      e.kernel_ips.assign(s->kernel_ips, s->kernel_ips + frames(s->kernel_stack_bytes));
      e.user_stack_ok = s->user_stack_bytes >= 0;
    } else if ((type == LP_EVENT_FORK || type == LP_EVENT_EXIT) && data.size() >= sizeof(lp_task_event)) {
      const auto* t = reinterpret_cast<const lp_task_event*>(data.data());
      e.kind = type == LP_EVENT_FORK ? Event::Kind::fork : Event::Kind::exit;
      e.time_ns = t->time_ns;
      e.pid = t->pid;
      e.ppid = t->ppid;
      e.cpu = t->cpu;
      e.exit_status = t->exit_code;
    } else {
      return;
    }
    push(std::move(e));
  }

  // DWARF-mode samples (and the cpu-clock events' throttle and lost records)
  // from the per-CPU perf rings.
  void read_dwarf_rings() {
    probe_->read_dwarf_rings([this](size_t i, std::span<const uint8_t> rec) {
      if (rec.size() < sizeof(perf_event_header)) return;
      perf_event_header header;
      std::memcpy(&header, rec.data(), sizeof header);
      if (header.type != PERF_RECORD_SAMPLE) {
        SidebandRecord r;
        if (!parse_sideband_record(rec, static_cast<uint32_t>(cpus_[i]), r)) return;
        if (r.kind == SidebandRecord::Kind::lost)
          dwarf_ring_lost_ += r.lost;
        else if (r.kind == SidebandRecord::Kind::throttle || r.kind == SidebandRecord::Kind::unthrottle)
          sideband_records_.push_back(std::move(r));
        return;
      }
      if (!parse_dwarf_sample(rec, dwarf_sample_)) {
        ++dwarf_malformed_;
        return;
      }
      Event e;
      e.kind = Event::Kind::sample;
      e.time_ns = dwarf_sample_.time_ns;
      e.pid = dwarf_sample_.pid;
      e.tid = dwarf_sample_.tid;
      e.cpu = static_cast<uint32_t>(cpus_[i]);
      e.kernel_ips = dwarf_sample_.kernel_ips;
      e.dwarf = true;
      if (dwarf_sample_.regs_ok) {
        e.regs.assign(dwarf_sample_.regs.begin(), dwarf_sample_.regs.end());
        e.stack.assign(dwarf_sample_.stack.begin(), dwarf_sample_.stack.end());
      }
      push(std::move(e));
    });
  }

  // Kernel function names of the addresses, leaf first (cached by address).
  std::vector<std::string> kernel_functions(std::span<const uint64_t> ips) {
    std::vector<std::string> out(ips.size());
    std::vector<uint64_t> missing;
    for (uint64_t ip : ips)
      if (!kernel_names_.count(ip)) missing.push_back(ip);
    if (!missing.empty() && ksyms_) {
      auto texts = ksyms_->describe(missing);
      if (texts.ok()) {
        for (size_t i = 0; i < missing.size() && i < texts->size(); ++i)
          kernel_names_[missing[i]] = std::string(kernel_function_name((*texts)[i]));
      }
    }
    for (size_t i = 0; i < ips.size(); ++i) {
      auto it = kernel_names_.find(ips[i]);
      if (it != kernel_names_.end()) out[i] = it->second;
    }
    return out;
  }

  void on_offcpu_record(std::span<const uint8_t> data) {
    if (data.size() >= offsetof(lp_offcpu_stack_event, stack) &&
        reinterpret_cast<const lp_offcpu_stack_event*>(data.data())->type == LP_EVENT_OFFCPU_STACK) {
      on_offcpu_stack(data);
      return;
    }
    if (data.size() < sizeof(lp_offcpu_event)) return;
    const auto* o = reinterpret_cast<const lp_offcpu_event*>(data.data());
    if (o->type != LP_EVENT_OFFCPU || o->end_ns < o->start_ns) return;
    push(offcpu_event(*o));
  }

  // DWARF: registers and stack copy of a switch-out, kept until its interval
  // (or aggregate) is read.
  void on_offcpu_stack(std::span<const uint8_t> data) {
    const auto* s = reinterpret_cast<const lp_offcpu_stack_event*>(data.data());
    const size_t bytes =
        std::min<size_t>(s->stack_bytes, data.size() - offsetof(lp_offcpu_stack_event, stack));
    OffCpuStack& kept = offcpu_stacks_[{s->tid, s->start_ns}];
    kept.regs.assign(s->regs, s->regs + LP_OFFCPU_DWARF_REGS);
    kept.stack.assign(s->stack, s->stack + bytes);
  }

  // Stack copies whose interval never came (its record was lost): gone after 10 s.
  void forget_offcpu_stacks(uint64_t now_ns) {
    constexpr uint64_t kKeepNs = 10 * kSecondNs;
    for (auto it = offcpu_stacks_.begin(); it != offcpu_stacks_.end();) {
      if (it->first.second + kKeepNs < now_ns) {
        ++offcpu_stack_orphans_;
        it = offcpu_stacks_.erase(it);
      } else {
        ++it;
      }
    }
  }

  // Short intervals merged in BPF: one event spanning their summed blocked
  // time, then their summed runqueue time, from the first one's start.
  void on_offcpu_aggregate(const lp_offcpu_agg& a) {
    if (a.count == 0) return;
    lp_offcpu_event o = a.sample;
    o.wake_ns = o.start_ns + a.blocked_ns;
    o.end_ns = o.wake_ns + a.runqueue_ns;
    Event e = offcpu_event(o);
    e.count = static_cast<uint32_t>(std::min<uint64_t>(a.count, UINT32_MAX));
    push(std::move(e));
  }

  // --offcpu-wakers: the waker's frames from the stack map, the probe's and
  // try_to_wake_up's cut. A waking from an interrupt keeps its kernel stack
  // only: `current` there is the interrupted task, not the waker.
  void add_waker_stacks(const lp_offcpu_event& o, Event& e) {
    auto w = std::make_unique<Event::WakerStacks>();
    if (offcpu_->waker_stack(o.waker_kernel_stack_id, w->kernel_ips)) {
      auto names = kernel_functions(w->kernel_ips);
      const auto skip = static_cast<std::ptrdiff_t>(waker_probe_frames(names));
      w->kernel_ips.erase(w->kernel_ips.begin(), w->kernel_ips.begin() + skip);
      if (!waker_in_interrupt(names)) offcpu_->waker_stack(o.waker_user_stack_id, w->user_ips);
    }
    if (!w->kernel_ips.empty() || !w->user_ips.empty()) e.waker_stacks = std::move(w);
  }

  Event offcpu_event(const lp_offcpu_event& record) {
    const lp_offcpu_event* o = &record;
    Event e;
    e.kind = Event::Kind::offcpu;
    e.time_ns = o->end_ns;
    e.start_ns = o->start_ns;
    e.wake_ns = o->wake_ns;
    e.pid = o->pid;
    e.tid = o->tid;
    e.cpu = o->cpu;
    e.waker_pid = o->waker_pid;
    e.waker_tid = o->waker_tid;
    e.waker_known = o->waker_known != 0;
    if (e.waker_known) e.waker_comm.assign(o->waker_comm, strnlen(o->waker_comm, sizeof o->waker_comm));
    auto frames = [](int32_t bytes) {
      return bytes > 0 ? std::min<size_t>(static_cast<size_t>(bytes) / 8, LP_MAX_STACK_DEPTH) : 0;
    };
    e.kernel_ips.assign(o->kernel_ips, o->kernel_ips + frames(o->kernel_stack_bytes));
    auto names = kernel_functions(e.kernel_ips);
    const auto skip = static_cast<std::ptrdiff_t>(offcpu_scheduler_frames(names));
    names.erase(names.begin(), names.begin() + skip);
    e.reason = classify_offcpu(o->state, names);
    // Seeded at the start: no stacks, the reason read from /proc then.
    if (auto it = seeded_.find(o->tid); it != seeded_.end()) {
      if (it->second.first == o->start_ns && o->kernel_stack_bytes == 0) e.reason = it->second.second;
      seeded_.erase(it);  // the thread's first interval: seeded or not, the seed is done with
    }
    e.kernel_ips.erase(e.kernel_ips.begin(), e.kernel_ips.begin() + skip);
    e.user_ips.assign(o->user_ips, o->user_ips + frames(o->user_stack_bytes));
    e.user_stack_ok = o->user_stack_bytes >= 0;
    if (e.waker_known && options_.offcpu_waker_stacks) add_waker_stacks(*o, e);
    if (options_.dwarf) {
      auto it = offcpu_stacks_.find({o->tid, o->start_ns});
      if (it != offcpu_stacks_.end()) {
        e.dwarf = true;
        e.regs = std::move(it->second.regs);
        e.stack = std::move(it->second.stack);
        offcpu_stacks_.erase(it);
      }
    }
    return e;
  }

  // A slow syscall, or a served exchange, from the io ring buffer.
  void on_io_record(std::span<const uint8_t> data) {
    if (data.size() >= sizeof(lp_io_exchange) &&
        reinterpret_cast<const lp_io_exchange*>(data.data())->type == LP_EVENT_IO_EXCHANGE) {
      on_io_exchange(*reinterpret_cast<const lp_io_exchange*>(data.data()));
      return;
    }
    if (data.size() >= offsetof(lp_io_dwarf_event, stack) &&
        reinterpret_cast<const lp_io_dwarf_event*>(data.data())->type == LP_EVENT_IO_DWARF) {
      on_io_dwarf(data);
      return;
    }
    if (data.size() < sizeof(lp_io_event)) return;
    const auto* r = reinterpret_cast<const lp_io_event*>(data.data());
    if (r->type != LP_EVENT_IO || r->end_ns < r->start_ns) return;
    push(io_event(io_call(*r), r->user_ips, r->user_stack_bytes));
  }

  // One traced call as a record of count 1: the same fields in both record
  // layouts (frame-pointer stack, DWARF copy).
  template <typename IoRecord>
  static std::unique_ptr<capture::IoSyscallRecord> io_call(const IoRecord& r) {
    auto rec = std::make_unique<capture::IoSyscallRecord>();
    rec->start_ns = r.start_ns;
    rec->end_ns = r.end_ns;
    rec->pid = r.pid;
    rec->tid = r.tid;
    rec->syscall = io_syscall(r.syscall);
    rec->fd_kind = fd_kind(r.fd_kind);
    rec->count = 1;
    if (r.ret > 0 && returns_bytes(rec->syscall)) rec->bytes = static_cast<uint64_t>(r.ret);
    rec->errors = r.ret < 0 ? 1 : 0;
    rec->total_ns = rec->max_ns = r.end_ns - r.start_ns;
    rec->latency_log2[latency_bucket(rec->total_ns)] = 1;
    return rec;
  }

  // DWARF mode: one call with its registers and stack copy, unwound and
  // merged by stack by the sink.
  void on_io_dwarf(std::span<const uint8_t> data) {
    const auto* r = reinterpret_cast<const lp_io_dwarf_event*>(data.data());
    if (r->end_ns < r->start_ns) return;
    Event e = io_event(io_call(*r), nullptr, 0);
    const size_t bytes = std::min<size_t>(r->stack_bytes, data.size() - offsetof(lp_io_dwarf_event, stack));
    e.dwarf = true;
    e.regs.assign(r->regs, r->regs + LP_IO_DWARF_REGS);
    e.stack.assign(r->stack, r->stack + bytes);
    push(std::move(e));
  }

  void on_io_aggregate(const lp_io_agg_key& k, const lp_io_agg& a) {
    if (a.count == 0) return;
    auto rec = std::make_unique<capture::IoSyscallRecord>();
    rec->start_ns = a.first_ns;
    rec->end_ns = std::max(a.first_ns, a.last_ns);
    rec->pid = k.pid;
    rec->tid = a.tid;
    rec->syscall = io_syscall(k.syscall);
    rec->fd_kind = fd_kind(k.fd_kind);
    rec->count = a.count;
    rec->bytes = a.bytes;
    rec->errors = a.errors;
    rec->total_ns = a.total_ns;
    rec->max_ns = a.max_ns;
    std::copy(std::begin(a.latency_log2), std::end(a.latency_log2), rec->latency_log2.begin());
    push(io_event(std::move(rec), a.user_ips, a.user_stack_bytes));
  }

  void on_io_device_aggregate(const lp_io_device_key& k, const lp_io_device_agg& a) {
    if (a.count == 0) return;
    auto rec = std::make_unique<capture::IoDeviceRecord>();
    rec->start_ns = a.first_ns;
    rec->end_ns = std::max(a.first_ns, a.last_ns);
    rec->dev = k.dev;
    rec->device = device_name(k.dev);
    rec->op = k.op <= LP_BLOCK_OTHER ? static_cast<capture::BlockOp>(k.op) : capture::BlockOp::other;
    rec->count = a.count;
    rec->bytes = a.bytes;
    rec->errors = a.errors;
    rec->total_ns = a.total_ns;
    rec->max_ns = a.max_ns;
    std::copy(std::begin(a.latency_log2), std::end(a.latency_log2), rec->latency_log2.begin());
    Event e;
    e.kind = Event::Kind::io_device;
    e.time_ns = rec->end_ns;
    e.device = std::move(rec);
    push(std::move(e));
  }

  // An allocation or a free from the alloc ring buffer.
  void on_alloc_record(std::span<const uint8_t> data) {
    if (data.size() < LP_ALLOC_FREE_EVENT_BYTES) return;
    const auto* r = reinterpret_cast<const lp_alloc_event*>(data.data());
    const bool is_free = r->type == LP_EVENT_FREE;
    // DWARF mode: the same fields, then registers and a stack copy.
    const bool dwarf =
        r->type == LP_EVENT_ALLOC_DWARF && data.size() >= offsetof(lp_alloc_dwarf_event, stack);
    if (!is_free && !dwarf && (r->type != LP_EVENT_ALLOC || data.size() < sizeof(lp_alloc_event))) return;
    auto rec = std::make_unique<capture::AllocEvent>();
    rec->time_ns = r->time_ns;
    rec->pid = r->pid;
    rec->tid = r->tid;
    rec->address = r->address;
    rec->size = r->size;
    rec->fn = r->fn < LP_ALLOC_FNS ? static_cast<capture::AllocFn>(r->fn) : capture::AllocFn::other;
    rec->is_free = is_free;
    rec->tracked = r->tracked != 0;
    Event e;
    e.kind = Event::Kind::alloc;
    e.time_ns = r->time_ns;
    e.pid = r->pid;
    e.tid = r->tid;
    if (dwarf) {
      const auto* d = reinterpret_cast<const lp_alloc_dwarf_event*>(data.data());
      const size_t bytes =
          std::min<size_t>(d->stack_bytes, data.size() - offsetof(lp_alloc_dwarf_event, stack));
      if (bytes == 0) ++alloc_stack_not_copied_;
      e.dwarf = true;
      e.regs.assign(d->regs, d->regs + LP_ALLOC_DWARF_REGS);
      e.stack.assign(d->stack, d->stack + bytes);
    } else if (!is_free) {
      const int32_t bytes = r->user_stack_bytes;
      const size_t n = bytes > 0 ? std::min<size_t>(static_cast<size_t>(bytes) / 8, LP_MAX_STACK_DEPTH) : 0;
      e.user_ips.assign(r->user_ips, r->user_ips + n);
      e.user_stack_ok = bytes >= 0;
    }
    e.alloc = std::move(rec);
    push(std::move(e));
  }

  void on_mmap_aggregate(const lp_mmap_agg_key& k, const lp_mmap_agg& a) {
    if (a.calls == 0) return;
    auto rec = std::make_unique<capture::MmapRecord>();
    rec->start_ns = a.first_ns;
    rec->end_ns = std::max(a.first_ns, a.last_ns);
    rec->pid = k.pid;
    rec->tid = a.tid;
    rec->op = k.op < LP_MMAP_OPS ? static_cast<capture::MmapOp>(k.op) : capture::MmapOp::other;
    rec->calls = a.calls;
    rec->bytes = a.bytes;
    Event e;
    e.kind = Event::Kind::mmap;
    e.time_ns = rec->end_ns;
    e.pid = rec->pid;
    e.tid = rec->tid;
    const int32_t bytes = a.user_stack_bytes;
    const size_t n = bytes > 0 ? std::min<size_t>(static_cast<size_t>(bytes) / 8, LP_MAX_STACK_DEPTH) : 0;
    e.user_ips.assign(a.user_ips, a.user_ips + n);
    e.user_stack_ok = bytes >= 0;
    e.window.assign(a.window, a.window + std::min<uint32_t>(a.window_words, LP_MMAP_WINDOW_WORDS));
    e.mmap = std::move(rec);
    push(std::move(e));
  }

  // DWARF mode: one mmap/munmap/brk/mremap call with its registers and
  // stack copy, unwound and merged by stack by the sink.
  void on_mmap_record(std::span<const uint8_t> data) {
    if (data.size() < offsetof(lp_mmap_dwarf_event, stack)) return;
    const auto* r = reinterpret_cast<const lp_mmap_dwarf_event*>(data.data());
    if (r->type != LP_EVENT_MMAP_DWARF) return;
    auto rec = std::make_unique<capture::MmapRecord>();
    rec->start_ns = rec->end_ns = r->time_ns;
    rec->pid = r->pid;
    rec->tid = r->tid;
    rec->op = r->op < LP_MMAP_OPS ? static_cast<capture::MmapOp>(r->op) : capture::MmapOp::other;
    rec->calls = 1;
    rec->bytes = r->bytes;
    Event e;
    e.kind = Event::Kind::mmap;
    e.time_ns = r->time_ns;
    e.pid = r->pid;
    e.tid = r->tid;
    const size_t bytes = std::min<size_t>(r->stack_bytes, data.size() - offsetof(lp_mmap_dwarf_event, stack));
    e.dwarf = true;
    e.regs.assign(r->regs, r->regs + LP_MMAP_DWARF_REGS);
    e.stack.assign(r->stack, r->stack + bytes);
    e.mmap = std::move(rec);
    push(std::move(e));
  }

  static capture::IoSyscall io_syscall(uint32_t index) {
    return index < static_cast<uint32_t>(capture::IoSyscall::other) ? static_cast<capture::IoSyscall>(index)
                                                                    : capture::IoSyscall::other;
  }
  static capture::FdKind fd_kind(uint32_t kind) {
    return kind <= LP_FD_POLL ? static_cast<capture::FdKind>(kind) : capture::FdKind::other;
  }
  static bool returns_bytes(capture::IoSyscall s) {
    using S = capture::IoSyscall;
    return s <= S::pwritev || (s >= S::sendto && s <= S::recvmsg);
  }
  static size_t latency_bucket(uint64_t ns) {
    const size_t b = ns == 0 ? 0 : static_cast<size_t>(std::bit_width(ns) - 1);
    return std::min(b, capture::kIoLatencyBuckets - 1);
  }

  Event io_event(std::unique_ptr<capture::IoSyscallRecord> rec, const __u64* user_ips, int32_t stack_bytes) {
    Event e;
    e.kind = Event::Kind::io_syscall;
    e.time_ns = rec->end_ns;
    e.pid = rec->pid;
    e.tid = rec->tid;
    const size_t n =
        stack_bytes > 0 ? std::min<size_t>(static_cast<size_t>(stack_bytes) / 8, LP_MAX_STACK_DEPTH) : 0;
    if (n > 0) e.user_ips.assign(user_ips, user_ips + n);
    e.user_stack_ok = stack_bytes >= 0;
    e.io = std::move(rec);
    return e;
  }

  // "vda" for 254:0, from /sys/dev/block/MAJ:MIN/uevent (DEVNAME=), cached;
  // "MAJ:MIN" when the device is gone or says no name.
  std::string device_name(uint32_t dev) {
    auto it = device_names_.find(dev);
    if (it != device_names_.end()) return it->second;
    const std::string id = std::to_string(dev >> 20) + ":" + std::to_string(dev & 0xFFFFF);
    std::string name = id;
    if (auto text = procfs::read_path("/sys/dev/block/" + id + "/uevent"); text.ok()) {
      const size_t at = text->find("DEVNAME=");
      if (at != std::string::npos) {
        const size_t from = at + 8;
        const size_t end = text->find('\n', from);
        std::string found = text->substr(from, end == std::string::npos ? std::string::npos : end - from);
        if (!found.empty()) name = std::move(found);
      }
    }
    device_names_.emplace(dev, name);
    return name;
  }

  // Kept until the sockets are read at the end, then attached to the served socket.
  void on_io_exchange(const lp_io_exchange& x) {
    if (served_count_ >= kMaxServedExchanges) {
      ++served_dropped_;
      return;
    }
    capture::ServedExchange e;
    e.start_ns = x.start_ns;
    e.end_ns = std::max(x.start_ns, x.end_ns);
    e.tid = x.tid;
    for (const lp_io_nested& n : x.peers) {
      if (n.sk == 0) break;
      capture::NestedRoundTrips p;
      p.family = n.family;
      std::copy(std::begin(n.remote_addr), std::end(n.remote_addr), p.remote_addr.begin());
      p.remote_port = n.remote_port;
      p.round_trips = n.round_trips;
      p.wait_ns = n.wait_ns;
      e.peers.push_back(p);
    }
    served_[{x.pid, x.sk}].push_back(std::move(e));
    ++served_count_;
  }

  capture::SocketRecord socket_record(const lp_io_socket_key& k, const lp_io_socket& s) {
    capture::SocketRecord r = socket_figures(k, s);
    if (auto it = served_.find({k.pid, k.sk}); it != served_.end()) {
      r.served = std::move(it->second);
      std::sort(r.served.begin(), r.served.end(),
                [](const auto& a, const auto& b) { return a.start_ns < b.start_ns; });
      served_.erase(it);
    }
    return r;
  }

  static capture::SocketRecord socket_figures(const lp_io_socket_key& k, const lp_io_socket& s) {
    capture::SocketRecord r;
    r.start_ns = s.first_ns;
    r.end_ns = std::max(s.first_ns, s.last_ns);
    r.pid = k.pid;
    r.family = s.family;
    if (s.family == AF_UNIX)
      r.protocol = capture::SocketProtocol::unix_socket;
    else if (s.protocol == IPPROTO_TCP)
      r.protocol = capture::SocketProtocol::tcp;
    else if (s.protocol == IPPROTO_UDP)
      r.protocol = capture::SocketProtocol::udp;
    r.role = s.role == LP_ROLE_SERVER ? capture::SocketRole::server : capture::SocketRole::client;
    std::copy(std::begin(s.remote_addr), std::end(s.remote_addr), r.remote_addr.begin());
    r.remote_port = s.remote_port;
    r.local_port = s.local_port;
    r.round_trips = s.round_trips;
    r.wait_ns = s.wait_ns;
    r.bytes_sent = s.bytes_sent;
    r.bytes_received = s.bytes_received;
    r.sends = s.sends;
    r.receives = s.receives;
    return r;
  }

  Result<void> drain(EventSink& sink, bool all) {
    uint64_t now_ns = monotonic_ns();
    for (Event& e : incoming_) pending_.push_back(std::move(e));
    incoming_.clear();
    LOADPROF_CHECK(probe_->consume());
    if (io_) LOADPROF_CHECK(io_->consume());
    if (alloc_) LOADPROF_CHECK(alloc_->consume());
    if (alloc_preload_) alloc_preload_->consume(all);
    if (offcpu_) LOADPROF_CHECK(offcpu_->consume());
    if (mmap_) LOADPROF_CHECK(mmap_->consume());
    if ((offcpu_ || io_ || mmap_) && (all || now_ns - last_aggregate_flush_ns_ >= kSecondNs)) {
      if (mmap_)
        mmap_->flush_aggregates(
            [this](const lp_mmap_agg_key& k, const lp_mmap_agg& a) { on_mmap_aggregate(k, a); }, all);
      if (offcpu_) offcpu_->flush_aggregates([this](const lp_offcpu_agg& a) { on_offcpu_aggregate(a); }, all);
      if (io_) {
        io_->flush_aggregates(
            [this](const lp_io_agg_key& k, const lp_io_agg& a) { on_io_aggregate(k, a); },
            [this](const lp_io_device_key& k, const lp_io_device_agg& a) { on_io_device_aggregate(k, a); },
            all);
      }
      last_aggregate_flush_ns_ = now_ns;
      if (!all) forget_offcpu_stacks(now_ns);
    }
    sideband_records_.clear();
    if (options_.dwarf) read_dwarf_rings();
    // Without children to follow, only the targets' own records matter: the
    // others (every process on the machine) are not even parsed. With
    // children, a new child's records may come before its fork's (another
    // CPU's ring): all are parsed and filtered below, once the forks are known.
    if (options_.follow_children) {
      stats_.sideband_read += sideband_->read(sideband_records_);
    } else {
      stats_.sideband_read +=
          sideband_->read(sideband_records_, [this](uint32_t pid) { return known_.count(pid) > 0; });
    }
    // Drop other processes' records early: keep fork and lost records, and
    // records of pids that are targets or forked children not dispatched yet.
    std::unordered_set<uint32_t> forked;
    if (options_.follow_children) {
      for (const auto& r : sideband_records_) {
        if (r.kind == SidebandRecord::Kind::fork && r.pid != r.ppid) forked.insert(r.pid);
      }
      for (const auto& e : pending_) {
        if (e.kind == Event::Kind::sideband && e.record.kind == SidebandRecord::Kind::fork)
          forked.insert(e.record.pid);
      }
    }
    for (auto& r : sideband_records_) {
      if (r.kind == SidebandRecord::Kind::throttle || r.kind == SidebandRecord::Kind::unthrottle) {
        on_throttle_record(r);
        continue;
      }
      if (r.kind != SidebandRecord::Kind::fork && r.kind != SidebandRecord::Kind::lost &&
          !known_.count(r.pid) && !forked.count(r.pid)) {
        continue;
      }
      ++stats_.sideband_kept;
      Event e;
      e.kind = Event::Kind::sideband;
      e.time_ns = r.time_ns;
      e.record = std::move(r);
      push(std::move(e));
    }
    std::sort(pending_.begin(), pending_.end(), [](const Event& a, const Event& b) {
      return a.time_ns != b.time_ns ? a.time_ns < b.time_ns : a.seq < b.seq;
    });
    uint64_t cutoff = all ? UINT64_MAX : now_ns - std::min(now_ns, kHoldBackNs);
    size_t n = 0;
    refreshed_.clear();
    uint64_t pumped_ns = monotonic_ns();
    for (; n < pending_.size() && pending_[n].time_ns <= cutoff; ++n) {
      dispatch(pending_[n], sink);
      // Every 10 ms of dispatching, the rings are emptied again.
      if ((n & 31) == 31 && !all) {
        const uint64_t t = monotonic_ns();
        if (t - pumped_ns >= kPumpIntervalNs) {
          LOADPROF_CHECK(pump());
          pumped_ns = t;
        }
      }
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
    if (now_ns - last_liveness_check_ns_ >= kLivenessCheckNs || all) check_liveness(sink, now_ns);
    forget_retired_maps(now_ns);
    // Steal is counted in ticks: once a second is as fine as it gets (reading
    // /proc/stat costs ~30 us; at every drain it was a third of a ms per second).
    if (all || now_ns - steal_read_ns_ >= kSecondNs) read_steal(now_ns);
    return {};
  }

  size_t cpu_index(uint32_t cpu) const {
    auto it = std::lower_bound(cpus_.begin(), cpus_.end(), static_cast<int>(cpu));
    return it != cpus_.end() && *it == static_cast<int>(cpu) ? static_cast<size_t>(it - cpus_.begin())
                                                             : SIZE_MAX;
  }

  SecondExtra& extra(uint64_t second, size_t i) {
    auto& row = extras_[second];
    if (row.size() < cpus_.size()) row.resize(cpus_.size());
    return row[i];
  }

  void add_throttled(size_t i, uint64_t from_ns, uint64_t to_ns) {
    split_by_second(from_ns, to_ns,
                    [&](uint64_t second, uint64_t ns) { extra(second, i).throttled_ns += ns; });
  }

  // The kernel stopped (throttle) or resumed (unthrottle) a cpu-clock event
  // because it took more than kernel.perf_event_max_sample_rate samples per
  // tick: the samples of that time were never taken.
  void on_throttle_record(const SidebandRecord& r) {
    const size_t i = cpu_index(r.cpu);
    if (i == SIZE_MAX) return;
    if (r.kind == SidebandRecord::Kind::throttle) {
      ++extra(r.time_ns / kSecondNs, i).throttles;
      if (throttled_since_ns_[i] == 0) throttled_since_ns_[i] = r.time_ns;
    } else if (throttled_since_ns_[i] != 0) {
      add_throttled(i, throttled_since_ns_[i], std::max(r.time_ns, throttled_since_ns_[i]));
      throttled_since_ns_[i] = 0;
    }
  }

  // Steal time per CPU since the last reading, spread evenly over the time in
  // between (the kernel counts it in ticks, so finer is not known anyway).
  void read_steal(uint64_t now_ns) {
    auto text = procfs::read_path("/proc/stat");
    if (!text.ok()) return;
    std::vector<uint64_t> ticks(cpus_.size(), UINT64_MAX);
    for (const auto& s : procfs::parse_stat_steal(*text)) {
      const size_t i = cpu_index(static_cast<uint32_t>(s.cpu));
      if (i != SIZE_MAX) ticks[i] = s.steal_ticks;
    }
    if (!steal_ticks_.empty() && now_ns > steal_read_ns_) {
      for (size_t i = 0; i < cpus_.size(); ++i) {
        if (ticks[i] == UINT64_MAX || steal_ticks_[i] == UINT64_MAX || ticks[i] <= steal_ticks_[i]) continue;
        const uint64_t steal_ns = (ticks[i] - steal_ticks_[i]) * kSecondNs / clock_ticks_per_s_;
        const uint64_t span = now_ns - steal_read_ns_;
        uint64_t given = 0;
        split_by_second(steal_read_ns_, now_ns, [&](uint64_t second, uint64_t ns) {
          const uint64_t part = static_cast<uint64_t>(static_cast<double>(steal_ns) *
                                                      static_cast<double>(ns) / static_cast<double>(span));
          extra(second, i).steal_ns += part;
          given += part;
        });
        if (given < steal_ns) extra((now_ns - 1) / kSecondNs, i).steal_ns += steal_ns - given;
      }
    }
    steal_ticks_ = std::move(ticks);
    steal_read_ns_ = now_ns;
  }

  // Safety net for a missed exit event (e.g. a process that died between the
  // /proc check and the map insert): gone at two checks in a row -> exited.
  void check_liveness(EventSink& sink, uint64_t now_ns) {
    last_liveness_check_ns_ = now_ns;
    std::vector<uint32_t> gone;
    for (uint32_t pid : live_) {
      if (process_alive(static_cast<pid_t>(pid))) {
        suspected_gone_.erase(pid);
      } else if (!suspected_gone_.insert(pid).second) {
        gone.push_back(pid);
      }
    }
    for (uint32_t pid : gone) {
      suspected_gone_.erase(pid);
      // The exit tracepoint did not take it out of the filter (it exited
      // before it was put in): a new process reusing the pid must not be sampled.
      probe_->remove_pid(pid);
      live_.erase(pid);
      retire_maps(pid, now_ns);
      sink.on_exit(pid, pid, now_ns);
    }
  }

  // An exited process's mappings are kept a while: aggregates of its short
  // off-CPU intervals arrive up to two flushes (~2 s) after its exit.
  void retire_maps(uint32_t pid, uint64_t time_ns) { retired_maps_[pid] = time_ns; }
  void forget_retired_maps(uint64_t now_ns) {
    for (auto it = retired_maps_.begin(); it != retired_maps_.end();) {
      if (now_ns - std::min(now_ns, it->second) < kRetiredMapsNs) {
        ++it;
        continue;
      }
      exec_maps_.erase(it->first);
      it = retired_maps_.erase(it);
    }
  }
  // A new process with the pid of a retired one starts without its maps.
  void reuse_pid(uint32_t pid) {
    if (retired_maps_.erase(pid)) exec_maps_.erase(pid);
  }

  void emit_mapping(const capture::Mapping& m, EventSink& sink) {
    if (exec_maps_[m.pid].add(m)) sink.on_mapping(m);
  }

  void dispatch(Event& e, EventSink& sink) {
    switch (e.kind) {
      case Event::Kind::snapshot_mapping:
        emit_mapping(e.record.mapping, sink);
        break;
      case Event::Kind::sideband:
        dispatch_sideband(e.record, sink);
        break;
      case Event::Kind::fork:
        known_.insert(e.pid);
        live_.insert(e.pid);
        break;
      case Event::Kind::exit:
        if (live_.erase(e.pid)) {
          retire_maps(e.pid, e.time_ns);
          last_refresh_ns_.erase(e.pid);
          suspected_gone_.erase(e.pid);
          sink.on_exit(e.pid, e.pid, e.time_ns);
          sink.on_exit_status(e.pid, e.exit_status, e.time_ns);
        }
        break;
      case Event::Kind::sample:
        dispatch_sample(e, sink);
        break;
      case Event::Kind::offcpu:
        dispatch_offcpu(e, sink);
        break;
      case Event::Kind::io_syscall:
        dispatch_io(e, sink);
        break;
      case Event::Kind::io_device:
        if (e.device) sink.on_io_device(*e.device);
        break;
      case Event::Kind::alloc:
        dispatch_alloc(e, sink);
        break;
      case Event::Kind::mmap:
        dispatch_mmap(e, sink);
        break;
    }
  }

  void dispatch_sideband(SidebandRecord& r, EventSink& sink) {
    using K = SidebandRecord::Kind;
    switch (r.kind) {
      case K::lost:
        sideband_lost_ += r.lost;
        return;
      case K::throttle:
      case K::unthrottle:
        return;  // handled as they are read (on_throttle_record)
      case K::fork: {
        bool new_process = r.pid != r.ppid;
        if (!known_.count(r.pid)) {
          if (!new_process || !options_.follow_children || !known_.count(r.ppid)) return;
          known_.insert(r.pid);
        }
        if (new_process) {
          reuse_pid(r.pid);
          // A forked child starts with its parent's mappings: no mmap2 says so.
          auto parent = exec_maps_.find(r.ppid);
          if (parent != exec_maps_.end()) {
            std::vector<capture::Mapping> copy;
            for (const auto& [start, m] : parent->second.all()) copy.push_back(m);
            for (auto& m : copy) {
              m.pid = r.pid;
              m.time_ns = r.time_ns;
              emit_mapping(m, sink);
            }
          }
        }
        sink.on_fork(r.pid, r.ppid, r.tid, r.time_ns);
        return;
      }
      case K::exit:
        // The whole process's exit comes from the exit tracepoint.
        if (known_.count(r.pid) && r.tid != r.pid) sink.on_exit(r.pid, r.tid, r.time_ns);
        return;
      case K::comm:
        if (!known_.count(r.pid)) return;
        if (r.exec) exec_maps_[r.pid].clear();  // the old image is gone
        sink.on_comm(r.pid, r.tid, r.comm, r.exec, r.time_ns);
        return;
      case K::mmap: {
        if (!known_.count(r.pid) || !r.mapping.executable) return;
        if (r.mapping.build_id.empty()) {
          char range[96];
          std::snprintf(range, sizeof range, "/proc/%u/map_files/%llx-%llx", r.pid,
                        static_cast<unsigned long long>(r.mapping.start),
                        static_cast<unsigned long long>(r.mapping.end));
          r.mapping.build_id = build_ids_.get(r.mapping.path, range);
          if (r.mapping.build_id.empty()) r.mapping.build_id = build_ids_.get(r.mapping.path);
        }
        emit_mapping(r.mapping, sink);
        return;
      }
    }
  }

  // Mappings no record announces ([vdso], or missed ones) are looked up in
  // /proc: once per poll when the leaf itself is unknown, at most once a
  // second otherwise (code without frame pointers makes garbage callers all
  // the time, and /proc will not explain them).
  bool should_refresh(uint32_t pid, bool leaf_unknown) {
    if (refreshed_.count(pid)) return false;
    uint64_t now_ns = monotonic_ns();
    uint64_t& last = last_refresh_ns_[pid];
    if (!leaf_unknown && now_ns - last < kSecondNs) return false;
    last = now_ns;
    refreshed_.insert(pid);
    return true;
  }

  // Checks the user frames against the mappings (refreshing them from /proc
  // when the stack points outside every known one); returns how many are valid.
  size_t checked_user_frames(const Event& e, EventSink& sink) {
    ExecMappings& maps = exec_maps_[e.pid];
    size_t valid = valid_user_frames(e.user_ips, maps);
    if (valid < e.user_ips.size() && should_refresh(e.pid, valid == 0) &&
        process_alive(static_cast<pid_t>(e.pid))) {
      auto fresh = snapshot_mappings(static_cast<pid_t>(e.pid), e.time_ns, build_ids_);
      if (fresh.ok()) {
        for (const auto& m : *fresh) emit_mapping(m, sink);
        valid = valid_user_frames(e.user_ips, maps);
      }
    }
    return valid;
  }

  void dispatch_offcpu(Event& e, EventSink& sink) {
    if (!known_.count(e.pid)) return;
    // One view for both unwinding modes (a field set in one branch only was
    // lost in the other: the wakers, once).
    OffCpuView view;
    view.start_ns = e.start_ns;
    view.wake_ns = e.wake_ns;
    view.end_ns = e.time_ns;
    view.pid = e.pid;
    view.tid = e.tid;
    view.waker_pid = e.waker_pid;
    view.waker_tid = e.waker_tid;
    view.waker_known = e.waker_known;
    view.waker_comm = e.waker_comm;
    view.reason = e.reason;
    view.kernel_ips = e.kernel_ips;
    view.count = e.count;
    if (e.waker_stacks) {
      view.waker_stack = true;
      view.waker_kernel_ips = e.waker_stacks->kernel_ips;
      // User frames only for a waker among the targets (its mappings are known).
      if (known_.count(e.waker_pid)) {
        const auto& ips = e.waker_stacks->user_ips;
        view.waker_user_ips =
            std::span<const uint64_t>(ips.data(), valid_user_frames(ips, exec_maps_[e.waker_pid]));
      }
    }
    take_user_stack(e, sink, view, offcpu_stack_truncated_);
    sink.on_offcpu(view);
  }

  // The event's user stack into its view: the DWARF copy (registers and
  // stack bytes, unwound by the sink), or the frame-pointer frames that are
  // valid in the process's mappings, a cut stack counted in `truncated`.
  template <typename View>
  void take_user_stack(Event& e, EventSink& sink, View& view, uint64_t& truncated) {
    if (e.dwarf) {
      view.dwarf = true;
      view.user_regs = e.regs;
      view.user_stack = e.stack;
      return;
    }
    const size_t valid = checked_user_frames(e, sink);
    view.user_truncated = valid < e.user_ips.size() || e.user_ips.size() >= LP_MAX_STACK_DEPTH;
    if (view.user_truncated) ++truncated;
    view.user_ips = std::span<const uint64_t>(e.user_ips.data(), valid);
  }

  void dispatch_io(Event& e, EventSink& sink) {
    if (!known_.count(e.pid) || !e.io) return;
    IoSyscallView view;
    take_user_stack(e, sink, view, io_stack_truncated_);
    view.record = std::move(*e.io);
    sink.on_io_syscall(view);
  }

  void dispatch_alloc(Event& e, EventSink& sink) {
    if (!known_.count(e.pid) || !e.alloc) return;
    AllocView view;
    if (e.dwarf || !e.alloc->is_free) take_user_stack(e, sink, view, alloc_stack_truncated_);
    view.record = std::move(*e.alloc);
    sink.on_alloc(view);
  }

  // The mmap probe's stack. DWARF mode: the registers and stack copy, for
  // the sink to unwind. Otherwise (frame-pointer targets, or a DWARF call
  // that found the ring full) a heuristic: the IP, the words of the stack
  // window that lie in executable mappings (return addresses of frames
  // without frame pointers, leaf first; a stale one left in the window shows
  // as a frame never called), then the frame-pointer chain — as far as it
  // stays valid.
  void dispatch_mmap(Event& e, EventSink& sink) {
    if (!known_.count(e.pid) || !e.mmap) return;
    if (e.dwarf) {
      MmapView view;
      take_user_stack(e, sink, view, mmap_stack_truncated_);
      view.record = std::move(*e.mmap);
      sink.on_mmap(view);
      return;
    }
    const size_t chain_valid = checked_user_frames(e, sink);  // refreshes the maps when needed
    const bool chain_cut = chain_valid < e.user_ips.size() || e.user_ips.size() >= LP_MAX_STACK_DEPTH;
    if (!e.user_ips.empty()) {
      const ExecMappings& maps = exec_maps_[e.pid];
      std::vector<uint64_t> ips;
      ips.reserve(e.user_ips.size() + e.window.size());
      ips.push_back(e.user_ips[0]);
      for (uint64_t w : e.window)
        if (maps.contains(w)) ips.push_back(w);
      for (size_t i = 1; i < chain_valid; ++i) ips.push_back(e.user_ips[i]);
      if (ips.size() > LP_MAX_STACK_DEPTH) ips.resize(LP_MAX_STACK_DEPTH);
      e.user_ips = std::move(ips);
    }
    const size_t valid = e.user_ips.size();
    MmapView view;
    view.user_truncated = chain_cut;
    if (view.user_truncated) ++mmap_stack_truncated_;
    view.user_ips = std::span<const uint64_t>(e.user_ips.data(), valid);
    view.record = std::move(*e.mmap);
    sink.on_mmap(view);
  }

  void dispatch_sample(Event& e, EventSink& sink) {
    if (e.dwarf) {
      // Only the targets' samples reach the rings; a sample of another
      // process would be unwound against maps it does not have.
      if (!known_.count(e.pid)) {
        ++dwarf_foreign_;
        return;
      }
      CpuSampleView view;
      view.time_ns = e.time_ns;
      view.pid = e.pid;
      view.tid = e.tid;
      view.cpu = e.cpu;
      view.kernel_ips = e.kernel_ips;
      view.dwarf = true;
      view.user_regs = e.regs;
      view.user_stack = e.stack;
      sink.on_cpu_sample(view);
      return;
    }
    const size_t valid = checked_user_frames(e, sink);
    bool truncated = valid < e.user_ips.size() || e.user_ips.size() >= LP_MAX_STACK_DEPTH;
    if (truncated) ++stack_truncated_;
    CpuSampleView view;
    view.time_ns = e.time_ns;
    view.pid = e.pid;
    view.tid = e.tid;
    view.cpu = e.cpu;
    view.user_ips = std::span<const uint64_t>(e.user_ips.data(), valid);
    view.kernel_ips = e.kernel_ips;
    view.user_truncated = truncated;
    sink.on_cpu_sample(view);
  }

  CollectorOptions options_;
  std::vector<int> cpus_;  // online CPU ids, ascending
  std::unique_ptr<CpuProbe> probe_;
  std::unique_ptr<OffCpuProbe> offcpu_;                     // null without the offcpu probe
  std::unique_ptr<IoProbe> io_;                             // null without the io probe
  std::unordered_map<uint32_t, std::string> device_names_;  // dev -> "vda"
  // io probe: exchanges served per (pid, server socket), until the sockets are read.
  static constexpr uint64_t kMaxServedExchanges = 4'000'000;
  std::map<std::pair<uint32_t, uint64_t>, std::vector<capture::ServedExchange>> served_;
  uint64_t served_count_ = 0;
  uint64_t served_dropped_ = 0;
  uint64_t io_stack_truncated_ = 0;
  std::unique_ptr<AllocProbe> alloc_;                // null without the alloc probe's uprobe path
  std::unique_ptr<AllocPreloadRing> alloc_preload_;  // its preload path (launched commands)
  capture::AllocInfo alloc_found_;                   // allocators found (names, paths)
  uint64_t alloc_stack_truncated_ = 0;
  uint64_t alloc_stack_not_copied_ = 0;  // DWARF allocation records without a stack copy
  std::unique_ptr<MmapProbe> mmap_;      // with alloc: mmap/munmap/brk by stack
  uint64_t mmap_stack_truncated_ = 0;
  std::unique_ptr<KernelSymbolLookup> ksyms_;               // null: blocked reasons read other
  std::unordered_map<uint64_t, std::string> kernel_names_;  // kernel address -> function
  uint64_t offcpu_stack_truncated_ = 0;
  // DWARF: stack copies by (tid, switch-out time) until their interval comes.
  struct OffCpuStack {
    std::vector<uint64_t> regs;
    std::vector<uint8_t> stack;
  };
  std::map<std::pair<uint32_t, uint64_t>, OffCpuStack> offcpu_stacks_;
  uint64_t offcpu_stack_orphans_ = 0;
  std::unique_ptr<lp_offcpu_stack_event> kept_stack_ = std::make_unique<lp_offcpu_stack_event>();
  uint64_t last_aggregate_flush_ns_ = 0;
  // tid -> (seed time, reason from /proc) of threads seeded at the start.
  std::unordered_map<uint32_t, std::pair<uint64_t, capture::OffCpuReason>> seeded_;
  std::optional<Sideband> sideband_;
  BuildIdCache build_ids_;
  std::vector<Event> pending_;
  std::vector<Event> incoming_;  // read by pump() while pending_ is dispatched
  bool pumping_ = false;
  UniqueFd wakeups_;  // with the offcpu probe: see watch_rings()
  std::vector<SidebandRecord> sideband_records_;
  uint32_t seq_ = 0;
  std::unordered_set<uint32_t> known_;  // pids whose records are delivered (targets, ever)
  std::unordered_set<uint32_t> live_;   // targets not exited yet
  std::unordered_set<uint32_t> suspected_gone_;
  std::unordered_set<uint32_t> refreshed_;  // pids whose /proc maps were read in this poll
  std::unordered_map<uint32_t, uint64_t> last_refresh_ns_;
  std::unordered_map<uint32_t, ExecMappings> exec_maps_;
  std::unordered_map<uint32_t, uint64_t> retired_maps_;  // exited pid -> exit time; maps kept kRetiredMapsNs
  CollectorStats stats_;
  uint64_t stack_truncated_ = 0;
  uint64_t sideband_lost_ = 0;
  DwarfSample dwarf_sample_;  // parse buffer
  uint64_t dwarf_ring_lost_ = 0;
  uint64_t dwarf_malformed_ = 0;
  uint64_t dwarf_foreign_ = 0;  // DWARF samples of non-targets (none expected)
  uint64_t accounting_overwritten_ = 0;
  uint64_t start_second_ = 0;
  std::vector<uint64_t> next_second_;                    // per entry of cpus_
  std::map<uint64_t, std::vector<SecondExtra>> extras_;  // second -> per entry of cpus_
  std::vector<uint64_t> throttled_since_ns_;             // per entry of cpus_; 0: not throttled
  std::vector<uint64_t> steal_ticks_;                    // last /proc/stat reading, per entry of cpus_
  uint64_t steal_read_ns_ = 0;
  uint64_t clock_ticks_per_s_ = 100;
  uint64_t last_liveness_check_ns_ = 0;
  bool stopped_ = false;
  uint64_t stop_ns_ = 0;
};

}  // namespace

Result<std::unique_ptr<Collector>> Collector::open(const CollectorOptions& options) {
  if (options.frequency_hz == 0) return make_error(ErrorKind::usage, "sampling frequency must be > 0");
  auto impl = std::make_unique<CollectorImpl>();
  LOADPROF_CHECK(impl->init(options));
  return std::unique_ptr<Collector>(std::move(impl));
}

}  // namespace loadprof::collect
