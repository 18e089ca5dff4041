// Allocation figures and leak suspects from the alloc probe's records.
#include "loadprof/analyze/alloc_summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <unordered_map>

#include "loadprof/capture/alloc_live.h"
#include "loadprof/capture/folded.h"
#include "loadprof/capture/window.h"

namespace loadprof::analyze {
namespace {

constexpr double kNsPerS = 1e9;
// Leak rules: a straight enough line (R^2), still growing in the second half
// (at least half the whole fit's slope: a working set that fills up early and
// then levels off has a second-half slope near 0), and the growth is most of
// what is live at the end.
constexpr double kMinR2 = 0.8;
constexpr double kHighR2 = 0.9;
constexpr double kMinSecondHalfShare = 0.5;
constexpr double kMinGrowthShareOfLive = 0.5;
constexpr size_t kMinPoints = 4;
constexpr size_t kMaxCandidates = 64;

struct Fit {
  double slope = 0;
  double r2 = 0;
};

Fit least_squares(const std::vector<double>& x, const std::vector<double>& y, size_t from, size_t to) {
  Fit f;
  const size_t n = to - from;
  if (n < 2) return f;
  double mx = 0, my = 0;
  for (size_t i = from; i < to; ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = from; i < to; ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (sxx <= 0) return f;
  f.slope = sxy / sxx;
  f.r2 = syy > 0 ? (sxy * sxy) / (sxx * syy) : 0;
  return f;
}

std::string leaf_name(const capture::Capture& c, capture::StackId id) {
  if (id == capture::kNoStack || id >= c.stacks.size() || c.stacks[id].frames.empty()) return "[no stack]";
  const auto f = c.stacks[id].frames.front();
  return f < c.frames.size() ? capture::frame_display_name(c.frames[f]) : "[bad frame]";
}

std::string human_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  size_t u = 0;
  while (b >= 1024 && u + 1 < std::size(units)) {
    b /= 1024;
    ++u;
  }
  char out[48];
  std::snprintf(out, sizeof out, u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
  return out;
}

std::vector<std::string> frame_names(const capture::Capture& c, capture::StackId id) {
  std::vector<std::string> out;
  if (id == capture::kNoStack || id >= c.stacks.size()) return out;
  for (auto f : c.stacks[id].frames) {
    if (out.size() >= kAllocStackFrames) break;
    out.push_back(f < c.frames.size() ? capture::frame_display_name(c.frames[f]) : "[bad frame]");
  }
  return out;
}

uint64_t pack(uint32_t pid, capture::StackId stack) { return uint64_t(pid) << 32 | stack; }

}  // namespace

std::optional<AllocSummary> summarize_alloc(const capture::Capture& c, double start_s_offset) {
  const auto& probes = c.metadata.probes;
  const bool ran = std::find(probes.begin(), probes.end(), "alloc") != probes.end();
  if (!ran && c.allocs.empty() && !c.alloc_info) return std::nullopt;
  AllocSummary s;
  const uint64_t period = capture::alloc_sample_period(c);
  const bool poisson = capture::alloc_poisson_sampling(c);
  if (c.alloc_info) {
    s.method = c.alloc_info->method;
    s.allocator = c.alloc_info->allocator;
    s.sample_period_bytes = c.alloc_info->sample_period_bytes;
    s.allocations = c.alloc_info->allocations;
    s.allocated_bytes = c.alloc_info->allocated_bytes;
    s.frees_unknown = c.alloc_info->frees_unknown;
  }
  const uint64_t start_ns = c.metadata.start_monotonic_ns;
  const uint64_t end_ns = c.end ? c.end->end_ns : capture::last_data_ns(c);
  auto rel_s = [&](uint64_t t) { return t > start_ns ? static_cast<double>(t - start_ns) / kNsPerS : 0.0; };

  const auto lifetimes = capture::alloc_lifetimes(c);
  std::unordered_map<uint64_t, size_t> index;  // (pid, stack) -> s.stacks
  for (const auto& l : lifetimes) {
    const capture::AllocEvent& a = *l.alloc;
    ++s.recorded;
    auto [it, fresh] = index.try_emplace(pack(a.pid, a.stack), s.stacks.size());
    if (fresh) {
      AllocStackStat st;
      st.pid = a.pid;
      st.stack = a.stack;
      st.frame = leaf_name(c, a.stack);
      st.frames = frame_names(c, a.stack);
      st.truncated = a.stack != capture::kNoStack && a.stack < c.stacks.size() && c.stacks[a.stack].truncated;
      s.stacks.push_back(std::move(st));
    }
    AllocStackStat& st = s.stacks[it->second];
    const uint64_t w = capture::alloc_estimated_bytes(a.size, period, poisson);
    st.bytes += w;
    st.count += capture::alloc_estimated_count(a.size, period, poisson);
    if (st.truncated) ++s.truncated_stacks;
    if (l.free_ns == 0 && a.tracked) {
      st.live_bytes += w;
      s.live_bytes_end += w;
    }
  }

  // RSS of the targets: the first and last readings, and per timeline point.
  std::map<uint64_t, uint64_t> rss_at;  // reading time -> summed RSS of the target processes
  for (const auto& r : c.resources) {
    if (r.pid != capture::kMachinePid) rss_at[r.time_ns] += r.rss_bytes;
  }
  if (!rss_at.empty()) {
    s.rss_bytes_start = rss_at.begin()->second;
    s.rss_bytes_end = rss_at.rbegin()->second;
  }

  // Live bytes over time: total, and per candidate stack (live at the end).
  std::vector<size_t> candidates;
  for (size_t i = 0; i < s.stacks.size(); ++i) {
    if (s.stacks[i].live_bytes > 0) candidates.push_back(i);
  }
  std::sort(candidates.begin(), candidates.end(),
            [&](size_t a, size_t b) { return s.stacks[a].live_bytes > s.stacks[b].live_bytes; });
  if (candidates.size() > kMaxCandidates) candidates.resize(kMaxCandidates);
  std::unordered_map<size_t, size_t> candidate_slot;
  for (size_t i = 0; i < candidates.size(); ++i) candidate_slot[candidates[i]] = i;

  struct Delta {
    uint64_t time_ns;
    int64_t bytes;
    int64_t slot;  // candidate slot, -1: none
  };
  std::vector<Delta> deltas;
  deltas.reserve(lifetimes.size() * 2);
  for (const auto& l : lifetimes) {
    const capture::AllocEvent& a = *l.alloc;
    if (!a.tracked) continue;
    const auto w = static_cast<int64_t>(capture::alloc_estimated_bytes(a.size, period, poisson));
    auto slot_it = candidate_slot.find(index.at(pack(a.pid, a.stack)));
    const int64_t slot = slot_it == candidate_slot.end() ? -1 : static_cast<int64_t>(slot_it->second);
    deltas.push_back({a.time_ns, w, slot});
    if (l.free_ns != 0) deltas.push_back({l.free_ns, -w, slot});
  }
  std::sort(deltas.begin(), deltas.end(),
            [](const Delta& a, const Delta& b) { return a.time_ns < b.time_ns; });

  const double duration_s = rel_s(end_ns);
  const double step_s = std::max(0.25, duration_s / 200.0);
  std::vector<double> xs;
  std::vector<std::vector<double>> ys(candidates.size());
  int64_t live = 0;
  std::vector<int64_t> live_by(candidates.size(), 0);
  size_t next = 0;
  auto rss_it = rss_at.begin();
  uint64_t rss = 0;
  for (double t = step_s; t < duration_s + step_s; t += step_s) {
    const double point_s = std::min(t, duration_s);
    const uint64_t point_ns = start_ns + static_cast<uint64_t>(point_s * kNsPerS);
    for (; next < deltas.size() && deltas[next].time_ns <= point_ns; ++next) {
      live += deltas[next].bytes;
      if (deltas[next].slot >= 0) live_by[static_cast<size_t>(deltas[next].slot)] += deltas[next].bytes;
    }
    for (; rss_it != rss_at.end() && rss_it->first <= point_ns; ++rss_it) rss = rss_it->second;
    s.timeline.push_back({point_s + start_s_offset, static_cast<uint64_t>(std::max<int64_t>(live, 0)), rss});
    xs.push_back(point_s);
    for (size_t i = 0; i < candidates.size(); ++i) ys[i].push_back(static_cast<double>(live_by[i]));
    if (point_s >= duration_s) break;
  }

  // Leak suspects among the stacks still holding memory at the end.
  std::unordered_map<uint32_t, double> exit_s;  // pid -> its exit, from the capture start
  for (const auto& p : c.processes) {
    if (p.exit_ns) exit_s[p.pid] = rel_s(*p.exit_ns);
  }
  if (xs.size() >= kMinPoints) {
    for (size_t i = 0; i < candidates.size(); ++i) {
      const AllocStackStat& st = s.stacks[candidates[i]];
      // The fit starts at the stack's first allocation (a leak that starts
      // mid-capture still fits a line) and ends with the process (an exited
      // process's live bytes stand still: not a working set levelling off).
      size_t from = 0;
      while (from < xs.size() && ys[i][from] <= 0) ++from;
      size_t to = xs.size();
      if (auto e = exit_s.find(st.pid); e != exit_s.end()) {
        to = 0;
        while (to < xs.size() && xs[to] <= e->second + step_s) ++to;
      }
      if (to <= from || to - from < kMinPoints) continue;
      const Fit all = least_squares(xs, ys[i], from, to);
      const Fit late = least_squares(xs, ys[i], from + (to - from) / 2, to);
      const double span_s = xs[to - 1] - xs[from];
      if (all.slope <= 0 || all.r2 < kMinR2) continue;
      if (late.slope < kMinSecondHalfShare * all.slope) continue;
      if (all.slope * span_s < kMinGrowthShareOfLive * static_cast<double>(st.live_bytes)) continue;
      LeakSuspect l;
      l.pid = st.pid;
      l.stack = st.stack;
      l.frame = st.frame;
      l.frames = st.frames;
      l.growth_bytes_per_s = all.slope;
      l.r2 = all.r2;
      l.live_bytes_end = st.live_bytes;
      l.allocated_bytes = st.bytes;
      l.confidence = all.r2 >= kHighR2 ? "high" : "medium";
      char b[400];
      std::snprintf(
          b, sizeof b,
          "%s keeps %s/s live (R^2 %.2f, %s still live at the end of %s allocated): find who should "
          "free these blocks (an owner that forgets them, a cache or list without a bound)",
          l.frame.c_str(), human_bytes(l.growth_bytes_per_s).c_str(), l.r2,
          human_bytes(static_cast<double>(l.live_bytes_end)).c_str(),
          human_bytes(static_cast<double>(l.allocated_bytes)).c_str());
      l.recommendation = b;
      s.leaks.push_back(std::move(l));
    }
  }
  std::sort(s.leaks.begin(), s.leaks.end(), [](const LeakSuspect& a, const LeakSuspect& b) {
    return a.growth_bytes_per_s > b.growth_bytes_per_s;
  });
  std::sort(s.stacks.begin(), s.stacks.end(),
            [](const AllocStackStat& a, const AllocStackStat& b) { return a.bytes > b.bytes; });
  s.mmap = summarize_mmap(c);
  return s;
}

std::vector<LeakSuspect> leak_suspects(const capture::Capture& capture) {
  auto s = summarize_alloc(capture);
  return s ? std::move(s->leaks) : std::vector<LeakSuspect>{};
}

}  // namespace loadprof::analyze
