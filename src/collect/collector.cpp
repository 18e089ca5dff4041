// The Collector: wires the cpu probe (BPF ring buffer), the perf sideband and
// /proc snapshots into one time-ordered event stream for the target set.
//
// Ordering: samples, fork/exit events and sideband records come through
// different buffers. Each poll reads all of them, sorts by time and delivers
// what is older than (now - kHoldBackNs); the rest waits for the next poll.
// So a child's mmap2 never comes before its fork, and a sample's stack is
// checked against the mappings that existed when it was taken.
#include "loadprof/collect/collector.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "cpu_probe.h"
#include "loadprof/util/clock.h"
#include "loadprof/util/log.h"
#include "proc.h"
#include "sideband.h"
#include "stack_check.h"

namespace loadprof::collect {
namespace {

constexpr uint64_t kHoldBackNs = 20'000'000;
constexpr uint64_t kSecondNs = 1'000'000'000;
// A slot of a finished second is read only after this much more time, so
// sample programs still running at the boundary have finished writing.
constexpr uint64_t kAccountingMarginNs = 50'000'000;
constexpr size_t kSidebandPagesPerCpu = 64;
constexpr uint64_t kLivenessCheckNs = 1'000'000'000;

struct Event {
  enum class Kind : uint8_t { sideband, snapshot_mapping, sample, fork, exit };
  Kind kind = Kind::sideband;
  uint64_t time_ns = 0;
  uint32_t seq = 0;  // arrival order, to keep sorting stable and cheap
  SidebandRecord record;  // sideband; snapshot_mapping uses record.mapping
  // sample / fork / exit
  uint32_t pid = 0, tid = 0, cpu = 0, ppid = 0;
  int exit_status = 0;
  std::vector<uint64_t> user_ips, kernel_ips;
  bool user_stack_ok = true;
};

int online_cpu_count() {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

class CollectorImpl final : public Collector {
 public:
  Result<void> init(const CollectorOptions& options) {
    options_ = options;
    cpu_count_ = online_cpu_count();
    CpuProbeOptions po;
    po.frequency_hz = options.frequency_hz;
    po.follow_children = options.follow_children;
    po.ringbuf_bytes = options.ringbuf_bytes;
    po.self_tgid = static_cast<uint32_t>(getpid());
    po.cpu_count = cpu_count_;
    LOADPROF_TRY(probe, CpuProbe::open(po, [this](std::span<const uint8_t> r) { on_bpf_record(r); }));
    probe_ = std::move(probe);
    LOADPROF_TRY(sideband, Sideband::open(cpu_count_, kSidebandPagesPerCpu));
    sideband_.emplace(std::move(sideband));
    start_second_ = monotonic_ns() / kSecondNs;
    next_second_.assign(static_cast<size_t>(cpu_count_), start_second_);
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
    LOADPROF_CHECK(probe_->poll(timeout_ms));
    return drain(sink, false);
  }

  Result<void> stop(EventSink& sink) override {
    if (stopped_) return {};
    probe_->stop_sampling();
    stopped_ = true;
    stop_ns_ = monotonic_ns();
    return drain(sink, true);
  }

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
    out["sideband"]["lost_records"] = sideband_lost_;
    return out;
  }

  std::vector<capture::CpuAccounting> take_accounting() override {
    std::vector<capture::CpuAccounting> out;
    uint64_t now_ns = stopped_ ? stop_ns_ + kSecondNs : monotonic_ns();
    if (now_ns < kAccountingMarginNs + kSecondNs) return out;
    // Seconds s with (s + 1) * 1e9 + margin <= now are finished.
    uint64_t end_second = (now_ns - kAccountingMarginNs) / kSecondNs;  // exclusive
    auto slots = probe_->read_accounting();
    for (int c = 0; c < cpu_count_ && static_cast<size_t>(c) < slots.size(); ++c) {
      uint64_t& next = next_second_[static_cast<size_t>(c)];
      if (end_second > next + LP_ACCOUNTING_SLOTS) {
        accounting_overwritten_ += end_second - LP_ACCOUNTING_SLOTS - next;
        next = end_second - LP_ACCOUNTING_SLOTS;
      }
      for (; next < end_second; ++next) {
        const lp_accounting_slot& slot = slots[static_cast<size_t>(c)][next % LP_ACCOUNTING_SLOTS];
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
        out.push_back(a);
      }
    }
    return out;
  }

  uint64_t ringbuf_bytes() const override { return probe_->ringbuf_bytes(); }

 private:
  Result<void> add_one(pid_t pid) {
    uint64_t time_ns = monotonic_ns();  // before the map insert: valid for every sample after it
    LOADPROF_TRY(mappings, snapshot_mappings(pid, time_ns, build_ids_));
    LOADPROF_CHECK(probe_->add_pid(static_cast<uint32_t>(pid)));
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
    for (auto& m : mappings) {
      Event e;
      e.kind = Event::Kind::snapshot_mapping;
      e.time_ns = time_ns;
      e.record.mapping = std::move(m);
      push(std::move(e));
    }
    return {};
  }

  void push(Event e) {
    e.seq = seq_++;
    pending_.push_back(std::move(e));
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

  Result<void> drain(EventSink& sink, bool all) {
    uint64_t now_ns = monotonic_ns();
    LOADPROF_CHECK(probe_->consume());
    sideband_records_.clear();
    sideband_->read(sideband_records_);
    // Drop other processes' records early: keep fork and lost records, and
    // records of pids that are targets or forked children not dispatched yet.
    std::unordered_set<uint32_t> forked;
    if (options_.follow_children) {
      for (const auto& r : sideband_records_) {
        if (r.kind == SidebandRecord::Kind::fork && r.pid != r.ppid) forked.insert(r.pid);
      }
      for (const auto& e : pending_) {
        if (e.kind == Event::Kind::sideband && e.record.kind == SidebandRecord::Kind::fork) forked.insert(e.record.pid);
      }
    }
    for (auto& r : sideband_records_) {
      if (r.kind != SidebandRecord::Kind::fork && r.kind != SidebandRecord::Kind::lost && !known_.count(r.pid) &&
          !forked.count(r.pid)) {
        continue;
      }
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
    for (; n < pending_.size() && pending_[n].time_ns <= cutoff; ++n) dispatch(pending_[n], sink);
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
    if (now_ns - last_liveness_check_ns_ >= kLivenessCheckNs || all) check_liveness(sink, now_ns);
    return {};
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
      live_.erase(pid);
      exec_maps_.erase(pid);
      sink.on_exit(pid, pid, now_ns);
    }
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
          exec_maps_.erase(e.pid);
          last_refresh_ns_.erase(e.pid);
          suspected_gone_.erase(e.pid);
          sink.on_exit(e.pid, e.pid, e.time_ns);
          sink.on_exit_status(e.pid, e.exit_status, e.time_ns);
        }
        break;
      case Event::Kind::sample:
        dispatch_sample(e, sink);
        break;
    }
  }

