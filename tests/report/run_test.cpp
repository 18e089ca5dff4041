// Round trip: the hand-built capture written through the real CaptureWriter
// to a .lpc file, then `loadprof report` on it — through the library
// (run_report) and through the built binary (exit codes, stdout, stderr).
#include "loadprof/report/run.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "analyze/sample_capture.h"
#include "loadprof/capture/folded.h"
#include "loadprof/capture/writer.h"
#include "loadprof/report/json.h"
#include "loadprof/report/markdown.h"
#include "report/schema_check.h"

namespace loadprof::report {
namespace {

namespace fs = std::filesystem;
using testing::sample_capture;

// Writes c through the real writer in two flushes (so a cut end leaves the
// first part readable). Frames and stacks keep their ids: the writer numbers
// them in call order.
void write_capture(const fs::path& path, const capture::Capture& c) {
  auto created = capture::CaptureWriter::create(path.string(), c.metadata);
  ASSERT_TRUE(created.ok()) << created.error().message;
  auto& w = **created;
  for (const auto& s : c.clock_sync) w.add_clock_sync(s);
  for (const auto& p : c.processes) w.add_process(p);
  for (const auto& f : c.frames) w.add_frame(f);
  for (const auto& s : c.stacks) w.add_stack(s);
  const size_t half = c.cpu_samples.size() / 2;
  for (size_t i = 0; i < half; ++i) w.add_cpu_sample(c.cpu_samples[i]);
  ASSERT_TRUE(w.flush().ok());
  for (size_t i = half; i < c.cpu_samples.size(); ++i) w.add_cpu_sample(c.cpu_samples[i]);
  for (const auto& a : c.cpu_accounting) w.add_cpu_accounting(a);
  w.set_drops(c.drops);
  if (c.end) {
    ASSERT_TRUE(w.finish(*c.end).ok());
  } else {
    ASSERT_TRUE(w.flush().ok());
  }
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string expected_markdown() {
  std::ostringstream out;
  write_markdown(out, analyze::analyze(sample_capture()).value());
  return out.str();
}

// The root frame's tooltip of a flame graph holding every sample of the folded export.
std::string expected_svg_root() {
  uint64_t total = 0;
  // Kept in a variable: a range-for over a temporary Result's value() dangles.
  const auto lines = capture::folded_stacks(sample_capture(), "cpu").value();
  for (const auto& l : lines) total += l.count;
  return "all (" + std::to_string(total) + " samples, 100.00%)";
}

std::string expected_folded() {
  std::ostringstream out;
  capture::write_folded(out, capture::folded_stacks(sample_capture(), "cpu").value());
  return out.str();
}

class RunReport : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::test_dir();
    cap_ = dir_ / "cap.lpc";
    write_capture(cap_, sample_capture());
  }

  Result<ReportOutcome> run(ReportConfig config, std::string* stdout_text = nullptr) {
    config.capture_path = config.capture_path.empty() ? cap_.string() : config.capture_path;
    std::ostringstream out;
    auto r = run_report(config, out);
    if (stdout_text) *stdout_text = out.str();
    return r;
  }

  // Cuts the file inside its last chunk (the end chunk): a truncated capture.
  fs::path truncated_copy() {
    const std::string bytes = read_text(cap_);
    const fs::path cut = dir_ / "cut.lpc";
    std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() - 5);
    return cut;
  }

  fs::path dir_;
  fs::path cap_;
};

TEST_F(RunReport, MarkdownOnStdoutByDefaultSameAsInMemory) {
  std::string out;
  auto r = run({}, &out);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->warnings.empty());
  EXPECT_TRUE(r->files_written.empty());
  EXPECT_EQ(out, expected_markdown());
}

TEST_F(RunReport, JsonOnStdoutValidates) {
  ReportConfig config;
  config.format = Format::json;
  std::string out;
  ASSERT_TRUE(run(config, &out).ok());
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["samples"]["cpu"], 100);
  EXPECT_EQ(j["capture"]["complete"], true);
  EXPECT_GE(j["capture"]["chunks_read"].get<int>(), 2);
  auto v = testing::validate_json_text(dir_, "report.json", out);
  EXPECT_EQ(v.exit_code, 0) << v.output;
}

TEST_F(RunReport, FoldedCpuOnStdout) {
  ReportConfig config;
  config.format = Format::folded;
  config.kind = "cpu";
  std::string out;
  ASSERT_TRUE(run(config, &out).ok());
  EXPECT_EQ(out, expected_folded());
  EXPECT_NE(out.find("prog;main;work;hot 50\n"), std::string::npos) << out;
  EXPECT_NE(out.find("child;main;work;hot 5\n"), std::string::npos) << out;
  config.kind.reset();  // cpu is the default kind
  std::string out2;
  ASSERT_TRUE(run(config, &out2).ok());
  EXPECT_EQ(out2, out);
}

