// Latency <-> stack correlation: windows of the request log, function shares
// per window, slow against fast windows, rank correlations, and samples
// attributed to the requests in flight (see correlation.h for the rules).
#include "loadprof/analyze/correlation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>
#include <set>
#include <unordered_map>

#include "loadprof/stats/rank_correlation.h"
#include "names.h"
#include "sorted_percentile.h"

namespace loadprof::analyze {
namespace {

constexpr double kNsPerMs = 1e6;
constexpr double kNsPerS = 1e9;

double pct(double part, double whole) { return whole <= 0 ? 0.0 : 100.0 * part / whole; }

double ms(uint64_t ns) { return static_cast<double>(ns) / kNsPerMs; }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// Function names as the folded export writes them, interned: each stack maps
// to the distinct functions it holds (once per stack under recursion).
class FunctionTable {
 public:
  explicit FunctionTable(const capture::Capture& c)
      : c_(c), per_stack_(c.stacks.size()), done_(c.stacks.size()) {
    frame_ids_.reserve(c.frames.size());
    for (const auto& f : c.frames) frame_ids_.push_back(intern(folded_name(capture::frame_display_name(f))));
  }

  const std::vector<uint32_t>& of_stack(capture::StackId id) {
    if (!done_[id]) {
      std::vector<uint32_t>& fns = per_stack_[id];
      const auto& frames = c_.stacks[id].frames;
      for (size_t i = 0; i < frames.size(); ++i) {
        fns.push_back(frame_ids_[frames[i]]);
        note_depth(fns.back(), static_cast<uint32_t>(frames.size() - i));  // leaf first: the root is 1
      }
      std::sort(fns.begin(), fns.end());
      fns.erase(std::unique(fns.begin(), fns.end()), fns.end());
      done_[id] = true;
    }
    return per_stack_[id];
  }

  uint32_t intern(const std::string& name) {
    auto [it, inserted] = ids_.try_emplace(name, static_cast<uint32_t>(names_.size()));
    if (inserted) names_.push_back(name);
    return it->second;
  }

  // The deepest place from the root a function was seen at: between a
  // function and the caller that only calls it (equal shares), the callee is
  // the one that does the work.
  void note_depth(uint32_t id, uint32_t depth) {
    if (depth_.size() <= id) depth_.resize(id + 1, 0);
    depth_[id] = std::max(depth_[id], depth);
  }
  uint32_t depth(const std::string& name) const {
    auto it = ids_.find(name);
    return it == ids_.end() || it->second >= depth_.size() ? 0 : depth_[it->second];
  }

  const std::string& name(uint32_t id) const { return names_[id]; }
  size_t size() const { return names_.size(); }

