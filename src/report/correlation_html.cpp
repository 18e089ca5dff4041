// report.html's "What grows with latency" section: the same content as the
// Markdown one (correlation_markdown.cpp), as XHTML.
#include <cstdio>
#include <string>
#include <string_view>

#include "correlation_sections.h"
#include "html_text.h"
#include "loadprof/analyze/short_name.h"
#include "loadprof/flamegraph/svg.h"

namespace loadprof::report {
namespace {

constexpr size_t kMaxWindowsInHtml = 600;

std::string fixed(double v, int digits = 2) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string signed_points(double v) { return (v > 0 ? "+" : "") + fixed(v, 1); }
std::string opt(const std::optional<double>& v, int digits = 2) { return v ? fixed(*v, digits) : "-"; }
std::string name(const std::string& frame) {
  return "<code title=\"" + esc(frame) + "\">" + esc(analyze::short_name(frame)) + "</code>";
}
std::string num(const std::string& v) { return "<td class=\"num\">" + v + "</td>"; }

void windows_table(std::ostream& out, const std::vector<analyze::LatencyWindow>& ws, bool stages) {
  out << "<table class=\"" << (stages ? "corr-stages" : "corr-windows") << "\">\n<tr>"
      << (stages ? "<th>stage</th><th>start s</th><th>duration s</th>" : "<th>t (s)</th>")
      << "<th>requests</th><th>errors</th><th>rps</th><th>p50 ms</th><th>p99 ms</th><th>cpu samples</th>"
         "<th>off-CPU ms</th>"
      << (stages ? "" : "<th>slow</th>") << "</tr>\n";
  for (const auto& w : ws) {
    out << "<tr>";
    if (stages)
      out << num(std::to_string(w.stage)) << num(fixed(w.t_s)) << num(fixed(w.duration_s));
    else
      out << num(fixed(w.t_s));
    out << num(std::to_string(w.requests)) << num(std::to_string(w.errors)) << num(fixed(w.throughput_rps, 1))
        << num(opt(w.p50_ms, 3)) << num(opt(w.p99_ms, 3)) << num(std::to_string(w.cpu_samples))
        << num(fixed(w.offcpu_ms, 1));
    if (!stages) out << "<td>" << (w.slow ? (*w.slow ? "slow" : "fast") : "-") << "</td>";
    out << "</tr>\n";
  }
  out << "</table>\n";
}

}  // namespace

void correlation_html(std::ostream& out, const analyze::Correlation& c) {
  out << "<h2 id=\"correlation\">What grows with latency</h2>\n<ul class=\"facts\">\n";
  const bool by_growth = c.slow_windows > 0 && c.fast_windows > 0;
  if (by_growth && !c.stacks.empty() && c.stacks.front().growth_pct_points > 0) {
    const auto& f = c.stacks.front();
    out << "<li><b>Grows most in slow windows: " << name(f.frame) << "</b> (" << esc(f.kind) << ", "
        << fixed(f.fast_share_pct, 1) << " % of fast windows -&gt; " << fixed(f.slow_share_pct, 1)
        << " % of slow windows, " << signed_points(f.growth_pct_points) << " points";
    if (f.rank_correlation) out << "; rank correlation with p99 " << fixed(*f.rank_correlation);
    out << ")</li>\n";
  }
  if (c.slow_requests && !c.slow_requests->functions.empty() &&
      c.slow_requests->functions.front().growth_pct_points > 0) {
    const auto& f = c.slow_requests->functions.front();
    out << "<li><b>Leads the slowest requests (&gt;= p99): " << name(f.frame) << "</b> ("
        << fixed(f.slow_share_pct, 1) << " % of their " << (f.kind == "offcpu" ? "off-CPU time" : "samples")
        << " against " << fixed(f.median_share_pct, 1) << " % in median requests)</li>\n";
  }
  out << "<li>Windows: " << c.windows.size() << " of " << fixed(c.window_s, 0) << " s, " << c.requests
      << " requests; slow: " << esc(c.slow_rule);
  if (c.slow_threshold_ms) out << " = " << fixed(*c.slow_threshold_ms, 3) << " ms";
  out << "; " << c.slow_windows << " slow, " << c.fast_windows << " fast</li>\n";
  if (c.requests_without_end > 0)
    out << "<li>" << c.requests_without_end << " requests without an end (not counted)</li>\n";
  if (c.warmup_requests > 0) out << "<li>" << c.warmup_requests << " warmup requests left out</li>\n";
  out << "</ul>\n<p class=\"note\">" << esc(kCorrelationNote) << "</p>\n";
  if (!by_growth) {
    out << "<p>No slow-against-fast comparison: "
        << (c.slow_windows == 0 ? "no window was slow" : "no window was fast")
        << ". Functions ranked by rank correlation with the window p99, those with at least 5 % of their "
           "kind first.</p>\n";
  }
  if (!c.stacks.empty()) {
    out << "<table class=\"correlation\">\n<tr><th>#</th><th>function</th><th>kind</th>"
        << (by_growth ? "<th>fast %</th><th>slow %</th><th>growth (points)</th>" : "<th>share %</th>")
        << "<th>rank corr. p99</th><th>rank corr. load</th></tr>\n";
    for (size_t i = 0; i < c.stacks.size(); ++i) {
      const auto& f = c.stacks[i];
      out << "<tr>" << num(std::to_string(i + 1)) << "<td>" << name(f.frame) << "</td><td>" << esc(f.kind)
          << "</td>";
      if (by_growth)
        out << num(fixed(f.fast_share_pct)) << num(fixed(f.slow_share_pct))
            << num(signed_points(f.growth_pct_points));
      else
        out << num(fixed(c.slow_windows > 0 ? f.slow_share_pct : f.fast_share_pct));
      out << num(opt(f.rank_correlation)) << num(opt(f.load_rank_correlation)) << "</tr>\n";
    }
    out << "</table>\n";
  }
  const auto& at = c.attribution;
  out << "<h3>Samples attributed to requests</h3>\n<p class=\"note\">" << esc(kAttributionNote)
      << "</p>\n<ul>\n"
      << "<li>Attributed: " << at.attributed << " of " << at.cpu_samples << " cpu samples ("
      << fixed(at.coverage_pct, 1) << " %): " << at.attributed_by_time << " by time, "
      << at.attributed_by_thread << " by the connection of their thread (" << at.dedicated_threads
      << " threads serving one connection); " << at.in_requests << " fell inside requests, "
      << at.ambiguous_samples << " of them ambiguous (" << esc(at.ambiguous) << ")</li>\n"
      << "<li>Off-CPU: " << fixed(at.offcpu_attributed_ms, 1) << " of " << fixed(at.offcpu_ms, 1)
      << " ms inside a request of the connection their thread serves; " << fixed(at.offcpu_client_wait_ms, 1)
      << " ms of socket waits for the client left out (across a request's start or end, or the first in a "
         "new connection)</li>\n"
      << "<li>By connection (local port): " << esc(at.connection_join) << "</li>\n";
  if (at.companion_threads > 0)
    out << "<li>" << at.companion_threads
        << " more threads followed one connection's requests, with fewer samples in them than the thread "
           "serving it: not given its requests</li>\n";
  out << "</ul>\n";
  if (c.slow_requests) {
    const auto& sr = *c.slow_requests;
    out << "<p>Slowest requests (latency &gt;= p99 = " << fixed(sr.latency_threshold_ms, 3)
        << " ms): " << sr.slow_requests << " requests, " << sr.slow_samples
        << " samples. Median requests (p40..p60 = " << fixed(sr.median_low_ms, 3) << ".."
        << fixed(sr.median_high_ms, 3) << " ms): " << sr.median_requests << " requests, " << sr.median_samples
        << " samples. Off-CPU: " << fixed(sr.slow_offcpu_ms, 1) << " ms in the slowest, "
        << fixed(sr.median_offcpu_ms, 1) << " ms in the median ones.</p>\n";
    if (!sr.functions.empty()) {
      out << "<table class=\"slow-requests\">\n<tr><th>#</th><th>function</th><th>kind</th><th>slowest "
             "%</th><th>median "
             "%</th><th>growth (points)</th></tr>\n";
      for (size_t i = 0; i < sr.functions.size(); ++i) {
        const auto& f = sr.functions[i];
        out << "<tr>" << num(std::to_string(i + 1)) << "<td>" << name(f.frame) << "</td><td>" << esc(f.kind)
            << "</td>" << num(fixed(f.slow_share_pct)) << num(fixed(f.median_share_pct))
            << num(signed_points(f.growth_pct_points)) << "</tr>\n";
      }
      out << "</table>\n";
    }
  }
  if (!c.endpoints.empty()) {
    out << "<h3>Endpoints</h3>\n<p class=\"note\">" << esc(kEndpointsNote)
        << "</p>\n<table class=\"endpoints\">\n<tr><th>endpoint</th><th>requests</th><th>mean ms</th><th>p99 "
           "ms</th><th>% of all time</th><th>attributed %</th><th>where the time went (all / slowest "
           "%)</th></tr>\n";
    for (const auto& e : c.endpoints)
      out << "<tr><td><code>" << esc(e.name) << "</code></td>" << num(std::to_string(e.requests))
          << num(fixed(e.mean_ms, 3)) << num(fixed(e.p99_ms, 3)) << num(fixed(e.share_of_all_pct, 1))
          << num(fixed(e.attributed_pct, 1)) << "<td>" << endpoint_parts(e, name, fixed) << "</td></tr>\n";
    out << "</table>\n";
  }
  if (!c.stages.empty()) {
    out << "<h3>Stages</h3>\n";
    windows_table(out, c.stages, true);
  }
  if (!c.windows.empty() && c.windows.size() <= kMaxWindowsInHtml) {
    out << "<h3>Windows</h3>\n";
    windows_table(out, c.windows, false);
  }
}

}  // namespace loadprof::report
