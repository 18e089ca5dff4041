// Baseline file: compare a capture's per-entry figures, write them back (baseline.h).
#include "loadprof/analyze/baseline.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

namespace loadprof::analyze {

namespace {

using json = nlohmann::ordered_json;

double round3(double v) { return std::round(v * 1000.0) / 1000.0; }
double to_ms(uint64_t ns) { return static_cast<double>(ns) / 1e6; }

std::string fixed(double v) {
  char b[32];
  std::snprintf(b, sizeof b, v >= 100 ? "%.1f" : "%.2f", v);
  return b;
}

// The entries' array: the document itself, or its "endpoints"/"entries" key.
json* entries_of(json& doc) {
  if (doc.is_array()) return &doc;
  if (!doc.is_object()) return nullptr;
  for (const char* key : {"endpoints", "entries"})
    if (doc.contains(key) && doc[key].is_array()) return &doc[key];
  return nullptr;
}

Result<json> parse(std::string_view text, const std::string& path) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return json::array();
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded())
    return make_error(ErrorKind::corrupt_input,
                      path + ": not JSON (a baseline is a list of entries, docs/CI.md)");
  json* list = entries_of(doc);
  if (!list)
    return make_error(
        ErrorKind::corrupt_input,
        path + ": not a baseline (a JSON list of entries, or an object with \"endpoints\": [...])");
  for (const auto& e : *list)
    if (!e.is_object() || !e.contains("name") || !e["name"].is_string())
      return make_error(ErrorKind::corrupt_input, path + ": an entry without a \"name\": " + e.dump());
  return doc;
}

std::optional<double> number(const json& e, const char* key) {
  if (e.contains(key) && e[key].is_number()) return e[key].get<double>();
  return std::nullopt;
}

PercentileComparison compare(std::optional<double> base_ms, double value_ms, uint64_t ci_low_ns,
                             double threshold_pct) {
  PercentileComparison c;
  c.baseline_ms = base_ms;
  if (!base_ms || *base_ms <= 0) return c;
  c.change_pct = 100.0 * (value_ms - *base_ms) / *base_ms;
  c.beyond_threshold = c.change_pct > threshold_pct;
  c.beyond_noise = to_ms(ci_low_ns) > *base_ms;
  return c;
}

// The recent runs' figure `key` (those that have it).
std::vector<double> recent(const json& e, const char* key) {
  std::vector<double> out;
  if (!e.contains("recent_runs") || !e["recent_runs"].is_array()) return out;
  for (const auto& r : e["recent_runs"])
    if (r.is_object() && r.contains(key) && r[key].is_number()) out.push_back(r[key].get<double>());
  return out;
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// median + 3 x 1.4826 x MAD (a robust 3 sigma), from two runs on.
std::optional<double> noise_top(const std::vector<double>& runs) {
  if (runs.size() < 2) return std::nullopt;
  const double m = median_of(runs);
  std::vector<double> deviations;
  for (double x : runs) deviations.push_back(std::fabs(x - m));
  return m + 3 * 1.4826 * median_of(deviations);
}

}  // namespace

std::vector<EntryFigures> entry_figures(const LoadLog& log) {
  // Group the requests: by step when the capture names steps, else all under the path.
  std::map<uint16_t, std::vector<uint64_t>> latencies;
  std::map<uint16_t, std::pair<uint64_t, uint64_t>> counts;  // requests, errors
  const bool by_step = !log.step_names.empty();
  for (const auto& r : log.requests) {
    const uint16_t key = by_step ? r.step : 0;
    latencies[key].push_back(r.latency_ns);
    counts[key].first++;
    counts[key].second += r.error;
  }
  std::vector<EntryFigures> out;
  for (auto& [key, values] : latencies) {
    EntryFigures f;
    f.name = by_step ? (key < log.step_names.size() && !log.step_names[key].empty()
                            ? log.step_names[key]
                            : "step " + std::to_string(key))
                     : log.url_path;
    f.requests = counts[key].first;
    f.error_rate_pct =
        f.requests ? 100.0 * static_cast<double>(counts[key].second) / static_cast<double>(f.requests) : 0;
    f.throughput_rps = log.duration_s > 0 ? static_cast<double>(f.requests) / log.duration_s : 0;
    stats::Histogram h;
    for (uint64_t v : values) h.record(v);
    auto p = stats::percentiles_of(h);
    f.p50_ms = p.p50_ms;
    f.p95_ms = p.p95_ms;
    f.p99_ms = p.p99_ms;
    std::sort(values.begin(), values.end());
    f.p95_ci = stats::quantile_ci(values, 0.95);
    f.p99_ci = stats::quantile_ci(values, 0.99);
    out.push_back(std::move(f));
  }
  return out;
}

