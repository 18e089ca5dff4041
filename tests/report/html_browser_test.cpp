// report.html in a real browser: headless Chromium loads the page from the
// binary (`loadprof report --format html`) with a driver script added before
// </body>, which counts what the HTML5 parser built (both SVGs in the SVG
// namespace, one chart bar per second) and clicks a flame graph frame to zoom;
// the DOM dump carries the figures. Chromium comes from scripts/install-deps.sh
// (LOADPROF_CHROMIUM picks another binary). A bench-like capture's page: no
// console error, no fetch, every chart with one point per second of the run,
// the flame graph tabs switch, search and zoom work inside the page, and a
// screenshot is not blank.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "analyze/sample_capture.h"
#include "loadprof/analyze/analysis.h"
#include "loadprof/analyze/resources.h"
#include "loadprof/capture/writer.h"
#include "report/bench_capture.h"
#include "report/schema_check.h"

namespace loadprof::report {
namespace {

namespace fs = std::filesystem;

const char* kDriver = R"js(<script>//<![CDATA[
window.addEventListener('load', function() {
  var out = [];
  var fg = document.querySelector('svg.flamegraph');
  out.push('fg_ns=' + fg.namespaceURI);
  out.push('chart_ns=' + document.querySelector('svg.chart').namespaceURI);
  out.push('bars=' + document.querySelectorAll('svg.chart g.second').length);
  var gs = fg.getElementsByClassName('fg-f');
  out.push('frames=' + gs.length);
  for (var i = 0; i < gs.length; i++) {
    if (gs[i].getElementsByTagName('title')[0].textContent.indexOf('work (70 ') === 0)
      gs[i].dispatchEvent(new MouseEvent('click', {bubbles: true}));
  }
  out.push('parents=' + fg.getElementsByClassName('fg-parent').length);
  out.push('hidden=' + fg.getElementsByClassName('fg-hide').length);
  var pre = document.createElement('pre');
  pre.textContent = 'RESULT[' + out.join(';') + ']RESULT';
  document.body.appendChild(pre);
});
//]]></script>
)js";

std::string chromium_binary() {
  if (const char* c = getenv("LOADPROF_CHROMIUM")) return c;
  for (const char* c : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}) {
    if (fs::exists(c)) return c;
  }
  return "";
}

TEST(HtmlReportBrowser, ParsedAsHtml5AndFlameGraphZooms) {
  const fs::path dir = testing::test_dir();
  const fs::path cap = dir / "cap.lpc";
  {
    const capture::Capture c = testing::sample_capture();
    auto w = capture::CaptureWriter::create(cap.string(), c.metadata);
    ASSERT_TRUE(w.ok()) << w.error().message;
    for (const auto& p : c.processes) (*w)->add_process(p);
    for (const auto& f : c.frames) (*w)->add_frame(f);
    for (const auto& s : c.stacks) (*w)->add_stack(s);
    for (const auto& s : c.cpu_samples) (*w)->add_cpu_sample(s);
    for (const auto& a : c.cpu_accounting) (*w)->add_cpu_accounting(a);
    ASSERT_TRUE((*w)->finish(*c.end).ok());
  }
  auto page = testing::run_command(
      std::string(LOADPROF_BINARY_DIR) + "/src/cli/loadprof report " + cap.string() + " --format html",
      false);
  ASSERT_EQ(page.exit_code, 0);
  const size_t body_end = page.output.rfind("</body>");
  ASSERT_NE(body_end, std::string::npos);
  const fs::path html = dir / "report.html";
  std::ofstream(html) << page.output.substr(0, body_end) << kDriver << page.output.substr(body_end);

  const std::string chromium = chromium_binary();
  ASSERT_FALSE(chromium.empty())
      << "chromium not found: run scripts/install-deps.sh or set LOADPROF_CHROMIUM";
  char profile_dir[] = "/tmp/loadprof-chromium-XXXXXX";
  ASSERT_NE(::mkdtemp(profile_dir), nullptr);
  auto dom = testing::run_command(
      "timeout 120 '" + chromium +
          "' --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
          "--disable-background-networking "
          "--disable-component-update --disable-sync --disable-dev-shm-usage --user-data-dir=" +
          profile_dir + " --dump-dom 'file://" + html.string() + "' 2>/dev/null",
      false);
  testing::run_command(std::string("rm -rf '") + profile_dir + "'");
  // The script's own text holds "RESULT[' + ...": take the dump's last one.
  const size_t begin = dom.output.rfind("RESULT[");
  const size_t end = dom.output.rfind("]RESULT");
  ASSERT_TRUE(begin != std::string::npos && end != std::string::npos && begin < end)
      << dom.output.substr(0, 500);
  // 15 frames (all, 2 processes, ...); clicking work (70 samples) under prog
  // fades its 3 ancestors (all, prog, main) and hides the 9 frames outside it.
  EXPECT_EQ(dom.output.substr(begin + 7, end - begin - 7),
            "fg_ns=http://www.w3.org/2000/svg;chart_ns=http://www.w3.org/2000/svg;bars=2;frames=15;parents=3;"
            "hidden=9");
}

