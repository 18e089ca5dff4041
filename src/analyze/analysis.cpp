// Analysis of a capture: processes and their exits, samples and losses,
// per-CPU accounting, samples by process/thread/module, stack quality, top
// functions (self/total) and top stacks.
#include "loadprof/analyze/analysis.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "loadprof/capture/folded.h"
#include "names.h"
#include "waker_stacks.h"

namespace loadprof::analyze {
namespace {

constexpr double kNsPerS = 1e9;
constexpr uint64_t kSecondNs = 1000000000ULL;

double pct(uint64_t part, uint64_t whole) {
  return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

// Samples whose stack still has the recorder's raw frames (a capture cut
// before the symbolizing thread caught up).
uint64_t samples_with_unsymbolized_stacks(const capture::Capture& c) {
  std::vector<bool> raw(c.stacks.size(), false);
  bool any = false;
  for (size_t i = 0; i < c.stacks.size(); ++i) {
    for (capture::FrameId f : c.stacks[i].frames) {
      if (c.frames[f].module == capture::kUnsymbolizedModule) {
        raw[i] = any = true;
        break;
      }
    }
  }
  if (!any) return 0;
  uint64_t n = 0;
  for (const auto& s : c.cpu_samples)
    if (s.stack != capture::kNoStack && raw[s.stack]) ++n;
  return n;
}

std::string format_pct(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// Seconds of t_ns after the capture start; never negative.
double rel_s(uint64_t t_ns, uint64_t start_ns) {
  return t_ns <= start_ns ? 0.0 : static_cast<double>(t_ns - start_ns) / kNsPerS;
}

CaptureInfo capture_info(const capture::Capture& c) {
  CaptureInfo info;
  const auto& m = c.metadata;
  info.loadprof_version = m.loadprof_version;
  info.hostname = m.hostname;
  info.kernel_release = m.kernel_release;
  info.command_line = m.command_line;
  info.source = m.source;
  info.probes = m.probes;
  info.frequency_hz = m.frequency_hz;
  info.unwind = m.unwind;
  info.cpu_count = m.cpu_count;
  info.start_realtime_ns = m.start_realtime_ns;
  info.complete = c.end.has_value();
  info.truncated = c.read_info.truncated;
  info.damage_offset = c.read_info.damage_offset;
  info.damage = c.read_info.damage;
  info.chunks_read = c.read_info.chunks_read;
  info.chunks_skipped_unknown = c.read_info.chunks_skipped_unknown;
  return info;
}

// How long after a target's exit the recorder notices that every target is
// gone and stops (its poll interval, with room to spare).
constexpr uint64_t kEndedItNs = 500'000'000;

std::vector<ProcessSummary> summarize_processes(const capture::Capture& c, uint64_t start_ns,
                                                uint64_t end_ns) {
  std::vector<ProcessSummary> out;
  out.reserve(c.processes.size());
  for (const auto& p : c.processes) {
    ProcessSummary s;
    s.pid = p.pid;
    s.ppid = p.ppid;
    s.command = p.command;
    s.launched = p.launched;
    s.root = p.root;
    s.start_s = rel_s(p.start_ns, start_ns);
    if (p.exit_ns) {
      s.exit_s = rel_s(*p.exit_ns, start_ns);
      // An exit the recorder stopped on (within its poll of the end) ended the
      // capture: it did not happen "mid-capture".
      const bool ended_it = c.end && c.end->target_exited_ns && *p.exit_ns <= *c.end->target_exited_ns &&
                            *c.end->target_exited_ns - *p.exit_ns < kEndedItNs;
      s.exited_mid_capture = *p.exit_ns < end_ns && !ended_it;
    }
    s.exit_code = p.exit_code;
    s.exit_signal = p.exit_signal;
    out.push_back(std::move(s));
  }
  // Roots first (the processes the user named), then by pid: a stable order.
  std::stable_sort(out.begin(), out.end(), [](const ProcessSummary& a, const ProcessSummary& b) {
    if (a.root != b.root) return a.root;
    return a.pid < b.pid;
  });
  return out;
}

void finish_shares(CpuShare& s) {
  const uint64_t total = s.total();
  s.target_pct = pct(s.target, total);
  s.self_pct = pct(s.self, total);
  s.other_pct = pct(s.other, total);
  s.idle_pct = pct(s.idle, total);
  s.steal_pct = pct(s.steal, total);
  s.throttled_pct = pct(s.throttled, total);
}

uint64_t samples_in(uint64_t ns, uint32_t frequency_hz) {
  return static_cast<uint64_t>(
      std::llround(static_cast<double>(frequency_hz) * static_cast<double>(ns) / 1e9));
}

// One CPU-second of the accounting with its shortfall accounted for. The
// frequency expects f x (the part of the second inside the capture) samples;
// what the CPU took less than that is explained first by steal time (the
// hypervisor ran something else: the guest's timer could not fire), then by
// throttled time (the kernel stopped the event), and the rest is taken as
// idle: an idle CPU takes fewer cpu-clock samples than the frequency asks
// (measured here: 13-25 of 499 per second on an idle vCPU of a quiet machine).
CpuShare account_second(const capture::CpuAccounting& a, uint64_t start_ns, uint64_t end_ns,
                        uint32_t frequency_hz) {
  CpuShare s;
  s.cpu = a.cpu;
  s.target = a.target;
  s.self = a.self;
  s.other = a.other;
  s.idle_counted = a.idle;
  s.throttles = a.throttles;
  const uint64_t from = std::max(a.second_ns, start_ns);
  const uint64_t to = std::min(a.second_ns + kSecondNs, end_ns);
  const uint64_t counted = a.target + a.self + a.other + a.idle;
  uint64_t shortfall = 0;
  if (frequency_hz != 0 && to > from) {
    // Steal and throttled time are per whole second: the share inside the capture.
    const double inside = static_cast<double>(to - from) / static_cast<double>(kSecondNs);
    s.expected = samples_in(to - from, frequency_hz);
    shortfall = s.expected > counted ? s.expected - counted : 0;
    const auto scaled = [&](uint64_t ns) {
      return samples_in(static_cast<uint64_t>(static_cast<double>(ns) * inside), frequency_hz);
    };
    s.steal = std::min(shortfall, scaled(a.steal_ns));
    s.throttled = std::min(shortfall - s.steal, scaled(a.throttled_ns));
  }
  s.idle_estimated = a.idle + (shortfall - s.steal - s.throttled);
  s.idle = s.idle_estimated;
  return s;
}

void add_share(CpuShare& sum, const CpuShare& s) {
  sum.target += s.target;
  sum.self += s.self;
  sum.other += s.other;
  sum.idle += s.idle;
  sum.idle_counted += s.idle_counted;
  sum.idle_estimated += s.idle_estimated;
  sum.steal += s.steal;
  sum.throttled += s.throttled;
  sum.throttles += s.throttles;
  sum.expected += s.expected;
}

// Times relative to origin_ns (the capture's start); expected samples of the
// part of each second inside [start_ns, end_ns).
std::optional<CpuAccountingSummary> summarize_accounting(const capture::Capture& c, uint64_t origin_ns,
                                                         uint64_t start_ns, uint64_t end_ns) {
  if (c.cpu_accounting.empty()) return std::nullopt;
  CpuAccountingSummary out;
  std::map<uint32_t, CpuShare> by_cpu;
  // second -> (all CPUs together, highest per-CPU target share)
  std::map<uint64_t, std::pair<CpuShare, double>> by_second;
  for (const auto& counted : c.cpu_accounting) {
    const CpuShare a = account_second(counted, start_ns, end_ns, c.metadata.frequency_hz);
    CpuShare& cpu = by_cpu[a.cpu];
    cpu.cpu = a.cpu;
    add_share(cpu, a);
    auto& [sec, max_target_pct] = by_second[counted.second_ns];
    add_share(sec, a);
    max_target_pct = std::max(max_target_pct, pct(a.target, a.total()));
  }
  for (auto& [n, cpu] : by_cpu) {
    finish_shares(cpu);
    add_share(out.all, cpu);
    out.cpus.push_back(cpu);
  }
  finish_shares(out.all);
  for (const auto& [second_ns, entry] : by_second) {
    const auto& [s, max_target_pct] = entry;
    CpuSecond cs;
    cs.t_s = rel_s(second_ns, origin_ns);
    cs.target = s.target;
    cs.self = s.self;
    cs.other = s.other;
    cs.idle = s.idle;
    cs.idle_counted = s.idle_counted;
    cs.idle_estimated = s.idle_estimated;
    cs.steal = s.steal;
    cs.throttled = s.throttled;
    cs.target_pct = pct(s.target, s.total());
    cs.busy_pct = pct(s.target + s.self + s.other, s.total());
    cs.max_cpu_target_pct = max_target_pct;
    out.per_second.push_back(cs);
  }
  return out;
}

// Losses by probe and reason, as the recorder counted them. A truncated stack
// is a loss too: when the recorder did not count those, the samples marked
// truncated are; when it did, the larger figure is kept (they are the same
// samples, so adding would count them twice).
capture::DropCounters summarize_lost(const capture::Capture& c, uint64_t truncated_cpu_samples) {
  capture::DropCounters lost = c.drops;
  if (truncated_cpu_samples > 0) {
    uint64_t& n = lost["cpu"]["stack_truncated"];
    n = std::max(n, truncated_cpu_samples);
  }
  return lost;
}

struct FunctionAcc {
  std::string module;
  uint64_t self = 0;
  uint64_t total = 0;
};

std::vector<FunctionStat> top_by(const std::unordered_map<std::string, FunctionAcc>& acc, uint64_t all,
                                 bool by_self, size_t limit) {
  std::vector<std::pair<const std::string*, const FunctionAcc*>> v;
  v.reserve(acc.size());
  for (const auto& [name, a] : acc) {
    if ((by_self ? a.self : a.total) > 0) v.emplace_back(&name, &a);
  }
  auto key = [by_self](const FunctionAcc* a) { return by_self ? a->self : a->total; };
  std::sort(v.begin(), v.end(), [&](const auto& x, const auto& y) {
    if (key(x.second) != key(y.second)) return key(x.second) > key(y.second);
    return *x.first < *y.first;
  });
  if (v.size() > limit) v.resize(limit);
  std::vector<FunctionStat> out;
  out.reserve(v.size());
  for (const auto& [name, a] : v) {
    FunctionStat f;
    f.name = *name;
    f.module = a->module;
    f.self_samples = a->self;
    f.total_samples = a->total;
    f.self_pct = pct(a->self, all);
    f.total_pct = pct(a->total, all);
    out.push_back(std::move(f));
  }
  return out;
}

std::string module_of(const capture::Frame& f) {
  if (f.kernel) return f.module.empty() ? "[kernel]" : f.module;
  return f.module.empty() ? "[unknown]" : f.module;
}

// One CPU over the capture: frequency x duration samples.
double cpu_pct_of(uint64_t samples, uint32_t frequency_hz, double duration_s) {
  const double full = static_cast<double>(frequency_hz) * duration_s;
  return full <= 0 ? 0.0 : 100.0 * static_cast<double>(samples) / full;
}

void summarize_by_task(const capture::Capture& c, Analysis& a, const AnalysisOptions& options) {
  const uint64_t all = c.cpu_samples.size();
  const uint32_t hz = c.metadata.frequency_hz;
  std::map<uint32_t, uint64_t> by_pid;
  std::map<std::pair<uint32_t, uint32_t>, uint64_t> by_tid;
  for (const auto& s : c.cpu_samples) {
    ++by_pid[s.pid];
    ++by_tid[{s.pid, s.tid}];
  }
  std::map<uint32_t, std::string> commands;
  for (const auto& p : c.processes) commands[p.pid] = p.command;
  std::map<std::pair<uint32_t, uint32_t>, std::string> comms;
  for (const auto& t : c.threads) {
    if (!t.name.empty()) comms[{t.pid, t.tid}] = t.name;
  }
  for (const auto& [pid, n] : by_pid) {
    ProcessCpu p;
    p.pid = pid;
    auto it = commands.find(pid);
    p.command = it != commands.end() ? it->second : std::string();
    p.samples = n;
    p.share_pct = pct(n, all);
    p.cpu_pct = cpu_pct_of(n, hz, a.duration_s);
    a.by_process.push_back(std::move(p));
  }
  for (const auto& [key, n] : by_tid) {
    ThreadCpu t;
    t.pid = key.first;
    t.tid = key.second;
    if (auto it = comms.find(key); it != comms.end()) {
      t.comm = it->second;
    } else if (auto p = commands.find(key.first); p != commands.end()) {
      t.comm = p->second;
    }
    t.samples = n;
    t.share_pct = pct(n, all);
    t.cpu_pct = cpu_pct_of(n, hz, a.duration_s);
    a.by_thread.push_back(std::move(t));
  }
  // By samples, descending; the maps' order (pid, tid) breaks ties.
  std::stable_sort(a.by_process.begin(), a.by_process.end(),
                   [](const ProcessCpu& x, const ProcessCpu& y) { return x.samples > y.samples; });
  std::stable_sort(a.by_thread.begin(), a.by_thread.end(),
                   [](const ThreadCpu& x, const ThreadCpu& y) { return x.samples > y.samples; });
  if (a.by_thread.size() > options.top_threads) a.by_thread.resize(options.top_threads);
}

// On-CPU time per thread from its cpu samples, off-CPU time by reason from its intervals.
WallSummary summarize_wall(const capture::Capture& c, const AnalysisOptions& options) {
  const double sample_ms = c.metadata.frequency_hz ? 1000.0 / c.metadata.frequency_hz : 0.0;
  std::map<std::pair<uint32_t, uint32_t>, WallTime> by_tid;
  for (const auto& s : c.cpu_samples) by_tid[{s.pid, s.tid}].on_cpu_ms += sample_ms;
  for (const auto& o : c.offcpu) {
    if (o.end_ns <= o.start_ns) continue;
    const size_t r = std::min<size_t>(static_cast<size_t>(o.reason), kOffCpuReasons - 1);
    by_tid[{o.pid, o.tid}].offcpu_ms[r] += static_cast<double>(o.end_ns - o.start_ns) / 1e6;
  }
  std::map<std::pair<uint32_t, uint32_t>, std::string> comms;
  for (const auto& t : c.threads)
    if (!t.name.empty()) comms[{t.pid, t.tid}] = t.name;
  std::map<uint32_t, std::string> commands;
  for (const auto& p : c.processes) commands[p.pid] = p.command;
  WallSummary w;
  for (const auto& [key, time] : by_tid) {
    w.total.on_cpu_ms += time.on_cpu_ms;
    for (size_t r = 0; r < kOffCpuReasons; ++r) w.total.offcpu_ms[r] += time.offcpu_ms[r];
    ThreadWall t;
    t.pid = key.first;
    t.tid = key.second;
    if (auto it = comms.find(key); it != comms.end()) {
      t.comm = it->second;
    } else if (auto p = commands.find(key.first); p != commands.end()) {
      t.comm = p->second;
    }
    t.time = time;
    w.threads.push_back(std::move(t));
  }
  std::stable_sort(w.threads.begin(), w.threads.end(), [](const ThreadWall& x, const ThreadWall& y) {
    return x.time.total_ms() > y.time.total_ms();
  });
  if (w.threads.size() > options.top_threads) w.threads.resize(options.top_threads);
  // Wakers: merged per (reason, waker thread), the woken threads' names kept.
  struct Waker {
    WakerShare share;
    std::map<std::string, uint64_t> woken_ns;
  };
  std::map<std::tuple<int, uint32_t, uint32_t, std::string>, Waker> wakers;
  for (const auto& k : c.offcpu_wakers) {
    const size_t r = std::min<size_t>(static_cast<size_t>(k.reason), kOffCpuReasons - 1);
    Waker& x = wakers[{static_cast<int>(r), k.waker_pid, k.waker_tid, k.waker_comm}];
    x.share.reason = offcpu_reason_names()[r];
    x.share.waker_pid = k.waker_pid;
    x.share.waker_tid = k.waker_tid;
    x.share.waker_comm = k.waker_comm;
    x.share.wakeups += k.wakeups;
    x.share.blocked_ms += static_cast<double>(k.blocked_ns) / 1e6;
    auto comm = comms.find({k.pid, k.tid});
    x.woken_ns[comm != comms.end() ? comm->second : std::to_string(k.tid)] += k.blocked_ns;
  }
  std::map<int, std::vector<WakerShare>> per_reason;
  for (auto& [key, x] : wakers) {
    std::vector<std::pair<std::string, uint64_t>> woken(x.woken_ns.begin(), x.woken_ns.end());
    std::stable_sort(woken.begin(), woken.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    for (size_t i = 0; i < woken.size() && i < 5; ++i) x.share.woken.push_back(woken[i].first);
    per_reason[std::get<0>(key)].push_back(std::move(x.share));
  }
  for (auto& [reason, list] : per_reason) {
    std::stable_sort(list.begin(), list.end(),
                     [](const WakerShare& a, const WakerShare& b) { return a.blocked_ms > b.blocked_ms; });
    if (list.size() > kTopWakersPerReason) list.resize(kTopWakersPerReason);
    for (auto& s : list) w.wakers.push_back(std::move(s));
  }
  w.waker_stacks = top_waker_stacks(c);
  return w;
}

Error bad_ref(const std::string& what) { return make_error(ErrorKind::corrupt_input, what); }

// Validates every stack the samples use before anything indexes with it.
Result<void> check_refs(const capture::Capture& c) {
  for (size_t i = 0; i < c.stacks.size(); ++i) {
    for (capture::FrameId f : c.stacks[i].frames) {
      if (f >= c.frames.size()) {
        return bad_ref("stack " + std::to_string(i) + " refers to frame " + std::to_string(f) + " of " +
                       std::to_string(c.frames.size()));
      }
    }
  }
  for (size_t i = 0; i < c.cpu_samples.size(); ++i) {
    const auto id = c.cpu_samples[i].stack;
    if (id != capture::kNoStack && id >= c.stacks.size()) {
      return bad_ref("cpu sample " + std::to_string(i) + " refers to stack " + std::to_string(id) + " of " +
                     std::to_string(c.stacks.size()));
    }
  }
  for (size_t i = 0; i < c.io_syscalls.size(); ++i) {
    const auto id = c.io_syscalls[i].stack;
    if (id != capture::kNoStack && id >= c.stacks.size()) {
      return bad_ref("io record " + std::to_string(i) + " refers to stack " + std::to_string(id) + " of " +
                     std::to_string(c.stacks.size()));
    }
  }
  for (size_t i = 0; i < c.mmaps.size(); ++i) {
    const auto id = c.mmaps[i].stack;
    if (id != capture::kNoStack && id >= c.stacks.size()) {
      return bad_ref("mmap record " + std::to_string(i) + " refers to stack " + std::to_string(id) + " of " +
                     std::to_string(c.stacks.size()));
    }
  }
  for (size_t i = 0; i < c.allocs.size(); ++i) {
    const auto id = c.allocs[i].stack;
    if (id != capture::kNoStack && id >= c.stacks.size()) {
      return bad_ref("allocation record " + std::to_string(i) + " refers to stack " + std::to_string(id) +
                     " of " + std::to_string(c.stacks.size()));
    }
  }
  return {};
}

}  // namespace

const std::vector<std::string>& all_kinds() {
  static const std::vector<std::string> kinds = {"cpu",   "offcpu",     "wall",   "io",
                                                 "alloc", "alloc-live", "wakers", "mmap"};
  return kinds;
}

bool is_kind(const std::string& kind) {
  const auto& k = all_kinds();
  return std::find(k.begin(), k.end(), kind) != k.end();
}

std::vector<std::string> kinds_in_capture(const capture::Capture& c) {
  const auto& probes = c.metadata.probes;
  auto probe = [&](const char* p) { return std::find(probes.begin(), probes.end(), p) != probes.end(); };
  const bool cpu = !c.cpu_samples.empty() || probe("cpu");
  const bool offcpu = !c.offcpu.empty() || probe("offcpu");
  const bool io = !c.io_syscalls.empty() || probe("io");
  std::vector<std::string> kinds;
  if (cpu) kinds.push_back("cpu");
  if (offcpu) kinds.push_back("offcpu");
  if (cpu && offcpu) kinds.push_back("wall");
  if (io) kinds.push_back("io");
  if (!c.allocs.empty() || probe("alloc")) {
    kinds.push_back("alloc");
    kinds.push_back("alloc-live");
  }
  // --offcpu-wakers: intervals with the waker's stack.
  if (std::any_of(c.offcpu.begin(), c.offcpu.end(),
                  [](const capture::OffCpuInterval& o) { return o.waker_stack != capture::kNoStack; }))
    kinds.push_back("wakers");
  if (!c.mmaps.empty()) kinds.push_back("mmap");
  return kinds;
}

Result<Analysis> analyze(const capture::Capture& c, const AnalysisOptions& options) {
  LOADPROF_CHECK(check_refs(c));
  Analysis a;
  a.capture = capture_info(c);
  const uint64_t start_ns = c.metadata.start_monotonic_ns;

  uint64_t end_ns = 0;
  if (c.end) {
    end_ns = c.end->end_ns;
    a.interrupted = c.end->interrupted;
    a.end_reason = c.end->reason.empty() ? (a.interrupted ? "interrupted" : "duration") : c.end->reason;
    if (c.end->target_exited_ns) a.target_exited_s = rel_s(*c.end->target_exited_ns, start_ns);
  } else {
    end_ns = capture::last_data_ns(c);
    a.duration_estimated = true;
    a.end_reason = "unknown";
  }
  a.duration_s = rel_s(end_ns, start_ns);
  uint64_t from_ns = start_ns;
  uint64_t to_ns = end_ns;
  if (options.window) {
    from_ns = options.window->start_ns;
    to_ns = std::max(from_ns, options.window->end_ns);
    a.window = AnalysisWindow{rel_s(from_ns, start_ns), rel_s(to_ns, start_ns), a.duration_s};
    a.duration_s = static_cast<double>(to_ns - from_ns) / kNsPerS;
  }
  a.processes = summarize_processes(c, start_ns, end_ns);
  summarize_by_task(c, a, options);

  // A kind's count is there when its probe ran (or the capture holds its records).
  const auto& probes = c.metadata.probes;
  auto ran = [&](const char* p) { return std::find(probes.begin(), probes.end(), p) != probes.end(); };
  if (ran("cpu") || !c.cpu_samples.empty()) a.samples.cpu = c.cpu_samples.size();
  if (ran("offcpu") || !c.offcpu.empty()) {
    uint64_t n = 0;
    for (const auto& o : c.offcpu) n += o.count;
    a.samples.offcpu = n;
    a.wall = summarize_wall(c, options);
  }
  if (ran("io") || !c.io_syscalls.empty() || !c.io_devices.empty()) {
    uint64_t n = 0;  // syscalls timed, merged ones counted individually
    for (const auto& r : c.io_syscalls) n += r.count;
    a.samples.io = n;
    a.io = summarize_io(c);
    a.peers = summarize_peers(c);
  }
  if (ran("alloc") || !c.allocs.empty()) {
    a.alloc = summarize_alloc(c);
    a.samples.alloc = a.alloc ? a.alloc->recorded : 0;
  }
  const uint64_t cpu_samples = c.cpu_samples.size();

  a.kinds = kinds_in_capture(c);
  a.load = load_view(c);
  if (options.window) a.window_load = window_load(c, *options.window);
  a.cpu_accounting = summarize_accounting(c, start_ns, from_ns, to_ns);
  a.resources = resource_timeline(c);

  // Samples per (pid, stack): every later figure works on these groups, so
  // each distinct stack is walked once however many samples it has.
  std::unordered_map<uint64_t, uint64_t> by_pid_stack;
  for (const auto& s : c.cpu_samples) {
    if (s.stack == capture::kNoStack || c.stacks[s.stack].frames.empty()) {
      ++a.cpu_samples_without_stack;
      continue;
    }
    ++by_pid_stack[uint64_t{s.pid} << 32 | s.stack];
  }
  // Then per (root name, stack), in that order: processes of the same name
  // merge (as in the folded export) and every tie-break is deterministic.
  const ProcessNames names(c);
  std::map<std::pair<std::string_view, capture::StackId>, uint64_t> groups;
  for (const auto& [key, count] : by_pid_stack) {
    const std::string& root = names.name_of(static_cast<uint32_t>(key >> 32));
    groups[{root, static_cast<capture::StackId>(key & 0xffffffffu)}] += count;
  }

  std::unordered_map<std::string, FunctionAcc> functions;
  std::map<std::string, FunctionAcc> modules;  // FunctionAcc::module unused
  std::unordered_set<std::string_view> seen_modules;
  std::vector<std::string> frame_modules(c.frames.size());
  for (size_t i = 0; i < c.frames.size(); ++i) frame_modules[i] = module_of(c.frames[i]);
  std::vector<std::optional<StackShape>> shapes(c.stacks.size());
  StackQualityTally quality;
  std::vector<const capture::Frame*> frame_ptrs;
  std::map<std::string, StackStat> stacks;  // keyed by the folded string
  std::vector<std::string> frame_names(c.frames.size());
  for (size_t i = 0; i < c.frames.size(); ++i)
    frame_names[i] = folded_name(capture::frame_display_name(c.frames[i]));
  std::unordered_set<std::string_view> seen;
  for (const auto& [key, count] : groups) {
    const auto& [root, stack_id] = key;
    const capture::Stack& stack = c.stacks[stack_id];
    if (stack.truncated) a.cpu_samples_truncated += count;
    if (!shapes[stack_id]) {
      frame_ptrs.clear();
      for (capture::FrameId f : stack.frames) frame_ptrs.push_back(&c.frames[f]);
      shapes[stack_id] = stack_shape(frame_ptrs);
    }
    const StackShape& shape = *shapes[stack_id];
    quality.add(shape, stack.truncated, count);

    seen_modules.clear();
    for (size_t i = 0; i < stack.frames.size(); ++i) {
      const std::string& m = frame_modules[stack.frames[i]];
      FunctionAcc& acc = modules[m];
      if (i == 0) acc.self += count;
      if (seen_modules.insert(m).second) acc.total += count;
    }

    seen.clear();
    for (size_t i = 0; i < stack.frames.size(); ++i) {
      const capture::FrameId f = stack.frames[i];
      const std::string& name = frame_names[f];
      auto [it, inserted] = functions.try_emplace(name);
      if (inserted) it->second.module = c.frames[f].module;
      if (i == 0) it->second.self += count;
      if (seen.insert(name).second) it->second.total += count;  // once per stack under recursion
    }

    std::string folded(root);
    std::vector<std::string> frames;
    frames.reserve(stack.frames.size() + 1);
    frames.emplace_back(root);
    for (auto it = stack.frames.rbegin(); it != stack.frames.rend(); ++it) {
      folded += ';';
      folded += frame_names[*it];
      frames.push_back(frame_names[*it]);
    }
    StackStat& st = stacks[folded];
    if (st.frames.empty()) st.frames = std::move(frames);
    st.samples += count;
    const bool early = options.judge_stack_shapes && shape.stopped_early;
    st.truncated = st.truncated || stack.truncated || early;
    st.stopped_early = st.stopped_early || early;
  }
  a.stack_quality = quality.finish();
  a.unwind = c.unwind;
  for (const auto& [name, acc] : modules) {
    ModuleCpu m;
    m.module = name;
    m.self_samples = acc.self;
    m.total_samples = acc.total;
    m.self_pct = pct(acc.self, cpu_samples);
    m.total_pct = pct(acc.total, cpu_samples);
    a.by_module.push_back(std::move(m));
  }
  std::stable_sort(a.by_module.begin(), a.by_module.end(), [](const ModuleCpu& x, const ModuleCpu& y) {
    if (x.self_samples != y.self_samples) return x.self_samples > y.self_samples;
    return x.total_samples > y.total_samples;
  });
  if (a.by_module.size() > options.top_modules) a.by_module.resize(options.top_modules);

  a.top_self = top_by(functions, cpu_samples, true, options.top_functions);
  a.top_total = top_by(functions, cpu_samples, false, options.top_functions);

  std::vector<StackStat> all_stacks;
  all_stacks.reserve(stacks.size());
  for (auto& [folded, st] : stacks) all_stacks.push_back(std::move(st));
  // stacks is ordered by folded string, so the stable sort breaks ties by it.
  std::stable_sort(all_stacks.begin(), all_stacks.end(),
                   [](const StackStat& x, const StackStat& y) { return x.samples > y.samples; });
  if (all_stacks.size() > options.top_stacks) all_stacks.resize(options.top_stacks);
  for (auto& st : all_stacks) st.pct = pct(st.samples, cpu_samples);
  a.top_stacks = std::move(all_stacks);

  a.lost = summarize_lost(c, a.cpu_samples_truncated);
  a.correlation = correlate(c, options.correlation);
  a.capacity_model = capacity_model(c);
  a.verdict = classify_bottlenecks(c, a);  // reads the figures above

  if (a.capture.truncated) {
    a.warnings.push_back("capture truncated at offset " + std::to_string(a.capture.damage_offset) +
                         (a.capture.damage.empty() ? "" : " (" + a.capture.damage + ")") +
                         ": this report covers the data before it");
  } else if (!a.capture.complete) {
    a.warnings.push_back(
        "capture has no end record (the recorder stopped before finishing it): "
        "duration estimated from the last data");
  }
  if (auto w = stack_quality_warning(a.stack_quality)) a.warnings.push_back(std::move(*w));
  if (uint64_t raw = samples_with_unsymbolized_stacks(c); raw > 0) {
    a.warnings.push_back(
        std::to_string(raw) + " cpu samples (" + format_pct(pct(raw, cpu_samples)) +
        " %) have stacks the recorder had not symbolized when it stopped (killed before the end?): "
        "they show raw addresses");
  }
  if (a.capture.chunks_skipped_unknown > 0) {
    a.warnings.push_back(std::to_string(a.capture.chunks_skipped_unknown) +
                         " chunks of unknown type skipped (written by a newer loadprof?)");
  }
  return a;
}

capture::Capture group_by_module(const capture::Capture& c) {
  capture::Capture out = c;
  out.frames.clear();
  std::map<std::pair<std::string, bool>, capture::FrameId> ids;
  std::vector<capture::FrameId> remap(c.frames.size());
  for (size_t i = 0; i < c.frames.size(); ++i) {
    const capture::Frame& f = c.frames[i];
    std::string name = module_of(f);
    if (f.kernel && name == "[kernel]") name = "kernel";
    auto [it, inserted] = ids.try_emplace({name, f.kernel}, static_cast<capture::FrameId>(out.frames.size()));
    if (inserted) {
      capture::Frame m;
      m.function = name;
      m.module = module_of(f);
      m.kernel = f.kernel;
      out.frames.push_back(std::move(m));
    }
    remap[i] = it->second;
  }
  std::vector<const capture::Frame*> ptrs;
  for (auto& stack : out.stacks) {
    // A stack that stopped early stays marked once its function names are gone.
    ptrs.clear();
    for (capture::FrameId f : stack.frames) {
      if (f < c.frames.size()) ptrs.push_back(&c.frames[f]);
    }
    stack.truncated = stack.truncated || stack_shape(ptrs).stopped_early;
    std::vector<capture::FrameId> frames;
    frames.reserve(stack.frames.size());
    for (capture::FrameId f : stack.frames) {
      if (f >= remap.size()) return c;  // a bad reference: analyze() reports it on the original
      if (frames.empty() || frames.back() != remap[f]) frames.push_back(remap[f]);
    }
    stack.frames = std::move(frames);
  }
  return out;
}

const std::array<const char*, kOffCpuReasons>& offcpu_reason_names() {
  static const std::array<const char*, kOffCpuReasons> names = {"runqueue", "lock",  "disk",       "network",
                                                                "pipe",     "sleep", "page_fault", "other"};
  return names;
}

double WallTime::total_ms() const {
  double t = on_cpu_ms;
  for (double ms : offcpu_ms) t += ms;
  return t;
}

}  // namespace loadprof::analyze
