// report.html in a real browser: headless Chromium loads the page from the
// binary (`loadprof report --format html`) with a driver script added before
// </body>, which counts what the HTML5 parser built (both SVGs in the SVG
// namespace, one chart bar per second) and clicks a flame graph frame to zoom;
// the DOM dump carries the figures. Chromium comes from scripts/install-deps.sh
// (LOADPROF_CHROMIUM picks another binary).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "analyze/sample_capture.h"
#include "loadprof/capture/writer.h"
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

}  // namespace
}  // namespace loadprof::report