// Errors are caught from the first script on (this one goes right after
// <head>): window errors and console.error both count.
const char* kErrorHook = R"js(<script>//<![CDATA[
window.__errors = [];
window.addEventListener('error', function (e) { window.__errors.push(String(e.message)); });
(function () { var orig = console.error; console.error = function () {
  window.__errors.push(Array.prototype.join.call(arguments, ' ')); return orig.apply(console, arguments); }; })();
//]]></script>
)js";

// Counts what the page holds once loaded; the figures go into RESULT[...].
const char* kPageDriver = R"js(<script>//<![CDATA[
window.addEventListener('load', function() {
  var out = [];
  var put = function (k, v) { out.push(k + '=' + v); };
  put('errors', window.__errors.length + (window.__errors.length ? ' ' + window.__errors.join('|') : ''));
  put('fetched', performance.getEntriesByType('resource').length);
  put('verdict', document.querySelectorAll('section.verdict p.verdict-line').length);
  put('slo_rows', document.querySelectorAll('table.slo tr').length - 1);
  put('stage_rows', document.querySelectorAll('table.stages tr').length - 1);
  put('load_table', document.querySelectorAll('pre.load-table').length);
  put('stage_cpu_rows', document.querySelectorAll('table.stage-cpu tr').length - 1);
  Array.prototype.forEach.call(document.querySelectorAll('svg.line-chart'), function (svg) {
    Array.prototype.forEach.call(svg.querySelectorAll('g.series'), function (g) {
      var drawn = g.querySelector('polyline').getAttribute('points').trim().split(' ').length;
      var hover = g.hasAttribute('data-values') ? g.getAttribute('data-values').trim().split(' ').length : 0;
      put(svg.getAttribute('data-chart') + '/' + g.getAttribute('data-series'),
          g.getAttribute('data-points') + ':' + drawn + ':' + hover);
    });
    put(svg.getAttribute('data-chart') + '/marks', svg.querySelectorAll('g.mark').length);
  });
  // Hover: a real mousemove over the latency chart at the 10th second's x.
  var lat = document.querySelector('svg[data-chart="latency"]');
  var ctm = lat.getScreenCTM();
  var px = Number(lat.getAttribute('data-left')) + Number(lat.getAttribute('data-plot-w')) *
      (10 - Number(lat.getAttribute('data-x-min'))) /
      (Number(lat.getAttribute('data-x-max')) - Number(lat.getAttribute('data-x-min')));
  lat.dispatchEvent(new MouseEvent('mousemove', {clientX: ctm.a * px + ctm.e, clientY: ctm.d * 100 + ctm.f,
                                                 bubbles: true}));
  var tip = lat.querySelector('g.tip');
  put('tip_visible', tip.getAttribute('visibility'));
  put('tip', Array.prototype.map.call(tip.querySelectorAll('tspan'), function (t) { return t.textContent; })
      .join('|'));
  var panels = document.querySelectorAll('section.fg-panel');
  var shown = function () {
    return Array.prototype.filter.call(panels, function (p) { return getComputedStyle(p).display !== 'none'; })
        .map(function (p) { return p.id; }).join(',');
  };
  put('tabs', Array.prototype.map.call(document.querySelectorAll('button.fg-tab'),
                                       function (b) { return b.textContent; }).join(','));
  put('shown', shown());
  var offTab = document.querySelector('button.fg-tab[data-tab="fg-offcpu"]');
  if (offTab) offTab.click();
  put('shown_after_click', shown());
  var fg = document.querySelector('#fg-cpu svg.flamegraph');
  fg.flamegraph.search('^hot$');
  put('search', fg.getElementsByClassName('fg-matched')[0].textContent);
  put('search_hits', fg.querySelectorAll('rect.fg-match').length);
  var gs = fg.getElementsByClassName('fg-f');
  for (var i = 0; i < gs.length; i++) {
    if (gs[i].getElementsByTagName('title')[0].textContent.indexOf('work ') === 0)
      gs[i].dispatchEvent(new MouseEvent('click', {bubbles: true}));
  }
  put('zoom_hidden', fg.getElementsByClassName('fg-hide').length);
  put('zoom_parents', fg.getElementsByClassName('fg-parent').length);
  var offfg = document.querySelector('#fg-offcpu svg.flamegraph');
  put('offcpu_fg_has_api', offfg && offfg.flamegraph ? 1 : 0);
  var t = performance.timing;
  put('load_ms', t.loadEventStart - t.navigationStart);
  var pre = document.createElement('pre');
  pre.textContent = 'RESULT[' + out.join(';') + ']RESULT';
  document.body.appendChild(pre);
});
//]]></script>
)js";