// --group-by module: every frame its module, consecutive ones merged; the
// JSON says so and still validates.
TEST_F(RunReport, GroupByModuleFoldsAndTablesByModule) {
  ReportConfig config;
  config.format = Format::folded;
  config.group_by = GroupBy::module;
  std::string out;
  ASSERT_TRUE(run(config, &out).ok());
  EXPECT_EQ(out, "child;prog 5\nprog 5\nprog;prog 80\nprog;prog;libc.so.6;kernel_[k] 10\n");
  config.format = Format::json;
  ASSERT_TRUE(run(config, &out).ok());
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["group_by"], "module");
  EXPECT_EQ(j["top_functions"]["by_self"][0]["name"], "prog");
  EXPECT_EQ(j["top_functions"]["by_self"][0]["self_samples"], 85);
  // The tables that need function names come from the capture as recorded.
  EXPECT_EQ(j["stack_quality"]["reached_root"], 95);
  EXPECT_EQ(j["by_module"][0]["module"], "prog");
  auto v = testing::validate_json_text(dir_, "report.json", out);
  EXPECT_EQ(v.exit_code, 0) << v.output;
  EXPECT_FALSE(parse_group_by("file").ok());
  EXPECT_EQ(parse_group_by("file").error().kind, ErrorKind::usage);
}

TEST_F(RunReport, OutputDirWritesEveryFile) {
  ReportConfig config;
  config.output_dir = (dir_ / "out").string();
  auto r = run(config);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const fs::path out = dir_ / "out";
  EXPECT_EQ(r->files_written,
            (std::vector<std::string>{(out / "report.html").string(), (out / "report.md").string(),
                                      (out / "report.json").string(), (out / "cpu.folded").string(),
                                      (out / "cpu.svg").string()}));
  EXPECT_EQ(read_text(out / "report.md"), expected_markdown());
  EXPECT_EQ(read_text(out / "cpu.folded"), expected_folded());
  auto v = testing::validate_json_text(dir_, "copy.json", read_text(out / "report.json"));
  EXPECT_EQ(v.exit_code, 0) << v.output;
  // The flame graph holds every sample of cpu.folded: its root frame says so.
  const std::string svg = read_text(out / "cpu.svg");
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find(expected_svg_root()), std::string::npos) << svg.substr(0, 2000);
  // report.html: the same flame graph inlined, without its XML prolog.
  EXPECT_TRUE(r->warnings.empty()) << r->warnings.at(0);
  const std::string html = read_text(out / "report.html");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>\n", 0), 0u);
  EXPECT_NE(html.find("<title>" + expected_svg_root() + "</title>"), std::string::npos);
  EXPECT_EQ(html.find("<?xml"), std::string::npos);
  EXPECT_EQ(testing::run_command("xmllint --noout " + (out / "report.html").string()).exit_code, 0);
}

TEST_F(RunReport, OutputDirWithOneFormat) {
  ReportConfig config;
  config.output_dir = (dir_ / "one").string();
  config.format = Format::json;
  auto r = run(config);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->files_written, (std::vector<std::string>{(dir_ / "one" / "report.json").string()}));
  EXPECT_FALSE(fs::exists(dir_ / "one" / "report.md"));
}

TEST_F(RunReport, KindErrors) {
  ReportConfig config;
  config.format = Format::folded;
  config.kind = "offcpu";
  auto r = run(config);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::usage);
  EXPECT_EQ(r.error().message, "the capture holds no offcpu data (it holds: cpu)");

  config.kind = "memory";
  auto r2 = run(config);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().kind, ErrorKind::usage);
  EXPECT_EQ(r2.error().message,
            "unknown kind 'memory' (one of cpu, offcpu, wall, io, alloc, alloc-live, wakers, mmap)");
}

TEST_F(RunReport, SvgAndHtmlOnStdout) {
  ReportConfig config;
  config.format = Format::svg;
  std::string svg;
  auto r = run(config, &svg);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_NE(svg.find(expected_svg_root()), std::string::npos);
  config.format = Format::html;
  std::string html;
  auto r2 = run(config, &html);
  ASSERT_TRUE(r2.ok()) << r2.error().message;
  EXPECT_TRUE(r2->files_written.empty());
  EXPECT_NE(html.find("<title>" + expected_svg_root() + "</title>"), std::string::npos);
  EXPECT_NE(html.find("<tr><td>cpu</td><td class=\"num\">100</td></tr>"), std::string::npos);
  EXPECT_EQ(parse_format("pdf").error().message,
            "unknown format 'pdf' (one of md, json, folded, svg, html, pprof, speedscope)");
}

