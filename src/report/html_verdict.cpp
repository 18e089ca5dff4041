// report.html's top: the verdict in one sentence, the SLO table (each term:
// target, measured, pass/fail; whole run and per stage when a load ran), the
// bottlenecks ranked by estimated gain with evidence and recommendation; and
// the capacity model. Same findings as verdict_markdown.cpp, as XHTML.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "html_sections.h"
#include "html_text.h"
#include "loadprof/analyze/short_name.h"
#include "loadprof/flamegraph/svg.h"
#include "verdict_sections.h"

namespace loadprof::report {
namespace {

std::string f2(double v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

std::string opt(const std::optional<double>& v, const char* unit = "") {
  return v ? f2(*v) + unit : std::string("-");
}

std::string pass_td(std::optional<bool> ok) {
  if (!ok) return "<td>-</td>";
  return *ok ? "<td class=\"pass\">pass</td>" : "<td class=\"fail\">FAIL</td>";
}

double num_or(const nlohmann::json& j, const char* key, double fallback = 0) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : fallback;
}

// The load summary's SLO terms (whole run) and stages, when a load ran.
void slo_tables(std::ostream& out, const analyze::Analysis& a) {
  if (!a.load) return;
  const auto j = nlohmann::json::parse(a.load->summary_json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    out << "<p>The load summary in the capture could not be read.</p>\n";
    return;
  }
  const auto slo = j.value("slo", nlohmann::json::array());
  out << "<h3>SLO</h3>\n";
  if (!slo.is_array() || slo.empty()) {
    out << "<p>The run had no SLO (<code>--slo</code>).</p>\n";
  } else {
    out << "<table class=\"slo\">\n<tr><th>term (target)</th><th>measured</th><th>result</th></tr>\n";
    bool all_ok = true;
    for (const auto& t : slo) {
      const bool ok = t.value("ok", false);
      all_ok = all_ok && ok;
      out << "<tr><td><code>" << esc(t.value("term", std::string("?"))) << "</code></td><td class=\"num\">"
          << (t.value("lower_bound", false) ? "&gt;= " : "") << f2(num_or(t, "value")) << "</td>"
          << pass_td(ok) << "</tr>\n";
    }
    out << "<tr><td><b>overall (whole run)</b></td><td></td>" << pass_td(all_ok) << "</tr>\n</table>\n";
  }
  const auto stages = j.value("stages", nlohmann::json::array());
  if (!stages.is_array() || stages.size() < 2) return;
  out << "<table class=\"stages\">\n<tr><th>stage</th><th>start s</th><th>length s</th><th>rate req/s</th>"
         "<th>throughput req/s</th><th>p50 ms</th><th>p99 ms</th><th>errors</th><th>SLO</th></tr>\n";
  for (size_t i = 0; i < stages.size(); ++i) {
    const auto& s = stages[i];
    const auto lat = s.value("latency_ms", nlohmann::json::object());
    std::string rate = "-";
    if (s.contains("rate_start_rps") && s["rate_start_rps"].is_number()) {
      rate = f2(num_or(s, "rate_start_rps"));
      if (num_or(s, "rate_end_rps") != num_or(s, "rate_start_rps"))
        rate += " → " + f2(num_or(s, "rate_end_rps"));
    }
    std::optional<bool> ok;
    if (s.contains("slo_ok") && s["slo_ok"].is_boolean()) ok = s["slo_ok"].get<bool>();
    out << "<tr><td class=\"num\">" << i + 1 << "</td><td class=\"num\">" << f2(num_or(s, "start_s"))
        << "</td><td class=\"num\">" << f2(num_or(s, "duration_s")) << "</td><td class=\"num\">" << rate
        << "</td><td class=\"num\">" << f2(num_or(s, "throughput_rps")) << "</td><td class=\"num\">"
        << f2(num_or(lat, "p50")) << "</td><td class=\"num\">" << f2(num_or(lat, "p99"))
        << "</td><td class=\"num\">" << static_cast<uint64_t>(num_or(s, "errors")) << "</td>" << pass_td(ok)
        << "</tr>\n";
  }
  out << "</table>\n";
}

}  // namespace

void verdict_html(std::ostream& out, const analyze::Analysis& a) {
  const auto& v = a.verdict;
  out << "<section class=\"verdict\">\n<h2>Verdict</h2>\n<p class=\"verdict-line\">" << esc(v.summary)
      << (v.bottlenecks.empty() ? "." : "") << "</p>\n";
  slo_tables(out, a);
  if (!v.bottlenecks.empty()) {
    out << "<h3>Bottlenecks, by estimated gain</h3>\n<table "
           "class=\"bottlenecks\">\n<tr><th>#</th><th>kind</th>"
           "<th>where</th><th>share</th><th>estimated gain</th><th>recommendation</th></tr>\n";
    size_t n = 0;
    for (const auto& b : v.bottlenecks) {
      out << "<tr class=\"bottleneck\"><td class=\"num\">" << ++n << "</td><td><b>" << esc(b.kind)
          << "</b></td><td>"
          << (b.frame.empty()
                  ? std::string("-")
                  : "<code title=\"" + esc(b.frame) + "\">" + esc(analyze::short_name(b.frame)) + "</code>")
          << "</td><td class=\"num\">" << f2(b.share_pct) << " % of " << esc(b.share_of) << "</td><td><b>"
          << esc(b.estimated_gain) << "</b></td><td>" << esc(b.recommendation) << "</td></tr>\n"
          << "<tr class=\"evidence\"><td></td><td colspan=\"5\">Evidence: " << esc(b.evidence);
      if (!b.stacks.empty()) {
        out << "<details><summary>" << b.stacks.size() << " stack" << (b.stacks.size() > 1 ? "s" : "")
            << " behind it</summary><ol>";
        for (const auto& s : b.stacks) out << "<li><code>" << esc(s) << "</code></li>";
        out << "</ol></details>";
      }
      out << "</td></tr>\n";
    }
    out << "</table>\n<p class=\"note\">" << esc(kGainNote) << "</p>\n";
  }
  if (!v.not_checked.empty()) {
    out << "<p>Not looked for:</p>\n<ul class=\"not-checked\">\n";
    for (const auto& c : v.not_checked) out << "<li>" << esc(c.kind) << ": " << esc(c.reason) << "</li>\n";
    out << "</ul>\n";
  }
  out << "</section>\n";
}

void capacity_html(std::ostream& out, const analyze::CapacityModel& m) {
  out << "<h2>Capacity model</h2>\n<p>From the "
      << (m.source == "stages" ? "stages" : "capacity search's steps") << ": max throughput "
      << opt(m.max_throughput_rps, " req/s") << "; knee " << opt(m.knee_rps, " req/s")
      << " (lowest offered rate from which p99 stayed &gt; 2x and &gt; 1 ms above the lowest rate's, or "
         "throughput &lt; 90 % of it); highest rate meeting the SLO "
      << opt(m.max_rate_meeting_slo_rps, " req/s") << ".</p>\n";
  out << "<table class=\"capacity\">\n<tr><th>offered req/s</th><th>throughput req/s</th><th>p50 ms</th>"
         "<th>p99 ms</th><th>errors %</th><th>in flight</th><th>SLO</th></tr>\n";
  for (const auto& p : m.points) {
    out << "<tr><td class=\"num\">" << opt(p.offered_rps) << "</td><td class=\"num\">" << f2(p.throughput_rps)
        << "</td><td class=\"num\">" << f2(p.p50_ms) << "</td><td class=\"num\">" << f2(p.p99_ms)
        << "</td><td class=\"num\">" << f2(p.error_rate_pct) << "</td><td class=\"num\">" << f2(p.concurrency)
        << "</td>" << pass_td(p.slo_ok) << "</tr>\n";
  }
  out << "</table>\n";
  if (m.usl) {
    char kappa[64], sigma[64];
    std::snprintf(sigma, sizeof sigma, "%.4g", m.usl->sigma);
    std::snprintf(kappa, sizeof kappa, "%.4g", m.usl->kappa);
    out << "<p>Universal Scalability Law fit (X(N) = λN / (1 + σ(N−1) + κN(N−1)), N = requests in flight): λ "
        << f2(m.usl->lambda_rps) << " req/s, σ " << sigma << ", κ " << kappa << ", R² "
        << f2(m.usl->r_squared);
    if (m.usl->peak_throughput_rps)
      out << "; predicted peak " << f2(*m.usl->peak_throughput_rps) << " req/s at "
          << f2(m.usl->peak_concurrency.value_or(0)) << " in flight";
    out << " (" << esc(m.usl_note) << ").</p>\n";
  } else {
    out << "<p>USL: " << esc(m.usl_note) << ".</p>\n";
  }
  if (m.spikes.empty()) return;
  out << "<ul class=\"spikes\">\n";
  for (const auto& s : m.spikes) {
    out << "<li>Spike at stage " << s.stage + 1 << " (" << f2(s.from_rps) << " → " << f2(s.to_rps)
        << " req/s): p99 before it " << f2(s.pre_spike_p99_ms) << " ms; ";
    if (s.recovery_s)
      out << "back within " << f2(s.threshold_ms) << " ms " << f2(*s.recovery_s)
          << " s after the spike ended";
    else
      out << "not back within " << f2(s.threshold_ms) << " ms in the " << f2(s.watched_s)
          << " s that followed";
    out << "</li>\n";
  }
  out << "</ul>\n";
}

}  // namespace loadprof::report
