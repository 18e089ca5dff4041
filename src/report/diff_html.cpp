// diff.html: the diff report as one self-contained XHTML page — the verdict,
// latency and throughput, then per kind (cpu, offcpu, io time, io bytes) the
// table of shares that changed and its differential flame graph inline (red
// grew, blue shrank). The same figures as diff.md.
#include <cstdio>
#include <string>
#include <string_view>

#include "html_text.h"
#include "loadprof/analyze/short_name.h"
#include "loadprof/flamegraph/svg.h"
#include "loadprof/report/diff.h"

namespace loadprof::report {
namespace {

std::string fixed2(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string signed2(double v) { return (v > 0 ? "+" : "") + fixed2(v); }

std::string p_text(double p) {
  char buf[64];
  std::snprintf(buf, sizeof buf, p < 0.001 ? "%.1e" : "%.3f", p);
  return buf;
}

std::string amount(uint64_t n, const std::string& weight) {
  if (weight == "ns") return fixed2(static_cast<double>(n) / 1e6) + " ms";
  if (weight == "bytes") return fixed2(static_cast<double>(n) / 1e6) + " MB";
  return std::to_string(n) + " samples";
}

std::string title_of(const analyze::KindDiff& k) {
  if (k.weight == "ns") return k.kind == "offcpu" ? "Off-CPU time" : "I/O time";  // % of the wall time
  if (k.weight == "bytes") return "I/O bytes";
  return k.kind == "cpu" ? "CPU samples" : k.kind;
}

constexpr const char* kCss = R"(
body { font-family: sans-serif; margin: 1.5em; color: #222; max-width: 1300px; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font-family: monospace; font-size: 0.95em; word-break: break-all; }
.note { color: #555; }
.verdict { font-size: 1.2em; font-weight: bold; }
tr.regression td { background: #fde0dc; }
tr.improvement td { background: #dce8fd; }
.flamegraph-box { overflow-x: auto; }
)";

void requests(std::ostream& out, const analyze::DiffResult& diff) {
  out << "<h2>Latency and throughput</h2>\n";
  if (!diff.requests) {
    out << "<p>" << esc(diff.requests_note) << ".</p>\n";
    return;
  }
  const auto& r = *diff.requests;
  out << "<table>\n<tr><th>metric</th><th>stage</th><th>base ms</th><th>new ms</th><th>change</th>"
         "<th>95 % interval</th><th>verdict</th></tr>\n";
  for (const auto& c : r.latency) {
    out << "<tr class=\"" << analyze::verdict_name(c.verdict) << "\"><td>" << esc(c.metric) << "</td><td>"
        << (c.stage ? std::to_string(*c.stage) : std::string("all")) << "</td><td class=\"num\">"
        << fixed2(c.base_ms) << "</td><td class=\"num\">" << fixed2(c.new_ms) << "</td><td class=\"num\">"
        << signed2(c.change_pct) << " %</td><td>" << signed2(c.ci95_low_pct) << " .. "
        << signed2(c.ci95_high_pct) << " %</td><td>"
        << (c.held_back ? "held back (latency gate below)"
                        : (c.significant ? analyze::verdict_name(c.verdict) : "not significant"))
        << "</td></tr>\n";
  }
  out << "</table>\n";
  if (r.gate.cost)
    out << "<p>Target CPU per request: " << fixed2(r.gate.cost->base_ms) << " &#8594; "
        << fixed2(r.gate.cost->new_ms) << " ms (" << signed2(r.gate.cost->change_pct) << " %, 95 % interval "
        << signed2(r.gate.cost->ci95_low_pct) << " .. " << signed2(r.gate.cost->ci95_high_pct)
        << " %): " << analyze::verdict_name(r.gate.cost_verdict) << ".</p>\n";
  if (!r.gate.why.empty()) out << "<p>Latency gate: " << esc(r.gate.why) << ".</p>\n";
  const auto& t = r.throughput;
  out << "<p>Throughput: " << fixed2(t.base_rps) << " &#8594; " << fixed2(t.new_rps) << " req/s ("
      << signed2(t.change_pct) << " %, Welch p = " << p_text(t.p_value) << ", "
      << (t.significant ? analyze::verdict_name(t.verdict) : "not significant") << ").</p>\n";
}

void kind_section(std::ostream& out, const analyze::DiffResult& diff, const analyze::KindDiff& k,
                  const std::string* svg) {
  out << "<h2 id=\"" << esc(analyze::diff_kind_label(k)) << "\">" << esc(title_of(k)) << ": "
      << analyze::verdict_name(k.verdict) << "</h2>\n"
      << "<p>" << esc(amount(k.base_samples, k.weight)) << " in base, "
      << esc(amount(k.new_samples, k.weight)) << " in new; " << k.comparisons
      << " shares compared, significant below p = " << p_text(k.alpha_per_test) << " (alpha "
      << fixed2(diff.alpha) << ", Bonferroni); a regression needs its whole 95 % interval beyond "
      << fixed2(diff.threshold_pct) << " % of the base figure."
      << (k.weight == "ns" ? " Time as % of the window's wall time (100 % = one thread all the time)." : "")
      << "</p>\n";
  out << "<table>\n<tr><th>function</th><th>share</th><th>base %</th><th>new %</th><th>change (points)</th>"
         "<th>change (relative)</th><th>95 % interval (points)</th><th>p</th><th>verdict</th></tr>\n";
  for (const auto& s : k.changes) {
    out << "<tr class=\"" << analyze::verdict_name(s.verdict) << "\"><td><code title=\"" << esc(s.frame)
        << "\">" << esc(analyze::short_name(s.frame)) << "</code></td><td>" << (s.self ? "self" : "total")
        << "</td><td class=\"num\">" << fixed2(s.base_pct) << "</td><td class=\"num\">" << fixed2(s.new_pct)
        << "</td><td class=\"num\">" << signed2(s.delta_pct_points) << "</td><td class=\"num\">"
        << (s.change_pct ? signed2(*s.change_pct) + " %" : std::string("new")) << "</td><td>["
        << signed2(s.ci95_low_points) << ", " << signed2(s.ci95_high_points) << "]</td><td class=\"num\">"
        << p_text(s.p_value) << "</td><td>"
        << (!s.judged       ? "not judged (waiting)"
            : s.significant ? analyze::verdict_name(s.verdict)
                            : "not significant")
        << "</td></tr>\n";
  }
  out << "</table>\n";
  if (svg) {
    out << "<p class=\"note\">Differential flame graph: widths from new, red grew, blue shrank (each frame's "
           "share against base). Click to zoom.</p>\n<div class=\"flamegraph-box\">\n"
        << *svg << "\n</div>\n";
  }
}

}  // namespace

void write_diff_html(std::ostream& out, const analyze::DiffResult& diff, const std::string& base_path,
                     const std::string& new_path,
                     const std::vector<std::pair<std::string, std::string>>& svgs) {
  out << "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
         "<meta charset=\"utf-8\"/>\n<title>loadprof diff</title>\n<style>"
      << kCss << "</style>\n</head>\n<body>\n<h1>loadprof diff</h1>\n<ul>\n<li>Base: <code>" << esc(base_path)
      << "</code></li>\n<li>New: <code>" << esc(new_path)
      << "</code></li>\n</ul>\n<p class=\"verdict\">Verdict: " << analyze::verdict_name(diff.verdict)
      << "</p>\n";
  requests(out, diff);
  for (const auto& k : diff.kinds) {
    const std::string label = analyze::diff_kind_label(k);
    const std::string* svg = nullptr;
    for (const auto& [name, text] : svgs)
      if (name == label) svg = &text;
    kind_section(out, diff, k, svg);
  }
  out << "</body>\n</html>\n";
}

}  // namespace loadprof::report
