// report.html of a real `loadprof demo` run (real BPF, the shipped demo
// service on loopback, 12 s) in headless Chromium: the page's verdict and
// bottlenecks are report.json's (same order, same functions) and report.md's;
// each chart has as many points as the capture's series in report.json (load
// seconds, accounting seconds, /proc readings); one stage mark per stage; a
// tab per flame graph kind held; no console error and nothing fetched.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "report/schema_check.h"
#include "support/privilege.h"
#include "support/run.h"

using json = nlohmann::json;

namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const char* kHead = R"js(<script>//<![CDATA[
window.__errors = [];
window.addEventListener('error', function (e) { window.__errors.push(String(e.message)); });
(function () { var orig = console.error; console.error = function () {
  window.__errors.push(Array.prototype.join.call(arguments, ' ')); return orig.apply(console, arguments); }; })();
//]]></script>
)js";

// One line per figure: "key\tvalue" between RESULT[ and ]RESULT.
const char* kDriver = R"js(<script>//<![CDATA[
window.addEventListener('load', function() {
  var out = [];
  var put = function (k, v) { out.push(k + '\t' + v); };
  put('errors', window.__errors.join('|'));
  put('fetched', performance.getEntriesByType('resource').length);
  put('verdict', document.querySelector('p.verdict-line').textContent);
  Array.prototype.forEach.call(document.querySelectorAll('tr.bottleneck'), function (tr, i) {
    var code = tr.cells[2].querySelector('code');
    put('bottleneck' + i, tr.cells[1].textContent + ' ' + (code ? code.getAttribute('title') : '-'));
  });
  Array.prototype.forEach.call(document.querySelectorAll('svg.line-chart'), function (svg) {
    Array.prototype.forEach.call(svg.querySelectorAll('g.series'), function (g) {
      put(svg.getAttribute('data-chart') + '/' + g.getAttribute('data-series'), g.getAttribute('data-points'));
    });
    put(svg.getAttribute('data-chart') + '/marks', svg.querySelectorAll('g.mark').length);
  });
  put('tabs', Array.prototype.map.call(document.querySelectorAll('button.fg-tab'),
                                       function (b) { return b.textContent; }).join(','));
  put('flamegraphs', document.querySelectorAll('svg.flamegraph').length);
  var pre = document.createElement('pre');
  pre.textContent = 'RESULT[' + out.join('\n') + ']RESULT';
  document.body.appendChild(pre);
});
//]]></script>
)js";