Result<BaselineCheck> compare_baseline(std::string_view text, const std::string& path,
                                       const std::vector<EntryFigures>& figures, double threshold_pct,
                                       std::optional<double> other_pct) {
  auto doc = parse(text, path);
  if (!doc) return doc.error();
  const json& list = *entries_of(*doc);
  BaselineCheck out;
  out.other_pct = other_pct;
  const bool shared = other_pct && *other_pct >= kSharedMachineOtherPct;
  std::vector<bool> seen(list.size(), false);
  for (const auto& f : figures) {
    EntryVerdict v;
    v.figures = f;
    for (size_t i = 0; i < list.size(); ++i) {
      if (list[i]["name"].get<std::string>() != f.name) continue;
      seen[i] = true;
      v.in_baseline = true;
      const json& e = list[i];
      v.slo_p95_ms = number(e, "slo_p95_ms");
      v.p95 = compare(number(e, "current_p95_ms"), f.p95_ms, f.p95_ci.low_ns, threshold_pct);
      v.p99 = compare(number(e, "current_p99_ms"), f.p99_ms, f.p99_ci.low_ns, threshold_pct);
      v.recent_runs = recent(e, "p95_ms").size();
      for (auto [c, key, value] :
           {std::tuple{&v.p95, "p95_ms", f.p95_ms}, std::tuple{&v.p99, "p99_ms", f.p99_ms}}) {
        c->runs_noise_top_ms = noise_top(recent(e, key));
        if (c->runs_noise_top_ms) c->beyond_runs = value > *c->runs_noise_top_ms;
      }
      if (shared && (v.p95.regressed() || v.p99.regressed())) {
        const auto costs = recent(e, "cpu_ms_per_request");
        std::string why =
            "shared machine (other processes took " + fixed(*other_pct) + " % of the target's CPUs)";
        bool cost_grew = false;
        if (!f.cpu_ms_per_request || costs.empty()) {
          why +=
              ", and no CPU per request of the target in the capture or the baseline to tell a slower build "
              "from a busier machine";
        } else {
          const double m = median_of(costs);
          cost_grew = *f.cpu_ms_per_request > m * (1 + std::max(threshold_pct, kMinCostChangePct) / 100);
          why += "; the target's CPU per request " + fixed(*f.cpu_ms_per_request) + " ms vs " + fixed(m) +
                 " ms (the recent runs' median)" +
                 (cost_grew ? ""
                            : ": did not grow beyond the threshold (at least 20 %), latency moved with the "
                              "machine's load");
        }
        if (!cost_grew) {
          v.p95.held_back = v.p95.regressed();
          v.p99.held_back = v.p99.regressed();
          v.held_back_why = why;
        }
      }
      break;
    }
    if (v.slo_p95_ms && f.p95_ms > *v.slo_p95_ms) {
      v.slo_broken = true;
      v.reasons.push_back("p95 " + fixed(f.p95_ms) + " ms above its SLO " + fixed(*v.slo_p95_ms) + " ms");
    }
    auto regression = [&](const char* name, const PercentileComparison& c, double value,
                          const stats::QuantileCi& ci) {
      if (!c.regressed()) return;
      v.reasons.push_back(
          std::string(name) + " " + fixed(value) + " ms vs baseline " + fixed(*c.baseline_ms) + " ms: +" +
          fixed(c.change_pct) + " % (95 % interval " + fixed(to_ms(ci.low_ns)) + ".." +
          fixed(to_ms(ci.high_ns)) + " ms, above the baseline" +
          (c.runs_noise_top_ms ? "; above the recent runs' noise " + fixed(*c.runs_noise_top_ms) + " ms"
                               : std::string()) +
          ")");
    };
    regression("p95", v.p95, f.p95_ms, f.p95_ci);
    regression("p99", v.p99, f.p99_ms, f.p99_ci);
    v.ok = v.reasons.empty();
    out.ok = out.ok && v.ok;
    out.entries.push_back(std::move(v));
  }
  for (size_t i = 0; i < list.size(); ++i)
    if (!seen[i]) out.not_in_capture.push_back(list[i]["name"].get<std::string>());
  return out;
}

Result<std::string> updated_baseline(std::string_view text, const std::string& path,
                                     const BaselineCheck& check, const std::string& date_iso,
                                     const std::string& bottleneck) {
  auto doc = parse(text, path);
  if (!doc) return doc.error();
  json& list = *entries_of(*doc);
  for (const auto& v : check.entries) {
    json* e = nullptr;
    for (auto& x : list)
      if (x["name"].get<std::string>() == v.figures.name) e = &x;
    if (!e) {
      list.push_back({{"name", v.figures.name},
                      {"slo_p95_ms", nullptr},
                      {"current_p50_ms", nullptr},
                      {"current_p95_ms", nullptr},
                      {"current_p99_ms", nullptr},
                      {"throughput_rps", nullptr},
                      {"last_tested", nullptr},
                      {"status", nullptr},
                      {"bottleneck", nullptr}});
      e = &list.back();
    }
    if (v.ok) {
      json run = {
          {"p50_ms", round3(v.figures.p50_ms)},
          {"p95_ms", round3(v.figures.p95_ms)},
          {"p99_ms", round3(v.figures.p99_ms)},
          {"cpu_ms_per_request",
           v.figures.cpu_ms_per_request ? json(round3(*v.figures.cpu_ms_per_request)) : json(nullptr)},
          {"other_pct", check.other_pct ? json(round3(*check.other_pct)) : json(nullptr)},
          {"date", date_iso}};
      if (!e->contains("recent_runs") || !(*e)["recent_runs"].is_array()) (*e)["recent_runs"] = json::array();
      json& runs = (*e)["recent_runs"];
      runs.push_back(std::move(run));
      while (runs.size() > kBaselineRecentRuns) runs.erase(runs.begin());
      (*e)["current_p50_ms"] = round3(v.figures.p50_ms);
      (*e)["current_p95_ms"] = round3(v.figures.p95_ms);
      (*e)["current_p99_ms"] = round3(v.figures.p99_ms);
      (*e)["throughput_rps"] = round3(v.figures.throughput_rps);
    }
    (*e)["last_tested"] = date_iso;
    (*e)["status"] = v.ok ? "pass" : "fail";
    if (!bottleneck.empty() && (!e->contains("bottleneck") || (*e)["bottleneck"].is_null()))
      (*e)["bottleneck"] = bottleneck;
  }
  return doc->dump(2) + "\n";
}

}  // namespace loadprof::analyze
