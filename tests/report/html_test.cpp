// report.html from the hand-built capture: well-formed (xmllint parses it as
// XML, and as HTML), nothing loaded from the network, names escaped, the
// figures of the Markdown report present, one chart bar per second, and the
// flame graph inlined with every sample of the folded export at its root.
#include "loadprof/report/html.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "analyze/sample_capture.h"
#include "loadprof/capture/folded.h"
#include "loadprof/report/flamegraph_svg.h"
#include "report/chart_svg.h"
#include "report/schema_check.h"

namespace loadprof::report {
namespace {

namespace fs = std::filesystem;
using testing::sample_capture;

// A C++ name that breaks unescaped HTML three ways.
const std::string kTemplateName = "std::map<int, std::string>::operator<<&";
const std::string kTemplateNameEscaped = "std::map&lt;int, std::string&gt;::operator&lt;&lt;&amp;";

capture::Capture capture_with_template_name() {
  capture::Capture c = sample_capture();
  c.frames[2].function = kTemplateName;  // was "hot": the top function by self time (55 samples)
  return c;
}

std::string html_of(const capture::Capture& c, const analyze::Analysis& a) {
  HtmlOptions options;
  FlamegraphOptions fg;
  fg.title = "cpu flame graph";
  fg.xml_prolog = false;
  options.flamegraph_svg = render_flamegraph_svg(capture::folded_stacks(c, "cpu").value(), fg).value();
  std::ostringstream out;
  write_html(out, a, options);
  return out.str();
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

// xmllint exit code on the page: as XML (strict well-formedness) or with its HTML parser.
testing::CommandResult xmllint(const std::string& html, bool as_html) {
  const fs::path path = testing::test_dir() / (as_html ? "page-html.html" : "page-xml.html");
  std::ofstream(path) << html;
  return testing::run_command(std::string("xmllint --noout ") + (as_html ? "--html " : "") + path.string());
}

// Every http(s) URL in the page must be a namespace name (never fetched).
std::vector<std::string> network_references(const std::string& html) {
  std::vector<std::string> bad;
  for (const std::string scheme : {"http://", "https://"}) {
    for (size_t at = html.find(scheme); at != std::string::npos; at = html.find(scheme, at + 1)) {
      const std::string url = html.substr(at, html.find_first_of("\"' ", at) - at);
      if (url != "http://www.w3.org/2000/svg" && url != "http://www.w3.org/1999/xhtml") bad.push_back(url);
    }
  }
  for (const std::string ref : {"src=", "href=", "url(", "@import"}) {
    if (html.find(ref) != std::string::npos) bad.push_back(ref);
  }
  return bad;
}

TEST(HtmlReport, WellFormedSelfContainedAndEscaped) {
  const capture::Capture c = capture_with_template_name();
  const analyze::Analysis a = analyze::analyze(c).value();
  ASSERT_EQ(a.top_self.at(0).name, kTemplateName);
  const std::string html = html_of(c, a);

  auto xml = xmllint(html, false);
  EXPECT_EQ(xml.exit_code, 0) << xml.output;
  EXPECT_EQ(xml.output, "");
  auto as_html = xmllint(html, true);
  EXPECT_EQ(as_html.exit_code, 0) << as_html.output;

  EXPECT_EQ(network_references(html), std::vector<std::string>{});
  EXPECT_EQ(html.find(kTemplateName), std::string::npos);
  // First row of both function tables, percentages of the 100 cpu samples.
  EXPECT_NE(
      html.find("<tr><td class=\"num\">1</td><td><code>" + kTemplateNameEscaped +
                "</code></td><td><code>prog</code></td><td class=\"num\">55.00 %</td><td class=\"num\">55"
                "</td><td class=\"num\">55.00 %</td><td class=\"num\">55</td></tr>"),
      std::string::npos);
  EXPECT_NE(html.find("<tr><td class=\"num\">1</td><td><code>main</code></td><td><code>prog</code></td><td "
                      "class=\"num\">95.00 %</td><td class=\"num\">95</td>"),
            std::string::npos);
  // The flame graph's frames of that function (under prog and under child), escaped too.
  EXPECT_NE(html.find("<title>" + kTemplateNameEscaped + " (50 samples, 50.00%)</title>"), std::string::npos);
  EXPECT_NE(html.find("<title>" + kTemplateNameEscaped + " (5 samples, 5.00%)</title>"), std::string::npos);
}

TEST(HtmlReport, SectionsAndFigures) {
  const capture::Capture c = sample_capture();
  const analyze::Analysis a = analyze::analyze(c).value();
  const std::string html = html_of(c, a);

  // Header facts.
  EXPECT_NE(html.find("<li>Host: testhost (kernel 6.18.0)</li>"), std::string::npos);
  EXPECT_NE(html.find("<li>Duration: 4.00 s; ended by: target exited</li>"), std::string::npos);
  // Process table rows with exit status, root first.
  const size_t root = html.find(
      "<tr><td class=\"num\">100</td><td><code>prog</code></td><td class=\"num\">+0.00 s</td><td>exit code 0 "
      "at +3.50 s</td></tr>");
  const size_t child = html.find(
      "<tr><td class=\"num\">101</td><td><code>child</code></td><td class=\"num\">+1.00 s</td><td>killed by "
      "signal 9 at +2.25 s</td></tr>");
  ASSERT_NE(root, std::string::npos);
  ASSERT_NE(child, std::string::npos);
  EXPECT_LT(root, child);
  EXPECT_NE(html.find("<li>Every target process had exited at +3.50 s.</li>"), std::string::npos);
  // Samples and lost.
  EXPECT_NE(html.find("<tr><td>cpu</td><td class=\"num\">100</td></tr>"), std::string::npos);
  EXPECT_NE(html.find("<tr><td>cpu</td><td>ringbuf_full</td><td class=\"num\">3</td></tr>"),
            std::string::npos);
  // Per-CPU accounting: all CPUs, 200 target of 400 samples.
  EXPECT_NE(html.find("<tr><td>all</td><td class=\"num\">200</td><td class=\"num\">2</td><td class=\"num\">39"
                      "</td><td class=\"num\">159</td><td class=\"num\">159</td><td class=\"num\">0</td><td "
                      "class=\"num\">0</td>"
                      "<td class=\"num\">50.00 %</td>"),
            std::string::npos);

  // The chart: one bar per second of the accounting, each with its figures;
  // second 0 is 100 target of 200 samples, so its target bar is half of the 220 px plot.
  ASSERT_TRUE(a.cpu_accounting);
  ASSERT_EQ(a.cpu_accounting->per_second.size(), 2u);
  EXPECT_EQ(count(html, "<g class=\"second\">"), 2u);
  EXPECT_NE(html.find("<g class=\"second\"><title>+0.00 s: target 100, loadprof 1, other 39, steal 0, "
                      "throttled 0, idle 60 "
                      "(counted 60) samples; "
                      "target 50.00 %, busy 70.00 %"),
            std::string::npos);
  EXPECT_NE(html.find("height=\"110.00\" fill=\"#d62728\""), std::string::npos);
  EXPECT_NE(html.find("<g class=\"second\"><title>+1.00 s: target 100, loadprof 1, other 0, steal 0, "
                      "throttled 0, idle 99 "
                      "(counted 99) samples"),
            std::string::npos);

  // The flame graph inlined (no prolog) with every folded sample at its root
  // (the 5 samples without a stack are folded as the bare process name).
  uint64_t total = 0;
  // Kept in a variable: a range-for over a temporary Result's value() dangles.
  const auto lines = capture::folded_stacks(c, "cpu").value();
  for (const auto& l : lines) total += l.count;
  EXPECT_EQ(total, 100u);
  EXPECT_EQ(html.find("<?xml"), std::string::npos);
  EXPECT_EQ(count(html, "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" class=\"flamegraph\""),
            1u);
  EXPECT_NE(html.find("<title>all (100 samples, 100.00%)</title>"), std::string::npos);
  // Top stacks, the truncated one said so.
  EXPECT_NE(html.find("<li>10.00 % (10 samples), truncated: <code title=\"prog;main;read;do_syscall_64_[k]\">"
                      "prog;main;read;do_syscall_64_[k]</code></li>"),
            std::string::npos);
  // The answer first (verdict, charts, flame graphs), then report.md's sections in its order.
  const size_t order[] = {html.find("<h2>Verdict</h2>"),
                          html.find("<h2>Charts</h2>"),
                          html.find("<h2 id=\"flamegraphs\">Flame graphs</h2>"),
                          html.find("<h3>cpu flame graph</h3>"),
                          html.find("<h2>Target processes</h2>"),
                          html.find("<h2>Samples</h2>"),
                          html.find("<h2>Lost</h2>"),
                          html.find("<h2>CPU accounting</h2>"),
                          html.find("<h2>Top functions by self time</h2>"),
                          html.find("<h2>Top functions by total time</h2>"),
                          html.find("<h2>Top stacks</h2>")};
  for (size_t i = 1; i < std::size(order); ++i) EXPECT_LT(order[i - 1], order[i]) << i;
  EXPECT_LT(order[std::size(order) - 1], html.size());
}

TEST(HtmlReport, WarningsFirstAndProminent) {
  analyze::Analysis a = analyze::analyze(sample_capture()).value();
  a.warnings = {"capture truncated at offset 1234: a <bad> & cut chunk"};
  std::ostringstream out;
  write_html(out, a, {});
  const std::string html = out.str();
  const size_t w = html.find(
      "<div class=\"warning\">Warning: capture truncated at offset 1234: a &lt;bad&gt; &amp; cut "
      "chunk</div>");
  ASSERT_NE(w, std::string::npos);
  EXPECT_LT(w, html.find("<ul class=\"facts\">"));
  EXPECT_EQ(xmllint(html, false).exit_code, 0);
}

TEST(HtmlReport, LongCaptureChartAndEmptyAnalysis) {
  analyze::Analysis a;
  a.cpu_accounting.emplace();
  for (int s = 0; s < 3600; ++s) {
    analyze::CpuSecond sec;
    sec.t_s = s;
    sec.target = static_cast<uint64_t>(s % 100);
    sec.idle = 100 - sec.target;
    a.cpu_accounting->per_second.push_back(sec);
  }
  HtmlOptions options;
  options.flamegraph_note = "No cpu flame graph: the capture holds no cpu stacks.";
  std::ostringstream out;
  write_html(out, a, options);
  const std::string html = out.str();
  // An hour: 1,200 bars of 3 seconds each (the page stays bounded), said above the chart.
  EXPECT_EQ(count(html, "<g class=\"second\">"), 1200u);
  EXPECT_NE(html.find("3600 seconds drawn as 1200 bars of 3 seconds each"), std::string::npos);
  EXPECT_NE(html.find("+3597.00 s</text>"), std::string::npos);
  // Bar 2 sums seconds 3..5: target 3+4+5 = 12 of 300 samples.
  EXPECT_NE(html.find("<title>+3.00 s: target 12, loadprof 0, other 0, steal 0, throttled 0, idle 288"),
            std::string::npos);
  EXPECT_NE(html.find("<p>No cpu flame graph: the capture holds no cpu stacks.</p>"), std::string::npos);
  EXPECT_NE(html.find("<p>The capture names no target process.</p>"), std::string::npos);
  EXPECT_NE(html.find("<p>Nothing was lost (stack quality is in its own section).</p>"), std::string::npos);
  EXPECT_EQ(xmllint(html, false).exit_code, 0);
  EXPECT_EQ(network_references(html), std::vector<std::string>{});
}

TEST(HtmlReport, LongRunChartsDownsampledAndAbsentChartsSaid) {
  // A 3,000-second load series: each latency series keeps 1,000 points (the
  // max of every 3), and the chart says so.
  analyze::Analysis a;
  a.load.emplace();
  nlohmann::json ts = nlohmann::json::array();
  for (int s = 0; s < 3000; ++s)
    ts.push_back({{"t_s", s},
                  {"throughput_rps", 100},
                  {"errors", 0},
                  {"latency_ms", {{"p50", 1.0}, {"p90", 2.0}, {"p99", s == 1501 ? 500.0 : 3.0}}}});
  a.load->summary_json = nlohmann::json{{"timeseries", ts}}.dump();
  std::ostringstream out;
  write_html(out, a, {});
  const std::string html = out.str();
  EXPECT_NE(
      html.find(
          "<g class=\"series\" data-series=\"p99\" data-points=\"3000\" data-drawn=\"1000\" data-values="),
      std::string::npos);
  EXPECT_NE(html.find("p99: 3000 points downsampled to 1000 (the max of every 3)."), std::string::npos);
  // The max keeps the one slow second: its point (at +1500 s, the bucket's first second) reads 500 ms.
  EXPECT_NE(html.find(" 1500:500 "), std::string::npos);
  // The hover values are the drawn points: 1,000 x:y pairs a series.
  const size_t values = html.find("data-values=\"", html.find("data-series=\"p99\""));
  ASSERT_NE(values, std::string::npos);
  const std::string p99_values = html.substr(values, html.find('"', values + 13) - values);
  EXPECT_EQ(count(p99_values, ":"), 1000u);
  // One read-out script for the page.
  EXPECT_EQ(count(html, "svg.chartTip = show;"), 1u);
  // The charts without data are each one line.
  EXPECT_NE(html.find("No on-CPU / off-CPU chart: the capture holds neither per-second CPU accounting nor "
                      "off-CPU intervals."),
            std::string::npos);
  EXPECT_NE(html.find("No resources chart: the capture holds no /proc readings."), std::string::npos);
  EXPECT_NE(html.find("No capacity chart:"), std::string::npos);
  EXPECT_EQ(xmllint(html, false).exit_code, 0);
  EXPECT_EQ(network_references(html), std::vector<std::string>{});
}

TEST(HtmlReport, ChartDownsampleMeanAndMax) {
  std::vector<ChartPoint> pts;
  for (int i = 0; i < 10; ++i) pts.push_back({static_cast<double>(i), static_cast<double>(i % 5)});
  const auto mean = downsample(pts, 4, false);  // buckets of 3: {0,1,2} {3,4,0} {1,2,3} {4}
  ASSERT_EQ(mean.size(), 4u);
  EXPECT_DOUBLE_EQ(mean[0].y, 1.0);
  EXPECT_DOUBLE_EQ(mean[1].x, 3.0);
  EXPECT_DOUBLE_EQ(mean[1].y, 7.0 / 3);
  EXPECT_DOUBLE_EQ(mean[3].y, 4.0);
  const auto max = downsample(pts, 4, true);
  EXPECT_DOUBLE_EQ(max[1].y, 4.0);
  EXPECT_DOUBLE_EQ(max[2].y, 3.0);
  EXPECT_EQ(downsample(pts, 10, true).size(), 10u);  // short enough: untouched
}

}  // namespace
}  // namespace loadprof::report