TEST(HtmlDemoE2E, PageCarriesTheFindingsAndEverySeries) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  const auto dir = loadprof::testing::test_dir();
  const auto out_dir = dir / "demo-out";
  auto r = loadprof::testing::run(
      {loadprof::testing::loadprof_binary(), "demo", "--output-dir", out_dir.string(), "--duration", "12s"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json report = json::parse(read_text(out_dir / "report.json"), nullptr, false);
  ASSERT_FALSE(report.is_discarded());
  const std::string md = read_text(out_dir / "report.md");
  const std::string html = read_text(out_dir / "report.html");

  const size_t head = html.find("<head>"), body_end = html.rfind("</body>");
  ASSERT_NE(head, std::string::npos);
  ASSERT_NE(body_end, std::string::npos);
  const fs::path page = dir / "page.html";
  std::ofstream(page) << html.substr(0, head + 6) << kHead << html.substr(head + 6, body_end - head - 6)
                      << kDriver << html.substr(body_end);
  std::string chromium = getenv("LOADPROF_CHROMIUM") ? getenv("LOADPROF_CHROMIUM") : "/usr/bin/chromium";
  ASSERT_TRUE(fs::exists(chromium))
      << "chromium not found: run scripts/install-deps.sh or set LOADPROF_CHROMIUM";
  char profile_dir[] = "/tmp/loadprof-chromium-XXXXXX";
  ASSERT_NE(::mkdtemp(profile_dir), nullptr);
  auto dom = loadprof::testing::run_command(
      "timeout 120 '" + chromium +
          "' --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
          "--disable-background-networking "
          "--disable-component-update --disable-sync --disable-dev-shm-usage --user-data-dir=" +
          profile_dir + " --dump-dom 'file://" + page.string() + "' 2>/dev/null",
      false);
  loadprof::testing::run_command(std::string("rm -rf '") + profile_dir + "'");
  const size_t begin = dom.output.rfind("RESULT["), end = dom.output.rfind("]RESULT");
  ASSERT_TRUE(begin != std::string::npos && end != std::string::npos && begin < end)
      << dom.output.substr(0, 500);
  std::map<std::string, std::string> got;
  {
    std::istringstream lines(dom.output.substr(begin + 7, end - begin - 7));
    std::string line;
    while (std::getline(lines, line))
      if (auto tab = line.find('\t'); tab != std::string::npos)
        got[line.substr(0, tab)] = line.substr(tab + 1);
  }
  EXPECT_EQ(got["errors"], "");
  EXPECT_EQ(got["fetched"], "0");

  // The findings: report.json's verdict and bottlenecks, in its order; report.md names each.
  EXPECT_EQ(got["verdict"], report["verdict"]["summary"].get<std::string>());
  const auto& bottlenecks = report["bottlenecks"];
  ASSERT_GE(bottlenecks.size(), 1u) << "the demo's planted lock, cpu and downstream";
  for (size_t i = 0; i < bottlenecks.size(); ++i) {
    const std::string kind = bottlenecks[i]["kind"], frame = bottlenecks[i].value("frame", std::string("-"));
    EXPECT_EQ(got["bottleneck" + std::to_string(i)], kind + " " + (frame.empty() ? "-" : frame)) << i;
    // A bottleneck without a frame (runqueue: the machine's CPUs) is named without one.
    const std::string named = "**" + kind + "**" + (frame.empty() ? " — " : " in `" + frame + "`");
    EXPECT_NE(md.find(named), std::string::npos) << kind << " " << frame;
  }
  EXPECT_EQ(got.count("bottleneck" + std::to_string(bottlenecks.size())), 0u);

  // Every series has the capture's number of points.
  size_t with_requests = 0;
  for (const auto& s : report["timeseries"]) with_requests += s["throughput_rps"].get<double>() > 0;
  const std::string seconds = std::to_string(report["timeseries"].size());
  EXPECT_EQ(got["throughput/throughput"], seconds);
  EXPECT_EQ(got["throughput/errors"], seconds);
  for (const char* p : {"latency/p50", "latency/p90", "latency/p99"})
    EXPECT_EQ(got[p], std::to_string(with_requests)) << p;
  EXPECT_EQ(got["cpu-offcpu/on CPU"], std::to_string(report["cpu_accounting"]["per_second"].size()));
  EXPECT_EQ(got["rss/RSS"], std::to_string(report["resources"].size()));
  EXPECT_EQ(got["storage/write"], std::to_string(report["resources"].size()));
  EXPECT_EQ(got["faults/minor faults"], std::to_string(report["resources"].size()));
  const std::string stages = std::to_string(report["stages"].size());
  EXPECT_EQ(got["latency/marks"], stages);
  EXPECT_EQ(got["cpu-offcpu/marks"], stages);
  EXPECT_EQ(got["capacity-throughput/throughput"], std::to_string(report["capacity_model"]["points"].size()));
  // Off-CPU by reason: the demo's lock wait is there.
  EXPECT_FALSE(got["cpu-offcpu/off CPU: lock"].empty());
  // A tab per kind the demo records (mmap: the alloc probe's mmap/brk by stack), and the slow-vs-fast
  // differential.
  EXPECT_EQ(got["tabs"], "cpu,offcpu,wall,io,alloc,alloc-live,mmap,slow vs fast");
  // The differential is drawn when some seconds were slow and some fast (the spike usually makes them; a
  // run whose every second had the same p99 says so in its tab instead).
  const auto& corr = report["correlation"];
  const bool differential =
      corr["slow_windows"].get<uint64_t>() > 0 && corr["fast_windows"].get<uint64_t>() > 0;
  EXPECT_EQ(got["flamegraphs"], differential ? "8" : "7");
  std::printf("demo page: %zu bytes, verdict: %s\n", html.size(), got["verdict"].c_str());
}

}  // namespace
