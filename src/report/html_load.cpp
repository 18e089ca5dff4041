// report.html's load run section (bench captures): the driver's table as
// `load` printed it, the window's figures under --window, the request log's
// count, and the stages' CPU use from the profile — report.md's "Load".
#include <cstdio>
#include <string>

#include "html_sections.h"
#include "html_text.h"
#include "loadprof/flamegraph/svg.h"

namespace loadprof::report {
namespace {

std::string f2(double v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

std::string pct_or_dash(const std::optional<double>& v) { return v ? f2(*v) + " %" : std::string("-"); }

}  // namespace

void load_html(std::ostream& out, const analyze::Analysis& a) {
  if (!a.load) return;
  const auto& l = *a.load;
  out << "<h2>Load</h2>\n<pre class=\"load-table\">" << esc(l.table) << "</pre>\n";
  if (a.window_load) {
    const auto& w = a.window_load->total;
    out << "<p>The table is the whole run's. In the window (--window): " << w.requests << " requests, "
        << w.errors << " errors (" << f2(w.error_rate_pct) << " %), " << f2(w.throughput_rps)
        << " req/s; latency p50 " << f2(w.latency.p50_ms) << " ms, p90 " << f2(w.latency.p90_ms)
        << " ms, p99 " << f2(w.latency.p99_ms) << " ms, max " << f2(w.latency.max_ms) << " ms.</p>\n";
  }
  out << "<p>Request log: " << l.requests_in_capture << " requests in the capture";
  if (l.log_dropped) out << ", " << l.log_dropped << " lost on the way (ring or queue full)";
  out << ".</p>\n";
  if (l.stages.empty()) return;
  out << "<table class=\"stage-cpu\">\n<tr><th>stage</th><th>window</th><th>target CPU</th><th>loadprof "
         "CPU</th>"
         "</tr>\n";
  for (size_t i = 0; i < l.stages.size(); ++i) {
    const auto& u = l.stages[i];
    out << "<tr><td class=\"num\">" << i + 1 << "</td><td>" << f2(u.start_s) << " s – " << f2(u.end_s)
        << " s</td><td class=\"num\">" << pct_or_dash(u.target_cpu_pct) << "</td><td class=\"num\">"
        << pct_or_dash(u.loadprof_cpu_pct) << "</td></tr>\n";
  }
  out << "</table>\n<p class=\"note\">CPU in % of one CPU: the targets' from their samples, loadprof's (load "
         "driver and recorder) from the per-second accounting.</p>\n";
}

}  // namespace loadprof::report
