// `loadprof check`: SLO terms and baselines over a bench capture (check.h).
#include "loadprof/report/check.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "loadprof/analyze/analysis.h"
#include "loadprof/analyze/service_cost.h"
#include "loadprof/capture/reader.h"

namespace loadprof::report {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

double round3(double v) { return std::round(v * 1000.0) / 1000.0; }
double to_ms(uint64_t ns) { return static_cast<double>(ns) / 1e6; }

std::string secs(double s) {
  char b[32];
  std::snprintf(b, sizeof b, s == std::floor(s) ? "%.0fs" : "%.1fs", s);
  return b;
}

// A value in its term's unit: "12.3 ms", "0.52 %", "148 req/s".
std::string value_text(stats::SloMetric m, double v) {
  char b[48];
  const char* unit = m == stats::SloMetric::errors ? "%" : m == stats::SloMetric::rps ? "req/s" : "ms";
  std::snprintf(b, sizeof b, v >= 100 ? "%.1f %s" : v >= 1 ? "%.2f %s" : "%.3f %s", v, unit);
  return b;
}

std::string ms_text(double v) {
  char b[32];
  std::snprintf(b, sizeof b, v >= 100 ? "%.1f" : "%.2f", v);
  return b;
}

Result<std::string> read_text(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return errno_error(ErrorKind::io, "open " + path, errno);
  std::stringstream s;
  s << file.rdbuf();
  return s.str();
}

// Written beside the file, then renamed over it: a crash never leaves half a baseline.
Result<void> write_text(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
    if (!file) return errno_error(ErrorKind::io, "open " + tmp, errno);
    file << text;
    file.flush();
    if (!file) return errno_error(ErrorKind::io, "write " + tmp, errno);
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return make_error(ErrorKind::io, "rename " + tmp + " to " + path + ": " + ec.message());
  return {};
}

json percentile_json(const analyze::PercentileComparison& c, double value_ms, const stats::QuantileCi& ci) {
  return {{"value_ms", round3(value_ms)},
          {"ci95_ms", {round3(to_ms(ci.low_ns)), round3(to_ms(ci.high_ns))}},
          {"baseline_ms", c.baseline_ms ? json(*c.baseline_ms) : json(nullptr)},
          {"change_pct", c.baseline_ms ? json(round3(c.change_pct)) : json(nullptr)},
          {"regression", c.regressed()},
          {"runs_noise_top_ms", c.runs_noise_top_ms ? json(round3(*c.runs_noise_top_ms)) : json(nullptr)},
          {"held_back", c.held_back}};
}

// What fills an empty `bottleneck` of a URL's entry: the target's hottest
// function by self cpu samples. A scenario's steps share one profile, so no
// step gets the whole run's answer.
std::string top_cpu_function(const capture::Capture& c, const CheckOutcome& o) {
  if (c.cpu_samples.empty() || !o.baseline || o.baseline->entries.size() != 1) return {};
  analyze::AnalysisOptions options;
  options.top_functions = 1;
  options.top_stacks = 0;
  auto a = analyze::analyze(c, options);
  if (!a.ok() || a->top_self.empty()) return {};
  char b[64];
  std::snprintf(b, sizeof b, " (%.0f %% of the cpu samples, self)", a->top_self[0].self_pct);
  return "cpu: " + a->top_self[0].name + b;
}

}  // namespace

