// diff.json: SPEC.md's `diff` document. Keys in SPEC's order, our additions after.
#include <cmath>

#include "loadprof/report/diff.h"
#include "loadprof/util/version.h"

namespace loadprof::report {
namespace {

using json = nlohmann::ordered_json;

double round2(double v) { return std::round(v * 100.0) / 100.0; }

json share_json(const analyze::ShareChange& s) {
  return {{"frame", s.frame},
          {"kind", s.kind},
          {"base_pct", round2(s.base_pct)},
          {"new_pct", round2(s.new_pct)},
          {"delta_pct_points", round2(s.delta_pct_points)},
          {"significant", s.significant},
          {"share", s.self ? "self" : "total"},
          {"verdict", analyze::verdict_name(s.verdict)},
          {"change_pct", s.change_pct ? json(round2(*s.change_pct)) : json(nullptr)},
          {"ci95_pct_points", {round2(s.ci95_low_points), round2(s.ci95_high_points)}},
          {"dispersion", {round2(s.base_dispersion), round2(s.new_dispersion)}},
          {"z", round2(s.z)},
          {"p_value", s.p_value},
          {"base_samples", s.base_samples},
          {"new_samples", s.new_samples},
          {"weight", s.weight},
          {"df", round2(s.df)},
          {"judged", s.judged}};
}

double round3(double v) { return std::round(v * 1000.0) / 1000.0; }

json latency_json(const analyze::DiffResult& diff) {
  if (!diff.requests) return nullptr;
  json out = json::array();
  for (const auto& c : diff.requests->latency)
    out.push_back({{"metric", c.metric},
                   {"stage", c.stage ? json(*c.stage) : json(nullptr)},
                   {"base", round3(c.base_ms)},
                   {"new", round3(c.new_ms)},
                   {"change_pct", round3(c.change_pct)},
                   {"ci95_pct", {round3(c.ci95_low_pct), round3(c.ci95_high_pct)}},
                   {"significant", c.significant},
                   {"verdict", analyze::verdict_name(c.verdict)},
                   {"held_back", c.held_back}});
  return out;
}

json throughput_json(const analyze::DiffResult& diff) {
  if (!diff.requests) return nullptr;
  const auto& t = diff.requests->throughput;
  return {{"base", round3(t.base_rps)},
          {"new", round3(t.new_rps)},
          {"change_pct", round3(t.change_pct)},
          {"significant", t.significant},
          {"p_value", t.p_value},
          {"verdict", analyze::verdict_name(t.verdict)}};
}

json requests_json(const analyze::DiffResult& diff) {
  if (!diff.requests) return diff.requests_note;
  const auto& r = *diff.requests;
  json out = {{"base", r.base_requests},
              {"new", r.new_requests},
              {"resamples", r.resamples},
              {"comparisons", r.comparisons},
              {"verdict", analyze::verdict_name(r.verdict)}};
  if (!r.stages_note.empty()) out["stages_note"] = r.stages_note;
  if (!diff.kinds_skipped.empty()) out["kinds_skipped"] = diff.kinds_skipped;
  auto clock = [](const analyze::RunClock& c) {
    return json{{"load_start_monotonic_ns", c.load_start_ns},
                {"load_start_realtime_ns",
                 c.load_start_realtime_ns ? json(*c.load_start_realtime_ns) : json(nullptr)},
                {"seconds", c.seconds}};
  };
  out["aligned_by"] = "load start";
  out["clocks"] = {{"base", clock(r.base_clock)}, {"new", clock(r.new_clock)}};
  json timeline = json::array();
  for (const auto& a : r.timeline)
    timeline.push_back({{"second", a.second},
                        {"base_requests", a.base_requests},
                        {"new_requests", a.new_requests},
                        {"base_p99_ms", round3(a.base_p99_ms)},
                        {"new_p99_ms", round3(a.new_p99_ms)}});
  out["timeline"] = std::move(timeline);
  const auto& g = r.gate;
  auto optional = [](const std::optional<double>& v) { return v ? json(round3(*v)) : json(nullptr); };
  json cost = nullptr;
  if (g.cost)
    cost = {{"base", round3(g.cost->base_ms)},
            {"new", round3(g.cost->new_ms)},
            {"change_pct", round3(g.cost->change_pct)},
            {"ci95_pct", {round3(g.cost->ci95_low_pct), round3(g.cost->ci95_high_pct)}},
            {"verdict", analyze::verdict_name(g.cost_verdict)}};
  out["latency_gate"] = {{"other_pct", {optional(g.base_other_pct), optional(g.new_other_pct)}},
                         {"shared_machine", g.shared_machine},
                         {"cpu_ms_per_request", std::move(cost)},
                         {"regressions_count", g.regressions_count},
                         {"improvements_count", g.improvements_count},
                         {"why", g.why},
                         {"min_change_ms", analyze::kMinLatencyChangeMs},
                         {"shared_other_pct", analyze::kSharedMachineOtherPct}};
  return out;
}

}  // namespace

nlohmann::ordered_json diff_to_json(const analyze::DiffResult& diff) {
  json stacks = json::array();
  json samples = json::object();
  for (const auto& k : diff.kinds) {
    for (const auto& s : k.changes) stacks.push_back(share_json(s));
    samples[analyze::diff_kind_label(k)] = {
        {"base", k.base_samples},
        {"new", k.new_samples},
        {"without_stack", {{"base", k.base_without_stack}, {"new", k.new_without_stack}}},
        {"interrupt_samples", {{"base", k.base_interrupt_samples}, {"new", k.new_interrupt_samples}}},
        {"comparisons", k.comparisons},
        {"alpha_per_test", k.alpha_per_test},
        {"verdict", analyze::verdict_name(k.verdict)},
        {"weight", k.weight}};
  }
  json j = {{"verdict", analyze::verdict_name(diff.verdict)},
            {"threshold_pct", diff.threshold_pct},
            {"latency_ms", latency_json(diff)},
            {"throughput_rps", throughput_json(diff)},
            {"stacks", std::move(stacks)},
            {"loadprof_version", kVersion},
            {"alpha", diff.alpha},
            {"requests", requests_json(diff)},
            {"samples", std::move(samples)}};
  return j;
}

}  // namespace loadprof::report
