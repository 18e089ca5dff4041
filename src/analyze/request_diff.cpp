// Latency and throughput of two request logs compared (request_diff.h).
#include "loadprof/analyze/request_diff.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <tuple>
#include <utility>

#include "loadprof/stats/histogram.h"

namespace loadprof::analyze {
namespace {

constexpr double kQuantiles[] = {0.50, 0.90, 0.95, 0.99};
constexpr const char* kNames[] = {"p50", "p90", "p95", "p99"};
constexpr size_t kQuantileCount = 4;

// One run's requests as sparse histograms per second of the load, counted
// from the run's own load start (its monotonic clock: another machine's
// differs, so times are never compared across captures, only seconds since
// each run's start): the blocks the bootstrap resamples.
struct Seconds {
  std::vector<std::vector<std::pair<uint32_t, uint64_t>>> blocks;  // non-empty seconds
  std::vector<uint64_t> counts;                                    // requests per second, empty ones too
  std::vector<double> p99_ms;                                      // per second (0 for an empty one)
  stats::Histogram all;
  double span_s = 0;
};

bool measured(const capture::RequestRecord& r, std::optional<uint16_t> stage) {
  return r.stage != capture::kWarmupStage && (!stage || r.stage == *stage);
}

// Where a run's (or a stage's) load started on its capture's clock: the end of
// the warmup (bench marks it; a stage's own start), else the first measured
// request's intended start. 0 without measured requests.
uint64_t origin_of(const capture::Capture& c, std::optional<uint16_t> stage) {
  if (c.load) {
    if (stage && *stage < c.load->stages.size() && c.load->stages[*stage].start_ns > 0)
      return std::max(c.load->stages[*stage].start_ns, c.load->measured_start_ns);
    if (!stage && c.load->measured_start_ns > 0) return c.load->measured_start_ns;
  }
  uint64_t first = UINT64_MAX;
  for (const auto& r : c.requests)
    if (measured(r, stage)) first = std::min(first, r.intended_start_ns);
  return first == UINT64_MAX ? 0 : first;
}

Seconds seconds_of(const capture::Capture& c, std::optional<uint16_t> stage) {
  Seconds s;
  const uint64_t origin = origin_of(c, stage);
  uint64_t first = UINT64_MAX, last = 0;  // end times
  for (const auto& r : c.requests)
    if (measured(r, stage)) {
      first = std::min(first, r.end_ns);
      last = std::max(last, r.end_ns);
    }
  if (first == UINT64_MAX) return s;
  auto second_of = [origin](uint64_t end_ns) {
    return end_ns > origin ? (end_ns - origin) / 1'000'000'000 : 0;
  };
  std::map<uint64_t, stats::Histogram> by_second;
  size_t n_seconds = static_cast<size_t>(second_of(last)) + 1;
  s.counts.assign(n_seconds, 0);
  s.p99_ms.assign(n_seconds, 0);
  for (const auto& r : c.requests) {
    if (!measured(r, stage)) continue;
    uint64_t latency = r.end_ns > r.intended_start_ns ? r.end_ns - r.intended_start_ns : 0;
    uint64_t sec = second_of(r.end_ns);
    by_second[sec].record(latency);
    s.all.record(latency);
    ++s.counts[sec];
  }
  for (auto& [sec, h] : by_second) {
    s.blocks.emplace_back();
    h.append_sparse(s.blocks.back());
    s.p99_ms[sec] = static_cast<double>(h.value_at_quantile(0.99)) / 1e6;
  }
  s.span_s = std::max(1e-9, static_cast<double>(last - first) / 1e9);
  return s;
}

// The capture's realtime at monotonic time t, from the clock pair nearest to
// it (the recorder writes one at start and more as it runs).
std::optional<int64_t> realtime_of(const capture::Capture& c, uint64_t t) {
  std::optional<capture::ClockSync> best;
  auto consider = [&](const capture::ClockSync& p) {
    if (p.monotonic_ns == 0 || p.realtime_ns == 0) return;
    auto distance = [t](uint64_t m) { return m > t ? m - t : t - m; };
    if (!best || distance(p.monotonic_ns) < distance(best->monotonic_ns)) best = p;
  };
  consider({c.metadata.start_monotonic_ns, c.metadata.start_realtime_ns});
  for (const auto& p : c.clock_sync) consider(p);
  if (!best) return std::nullopt;
  return static_cast<int64_t>(best->realtime_ns) +
         (static_cast<int64_t>(t) - static_cast<int64_t>(best->monotonic_ns));
}

// Quantile of a dense bucket array (the middle of its bucket, as Histogram reports).
double quantile_ms(const std::vector<uint64_t>& dense, uint64_t total, double q) {
  if (total == 0) return 0;
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(total)));
  rank = std::max<uint64_t>(rank, 1);
  uint64_t seen = 0;
  for (size_t i = 0; i < dense.size(); ++i) {
    seen += dense[i];
    if (seen >= rank) {
      double lo = static_cast<double>(stats::Histogram::bucket_lower_ns(i));
      double hi = static_cast<double>(stats::Histogram::bucket_upper_ns(i));
      return (lo + hi) / 2 / 1e6;
    }
  }
  return 0;
}

