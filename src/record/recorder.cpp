// The recording pipeline. A new stack is written at once with its raw
// addresses, so its samples are never held back and a capture never holds a
// sample before the stack it uses; its symbols follow from a low-priority
// thread (SymbolizeWorker) as stack-symbols records. Each poll's new stacks are
// handed to that thread after the poll, so the mappings drained in the same
// poll reach the symbolizer first.
#include "loadprof/record/recorder.h"

#include <signal.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <map>
#include <memory>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "loadprof/capture/writer.h"
#include "loadprof/collect/collector.h"
#include "loadprof/collect/launch.h"
#include "loadprof/collect/run_as.h"
#include "loadprof/symbolize/dwarf_unwinder.h"
#include "loadprof/symbolize/symbolizer.h"
#include "loadprof/util/clock.h"
#include "loadprof/util/log.h"
#include "loadprof/util/procfs.h"
#include "loadprof/util/version.h"
#include "merged_calls.h"
#include "recording_system_access.h"
#include "resource_sampler.h"
#include "stack_quality_watch.h"
#include "stack_table.h"
#include "symbolize_worker.h"
#include "target_watch.h"

namespace loadprof::record {
namespace {

// Each wake-up costs the recorder ~50-80 us (a context switch, the rings, the
// ordering): 4 a second rather than 10. The ring buffer holds 2 s of samples.
constexpr int kPollIntervalMs = 250;
constexpr uint64_t kFlushIntervalNs = 1'000'000'000;
constexpr uint64_t kSecondNs = 1'000'000'000;
// An exited process's unwinder state is kept this long (see Pipeline::on_exit).
constexpr uint64_t kForgetExitedNs = 5'000'000'000;

std::string read_comm(pid_t pid) {
  auto comm = procfs::read(pid, "comm");
  if (!comm.ok()) return {};
  std::string name = std::move(comm).value();
  while (!name.empty() && name.back() == '\n') name.pop_back();
  return name;
}

uint32_t read_ppid(pid_t pid) {
  auto stat = procfs::read(pid, "stat");
  int ppid = stat.ok() ? procfs::parse_stat_ppid(*stat) : -1;
  return ppid < 0 ? 0 : static_cast<uint32_t>(ppid);
}

// Charges the thread's CPU time since the previous charge to one phase.
class PhaseClock {
 public:
  PhaseClock() : last_(thread_cpu_ns()) {}
  void charge(uint64_t& phase) {
    const uint64_t now = thread_cpu_ns();
    phase += now - last_;
    last_ = now;
  }

 private:
  uint64_t last_;
};

capture::Metadata make_metadata(const RecordOptions& o) {
  capture::Metadata md;
  md.loadprof_version = kVersion;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  md.hostname = host;
  utsname u{};
  if (uname(&u) == 0) md.kernel_release = u.release;
  md.command_line = o.command_line;
  md.probes = o.probes;
  md.frequency_hz = o.frequency_hz;
  md.unwind = o.unwind;
  md.cpu_count = static_cast<uint32_t>(sysconf(_SC_NPROCESSORS_ONLN));
  auto pair = clock_pair_now();
  md.start_monotonic_ns = pair.monotonic_ns;
  md.start_realtime_ns = pair.realtime_ns;
  return md;
}

// Receives collector events, keeps the process table, deduplicates stacks and
// feeds the writer.
class Pipeline final : public collect::EventSink {
 public:
  Pipeline(capture::CaptureWriter& writer, SymbolizeWorker& symbolizer, symbolize::SystemAccess& system,
           symbolize::DwarfUnwinder* unwinder)
      : writer_(writer), symbolizer_(symbolizer), system_(system), unwinder_(unwinder) {}

  void add_root(const capture::Process& p) {
    processes_[p.pid] = p;
    writer_.add_process(p);
  }
  capture::Process* process(uint32_t pid) {
    auto it = processes_.find(pid);
    return it == processes_.end() ? nullptr : &it->second;
  }
  void update_process(const capture::Process& p) { writer_.add_process(p); }

  // Without the cpu probe in --probes, its samples are not written (the
  // program still runs: it keeps the target set every probe shares).
  void set_write_cpu_samples(bool on) { write_cpu_samples_ = on; }
  // DWARF io calls at least this long are written on their own (as the io
  // probe sends FP-mode ones); shorter ones are merged by unwound stack.
  void set_io_slow_ns(uint64_t ns) { io_slow_ns_ = ns; }

  void on_cpu_sample(const collect::CpuSampleView& s) override {
    if (!write_cpu_samples_) return;
    std::span<const uint64_t> user_ips = s.user_ips;
    bool truncated = s.user_truncated;
    unwind_if_dwarf(s.dwarf, s.pid, s.tid, s.user_regs, s.user_stack, user_ips, truncated);
    const capture::StackId stack = intern_stack(s.pid, s.time_ns, user_ips, s.kernel_ips, truncated);
    writer_.add_cpu_sample({s.time_ns, s.pid, s.tid, s.cpu, stack});
    quality_.add_sample(stack);
    ++samples_;
    note_thread(s.pid, s.tid, s.time_ns);
  }

