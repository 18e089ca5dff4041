// report.md's "What grows with latency" section: the answer first (the
// function that grows most in slow windows and in the slowest requests), then
// the tables that back it.
#include <cstdio>
#include <string>

#include "correlation_sections.h"
#include "loadprof/analyze/short_name.h"

namespace loadprof::report {
namespace {

// Above this many windows the per-window table goes to report.json only.
constexpr size_t kMaxWindowsInMarkdown = 120;

std::string fixed(double v, int digits = 2) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string signed_points(double v) { return (v > 0 ? "+" : "") + fixed(v, 1); }

std::string opt(const std::optional<double>& v, int digits = 2) { return v ? fixed(*v, digits) : "-"; }

// A code span that survives a GFM table ('|' escaped) and backticks in names.
std::string code(const std::string& text) {
  std::string escaped;
  bool backtick = false;
  for (char ch : text) {
    if (ch == '|')
      escaped += "\\|";
    else
      escaped += ch;
    if (ch == '`') backtick = true;
  }
  return backtick ? "`` " + escaped + " ``" : "`" + escaped + "`";
}

std::string name(const std::string& frame) { return code(analyze::short_name(frame)); }

void windows_table(std::ostream& out, const std::vector<analyze::LatencyWindow>& ws, bool stages) {
  out << (stages ? "| stage | start s | duration s" : "| t (s)")
      << " | requests | errors | rps | p50 ms | p99 ms | cpu samples | off-CPU ms"
      << (stages ? "" : " | slow") << " |\n"
      << (stages ? "|---:|---:|---:" : "|---:")
      << "|---:|---:|---:|---:|---:|---:|---:" << (stages ? "" : "|---") << "|\n";
  for (const auto& w : ws) {
    out << "| ";
    if (stages)
      out << w.stage << " | " << fixed(w.t_s) << " | " << fixed(w.duration_s);
    else
      out << fixed(w.t_s);
    out << " | " << w.requests << " | " << w.errors << " | " << fixed(w.throughput_rps, 1) << " | "
        << opt(w.p50_ms, 3) << " | " << opt(w.p99_ms, 3) << " | " << w.cpu_samples << " | "
        << fixed(w.offcpu_ms, 1);
    if (!stages) out << " | " << (w.slow ? (*w.slow ? "slow" : "fast") : "-");
    out << " |\n";
  }
  out << "\n";
}

}  // namespace

void correlation_markdown(std::ostream& out, const analyze::Correlation& c) {
  out << "## What grows with latency\n\n";
  const bool by_growth = c.slow_windows > 0 && c.fast_windows > 0;
  // The answer first.
  if (by_growth && !c.stacks.empty() && c.stacks.front().growth_pct_points > 0) {
    const auto& f = c.stacks.front();
    out << "- Grows most in slow windows: " << name(f.frame) << " (" << f.kind << ", "
        << fixed(f.fast_share_pct, 1) << " % of fast windows -> " << fixed(f.slow_share_pct, 1)
        << " % of slow windows, " << signed_points(f.growth_pct_points) << " points";
    if (f.rank_correlation) out << "; rank correlation with p99 " << fixed(*f.rank_correlation);
    out << ")\n";
  }
  if (c.slow_requests && !c.slow_requests->functions.empty() &&
      c.slow_requests->functions.front().growth_pct_points > 0) {
    const auto& f = c.slow_requests->functions.front();
    out << "- Leads the slowest requests (>= p99): " << name(f.frame) << " (" << fixed(f.slow_share_pct, 1)
        << " % of their " << (f.kind == "offcpu" ? "off-CPU time" : "samples") << " against "
        << fixed(f.median_share_pct, 1) << " % in median requests)\n";
  }
  out << "- Windows: " << c.windows.size() << " of " << fixed(c.window_s, 0) << " s, " << c.requests
      << " requests; slow: " << c.slow_rule;
  if (c.slow_threshold_ms) out << " = " << fixed(*c.slow_threshold_ms, 3) << " ms";
  out << "; " << c.slow_windows << " slow, " << c.fast_windows << " fast\n";
  if (c.requests_without_end > 0)
    out << "- " << c.requests_without_end << " requests without an end (not counted)\n";
  if (c.warmup_requests > 0) out << "- " << c.warmup_requests << " warmup requests left out\n";
  out << "\n" << kCorrelationNote << "\n\n";

  if (!by_growth) {
    out << "No slow-against-fast comparison: "
        << (c.slow_windows == 0 ? "no window was slow" : "no window was fast")
        << ". Functions ranked by rank correlation with the window p99, those with at least 5 % of their "
           "kind first.\n\n";
  }
  if (!c.stacks.empty() && by_growth) {
    out << "| # | function | kind | fast % | slow % | growth (points) | rank corr. p99 | rank corr. load "
           "|\n|---:|---|---|---:|---:|---:|---:|---:|\n";
    for (size_t i = 0; i < c.stacks.size(); ++i) {
      const auto& f = c.stacks[i];
      out << "| " << i + 1 << " | " << name(f.frame) << " | " << f.kind << " | " << fixed(f.fast_share_pct)
          << " | " << fixed(f.slow_share_pct) << " | " << signed_points(f.growth_pct_points) << " | "
          << opt(f.rank_correlation) << " | " << opt(f.load_rank_correlation) << " |\n";
    }
    out << "\n";
  } else if (!c.stacks.empty()) {
    // Every judged window was fast (or slow): one share, over all of them.
    out << "| # | function | kind | share % | rank corr. p99 | rank corr. load "
           "|\n|---:|---|---|---:|---:|---:|\n";
    for (size_t i = 0; i < c.stacks.size(); ++i) {
      const auto& f = c.stacks[i];
      out << "| " << i + 1 << " | " << name(f.frame) << " | " << f.kind << " | "
          << fixed(c.slow_windows > 0 ? f.slow_share_pct : f.fast_share_pct) << " | "
          << opt(f.rank_correlation) << " | " << opt(f.load_rank_correlation) << " |\n";
    }
    out << "\n";
  }

  const auto& at = c.attribution;
  out << "### Samples attributed to requests\n\n"
      << kAttributionNote << "\n\n"
      << "- Attributed: " << at.attributed << " of " << at.cpu_samples << " cpu samples ("
      << fixed(at.coverage_pct, 1) << " %): " << at.attributed_by_time << " by time, "
      << at.attributed_by_thread << " by the connection of their thread (" << at.dedicated_threads
      << " threads serving one connection); " << at.in_requests << " fell inside requests, "
      << at.ambiguous_samples << " of them ambiguous (" << at.ambiguous << ")\n"
      << "- Off-CPU: " << fixed(at.offcpu_attributed_ms, 1) << " of " << fixed(at.offcpu_ms, 1)
      << " ms inside a request of the connection their thread serves; " << fixed(at.offcpu_client_wait_ms, 1)
      << " ms of socket waits for the client left out (across a request's start or end, or the first in a "
         "new connection)\n"
      << "- By connection (local port): " << at.connection_join << "\n";
  if (at.companion_threads > 0)
    out << "- " << at.companion_threads
        << " more threads followed one connection's requests, with fewer samples in them than the thread "
           "serving it: not given its requests\n";
  out << "\n";
  if (c.slow_requests) {
    const auto& sr = *c.slow_requests;
    out << "Slowest requests (latency >= p99 = " << fixed(sr.latency_threshold_ms, 3)
        << " ms): " << sr.slow_requests << " requests, " << sr.slow_samples
        << " samples. Median requests (p40..p60 = " << fixed(sr.median_low_ms, 3) << ".."
        << fixed(sr.median_high_ms, 3) << " ms): " << sr.median_requests << " requests, " << sr.median_samples
        << " samples. Off-CPU: " << fixed(sr.slow_offcpu_ms, 1) << " ms in the slowest, "
        << fixed(sr.median_offcpu_ms, 1) << " ms in the median ones.\n\n";
    if (!sr.functions.empty()) {
      out << "| # | function | kind | slowest % | median % | growth (points) "
             "|\n|---:|---|---|---:|---:|---:|\n";
      for (size_t i = 0; i < sr.functions.size(); ++i) {
        const auto& f = sr.functions[i];
        out << "| " << i + 1 << " | " << name(f.frame) << " | " << f.kind << " | " << fixed(f.slow_share_pct)
            << " | " << fixed(f.median_share_pct) << " | " << signed_points(f.growth_pct_points) << " |\n";
      }
      out << "\n";
    }
  }
  if (!c.endpoints.empty()) {
    out << "### Endpoints\n\n"
        << kEndpointsNote
        << "\n\n| endpoint | requests | mean ms | p99 ms | % of all time | attributed % | where the time "
           "went "
           "(all / slowest %) |\n|---|---:|---:|---:|---:|---:|---|\n";
    for (const auto& e : c.endpoints)
      out << "| " << code(e.name) << " | " << e.requests << " | " << fixed(e.mean_ms, 3) << " | "
          << fixed(e.p99_ms, 3) << " | " << fixed(e.share_of_all_pct, 1) << " | "
          << fixed(e.attributed_pct, 1) << " | " << endpoint_parts(e, name, fixed) << " |\n";
    out << "\n";
  }
  if (!c.stages.empty()) {
    out << "### Stages\n\n";
    windows_table(out, c.stages, true);
  }
  if (!c.windows.empty() && c.windows.size() <= kMaxWindowsInMarkdown) {
    out << "### Windows\n\n";
    windows_table(out, c.windows, false);
  }
}

}  // namespace loadprof::report
