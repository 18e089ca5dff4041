// End to end against the real perf: `perf record -g -F 999` of our `hot`
// program, `perf script` (default fields, and -F +pid), `loadprof import`, then
// hot's self share in the imported capture (its folded export and its report)
// must be within 2 points of perf's own `perf report --no-children` share of
// the same perf.data. perf is a tool the test needs (linux-perf, installed by
// scripts/install-deps.sh): missing, it fails where tools are required
// (LOADPROF_REQUIRE_TOOLS=1 or LOADPROF_REQUIRE_BPF=1) and skips elsewhere.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "support/run.h"

namespace loadprof::testing {
namespace {

bool tools_required() {
  for (const char* name : {"LOADPROF_REQUIRE_TOOLS", "LOADPROF_REQUIRE_BPF"}) {
    const char* v = std::getenv(name);
    if (v && std::string(v) == "1") return true;
  }
  return false;
}

// perf 6.1 has crashed once with "stack smashing" in its build-id code: one retry.
RunResult run_perf(const std::vector<std::string>& argv) {
  RunResult r = run(argv);
  if (r.exit_code != 0) r = run(argv);
  return r;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// perf report --no-children --stdio --sort sym: "    66.40%  [.] hot".
double perf_report_share(const std::string& report, const std::string& symbol) {
  std::regex line(R"(^\s*([0-9.]+)%\s+\[\.\]\s+)" + symbol + R"(\s*$)");
  std::istringstream in(report);
  std::string l;
  std::smatch m;
  while (std::getline(in, l)) {
    if (std::regex_match(l, m, line)) return std::stod(m[1]);
  }
  return -1;
}

// Self share of `leaf` in folded text, in percent.
double folded_leaf_share(const std::string& folded, const std::string& leaf) {
  std::istringstream in(folded);
  std::string l;
  double total = 0, hit = 0;
  while (std::getline(in, l)) {
    size_t sp = l.rfind(' ');
    if (sp == std::string::npos) continue;
    double n = std::stod(l.substr(sp + 1));
    std::string stack = l.substr(0, sp);
    size_t semi = stack.rfind(';');
    total += n;
    if (stack.substr(semi == std::string::npos ? 0 : semi + 1) == leaf) hit += n;
  }
  return total > 0 ? 100.0 * hit / total : -1;
}

// The report's "Top functions by self time" row: "| 1 | `hot` | `hot` | 66.40 % | ...".
double markdown_self_share(const std::string& md, const std::string& function) {
  std::regex row(R"(\|\s*\d+\s*\|\s*`)" + function + R"(`\s*\|\s*`[^`]*`\s*\|\s*([0-9.]+) %)");
  std::smatch m;
  return std::regex_search(md, m, row) ? std::stod(m[1]) : -1;
}

TEST(ImportPerfScript, HotShareMatchesPerfReport) {
  auto version = run({"perf", "--version"});
  if (version.exit_code != 0) {
    if (tools_required()) FAIL() << "perf not found (scripts/install-deps.sh installs linux-perf)";
    GTEST_SKIP() << "perf not found";
  }
  const std::string dir = temp_dir();
  const std::string data = dir + "/perf.data";
  auto rec = run_perf({"perf", "record", "-g", "-F", "999", "-o", data, "--", test_program("hot"), "2"});
  if (rec.exit_code != 0) {
    if (tools_required()) FAIL() << "perf record failed: " << rec.err;
    GTEST_SKIP() << "perf record failed (perf_event_paranoid?): " << rec.err;
  }
  auto truth = ground_truth_lines(rec.out, "hot");
  ASSERT_EQ(truth.size(), 1u) << rec.out;

  auto report = run_perf({"perf", "report", "-i", data, "--no-children", "--stdio", "--sort", "sym"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  const double perf_hot = perf_report_share(report.out, "hot");
  ASSERT_GT(perf_hot, 30) << report.out;  // hot is about two thirds of the program's CPU

  struct Variant {
    std::string name;
    std::vector<std::string> extra;
  } variants[] = {{"default", {}}, {"pid", {"-F", "+pid"}}};
  for (const auto& v : variants) {
    SCOPED_TRACE(v.name);
    std::vector<std::string> argv{"perf", "script", "-i", data};
    argv.insert(argv.end(), v.extra.begin(), v.extra.end());
    auto script = run_perf(argv);
    ASSERT_EQ(script.exit_code, 0) << script.err;
    const std::string text = dir + "/" + v.name + ".txt", lpc = dir + "/" + v.name + ".lpc";
    write_file(text, script.out);

    auto imported = run({loadprof_binary(), "import", text, "--from", "perf-script", "--output", lpc});
    ASSERT_EQ(imported.exit_code, 0) << imported.err;

    auto folded = run({loadprof_binary(), "report", lpc, "--format", "folded", "--kind", "cpu"});
    ASSERT_EQ(folded.exit_code, 0) << folded.err;
    const double ours = folded_leaf_share(folded.out, "hot");
    EXPECT_NEAR(ours, perf_hot, 2.0) << folded.out;

    auto md = run({loadprof_binary(), "report", lpc});
    ASSERT_EQ(md.exit_code, 0) << md.err;
    EXPECT_NEAR(markdown_self_share(md.out, "hot"), perf_hot, 2.0) << md.out;
    EXPECT_NE(md.out.find("Imported from perf script (event cpu-clock"), std::string::npos) << md.out;
    EXPECT_NE(md.out.find("cpu sampling at 999 Hz"), std::string::npos) << md.out;

    auto svg = run({loadprof_binary(), "flamegraph", lpc, "--output", dir + "/" + v.name + ".svg"});
    EXPECT_EQ(svg.exit_code, 0) << svg.err;
    std::cout << v.name << ": hot " << ours << " % imported, " << perf_hot << " % perf report, "
              << truth[0].at("hot_share_pct") << " % ground truth\n";
  }
}

TEST(ImportPerfScript, BadInputIsOneLineWithTheLineNumberAndExit2) {
  const std::string dir = temp_dir();
  write_file(dir + "/bad.txt", "app 1/1 1.0: 1 cpu-clock: \n\t11e4 hot (/x)\n\nnot a perf script line\n");
  auto r = run(
      {loadprof_binary(), "import", dir + "/bad.txt", "--from", "perf-script", "--output", dir + "/bad.lpc"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("perf script line 4: expected a sample header"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;

  auto missing =
      run({loadprof_binary(), "import", dir + "/absent.txt", "--from", "folded", "--output", dir + "/x.lpc"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("No such file"), std::string::npos) << missing.err;
  auto bad_from =
      run({loadprof_binary(), "import", dir + "/bad.txt", "--from", "pprof", "--output", "x.lpc"});
  EXPECT_EQ(bad_from.exit_code, 2);
  EXPECT_NE(bad_from.err.find("--from must be perf-script or folded"), std::string::npos) << bad_from.err;
  auto no_output = run({loadprof_binary(), "import", dir + "/bad.txt", "--from", "folded"});
  EXPECT_EQ(no_output.exit_code, 2);
  EXPECT_NE(no_output.err.find("--output"), std::string::npos) << no_output.err;

  // Folded through the command: counts become samples, the export gives them back.
  write_file(dir + "/in.folded", "app;main;hot 7\napp;main;warm 3\n");
  auto ok =
      run({loadprof_binary(), "import", dir + "/in.folded", "--from", "folded", "--output", dir + "/f.lpc"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  auto back = run({loadprof_binary(), "report", dir + "/f.lpc", "--format", "folded"});
  EXPECT_EQ(back.out, "app;main;hot 7\napp;main;warm 3\n");
}

}  // namespace
}  // namespace loadprof::testing