  // One interval, or two when the thread blocked and then waited for a CPU
  // after its wakeup: [start, wake) for the reason it blocked, [wake, end) runqueue.
  void on_offcpu(const collect::OffCpuView& o) override {
    std::span<const uint64_t> user_ips = o.user_ips;
    bool truncated = o.user_truncated;
    unwind_if_dwarf(o.dwarf, o.pid, o.tid, o.user_regs, o.user_stack, user_ips, truncated);
    const capture::StackId stack = intern_stack(o.pid, o.start_ns, user_ips, o.kernel_ips, truncated);
    capture::OffCpuInterval i;
    i.pid = o.pid;
    i.tid = o.tid;
    i.stack = stack;
    i.start_ns = o.start_ns;
    i.end_ns = o.end_ns;
    i.reason = o.reason;
    i.count = o.count;
    // Merged short waits too: BPF merges them per waker (one aggregate each).
    if (o.waker_known && o.reason != capture::OffCpuReason::runqueue && o.wake_ns > o.start_ns) {
      capture::OffCpuWaker& w = wakers_[{o.pid, o.tid, static_cast<uint8_t>(o.reason), o.waker_pid,
                                         o.waker_tid, std::string(o.waker_comm)}];
      w.wakeups += o.count;
      w.blocked_ns += std::min(o.wake_ns, o.end_ns) - o.start_ns;
      // --offcpu-wakers: the waker's stack, on the blocked part only.
      if (o.waker_stack)
        i.waker_stack = intern_stack(o.waker_pid, o.wake_ns, o.waker_user_ips, o.waker_kernel_ips, false);
    }
    if (o.reason != capture::OffCpuReason::runqueue && o.wake_ns > o.start_ns && o.wake_ns < o.end_ns) {
      i.end_ns = o.wake_ns;
      writer_.add_offcpu(i);
      i.start_ns = o.wake_ns;
      i.end_ns = o.end_ns;
      i.reason = capture::OffCpuReason::runqueue;
      i.waker_stack = capture::kNoStack;
    }
    writer_.add_offcpu(i);
    ++offcpu_intervals_;
    note_thread(o.pid, o.tid, o.start_ns);
  }

  // Merged calls, or one slow call; the user stack interned like a sample's.
  void on_io_syscall(const collect::IoSyscallView& v) override {
    capture::IoSyscallRecord r = v.record;
    std::span<const uint64_t> user_ips = v.user_ips;
    bool truncated = v.user_truncated;
    unwind_if_dwarf(v.dwarf, r.pid, r.tid, v.user_regs, v.user_stack, user_ips, truncated);
    r.stack = intern_stack(r.pid, r.start_ns, user_ips, {}, truncated);
    note_thread(r.pid, r.tid, r.start_ns);
    if (v.dwarf && r.total_ns < io_slow_ns_) {
      merge_io_call(r);
      return;
    }
    writer_.add_io_syscall(r);
    ++io_records_;
  }

  // DWARF io calls merged by (process, syscall, fd kind, unwound stack), as
  // the io probe merges FP-mode ones in BPF: written once the first merged
  // call is a second old (by call time), or all of them (at the end).
  void flush_io_merged(uint64_t now_ns, bool all) {
    io_merged_.flush(now_ns, all, kSecondNs, [&](const capture::IoSyscallRecord& r) {
      writer_.add_io_syscall(r);
      ++io_records_;
    });
  }

  void on_io_device(const capture::IoDeviceRecord& d) override { writer_.add_io_device(d); }
  void on_io_socket(const capture::SocketRecord& s) override { writer_.add_socket(s); }

  // A sampled allocation (its user stack interned like a sample's) or its free.
  void on_alloc(const collect::AllocView& v) override {
    capture::AllocEvent e = v.record;
    std::span<const uint64_t> user_ips = v.user_ips;
    bool truncated = v.user_truncated;
    unwind_if_dwarf(v.dwarf, e.pid, e.tid, v.user_regs, v.user_stack, user_ips, truncated);
    if (!e.is_free) e.stack = intern_stack(e.pid, e.time_ns, user_ips, {}, truncated);
    writer_.add_alloc(e);
    note_thread(e.pid, e.tid, e.time_ns);
  }

  // mmap/munmap/brk/mremap calls of one (process, op, stack) over about a
  // second; DWARF mode: one call, unwound here and merged the same way.
  void on_mmap(const collect::MmapView& v) override {
    capture::MmapRecord r = v.record;
    std::span<const uint64_t> user_ips = v.user_ips;
    bool truncated = v.user_truncated;
    unwind_if_dwarf(v.dwarf, r.pid, r.tid, v.user_regs, v.user_stack, user_ips, truncated);
    r.stack = intern_stack(r.pid, r.start_ns, user_ips, {}, truncated);
    note_thread(r.pid, r.tid, r.start_ns);
    if (v.dwarf) {
      merge_mmap_call(r);
      return;
    }
    writer_.add_mmap(r);
  }

  // DWARF mmap calls merged by (process, op, unwound stack), as the mmap
  // probe merges FP-mode ones in BPF: written once the first merged call is a
  // second old (by call time), or all of them (at the end).
  void flush_mmap_merged(uint64_t now_ns, bool all) {
    mmap_merged_.flush(now_ns, all, kSecondNs, [&](const capture::MmapRecord& r) { writer_.add_mmap(r); });
  }