  void dispatch_sideband(SidebandRecord& r, EventSink& sink) {
    using K = SidebandRecord::Kind;
    switch (r.kind) {
      case K::lost:
        sideband_lost_ += r.lost;
        return;
      case K::fork: {
        bool new_process = r.pid != r.ppid;
        if (!known_.count(r.pid)) {
          if (!new_process || !options_.follow_children || !known_.count(r.ppid)) return;
          known_.insert(r.pid);
        }
        if (new_process) {
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

  void dispatch_sample(Event& e, EventSink& sink) {
    ExecMappings& maps = exec_maps_[e.pid];
    size_t valid = valid_user_frames(e.user_ips, maps);
    if (valid < e.user_ips.size() && should_refresh(e.pid, valid == 0) && process_alive(static_cast<pid_t>(e.pid))) {
      auto fresh = snapshot_mappings(static_cast<pid_t>(e.pid), e.time_ns, build_ids_);
      if (fresh.ok()) {
        for (const auto& m : *fresh) emit_mapping(m, sink);
        valid = valid_user_frames(e.user_ips, maps);
      }
    }
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
  int cpu_count_ = 1;
  std::unique_ptr<CpuProbe> probe_;
  std::optional<Sideband> sideband_;
  BuildIdCache build_ids_;
  std::vector<Event> pending_;
  std::vector<SidebandRecord> sideband_records_;
  uint32_t seq_ = 0;
  std::unordered_set<uint32_t> known_;  // pids whose records are delivered (targets, ever)
  std::unordered_set<uint32_t> live_;   // targets not exited yet
  std::unordered_set<uint32_t> suspected_gone_;
  std::unordered_set<uint32_t> refreshed_;  // pids whose /proc maps were read in this poll
  std::unordered_map<uint32_t, uint64_t> last_refresh_ns_;
  std::unordered_map<uint32_t, ExecMappings> exec_maps_;
  uint64_t stack_truncated_ = 0;
  uint64_t sideband_lost_ = 0;
  uint64_t accounting_overwritten_ = 0;
  uint64_t start_second_ = 0;
  std::vector<uint64_t> next_second_;
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
