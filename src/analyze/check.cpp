// SLO terms judged over a bench capture's request log (check.h).
#include "loadprof/analyze/check.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "loadprof/analyze/window_load.h"

namespace loadprof::analyze {

namespace {

// "http://host:port/a/b?x=1" -> "/a/b".
std::string path_of(const std::string& url) {
  size_t scheme = url.find("://");
  size_t from = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (from == std::string::npos) return "/";
  std::string p = url.substr(from);
  p = p.substr(0, p.find_first_of("?#"));
  return p.empty() ? "/" : p;
}

double number_or(const nlohmann::json& j, const char* key, double fallback) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : fallback;
}

// Which way is worse for a term: larger for '<' terms, smaller for '>'.
bool worse(const stats::SloTerm& t, double a, double b) { return t.less_than ? a > b : a < b; }

TermVerdict judge_one(const stats::SloTerm& t, const SpanFigures& f) {
  std::vector<bool> bound;
  auto v = stats::judge_slo({t}, f.latency, f.censored, f.error_rate_pct(), f.throughput_rps(), &bound);
  TermVerdict out;
  out.term = t.text;
  out.metric = t.metric;
  out.value = v[0].value;
  out.ok = v[0].ok;
  out.lower_bound = bound[0];
  if (f.never_completed && stats::is_latency(t.metric)) {
    // The requests that never completed, placed above every logged one and
    // censored: a percentile that falls among them is unknown — broken for a
    // '<' term, and the logged requests' own percentile (out.value) is a
    // lower bound of it. The load summary judges them the same way.
    stats::Histogram latency = f.latency, censored = f.censored;
    latency.record_n(f.latency.max_ns(), f.never_completed);
    censored.record_n(f.latency.max_ns(), f.never_completed);
    auto p = stats::judge_slo({t}, latency, censored, 0, 0, &bound);
    if (bound[0]) {
      out.ok = p[0].ok;
      out.lower_bound = true;
    }
  }
  return out;
}

// Tumbling windows of t.window_ns from the scope's start; a last piece shorter
// than half a window joins the one before it (a run shorter than a window is
// one window). Requests are placed by their end time: a failure counts when it
// failed, as in the per-second series.
TermVerdict judge_windowed(const LoadLog& log, const stats::SloTerm& t,
                           const std::function<bool(const LoggedRequest&)>& in_scope, uint64_t start_ns,
                           uint64_t end_ns) {
  const uint64_t length = end_ns > start_ns ? end_ns - start_ns : 0;
  const auto w = static_cast<uint64_t>(t.window_ns);
  size_t n = std::max<uint64_t>(1, length / w);
  if (length > n * w && length - n * w >= w / 2) ++n;
  TermVerdict out;
  out.term = t.text;
  out.metric = t.metric;
  out.window_ns = t.window_ns;
  out.windows = n;
  bool have_worst = false;
  for (size_t k = 0; k < n; ++k) {
    const uint64_t from = start_ns + k * w;
    const uint64_t to = k + 1 == n ? std::max(end_ns, from + 1) : from + w;
    const bool first = k == 0, last = k + 1 == n;
    auto keep = [&](const LoggedRequest& r) {
      return in_scope(r) && (first || r.end_ns >= from) && (last || r.end_ns < to);
    };
    auto f = figures_of(log, keep, static_cast<double>(to - from) / 1e9);
    auto v = judge_one(t, f);
    if (!v.ok) ++out.windows_failed;
    // The worst window: a broken one before any that holds, then the worst value.
    if (!have_worst || (!v.ok && out.ok) || (v.ok == out.ok && worse(t, v.value, out.value))) {
      have_worst = true;
      out.ok = v.ok;
      out.value = v.value;
      out.lower_bound = v.lower_bound;
      out.worst_start_s = static_cast<double>(from - start_ns) / 1e9;
      out.worst_end_s = static_cast<double>(to - start_ns) / 1e9;
    }
  }
  out.ok = out.windows_failed == 0;
  return out;
}

ScopeVerdict judge_scope(const LoadLog& log, const std::vector<stats::SloTerm>& terms, std::string name,
                         const std::function<bool(const LoggedRequest&)>& in_scope, uint64_t start_ns,
                         uint64_t end_ns, double duration_s, uint64_t never_completed) {
  ScopeVerdict s;
  s.name = std::move(name);
  s.start_s = static_cast<double>(start_ns - std::min(start_ns, log.measured_start_ns)) / 1e9;
  s.end_s = static_cast<double>(end_ns - std::min(end_ns, log.measured_start_ns)) / 1e9;
  auto whole = figures_of(log, in_scope, duration_s);
  whole.never_completed = never_completed;
  s.requests = whole.requests;
  for (const auto& t : terms) {
    s.terms.push_back(t.window_ns ? judge_windowed(log, t, in_scope, start_ns, end_ns) : judge_one(t, whole));
    s.ok = s.ok && s.terms.back().ok;
  }
  return s;
}

}  // namespace

double SpanFigures::error_rate_pct() const {
  return requests ? 100.0 * static_cast<double>(errors) / static_cast<double>(requests) : 0.0;
}