TEST_F(RunReport, TruncatedCaptureReportsWithOffsetWarning) {
  ReportConfig config;
  config.capture_path = truncated_copy().string();
  config.format = Format::json;
  std::string out;
  auto r = run(config, &out);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_FALSE(r->warnings.empty());
  const auto j = nlohmann::json::parse(out);
  ASSERT_EQ(j["capture"]["truncated"], true);
  const uint64_t offset = j["capture"]["damage_offset"].get<uint64_t>();
  EXPECT_GT(offset, 0u);
  EXPECT_LT(offset, fs::file_size(cap_));
  EXPECT_EQ(r->warnings[0].rfind("capture truncated at offset " + std::to_string(offset), 0), 0u)
      << r->warnings[0];
  // Everything before the end chunk survived.
  EXPECT_EQ(j["samples"]["cpu"], 100);
  EXPECT_EQ(j["capture"]["complete"], false);
  auto v = testing::validate_json_text(dir_, "cut.json", out);
  EXPECT_EQ(v.exit_code, 0) << v.output;
  // report.html shows the same warning first, as a warning block.
  config.format = Format::html;
  std::string html;
  ASSERT_TRUE(run(config, &html).ok());
  const size_t w =
      html.find("<div class=\"warning\">Warning: capture truncated at offset " + std::to_string(offset));
  ASSERT_NE(w, std::string::npos);
  EXPECT_LT(w, html.find("<h2>"));
}

TEST_F(RunReport, CorruptAndMissingCaptureAreErrors) {
  const fs::path garbage = dir_ / "garbage.lpc";
  std::ofstream(garbage) << "this is not a capture at all\n";
  ReportConfig config;
  config.capture_path = garbage.string();
  auto r = run(config);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::corrupt_input);
  EXPECT_NE(r.error().message.find("offset 0"), std::string::npos) << r.error().message;

  config.capture_path = (dir_ / "absent.lpc").string();
  auto r2 = run(config);
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.error().kind, ErrorKind::internal);
  EXPECT_NE(r2.error().message.find("absent.lpc"), std::string::npos) << r2.error().message;
}

// ---- the built binary: exit codes and streams, as a user sees them ----