 private:
  const capture::Capture& c_;
  std::vector<uint32_t> frame_ids_;
  std::vector<std::vector<uint32_t>> per_stack_;
  std::vector<bool> done_;
  std::unordered_map<std::string, uint32_t> ids_;
  std::vector<std::string> names_;
  std::vector<uint32_t> depth_;
};

// One kind's weight per window: the total and per function.
struct KindWeights {
  std::vector<double> total;                                   // per window
  std::vector<std::unordered_map<uint32_t, double>> function;  // per window
  explicit KindWeights(size_t windows) : total(windows), function(windows) {}
  void add(size_t w, const std::vector<uint32_t>& fns, double weight) {
    total[w] += weight;
    for (uint32_t f : fns) function[w][f] += weight;
  }
};

const char* const kReasonFrames[] = {"[offcpu:runqueue]",   "[offcpu:lock]", "[offcpu:disk]",
                                     "[offcpu:network]",    "[offcpu:pipe]", "[offcpu:sleep]",
                                     "[offcpu:page_fault]", "[offcpu:other]"};

bool has_stack(const capture::Capture& c, capture::StackId id) {
  return id != capture::kNoStack && id < c.stacks.size() && !c.stacks[id].frames.empty();
}

// The end of the capture: its end record, or the last data it holds.
uint64_t capture_end_ns(const capture::Capture& c) {
  if (c.end) return c.end->end_ns;
  uint64_t last = c.metadata.start_monotonic_ns;
  for (const auto& s : c.cpu_samples) last = std::max(last, s.time_ns);
  for (const auto& o : c.offcpu) last = std::max(last, o.end_ns);
  for (const auto& r : c.requests) last = std::max(last, r.end_ns);
  return last;
}

// Ranks a kind's functions: slow vs fast shares over the judged windows, and
// Spearman's rho of the share per window against p99 and throughput.
void rank_kind(const std::string& kind, const KindWeights& k, const std::vector<LatencyWindow>& windows,
               double min_window_weight, FunctionTable& table, std::vector<CorrelatedFunction>& out) {
  double slow_total = 0, fast_total = 0;
  std::unordered_map<uint32_t, std::pair<double, double>> slow_fast;  // function -> (slow, fast)
  std::vector<size_t> ranked_windows;                                 // judged, with enough weight
  double all_total = 0;
  std::unordered_map<uint32_t, double> all;
  for (size_t w = 0; w < windows.size(); ++w) {
    if (!windows[w].slow) continue;
    const bool slow = *windows[w].slow;
    (slow ? slow_total : fast_total) += k.total[w];
    all_total += k.total[w];
    for (const auto& [f, weight] : k.function[w]) {
      auto& sf = slow_fast[f];
      (slow ? sf.first : sf.second) += weight;
      all[f] += weight;
    }
    if (k.total[w] >= min_window_weight && k.total[w] > 0) ranked_windows.push_back(w);
  }
  if (all_total <= 0) return;
  std::vector<double> p99, rps;
  for (size_t w : ranked_windows) {
    p99.push_back(*windows[w].p99_ms);
    rps.push_back(windows[w].throughput_rps);
  }
  std::vector<double> share(ranked_windows.size());
  for (const auto& [f, sf] : slow_fast) {
    CorrelatedFunction cf;
    cf.frame = table.name(f);
    cf.kind = kind;
    cf.slow_share_pct = pct(sf.first, slow_total);
    cf.fast_share_pct = pct(sf.second, fast_total);
    cf.growth_pct_points = slow_total > 0 && fast_total > 0 ? cf.slow_share_pct - cf.fast_share_pct : 0.0;
    for (size_t i = 0; i < ranked_windows.size(); ++i) {
      const size_t w = ranked_windows[i];
      auto it = k.function[w].find(f);
      share[i] = pct(it == k.function[w].end() ? 0.0 : it->second, k.total[w]);
    }
    cf.rank_correlation = stats::spearman(share, p99);
    cf.load_rank_correlation = stats::spearman(share, rps);
    // Without slow windows only the rank correlation ranks, and a function
    // seen in a handful of samples would lead on noise: keep the ones with
    // at least 0.5 % of the kind's weight.
    if (slow_total <= 0 && pct(all[f], all_total) < 0.5) continue;
    out.push_back(std::move(cf));
  }
}

// The cpu samples (with stacks) as folded lines, by the folded export's rules.
std::vector<capture::FoldedLine> fold_samples(capture::Capture& scratch,
                                              std::vector<capture::CpuSample> samples) {
  scratch.cpu_samples = std::move(samples);
  auto lines = capture::folded_stacks(scratch, "cpu");
  scratch.cpu_samples.clear();
  return lines.ok() ? std::move(*lines) : std::vector<capture::FoldedLine>{};
}

struct Latency {
  uint64_t latency_ns = 0;
  size_t index = 0;  // into capture.requests
};

void fill_window(LatencyWindow& w, std::vector<uint64_t>& latencies) {
  std::sort(latencies.begin(), latencies.end());
  w.requests = latencies.size();
  w.throughput_rps = w.duration_s > 0 ? static_cast<double>(w.requests) / w.duration_s : 0.0;
  if (!latencies.empty()) {
    w.p50_ms = ms(sorted_percentile(latencies, 0.50));
    w.p99_ms = ms(sorted_percentile(latencies, 0.99));
  }
}

// Inclusive shares make every caller of the function that grew grow about as
// much (the request handler, the thread's entry). Among the functions whose
// growth is within kLeadBand of the largest (of the leader's kind), the
// narrowest comes first: the smallest slow share, the fewest samples that
// explain the growth; growth <= slow share, so that is the function the growth
// is made of, not one of its callers.
constexpr double kLeadBand = 0.9;
template <class T>
void narrowest_first(std::vector<T>& v, double T::*slow_share, const FunctionTable& table) {
  if (v.empty() || v.front().growth_pct_points <= 0) return;
  const double floor = kLeadBand * v.front().growth_pct_points;
  std::string kind;
  if constexpr (requires { v.front().kind; }) kind = v.front().kind;
  const auto in_band = [&](const T& x) {
    if constexpr (requires { x.kind; }) {
      if (x.kind != kind) return false;
    }
    return x.growth_pct_points >= floor;
  };
  const auto band_end = std::stable_partition(v.begin(), v.end(), in_band);
  std::stable_sort(v.begin(), band_end, [&](const T& a, const T& b) {
    if (a.*slow_share != b.*slow_share) return a.*slow_share < b.*slow_share;
    const uint32_t da = table.depth(a.frame), db = table.depth(b.frame);
    if (da != db) return da > db;
    return a.growth_pct_points > b.growth_pct_points;
  });
}

// The functions of one kind in the slowest and the median requests, unsorted.
void compare_functions(const std::string& kind, const std::unordered_map<uint32_t, double>& slow,
                       double slow_total, const std::unordered_map<uint32_t, double>& median,
                       double median_total, const FunctionTable& table, std::vector<RequestFunction>& out) {
  std::set<uint32_t> fns;
  for (const auto& [f, n] : slow) fns.insert(f);
  for (const auto& [f, n] : median) fns.insert(f);
  for (uint32_t f : fns) {
    RequestFunction rf;
    rf.frame = table.name(f);
    rf.kind = kind;
    auto s = slow.find(f);
    auto m = median.find(f);
    rf.slow_share_pct = pct(s == slow.end() ? 0.0 : s->second, slow_total);
    rf.median_share_pct = pct(m == median.end() ? 0.0 : m->second, median_total);
    rf.growth_pct_points = rf.slow_share_pct - rf.median_share_pct;
    out.push_back(std::move(rf));
  }
}

}  // namespace

std::optional<Correlation> correlate(const capture::Capture& c, const CorrelationOptions& options) {
  if (c.requests.empty() || options.window_ns == 0) return std::nullopt;
  Correlation out;
  out.window_s = static_cast<double>(options.window_ns) / kNsPerS;
  out.slow_rule =
      "window p99 > " + number(options.slow_factor) +
      " x the median of the window p99s (windows with >= " + std::to_string(options.min_window_requests) +
      " requests)";
  const uint64_t start_ns = c.metadata.start_monotonic_ns;
  const uint64_t window_ns = options.window_ns;

  // Requests with a latency, and the end of the last one.
  std::vector<Latency> latencies;
  latencies.reserve(c.requests.size());
  uint64_t end_ns = std::max(capture_end_ns(c), start_ns + 1);
  for (size_t i = 0; i < c.requests.size(); ++i) {
    const auto& r = c.requests[i];
    if (r.stage == capture::kWarmupStage) {
      ++out.warmup_requests;
      continue;
    }
    if (r.end_ns == 0 || r.end_ns < r.intended_start_ns) {
      ++out.requests_without_end;
      continue;
    }
    latencies.push_back({r.end_ns - r.intended_start_ns, i});
    end_ns = std::max(end_ns, r.end_ns);
  }
  out.requests = latencies.size();
  const auto window_of = [&](uint64_t t_ns) -> size_t {
    return t_ns <= start_ns ? 0 : static_cast<size_t>((t_ns - start_ns) / window_ns);
  };
  const size_t n_windows = window_of(end_ns - 1) + 1;

  // Windows: the requests that ended in each.
  std::vector<std::vector<uint64_t>> per_window(n_windows);
  out.windows.resize(n_windows);
  for (const auto& l : latencies) {
    const size_t w = window_of(c.requests[l.index].end_ns);
    per_window[w].push_back(l.latency_ns);
    if (c.requests[l.index].error_class != 0) ++out.windows[w].errors;
  }
  for (size_t w = 0; w < n_windows; ++w) {
    LatencyWindow& win = out.windows[w];
    const uint64_t from = start_ns + w * window_ns;
    win.t_s = static_cast<double>(w * window_ns) / kNsPerS;
    win.duration_s = static_cast<double>(std::min(from + window_ns, end_ns) - from) / kNsPerS;
    fill_window(win, per_window[w]);
  }

  // Slow and fast windows.
  std::vector<double> judged_p99;
  for (const auto& w : out.windows)
    if (w.requests >= options.min_window_requests && w.p99_ms) judged_p99.push_back(*w.p99_ms);
  if (!judged_p99.empty()) {
    out.slow_threshold_ms = options.slow_factor * median(judged_p99);
    for (auto& w : out.windows) {
      if (w.requests < options.min_window_requests || !w.p99_ms) continue;
      w.slow = *w.p99_ms > *out.slow_threshold_ms;
      ++(*w.slow ? out.slow_windows : out.fast_windows);
    }
  }

  // Weights per window: cpu samples, off-CPU ns clipped to the window.
  FunctionTable table(c);
  KindWeights cpu(n_windows), offcpu(n_windows);
  std::vector<size_t> samples;  // indices of the cpu samples with a stack, by time
  for (size_t i = 0; i < c.cpu_samples.size(); ++i) {
    const auto& s = c.cpu_samples[i];
    if (!has_stack(c, s.stack) || s.time_ns < start_ns || s.time_ns >= end_ns) continue;
    samples.push_back(i);
    const size_t w = window_of(s.time_ns);
    cpu.add(w, table.of_stack(s.stack), 1.0);
    ++out.windows[w].cpu_samples;
  }
  std::stable_sort(samples.begin(), samples.end(),
                   [&](size_t a, size_t b) { return c.cpu_samples[a].time_ns < c.cpu_samples[b].time_ns; });
  // An interval's functions: its stack's, and its reason as the leaf frame.
  std::vector<uint32_t> fns;
  const auto offcpu_functions = [&](const capture::OffCpuInterval& o) -> const std::vector<uint32_t>& {
    fns.clear();
    if (has_stack(c, o.stack)) fns = table.of_stack(o.stack);
    const size_t r = std::min<size_t>(static_cast<size_t>(o.reason), std::size(kReasonFrames) - 1);
    fns.push_back(table.intern(kReasonFrames[r]));
    table.note_depth(fns.back(),
                     has_stack(c, o.stack) ? static_cast<uint32_t>(c.stacks[o.stack].frames.size()) + 1 : 1);
    return fns;
  };
  for (const auto& o : c.offcpu) {
    if (o.end_ns <= o.start_ns || o.end_ns <= start_ns || o.start_ns >= end_ns) continue;
    offcpu_functions(o);
    const uint64_t from = std::max(o.start_ns, start_ns), to = std::min(o.end_ns, end_ns);
    for (size_t w = window_of(from); w < n_windows && start_ns + w * window_ns < to; ++w) {
      const uint64_t lo = std::max(from, start_ns + w * window_ns);
      const uint64_t hi = std::min(to, start_ns + (w + 1) * window_ns);
      if (hi <= lo) continue;
      offcpu.add(w, fns, static_cast<double>(hi - lo));
      out.windows[w].offcpu_ms += ms(hi - lo);
    }
  }

  // Functions ranked: by growth when some windows were slow, else by rank correlation.
  rank_kind("cpu", cpu, out.windows, static_cast<double>(options.min_window_samples), table, out.stacks);
  rank_kind("offcpu", offcpu, out.windows, 0.0, table, out.stacks);
  const bool by_growth = out.slow_windows > 0 && out.fast_windows > 0;
  std::stable_sort(
      out.stacks.begin(), out.stacks.end(), [&](const CorrelatedFunction& a, const CorrelatedFunction& b) {
        if (by_growth && a.growth_pct_points != b.growth_pct_points)
          return a.growth_pct_points > b.growth_pct_points;
        if (!by_growth) {
          const bool big_a = std::max(a.fast_share_pct, a.slow_share_pct) >= options.min_ranked_share_pct;
          const bool big_b = std::max(b.fast_share_pct, b.slow_share_pct) >= options.min_ranked_share_pct;
          if (big_a != big_b) return big_a;
        }
        const double ra = a.rank_correlation.value_or(-2), rb = b.rank_correlation.value_or(-2);
        if (ra != rb) return ra > rb;
        if (a.kind != b.kind) return a.kind < b.kind;
        return a.frame < b.frame;
      });
  if (by_growth) narrowest_first(out.stacks, &CorrelatedFunction::slow_share_pct, table);
  if (out.stacks.size() > options.top_functions) out.stacks.resize(options.top_functions);

  // Stages, when the requests carry more than one.
  std::map<uint16_t, std::vector<size_t>> by_stage;  // stage -> indices into latencies
  for (size_t i = 0; i < latencies.size(); ++i) by_stage[c.requests[latencies[i].index].stage].push_back(i);
  if (by_stage.size() > 1) {
    for (const auto& [stage, members] : by_stage) {
      uint64_t from = UINT64_MAX, to = 0;
      std::vector<uint64_t> lat;
      LatencyWindow s;
      s.stage = stage;
      for (size_t i : members) {
        const auto& r = c.requests[latencies[i].index];
        from = std::min(from, r.intended_start_ns);
        to = std::max(to, r.end_ns);
        lat.push_back(latencies[i].latency_ns);
        if (r.error_class != 0) ++s.errors;
      }
      // bench records each stage's span on the capture's clock: the stage is that span.
      if (c.load && stage < c.load->stages.size() &&
          c.load->stages[stage].end_ns > c.load->stages[stage].start_ns) {
        from = c.load->stages[stage].start_ns;
        to = c.load->stages[stage].end_ns;
      }
      s.t_s = from <= start_ns ? 0.0 : static_cast<double>(from - start_ns) / kNsPerS;
      s.duration_s = static_cast<double>(to - from) / kNsPerS;
      fill_window(s, lat);
      for (size_t i : samples)
        if (c.cpu_samples[i].time_ns >= from && c.cpu_samples[i].time_ns < to) ++s.cpu_samples;
      for (const auto& o : c.offcpu) {
        const uint64_t lo = std::max(o.start_ns, from), hi = std::min(o.end_ns, to);
        if (hi > lo) s.offcpu_ms += ms(hi - lo);
      }
      out.stages.push_back(std::move(s));
    }
  }

  // Attribution by time: sweep the samples (by time) across the request
  // intervals [actual start, end) (by start), keeping the ones in flight.
  std::vector<size_t> by_start;  // indices into latencies
  for (size_t i = 0; i < latencies.size(); ++i) {
    const auto& r = c.requests[latencies[i].index];
    if (r.actual_start_ns != 0 && r.actual_start_ns < r.end_ns) by_start.push_back(i);
  }
  std::stable_sort(by_start.begin(), by_start.end(), [&](size_t a, size_t b) {
    return c.requests[latencies[a].index].actual_start_ns < c.requests[latencies[b].index].actual_start_ns;
  });
  // The sweep visits each sample with the requests in flight at its time.
  std::vector<size_t> active;
  const auto sweep = [&](auto&& visit) {
    active.clear();
    size_t next = 0;
    for (size_t k = 0; k < samples.size(); ++k) {
      const uint64_t t = c.cpu_samples[samples[k]].time_ns;
      while (next < by_start.size() && c.requests[latencies[by_start[next]].index].actual_start_ns <= t)
        active.push_back(by_start[next++]);
      std::erase_if(active, [&](size_t i) { return c.requests[latencies[i].index].end_ns <= t; });
      visit(k, active);
    }
  };
  const auto connection_of = [&](size_t i) { return c.requests[latencies[i].index].connection_id; };

  // Threads that serve one connection (thread-per-connection servers): over
  // the thread's samples taken inside requests, one connection had a request
  // in flight at (nearly) every one of them, and no other came close. A
  // thread of an event loop or a pool sees many connections and is not one.
  struct ThreadVotes {
    uint64_t in_requests = 0;
    std::unordered_map<uint32_t, uint64_t> connections;
  };
  std::map<std::pair<uint32_t, uint32_t>, ThreadVotes> votes;
  std::vector<uint32_t> conns;
  sweep([&](size_t k, const std::vector<size_t>& in_flight) {
    if (in_flight.empty()) return;
    const auto& s = c.cpu_samples[samples[k]];
    ThreadVotes& v = votes[{s.pid, s.tid}];
    ++v.in_requests;
    conns.clear();
    for (size_t i : in_flight) conns.push_back(connection_of(i));
    std::sort(conns.begin(), conns.end());
    conns.erase(std::unique(conns.begin(), conns.end()), conns.end());
    for (uint32_t id : conns) ++v.connections[id];
  });
  std::map<std::pair<uint32_t, uint32_t>, uint32_t> dedicated;  // (pid, tid) -> connection
  for (const auto& [thread, v] : votes) {
    if (v.in_requests < options.min_thread_samples) continue;
    uint64_t top = 0, second = 0;
    uint32_t top_id = 0;
    for (const auto& [id, n] : v.connections) {
      if (n > top || (n == top && id < top_id)) {
        second = std::max(second, top);
        top = n;
        top_id = id;
      } else {
        second = std::max(second, n);
      }
    }
    const double in = static_cast<double>(v.in_requests);
    if (static_cast<double>(top) >= 0.9 * in && static_cast<double>(second) <= 0.6 * in)
      dedicated[thread] = top_id;
  }
  // One thread per connection: a thread that works for another one (a
  // backend thread answering the queries of the thread that serves the
  // connection) follows the same requests, but its time runs beside theirs,
  // not inside: adding its waits would count the request's time twice. The
  // thread with the most samples inside the connection's requests serves it.
  {
    std::unordered_map<uint32_t, std::pair<uint64_t, std::pair<uint32_t, uint32_t>>> server;  // conn -> best
    for (const auto& [thread, conn] : dedicated) {
      const uint64_t n = votes[thread].connections[conn];
      auto [it, inserted] = server.try_emplace(conn, n, thread);
      if (!inserted && n > it->second.first) it->second = {n, thread};
    }
    for (auto it = dedicated.begin(); it != dedicated.end();) {
      if (server[it->second].second != it->first) {
        ++out.attribution.companion_threads;
        it = dedicated.erase(it);
      } else {
        ++it;
      }
    }
  }

  std::vector<size_t> owner(samples.size(), SIZE_MAX);  // sample -> index into latencies
  Attribution& at = out.attribution;
  at.cpu_samples = samples.size();
  at.dedicated_threads = dedicated.size();
  sweep([&](size_t k, const std::vector<size_t>& in_flight) {
    if (in_flight.empty()) return;
    ++at.in_requests;
    const auto& s = c.cpu_samples[samples[k]];
    if (auto d = dedicated.find({s.pid, s.tid}); d != dedicated.end()) {
      size_t found = SIZE_MAX, matches = 0;
      for (size_t i : in_flight) {
        if (connection_of(i) == d->second) {
          found = i;
          ++matches;
        }
      }
      if (matches == 1) {
        owner[k] = found;
        ++at.attributed_by_thread;
        return;
      }
    } else if (in_flight.size() == 1) {
      owner[k] = in_flight.front();
      ++at.attributed_by_time;
      return;
    }
    ++at.ambiguous_samples;
  });
  at.attributed = at.attributed_by_time + at.attributed_by_thread;
  at.coverage_pct = pct(static_cast<double>(at.attributed), static_cast<double>(at.cpu_samples));

  // The folded lines of the differential flame graphs come from a capture
  // that holds only the chosen samples (and what names them).
  std::optional<capture::Capture> scratch_capture;
  const auto scratch = [&]() -> capture::Capture& {
    if (!scratch_capture) {
      scratch_capture.emplace();
      scratch_capture->metadata = c.metadata;
      scratch_capture->processes = c.processes;
      scratch_capture->frames = c.frames;
      scratch_capture->stacks = c.stacks;
    }
    return *scratch_capture;
  };

  // Off-CPU time of the threads serving one connection: the part of each
  // interval that overlaps a request of that connection is that request's
  // (requests on a connection go one at a time, so their ends are in order).
  std::unordered_map<uint32_t, std::vector<size_t>> by_connection;  // indices into latencies, by start
  for (size_t i : by_start) by_connection[connection_of(i)].push_back(i);
  struct OffCpuShare {
    size_t request = 0;   // index into latencies
    size_t interval = 0;  // index into c.offcpu
    uint64_t ns = 0;
  };
  std::vector<OffCpuShare> offcpu_owned;
  uint64_t offcpu_total_ns = 0, offcpu_owned_ns = 0, client_wait_ns = 0;
  std::unordered_map<size_t, size_t> first_socket_wait;  // request -> its first socket wait in offcpu_owned
  for (size_t j = 0; j < c.offcpu.size(); ++j) {
    const auto& o = c.offcpu[j];
    if (o.end_ns <= o.start_ns) continue;
    offcpu_total_ns += o.end_ns - o.start_ns;
    auto d = dedicated.find({o.pid, o.tid});
    if (d == dedicated.end()) continue;
    auto conn = by_connection.find(d->second);
    if (conn == by_connection.end()) continue;
    const auto& reqs = conn->second;
    auto it = std::partition_point(reqs.begin(), reqs.end(), [&](size_t i) {
      return c.requests[latencies[i].index].end_ns <= o.start_ns;
    });
    for (; it != reqs.end(); ++it) {
      const auto& r = c.requests[latencies[*it].index];
      if (r.actual_start_ns >= o.end_ns) break;
      const uint64_t lo = std::max(r.actual_start_ns, o.start_ns), hi = std::min(r.end_ns, o.end_ns);
      if (hi <= lo) continue;
      // A socket wait across the request's start or end is the thread waiting
      // for its client: for the request to arrive (the driver stamped its
      // start, the bytes are not there yet) or, after the answer, for the next
      // one while the driver has not yet read it. That time is the client's
      // side of the round trip, not the service's.
      const bool socket = o.reason == capture::OffCpuReason::network;
      if (socket && (o.start_ns < r.actual_start_ns || o.end_ns > r.end_ns)) {
        client_wait_ns += hi - lo;
        continue;
      }
      // On a connection the request opened, the thread serving it was started
      // inside the request: its first socket wait there is for the bytes.
      if (socket && r.connect_ns > 0) {
        auto [first, fresh] = first_socket_wait.try_emplace(*it, offcpu_owned.size());
        if (!fresh && c.offcpu[offcpu_owned[first->second].interval].start_ns > o.start_ns)
          first->second = offcpu_owned.size();
      }
      offcpu_owned.push_back({*it, j, hi - lo});
    }
  }
  for (const auto& [request, share] : first_socket_wait) {
    client_wait_ns += offcpu_owned[share].ns;
    offcpu_owned[share].ns = 0;
  }
  std::erase_if(offcpu_owned, [](const OffCpuShare& share) { return share.ns == 0; });
  for (const auto& share : offcpu_owned) offcpu_owned_ns += share.ns;
  at.offcpu_ms = ms(offcpu_total_ns);
  at.offcpu_attributed_ms = ms(offcpu_owned_ns);
  at.offcpu_client_wait_ms = ms(client_wait_ns);

  if (at.attributed > 0 || !offcpu_owned.empty()) {
    std::vector<uint64_t> sorted;
    sorted.reserve(latencies.size());
    for (const auto& l : latencies) sorted.push_back(l.latency_ns);
    std::sort(sorted.begin(), sorted.end());
    SlowRequests sr;
    const uint64_t p99 = sorted_percentile(sorted, 0.99), p40 = sorted_percentile(sorted, 0.40),
                   p60 = sorted_percentile(sorted, 0.60);
    sr.latency_threshold_ms = ms(p99);
    sr.median_low_ms = ms(p40);
    sr.median_high_ms = ms(p60);
    const auto is_slow = [&](uint64_t l) { return l >= p99; };
    const auto is_median = [&](uint64_t l) { return l >= p40 && l <= p60 && l < p99; };
    for (const auto& l : latencies) {
      if (is_slow(l.latency_ns)) ++sr.slow_requests;
      if (is_median(l.latency_ns)) ++sr.median_requests;
    }
    std::unordered_map<uint32_t, double> slow_fns, median_fns;
    std::vector<capture::CpuSample> slow_samples, median_samples;
    for (size_t k = 0; k < samples.size(); ++k) {
      if (owner[k] == SIZE_MAX) continue;
      const uint64_t l = latencies[owner[k]].latency_ns;
      const auto& s = c.cpu_samples[samples[k]];
      if (is_slow(l)) {
        ++sr.slow_samples;
        for (uint32_t f : table.of_stack(s.stack)) ++slow_fns[f];
        slow_samples.push_back(s);
      } else if (is_median(l)) {
        ++sr.median_samples;
        for (uint32_t f : table.of_stack(s.stack)) ++median_fns[f];
        median_samples.push_back(s);
      }
    }
    compare_functions("cpu", slow_fns, static_cast<double>(sr.slow_samples), median_fns,
                      static_cast<double>(sr.median_samples), table, sr.functions);
    std::unordered_map<uint32_t, double> slow_off, median_off;
    double slow_off_ns = 0, median_off_ns = 0;
    for (const auto& share : offcpu_owned) {
      const uint64_t l = latencies[share.request].latency_ns;
      const bool slow = is_slow(l);
      if (!slow && !is_median(l)) continue;
      (slow ? slow_off_ns : median_off_ns) += static_cast<double>(share.ns);
      for (uint32_t f : offcpu_functions(c.offcpu[share.interval]))
        (slow ? slow_off : median_off)[f] += static_cast<double>(share.ns);
    }
    sr.slow_offcpu_ms = slow_off_ns / kNsPerMs;
    sr.median_offcpu_ms = median_off_ns / kNsPerMs;
    compare_functions("offcpu", slow_off, slow_off_ns, median_off, median_off_ns, table, sr.functions);
    // The two kinds' shares are of different totals: each function's growth
    // counts in proportion to its kind's part of the slowest requests' time
    // (cpu: samples / frequency), so a lock wait that is 99 % of their time
    // leads two cpu samples that happen to sit in the kernel's futex path.
    const double hz = c.metadata.frequency_hz ? static_cast<double>(c.metadata.frequency_hz) : 1000.0;
    const double cpu_ms = 1000.0 * static_cast<double>(sr.slow_samples) / hz;
    const double all_ms = cpu_ms + sr.slow_offcpu_ms;
    const auto weight = [&](const RequestFunction& f) {
      if (all_ms <= 0) return 1.0;
      return (f.kind == "offcpu" ? sr.slow_offcpu_ms : cpu_ms) / all_ms;
    };
    std::stable_sort(
        sr.functions.begin(), sr.functions.end(), [&](const RequestFunction& a, const RequestFunction& b) {
          const double sa = a.growth_pct_points * weight(a), sb = b.growth_pct_points * weight(b);
          if (sa != sb) return sa > sb;
          if (a.kind != b.kind) return a.kind < b.kind;
          return a.frame < b.frame;
        });
    narrowest_first(sr.functions, &RequestFunction::slow_share_pct, table);
    if (sr.functions.size() > options.top_functions) sr.functions.resize(options.top_functions);
    out.slow_requests = std::move(sr);
    capture::Capture& s = scratch();
    out.slow_requests_folded = fold_samples(s, std::move(slow_samples));
    out.median_requests_folded = fold_samples(s, std::move(median_samples));
  }
  if (at.attributed > 0 || !offcpu_owned.empty()) {
    std::vector<size_t> with_latency;
    with_latency.reserve(latencies.size());
    for (const auto& l : latencies) with_latency.push_back(l.index);
    RequestTime attributed;
    for (size_t k = 0; k < samples.size(); ++k)
      if (owner[k] != SIZE_MAX)
        attributed.cpu.emplace_back(latencies[owner[k]].index, c.cpu_samples[samples[k]].stack);
    for (const auto& share : offcpu_owned)
      attributed.offcpu.push_back({latencies[share.request].index, share.interval, share.ns});
    out.endpoints = break_down_endpoints(c, with_latency, attributed);
  }
  if (by_growth) {
    std::vector<capture::CpuSample> slow_w, fast_w;
    for (size_t i : samples) {
      const auto& w = out.windows[window_of(c.cpu_samples[i].time_ns)];
      if (w.slow) (*w.slow ? slow_w : fast_w).push_back(c.cpu_samples[i]);
    }
    capture::Capture& s = scratch();
    out.slow_windows_folded = fold_samples(s, std::move(slow_w));
    out.fast_windows_folded = fold_samples(s, std::move(fast_w));
  }
  return out;
}

}  // namespace loadprof::analyze