// chromium's flags for a page that must not reach any network.
std::string chromium_command(const std::string& chromium, const std::string& profile_dir) {
  return "timeout 120 '" + chromium +
         "' --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
         "--disable-background-networking "
         "--disable-component-update --disable-sync --disable-dev-shm-usage --hide-scrollbars "
         "--user-data-dir=" +
         profile_dir;
}

std::map<std::string, std::string> parse_result(const std::string& dom) {
  std::map<std::string, std::string> out;
  const size_t begin = dom.rfind("RESULT["), end = dom.rfind("]RESULT");
  if (begin == std::string::npos || end == std::string::npos || end < begin) return out;
  std::stringstream in(dom.substr(begin + 7, end - begin - 7));
  std::string item;
  while (std::getline(in, item, ';')) {
    const size_t eq = item.find('=');
    if (eq != std::string::npos) out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return out;
}

TEST(HtmlReportBrowser, BenchPageChartsTabsSearchZoomScreenshot) {
  constexpr uint32_t kSeconds = 40;
  const fs::path dir = testing::test_dir();
  const fs::path cap = dir / "bench.lpc";
  const capture::Capture c = testing::bench_like_capture(kSeconds);
  ASSERT_TRUE(capture::write_whole_capture(cap.string(), c).ok());
  // The ground truth, from the capture: seconds of the load's series, of the
  // accounting and of the /proc readings.
  const auto a = analyze::analyze(c).value();
  ASSERT_TRUE(a.cpu_accounting);
  const size_t accounting_seconds = a.cpu_accounting->per_second.size();
  const size_t resource_seconds = analyze::resource_timeline(c).size();
  ASSERT_EQ(accounting_seconds, kSeconds);
  ASSERT_GE(resource_seconds, kSeconds);  // the last reading, at the end, opens one more second

  auto page = testing::run_command(
      std::string(LOADPROF_BINARY_DIR) + "/src/cli/loadprof report " + cap.string() + " --format html",
      false);
  ASSERT_EQ(page.exit_code, 0) << page.output.substr(0, 300);
  const std::string& html = page.output;
  // Self-contained: nothing refers to a resource outside the file.
  for (const char* ref : {"src=\"http", "href=\"http", "url(", "@import", "src='http"})
    EXPECT_EQ(html.find(ref), std::string::npos) << ref;
  const size_t head = html.find("<head>"), body_end = html.rfind("</body>");
  ASSERT_NE(head, std::string::npos);
  ASSERT_NE(body_end, std::string::npos);
  const fs::path file = dir / "report.html";
  std::ofstream(file) << html.substr(0, head + 6) << kErrorHook << html.substr(head + 6, body_end - head - 6)
                      << kPageDriver << html.substr(body_end);

  const std::string chromium = chromium_binary();
  ASSERT_FALSE(chromium.empty())
      << "chromium not found: run scripts/install-deps.sh or set LOADPROF_CHROMIUM";
  char profile_dir[] = "/tmp/loadprof-chromium-XXXXXX";
  ASSERT_NE(::mkdtemp(profile_dir), nullptr);
  auto dom = testing::run_command(
      chromium_command(chromium, profile_dir) + " --dump-dom 'file://" + file.string() + "' 2>/dev/null",
      false);
  auto r = parse_result(dom.output);
  ASSERT_FALSE(r.empty()) << dom.output.substr(0, 500);
  EXPECT_EQ(r["errors"], "0");
  EXPECT_EQ(r["fetched"], "0");
  EXPECT_EQ(r["verdict"], "1");
  EXPECT_EQ(r["slo_rows"], "3");        // two terms and the overall line
  EXPECT_EQ(r["stage_rows"], "4");      // four stages
  EXPECT_EQ(r["load_table"], "1");      // the driver's table, as report.md has it
  EXPECT_EQ(r["stage_cpu_rows"], "4");  // and the stages' CPU
  // One point per second of the run, drawn and in the hover values.
  const auto n3 = [](size_t n) {
    return std::to_string(n) + ":" + std::to_string(n) + ":" + std::to_string(n);
  };
  const std::string per_second = n3(kSeconds);
  for (const char* s :
       {"latency/p50", "latency/p90", "latency/p99", "throughput/throughput", "throughput/errors"})
    EXPECT_EQ(r[s], per_second) << s;
  // The requested rate: a dashed guide, not in the read-out.
  EXPECT_EQ(r["throughput/requested"], std::to_string(kSeconds) + ":" + std::to_string(kSeconds) + ":0");
  EXPECT_EQ(r["cpu-offcpu/on CPU"], n3(accounting_seconds));
  EXPECT_EQ(r["cpu-offcpu/off CPU: lock"], per_second);
  EXPECT_EQ(r["cpu-offcpu/off CPU: sleep"], per_second);
  EXPECT_EQ(r.count("cpu-offcpu/off CPU: disk"), 0u);  // a reason never seen is not drawn
  const std::string resources = n3(resource_seconds);
  EXPECT_EQ(r["rss/RSS"], resources);
  EXPECT_EQ(r["storage/read"], resources);
  EXPECT_EQ(r["latency/marks"], "4");  // the stage boundaries
  EXPECT_EQ(r["cpu-offcpu/marks"], "4");
  EXPECT_EQ(r["capacity-throughput/throughput"], "4:4:4");  // the four stages' rates
  EXPECT_EQ(r["capacity-latency/p99"], "4:4:4");
  // The read-out at +10 s: stage 2 (p99 2.5 ms, p90 2.5 / 1.5, p50 2.5 / 3).
  EXPECT_EQ(r["tip_visible"], "visible");
  EXPECT_EQ(r["tip"], "+10 s|p50: 0.833 ms|p90: 1.67 ms|p99: 2.50 ms");
  // Tabs: cpu first and alone, then offcpu alone after its click.
  EXPECT_EQ(r["tabs"], "cpu,offcpu,wall");
  EXPECT_EQ(r["shown"], "fg-cpu");
  EXPECT_EQ(r["shown_after_click"], "fg-offcpu");
  EXPECT_EQ(r["offcpu_fg_has_api"], "1");
  // hot: 60 % of the cpu samples (6 of every 10), one frame.
  EXPECT_EQ(r["search"], "Matched: 60.00% (1 frames)");
  EXPECT_EQ(r["search_hits"], "1");
  // Zoom on work: all and main fade; rec (outside work) is hidden.
  EXPECT_EQ(r["zoom_parents"], "3");
  EXPECT_NE(r["zoom_hidden"], "0");
  std::cout << "page load in headless Chromium: " << r["load_ms"] << " ms (" << html.size() << " bytes)\n";

  // A screenshot, compared with a blank page's: the report's is far larger.
  const fs::path blank = dir / "blank.html";
  std::ofstream(blank) << "<!DOCTYPE html><html><body></body></html>\n";
  for (const auto& [page_file, png] :
       {std::pair{file, dir / "page.png"}, std::pair{blank, dir / "blank.png"}}) {
    testing::run_command(chromium_command(chromium, profile_dir) + " --window-size=1300,2400 --screenshot=" +
                             png.string() + " 'file://" + page_file.string() + "' 2>/dev/null",
                         false);
    ASSERT_TRUE(fs::exists(png)) << png;
  }
  testing::run_command(std::string("rm -rf '") + profile_dir + "'");
  const auto page_png = fs::file_size(dir / "page.png"), blank_png = fs::file_size(dir / "blank.png");
  EXPECT_GT(page_png, 10 * blank_png) << page_png << " vs blank " << blank_png;
}

}  // namespace
}  // namespace loadprof::report