  void on_mapping(const capture::Mapping& m) override {
    // Who the process is (its users, mount namespace) is noted now, while it
    // lives: its files may be read much later, when a CPU is idle.
    if (noted_.insert(m.pid).second) system_.note_process(m.pid);
    if (unwinder_) unwinder_->add_mapping(m);
    symbolizer_.add_mapping(m);
    writer_.add_mapping(m);
  }

  void on_comm(uint32_t pid, uint32_t tid, std::string_view comm, bool exec, uint64_t time_ns) override {
    if (exec) {
      symbolizer_.on_exec(pid, time_ns);
      if (unwinder_) unwinder_->exec(pid);
      ++generation_[pid];
      if (auto* p = process(pid); p && p->launched) launched_exec_seen_ = true;
    }
    threads_.insert(tid);  // named here: a later sample must not rewrite it without its name
    if (pid == tid) {
      if (auto* p = process(pid)) {
        if (exec || p->command.empty()) {
          if (!p->launched || exec) p->command = std::string(comm);
          writer_.add_process(*p);
        }
      } else {
        // A process the collector added without a fork event: an existing
        // descendant of a --children target, named from /proc when it was added.
        capture::Process found;
        found.pid = pid;
        found.ppid = read_ppid(static_cast<pid_t>(pid));
        found.command = std::string(comm);
        found.start_ns = time_ns;
        processes_[pid] = found;
        writer_.add_process(found);
      }
    }
    capture::Thread t;
    t.pid = pid;
    t.tid = tid;
    t.name = std::string(comm);
    t.start_ns = time_ns;
    writer_.add_thread(t);
  }

  void on_fork(uint32_t pid, uint32_t ppid, uint32_t tid, uint64_t time_ns) override {
    // A new process reusing an exited one's pid: the old unwinder state goes now.
    if (pid == tid && pid != ppid && exited_.erase(pid)) unwinder_->forget(pid);
    if (pid != tid || pid == ppid || processes_.count(pid)) return;  // a new thread, or known
    capture::Process child;
    child.pid = pid;
    child.ppid = ppid;
    child.start_ns = time_ns;
    if (auto* parent = process(ppid)) child.command = parent->command;
    processes_[pid] = child;
    writer_.add_process(child);
  }

  void on_exit(uint32_t pid, uint32_t tid, uint64_t time_ns) override {
    if (pid != tid) return;
    // Its Dwfl stays a while: aggregates of its short off-CPU intervals (with
    // DWARF stack copies) arrive up to two flushes after its exit, and its
    // maps can no longer be read then.
    if (unwinder_) exited_[pid] = monotonic_ns();
    if (auto* p = process(pid); p && !p->exit_ns) {
      p->exit_ns = time_ns;
      writer_.add_process(*p);
    }
  }

  void on_exit_status(uint32_t pid, int wait_status, uint64_t time_ns) override {
    auto* p = process(pid);
    if (!p) return;
    if (WIFEXITED(wait_status))
      p->exit_code = WEXITSTATUS(wait_status);
    else if (WIFSIGNALED(wait_status))
      p->exit_signal = WTERMSIG(wait_status);
    if (!p->exit_ns) p->exit_ns = time_ns;
    writer_.add_process(*p);
  }

  // Hands the stacks first seen in this poll to the symbolizing thread.
  void submit_new_stacks() {
    symbolizer_.add_jobs(std::exchange(new_stacks_, {}));
    forget_exited(monotonic_ns() - std::min(monotonic_ns(), kForgetExitedNs));
  }

  // Frees the unwinder's state of the processes that exited before cutoff_ns.
  void forget_exited(uint64_t cutoff_ns) {
    for (auto it = exited_.begin(); it != exited_.end();) {
      if (it->second > cutoff_ns) {
        ++it;
        continue;
      }
      unwinder_->forget(it->first);
      it = exited_.erase(it);
    }
  }

  // Writes the symbols of the stacks the thread has resolved since the last call.
  void write_symbols(RecorderCost& cost) { write_symbols(symbolizer_.take_done(), cost); }

  // The end: who woke the threads, per (thread, reason, waker).
  void write_wakers() {
    for (auto& [key, w] : wakers_) {
      std::tie(w.pid, w.tid, std::ignore, w.waker_pid, w.waker_tid, w.waker_comm) = key;
      w.reason = static_cast<capture::OffCpuReason>(std::get<2>(key));
      writer_.add_offcpu_waker(w);
    }
    wakers_.clear();
  }

  // The end: the rest of the stacks, resolved on this thread.
  void finish_symbols(RecorderCost& cost) {
    flush_io_merged(0, true);
    flush_mmap_merged(0, true);
    submit_new_stacks();
    write_symbols(symbolizer_.finish(), cost);
  }

  void write_symbols(std::vector<SymbolizeWorker::Done> done, RecorderCost& cost) {
    for (const auto& d : done) {
      capture::Stack stack;
      stack.truncated = d.truncated;
      stack.frames.reserve(d.frames.size());
      for (const auto& f : d.frames) stack.frames.push_back(intern_frame(f));
      writer_.replace_stack(d.id, stack);
      quality_.add_stack(d.id, d.frames, d.truncated);
    }
    cost.symbolized_stacks += done.size();
  }

