// Rendering of a finished run. Latency is from the intended send (CO-corrected)
// everywhere a bare "latency" appears; service time is labelled as such.
#include "loadprof/load/summary.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "loadprof/util/units.h"
#include "loadprof/util/version.h"

namespace loadprof::load {

namespace {

using nlohmann::json;

double round3(double v) { return std::round(v * 1000.0) / 1000.0; }

json pct_json(const stats::Percentiles& p) {
  return {{"p50", round3(p.p50_ms)}, {"p90", round3(p.p90_ms)},   {"p95", round3(p.p95_ms)},
          {"p99", round3(p.p99_ms)}, {"p999", round3(p.p999_ms)}, {"max", round3(p.max_ms)}};
}

double error_pct(uint64_t errors, uint64_t requests) {
  return requests ? 100.0 * static_cast<double>(errors) / static_cast<double>(requests) : 0.0;
}

std::string ms(double v) {
  char b[32];
  if (v < 1)
    std::snprintf(b, sizeof b, "%.0fus", v * 1000);
  else if (v < 100)
    std::snprintf(b, sizeof b, "%.2fms", v);
  else if (v < 10000)
    std::snprintf(b, sizeof b, "%.0fms", v);
  else
    std::snprintf(b, sizeof b, "%.1fs", v / 1000);
  return b;
}

// A plain number, never in exponent notation (1480, not 1.48e+03): three
// significant digits below 1000, whole numbers above.
std::string num(double v) {
  char b[48];
  if (std::fabs(v) >= 1000 || v == std::floor(v))
    std::snprintf(b, sizeof b, "%.0f", v);
  else
    std::snprintf(b, sizeof b, "%.3g", v);
  return b;
}

std::string secs(int64_t ns) { return num(static_cast<double>(ns) / 1e9) + "s"; }

std::string rate_text(const StageResult& s) {
  if (s.rate_start_rps == s.rate_end_rps) return num(s.rate_start_rps);
  return num(s.rate_start_rps) + "->" + num(s.rate_end_rps);
}

// A measured SLO value in its term's unit: "2927.6 ms", "0.52 %", "1480 req/s".
std::string slo_value_text(stats::SloMetric m, double v) {
  char b[64];
  const char* unit = m == stats::SloMetric::errors ? "%" : m == stats::SloMetric::rps ? "req/s" : "ms";
  if (m == stats::SloMetric::rps && v >= 100)
    std::snprintf(b, sizeof b, "%.0f %s", v, unit);
  else if (v >= 100)
    std::snprintf(b, sizeof b, "%.1f %s", v, unit);
  else if (v >= 1)
    std::snprintf(b, sizeof b, "%.2f %s", v, unit);
  else
    std::snprintf(b, sizeof b, "%.3f %s", v, unit);
  return b;
}

// Bytes per second in binary units, as wrk's Transfer/sec.
std::string bytes_rate_text(double bytes_per_s) {
  char b[48];
  const char* units[] = {"B", "KiB", "MiB", "GiB"};
  int u = 0;
  while (bytes_per_s >= 1024 && u < 3) bytes_per_s /= 1024, ++u;
  std::snprintf(b, sizeof b, u ? "%.2f %s/s" : "%.0f %s/s", bytes_per_s, units[u]);
  return b;
}

}  // namespace

std::string stopped_answering(const LoadResult& r) {
  // The classes of failure that went on after the last success, to the end.
  const int64_t end = r.duration_ns;
  const int64_t last_ok = r.last_ok_ns;
  std::string classes;
  for (int k = 1; k < kErrorClassCount; ++k) {
    if (r.error_last_ns[k] < 0 || r.error_last_ns[k] <= last_ok) continue;
    const auto cls = static_cast<ErrorClass>(k);
    int64_t first = std::max(r.error_first_ns[k], last_ok);
    std::string name = cls == ErrorClass::connect ? "connect errors" : std::string(error_class_name(cls));
    if (cls == ErrorClass::connect && r.connect_errno) {
      std::string why = std::strerror(r.connect_errno);
      if (!why.empty()) why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
      name = why;
    } else if (cls == ErrorClass::timeout) {
      name = "timeouts";
    } else if (cls == ErrorClass::reset) {
      name = "connections reset";
    } else if (cls == ErrorClass::read) {
      name = "read errors";
    } else if (cls == ErrorClass::status_4xx || cls == ErrorClass::status_5xx) {
      name = std::string(error_class_name(cls)) + " responses";
    }
    char b[160];
    std::snprintf(b, sizeof b, "%s from %.1f s on", name.c_str(), static_cast<double>(first) / 1e9);
    classes += (classes.empty() ? "" : ", ") + std::string(b);
  }
  // A stop: no success for the last second (or the last tenth of a short run)
  // while requests kept failing.
  const int64_t quiet = end - std::max<int64_t>(last_ok, 0);
  if (classes.empty() || quiet < std::min<int64_t>(1'000'000'000, end / 10) || r.requests == 0) return {};
  char b[512];
  if (last_ok < 0)
    std::snprintf(b, sizeof b, "the target never answered successfully: %s (%.1f%% of requests failed)",
                  classes.c_str(), error_pct(r.errors, r.requests));
  else
    std::snprintf(b, sizeof b,
                  "the target stopped answering: %s, no successful response after %.1f s of %.1f s "
                  "(%.1f%% of requests failed)",
                  classes.c_str(), static_cast<double>(last_ok) / 1e9, static_cast<double>(end) / 1e9,
                  error_pct(r.errors, r.requests));
  return b;
}

double throughput_rps(uint64_t requests, int64_t duration_ns) {
  return duration_ns > 0 ? static_cast<double>(requests) * 1e9 / static_cast<double>(duration_ns) : 0.0;
}

LoadSummary summarize(const LoadConfig& config, const LoadResult& r, const std::vector<stats::SloTerm>& slo) {
  LoadSummary s;
  s.config = &config;
  s.result = &r;
  Schedule sched(config.stages, config.warmup_ns);
  s.saturation = judge_saturation(r, sched);
  s.stopped_answering = stopped_answering(r);
  s.slo_terms = slo;
  if (!slo.empty()) {
    s.slo = stats::judge_slo(slo, r.latency, r.latency_censored, error_pct(r.errors, r.requests),
                             throughput_rps(r.requests, r.duration_ns), &s.slo_lower_bound);
    s.slo_ok = stats::all_ok(s.slo);
    for (const auto& st : r.stages) {
      std::vector<bool> unused;
      s.stage_slo.push_back(stats::judge_slo(slo, st.latency, st.latency_censored,
                                             error_pct(st.errors, st.requests),
                                             throughput_rps(st.requests, st.duration_ns), &unused));
    }
  }
  return s;
}

std::string format_table(const LoadSummary& s) {
  const LoadResult& r = *s.result;
  const LoadConfig& c = *s.config;
  std::string out;
  char line[512];
  std::string drained;
  if (r.duration_ns > r.scheduled_ns + 1'000'000)
    drained = " (to the last response; sending stopped at " + secs(r.scheduled_ns) + ")";
  std::snprintf(line, sizeof line, "%s model, %zu thread(s), %d connection(s), %s measured%s%s%s\n\n",
                r.closed ? "closed" : "open", r.threads.size(), r.connections, secs(r.duration_ns).c_str(),
                drained.c_str(), c.warmup_ns ? (", warmup " + secs(c.warmup_ns) + " excluded").c_str() : "",
                r.interrupted ? " (INTERRUPTED: results so far)" : "");
  out += line;
  for (const auto& w : r.warnings) out += "warning: " + w + "\n";
  if (!r.warnings.empty()) out += "\n";
  std::snprintf(line, sizeof line, "%-6s %-12s %-12s %9s %9s %8s %8s %8s %8s %8s %8s %7s%s\n", "stage",
                "window", "rate req/s", "requests", "got req/s", "p50", "p90", "p95", "p99", "p999", "max",
                "errors", s.slo.empty() ? "" : "  slo");
  out += line;
  auto row = [&](const std::string& name, const std::string& window, const std::string& rate,
                 uint64_t requests, uint64_t errors, int64_t dur, const stats::Histogram& h,
                 const std::vector<stats::SloVerdict>* v) {
    auto p = stats::percentiles_of(h);
    char e[32];
    std::snprintf(e, sizeof e, "%.2f%%", error_pct(errors, requests));
    std::snprintf(line, sizeof line, "%-6s %-12s %-12s %9llu %9.1f %8s %8s %8s %8s %8s %8s %7s%s\n",
                  name.c_str(), window.c_str(), rate.c_str(), static_cast<unsigned long long>(requests),
                  throughput_rps(requests, dur), ms(p.p50_ms).c_str(), ms(p.p90_ms).c_str(),
                  ms(p.p95_ms).c_str(), ms(p.p99_ms).c_str(), ms(p.p999_ms).c_str(), ms(p.max_ms).c_str(), e,
                  v ? (stats::all_ok(*v) ? "  ok" : "  BROKEN") : "");
    out += line;
  };
  if (r.stages.size() > 1 || !r.closed) {
    for (size_t i = 0; i < r.stages.size(); ++i) {
      const auto& st = r.stages[i];
      row(std::to_string(i + 1), secs(st.start_ns) + "-" + secs(st.start_ns + st.duration_ns),
          r.closed ? "-" : rate_text(st), st.requests, st.errors, st.duration_ns, st.latency,
          s.stage_slo.empty() ? nullptr : &s.stage_slo[i]);
    }
  }
  row("total", "0s-" + secs(r.duration_ns), "", r.requests, r.errors, r.duration_ns, r.latency,
      s.slo.empty() ? nullptr : &s.slo);
  out += r.closed ? "\nlatency: per request, from its send (closed model: sends wait for responses)"
                  : "\nlatency: from the intended send time (coordinated omission corrected)";
  out += "; failed requests count at the time they failed";
  if (r.censored)
    out += "; " + std::to_string(r.censored) + " never completed, counted as censored at their wait so far";
  out += "\n";
  auto sv = stats::percentiles_of(r.service);
  std::snprintf(
      line, sizeof line,
      "service time (from the actual send, connection up): p50 %s  p90 %s  p99 %s  p999 %s  max %s\n",
      ms(sv.p50_ms).c_str(), ms(sv.p90_ms).c_str(), ms(sv.p99_ms).c_str(), ms(sv.p999_ms).c_str(),
      ms(sv.max_ms).c_str());
  out += line;
  if (r.connect.count()) {
    auto cn = stats::percentiles_of(r.connect);
    std::snprintf(line, sizeof line, "connect time (%llu connections opened): p50 %s  p99 %s  max %s\n",
                  static_cast<unsigned long long>(r.connect.count()), ms(cn.p50_ms).c_str(),
                  ms(cn.p99_ms).c_str(), ms(cn.max_ms).c_str());
    out += line;
  }
  if (!r.closed) {
    auto lag = stats::percentiles_of(r.schedule_lag);
    std::snprintf(
        line, sizeof line,
        "schedule lag (actual - intended send): p50 %s  p99 %s  max %s; late starts (>1ms) %llu (%.2f%%)",
        ms(lag.p50_ms).c_str(), ms(lag.p99_ms).c_str(), ms(lag.max_ms).c_str(),
        static_cast<unsigned long long>(r.late_starts), error_pct(r.late_starts, r.requests));
    out += line;
    if (r.late_starts) out += ", " + std::to_string(r.driver_late_starts) + " of them with a connection free";
    if (r.not_sent)
      out += "; due but not sent before the end (censored in the latency): " + std::to_string(r.not_sent);
    out += "\n";
  }
  out += "errors:";
  for (int k = 1; k < kErrorClassCount; ++k)
    out += std::string(" ") + error_class_name(static_cast<ErrorClass>(k)) + " " +
           std::to_string(r.errors_by_class[k]);
  if (r.local_errors)
    out += " (" + std::to_string(r.local_errors) +
           " of the connect errors local: the driver could not open a socket)";
  if (r.cancelled)
    out += "; still in flight when the drain ended (censored in the latency, not in requests): " +
           std::to_string(r.cancelled);
  out += "\n";
  if (!r.status_counts.empty()) {
    out += "status codes:";
    for (const auto& [code, n] : r.status_counts) out += " " + std::to_string(code) + " " + std::to_string(n);
    out += "\n";
  }
  std::snprintf(line, sizeof line, "received: %s in responses (headers and bodies), %s\n",
                format_bytes(r.bytes_received).c_str(),
                bytes_rate_text(r.duration_ns > 0 ? static_cast<double>(r.bytes_received) * 1e9 /
                                                        static_cast<double>(r.duration_ns)
                                                  : 0.0)
                    .c_str());
  out += line;
  out += "driver threads (CPU used / busy, not waiting for events):";
  for (const auto& t : r.threads) {
    double wall = t.wall_ns ? static_cast<double>(t.wall_ns) : 1.0;
    std::snprintf(line, sizeof line, " %.0f%%/%.0f%%", 100.0 * static_cast<double>(t.cpu_ns) / wall,
                  100.0 * static_cast<double>(t.busy_ns) / wall);
    out += line;
  }
  out += "\n";
  if (c.sink) {
    out += "request log: " + std::to_string(r.log_records) + " records, " + std::to_string(r.log_dropped) +
           " dropped\n";
  }
  if (s.scenario) {
    const ScenarioReport& sc = *s.scenario;
    std::snprintf(line, sizeof line, "\nscenario %s (%s): %llu journeys started\n", sc.file.c_str(),
                  sc.weighted ? "weighted requests" : "journey",
                  static_cast<unsigned long long>(sc.journeys));
    out += line;
    std::snprintf(line, sizeof line, "  %-3s %-20s %9s %8s %8s %8s %7s %8s %8s\n", "#", "step", "requests",
                  "p50", "p99", "max", "errors", "expect", "capture");
    out += line;
    for (size_t i = 0; i < sc.steps.size(); ++i) {
      const auto& st = sc.steps[i];
      auto p = stats::percentiles_of(st.latency);
      char e[32];
      std::snprintf(e, sizeof e, "%.2f%%", error_pct(st.errors, st.requests));
      std::snprintf(line, sizeof line, "  %-3zu %-20.20s %9llu %8s %8s %8s %7s %8llu %8llu\n", i,
                    st.name.c_str(), static_cast<unsigned long long>(st.requests), ms(p.p50_ms).c_str(),
                    ms(p.p99_ms).c_str(), ms(p.max_ms).c_str(), e,
                    static_cast<unsigned long long>(st.expect_failures),
                    static_cast<unsigned long long>(st.capture_failures));
      out += line;
    }
    for (const auto& st : sc.steps) {
      if (st.capture_truncated)
        out += "  " + st.name + ": " + std::to_string(st.capture_truncated) +
               " captures not decided: the response went on past the " +
               std::to_string(ScenarioSource::kKeepBytes / 1024) + " KiB kept for captures\n";
      if (st.capture_limit)
        out += "  " + st.name + ": " + std::to_string(st.capture_limit) +
               " regex captures stopped at the match limit (counted as capture failures)\n";
    }
    if (sc.rows_reused)
      out += "warning: the CSV ran out of unique rows; " + std::to_string(sc.rows_reused) +
             " journeys reused one\n";
  }
  if (!s.stopped_answering.empty()) out += "\nwarning: " + s.stopped_answering + "\n";
  if (!s.saturation.limited_by.empty()) out += "\nwarning: " + s.saturation.message + "\n";
  if (!s.slo.empty()) {
    out += "\nSLO (whole run):\n";
    for (size_t i = 0; i < s.slo.size(); ++i) {
      const auto& v = s.slo[i];
      bool bound = i < s.slo_lower_bound.size() && s.slo_lower_bound[i];
      const std::string value =
          slo_value_text(i < s.slo_terms.size() ? s.slo_terms[i].metric : stats::SloMetric::p99, v.value);
      std::snprintf(
          line, sizeof line, "  %-20s measured %s%-14s %s%s\n", v.term.c_str(), bound ? ">= " : "",
          value.c_str(), v.ok ? "ok" : "BROKEN",
          bound ? "  (falls among timed-out or unsent requests: their latency is unknown, longer)" : "");
      out += line;
    }
  }
  return out;
}

std::string format_json(const LoadSummary& s) {
  const LoadResult& r = *s.result;
  const LoadConfig& c = *s.config;
  json j;
  j["loadprof_version"] = kVersion;
  j["interrupted"] = r.interrupted;
  j["duration_s"] = round3(static_cast<double>(r.duration_ns) / 1e9);
  j["requests"] = r.requests;
  j["errors"] = r.errors;
  j["error_rate_pct"] = round3(error_pct(r.errors, r.requests));
  json ebc = json::object();
  for (int k = 1; k < kErrorClassCount; ++k)
    ebc[error_class_name(static_cast<ErrorClass>(k))] = r.errors_by_class[k];
  j["errors_by_class"] = ebc;
  j["throughput_rps"] = round3(throughput_rps(r.requests, r.duration_ns));
  j["latency_ms"] = pct_json(stats::percentiles_of(r.latency));
  j["service_time_ms"] = pct_json(stats::percentiles_of(r.service));
  auto lag = stats::percentiles_of(r.schedule_lag);
  j["schedule_lag_ms"] = {
      {"p50", round3(lag.p50_ms)}, {"p99", round3(lag.p99_ms)}, {"max", round3(lag.max_ms)}};
  j["late_starts"] = r.late_starts;
  json stages = json::array();
  for (size_t i = 0; i < r.stages.size(); ++i) {
    const auto& st = r.stages[i];
    json o = {{"start_s", round3(static_cast<double>(st.start_ns) / 1e9)},
              {"duration_s", round3(static_cast<double>(st.duration_ns) / 1e9)},
              {"rate_start_rps", r.closed ? json(nullptr) : json(st.rate_start_rps)},
              {"rate_end_rps", r.closed ? json(nullptr) : json(st.rate_end_rps)},
              {"requests", st.requests},
              {"errors", st.errors},
              {"late_starts", st.late_starts},
              {"throughput_rps", round3(throughput_rps(st.requests, st.duration_ns))},
              {"latency_ms", pct_json(stats::percentiles_of(st.latency))},
              {"service_time_ms", pct_json(stats::percentiles_of(st.service))},
              {"cpu_util_pct", nullptr},  // the target's CPU: only `bench` measures it
              {"slo_ok", s.stage_slo.empty() ? json(nullptr) : json(stats::all_ok(s.stage_slo[i]))}};
    stages.push_back(o);
  }
  j["stages"] = stages;
  json ts = json::array();
  auto points = r.timeseries.points();
  for (const auto& p : points) {
    json o = {{"t_s", p.t_s},
              {"throughput_rps", p.requests},
              {"latency_ms", pct_json(p.latency)},
              {"errors", p.errors},
              {"late_starts", p.late_starts}};
    if (!r.closed) o["requested_rps"] = p.t_s < r.requested_rps.size() ? round3(r.requested_rps[p.t_s]) : 0.0;
    ts.push_back(o);
  }
  j["timeseries"] = ts;
  json slo = json::array();
  for (size_t i = 0; i < s.slo.size(); ++i) {
    const auto& v = s.slo[i];
    json o = {{"term", v.term}, {"value", round3(v.value)}, {"ok", v.ok}};
    if (i < s.slo_lower_bound.size() && s.slo_lower_bound[i]) o["lower_bound"] = true;
    slo.push_back(o);
  }
  j["slo"] = slo;
  // Load-only keys beyond the shared set.
  j["load"] = {
      {"url", "http://" + c.url.host_header + c.url.target},
      {"model", r.closed ? "closed" : "open"},
      {"arrival", c.arrival == Arrival::poisson ? "poisson" : "uniform"},
      {"threads", r.threads.size()},
      {"connections", r.connections},
      {"warmup_s", round3(static_cast<double>(c.warmup_ns) / 1e9)},
      {"not_sent", r.not_sent},
      {"driver_late_starts", r.driver_late_starts},
      {"cancelled_at_end", r.cancelled},
      {"censored", r.censored},
      {"sending_s", round3(static_cast<double>(r.scheduled_ns) / 1e9)},
      {"local_errors", r.local_errors},
      {"connect_time_ms", pct_json(stats::percentiles_of(r.connect))},
      {"connections_opened", r.connect.count()},
      {"warnings", r.warnings},
      {"achieved_pct", round3(s.saturation.achieved_pct)},
      {"limited_by", s.saturation.limited_by.empty() ? json(nullptr) : json(s.saturation.limited_by)},
      {"warning", s.saturation.message.empty() ? json(nullptr) : json(s.saturation.message)},
      {"request_log", {{"records", r.log_records}, {"dropped", r.log_dropped}}},
      {"received_bytes", r.bytes_received},
      {"received_bytes_per_s", round3(r.duration_ns > 0 ? static_cast<double>(r.bytes_received) * 1e9 /
                                                              static_cast<double>(r.duration_ns)
                                                        : 0.0)},
      {"stopped_answering", s.stopped_answering.empty() ? json(nullptr) : json(s.stopped_answering)}};
  json codes = json::object();
  for (const auto& [code, n] : r.status_counts) codes[std::to_string(code)] = n;
  j["load"]["status_codes"] = codes;
  json spans = json::object();
  for (int k = 1; k < kErrorClassCount; ++k)
    if (r.error_first_ns[k] >= 0)
      spans[error_class_name(static_cast<ErrorClass>(k))] = {
          {"first_s", round3(static_cast<double>(r.error_first_ns[k]) / 1e9)},
          {"last_s", round3(static_cast<double>(r.error_last_ns[k]) / 1e9)}};
  j["load"]["errors_seen_s"] = spans;
  json cpu = json::array();
  for (const auto& t : r.threads)
    cpu.push_back(
        round3(t.wall_ns ? 100.0 * static_cast<double>(t.cpu_ns) / static_cast<double>(t.wall_ns) : 0.0));
  j["load"]["driver_cpu_pct"] = cpu;
  json busy = json::array();
  for (const auto& t : r.threads)
    busy.push_back(
        round3(t.wall_ns ? 100.0 * static_cast<double>(t.busy_ns) / static_cast<double>(t.wall_ns) : 0.0));
  j["load"]["driver_busy_pct"] = busy;
  json runq = json::array();
  for (const auto& t : r.threads)
    runq.push_back(t.runqueue_ns < 0 || !t.wall_ns ? json(nullptr)
                                                   : json(round3(100.0 * static_cast<double>(t.runqueue_ns) /
                                                                 static_cast<double>(t.wall_ns))));
  j["load"]["driver_runqueue_pct"] = runq;
  j["load"]["driver_starved"] = s.saturation.starved;
  j["load"]["schedule_lag_ms"] = pct_json(lag);
  if (s.scenario) {
    const ScenarioReport& sc = *s.scenario;
    json steps = json::array();
    for (const auto& st : sc.steps) {
      json ebc2 = json::object();
      for (int k = 1; k < kErrorClassCount; ++k)
        ebc2[error_class_name(static_cast<ErrorClass>(k))] = st.errors_by_class[k];
      steps.push_back({{"name", st.name},
                       {"path", st.path},
                       {"requests", st.requests},
                       {"errors", st.errors},
                       {"error_rate_pct", round3(error_pct(st.errors, st.requests))},
                       {"errors_by_class", ebc2},
                       {"expect_failures", st.expect_failures},
                       {"capture_failures", st.capture_failures},
                       {"capture_limit_hits", st.capture_limit},
                       {"captures_truncated", st.capture_truncated},
                       {"latency_ms", pct_json(stats::percentiles_of(st.latency))}});
    }
    j["scenario"] = {{"file", sc.file},
                     {"mode", sc.weighted ? "weighted" : "journey"},
                     {"journeys", sc.journeys},
                     {"csv_rows_reused", sc.rows_reused},
                     {"bytes_per_virtual_user", sc.bytes_per_virtual_user},
                     {"steps", steps}};
  }
  if (!s.capacity_json.empty()) j["capacity"] = json::parse(s.capacity_json);
  return j.dump(2) + "\n";
}

}  // namespace loadprof::load