double SpanFigures::throughput_rps() const {
  return duration_s > 0 ? static_cast<double>(requests) / duration_s : 0.0;
}

Result<LoadLog> load_log(const capture::Capture& c, const std::string& path) {
  if (!c.load || c.requests.empty())
    return make_error(ErrorKind::usage, path + " has no load data (record captures have none; use bench)");
  LoadLog log;
  const capture::LoadRun& run = *c.load;
  log.measured_start_ns = run.measured_start_ns;
  log.measured_end_ns = std::max(run.measured_end_ns, run.measured_start_ns);
  log.duration_s = static_cast<double>(log.measured_end_ns - log.measured_start_ns) / 1e9;
  log.log_dropped = run.log_dropped;
  nlohmann::json summary = nlohmann::json::parse(run.summary_json, nullptr, false);
  if (summary.is_discarded()) summary = nlohmann::json::object();
  const nlohmann::json* stages = summary.contains("stages") ? &summary["stages"] : nullptr;
  for (size_t i = 0; i < run.stages.size(); ++i) {
    LogStage st;
    st.start_ns = run.stages[i].start_ns;
    st.end_ns = run.stages[i].end_ns;
    double fallback = static_cast<double>(st.end_ns - std::min(st.end_ns, st.start_ns)) / 1e9;
    st.duration_s = stages && stages->is_array() && i < stages->size()
                        ? number_or((*stages)[i], "duration_s", fallback)
                        : fallback;
    log.stages.push_back(st);
  }
  if (summary.contains("load") && summary["load"].is_object()) {
    const auto& l = summary["load"];
    if (l.contains("url") && l["url"].is_string()) log.url_path = path_of(l["url"].get<std::string>());
    log.never_completed =
        static_cast<uint64_t>(number_or(l, "not_sent", 0) + number_or(l, "cancelled_at_end", 0));
  }
  if (log.url_path.empty()) log.url_path = "/";
  if (summary.contains("latency_ms")) log.summary_p99_ms = number_or(summary["latency_ms"], "p99", -1);
  if (summary.contains("scenario") && summary["scenario"].is_object() &&
      summary["scenario"].contains("steps") && summary["scenario"]["steps"].is_array())
    for (const auto& s : summary["scenario"]["steps"])
      log.step_names.push_back(s.contains("name") && s["name"].is_string() ? s["name"].get<std::string>()
                                                                           : std::string());
  for (const auto& q : c.requests) {
    if (q.stage == capture::kWarmupStage) {
      ++log.warmup_requests;
      continue;
    }
    LoggedRequest r;
    r.end_ns = q.end_ns;
    r.latency_ns = q.end_ns > q.intended_start_ns ? q.end_ns - q.intended_start_ns : 0;
    r.error = q.error_class != 0;
    r.censored = q.error_class == capture::kRequestErrorTimeout;
    r.stage = q.stage;
    r.step = q.step;
    log.requests.push_back(r);
  }
  if (log.requests.empty())
    return make_error(ErrorKind::usage, path + " has no load data past the warmup (its request log holds " +
                                            std::to_string(log.warmup_requests) + " warmup requests only)");
  std::sort(log.requests.begin(), log.requests.end(),
            [](const LoggedRequest& a, const LoggedRequest& b) { return a.end_ns < b.end_ns; });
  return log;
}

SpanFigures figures_of(const LoadLog& log, const std::function<bool(const LoggedRequest&)>& keep,
                       double duration_s) {
  RequestTally tally;  // as log_figures counts them (window_load.h): one rule for latency, errors, censoring
  for (const auto& r : log.requests)
    if (keep(r)) tally.add(r.latency_ns, r.error, r.censored);
  SpanFigures f;
  f.duration_s = duration_s;
  f.requests = tally.requests();
  f.errors = tally.errors();
  f.latency = tally.latency();
  f.censored = tally.censored();
  return f;
}

SloCheck check_slo(const LoadLog& log, const std::vector<stats::SloTerm>& terms) {
  SloCheck out;
  out.scopes.push_back(judge_scope(
      log, terms, "whole run", [](const LoggedRequest&) { return true; }, log.measured_start_ns,
      log.measured_end_ns, log.duration_s, log.never_completed));
  if (log.stages.size() > 1) {
    for (size_t i = 0; i < log.stages.size(); ++i) {
      const auto& st = log.stages[i];
      // The last stage runs on to the last response, as the summary counts it.
      const uint64_t end = i + 1 == log.stages.size() ? std::max(st.end_ns, log.measured_end_ns) : st.end_ns;
      out.scopes.push_back(judge_scope(
          log, terms, "stage " + std::to_string(i + 1), [i](const LoggedRequest& r) { return r.stage == i; },
          st.start_ns, end, st.duration_s,
          // Never-completed requests were due last (the driver sends in order): the last stage's.
          i + 1 == log.stages.size() ? log.never_completed : 0));
    }
  }
  for (const auto& s : out.scopes) out.ok = out.ok && s.ok;
  return out;
}

}  // namespace loadprof::analyze