  uint64_t samples() const { return samples_; }
  uint64_t offcpu_intervals() const { return offcpu_intervals_; }
  uint64_t stacks() const { return stacks_.size(); }
  uint64_t frames() const { return frame_ids_.size(); }
  uint64_t processes() const { return processes_.size(); }
  // True once after the launched command's exec was delivered.
  bool take_launched_exec() { return std::exchange(launched_exec_seen_, false); }
  // Target processes not known to have exited (roots and followed children).
  std::vector<uint32_t> live_pids() const {
    std::vector<uint32_t> pids;
    for (const auto& [pid, p] : processes_)
      if (!p.exit_ns) pids.push_back(pid);
    std::sort(pids.begin(), pids.end());
    return pids;
  }
  std::optional<std::string> stack_quality_warning() const { return quality_.warning(); }

 private:
  // DWARF records (cpu samples, off-CPU switch-outs, io calls, allocations)
  // are unwound here, at record time, one way for all: only the addresses go
  // further, into unwound_ (valid until the next record). Empty regs: no
  // user context (a kernel thread), no user stack.
  void unwind_if_dwarf(bool dwarf, uint32_t pid, uint32_t tid, std::span<const uint64_t> regs,
                       std::span<const uint8_t> stack, std::span<const uint64_t>& user_ips, bool& truncated) {
    if (!dwarf || !unwinder_) return;
    unwound_.clear();
    if (!regs.empty()) {
      const auto stop = unwinder_->unwind(pid, tid, regs, stack, unwound_);
      truncated = stop != symbolize::UnwindStop::complete;
    }
    user_ips = unwound_;
  }

  void merge_mmap_call(const capture::MmapRecord& r) {
    mmap_merged_.add(std::make_tuple(r.pid, static_cast<uint8_t>(r.op), r.stack), r, r.start_ns,
                     [](capture::MmapRecord& m, const capture::MmapRecord& r) {
                       m.start_ns = std::min(m.start_ns, r.start_ns);
                       m.end_ns = std::max(m.end_ns, r.end_ns);
                       m.calls += r.calls;
                       m.bytes += r.bytes;
                     });
  }

  void merge_io_call(const capture::IoSyscallRecord& r) {
    const auto key =
        std::make_tuple(r.pid, static_cast<uint8_t>(r.syscall), static_cast<uint8_t>(r.fd_kind), r.stack);
    io_merged_.add(key, r, r.start_ns, [](capture::IoSyscallRecord& m, const capture::IoSyscallRecord& r) {
      m.start_ns = std::min(m.start_ns, r.start_ns);
      m.end_ns = std::max(m.end_ns, r.end_ns);
      m.count += r.count;
      m.bytes += r.bytes;
      m.errors += r.errors;
      m.total_ns += r.total_ns;
      m.max_ns = std::max(m.max_ns, r.max_ns);
      for (size_t b = 0; b < m.latency_log2.size(); ++b) m.latency_log2[b] += r.latency_log2[b];
    });
  }

  // The stack's id; a new one is written at once with its raw addresses and
  // queued for the symbolizing thread.
  capture::StackId intern_stack(uint32_t pid, uint64_t time_ns, std::span<const uint64_t> user_ips,
                                std::span<const uint64_t> kernel_ips, bool truncated) {
    uint64_t space = (static_cast<uint64_t>(pid) << 32) | generation_[pid];
    auto lookup = stacks_.intern(space, user_ips, kernel_ips, truncated);
    if (lookup.inserted) {
      capture::Stack raw;
      raw.truncated = truncated;
      for (uint64_t ip : kernel_ips) raw.frames.push_back(raw_frame(ip, true));
      for (uint64_t ip : user_ips) raw.frames.push_back(raw_frame(ip, false));
      if (writer_.add_stack(raw) != lookup.id) log::error("internal: stack id mismatch");
      new_stacks_.push_back(SymbolizeWorker::Job{lookup.id,
                                                 pid,
                                                 time_ns,
                                                 truncated,
                                                 {user_ips.begin(), user_ips.end()},
                                                 {kernel_ips.begin(), kernel_ips.end()}});
    }
    return lookup.id;
  }

  void note_thread(uint32_t pid, uint32_t tid, uint64_t time_ns) {
    if (!threads_.insert(tid).second) return;
    capture::Thread t;
    t.pid = pid;
    t.tid = tid;
    t.start_ns = time_ns;
    writer_.add_thread(t);
  }

  // A frame that stands for one address until its stack's symbols are written
  // (what a capture cut short before then shows).
  capture::FrameId raw_frame(uint64_t ip, bool kernel) {
    auto it = raw_frame_ids_.find(ip);
    if (it != raw_frame_ids_.end()) return it->second;
    capture::Frame f;
    char text[24];
    std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(ip));
    f.function = text;
    f.module = std::string(capture::kUnsymbolizedModule);
    f.address = ip;
    f.module_offset = ip;
    f.kernel = kernel;
    capture::FrameId id = writer_.add_frame(f);
    raw_frame_ids_.emplace(ip, id);  // kernel and user addresses never overlap on x86-64
    return id;
  }

