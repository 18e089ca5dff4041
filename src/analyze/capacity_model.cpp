// The capacity model (capacity_model.h) from the load summary's stages or
// capacity steps, its per-second time series and the request log.
#include "loadprof/analyze/capacity_model.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace loadprof::analyze {
namespace {

using nlohmann::json;

double number_or(const json& j, const char* key, double fallback) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : fallback;
}

std::optional<double> number(const json& j, const char* key) {
  if (j.is_object() && j.contains(key) && j[key].is_number()) return j[key].get<double>();
  return std::nullopt;
}

std::optional<bool> boolean(const json& j, const char* key) {
  if (j.is_object() && j.contains(key) && j[key].is_boolean()) return j[key].get<bool>();
  return std::nullopt;
}

double p(const json& j, const char* key) {
  return j.is_object() && j.contains("latency_ms") ? number_or(j["latency_ms"], key, 0) : 0;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

// Mean service time (s) of the measured requests of each stage, from the log.
std::vector<double> mean_service_s(const capture::Capture& c, size_t stages) {
  std::vector<double> sum(stages, 0);
  std::vector<uint64_t> n(stages, 0);
  for (const auto& r : c.requests) {
    if (r.stage == capture::kWarmupStage || r.stage >= stages) continue;
    if (r.error_class == capture::kRequestErrorConnect || r.end_ns < r.actual_start_ns) continue;
    sum[r.stage] += static_cast<double>(r.end_ns - r.actual_start_ns) / 1e9;
    ++n[r.stage];
  }
  for (size_t i = 0; i < stages; ++i) sum[i] = n[i] ? sum[i] / static_cast<double>(n[i]) : 0;
  return sum;
}

// The knee: the first point (by offered rate) from which every higher point
// has p99 turned up or throughput short of the offered rate.
std::optional<double> knee_of(const std::vector<CapacityPoint>& pts) {
  if (pts.size() < 2 || !pts.front().offered_rps) return std::nullopt;
  const double base = pts.front().p99_ms;
  const auto turned = [&](const CapacityPoint& q) {
    const bool latency = q.p99_ms > 2 * base && q.p99_ms > base + 1.0;
    const bool short_of_rate = q.offered_rps && q.throughput_rps < 0.9 * *q.offered_rps;
    return latency || short_of_rate;
  };
  std::optional<double> knee;
  for (size_t i = pts.size(); i-- > 1;) {
    if (!turned(pts[i])) break;
    knee = pts[i].offered_rps;
  }
  return knee;
}

std::vector<SpikeRecovery> spikes_of(const json& stages, const json& series) {
  std::vector<SpikeRecovery> out;
  if (!stages.is_array() || !series.is_array()) return out;
  struct Second {
    double t_s, p99_ms, requests;
  };
  std::vector<Second> secs;
  for (const auto& s : series)
    secs.push_back({number_or(s, "t_s", -1), p(s, "p99"), number_or(s, "throughput_rps", 0)});
  double run_end_s = 0;
  for (const auto& s : secs) run_end_s = std::max(run_end_s, s.t_s + 1);
  for (size_t i = 1; i < stages.size(); ++i) {
    const auto& prev = stages[i - 1];
    const auto& cur = stages[i];
    const auto before = number(prev, "rate_end_rps"), now = number(cur, "rate_start_rps");
    if (!before || !now || *before <= 0 || *now < kSpikeFactor * *before) continue;
    // A spike comes back down: a jump followed by a higher (or no) stage is a step of a ramp.
    if (i + 1 >= stages.size()) continue;
    const auto after = number(stages[i + 1], "rate_start_rps");
    if (!after || *after >= number_or(cur, "rate_end_rps", *now)) continue;
    SpikeRecovery r;
    r.stage = static_cast<uint32_t>(i);
    r.from_rps = *before;
    r.to_rps = *now;
    const double prev_start = number_or(prev, "start_s", 0),
                 prev_end = prev_start + number_or(prev, "duration_s", 0);
    r.end_s = number_or(cur, "start_s", 0) + number_or(cur, "duration_s", 0);
    std::vector<double> pre;
    for (const auto& s : secs)  // whole seconds inside the stage before the spike, with requests
      if (s.t_s >= prev_start && s.t_s + 1 <= prev_end + 1e-9 && s.requests > 0) pre.push_back(s.p99_ms);
    if (pre.empty()) continue;
    r.pre_spike_p99_ms = median(pre);
    r.threshold_ms = r.pre_spike_p99_ms * kRecoveryTolerance;
    r.watched_s = std::max(0.0, run_end_s - r.end_s);
    for (const auto& s : secs) {
      if (s.t_s + 1e-9 < std::floor(r.end_s + 1e-9) || s.requests <= 0) continue;
      if (s.p99_ms <= r.threshold_ms) {
        r.recovery_s = std::max(0.0, s.t_s - r.end_s);
        break;
      }
    }
    out.push_back(r);
  }
  return out;
}

}  // namespace