// B resampled quantile sets of one run: each resample draws as many seconds
// as the run has, with replacement.
std::vector<std::array<double, kQuantileCount>> bootstrap(const Seconds& s, size_t b, std::mt19937_64& rng) {
  std::vector<std::array<double, kQuantileCount>> out(b);
  std::vector<uint64_t> dense(stats::Histogram::kBucketCount);
  std::uniform_int_distribution<size_t> pick(0, s.blocks.size() - 1);
  for (size_t i = 0; i < b; ++i) {
    std::fill(dense.begin(), dense.end(), 0);
    uint64_t total = 0;
    for (size_t k = 0; k < s.blocks.size(); ++k)
      for (const auto& [index, n] : s.blocks[pick(rng)]) {
        dense[index] += n;
        total += n;
      }
    for (size_t q = 0; q < kQuantileCount; ++q) out[i][q] = quantile_ms(dense, total, kQuantiles[q]);
  }
  return out;
}

double percentile_of(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  double pos = q * static_cast<double>(v.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(v.size() - 1, lo + 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

Verdict verdict_of(bool significant, double change_pct, double threshold_pct, bool higher_is_worse) {
  if (!significant) return Verdict::no_change;
  double worse = higher_is_worse ? change_pct : -change_pct;
  if (worse > threshold_pct) return Verdict::regression;
  if (-worse > threshold_pct) return Verdict::improvement;
  return Verdict::no_change;
}

// Two-sided p-value of Welch's t-test, by the normal approximation (the runs
// have tens of seconds or more; below that the test says little anyway).
double welch_p(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  auto mean_var = [](const std::vector<uint64_t>& v) {
    double m = 0;
    for (auto x : v) m += static_cast<double>(x);
    m /= static_cast<double>(v.size());
    double var = 0;
    for (auto x : v) var += (static_cast<double>(x) - m) * (static_cast<double>(x) - m);
    var /= std::max<double>(1, static_cast<double>(v.size()) - 1);
    return std::make_pair(m, var);
  };
  if (a.size() < 2 || b.size() < 2) return 1;
  auto [ma, va] = mean_var(a);
  auto [mb, vb] = mean_var(b);
  double se = std::sqrt(va / static_cast<double>(a.size()) + vb / static_cast<double>(b.size()));
  if (se <= 0) return ma == mb ? 1 : 0;
  double z = std::fabs(ma - mb) / se;
  return std::erfc(z / std::sqrt(2.0));
}

void compare(const Seconds& base, const Seconds& next, std::optional<int> stage, size_t resamples,
             double tail, double threshold_pct, std::mt19937_64& rng, std::vector<LatencyChange>& out) {
  auto bb = bootstrap(base, resamples, rng);
  auto nb = bootstrap(next, resamples, rng);
  for (size_t q = 0; q < kQuantileCount; ++q) {
    LatencyChange c;
    c.metric = kNames[q];
    c.stage = stage;
    c.base_ms = static_cast<double>(base.all.value_at_quantile(kQuantiles[q])) / 1e6;
    c.new_ms = static_cast<double>(next.all.value_at_quantile(kQuantiles[q])) / 1e6;
    c.change_pct = c.base_ms > 0 ? (c.new_ms - c.base_ms) / c.base_ms * 100 : 0;
    std::vector<double> changes;
    changes.reserve(resamples);
    for (size_t i = 0; i < resamples; ++i)
      if (bb[i][q] > 0) changes.push_back((nb[i][q] - bb[i][q]) / bb[i][q] * 100);
    c.ci95_low_pct = percentile_of(changes, tail);
    c.ci95_high_pct = percentile_of(changes, 1 - tail);
    c.significant = c.ci95_low_pct > 0 || c.ci95_high_pct < 0;
    // A regression must have grown by more than the threshold across its whole
    // interval, not only at its point estimate: same-build bench pairs shift
    // p50..p99 by 5-10 % between runs (another server process, other CPUs),
    // which the within-run interval cannot see (docs/DIFF.md, measured).
    // And by more than the scheduler's noise in ms (kMinLatencyChangeMs).
    const double low_ms = c.ci95_low_pct / 100 * c.base_ms, high_ms = c.ci95_high_pct / 100 * c.base_ms;
    if (c.ci95_low_pct > threshold_pct && low_ms >= kMinLatencyChangeMs)
      c.verdict = Verdict::regression;
    else if (c.ci95_high_pct < -threshold_pct && -high_ms >= kMinLatencyChangeMs)
      c.verdict = Verdict::improvement;
    out.push_back(c);
  }
}

std::string fixed(double v, const char* format) {
  char b[32];
  std::snprintf(b, sizeof b, format, v);
  return b;
}

// Whether latency's verdicts count (LatencyGate): always on a machine the
// target had to itself; on a shared one only when the service's CPU per
// request moved beyond the threshold the same way as latency did.
LatencyGate latency_gate(const capture::Capture& base, const capture::Capture& next, double threshold_pct,
                         size_t resamples, uint64_t seed) {
  LatencyGate g;
  const ServiceCost b = service_cost(base), n = service_cost(next);
  g.base_other_pct = b.other_pct;
  g.new_other_pct = n.other_pct;
  g.shared_machine = (b.other_pct && *b.other_pct >= kSharedMachineOtherPct) ||
                     (n.other_pct && *n.other_pct >= kSharedMachineOtherPct);
  g.cost = compare_cost(b, n, resamples, seed);
  const double cost_bar = std::max(threshold_pct, kMinCostChangePct);
  if (g.cost && g.cost->ci95_low_pct > cost_bar) g.cost_verdict = Verdict::regression;
  if (g.cost && g.cost->ci95_high_pct < -cost_bar) g.cost_verdict = Verdict::improvement;
  if (!g.shared_machine) return g;
  const std::string shared =
      "shared machine: other processes took " +
      (b.other_pct ? fixed(*b.other_pct, "%.0f") + " %" : std::string("?")) + " (base) and " +
      (n.other_pct ? fixed(*n.other_pct, "%.0f") + " %" : std::string("?")) + " (new) of the target's CPUs";
  if (!g.cost) {
    g.regressions_count = g.improvements_count = false;
    g.why = shared +
            ", and the captures hold no CPU time of the target to tell a slower build from a busier machine";
    return g;
  }
  g.regressions_count = g.cost->ci95_low_pct > cost_bar;
  g.improvements_count = g.cost->ci95_high_pct < -cost_bar;
  g.why = shared + "; the target's CPU per request " + fixed(g.cost->base_ms, "%.3f") + " -> " +
          fixed(g.cost->new_ms, "%.3f") + " ms (95 % interval " + fixed(g.cost->ci95_low_pct, "%+.1f") +
          " .. " + fixed(g.cost->ci95_high_pct, "%+.1f") + " %)";
  if (!g.regressions_count && !g.improvements_count)
    g.why += " did not move beyond the threshold (at least " + fixed(cost_bar, "%.0f") +
             " %): latency moved with the machine's load, not the build's work";
  return g;
}

}  // namespace

std::optional<RequestDiff> diff_requests(const capture::Capture& base, const capture::Capture& next,
                                         double threshold_pct, double alpha, std::string& note,
                                         size_t resamples, uint64_t seed) {
  Seconds b = seconds_of(base, std::nullopt), n = seconds_of(next, std::nullopt);
  if (b.blocks.empty() || n.blocks.empty()) {
    note = std::string("not in capture: latency and throughput need a request log (loadprof bench); ") +
           (b.blocks.empty() ? "base" : "new") + " has none";
    return std::nullopt;
  }
  RequestDiff d;
  d.base_requests = b.all.count();
  d.new_requests = n.all.count();
  d.resamples = resamples;
  // Stages line up by index when both runs had the same number of them.
  const size_t base_stages = base.load ? base.load->stages.size() : 0;
  const size_t new_stages = next.load ? next.load->stages.size() : 0;
  const bool by_stage = base_stages > 1 && base_stages == new_stages;
  if (base_stages > 1 && !by_stage)
    d.stages_note = "stages not compared: base has " + std::to_string(base_stages) + ", new " +
                    std::to_string(new_stages);
  d.comparisons = kQuantileCount * (1 + (by_stage ? base_stages : 0));
  const double tail = alpha / (2.0 * static_cast<double>(d.comparisons));
  std::mt19937_64 rng(seed);
  compare(b, n, std::nullopt, resamples, tail, threshold_pct, rng, d.latency);
  if (by_stage) {
    for (size_t s = 0; s < base_stages; ++s) {
      Seconds bs = seconds_of(base, static_cast<uint16_t>(s)),
              ns = seconds_of(next, static_cast<uint16_t>(s));
      if (bs.blocks.empty() || ns.blocks.empty()) continue;
      compare(bs, ns, static_cast<int>(s) + 1, resamples, tail, threshold_pct, rng, d.latency);
    }
  }
  // The two runs' seconds side by side, each counted from its own load start.
  for (auto [run, capture, seconds] :
       {std::tuple{&d.base_clock, &base, &b}, std::tuple{&d.new_clock, &next, &n}}) {
    run->load_start_ns = origin_of(*capture, std::nullopt);
    run->load_start_realtime_ns = realtime_of(*capture, run->load_start_ns);
    run->seconds = seconds->counts.size();
  }
  const size_t length = std::max(b.counts.size(), n.counts.size());
  for (size_t sec = 0; sec < length; ++sec) {
    AlignedSecond a;
    a.second = sec;
    if (sec < b.counts.size()) a.base_requests = b.counts[sec], a.base_p99_ms = b.p99_ms[sec];
    if (sec < n.counts.size()) a.new_requests = n.counts[sec], a.new_p99_ms = n.p99_ms[sec];
    d.timeline.push_back(a);
  }
  d.throughput.base_rps = static_cast<double>(b.all.count()) / b.span_s;
  d.throughput.new_rps = static_cast<double>(n.all.count()) / n.span_s;
  d.throughput.change_pct = d.throughput.base_rps > 0
                                ? (d.throughput.new_rps - d.throughput.base_rps) / d.throughput.base_rps * 100
                                : 0;
  d.throughput.p_value = welch_p(b.counts, n.counts);
  d.throughput.significant = d.throughput.p_value < alpha;
  d.throughput.verdict = verdict_of(d.throughput.significant, d.throughput.change_pct, threshold_pct, false);
  d.gate = latency_gate(base, next, threshold_pct, resamples, seed);
  for (auto& c : d.latency) {
    if ((c.verdict == Verdict::regression && !d.gate.regressions_count) ||
        (c.verdict == Verdict::improvement && !d.gate.improvements_count)) {
      c.held_back = true;
      c.verdict = Verdict::no_change;
    }
    if (c.verdict == Verdict::regression) d.verdict = Verdict::regression;
    if (c.verdict == Verdict::improvement && d.verdict == Verdict::no_change)
      d.verdict = Verdict::improvement;
  }
  if (d.throughput.verdict == Verdict::regression || d.gate.cost_verdict == Verdict::regression)
    d.verdict = Verdict::regression;
  if (d.gate.cost_verdict == Verdict::improvement && d.verdict == Verdict::no_change)
    d.verdict = Verdict::improvement;
  if (d.throughput.verdict == Verdict::improvement && d.verdict == Verdict::no_change)
    d.verdict = Verdict::improvement;
  return d;
}

}  // namespace loadprof::analyze
