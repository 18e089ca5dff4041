// The capacity search. Steps are separate runs, and after a failing step the
// target is probed at a low rate until its latency is back to normal (a
// server with a deep queue keeps working off the last step's backlog long
// after the driver stopped sending: the next step would inherit it); each
// step's warm-up is excluded by run_load itself; the verdict of a step uses
// the same SLO code as a plain run.
#include "loadprof/load/capacity.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "loadprof/load/summary.h"
#include "loadprof/util/clock.h"

namespace loadprof::load {

namespace {

int64_t now_ns() { return static_cast<int64_t>(monotonic_ns()); }

double round3(double v) { return std::round(v * 1000.0) / 1000.0; }

// A step judged "driver" is run again this many times before the search
// believes it: one stall of this machine (a VM's stolen time, another
// process) makes a 1 s step late without saying anything about the target.
constexpr int kDriverRetries = 2;

// A failing step's reason: "errors", "driver", "target" or "slo: <term> (measured X)".
CapacityStep judge(const LoadConfig& cfg, const LoadResult& r, const CapacityConfig& cc) {
  CapacityStep st;
  st.rate_rps = cfg.stages.front().rate_start_rps;
  st.throughput_rps = throughput_rps(r.requests, r.duration_ns);
  st.error_rate_pct =
      r.requests ? 100.0 * static_cast<double>(r.errors) / static_cast<double>(r.requests) : 0.0;
  st.latency = stats::percentiles_of(r.latency);
  LoadSummary s = summarize(cfg, r, cc.slo);
  st.achieved_pct = s.saturation.achieved_pct;
  bool has_error_term = false;
  for (const auto& t : cc.slo) has_error_term |= t.metric == stats::SloMetric::errors;
  // A late driver (busy itself, or waiting for a CPU the machine gave to other
  // work) only made the latency look worse: it counts from the intended send.
  // So a step that sent the requested rate and still met the SLO passed. One
  // whose latency broke the SLO by less than the driver's worst lateness may
  // have broken it on that lateness: "driver", which the search runs again
  // before believing. One that could not send the rate measured the driver.
  const bool driver_late = s.saturation.limited_by == "driver";
  st.driver_starved = driver_late && s.saturation.starved;
  if (driver_late && st.achieved_pct < 95.0) {
    st.verdict = "driver";
    return st;
  }
  const double lag_max_ms = static_cast<double>(r.schedule_lag.max_ns()) / 1e6;
  auto failed = [&](CapacityStep& step, const char* why) -> CapacityStep& {
    step.verdict = why;
    return step;
  };
  for (size_t i = 0; i < s.slo.size(); ++i) {
    const auto& v = s.slo[i];
    if (v.ok) continue;
    if (driver_late && i < cc.slo.size() && stats::is_latency(cc.slo[i].metric) && cc.slo[i].less_than &&
        v.value - lag_max_ms < cc.slo[i].threshold) {
      st.verdict = "driver";
      return st;
    }
    bool errors = v.term.rfind("errors", 0) == 0;
    char b[160];
    const bool rps = v.term.rfind("rps", 0) == 0;
    std::snprintf(b, sizeof b,
                  rps || v.value >= 1000 ? "%s: %s (measured %.0f %s)" : "%s: %s (measured %.3g %s)",
                  errors ? "errors" : "slo", v.term.c_str(), v.value,
                  errors ? "%"
                  : rps  ? "req/s"
                         : "ms");
    return failed(st, b);
  }
  if (!has_error_term && st.error_rate_pct > cc.max_error_pct) {
    char b[160];
    std::snprintf(b, sizeof b, "errors: %.2f%% > %.3g%%", st.error_rate_pct, cc.max_error_pct);
    return failed(st, b);
  }
  if (s.saturation.limited_by == "target") {
    char b[160];
    std::snprintf(b, sizeof b, "slo: the target kept up with only %.1f%% of the requested rate",
                  st.achieved_pct);
    st.verdict = b;
    return st;
  }
  st.slo_ok = true;
  st.verdict = "ok";
  return st;
}

// The latency a drained target answers with: the best p99 of the passing
// steps, else the best p50 of all (every step failed; a weaker reference).
double normal_p99_ms(const std::vector<CapacityStep>& steps) {
  double best = -1;
  for (const auto& s : steps)
    if (s.slo_ok && (best < 0 || s.latency.p99_ms < best)) best = s.latency.p99_ms;
  if (best >= 0) return best;
  for (const auto& s : steps)
    if (best < 0 || s.latency.p50_ms < best) best = s.latency.p50_ms;
  return std::max(best, 0.0);
}

// Probes the target at a low rate until a probe's p99 is back within 2x (and
// 2 ms) of normal, or max_ns has passed. A probe that got no answer at all
// (every request timed out in the backlog) is one more slow probe.
Result<void> settle(const LoadConfig& base, const CapacityConfig& cc, double rate, double normal_ms,
                    int64_t max_ns, const CapacityBefore& before, CapacityStep& st) {
  const int64_t t0 = now_ns();
  const double limit_ms = std::max(2 * normal_ms, normal_ms + 2.0);
  st.probe_rate_rps = rate;
  st.drained = false;
  const int64_t probe_ns =
      std::min<int64_t>(2'000'000'000, std::max<int64_t>(cc.probe_ns, static_cast<int64_t>(5e9 / rate)));
  while (true) {
    LoadConfig cfg = base;
    cfg.closed = false;
    cfg.stages = {{probe_ns, rate, rate}};
    cfg.warmup_ns = 0;
    cfg.max_requests = 0;
    cfg.sink = nullptr;
    if (before) before(cfg);
    auto r = run_load(cfg);
    ++st.drain_probes;
    if (!r && r.error().kind != ErrorKind::target_gone) return r.error();
    st.probe_p99_ms =
        r ? stats::percentiles_of(r->latency).p99_ms : static_cast<double>(cfg.timeout_ns) / 1e6;
    const bool quiet = r && r->errors == 0 && r->requests > 0 && st.probe_p99_ms <= limit_ms;
    st.drain_s = static_cast<double>(now_ns() - t0) / 1e9;
    if (quiet) {
      st.drained = true;
      return {};
    }
    if ((r && r->interrupted) || (base.stop && base.stop->load())) return {};
    if (now_ns() - t0 >= max_ns) return {};
  }
}

std::string reason_of(const std::string& verdict) {
  if (verdict.rfind("errors", 0) == 0) return "errors";
  if (verdict == "driver") return "driver";
  return "slo";
}

}  // namespace

double knee_rps(const std::vector<CapacityStep>& steps) {
  // One step's p99 spiked by a busy moment, with the rates above it back to
  // normal, is noise, not a knee: the turn-up must hold at every higher rate.
  std::vector<const CapacityStep*> by_rate;
  for (const auto& s : steps) by_rate.push_back(&s);
  std::sort(by_rate.begin(), by_rate.end(), [](auto a, auto b) { return a->rate_rps < b->rate_rps; });
  if (by_rate.empty()) return 0;
  double base_p99 = by_rate.front()->latency.p99_ms;
  auto up = [&](const CapacityStep* s) {
    return s->latency.p99_ms > 2 * base_p99 && s->latency.p99_ms > base_p99 + 1.0;
  };
  double knee = 0;
  for (auto it = by_rate.rbegin(); it != by_rate.rend() && up(*it); ++it) knee = (*it)->rate_rps;
  return knee;
}

int64_t capacity_warmup_ns(int64_t step_ns) {
  return std::clamp<int64_t>(step_ns / 5, 100'000'000, 5'000'000'000);
}

Result<CapacityResult> find_capacity(const LoadConfig& base, const CapacityConfig& cc,
                                     const CapacityBefore& before, const CapacityAfter& after,
                                     const CapacityDrained& drained) {
  if (cc.start_rps <= 0 || cc.factor <= 1 || cc.step_ns <= 0)
    return make_error(ErrorKind::usage, "capacity search: bad start rate, factor or step duration");
  int64_t warmup = capacity_warmup_ns(cc.step_ns);
  if (cc.step_ns <= warmup)
    return make_error(ErrorKind::usage, "--step-duration: too short (at least 200ms)");
  CapacityResult out;
  int64_t t0 = now_ns();
  double pass = 0, fail = 0;  // the highest passing and lowest failing rate so far
  std::string fail_reason;
  std::string fail_verdict;
  double rate = cc.start_rps;
  int retries = 0;  // of the current rate, after the driver was starved of a CPU
  // A step costs its duration plus up to a few seconds of drain; 10 % margin.
  auto fits = [&] { return now_ns() - t0 + cc.step_ns + cc.step_ns / 10 <= cc.budget_ns; };
  const int64_t max_settle_ns = cc.max_settle_ns > 0
                                    ? cc.max_settle_ns
                                    : std::clamp<int64_t>(3 * cc.step_ns, 5'000'000'000, 30'000'000'000);
  bool backlog = false;  // the last step failed: the target may still be working off its queue
  while (true) {
    if (backlog && cc.settle && fits() && !out.steps.empty()) {
      double lowest = out.steps.front().rate_rps;
      for (const auto& s : out.steps) lowest = std::min(lowest, s.rate_rps);
      CapacityStep& last = out.steps.back();
      LOADPROF_CHECK(settle(base, cc, lowest, normal_p99_ms(out.steps), max_settle_ns, before, last));
      if (drained) drained(last);
      if (base.stop && base.stop->load()) {
        out.interrupted = true;
        out.limited_by = "duration";
        out.message = "interrupted: the search stopped early";
        break;
      }
    }
    backlog = false;
    if (!fits()) {
      if (fail == 0) {
        out.limited_by = "duration";
        char b[200];
        std::snprintf(b, sizeof b,
                      "the search ran out of time (--duration) before any step failed: the capacity is "
                      "at least %.0f req/s",
                      pass);
        out.message = b;
      }
      break;
    }
    LoadConfig cfg = base;
    cfg.closed = false;
    cfg.stages = {{cc.step_ns - warmup, rate, rate}};
    cfg.warmup_ns = warmup;
    cfg.max_requests = 0;
    cfg.answer_required = false;  // every request timed out: the step failed, the search goes on
    if (before) before(cfg);
    auto r = run_load(cfg);
    if (!r) return r.error();
    CapacityStep st = judge(cfg, *r, cc);
    if (st.verdict == "driver" && retries < kDriverRetries && !r->interrupted) {
      // This step measured the driver or its machine, nothing about the
      // target. Run it again; count it.
      ++retries;
      ++out.retried_steps;
      continue;
    }
    retries = 0;
    if (after) after(st, *r);
    out.steps.push_back(st);
    if (r->interrupted) {
      out.interrupted = true;
      out.limited_by = "duration";
      out.message = "interrupted: the search stopped early";
      break;
    }
    if (st.slo_ok) {
      if (rate > pass) {
        pass = rate;
        out.best = std::move(*r);
        out.best_config = cfg;
        out.has_best = true;
      }
    } else {
      if (st.verdict == "driver") {
        out.limited_by = "driver";
        char b[400];
        if (st.driver_starved)
          std::snprintf(
              b, sizeof b,
              "the driver's machine was too busy at %.0f req/s (%d tries: its threads waited for a CPU "
              "longer than they ran) before the target broke the SLO: the target's capacity is at least "
              "%.0f req/s, not measured (free CPUs on the driver's machine)",
              rate, kDriverRetries + 1, pass);
        else
          std::snprintf(b, sizeof b,
                        "the driver saturated at %.0f req/s (%d tries) before the target broke the SLO: the "
                        "target's capacity is at least %.0f req/s, not measured (add --threads or free CPUs)",
                        rate, kDriverRetries + 1, pass);
        out.message = b;
        if (!out.has_best) {
          out.best = std::move(*r);
          out.best_config = cfg;
          out.has_best = true;
        }
        break;
      }
      if (fail == 0 || rate < fail) {
        fail = rate;
        fail_reason = reason_of(st.verdict);
        fail_verdict = st.verdict;
      }
      if (!out.has_best && out.steps.size() == 1) {
        out.best = std::move(*r);
        out.best_config = cfg;
        out.has_best = true;  // replaced by the first passing step, if any
      }
    }
    backlog = !st.slo_ok;
    if (fail == 0) {
      rate *= cc.factor;
      continue;
    }
    double lo = pass > 0 ? pass : 0;
    if (lo > 0 && fail / lo <= 1 + cc.precision) break;
    if (lo == 0 && fail <= cc.start_rps / 8) break;           // even a small fraction of the start rate fails
    rate = lo > 0 ? std::sqrt(lo * fail) : fail / cc.factor;  // geometric midpoint
  }
  if (out.limited_by.empty()) {
    out.limited_by = fail_reason.empty() ? "duration" : fail_reason;
    char b[400];
    if (pass > 0)
      std::snprintf(b, sizeof b, "%.0f req/s met the SLO; %.0f req/s did not (%s)", pass, fail,
                    fail_verdict.c_str());
    else
      std::snprintf(b, sizeof b,
                    fail >= 100 ? "no rate met the SLO, down to %.0f req/s (%s)"
                                : "no rate met the SLO, down to %.3g req/s (%s)",
                    fail, fail_verdict.c_str());
    if (fail > 0) out.message = b;
  }
  out.max_rate_rps = pass;
  out.knee_rps = knee_rps(out.steps);
  out.elapsed_ns = now_ns() - t0;
  return out;
}

std::string format_capacity_table(const CapacityResult& r) {
  std::string out = "capacity search (each step's warm-up excluded):\n";
  char line[512];
  std::snprintf(line, sizeof line, "  %10s %12s %9s %9s %9s %8s  %s\n", "rate req/s", "got req/s", "p50",
                "p99", "max", "errors", "verdict");
  out += line;
  for (const auto& s : r.steps) {
    std::snprintf(line, sizeof line, "  %10.1f %12.1f %8.2fms %8.2fms %8.1fms %7.2f%%  %s\n", s.rate_rps,
                  s.throughput_rps, s.latency.p50_ms, s.latency.p99_ms, s.latency.max_ms, s.error_rate_pct,
                  s.verdict.c_str());
    out += line;
    if (auto d = format_drain(s); !d.empty()) out += "  " + std::string(10, ' ') + " then: " + d + "\n";
  }
  if (r.max_rate_rps > 0)
    std::snprintf(line, sizeof line, "\ncapacity: %.0f req/s", r.max_rate_rps);
  else
    std::snprintf(line, sizeof line, "\ncapacity: none found");
  out += line;
  out += " (limited by " + r.limited_by + ")";
  if (r.knee_rps > 0) {
    std::snprintf(line, sizeof line, "; latency turned up at %.0f req/s", r.knee_rps);
    out += line;
  }
  std::snprintf(line, sizeof line, "; %zu steps in %.1fs\n", r.steps.size(),
                static_cast<double>(r.elapsed_ns) / 1e9);
  out += line;
  if (r.retried_steps > 0)
    out +=
        std::to_string(r.retried_steps) +
        " step(s) run again: the driver, or its machine, was late, which says nothing about the target\n";
  if (!r.message.empty()) out += r.message + "\n";
  return out;
}

std::string format_drain(const CapacityStep& s) {
  if (s.drain_s < 0) return {};
  char b[256];
  std::snprintf(b, sizeof b, "%s %.1f s (%d probe%s at %s req/s, last p99 %.2f ms)",
                s.drained ? "backlog drained in" : "backlog NOT drained after", s.drain_s, s.drain_probes,
                s.drain_probes == 1 ? "" : "s",
                std::to_string(static_cast<long long>(std::lround(s.probe_rate_rps))).c_str(),
                s.probe_p99_ms);
  std::string out = b;
  if (!s.drained) out += ": the next step may inherit its queue";
  return out;
}

std::string capacity_json(const CapacityResult& r) {
  using nlohmann::json;
  json steps = json::array();
  for (const auto& s : r.steps) {
    steps.push_back({{"rate_rps", round3(s.rate_rps)},
                     {"throughput_rps", round3(s.throughput_rps)},
                     {"latency_ms",
                      {{"p50", round3(s.latency.p50_ms)},
                       {"p90", round3(s.latency.p90_ms)},
                       {"p95", round3(s.latency.p95_ms)},
                       {"p99", round3(s.latency.p99_ms)},
                       {"p999", round3(s.latency.p999_ms)},
                       {"max", round3(s.latency.max_ms)}}},
                     {"error_rate_pct", round3(s.error_rate_pct)},
                     {"slo_ok", s.slo_ok},
                     {"verdict", s.verdict},
                     {"drain_s", s.drain_s >= 0 ? json(round3(s.drain_s)) : json(nullptr)},
                     {"drained", s.drain_s >= 0 ? json(s.drained) : json(nullptr)}});
  }
  json j = {{"max_rate_rps", round3(r.max_rate_rps)},
            {"limited_by", r.limited_by},
            {"knee_rps", r.knee_rps > 0 ? json(round3(r.knee_rps)) : json(nullptr)},
            {"message", r.message},
            {"search_s", round3(static_cast<double>(r.elapsed_ns) / 1e9)},
            {"retried_steps", r.retried_steps},
            {"steps", steps}};
  return j.dump();
}

}  // namespace loadprof::load
