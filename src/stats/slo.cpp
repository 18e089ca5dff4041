// SLO parsing and evaluation. A term must be strict: an unknown metric, a
// missing comparator or a unit that does not fit the metric is a usage error.
#include "loadprof/stats/slo.h"

#include <algorithm>

#include "loadprof/util/units.h"

namespace loadprof::stats {

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Result<SloMetric> metric_named(std::string_view n) {
  if (n == "p50") return SloMetric::p50;
  if (n == "p90") return SloMetric::p90;
  if (n == "p95") return SloMetric::p95;
  if (n == "p99") return SloMetric::p99;
  if (n == "p999") return SloMetric::p999;
  if (n == "max") return SloMetric::max;
  if (n == "errors") return SloMetric::errors;
  if (n == "rps") return SloMetric::rps;
  return make_error(ErrorKind::usage,
                    "unknown metric '" + std::string(n) + "' (use p50 p90 p95 p99 p999 max errors rps)");
}
}  // namespace

Result<std::vector<SloTerm>> parse_slo(std::string_view spec) {
  std::vector<SloTerm> terms;
  if (trim(spec).empty()) return make_error(ErrorKind::usage, "empty SLO");
  size_t pos = 0;
  while (pos <= spec.size()) {
    size_t comma = spec.find(',', pos);
    if (comma == std::string_view::npos) comma = spec.size();
    std::string_view raw = trim(spec.substr(pos, comma - pos));
    pos = comma + 1;
    auto bad = [&](const std::string& why) {
      return make_error(ErrorKind::usage, "bad term '" + std::string(raw) + "': " + why);
    };
    if (raw.empty()) return bad("empty term");
    size_t op = raw.find_first_of("<>");
    if (op == std::string_view::npos) return bad("needs '<' or '>'");
    SloTerm t;
    t.text = std::string(raw);
    t.less_than = raw[op] == '<';
    auto metric = metric_named(trim(raw.substr(0, op)));
    if (!metric) return bad(metric.error().message);
    t.metric = *metric;
    std::string_view value = trim(raw.substr(op + 1));
    if (size_t at = value.find('@'); at != std::string_view::npos) {
      std::string_view window = trim(value.substr(at + 1));
      value = trim(value.substr(0, at));
      if (window.empty()) return bad("missing window after '@' (e.g. @30s)");
      auto w = parse_duration_ns(window);
      if (!w) return bad("window: " + w.error().message);
      if (*w < 1'000'000'000) return bad("a window of at least 1s");
      t.window_ns = *w;
    }
    if (value.empty()) return bad("missing value");
    if (t.metric == SloMetric::errors) {
      if (value.back() == '%') value = trim(value.substr(0, value.size() - 1));
      auto v = parse_double(value);
      if (!v) return bad("errors takes a percentage like 1%");
      if (*v > 100) return bad("a percentage above 100");
      t.threshold = *v;
    } else if (t.metric == SloMetric::rps) {
      auto v = parse_double(value);
      if (!v) return bad("rps takes a number of requests per second");
      t.threshold = *v;
    } else {
      auto ns = parse_duration_ns_default_ms(value);
      if (!ns) return bad(ns.error().message);
      t.threshold = static_cast<double>(*ns) / 1e6;
    }
    terms.push_back(std::move(t));
    if (comma == spec.size()) break;
  }
  return terms;
}

std::vector<SloVerdict> evaluate_slo(const std::vector<SloTerm>& terms, const SloInput& in) {
  std::vector<SloVerdict> out;
  for (const auto& t : terms) {
    double v = 0;
    switch (t.metric) {
      case SloMetric::p50:
        v = in.latency.p50_ms;
        break;
      case SloMetric::p90:
        v = in.latency.p90_ms;
        break;
      case SloMetric::p95:
        v = in.latency.p95_ms;
        break;
      case SloMetric::p99:
        v = in.latency.p99_ms;
        break;
      case SloMetric::p999:
        v = in.latency.p999_ms;
        break;
      case SloMetric::max:
        v = in.latency.max_ms;
        break;
      case SloMetric::errors:
        v = in.error_rate_pct;
        break;
      case SloMetric::rps:
        v = in.throughput_rps;
        break;
    }
    bool ok = t.less_than ? v < t.threshold : v > t.threshold;
    out.push_back({t.text, v, ok});
  }
  return out;
}

bool all_ok(const std::vector<SloVerdict>& verdicts) {
  for (const auto& v : verdicts)
    if (!v.ok) return false;
  return true;
}

bool is_latency(SloMetric m) { return m != SloMetric::errors && m != SloMetric::rps; }

double percentile_of(const Percentiles& p, SloMetric m) {
  switch (m) {
    case SloMetric::p50:
      return p.p50_ms;
    case SloMetric::p90:
      return p.p90_ms;
    case SloMetric::p95:
      return p.p95_ms;
    case SloMetric::p99:
      return p.p99_ms;
    case SloMetric::p999:
      return p.p999_ms;
    case SloMetric::max:
      return p.max_ms;
    default:
      return 0;
  }
}

std::vector<SloVerdict> judge_slo(const std::vector<SloTerm>& slo, const Histogram& latency,
                                  const Histogram& censored, double error_rate_pct, double throughput,
                                  std::vector<bool>* lower_bound) {
  SloInput in;
  in.latency = percentiles_of(latency);
  in.error_rate_pct = error_rate_pct;
  in.throughput_rps = throughput;
  auto verdicts = evaluate_slo(slo, in);
  lower_bound->assign(verdicts.size(), false);
  if (censored.count() == 0) return verdicts;
  // The same requests with every censored one moved past any threshold.
  std::vector<std::pair<uint32_t, uint64_t>> all, cut;
  latency.append_sparse(all);
  censored.append_sparse(cut);
  size_t k = 0;
  for (auto& [i, n] : all) {
    while (k < cut.size() && cut[k].first < i) ++k;
    if (k < cut.size() && cut[k].first == i) n -= std::min(n, cut[k].second);
  }
  Histogram pessimistic;
  pessimistic.add_sparse(all);
  pessimistic.record_n(Histogram::kMaxTrackableNs, censored.count());
  auto pess = percentiles_of(pessimistic);
  const double unknown_ms = 0.99 * static_cast<double>(Histogram::kMaxTrackableNs) / 1e6;
  for (size_t i = 0; i < verdicts.size() && i < slo.size(); ++i) {
    const auto& t = slo[i];
    if (!is_latency(t.metric)) continue;
    double v = percentile_of(pess, t.metric);
    if (v < unknown_ms) continue;  // decided by measured values alone
    (*lower_bound)[i] = true;
    double at_least = percentile_of(in.latency, t.metric);
    verdicts[i].value = at_least;
    verdicts[i].ok = t.less_than ? false : at_least > t.threshold;
  }
  return verdicts;
}

}  // namespace loadprof::stats