std::optional<CapacityModel> capacity_model(const capture::Capture& c) {
  if (!c.load) return std::nullopt;
  const json summary = json::parse(c.load->summary_json, nullptr, false);
  if (!summary.is_object()) return std::nullopt;
  CapacityModel m;
  const bool closed = summary.contains("load") && summary["load"].is_object() &&
                      summary["load"].value("model", std::string()) == "closed";
  if (summary.contains("capacity") && summary["capacity"].is_object() &&
      summary["capacity"].contains("steps") && summary["capacity"]["steps"].is_array()) {
    m.source = "capacity_search";
    uint32_t i = 0;
    for (const auto& s : summary["capacity"]["steps"]) {
      CapacityPoint q;
      q.source = "step";
      q.index = i++;
      q.offered_rps = number(s, "rate_rps");
      q.throughput_rps = number_or(s, "throughput_rps", 0);
      q.p50_ms = p(s, "p50");
      q.p99_ms = p(s, "p99");
      q.error_rate_pct = number_or(s, "error_rate_pct", 0);
      q.concurrency = q.throughput_rps * q.p50_ms / 1000.0;
      q.slo_ok = boolean(s, "slo_ok");
      m.points.push_back(q);
    }
    if (auto max = number(summary["capacity"], "max_rate_rps"); max && *max > 0)
      m.max_rate_meeting_slo_rps = max;
  } else if (summary.contains("stages") && summary["stages"].is_array() && summary["stages"].size() >= 2) {
    m.source = "stages";
    const auto& stages = summary["stages"];
    const auto service = mean_service_s(c, stages.size());
    double highest_rps = -1;
    for (uint32_t i = 0; i < stages.size(); ++i) {
      const auto& s = stages[i];
      // The curve is the stages that raised the rate: one at a rate already
      // run (after a spike, or a ramp down) carries the queue of the stage
      // before it, a recovery rather than a capacity.
      const auto top = number(s, "rate_end_rps");
      if (!closed && top) {
        if (*top <= highest_rps) continue;
        highest_rps = *top;
      }
      CapacityPoint q;
      q.source = "stage";
      q.index = i;
      const auto a = number(s, "rate_start_rps"), b = number(s, "rate_end_rps");
      if (!closed && a && b) q.offered_rps = (*a + *b) / 2;
      q.throughput_rps = number_or(s, "throughput_rps", 0);
      q.p50_ms = p(s, "p50");
      q.p99_ms = p(s, "p99");
      const double requests = number_or(s, "requests", 0);
      q.error_rate_pct = requests > 0 ? 100.0 * number_or(s, "errors", 0) / requests : 0;
      q.concurrency = q.throughput_rps * (service[i] > 0 ? service[i] : q.p50_ms / 1000.0);
      q.slo_ok = boolean(s, "slo_ok");
      m.points.push_back(q);
    }
    for (const auto& q : m.points)
      if (q.slo_ok.value_or(false) && q.offered_rps)
        m.max_rate_meeting_slo_rps = std::max(m.max_rate_meeting_slo_rps.value_or(0), *q.offered_rps);
    m.spikes = spikes_of(stages, summary.contains("timeseries") ? summary["timeseries"] : json());
  } else {
    return std::nullopt;
  }
  std::stable_sort(m.points.begin(), m.points.end(), [](const CapacityPoint& x, const CapacityPoint& y) {
    if (x.offered_rps && y.offered_rps) return *x.offered_rps < *y.offered_rps;
    return x.concurrency < y.concurrency;
  });
  for (const auto& q : m.points)
    m.max_throughput_rps = std::max(m.max_throughput_rps.value_or(0), q.throughput_rps);
  m.knee_rps = knee_of(m.points);
  std::vector<stats::UslPoint> usl;
  for (const auto& q : m.points)
    if (q.error_rate_pct < 1.0) usl.push_back({q.concurrency, q.throughput_rps});
  m.usl = stats::fit_usl(usl);
  if (!m.usl) {
    m.usl_note = "no fit: needs >= " + std::to_string(stats::kUslMinPoints) +
                 " points (stages or steps) of distinct concurrency with < 1 % errors, has " +
                 std::to_string(usl.size());
  } else if (!m.usl->peak_throughput_rps) {
    m.usl_note = "no peak: kappa is 0, throughput levels off towards lambda / sigma";
  } else {
    m.usl_note = "peak at the concurrency sqrt((1 - sigma) / kappa)";
  }
  return m;
}

}  // namespace loadprof::analyze