json check_to_json(const CheckConfig& config, const CheckOutcome& o) {
  json j;
  j["capture"] = config.capture_path;
  j["ok"] = o.ok;
  j["requests"] = o.log.requests.size();
  j["duration_s"] = round3(o.log.duration_s);
  j["never_completed"] = o.log.never_completed;
  j["log_dropped"] = o.log.log_dropped;
  j["warnings"] = o.warnings;
  if (o.slo) {
    json scopes = json::array();
    for (const auto& s : o.slo->scopes) {
      json terms = json::array();
      for (const auto& t : s.terms) {
        json v = {{"term", t.term}, {"value", round3(t.value)}, {"ok", t.ok}, {"lower_bound", t.lower_bound}};
        if (t.window_ns) {
          v["window_s"] = round3(static_cast<double>(t.window_ns) / 1e9);
          v["windows"] = t.windows;
          v["windows_failed"] = t.windows_failed;
          v["worst_window_s"] = {round3(t.worst_start_s), round3(t.worst_end_s)};
        }
        terms.push_back(v);
      }
      scopes.push_back({{"scope", s.name},
                        {"start_s", round3(s.start_s)},
                        {"end_s", round3(s.end_s)},
                        {"requests", s.requests},
                        {"ok", s.ok},
                        {"terms", terms}});
    }
    j["slo"] = {{"ok", o.slo->ok}, {"scopes", scopes}};
  } else {
    j["slo"] = nullptr;
  }
  if (o.baseline) {
    json entries = json::array();
    for (const auto& e : o.baseline->entries) {
      const auto& f = e.figures;
      entries.push_back(
          {{"name", f.name},
           {"in_baseline", e.in_baseline},
           {"requests", f.requests},
           {"throughput_rps", round3(f.throughput_rps)},
           {"error_rate_pct", round3(f.error_rate_pct)},
           {"p50_ms", round3(f.p50_ms)},
           {"p95", percentile_json(e.p95, f.p95_ms, f.p95_ci)},
           {"p99", percentile_json(e.p99, f.p99_ms, f.p99_ci)},
           {"slo_p95_ms", e.slo_p95_ms ? json(*e.slo_p95_ms) : json(nullptr)},
           {"slo_broken", e.slo_broken},
           {"ok", e.ok},
           {"reasons", e.reasons},
           {"recent_runs", e.recent_runs},
           {"cpu_ms_per_request", f.cpu_ms_per_request ? json(round3(*f.cpu_ms_per_request)) : json(nullptr)},
           {"held_back", e.held_back_why}});
    }
    j["baseline"] = {
        {"file", config.baseline_path.value_or("")},
        {"threshold_pct", config.threshold_pct},
        {"noise",
         "95 % binomial order-statistic interval on the new percentile; median + 3 x "
         "1.4826 x MAD of the entry's recent_runs (two or more)"},
        {"other_pct", o.baseline->other_pct ? json(round3(*o.baseline->other_pct)) : json(nullptr)},
        {"ok", o.baseline->ok},
        {"updated", config.update},
        {"entries", entries},
        {"not_in_capture", o.baseline->not_in_capture}};
  } else {
    j["baseline"] = nullptr;
  }
  return j;
}

void write_check_table(std::ostream& out, const CheckConfig& config, const CheckOutcome& o) {
  const auto& log = o.log;
  char line[512];
  std::snprintf(line, sizeof line, "check %s: %zu requests measured over %s", config.capture_path.c_str(),
                log.requests.size(), secs(log.duration_s).c_str());
  out << line;
  if (log.stages.size() > 1) out << " in " << log.stages.size() << " stages";
  out << "; latency from the intended send (coordinated omission corrected), failed requests at the time "
         "they failed\n";
  for (const auto& w : o.warnings) out << "warning: " << w << "\n";
  if (o.slo) {
    std::vector<std::string> broken;
    std::snprintf(line, sizeof line, "\n%-22s %-10s %-11s %9s  %-28s %s\n", "SLO term", "scope", "span",
                  "requests", "value", "verdict");
    out << line;
    for (const auto& s : o.slo->scopes) {
      const std::string span = secs(s.start_s) + "-" + secs(s.end_s);
      for (const auto& t : s.terms) {
        std::string value = (t.lower_bound ? ">= " : "") + value_text(t.metric, t.value);
        std::string verdict = t.ok ? "ok" : "BROKEN";
        if (t.window_ns) {
          value += " in " + secs(s.start_s + t.worst_start_s) + "-" + secs(s.start_s + t.worst_end_s);
          verdict += " (" + std::to_string(t.windows_failed) + " of " + std::to_string(t.windows) +
                     " windows broken)";
        }
        std::snprintf(line, sizeof line, "%-22s %-10s %-11s %9llu  %-28s %s\n", t.term.c_str(),
                      s.name.c_str(), span.c_str(), static_cast<unsigned long long>(s.requests),
                      value.c_str(), verdict.c_str());
        out << line;
        if (!t.ok) broken.push_back(t.term + " (" + s.name + ")");
      }
    }
    out << "values of windowed terms (@DURATION) are the worst window's, spans from the end of the warmup";
    if (std::any_of(o.slo->scopes.begin(), o.slo->scopes.end(), [](const auto& s) {
          return std::any_of(s.terms.begin(), s.terms.end(), [](const auto& t) { return t.lower_bound; });
        }))
      out << "; '>=': the percentile falls among timed-out or never-completed requests (their latency is "
             "unknown, longer)";
    out << "\n";
    if (broken.empty()) {
      out << "SLO: every term holds over the whole run and in every stage\n";
    } else {
      out << "SLO BROKEN:";
      for (size_t i = 0; i < broken.size(); ++i) out << (i ? ", " : " ") << broken[i];
      out << "\n";
    }
  }
  if (o.baseline) {
    std::snprintf(
        line, sizeof line,
        "\nbaseline %s (regression: more than %g %% above the baseline, the 95 %% binomial interval "
        "of the new percentile above it too, and above the recent runs' spread when the file keeps two or "
        "more)\n",
        config.baseline_path.value_or("").c_str(), config.threshold_pct);
    out << line;
    std::snprintf(line, sizeof line, "%-24s %9s %10s %-30s %-30s %s\n", "name", "requests", "req/s",
                  "p95 ms (baseline, change)", "p99 ms (baseline, change)", "verdict");
    out << line;
    auto pct = [](const analyze::PercentileComparison& c, double v) {
      std::string s = ms_text(v);
      if (!c.baseline_ms) return s + " (new)";
      char b[64];
      const double change = std::round(c.change_pct * 10) / 10 + 0.0;  // no "-0.0"
      std::snprintf(b, sizeof b, " (%s, %+.1f %%)", ms_text(*c.baseline_ms).c_str(), change);
      return s + b;
    };
    for (const auto& e : o.baseline->entries) {
      const auto& f = e.figures;
      std::snprintf(line, sizeof line, "%-24s %9llu %10.1f %-30s %-30s %s\n", f.name.c_str(),
                    static_cast<unsigned long long>(f.requests), f.throughput_rps,
                    pct(e.p95, f.p95_ms).c_str(), pct(e.p99, f.p99_ms).c_str(),
                    e.ok ? (e.in_baseline ? "ok" : "new") : "FAIL");
      out << line;
      for (const auto& r : e.reasons) out << "  " << f.name << ": " << r << "\n";
      if (!e.held_back_why.empty())
        out << "  " << f.name << ": a regression by the figures, not counted: " << e.held_back_why << "\n";
    }
    for (const auto& n : o.baseline->not_in_capture)
      out << "  " << n << ": in the baseline, not in this capture\n";
    if (config.update) out << "baseline written back: " << config.baseline_path.value_or("") << "\n";
  }
  out << (o.ok ? "\ncheck: pass\n" : "\ncheck: FAIL\n");
}

