// report.json's "bottlenecks", "verdict" and "capacity_model" (verdict_sections.h);
// docs/report.schema.json describes them.
#include <cmath>

#include "verdict_sections.h"

namespace loadprof::report {
namespace {

using json = nlohmann::ordered_json;

double round2(double v) { return std::round(v * 100.0) / 100.0; }
double round6(double v) { return std::round(v * 1e6) / 1e6; }
json opt(const std::optional<double>& v) { return v ? json(round2(*v)) : json(nullptr); }

}  // namespace

json bottlenecks_json(const analyze::BottleneckVerdict& v) {
  json out = json::array();
  for (const auto& b : v.bottlenecks) {
    out.push_back({{"kind", b.kind},
                   {"frame", b.frame},
                   {"share_pct", round2(b.share_pct)},
                   {"share_of", b.share_of},
                   {"evidence", b.evidence},
                   {"recommendation", b.recommendation},
                   {"estimated_gain", b.estimated_gain},
                   {"gain_pct", round2(b.gain_pct)},
                   {"per_slow_request_ms", opt(b.per_slow_request_ms)},
                   {"stacks", b.stacks}});
  }
  return out;
}

json verdict_json(const analyze::BottleneckVerdict& v) {
  json not_checked = json::array();
  for (const auto& n : v.not_checked) not_checked.push_back({{"kind", n.kind}, {"reason", n.reason}});
  return {{"summary", v.summary},
          {"constraint_found", !v.bottlenecks.empty()},
          {"gain_rule", kGainNote},
          {"not_checked", std::move(not_checked)}};
}

json capacity_model_json(const analyze::CapacityModel& m) {
  json points = json::array();
  for (const auto& p : m.points) {
    points.push_back({{"source", p.source},
                      {"index", p.index},
                      {"offered_rps", opt(p.offered_rps)},
                      {"throughput_rps", round2(p.throughput_rps)},
                      {"p50_ms", round2(p.p50_ms)},
                      {"p99_ms", round2(p.p99_ms)},
                      {"error_rate_pct", round2(p.error_rate_pct)},
                      {"concurrency", round2(p.concurrency)},
                      {"slo_ok", p.slo_ok ? json(*p.slo_ok) : json(nullptr)}});
  }
  json usl = nullptr;
  if (m.usl) {
    usl = {{"lambda_rps", round2(m.usl->lambda_rps)},
           {"sigma", round6(m.usl->sigma)},
           {"kappa", round6(m.usl->kappa)},
           {"r_squared", round6(m.usl->r_squared)},
           {"peak_concurrency", opt(m.usl->peak_concurrency)},
           {"peak_throughput_rps", opt(m.usl->peak_throughput_rps)}};
  }
  json spikes = json::array();
  for (const auto& s : m.spikes) {
    spikes.push_back({{"stage", s.stage},
                      {"from_rps", round2(s.from_rps)},
                      {"to_rps", round2(s.to_rps)},
                      {"end_s", round2(s.end_s)},
                      {"pre_spike_p99_ms", round2(s.pre_spike_p99_ms)},
                      {"threshold_ms", round2(s.threshold_ms)},
                      {"recovery_s", opt(s.recovery_s)},
                      {"watched_s", round2(s.watched_s)}});
  }
  return {{"source", m.source},
          {"points", std::move(points)},
          {"max_throughput_rps", opt(m.max_throughput_rps)},
          {"knee_rps", opt(m.knee_rps)},
          {"max_rate_meeting_slo_rps", opt(m.max_rate_meeting_slo_rps)},
          {"usl", std::move(usl)},
          {"usl_note", m.usl_note},
          {"spikes", std::move(spikes)}};
}

}  // namespace loadprof::report
