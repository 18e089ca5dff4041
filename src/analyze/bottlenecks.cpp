// Bottleneck classification (bottlenecks.h) over the analysis's figures: the
// slowest requests' attributed time (correlation), the slow windows, the
// per-stage CPU, the off-CPU reasons, the kernel's share of the CPU samples.
#include "loadprof/analyze/bottlenecks.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <unordered_map>

#include "loadprof/analyze/analysis.h"
#include "loadprof/capture/folded.h"
#include "own_code.h"

namespace loadprof::analyze {
namespace {

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}
std::string num(double v) { return fmt(v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.2f", v); }

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

class FrameModules {
 public:
  explicit FrameModules(const capture::Capture& c) {
    for (const auto& f : c.frames)
      modules_.emplace(capture::frame_display_name(f), f.kernel ? "[kernel]" : f.module);
  }
  // The frame is our target's code: not the kernel's, the C runtime's, an
  // off-CPU reason leaf or a process root.
  bool own_code(const std::string& frame) const {
    if (frame.empty() || frame[0] == '[' || ends_with(frame, "_[k]")) return false;
    auto it = modules_.find(frame);
    return it != modules_.end() && !is_system_module(it->second);
  }

 private:
  std::unordered_map<std::string, std::string> modules_;
};

std::vector<std::string> split(const std::string& stack) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : stack) {
    if (ch == ';') {
      out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += ch;
    }
  }
  out.push_back(std::move(cur));
  return out;
}

// The heaviest folded lines holding `frame` (and `leaf` as their last frame when given).
std::vector<std::string> stacks_with(const std::vector<capture::FoldedLine>& lines, const std::string& frame,
                                     const std::string& leaf = {}) {
  std::vector<const capture::FoldedLine*> hits;
  for (const auto& l : lines) {
    auto frames = split(l.stack);
    if (!leaf.empty() && frames.back() != leaf) continue;
    if (std::find(frames.begin(), frames.end(), frame) != frames.end()) hits.push_back(&l);
  }
  std::stable_sort(hits.begin(), hits.end(), [](auto* a, auto* b) { return a->count > b->count; });
  std::vector<std::string> out;
  for (size_t i = 0; i < hits.size() && i < kBottleneckStacks; ++i)
    out.push_back(hits[i]->stack + " " + std::to_string(hits[i]->count));
  return out;
}

// The slowest requests (latency >= the correlation's p99 threshold) and their
// summed latency, from the intended send as the correlation counts it.
struct SlowTime {
  uint64_t requests = 0;
  double total_ms = 0;
};

SlowTime slow_time(const capture::Capture& c, double threshold_ms) {
  SlowTime t;
  for (const auto& r : c.requests) {
    if (r.stage == capture::kWarmupStage || r.end_ns < r.intended_start_ns) continue;
    const double ms = static_cast<double>(r.end_ns - r.intended_start_ns) / 1e6;
    if (ms >= threshold_ms) {
      ++t.requests;
      t.total_ms += ms;
    }
  }
  return t;
}

std::string p99_gain(double p99_ms, double part) {
  return "p99 -" + fmt("%.0f", 100 * part) + " % (from " + num(p99_ms) + " ms to about " +
         num(p99_ms * (1 - part)) + " ms)";
}

struct ReasonKind {
  const char* frame;
  const char* kind;
  const char* what;
};
const ReasonKind kReasonKinds[] = {
    {"[offcpu:lock]", "lock", "waiting for a lock (futex)"},
    {"[offcpu:disk]", "io", "waiting for the disk"},
    {"[offcpu:network]", "network", "waiting on a socket"},
    {"[offcpu:runqueue]", "runqueue", "runnable, waiting for a CPU"},
};

std::string recommendation_for(const std::string& kind, const std::string& frame) {
  const std::string f = frame.empty() ? std::string("the request path") : "`" + frame + "`";
  if (kind == "cpu")
    return "make " + f +
           " cheaper on the requests that reach it (cache its result, do less work per call, or move it off "
           "the request path)";
  if (kind == "lock")
    return "shorten the critical section that " + f +
           " waits for, or split the lock so requests stop queueing on it";
  if (kind == "io")
    return "take the disk wait out of " + f +
           " (batch or group-commit the writes/fsyncs, or make them asynchronous)";
  if (kind == "network")
    return "cut the socket round trips made in " + f + " (batch, pipeline, or keep the connection warm)";
  if (kind == "runqueue")
    return "the slowest requests waited for a CPU" + (frame.empty() ? std::string() : " in " + f) +
           ": give the target CPUs of its own (cpuset/taskset away from other work) or run fewer busy "
           "threads "
           "than cores";
  return "";
}

// cpu, lock, io, network, runqueue from the slowest requests' attributed time.
void from_slow_requests(const capture::Capture& c, const Analysis& a, const FrameModules& own,
                        std::vector<Bottleneck>& out) {
  const auto& sr = *a.correlation->slow_requests;
  const SlowTime slow = slow_time(c, sr.latency_threshold_ms);
  if (slow.requests == 0 || slow.total_ms <= 0) return;
  const double hz = c.metadata.frequency_hz ? c.metadata.frequency_hz : 1000.0;
  const double cpu_ms = 1000.0 * static_cast<double>(sr.slow_samples) / hz;
  const double p99 = sr.latency_threshold_ms;
  const std::string slow_desc =
      std::to_string(slow.requests) + " slowest requests (>= p99 " + num(p99) + " ms)";
  const auto kind_ms = [&](const RequestFunction& f) { return f.kind == "cpu" ? cpu_ms : sr.slow_offcpu_ms; };
  // The function of ours to name for a grown entry: the narrowest own-code
  // frame of the same kind that holds nearly all of the entry's share.
  const auto owner = [&](const RequestFunction& top) -> const RequestFunction* {
    if (own.own_code(top.frame)) return &top;
    const RequestFunction* best = nullptr;
    for (const auto& g : sr.functions)
      if (g.kind == top.kind && own.own_code(g.frame) && g.growth_pct_points >= 0.8 * top.growth_pct_points &&
          g.slow_share_pct >= 0.8 * top.slow_share_pct && (!best || g.slow_share_pct < best->slow_share_pct))
        best = &g;
    return best;
  };
  // cpu: the first cpu entry (the list leads with the largest weighted growth, narrowest first).
  for (const auto& f : sr.functions) {
    if (f.kind != "cpu") continue;
    if (f.growth_pct_points < kMinGrowthPctPoints || sr.slow_samples < kMinSlowSamples) break;
    const double fn_ms = f.slow_share_pct / 100 * cpu_ms;
    const double part = std::min(1.0, fn_ms / slow.total_ms);
    if (100 * part < kMinSlowTimeSharePct && f.growth_pct_points < kDominantGrowthPctPoints) break;
    const RequestFunction* o = owner(f);
    Bottleneck b;
    b.kind = "cpu";
    b.frame = o ? o->frame : f.frame;
    b.share_pct = 100 * part;
    b.share_of = "the slowest requests' summed latency";
    b.evidence = "`" + f.frame + "` is in " + num(f.slow_share_pct) + " % of the CPU samples of the " +
                 slow_desc + " against " + num(f.median_share_pct) + " % of the median requests' (" +
                 num(fn_ms) + " ms of their summed " + num(slow.total_ms) + " ms)" +
                 (o && o->frame != f.frame ? ", called from `" + o->frame + "`" : "");
    b.recommendation = recommendation_for("cpu", b.frame);
    b.gain_pct = 100 * part;
    b.estimated_gain = p99_gain(p99, part);
    b.per_slow_request_ms = fn_ms / static_cast<double>(slow.requests);
    b.stacks = stacks_with(a.correlation->slow_requests_folded, f.frame);
    out.push_back(std::move(b));
    break;
  }
  for (const auto& rk : kReasonKinds) {
    auto it = std::find_if(sr.functions.begin(), sr.functions.end(), [&](const RequestFunction& f) {
      return f.kind == "offcpu" && f.frame == rk.frame;
    });
    if (it == sr.functions.end() || it->growth_pct_points < kMinGrowthPctPoints) continue;
    const double wait_ms = it->slow_share_pct / 100 * kind_ms(*it);
    const double part = std::min(1.0, wait_ms / slow.total_ms);
    if (100 * part < kMinSlowTimeSharePct) continue;
    if (wait_ms / static_cast<double>(slow.requests) < kMinWaitPerSlowRequestMs) continue;
    const RequestFunction* o = owner(*it);
    Bottleneck b;
    b.kind = rk.kind;
    b.frame = o ? o->frame : "";
    b.share_pct = 100 * part;
    b.share_of = "the slowest requests' summed latency";
    b.evidence = "the " + slow_desc + " spent " + num(wait_ms) + " ms of their " + num(slow.total_ms) +
                 " ms " + rk.what + " (" + num(it->slow_share_pct) + " % of their off-CPU time against " +
                 num(it->median_share_pct) + " % of the median requests')" +
                 (o ? ", in `" + o->frame + "`" : "");
    if (rk.kind == std::string("runqueue") && a.cpu_accounting)
      b.evidence += "; over the run, other processes took " + num(a.cpu_accounting->all.other_pct) +
                    " % of the machine's CPU samples and the target " +
                    num(a.cpu_accounting->all.target_pct) + " %";
    if (rk.kind == std::string("io") && a.io) {
      for (const auto& s : a.io->syscalls)
        if (s.fd_kind == "file") {
          b.evidence += "; top file syscall: " + s.name + " x" + std::to_string(s.count) + ", p99 " +
                        num(s.latency_ms.p99) + " ms";
          break;
        }
    }
    b.recommendation = recommendation_for(rk.kind, b.frame);
    b.gain_pct = 100 * part;
    b.estimated_gain = p99_gain(p99, part);
    b.per_slow_request_ms = wait_ms / static_cast<double>(slow.requests);
    if (auto lines = capture::folded_stacks(c, "offcpu"); lines)
      b.stacks = stacks_with(*lines, b.frame, rk.frame);
    out.push_back(std::move(b));
  }
}

// cpu from slow windows when no request could be given its samples.
void from_slow_windows(const Analysis& a, const FrameModules& own, std::vector<Bottleneck>& out) {
  const auto& corr = *a.correlation;
  if (corr.slow_windows == 0 || corr.fast_windows == 0) return;
  for (const auto& f : corr.stacks) {
    if (f.kind != "cpu") continue;
    if (f.growth_pct_points < kMinGrowthPctPoints) break;
    std::string frame = f.frame;
    if (!own.own_code(frame))
      for (const auto& g : corr.stacks)
        if (g.kind == "cpu" && own.own_code(g.frame) && g.growth_pct_points >= 0.8 * f.growth_pct_points) {
          frame = g.frame;
          break;
        }
    Bottleneck b;
    b.kind = "cpu";
    b.frame = frame;
    b.share_pct = f.slow_share_pct;
    b.share_of = "the target's CPU samples in slow windows";
    b.evidence = "`" + f.frame + "` holds " + num(f.slow_share_pct) +
                 " % of the target's CPU samples in the " + std::to_string(corr.slow_windows) +
                 " slow seconds (p99 > " + num(corr.slow_threshold_ms.value_or(0)) + " ms) against " +
                 num(f.fast_share_pct) + " % in the " + std::to_string(corr.fast_windows) + " fast ones";
    b.recommendation = recommendation_for("cpu", frame);
    b.gain_pct = f.growth_pct_points;
    b.estimated_gain = "the slow seconds' CPU work -" + fmt("%.0f", f.growth_pct_points) + " % if `" + frame +
                       "` took no more of it than in the fast seconds (Amdahl on the CPU share)";
    b.stacks = stacks_with(corr.slow_windows_folded, f.frame);
    out.push_back(std::move(b));
    return;
  }
}

// cpu_saturation: the busiest stage's target CPU against the cores, or one
// thread against its one CPU.
void cpu_saturation(const Analysis& a, std::vector<Bottleneck>& out) {
  const double cores = a.capture.cpu_count;
  if (cores <= 0 || !a.samples.cpu) return;
  std::string where = "the run";
  double total_cpu = 0;
  for (const auto& p : a.by_process) total_cpu += p.cpu_pct;
  double busiest = total_cpu;
  if (a.load) {
    for (size_t i = 0; i < a.load->stages.size(); ++i) {
      const auto& st = a.load->stages[i];
      if (st.target_cpu_pct && *st.target_cpu_pct > busiest) {
        busiest = *st.target_cpu_pct;
        where = "stage " + std::to_string(i + 1);
      }
    }
  }
  const double of_cores = busiest / cores;  // busiest is % of one CPU
  if (of_cores >= kSaturatedCpuPct) {
    Bottleneck b;
    b.kind = "cpu_saturation";
    b.frame = a.top_total.empty() ? "" : a.top_total.front().name;
    b.share_pct = std::min(100.0, of_cores);
    b.share_of = "the machine's CPUs";
    b.evidence = "the target used " + num(busiest / 100) + " CPUs of " + fmt("%.0f", cores) + " in " + where +
                 " (" + num(of_cores) + " %)";
    if (a.cpu_accounting)
      b.evidence += "; others took " + num(a.cpu_accounting->all.other_pct) + " % of all samples";
    b.recommendation = "add CPU, or make the hottest code cheaper" +
                       (b.frame.empty() ? std::string()
                                        : " (`" + b.frame + "` is on " + num(a.top_total.front().total_pct) +
                                              " % of the samples)");
    b.gain_pct = 100.0 / cores;
    b.estimated_gain = "throughput +" + fmt("%.0f", 100.0 / cores) +
                       " % per added core while CPU-bound (Amdahl: " + fmt("%.0f", cores) + " -> " +
                       fmt("%.0f", cores + 1) + " CPUs)";
    out.push_back(std::move(b));
    return;
  }
  // One thread on a CPU all the time: it cannot go faster however many cores there are.
  for (const auto& t : a.by_thread) {
    if (t.cpu_pct < kSaturatedCpuPct) break;
    Bottleneck b;
    b.kind = "cpu_saturation";
    b.frame = t.comm;
    b.share_pct = std::min(100.0, t.cpu_pct);
    b.share_of = "one CPU (a thread runs on one at a time)";
    b.evidence = "thread " + std::to_string(t.tid) + " (" + t.comm + ") was on a CPU " + num(t.cpu_pct) +
                 " % of the capture";
    b.recommendation =
        "spread the work of thread `" + t.comm + "` over more threads, or make its hottest code cheaper";
    b.gain_pct = 100.0 * std::max(0.0, cores - 1) / std::max(1.0, cores);
    b.estimated_gain = "up to " + fmt("%.0f", cores) + "x its throughput if its work spread over the " +
                       fmt("%.0f", cores) + " CPUs";
    out.push_back(std::move(b));
    return;
  }
}

// runqueue from the wall time, for a capture whose off-CPU time could not be
// given to requests: only while the target is busy (a near-idle target's
// few runnable moments queue behind whatever else the machine runs, and that
// does not constrain it).
void runqueue_from_wall(const Analysis& a, std::vector<Bottleneck>& out) {
  if (!a.wall || a.duration_s <= 0) return;
  const double on = a.wall->total.on_cpu_ms, rq = a.wall->total.offcpu_ms[0];
  if (100 * on / (1000 * a.duration_s) < kBusyCpuPctOfOneCpu) return;
  if (on <= 0 || 100 * rq / on < kRunqueuePctOfOnCpu) return;
  Bottleneck b;
  b.kind = "runqueue";
  const ThreadWall* worst = nullptr;
  for (const auto& t : a.wall->threads)
    if (!worst || t.time.offcpu_ms[0] > worst->time.offcpu_ms[0]) worst = &t;
  b.frame = worst ? worst->comm : "";
  b.share_pct = 100 * rq / (on + rq);
  b.share_of = "the time the target's threads were runnable";
  b.evidence = "threads waited " + num(rq) + " ms for a CPU against " + num(on) + " ms on one (" +
               num(100 * rq / on) + " %)";
  if (a.cpu_accounting)
    b.evidence += "; other processes took " + num(a.cpu_accounting->all.other_pct) + " % of the samples";
  b.recommendation =
      "the target is CPU-starved: run fewer busy threads than cores, or move other work off its CPUs";
  b.gain_pct = b.share_pct;
  b.estimated_gain = "runnable time -" + fmt("%.0f", b.share_pct) + " % if no thread waited for a CPU";
  out.push_back(std::move(b));
}

// syscall: the kernel leads the target's CPU samples while it is busy.
void syscall_heavy(const capture::Capture& c, const Analysis& a, const FrameModules& own,
                   std::vector<Bottleneck>& out) {
  double total_cpu = 0;
  for (const auto& p : a.by_process) total_cpu += p.cpu_pct;
  if (total_cpu < kBusyCpuPctOfOneCpu) return;
  auto k = std::find_if(a.by_module.begin(), a.by_module.end(),
                        [](const ModuleCpu& m) { return m.module == "[kernel]"; });
  if (k == a.by_module.end() || k->self_pct < kSyscallKernelPct) return;
  // The caller of ours that spends the most kernel time: the deepest own frame of kernel-leaf stacks.
  std::map<std::string, uint64_t> callers;
  if (auto lines = capture::folded_stacks(c, "cpu"); lines)
    for (const auto& l : *lines) {
      auto frames = split(l.stack);
      if (!ends_with(frames.back(), "_[k]")) continue;
      for (size_t i = frames.size(); i-- > 1;)
        if (own.own_code(frames[i])) {
          callers[frames[i]] += l.count;
          break;
        }
    }
  std::string caller;
  uint64_t most = 0;
  for (const auto& [f, n] : callers)
    if (n > most) {
      most = n;
      caller = f;
    }
  Bottleneck b;
  b.kind = "syscall";
  b.frame = caller;
  b.share_pct = k->self_pct;
  b.share_of = "the target's CPU samples";
  b.evidence = "the kernel is the leaf of " + num(k->self_pct) +
               " % of the target's CPU samples while it used " + num(total_cpu / 100) + " CPUs" +
               (caller.empty() ? "" : "; most of it under `" + caller + "`");
  b.recommendation =
      caller.empty() ? "make fewer, larger system calls (batch reads/writes, writev, fewer polls)"
                     : "make fewer, larger system calls in `" + caller + "` (batch, writev, bigger buffers)";
  b.gain_pct = k->self_pct / 2;
  b.estimated_gain = "CPU -" + fmt("%.0f", k->self_pct / 2) +
                     " % if batching halved the kernel's part (Amdahl on " + num(k->self_pct) + " %)";
  out.push_back(std::move(b));
}

// downstream: a peer the target waited on as a client (a database, a cache,
// another service), from the io probe's sockets. The wait is set against the
// summed latency of every request of the load run; round trips per request
// are per scenario step when the server's exchanges were joined to the
// requests (else per request of the whole mix), and batching a step's N round
// trips into one would save (N-1)/N of that step's wait.
void downstream(const capture::Capture& c, const Analysis& a, std::vector<Bottleneck>& out) {
  if (!a.peers || a.peers->requests == 0) return;
  double summed_ms = 0;
  for (const auto& r : c.requests)
    if (r.end_ns > r.intended_start_ns)
      summed_ms += static_cast<double>(r.end_ns - r.intended_start_ns) / 1e6;
  if (summed_ms <= 0) return;
  for (const auto& p : a.peers->peers) {
    if (p.role != "client" || p.round_trips == 0 || !p.round_trips_per_request) continue;
    const double share = 100.0 * p.wait_ms / summed_ms;
    if (share < kMinSlowTimeSharePct) continue;
    const double rtt_ms = p.wait_ms / static_cast<double>(p.round_trips);
    // Per step when the served exchanges were joined to requests (the step
    // with the most round trips per request names the pattern), else per
    // request of the whole mix.
    double per_request = *p.round_trips_per_request;
    std::string per_what = "request";
    double saved_by_steps = 0;
    if (!p.by_step.empty()) {
      const StepRoundTrips& top = p.by_step.front();
      per_request = top.round_trips_per_request;
      per_what = (top.path.empty() ? top.step : top.path) + " request";
      for (const auto& st : p.by_step)
        if (st.round_trips_per_request >= kNPlusOneRoundTrips)
          saved_by_steps += 100.0 * st.wait_ms / summed_ms * (1.0 - 1.0 / st.round_trips_per_request);
    }
    Bottleneck b;
    b.kind = "downstream";
    b.frame = p.address;
    b.share_pct = std::min(100.0, share);
    b.share_of = "the requests' summed latency";
    b.evidence = num(per_request) + " round trips per " + per_what + " to " + p.address + " (" + p.protocol +
                 ", " + std::to_string(p.round_trips) + " in all, " + num(rtt_ms) +
                 " ms each on average): " + num(p.wait_ms) + " ms of waiting, " + num(share) +
                 " % of the requests' summed latency";
    const bool n_plus_one = per_request >= kNPlusOneRoundTrips;
    const double saved = !n_plus_one         ? share / 2
                         : p.by_step.empty() ? share * (1.0 - 1.0 / per_request)
                                             : std::min(share, saved_by_steps);
    b.recommendation = n_plus_one ? "batch the " + fmt("%.0f", per_request) + " round trips per " + per_what +
                                        " to " + p.address + " into one (an N+1 pattern)"
                                  : "make " + p.address + " answer faster or call it less (" + num(rtt_ms) +
                                        " ms per round trip)";
    b.gain_pct = saved;
    b.estimated_gain =
        "mean latency -" + fmt("%.0f", saved) + " % (" +
        (n_plus_one ? fmt("%.0f", per_request) + " round trips of " + num(rtt_ms) + " ms down to one"
                    : std::string("half the wait on this peer")) +
        "; Amdahl on its " + num(share) + " % of the requests' time)";
    out.push_back(std::move(b));
  }
}

// leak: the alloc probe's suspects whose live bytes grew steadily.
void leaks(const Analysis& a, std::vector<Bottleneck>& out) {
  if (!a.alloc) return;
  for (const auto& s : a.alloc->leaks) {
    Bottleneck b;
    b.kind = "leak";
    b.frame = s.frame;
    b.share_pct = a.alloc->live_bytes_end ? std::min(100.0, 100.0 * static_cast<double>(s.live_bytes_end) /
                                                                static_cast<double>(a.alloc->live_bytes_end))
                                          : 0;
    b.share_of = "the live bytes tracked at the end";
    b.evidence = "live bytes allocated in `" + s.frame + "` grew by " + num(s.growth_bytes_per_s / 1024) +
                 " KiB/s (R² " + fmt("%.2f", s.r2) + ", " + s.confidence + " confidence), " +
                 num(static_cast<double>(s.live_bytes_end) / 1024) + " KiB still live at the end";
    b.recommendation =
        s.recommendation.empty() ? "free what `" + s.frame + "` allocates, or bound it" : s.recommendation;
    const double per_hour_mib = s.growth_bytes_per_s * 3600 / (1024 * 1024);
    b.estimated_gain = "memory growth -" + num(per_hour_mib) + " MiB/hour";
    // The part of the live memory that would stop growing; leaks rank first
    // whatever their gain (a leak ends the service, whatever its latency).
    b.gain_pct = b.share_pct;
    std::string folded;  // root first, like the other kinds' stacks
    for (auto f = s.frames.rbegin(); f != s.frames.rend(); ++f) folded += (folded.empty() ? "" : ";") + *f;
    if (!folded.empty()) b.stacks.push_back(std::move(folded));
    out.push_back(std::move(b));
  }
}

// cpu, lock, io, network per endpoint of a mix: a hot path only some
// requests take stays behind the others' waits among the slowest requests of
// the whole run, but it is most of its own endpoint's time.
void from_endpoints(const capture::Capture& c, const Analysis& a, std::vector<Bottleneck>& out) {
  struct KindOf {
    const char* part;
    const char* kind;
    const char* what;
  };
  static const KindOf kKinds[] = {{"cpu", "cpu", "on the CPU"},
                                  {"lock", "lock", "waiting for a lock (futex)"},
                                  {"disk", "io", "waiting for the disk"},
                                  {"network", "network", "waiting on a socket"}};
  const bool downstream_named =
      std::any_of(out.begin(), out.end(), [](const Bottleneck& b) { return b.kind == "downstream"; });
  const auto named = [&](const std::string& kind, const std::string& frame) {
    return std::any_of(out.begin(), out.end(),
                       [&](const Bottleneck& b) { return b.kind == kind && b.frame == frame; });
  };
  std::vector<Bottleneck> found;
  for (const auto& e : a.correlation->endpoints) {
    if (e.requests < kEndpointMinRequests || e.attributed_pct < kEndpointMinAttributedPct) continue;
    for (const auto& p : e.parts) {
      if (p.share_pct < kEndpointPartPct || p.frame.empty()) continue;
      const KindOf* k = nullptr;
      for (const auto& kk : kKinds)
        if (p.kind == kk.part) k = &kk;
      // A socket wait is the peer's when the peers name one (downstream).
      if (!k || (p.kind == std::string("network") && downstream_named) || named(k->kind, p.frame)) continue;
      Bottleneck b;
      b.kind = k->kind;
      b.frame = p.frame;
      b.share_pct = std::min(100.0, p.share_pct);
      b.share_of = "the " + e.name + " requests' summed latency";
      const double per_request_ms = p.ms / static_cast<double>(e.requests);
      b.evidence = "the " + std::to_string(e.requests) + " " + e.name + " requests (" +
                   num(e.share_of_all_pct) + " % of all requests' summed latency; mean " + num(e.mean_ms) +
                   " ms, p99 " + num(e.p99_ms) + " ms) spent " + num(p.share_pct) + " % of their time " +
                   k->what + " in `" + p.frame + "` (" + num(per_request_ms) + " ms per request)";
      b.recommendation = recommendation_for(b.kind, b.frame);
      const double part = std::min(1.0, p.share_pct / 100);
      b.gain_pct = e.share_of_all_pct * part;
      b.estimated_gain = e.name + " mean latency -" + fmt("%.0f", 100 * part) + " % (from " + num(e.mean_ms) +
                         " ms to about " + num(e.mean_ms * (1 - part)) + " ms; " + num(b.gain_pct) +
                         " % of all requests' summed latency)";
      const bool on_cpu = b.kind == "cpu";
      if (auto lines = capture::folded_stacks(c, on_cpu ? "cpu" : "offcpu"); lines)
        b.stacks = stacks_with(*lines, b.frame, on_cpu ? "" : "[offcpu:" + p.kind + "]");
      found.push_back(std::move(b));
    }
  }
  for (auto& b : found) out.push_back(std::move(b));
}

}  // namespace

