// report.html writer: the same sections as report.md, as one XHTML page that
// needs nothing but itself. The verdict, SLO table and bottlenecks come first,
// then the charts (html_charts.cpp, inline SVG) and the flame graphs in tabs;
// the per-second CPU split is an inline SVG stacked bar chart.
#include "loadprof/report/html.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>

#include "alloc_html.h"
#include "chart_svg.h"
#include "correlation_sections.h"
#include "html_sections.h"
#include "html_text.h"
#include "loadprof/analyze/short_name.h"
#include "loadprof/flamegraph/svg.h"
#include "resources_summary.h"
#include "wording.h"

namespace loadprof::report {
namespace {

std::string fixed2(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string pct(double v) { return fixed2(v) + " %"; }

// Inline only: no @import, no url(), so the page loads nothing.
constexpr const char* kCss = R"(
body { font-family: sans-serif; margin: 1.5em; color: #222; max-width: 1300px; }
h1 { margin-bottom: 0.3em; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 1.6em; }
.warning { background: #fff3cd; border: 2px solid #d39e00; border-radius: 4px; padding: 0.6em 0.9em;
           margin: 0.6em 0; font-weight: bold; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font-family: monospace; font-size: 0.95em; word-break: break-all; }
.note { color: #555; }
.chart text { font-size: 11px; fill: #333; }
.flamegraph-box { overflow-x: auto; }
ol.stacks li { margin-bottom: 0.4em; }
.verdict-line { font-size: 1.25em; font-weight: bold; background: #eef4fb; border-left: 5px solid #1f77b4;
                padding: 0.5em 0.8em; }
td.pass { color: #1a7f37; font-weight: bold; }
td.fail { color: #b00020; font-weight: bold; }
pre.load-table { background: #f7f7f7; padding: 0.5em; overflow-x: auto; font-size: 0.85em; }
tr.evidence td { border-top: none; color: #444; font-size: 0.92em; }
table.bottlenecks td { vertical-align: top; }
table.bottlenecks td code { word-break: normal; white-space: nowrap; }
figure.chart-box { margin: 1em 0; }
figure.chart-box figcaption { font-weight: bold; margin-bottom: 0.2em; }
.chart g.tip text { font-size: 12px; fill: #111; }
.chart .mark-label { fill: #666; font-size: 10px; }
.chart-absent { color: #555; font-style: italic; }
.fg-tabs button { font-size: 1em; padding: 0.3em 0.9em; margin-right: 0.3em; border: 1px solid #999;
                  background: #f3f3f3; border-radius: 4px 4px 0 0; cursor: pointer; }
.fg-tabs button.active { background: #fff; border-bottom-color: #fff; font-weight: bold; }
.fg-panel.hidden { display: none; }
)";

// Tabs: show the clicked flame graph, hide the others.
constexpr const char* kTabsJs = R"((function () {
  var buttons = document.querySelectorAll('button.fg-tab');
  function show(id) {
    Array.prototype.forEach.call(document.querySelectorAll('section.fg-panel'), function (p) {
      p.classList.toggle('hidden', p.id !== id);
    });
    Array.prototype.forEach.call(buttons, function (b) {
      b.classList.toggle('active', b.getAttribute('data-tab') === id);
    });
  }
  Array.prototype.forEach.call(buttons, function (b) {
    b.addEventListener('click', function () { show(b.getAttribute('data-tab')); });
  });
  if (buttons.length) show(buttons[0].getAttribute('data-tab'));
})();)";

void header(std::ostream& out, const analyze::Analysis& a) {
  const auto& c = a.capture;
  out << "<h1>loadprof report</h1>\n";
  for (const auto& w : a.warnings) out << "<div class=\"warning\">Warning: " << esc(w) << "</div>\n";
  out << "<ul class=\"facts\">\n";
  if (!c.hostname.empty()) {
    out << "<li>Host: " << esc(c.hostname);
    if (!c.kernel_release.empty()) out << " (kernel " << esc(c.kernel_release) << ")";
    out << "</li>\n";
  }
  if (!c.command_line.empty()) {
    out << "<li>Recorded by loadprof " << esc(c.loadprof_version.empty() ? "?" : c.loadprof_version)
        << ": <code>" << esc(c.command_line) << "</code></li>\n";
  }
  if (!c.source.empty()) out << "<li>Imported from " << esc(c.source) << "</li>\n";
  if (!c.probes.empty()) {
    out << "<li>Probes: ";
    for (size_t i = 0; i < c.probes.size(); ++i) out << (i ? ", " : "") << esc(c.probes[i]);
    if (c.frequency_hz) out << "; cpu sampling at " << c.frequency_hz << " Hz";
    if (!c.unwind.empty()) out << "; unwinding: " << esc(c.unwind);
    out << "</li>\n";
  }
  if (a.window) {
    out << "<li>Window: " << fixed2(a.window->start_s) << ".." << fixed2(a.window->end_s) << " s of a "
        << fixed2(a.window->capture_duration_s) << " s capture (--window): every figure is of it</li>\n";
  }
  if (a.group_by == "module") out << "<li>Frames grouped by module (--group-by module)</li>\n";
  out << "<li>Duration: " << fixed2(a.duration_s) << " s" << (a.duration_estimated ? " (estimated)" : "")
      << "; ended by: " << esc(a.end_reason) << "</li>\n";
  if (a.interrupted) out << "<li>Interrupted (Ctrl-C / SIGTERM): the results so far</li>\n";
  out << "</ul>\n";
}

std::string exit_text(const analyze::ProcessSummary& p) {
  std::string how;
  if (p.exit_code)
    how = "exit code " + std::to_string(*p.exit_code);
  else if (p.exit_signal)
    how = "killed by signal " + std::to_string(*p.exit_signal);
  else if (p.exit_s)
    how = "exited";
  if (!p.exit_s) return how.empty() ? "running at the end" : how;
  return how + " at +" + fixed2(*p.exit_s) + " s";
}

void processes(std::ostream& out, const analyze::Analysis& a) {
  out << "<h2>Target processes</h2>\n";
  if (a.processes.empty()) {
    out << "<p>The capture names no target process.</p>\n";
    return;
  }
  out << "<table class=\"processes\">\n<tr><th>pid</th><th>command</th><th>started</th><th>exit</th></tr>\n";
  for (const auto& p : a.processes) {
    out << "<tr><td class=\"num\">" << p.pid << "</td><td><code>" << esc(p.command)
        << "</code></td><td class=\"num\">+" << fixed2(p.start_s) << " s</td><td>" << esc(exit_text(p))
        << "</td></tr>\n";
  }
  out << "</table>\n";
  std::string notes;
  for (const auto& p : a.processes) {
    if (!p.exited_mid_capture || !p.exit_s) continue;
    notes += "<li>pid " + std::to_string(p.pid) + " (<code>" + esc(p.command) +
             "</code>) exited mid-capture at +" + fixed2(*p.exit_s) + " s";
    if (p.exit_code) notes += " with exit code " + std::to_string(*p.exit_code);
    if (p.exit_signal) notes += ", killed by signal " + std::to_string(*p.exit_signal);
    notes += ".</li>\n";
  }
  if (a.target_exited_s)
    notes += "<li>Every target process had exited at +" + fixed2(*a.target_exited_s) + " s.</li>\n";
  if (!notes.empty()) out << "<ul>\n" << notes << "</ul>\n";
}

void samples(std::ostream& out, const analyze::Analysis& a) {
  out << "<h2>Samples</h2>\n<table class=\"samples\">\n<tr><th>kind</th><th>samples</th></tr>\n";
  const std::pair<const char*, std::optional<uint64_t>> rows[] = {
      {"cpu", a.samples.cpu}, {"offcpu", a.samples.offcpu}, {"io", a.samples.io}, {"alloc", a.samples.alloc}};
  for (const auto& [kind, n] : rows)
    out << "<tr><td>" << kind << "</td><td class=\"num\">"
        << (n ? std::to_string(*n) : std::string("not recorded")) << "</td></tr>\n";
  out << "</table>\n";
  if (a.cpu_samples_without_stack || a.cpu_samples_truncated) {
    out << "<p>cpu samples without a stack: " << a.cpu_samples_without_stack
        << "; with a truncated stack: " << a.cpu_samples_truncated << ".</p>\n";
  }
}

// A function name: shortened, the full name as the tooltip when they differ.
std::string name_code(const std::string& name) {
  const std::string short_form = analyze::short_name(name);
  if (short_form == name) return "<code>" + esc(name) + "</code>";
  return "<code title=\"" + esc(name) + "\">" + esc(short_form) + "</code>";
}

std::string num_td(uint64_t n) { return "<td class=\"num\">" + std::to_string(n) + "</td>"; }
std::string pct_td(double v) { return "<td class=\"num\">" + pct(v) + "</td>"; }

void by_task(std::ostream& out, const analyze::Analysis& a) {
  if (a.by_process.empty()) return;
  out << "<h2>CPU by process</h2>\n<p class=\"note\">" << esc(kCpuPctNote) << "</p>\n";
  out << "<table class=\"by-process\">\n<tr><th>pid</th><th>command</th><th>samples</th><th>share %</th>"
         "<th>cpu %</th></tr>\n";
  for (const auto& p : a.by_process) {
    out << "<tr>" << num_td(p.pid) << "<td><code>" << esc(p.command) << "</code></td>" << num_td(p.samples)
        << pct_td(p.share_pct) << pct_td(p.cpu_pct) << "</tr>\n";
  }
  out << "</table>\n<h2>CPU by thread</h2>\n";
  out << "<table class=\"by-thread\">\n<tr><th>pid</th><th>tid</th><th>comm</th><th>samples</th><th>share "
         "%</th><th>cpu %</th></tr>\n";
  for (const auto& t : a.by_thread) {
    out << "<tr>" << num_td(t.pid) << num_td(t.tid) << "<td><code>" << esc(t.comm) << "</code></td>"
        << num_td(t.samples) << pct_td(t.share_pct) << pct_td(t.cpu_pct) << "</tr>\n";
  }
  out << "</table>\n";
}

void by_module(std::ostream& out, const analyze::Analysis& a) {
  if (a.by_module.empty()) return;
  out << "<h2>CPU by module</h2>\n<p class=\"note\">" << esc(kModuleNote) << "</p>\n";
  out << "<table class=\"by-module\">\n<tr><th>module</th><th>self %</th><th>self</th><th>total %</th>"
         "<th>total</th></tr>\n";
  for (const auto& m : a.by_module) {
    out << "<tr><td><code>" << esc(m.module) << "</code></td>" << pct_td(m.self_pct) << num_td(m.self_samples)
        << pct_td(m.total_pct) << num_td(m.total_samples) << "</tr>\n";
  }
  out << "</table>\n";
}

void stack_quality(std::ostream& out, const analyze::Analysis& a) {
  const auto& q = a.stack_quality;
  out << "<h2>Stack quality</h2>\n";
  if (q.samples == 0) {
    out << "<p>No cpu samples with a stack.</p>\n";
    return;
  }
  out << "<p class=\"note\">" << esc(kStackQualityNote) << "</p>\n<ul class=\"stack-quality\">\n"
      << "<li>Samples with a user stack: " << q.user_samples << " (kernel only: " << q.kernel_only
      << ")</li>\n"
      << "<li>Reaching main or a thread start: " << q.reached_root << " (" << pct(q.reached_root_pct)
      << ")</li>\n<li>Stopped early: " << q.stopped_early << " (" << pct(q.stopped_early_pct)
      << ")</li>\n<li>Cut by the unwinder (an address outside the code): " << q.truncated << " ("
      << pct(q.truncated_pct) << ")</li>\n</ul>\n";
  out << "<table class=\"depths\">\n<tr><th>user frames</th><th>samples</th><th>%</th></tr>\n";
  for (const auto& d : q.depths)
    out << "<tr><td>" << esc(d.label) << "</td>" << num_td(d.samples) << pct_td(d.pct) << "</tr>\n";
  out << "</table>\n";
  if (!q.modules.empty()) {
    out << "<p>Where the stacks that stopped early stop:</p>\n"
           "<table class=\"stop-modules\">\n<tr><th>module</th><th>stopped early</th><th>% of samples</th>"
           "<th>stacks ending there</th></tr>\n";
    for (const auto& m : q.modules) {
      out << "<tr><td><code>" << esc(m.module) << "</code></td>" << num_td(m.stopped_early)
          << pct_td(m.stopped_early_pct) << num_td(m.samples) << "</tr>\n";
    }
    out << "</table>\n";
  }
  if (q.poor) out << "<p>" << esc(analyze::kStackQualityAdvice) << "</p>\n";
}

void lost(std::ostream& out, const analyze::Analysis& a) {
  out << "<h2>Lost</h2>\n";
  std::string rows;
  for (const auto& [probe, reasons] : a.lost) {
    for (const auto& [reason, n] : reasons) {
      if (n > 0 && !is_stack_quality_reason(reason))
        rows += "<tr><td>" + esc(probe) + "</td><td>" + esc(reason) + "</td><td class=\"num\">" +
                std::to_string(n) + "</td></tr>\n";
    }
  }
  if (rows.empty()) {
    out << "<p>Nothing was lost (stack quality is in its own section).</p>\n";
    return;
  }
  out << "<table class=\"lost\">\n<tr><th>probe</th><th>reason</th><th>count</th></tr>\n"
      << rows << "</table>\n";
}

void share_row(std::ostream& out, const std::string& label, const analyze::CpuShare& s) {
  out << "<tr><td>" << label << "</td>";
  for (uint64_t n : {s.target, s.self, s.other, s.idle, s.idle_counted, s.steal, s.throttled})
    out << "<td class=\"num\">" << n << "</td>";
  for (double p : {s.target_pct, s.self_pct, s.other_pct, s.idle_pct, s.steal_pct})
    out << "<td class=\"num\">" << pct(p) << "</td>";
  out << "</tr>\n";
}

struct Series {
  const char* name;
  const char* color;
};
constexpr Series kSeries[] = {{"target", "#d62728"}, {"loadprof", "#9467bd"},  {"other", "#1f77b4"},
                              {"steal", "#ff7f0e"},  {"throttled", "#8c564b"}, {"idle", "#dddddd"}};
constexpr size_t kSeriesCount = sizeof kSeries / sizeof kSeries[0];

// A stacked bar per second: target at the bottom, then loadprof, other, steal, throttled, idle,
// each as its share of that second's samples (all CPUs). Each bar carries a
// tooltip with the figures.
void per_second_chart(std::ostream& out, const std::vector<analyze::CpuSecond>& seconds) {
  constexpr double kWidth = 960, kHeight = 260, kLeft = 44, kRight = 110, kTop = 10, kBottom = 30;
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  const double bar_w = plot_w / static_cast<double>(seconds.size());
  const double gap = bar_w > 4 ? 1 : 0;
  out << "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\""
      << kHeight << "\" viewBox=\"0 0 " << kWidth << " " << kHeight << "\">\n";
  // Axis and grid: 0, 25, 50, 75, 100 %.
  for (int p = 0; p <= 100; p += 25) {
    const double y = kTop + plot_h * (1 - p / 100.0);
    out << "<line x1=\"" << kLeft << "\" x2=\"" << kLeft + plot_w << "\" y1=\"" << fixed2(y) << "\" y2=\""
        << fixed2(y) << "\" stroke=\"#ccc\" stroke-width=\"0.5\"/><text x=\"" << kLeft - 4 << "\" y=\""
        << fixed2(y + 4) << "\" text-anchor=\"end\">" << p << "%</text>\n";
  }
  for (size_t i = 0; i < seconds.size(); ++i) {
    const auto& s = seconds[i];
    const uint64_t counts[kSeriesCount] = {s.target, s.self, s.other, s.steal, s.throttled, s.idle};
    const uint64_t all = s.target + s.self + s.other + s.steal + s.throttled + s.idle;
    const double x = kLeft + bar_w * static_cast<double>(i);
    out << "<g class=\"second\"><title>+" << fixed2(s.t_s) << " s: target " << s.target << ", loadprof "
        << s.self << ", other " << s.other << ", steal " << s.steal << ", throttled " << s.throttled
        << ", idle " << s.idle << " (counted " << s.idle_counted << ") samples; target " << pct(s.target_pct)
        << ", busy " << pct(s.busy_pct) << ", busiest CPU target " << pct(s.max_cpu_target_pct) << "</title>";
    double y = kTop + plot_h;
    for (size_t k = 0; k < kSeriesCount && all > 0; ++k) {
      const double h = plot_h * static_cast<double>(counts[k]) / static_cast<double>(all);
      if (h <= 0) continue;
      y -= h;
      out << "<rect x=\"" << fixed2(x) << "\" y=\"" << fixed2(y) << "\" width=\""
          << fixed2(std::max(bar_w - gap, 0.01)) << "\" height=\"" << fixed2(h) << "\" fill=\""
          << kSeries[k].color << "\"/>";
    }
    out << "</g>\n";
  }
  // Time labels: first and last second.
  const double label_y = kTop + plot_h + 16;
  out << "<text x=\"" << kLeft << "\" y=\"" << label_y << "\">+" << fixed2(seconds.front().t_s)
      << " s</text><text x=\"" << kLeft + plot_w << "\" y=\"" << label_y << "\" text-anchor=\"end\">+"
      << fixed2(seconds.back().t_s) << " s</text>\n";
  for (size_t k = 0; k < kSeriesCount; ++k) {
    const double y = kTop + 14 + 18 * static_cast<double>(k);
    out << "<rect x=\"" << kLeft + plot_w + 12 << "\" y=\"" << y - 10
        << "\" width=\"12\" height=\"12\" fill=\"" << kSeries[k].color << "\"/><text x=\""
        << kLeft + plot_w + 30 << "\" y=\"" << y << "\">" << kSeries[k].name << "</text>\n";
  }
  out << "</svg>\n";
}

void accounting(std::ostream& out, const analyze::Analysis& a) {
  out << "<h2>CPU accounting</h2>\n";
  if (!a.cpu_accounting) {
    out << "<p>The capture holds no per-CPU accounting.</p>\n";
    return;
  }
  const auto& acc = *a.cpu_accounting;
  out << "<p class=\"note\">" << kAccountingNote << "</p>\n";
  out << "<table class=\"cpus\">\n<tr><th>cpu</th><th>target</th><th>loadprof</th><th>other</th><th>idle ("
      << esc(acc.idle_shown)
      << ")</th><th>idle counted</th><th>steal</th><th>throttled</th><th>target %</th><th>loadprof %</th>"
         "<th>other %</th><th>idle %</th><th>steal %</th></tr>\n";
  for (const auto& s : acc.cpus) share_row(out, std::to_string(s.cpu), s);
  share_row(out, "all", acc.all);
  out << "</table>\n";
  if (acc.all.throttles > 0)
    out << "<p>The kernel throttled the cpu-clock event " << acc.all.throttles << " times.</p>\n";
  if (acc.per_second.empty()) return;
  out << "<h3>Per second (all CPUs)</h3>\n<p class=\"note\">One bar per second: the share of that second's "
         "samples, hover a bar for the figures.</p>\n";
  if (acc.per_second.size() <= kMaxChartPoints) {
    per_second_chart(out, acc.per_second);
    return;
  }
  // A long capture: each bar sums a run of seconds, so the page stays bounded.
  const size_t per = (acc.per_second.size() + kMaxChartPoints - 1) / kMaxChartPoints;
  std::vector<analyze::CpuSecond> bars;
  for (size_t i = 0; i < acc.per_second.size(); i += per) {
    analyze::CpuSecond b = acc.per_second[i];
    const size_t end = std::min(acc.per_second.size(), i + per);
    for (size_t j = i + 1; j < end; ++j) {
      const auto& s = acc.per_second[j];
      b.target += s.target, b.self += s.self, b.other += s.other, b.idle += s.idle;
      b.idle_counted += s.idle_counted, b.steal += s.steal, b.throttled += s.throttled;
      b.max_cpu_target_pct = std::max(b.max_cpu_target_pct, s.max_cpu_target_pct);
    }
    const double all = static_cast<double>(b.target + b.self + b.other + b.idle + b.steal + b.throttled);
    b.target_pct = all > 0 ? 100.0 * static_cast<double>(b.target) / all : 0;
    b.busy_pct = all > 0 ? 100.0 * static_cast<double>(b.target + b.self + b.other) / all : 0;
    bars.push_back(b);
  }
  out << "<p class=\"note\">" << acc.per_second.size() << " seconds drawn as " << bars.size() << " bars of "
      << per << " seconds each (their samples summed; the busiest CPU figure is the highest of them).</p>\n";
  per_second_chart(out, bars);
}

void resources(std::ostream& out, const analyze::Analysis& a) {
  const auto rows = resource_summary(a.resources);
  if (rows.empty()) return;
  out << "<h2>Resources</h2>\n<p class=\"note\">" << esc(kResourcesNote)
      << "</p>\n<table class=\"resources\">\n"
      << "<tr><th>figure</th><th>first second</th><th>peak</th><th>last second</th></tr>\n";
  for (const auto& r : rows) {
    out << "<tr><td>" << esc(r.figure) << "</td><td>" << esc(r.start) << "</td><td>" << esc(r.peak)
        << "</td><td>" << esc(r.end) << "</td></tr>\n";
  }
  out << "</table>\n";
}

void functions(std::ostream& out, const std::string& title, const std::vector<analyze::FunctionStat>& fs,
               bool by_self) {
  out << "<h2>" << title << "</h2>\n";
  if (fs.empty()) {
    out << "<p>No cpu samples with a stack.</p>\n";
    return;
  }
  out << "<table class=\"functions\">\n<tr><th>#</th><th>function</th><th>module</th>"
      << (by_self ? "<th>self %</th><th>self</th><th>total %</th><th>total</th>"
                  : "<th>total %</th><th>total</th><th>self %</th><th>self</th>")
      << "</tr>\n";
  for (size_t i = 0; i < fs.size(); ++i) {
    const auto& f = fs[i];
    out << "<tr><td class=\"num\">" << i + 1 << "</td><td>" << name_code(f.name) << "</td><td><code>"
        << esc(f.module) << "</code></td>";
    const std::string self_cells = "<td class=\"num\">" + pct(f.self_pct) + "</td><td class=\"num\">" +
                                   std::to_string(f.self_samples) + "</td>";
    const std::string total_cells = "<td class=\"num\">" + pct(f.total_pct) + "</td><td class=\"num\">" +
                                    std::to_string(f.total_samples) + "</td>";
    out << (by_self ? self_cells + total_cells : total_cells + self_cells) << "</tr>\n";
  }
  out << "</table>\n";
}

void stacks(std::ostream& out, const analyze::Analysis& a) {
  out << "<h2>Top stacks</h2>\n";
  if (a.top_stacks.empty()) {
    out << "<p>No cpu samples with a stack.</p>\n";
    return;
  }
  out << "<ol class=\"stacks\">\n";
  for (const auto& s : a.top_stacks) {
    std::string folded, shortened;
    for (size_t j = 0; j < s.frames.size(); ++j) {
      if (j) folded += ';', shortened += ';';
      folded += s.frames[j];
      shortened += analyze::short_name(s.frames[j]);
    }
    out << "<li>" << pct(s.pct) << " (" << s.samples << " samples)"
        << (s.stopped_early ? ", stopped early"
            : s.truncated   ? ", truncated"
                            : "")
        << ": <code title=\"" << esc(folded) << "\">" << esc(shortened) << "</code></li>\n";
  }
  out << "</ol>\n";
}

// The flame graphs as tabs: one button each, one shown at a time (all shown
// when scripts are off). Each SVG carries its own script, scoped to itself.
void flame_graphs(std::ostream& out, const HtmlOptions& o) {
  std::vector<HtmlFlameGraph> graphs;
  graphs.push_back({o.flamegraph_kind, o.flamegraph_kind, o.flamegraph_svg, o.flamegraph_note});
  for (const auto& g : o.more_flamegraphs) graphs.push_back(g);
  out << "<h2 id=\"flamegraphs\">Flame graphs</h2>\n<p class=\"note\">Click a frame to zoom, search with the "
         "button at the top right; hover a frame for its figures.</p>\n<div class=\"fg-tabs\">";
  for (size_t i = 0; i < graphs.size(); ++i)
    out << "<button type=\"button\" class=\"fg-tab" << (i == 0 ? " active" : "") << "\" data-tab=\"fg-"
        << esc(graphs[i].id) << "\">" << esc(graphs[i].title) << "</button>";
  out << "</div>\n";
  for (size_t i = 0; i < graphs.size(); ++i) {
    const auto& g = graphs[i];
    out << "<section class=\"fg-panel\" id=\"fg-" << esc(g.id) << "\">\n<h3>" << esc(g.title)
        << " flame graph</h3>\n";
    if (g.svg && !g.note.empty()) out << "<p class=\"note\">" << esc(g.note) << "</p>\n";
    if (g.svg)
      out << "<div class=\"flamegraph-box\">\n" << *g.svg << "\n</div>\n";
    else
      out << "<p>" << esc(g.note.empty() ? "No flame graph." : g.note) << "</p>\n";
    out << "</section>\n";
  }
  out << "<script>//<![CDATA[\n" << kTabsJs << "\n//]]></script>\n";
}

}  // namespace

void write_html(std::ostream& out, const analyze::Analysis& a, const HtmlOptions& options) {
  out << "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
         "<meta charset=\"utf-8\"/>\n<title>loadprof report</title>\n<style>"
      << kCss << "</style>\n</head>\n<body>\n";
  header(out, a);
  verdict_html(out, a);  // the answer first
  load_html(out, a);
  if (a.capacity_model) capacity_html(out, *a.capacity_model);
  charts_html(out, a, options.offcpu_ms_per_second);
  flame_graphs(out, options);
  wall_io_peers_html(out, a);
  processes(out, a);
  samples(out, a);
  by_task(out, a);
  by_module(out, a);
  stack_quality(out, a);
  lost(out, a);
  accounting(out, a);
  resources(out, a);
  if (a.alloc) alloc_html(out, *a.alloc, a.duration_s);
  if (a.correlation) correlation_html(out, *a.correlation);
  functions(out, "Top functions by self time", a.top_self, true);
  functions(out, "Top functions by total time", a.top_total, false);
  stacks(out, a);
  out << "</body>\n</html>\n";
}

}  // namespace loadprof::report
