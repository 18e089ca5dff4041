// The correlation in the reports: report.json's "correlation" key (valid
// against docs/report.schema.json), the Markdown and HTML sections, and the
// differential flame graphs `report --output-dir` writes, from captures with
// planted effects written through the real capture writer.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "analyze/correlation_capture.h"
#include "loadprof/capture/writer.h"
#include "loadprof/report/html.h"
#include "loadprof/report/json.h"
#include "loadprof/report/markdown.h"
#include "loadprof/report/run.h"
#include "report/schema_check.h"

namespace loadprof::report {
namespace {

namespace fs = std::filesystem;
using namespace loadprof::testing;

analyze::Analysis analysis_of(const capture::Capture& c) { return analyze::analyze(c).value(); }

void write_capture(const fs::path& path, const capture::Capture& c) {
  auto created = capture::CaptureWriter::create(path.string(), c.metadata);
  ASSERT_TRUE(created.ok()) << created.error().message;
  auto& w = **created;
  for (const auto& p : c.processes) w.add_process(p);
  for (const auto& f : c.frames) w.add_frame(f);
  for (const auto& s : c.stacks) w.add_stack(s);
  for (const auto& s : c.cpu_samples) w.add_cpu_sample(s);
  for (const auto& r : c.requests) w.add_request(r);
  ASSERT_TRUE(w.finish(*c.end).ok());
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(CorrelationReport, JsonNamesTheFunctionThatGrowsAndIsValid) {
  const auto j = to_json(analysis_of(planted()));
  ASSERT_TRUE(j.contains("correlation"));
  const auto& c = j["correlation"];
  EXPECT_DOUBLE_EQ(c["slow_threshold_ms"].get<double>(), 3.825);
  EXPECT_EQ(c["slow_windows"], 2);
  EXPECT_EQ(c["fast_windows"], 8);
  EXPECT_EQ(c["stacks"][0]["frame"], "burn");
  EXPECT_EQ(c["stacks"][0]["kind"], "cpu");
  EXPECT_DOUBLE_EQ(c["stacks"][0]["growth_pct_points"].get<double>(), 50.0);
  EXPECT_DOUBLE_EQ(c["stacks"][0]["rank_correlation"].get<double>(), 0.698);
  EXPECT_EQ(c["windows"].size(), 10u);
  EXPECT_EQ(c["windows"][3]["slow"], true);
  EXPECT_EQ(c["attribution"]["connection_join"], "not possible: needs the io probe's peers");
  LOADPROF_EXPECT_VALID_JSON(validate_json_text(test_dir(), "report.json", j.dump(2)));
}

TEST(CorrelationReport, JsonOfSlowRequestsIsValid) {
  const auto j = to_json(analysis_of(slow_request_planted()));
  const auto& sr = j["correlation"]["slow_requests"];
  ASSERT_TRUE(sr.is_object());
  EXPECT_EQ(sr["functions"][0]["frame"], "burn");
  EXPECT_EQ(sr["slow_samples"], 36);
  EXPECT_EQ(j["correlation"]["attribution"]["attributed"], 36 + 196);
  LOADPROF_EXPECT_VALID_JSON(validate_json_text(test_dir(), "report.json", j.dump(2)));
}

TEST(CorrelationReport, NoCorrelationWithoutRequests) {
  capture::Capture c = planted();
  c.requests.clear();
  const auto j = to_json(analysis_of(c));
  EXPECT_FALSE(j.contains("correlation"));
  std::ostringstream md;
  write_markdown(md, analysis_of(c));
  EXPECT_EQ(md.str().find("What grows with latency"), std::string::npos);
}

TEST(CorrelationReport, MarkdownAndHtmlSayWhatGrows) {
  const auto a = analysis_of(planted());
  std::ostringstream md;
  write_markdown(md, a);
  EXPECT_NE(md.str().find("## What grows with latency"), std::string::npos);
  EXPECT_NE(
      md.str().find("- Grows most in slow windows: `burn` (cpu, 0.0 % of fast windows -> 50.0 % of slow "
                    "windows, +50.0 points; rank correlation with p99 0.70)"),
      std::string::npos)
      << md.str();
  EXPECT_NE(md.str().find("By connection (local port): not possible: needs the io probe's peers"),
            std::string::npos);
  std::ostringstream html;
  write_html(html, a, {});
  EXPECT_NE(html.str().find("<h2 id=\"correlation\">What grows with latency</h2>"), std::string::npos);
  EXPECT_NE(html.str().find("Grows most in slow windows: <code title=\"burn\">burn</code>"),
            std::string::npos);
}

TEST(CorrelationReport, WithoutSlowWindowsTheTableShowsOneShare) {
  std::ostringstream md;
  write_markdown(md, analysis_of(slow_request_planted()));
  EXPECT_NE(md.str().find("No slow-against-fast comparison: no window was slow."), std::string::npos)
      << md.str();
  EXPECT_NE(md.str().find("| # | function | kind | share % | rank corr. p99 | rank corr. load |"),
            std::string::npos);
  EXPECT_EQ(md.str().find("| fast % | slow % |"), std::string::npos);
}

TEST(CorrelationReport, OutputDirWritesTheDifferentialGraphs) {
  const fs::path dir = test_dir();
  write_capture(dir / "cap.lpc", planted());
  ReportConfig config;
  config.capture_path = (dir / "cap.lpc").string();
  config.output_dir = (dir / "out").string();
  std::ostringstream out;
  auto r = run_report(config, out);
  ASSERT_TRUE(r.ok()) << r.error().message;
  // Slow windows: 100 burn, 80 parse, 20 noise samples; the folded file is the slow side.
  const std::string folded = read_text(dir / "out" / "slow-vs-fast.folded");
  EXPECT_NE(folded.find("server;main;handle;burn 100\n"), std::string::npos) << folded;
  EXPECT_NE(folded.find("server;main;handle;parse 80\n"), std::string::npos) << folded;
  const std::string svg = read_text(dir / "out" / "slow-vs-fast.svg");
  EXPECT_NE(svg.find("slow windows against fast windows"), std::string::npos);
  EXPECT_NE(svg.find("burn"), std::string::npos);
  const std::string json = read_text(dir / "out" / "report.json");
  EXPECT_NE(json.find("\"correlation\""), std::string::npos);
}

TEST(CorrelationReport, OutputDirWritesSlowRequestsWhenSamplesWereAttributed) {
  const fs::path dir = test_dir();
  write_capture(dir / "cap.lpc", slow_request_planted());
  ReportConfig config;
  config.capture_path = (dir / "cap.lpc").string();
  config.output_dir = (dir / "out").string();
  std::ostringstream out;
  auto r = run_report(config, out);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const std::string folded = read_text(dir / "out" / "slow-requests.folded");
  EXPECT_EQ(folded, "server;main;handle;burn 32\nserver;main;handle;parse 4\n");
  EXPECT_TRUE(fs::exists(dir / "out" / "slow-requests.svg"));
  // Two windows of 100 requests with the same p99: none slow, and the report says so.
  EXPECT_FALSE(fs::exists(dir / "out" / "slow-vs-fast.svg"));
  bool warned = false;
  for (const auto& w : r->warnings)
    warned = warned || w.rfind("slow-vs-fast.svg not written: no window was slow", 0) == 0;
  EXPECT_TRUE(warned);
}

TEST(CorrelationReport, OutputDirWritesNoCorrelationFilesWithoutRequests) {
  const fs::path dir = test_dir();
  capture::Capture c = planted();
  c.requests.clear();
  write_capture(dir / "cap.lpc", c);
  ReportConfig config;
  config.capture_path = (dir / "cap.lpc").string();
  config.output_dir = (dir / "out").string();
  std::ostringstream out;
  auto r = run_report(config, out);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(fs::exists(dir / "out" / "slow-vs-fast.svg"));
  EXPECT_FALSE(fs::exists(dir / "out" / "slow-requests.svg"));
  for (const auto& w : r->warnings) EXPECT_EQ(w.find("slow-"), std::string::npos) << w;
}

}  // namespace
}  // namespace loadprof::report