BottleneckVerdict classify_bottlenecks(const capture::Capture& c, const Analysis& a) {
  BottleneckVerdict v;
  const FrameModules own(c);
  std::vector<Bottleneck> found;
  const bool requests = a.correlation.has_value();
  const bool offcpu = a.wall.has_value();
  if (requests && a.correlation->slow_requests) from_slow_requests(c, a, own, found);
  // The slow seconds only when no request could be given samples: the
  // slowest requests' own samples are the better evidence when there are any.
  if (requests && !a.correlation->slow_requests) from_slow_windows(a, own, found);
  cpu_saturation(a, found);
  if (!requests || !a.correlation->slow_requests) runqueue_from_wall(a, found);
  syscall_heavy(c, a, own, found);
  downstream(c, a, found);
  if (requests) from_endpoints(c, a, found);
  leaks(a, found);
  std::stable_sort(found.begin(), found.end(), [](const Bottleneck& x, const Bottleneck& y) {
    const bool xl = x.kind == "leak", yl = y.kind == "leak";
    if (xl || yl) return xl && !yl;  // leaks first, in the suspects' order (growth)
    return x.gain_pct > y.gain_pct;
  });
  v.bottlenecks = std::move(found);

  if (!requests)
    v.not_checked.push_back(
        {"cpu", "no request log (a record capture): which function grows with latency needs `bench`"});
  if (!offcpu) {
    for (const char* k : {"lock", "io", "network"})
      v.not_checked.push_back({k, "needs the offcpu probe (--probes cpu,offcpu)"});
    v.not_checked.push_back({"runqueue", "needs the offcpu probe (--probes cpu,offcpu)"});
  } else if (!requests || !a.correlation->slow_requests) {
    for (const char* k : {"lock", "io", "network"})
      v.not_checked.push_back(
          {k, "no off-CPU time could be given to requests (needs bench and threads serving one connection)"});
  }
  if (!a.peers)
    v.not_checked.push_back({"downstream", "needs the io probe's sockets (--probes cpu,io)"});
  else if (a.peers->requests == 0)
    v.not_checked.push_back({"downstream", "round trips per request need a load run in the capture (bench)"});
  const bool alloc = a.alloc.has_value();
  if (!alloc) {
    v.not_checked.push_back({"alloc", "needs the alloc probe (not in this capture)"});
    v.not_checked.push_back({"leak", "needs the alloc probe's live bytes over time (not in this capture)"});
  } else {
    v.not_checked.push_back({"alloc", "allocation-heavy code is not classified yet (see the alloc section)"});
  }

  if (!v.bottlenecks.empty()) {
    const auto& top = v.bottlenecks.front();
    v.summary = top.kind + (top.frame.empty() ? "" : " in `" + top.frame + "`") + ": " + top.estimated_gain;
  } else {
    std::string looked;
    if (a.correlation && a.correlation->slow_requests)
      looked += "slowest requests (>= p99 " + num(a.correlation->slow_requests->latency_threshold_ms) +
                " ms) show no function or wait growing by >= " + fmt("%.0f", kMinGrowthPctPoints) + " points";
    double total_cpu = 0;
    for (const auto& p : a.by_process) total_cpu += p.cpu_pct;
    if (a.samples.cpu && a.capture.cpu_count > 0) {
      if (!looked.empty()) looked += "; ";
      looked += "target CPU " + num(total_cpu / 100) + " of " + std::to_string(a.capture.cpu_count) + " CPUs";
    }
    v.summary = "no clear constraint" + (looked.empty() ? std::string() : ": " + looked);
  }
  return v;
}

}  // namespace loadprof::analyze