  capture::FrameId intern_frame(const capture::Frame& f) {
    std::string key;
    key.reserve(f.function.size() + f.module.size() + f.file.size() + 40);
    key.append(f.function).push_back('\0');
    key.append(f.module).push_back('\0');
    key.append(f.file).push_back('\0');
    key.append(std::to_string(f.line)).push_back(f.inlined ? 'i' : '-');
    key.push_back(f.kernel ? 'k' : 'u');
    // Unresolved frames differ by address; resolved ones merge across call sites.
    if (f.function.empty() || f.function.find("+0x") != std::string::npos)
      key.append(std::to_string(f.module_offset));
    auto it = frame_ids_.find(key);
    if (it != frame_ids_.end()) return it->second;
    capture::FrameId id = writer_.add_frame(f);
    frame_ids_.emplace(std::move(key), id);
    return id;
  }

  capture::CaptureWriter& writer_;
  SymbolizeWorker& symbolizer_;
  symbolize::SystemAccess& system_;
  symbolize::DwarfUnwinder* unwinder_;  // null: frame pointers only
  std::vector<uint64_t> unwound_;       // the DWARF-unwound user stack of the current sample
  std::unordered_map<uint32_t, uint64_t>
      exited_;  // pid -> exit seen (monotonic): unwinder state kept a while
  // (pid, tid, reason, waker pid, waker tid, waker comm) -> wake-ups and blocked time
  std::map<std::tuple<uint32_t, uint32_t, uint8_t, uint32_t, uint32_t, std::string>, capture::OffCpuWaker>
      wakers_;
  std::unordered_set<uint32_t> noted_;  // pids whose identity was noted
  StackTable stacks_;
  std::unordered_map<std::string, capture::FrameId> frame_ids_;
  std::unordered_map<uint64_t, capture::FrameId> raw_frame_ids_;  // address -> its raw frame
  std::unordered_map<uint32_t, uint32_t> generation_;             // pid -> exec count
  std::unordered_map<uint32_t, capture::Process> processes_;
  std::unordered_set<uint32_t> threads_;          // tids already written
  std::vector<SymbolizeWorker::Job> new_stacks_;  // first seen in this poll
  StackQualityWatch quality_;
  uint64_t samples_ = 0;
  uint64_t offcpu_intervals_ = 0;
  uint64_t io_records_ = 0;
  uint64_t io_slow_ns_ = 1'000'000;
  // DWARF io calls merged until flush_io_merged: (pid, syscall, fd kind, stack) -> figures.
  MergedCalls<std::tuple<uint32_t, uint8_t, uint8_t, capture::StackId>, capture::IoSyscallRecord> io_merged_;
  // DWARF mmap calls merged until flush_mmap_merged: (pid, op, stack) -> figures.
  MergedCalls<std::tuple<uint32_t, uint8_t, capture::StackId>, capture::MmapRecord> mmap_merged_;
  bool write_cpu_samples_ = true;
  bool launched_exec_seen_ = false;
};

// The unwinder's per-module figures as the capture stores them.
std::vector<capture::UnwindModule> unwind_modules(const symbolize::DwarfUnwinder& unwinder) {
  std::vector<capture::UnwindModule> out;
  for (const auto& [name, s] : unwinder.modules()) {
    capture::UnwindModule m;
    m.module = name;
    m.method = s.method;
    m.stacks = s.stacks;
    m.truncated = s.truncated;
    m.truncated_by_reason = s.truncated_by_reason;
    out.push_back(std::move(m));
  }
  return out;
}

void apply_exit_status(capture::Process& p, const collect::ExitStatus& st) {
  p.exit_code = st.exit_code;
  p.exit_signal = st.signal;
}

}  // namespace

