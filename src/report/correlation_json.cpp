// report.json's "correlation" key: SPEC's slow_threshold_ms, slow/fast windows
// and ranked stacks, plus the windows, stages, attribution and slow requests.
#include <cmath>

#include "correlation_sections.h"

namespace loadprof::report {
namespace {

using json = nlohmann::ordered_json;

double round2(double v) { return std::round(v * 100.0) / 100.0; }
double round3(double v) { return std::round(v * 1000.0) / 1000.0; }
json opt(const std::optional<double>& v, double (*round)(double) = round2) {
  return v ? json(round(*v)) : json(nullptr);
}

json window_json(const analyze::LatencyWindow& w, bool stage) {
  json j = json::object();
  if (stage) j["stage"] = w.stage;
  j["t_s"] = round3(w.t_s);
  j["duration_s"] = round3(w.duration_s);
  j["requests"] = w.requests;
  j["errors"] = w.errors;
  j["throughput_rps"] = round2(w.throughput_rps);
  j["latency_ms"] = {{"p50", opt(w.p50_ms, round3)}, {"p99", opt(w.p99_ms, round3)}};
  j["cpu_samples"] = w.cpu_samples;
  j["offcpu_ms"] = round2(w.offcpu_ms);
  if (!stage) j["slow"] = w.slow ? json(*w.slow) : json(nullptr);
  return j;
}

}  // namespace

json correlation_json(const analyze::Correlation& c) {
  json stacks = json::array();
  for (const auto& f : c.stacks) {
    stacks.push_back({{"frame", f.frame},
                      {"kind", f.kind},
                      {"fast_share_pct", round2(f.fast_share_pct)},
                      {"slow_share_pct", round2(f.slow_share_pct)},
                      {"growth_pct_points", round2(f.growth_pct_points)},
                      {"rank_correlation", opt(f.rank_correlation, round3)},
                      {"load_rank_correlation", opt(f.load_rank_correlation, round3)}});
  }
  json windows = json::array();
  for (const auto& w : c.windows) windows.push_back(window_json(w, false));
  json stages = json::array();
  for (const auto& s : c.stages) stages.push_back(window_json(s, true));
  const auto& at = c.attribution;
  json slow_requests = nullptr;
  if (c.slow_requests) {
    const auto& sr = *c.slow_requests;
    json functions = json::array();
    for (const auto& f : sr.functions) {
      functions.push_back({{"frame", f.frame},
                           {"kind", f.kind},
                           {"slow_share_pct", round2(f.slow_share_pct)},
                           {"median_share_pct", round2(f.median_share_pct)},
                           {"growth_pct_points", round2(f.growth_pct_points)}});
    }
    slow_requests = {{"latency_threshold_ms", round3(sr.latency_threshold_ms)},
                     {"median_band_ms", {round3(sr.median_low_ms), round3(sr.median_high_ms)}},
                     {"slow_requests", sr.slow_requests},
                     {"median_requests", sr.median_requests},
                     {"slow_samples", sr.slow_samples},
                     {"median_samples", sr.median_samples},
                     {"slow_offcpu_ms", round2(sr.slow_offcpu_ms)},
                     {"median_offcpu_ms", round2(sr.median_offcpu_ms)},
                     {"functions", std::move(functions)}};
  }
  json endpoints = json::array();
  for (const auto& e : c.endpoints) {
    json parts = json::array();
    for (const auto& p : e.parts)
      parts.push_back({{"kind", p.kind},
                       {"frame", p.frame},
                       {"ms", round2(p.ms)},
                       {"share_pct", round2(p.share_pct)},
                       {"slow_share_pct", round2(p.slow_share_pct)}});
    endpoints.push_back(
        {{"step", e.step},
         {"name", e.name},
         {"requests", e.requests},
         {"latency_ms", {{"p50", round3(e.p50_ms)}, {"p99", round3(e.p99_ms)}, {"mean", round3(e.mean_ms)}}},
         {"summed_ms", round2(e.summed_ms)},
         {"share_of_all_pct", round2(e.share_of_all_pct)},
         {"attributed_pct", round2(e.attributed_pct)},
         {"slow_requests", e.slow_requests},
         {"slow_summed_ms", round2(e.slow_summed_ms)},
         {"parts", std::move(parts)}});
  }
  return {{"slow_threshold_ms", opt(c.slow_threshold_ms, round3)},
          {"slow_windows", c.slow_windows},
          {"fast_windows", c.fast_windows},
          {"slow_rule", c.slow_rule},
          {"window_s", round3(c.window_s)},
          {"requests", c.requests},
          {"requests_without_end", c.requests_without_end},
          {"warmup_requests", c.warmup_requests},
          {"stacks", std::move(stacks)},
          {"windows", std::move(windows)},
          {"stages", std::move(stages)},
          {"attribution",
           {{"method", at.method},
            {"ambiguous", at.ambiguous},
            {"connection_join", at.connection_join},
            {"cpu_samples", at.cpu_samples},
            {"in_requests", at.in_requests},
            {"attributed", at.attributed},
            {"attributed_by_time", at.attributed_by_time},
            {"attributed_by_thread", at.attributed_by_thread},
            {"ambiguous_samples", at.ambiguous_samples},
            {"dedicated_threads", at.dedicated_threads},
            {"companion_threads", at.companion_threads},
            {"coverage_pct", round2(at.coverage_pct)},
            {"offcpu_ms", round2(at.offcpu_ms)},
            {"offcpu_attributed_ms", round2(at.offcpu_attributed_ms)},
            {"offcpu_client_wait_ms", round2(at.offcpu_client_wait_ms)}}},
          {"slow_requests", std::move(slow_requests)},
          {"endpoints", std::move(endpoints)}};
}

}  // namespace loadprof::report