Result<CheckOutcome> run_check(const CheckConfig& config, std::ostream& out) {
  CheckOutcome o;
  auto c = capture::read_capture(config.capture_path);
  if (!c.ok()) {
    Error e = c.error();
    if (e.message.find(config.capture_path) == std::string::npos)
      e.message = config.capture_path + ": " + e.message;
    return e;
  }
  if (c->read_info.truncated)
    o.warnings.push_back(config.capture_path + ": truncated at offset " +
                         std::to_string(c->read_info.damage_offset) + " (" + c->read_info.damage +
                         "); judging everything before it");
  LOADPROF_TRY(log, analyze::load_log(*c, config.capture_path));
  o.log = std::move(log);
  if (o.log.never_completed)
    o.warnings.push_back(
        std::to_string(o.log.never_completed) +
        " requests never completed (not sent before the end, or unanswered at the end): not in the request "
        "log; judged as censored (longer than any threshold) over the whole run and the last stage");
  if (o.log.log_dropped)
    o.warnings.push_back(
        std::to_string(o.log.log_dropped) +
        " requests were dropped from the request log (a full ring or queue): not in these figures");
  if (!config.slo.empty()) {
    o.slo = analyze::check_slo(o.log, config.slo);
    o.ok = o.ok && o.slo->ok;
  }
  if (config.baseline_path) {
    const std::string& path = *config.baseline_path;
    std::string text;
    std::error_code ec;
    if (fs::exists(path, ec)) {
      LOADPROF_TRY(t, read_text(path));
      text = std::move(t);
    } else if (!config.update) {
      return make_error(ErrorKind::usage, "--baseline " + path + ": no such file (--update creates it)");
    }
    // The service's CPU per request belongs to a URL's single entry (a
    // scenario's steps share the process); the machine's load to all.
    const analyze::ServiceCost cost = analyze::service_cost(*c);
    auto figures = analyze::entry_figures(o.log);
    if (figures.size() == 1 && o.log.step_names.empty() && !cost.blocks.empty())
      figures[0].cpu_ms_per_request = cost.cpu_ms_per_request();
    LOADPROF_TRY(b, analyze::compare_baseline(text, path, figures, config.threshold_pct, cost.other_pct));
    o.baseline = std::move(b);
    o.ok = o.ok && o.baseline->ok;
    if (config.update) {
      LOADPROF_TRY(updated, analyze::updated_baseline(text, path, *o.baseline, config.today_iso,
                                                      top_cpu_function(*c, o)));
      LOADPROF_CHECK(write_text(path, updated));
      o.files_written.push_back(path);
    }
  }
  const bool json_to_stdout = config.json_path && *config.json_path == "-";
  if (config.json_path) {
    const std::string text = check_to_json(config, o).dump(2) + "\n";
    if (json_to_stdout) {
      out << text;
    } else {
      LOADPROF_CHECK(write_text(*config.json_path, text));
      o.files_written.push_back(*config.json_path);
    }
  }
  if (!json_to_stdout) write_check_table(out, config, o);
  return o;
}

}  // namespace loadprof::report