Result<RecordSummary> run_record(const RecordOptions& o, const std::atomic<bool>& stop) {
  if (o.pids.empty() == o.command.empty())
    return make_error(ErrorKind::usage, "give either --pid or a command after --");

  // Who a launched command runs as, settled before anything is opened (an
  // unknown --user is a usage error).
  std::optional<collect::RunAs> run_as;
  if (!o.command.empty()) {
    LOADPROF_TRY(resolved, collect::resolve_run_as(collect::run_as_source_from_environment(o.user)));
    run_as = std::move(resolved);
  } else if (!o.user.empty()) {
    return make_error(ErrorKind::usage, "--user applies to a launched command (-- CMD), not to --pid");
  }

  RecorderCost cost;
  const uint64_t process_start_ns = process_cpu_ns();
  PhaseClock clock;
  collect::CollectorOptions copts;
  copts.frequency_hz = o.frequency_hz;
  copts.follow_children = o.children || !o.command.empty();
  const auto has_probe = [&](const char* name) {
    return std::find(o.probes.begin(), o.probes.end(), name) != o.probes.end();
  };
  copts.offcpu = has_probe("offcpu");
  copts.offcpu_min_ns = o.offcpu_min_ns;
  copts.offcpu_waker_stacks = copts.offcpu && o.offcpu_wakers;
  copts.io = has_probe("io");
  copts.io_slow_ns = o.io_slow_ns;
  copts.alloc = has_probe("alloc");
  copts.alloc_sample_bytes = o.alloc_sample_bytes;
  copts.alloc_max_overhead_pct = o.alloc_max_overhead_pct;
  copts.alloc_preload = copts.alloc && !o.command.empty();
  // auto: every target's stack is copied (Debian's glibc has no frame
  // pointers, so any process that calls libc needs it); each module is then
  // unwound by its CFI, or by frame pointers where it has none.
  copts.dwarf = o.unwind != "fp";
  copts.user_stack_bytes = o.user_stack_bytes;
  LOADPROF_TRY(collector, collect::Collector::open(copts));
  clock.charge(cost.open_ns);

  // Launch first (the child waits on a pipe), so a bad command fails before the file exists.
  std::optional<collect::LaunchedCommand> launched;
  if (!o.command.empty()) {
    std::vector<std::string> extra_env;
    std::vector<int> inherit_fds;
    if (auto handoff = collector->alloc_preload()) {
      extra_env = handoff->environment;
      inherit_fds.push_back(handoff->fd);
    }
    LOADPROF_TRY(cmd, collect::LaunchedCommand::spawn(o.command, run_as, extra_env, inherit_fds));
    launched.emplace(std::move(cmd));
  }
  // A thread id names its whole process (the filter works on processes): record
  // the thread group, and say so, rather than a phantom process with the tid.
  std::vector<pid_t> pids;
  for (pid_t pid : o.pids) {
    if (kill(pid, 0) != 0 && errno == ESRCH)
      return make_error(ErrorKind::target_gone, "no process with pid " + std::to_string(pid));
    auto status = procfs::read(pid, "status");
    if (!status.ok()) return status.error();
    int tgid = procfs::parse_status_tgid(*status);
    if (tgid <= 0) return make_error(ErrorKind::target_gone, "no process with pid " + std::to_string(pid));
    if (tgid != pid) {
      log::warn("pid " + std::to_string(pid) + " is a thread of " + std::to_string(tgid) +
                ": recording process " + std::to_string(tgid));
    }
    if (std::find(pids.begin(), pids.end(), tgid) == pids.end()) pids.push_back(tgid);
  }

  capture::Metadata md = make_metadata(o);
  LOADPROF_TRY(writer, capture::CaptureWriter::create(o.output_path, md));
  auto system = make_recording_system_access();
  symbolize::SystemAccess& system_access = *system;  // thread-safe; owned by the symbolizer
  SymbolizeWorker symbolizer(symbolize::Symbolizer::create(std::move(system)), true);
  std::unique_ptr<symbolize::DwarfUnwinder> unwinder;
  if (copts.dwarf) unwinder = symbolize::DwarfUnwinder::create();
  Pipeline pipeline(*writer, symbolizer, system_access, unwinder.get());
  pipeline.set_io_slow_ns(o.io_slow_ns);
  pipeline.set_write_cpu_samples(has_probe("cpu"));
  writer->add_clock_sync({md.start_monotonic_ns, md.start_realtime_ns});

  if (launched) {
    LOADPROF_CHECK(collector->add_target(launched->pid(), true));
    capture::Process p;
    p.pid = static_cast<uint32_t>(launched->pid());
    p.ppid = static_cast<uint32_t>(getpid());
    p.command = o.command.front();
    p.start_ns = monotonic_ns();
    p.launched = true;
    p.root = true;
    pipeline.add_root(p);
  }
  for (pid_t pid : pids) {
    if (auto added = collector->add_target(pid, o.children); !added.ok()) {
      // Refused before any data was taken (gone, no allocator, above
      // --alloc-max-overhead): no capture is left behind.
      writer.reset();
      std::error_code ec;
      std::filesystem::remove(o.output_path, ec);
      return added.error();
    }
    capture::Process p;
    p.pid = static_cast<uint32_t>(pid);
    p.ppid = read_ppid(pid);
    p.command = read_comm(pid);
    p.start_ns = md.start_monotonic_ns;
    p.root = true;
    pipeline.add_root(p);
  }
  // Deliver the initial maps before the command runs, then let it exec.
  LOADPROF_CHECK(collector->poll(pipeline, 0));
  clock.charge(cost.attach_ns);
  if (launched) {
    auto released = launched->release(o.give_terminal);
    if (!released.ok()) return released.error();
  }
  if (o.on_started) {
    std::vector<pid_t> roots = pids;
    if (launched) roots.insert(roots.begin(), launched->pid());
    o.on_started(roots);
  }

  TargetWatch watch;
  if (launched) watch.add(static_cast<uint32_t>(launched->pid()), o.command.front(), true);
  for (pid_t pid : pids) watch.add(static_cast<uint32_t>(pid), read_comm(pid), false);
  const uint64_t start_ns = monotonic_ns();
  const uint64_t sampling_start_cpu_ns = process_cpu_ns();
  std::optional<uint64_t> first_second_end_cpu_ns;
  uint64_t last_progress_ns = start_ns;
  std::optional<double> last_target_cpu_pct;  // from the latest resource reading
  auto report = [&](RecordProgress::Phase phase, uint64_t now) {
    if (!o.progress) return;
    RecordProgress p;
    p.phase = phase;
    p.elapsed_s = static_cast<double>(now - start_ns) / 1e9;
    p.samples = pipeline.samples();
    for (const auto& [probe, reasons] : collector->drops())
      for (const auto& [reason, n] : reasons) p.lost += n;
    p.live_targets = collector->live_targets();
    p.launched_pid = launched ? launched->pid() : 0;
    p.command_has_terminal = launched && launched->was_given_terminal();
    p.target_cpu_pct = last_target_cpu_pct;
    o.progress(p);
  };
  watch.check(start_ns, false);
  report(RecordProgress::Phase::recording, start_ns);
  // The resource timeline: a baseline reading now, then one a second.
  ResourceSampler resources;
  auto sample_resources = [&](uint64_t now) {
    clock.charge(cost.other_ns);
    const auto rows = resources.sample(pipeline.live_pids(), now);
    uint64_t cpu_ns = 0, interval_ns = 0;
    for (const auto& row : rows) {
      writer->add_resource(row);
      if (row.pid == capture::kMachinePid)
        interval_ns = row.interval_ns;
      else
        cpu_ns += row.cpu_ns;
    }
    if (interval_ns > 0)
      last_target_cpu_pct = static_cast<double>(cpu_ns) * 100.0 / static_cast<double>(interval_ns);
    clock.charge(cost.resources_ns);
  };
  sample_resources(start_ns);
  uint64_t next_resources_ns = start_ns + kSecondNs;
  // Drop counters of the collector, and the resource pass's (only when not 0).
  auto all_drops = [&] {
    capture::DropCounters drops = collector->drops();
    if (resources.unreadable()) drops["resources"]["proc_unreadable"] = resources.unreadable();
    if (resources.ctxsw_went_back()) drops["resources"]["ctxsw_went_back"] = resources.ctxsw_went_back();
    return drops;
  };
  const uint64_t deadline_ns =
      o.duration_ns > 0 ? start_ns + static_cast<uint64_t>(o.duration_ns) : UINT64_MAX;
  uint64_t last_flush_ns = start_ns;
  capture::EndInfo end;

  auto note_launched_exit = [&](const collect::ExitStatus& st) {
    if (auto* p = pipeline.process(static_cast<uint32_t>(launched->pid()))) {
      apply_exit_status(*p, st);
      if (!p->exit_ns) p->exit_ns = monotonic_ns();
      pipeline.update_process(*p);
    }
  };

  // Perf maps the symbolizer refused or capped: said when met, counted at the end.
  auto report_symbolizer = [&] {
    for (const std::string& w : symbolizer.take_warnings()) log::warn(w);
  };
  while (true) {
    clock.charge(cost.other_ns);
    // No later than the deadline: --duration ends on time; nor than the next
    // resource reading, so the readings stay a second apart.
    int timeout_ms = kPollIntervalMs;
    {
      const uint64_t now_ns = monotonic_ns();
      const uint64_t wake_ns = std::min(deadline_ns, next_resources_ns);
      const uint64_t left_ms = wake_ns > now_ns ? (wake_ns - now_ns + 999'999) / 1'000'000 : 0;
      timeout_ms = static_cast<int>(std::min<uint64_t>(left_ms, kPollIntervalMs));
    }
    LOADPROF_CHECK(collector->poll(pipeline, timeout_ms));
    pipeline.flush_io_merged(monotonic_ns(), false);
    pipeline.flush_mmap_merged(monotonic_ns(), false);
    pipeline.submit_new_stacks();
    clock.charge(cost.drain_ns);
    pipeline.write_symbols(cost);
    clock.charge(cost.write_ns);
    report_symbolizer();
    uint64_t now = monotonic_ns();
    if (!first_second_end_cpu_ns && now - start_ns >= kSecondNs) first_second_end_cpu_ns = process_cpu_ns();
    // A launched command's first reading came before its exec (loadprof's own
    // fork: no RSS, loadprof's fds): read it again as soon as it is the command.
    if (pipeline.take_launched_exec() && now < next_resources_ns) sample_resources(now);
    if (now >= next_resources_ns) {
      sample_resources(now);
      next_resources_ns = std::max(next_resources_ns + kSecondNs, now + kSecondNs / 2);
    }
    if (now - last_flush_ns >= kFlushIntervalNs) {
      for (const auto& a : collector->take_accounting()) writer->add_cpu_accounting(a);
      writer->set_drops(all_drops());
      if (auto info = collector->alloc_info()) writer->set_alloc_info(*info);
      if (unwinder) writer->set_unwind(unwind_modules(*unwinder));
      clock.charge(cost.other_ns);
      if (o.on_flush) o.on_flush(*writer);
      LOADPROF_CHECK(writer->flush());
      clock.charge(cost.write_ns);
      last_flush_ns = now;
    }
    if (now - last_progress_ns >= kFlushIntervalNs) {
      watch.check(now);
      report(RecordProgress::Phase::recording, now);
      last_progress_ns = now;
    }
    // Ctrl-C on a terminal the command holds reaches the command, not us: its
    // death by SIGINT is the user's interrupt.
    if (launched && launched->was_given_terminal()) {
      if (auto st = launched->poll_exit(); st && st->signal == SIGINT) {
        note_launched_exit(*st);
        end.interrupted = true;
        end.reason = "interrupted";
        break;
      }
    }
    if (stop.load()) {
      end.interrupted = true;
      end.reason = "interrupted";
      break;
    }
    if (o.finish && o.finish->load()) {
      end.reason = o.finish_reason;
      break;
    }
    if (o.caller_ends) {
      // The targets' end is noted, not obeyed: the caller's work goes on.
      if (launched) {
        if (auto st = launched->poll_exit()) note_launched_exit(*st);
      }
      if (!end.target_exited_ns && collector->live_targets() == 0) end.target_exited_ns = now;
      continue;
    }
    if (now >= deadline_ns) {
      end.reason = "duration";
      break;
    }
    if (launched) {
      if (auto st = launched->poll_exit()) {
        note_launched_exit(*st);
        if (collector->live_targets() == 0) {
          end.reason = "target exited";
          end.target_exited_ns = now;
          break;
        }
      }
    } else if (collector->live_targets() == 0) {
      end.reason = "target exited";
      end.target_exited_ns = now;
      break;
    }
  }

  const uint64_t stopped_ns = monotonic_ns();
  const uint64_t stopped_cpu_ns = process_cpu_ns();
  // The last (partial) second, read before a launched command is stopped.
  sample_resources(stopped_ns);
  report(RecordProgress::Phase::finishing, stopped_ns);
  RecordSummary summary;
  if (run_as) summary.launched_as = run_as->describe();
  if (launched && !launched->poll_exit()) {
    const bool hurry = o.hurry && o.hurry->load();
    auto st = launched->stop(hurry ? 0 : o.stop_grace_ms, o.hurry);
    note_launched_exit(st);
  }
  // Stop sampling and drain everything still buffered (exit events, the last samples).
  clock.charge(cost.other_ns);
  LOADPROF_CHECK(collector->stop(pipeline));
  clock.charge(cost.drain_ns);
  uint64_t finishing_ns = 0;
  pipeline.finish_symbols(cost);
  pipeline.write_wakers();
  clock.charge(finishing_ns);
  // What finish() symbolized is counted in symbolize (the worker's account).
  cost.write_ns += finishing_ns - std::min(finishing_ns, symbolizer.finish_cpu_ns());
  for (const auto& a : collector->take_accounting()) writer->add_cpu_accounting(a);
  summary.drops = all_drops();
  report_symbolizer();
  if (auto st = symbolizer.symbolizer().stats(); st.perf_maps_refused + st.perf_maps_truncated > 0) {
    summary.drops["symbolize"]["perf_map_refused"] = st.perf_maps_refused;
    summary.drops["symbolize"]["perf_map_truncated"] = st.perf_maps_truncated;
  }
  writer->set_drops(summary.drops);
  if (auto info = collector->alloc_info()) writer->set_alloc_info(*info);
  if (unwinder) writer->set_unwind(unwind_modules(*unwinder));
  if (o.on_flush) o.on_flush(*writer);
  auto pair = clock_pair_now();
  writer->add_clock_sync({pair.monotonic_ns, pair.realtime_ns});
  end.end_ns = pair.monotonic_ns;
  LOADPROF_CHECK(writer->finish(end));
  clock.charge(cost.write_ns);
  // Said at record time too, so a user learns before opening the report that the stacks are useless.
  if (auto w = pipeline.stack_quality_warning()) log::warn(*w);

  summary.samples = pipeline.samples();
  summary.stacks = pipeline.stacks();
  summary.frames = pipeline.frames();
  summary.processes = pipeline.processes();
  summary.bytes_written = writer->bytes_written();
  summary.duration_s = static_cast<double>(end.end_ns - start_ns) / 1e9;
  summary.end = end;
  if (launched) {
    if (auto* p = pipeline.process(static_cast<uint32_t>(launched->pid()))) summary.launched = *p;
  }
  clock.charge(cost.other_ns);
  const uint64_t process_end_ns = process_cpu_ns();
  cost.process_ns = process_end_ns - process_start_ns;
  cost.first_second_ns = first_second_end_cpu_ns.value_or(stopped_cpu_ns) - sampling_start_cpu_ns;
  if (first_second_end_cpu_ns) cost.steady_ns = stopped_cpu_ns - *first_second_end_cpu_ns;
  cost.recording_s = static_cast<double>(stopped_ns - start_ns) / 1e9;
  const collect::CollectorStats cs = collector->stats();
  cost.symbolize_ns = symbolizer.cpu_ns();
  if (unwinder) {
    const auto us = unwinder->stats();
    cost.unwinds = us.unwinds;
    cost.unwind_ns = us.unwind_ns;
    cost.unwinds_replayed = us.replayed;
  }
  cost.symbolized_at_end = symbolizer.resolved_at_finish();
  cost.symbolizer_priority = symbolizer.priority();
  cost.bpf_runs = cs.bpf_runs;
  cost.bpf_run_ns = cs.bpf_run_ns;
  cost.sideband_read = cs.sideband_read;
  cost.sideband_kept = cs.sideband_kept;
  cost.mid_dispatch_pumps = cs.mid_dispatch_pumps;
  cost.resource_passes = resources.passes();
  cost.resource_pass_ns = resources.pass_ns();
  summary.cost = cost;
  summary.target_notes =
      watch.notes(summary.samples, start_ns, stopped_ns, end,
                  [&](uint32_t pid) -> const capture::Process* { return pipeline.process(pid); });
  // Without the cpu probe (--probes alloc, offcpu, io alone) no CPU sample was asked for.
  if (!has_probe("cpu")) {
    std::erase_if(summary.target_notes,
                  [](const std::string& n) { return n.rfind("no CPU samples were recorded", 0) == 0; });
  }
  return summary;
}

}  // namespace loadprof::record