struct Cli {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class ReportCli : public RunReport {
 protected:
  Cli loadprof(const std::string& args) {
    const fs::path out = dir_ / "stdout", err = dir_ / "stderr";
    auto r = testing::run_command(std::string(LOADPROF_BINARY_DIR) + "/src/cli/loadprof report " + args +
                                      " >" + out.string() + " 2>" + err.string(),
                                  false);
    return {r.exit_code, read_text(out), read_text(err)};
  }
};

TEST_F(ReportCli, MarkdownAndFoldedOnStdout) {
  Cli md = loadprof(cap_.string());
  EXPECT_EQ(md.exit_code, 0) << md.err;
  EXPECT_EQ(md.out, expected_markdown());
  EXPECT_EQ(md.err, "");

  Cli folded = loadprof(cap_.string() + " --format folded --kind cpu");
  EXPECT_EQ(folded.exit_code, 0) << folded.err;
  EXPECT_EQ(folded.out, expected_folded());
}

TEST_F(ReportCli, OutputDir) {
  Cli r = loadprof(cap_.string() + " --output-dir " + (dir_ / "cli-out").string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(fs::exists(dir_ / "cli-out" / "report.md"));
  EXPECT_TRUE(fs::exists(dir_ / "cli-out" / "report.json"));
  EXPECT_EQ(read_text(dir_ / "cli-out" / "cpu.folded"), expected_folded());
  EXPECT_TRUE(fs::exists(dir_ / "cli-out" / "cpu.svg"));
  EXPECT_TRUE(fs::exists(dir_ / "cli-out" / "report.html"));
  EXPECT_EQ(r.err, "");  // nothing skipped, nothing to warn about
}

TEST_F(ReportCli, ExitCodes) {
  const fs::path garbage = dir_ / "garbage.lpc";
  std::ofstream(garbage) << "garbage";
  Cli corrupt = loadprof(garbage.string());
  EXPECT_EQ(corrupt.exit_code, 2);
  EXPECT_EQ(corrupt.out, "");
  // One line, naming the offset.
  EXPECT_EQ(std::count(corrupt.err.begin(), corrupt.err.end(), '\n'), 1) << corrupt.err;
  EXPECT_NE(corrupt.err.find("offset 0"), std::string::npos) << corrupt.err;

  const fs::path empty = dir_ / "empty.lpc";
  std::ofstream(empty).flush();
  EXPECT_EQ(loadprof(empty.string()).exit_code, 2);

  Cli cut = loadprof(truncated_copy().string());
  EXPECT_EQ(cut.exit_code, 0) << cut.err;
  EXPECT_EQ(cut.err.rfind("loadprof: warning: capture truncated at offset ", 0), 0u) << cut.err;
  EXPECT_NE(cut.out.find("> **Warning:** capture truncated at offset "), std::string::npos);

  Cli kind = loadprof(cap_.string() + " --format folded --kind offcpu");
  EXPECT_EQ(kind.exit_code, 2);
  EXPECT_NE(kind.err.find("offcpu"), std::string::npos) << kind.err;
  Cli unknown = loadprof(cap_.string() + " --format folded --kind memory");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("'memory'"), std::string::npos) << unknown.err;

  Cli svg = loadprof(cap_.string() + " --format svg");
  EXPECT_EQ(svg.exit_code, 0) << svg.err;
  EXPECT_EQ(svg.out.rfind("<?xml", 0), 0u);
  Cli html = loadprof(cap_.string() + " --format html");
  EXPECT_EQ(html.exit_code, 0) << html.err;
  EXPECT_EQ(html.err, "");
  EXPECT_EQ(html.out.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.out.find("<title>" + expected_svg_root() + "</title>"), std::string::npos);

  EXPECT_EQ(loadprof(cap_.string() + " --forma md").exit_code, 2);  // no abbreviations
  EXPECT_EQ(loadprof(cap_.string() + " --format pdf").exit_code, 2);
  EXPECT_EQ(loadprof("").exit_code, 2);  // no capture named
  EXPECT_EQ(loadprof(cap_.string() + " " + cap_.string()).exit_code, 2);
  EXPECT_EQ(loadprof((dir_ / "absent.lpc").string()).exit_code, 2);
  EXPECT_EQ(loadprof("--help").exit_code, 0);
}

TEST(RunReportHtml, FlameGraphOfManyStacksIsBoundedAndSaysSo) {
  // 9,000 distinct stacks (main;f_i;g_i;h_i_j), one sample each: ~15,000
  // frames at the renderer's 0.1 px. report.html merges the narrow ones (at
  // most 5,000 frames inline) and says so; cpu.svg keeps them all.
  capture::Capture c = sample_capture();
  c.cpu_samples.clear();
  c.stacks.clear();
  const auto base_frames = static_cast<uint32_t>(c.frames.size());
  for (uint32_t i = 0; i < 3000; ++i) {
    c.frames.push_back(testing::user_frame("f" + std::to_string(i)));
    c.frames.push_back(testing::user_frame("g" + std::to_string(i)));
    for (uint32_t j = 0; j < 3; ++j) {
      c.frames.push_back(testing::user_frame("h" + std::to_string(i) + "_" + std::to_string(j)));
      const auto leaf = static_cast<uint32_t>(c.frames.size() - 1);
      c.stacks.push_back(capture::Stack{{leaf, base_frames + 5 * i + 1, base_frames + 5 * i, 0}, false});
      capture::CpuSample s;
      s.time_ns = testing::kStartNs + c.stacks.size() * 100'000;
      s.pid = s.tid = 100;
      s.stack = static_cast<capture::StackId>(c.stacks.size() - 1);
      c.cpu_samples.push_back(s);
    }
  }
  const fs::path dir = testing::test_dir();
  write_capture(dir / "many.lpc", c);
  ReportConfig config;
  config.capture_path = (dir / "many.lpc").string();
  config.output_dir = (dir / "out").string();
  std::ostringstream out;
  auto r = run_report(config, out);
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto frames = [](const std::string& text) {
    size_t n = 0;
    for (size_t at = text.find("class=\"fg-f\""); at != std::string::npos;
         at = text.find("class=\"fg-f\"", at + 1))
      ++n;
    return n;
  };
  const std::string html = read_text(dir / "out" / "report.html");
  const std::string svg = read_text(dir / "out" / "cpu.svg");
  EXPECT_GT(frames(svg), 15000u);
  EXPECT_LE(frames(html), 5000u);
  EXPECT_NE(html.find("<title>main ("), std::string::npos);
  EXPECT_NE(html.find(" frames: those narrower than "), std::string::npos);
}

}  // namespace
}  // namespace loadprof::report
