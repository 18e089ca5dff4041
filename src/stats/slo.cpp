// SLO parsing and evaluation. A term must be strict: an unknown metric, a
// missing comparator or a unit that does not fit the metric is a usage error.
#include "loadprof/stats/slo.h"

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
  return make_error(ErrorKind::usage, "unknown metric '" + std::string(n) +
                                          "' (use p50 p90 p95 p99 p999 max errors rps)");
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
      case SloMetric::p50: v = in.latency.p50_ms; break;
      case SloMetric::p90: v = in.latency.p90_ms; break;
      case SloMetric::p95: v = in.latency.p95_ms; break;
      case SloMetric::p99: v = in.latency.p99_ms; break;
      case SloMetric::p999: v = in.latency.p999_ms; break;
      case SloMetric::max: v = in.latency.max_ms; break;
      case SloMetric::errors: v = in.error_rate_pct; break;
      case SloMetric::rps: v = in.throughput_rps; break;
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

}  // namespace loadprof::stats
