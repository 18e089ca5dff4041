// `report --window` (and `flamegraph --window`) end to end: real BPF records
// tests/programs/phases, whose one thread burns in fn_a for a second, then in
// fn_b, printing the CLOCK_MONOTONIC time of the switch. A window inside each
// phase holds that phase's function and not the other, with the samples its
// CPU time asks for (±25 %), in every output. sleeper under the offcpu probe:
// its one long sleep is clipped to the window. Bad or outside windows: one
// line, exit 2 (on a capture written by the library, no BPF needed).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "loadprof/capture/reader.h"
#include "loadprof/capture/writer.h"
#include "report/go_pprof.h"
#include "report/schema_check.h"
#include "support/privilege.h"
#include "support/run.h"

using loadprof::testing::loadprof_binary;
using loadprof::testing::run;
using loadprof::testing::test_program;
using json = nlohmann::json;

namespace {

constexpr uint32_t kHz = 999;
// Kept out of both windows around the switch: a sample's time and the
// program's clock read are a few microseconds apart at most.
constexpr uint64_t kMarginNs = 5'000'000;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Folded text -> samples of the stacks whose leaf is `leaf`, and of all.
struct FoldedCounts {
  uint64_t all = 0;
  std::map<std::string, uint64_t> by_leaf;
  uint64_t leaf(const std::string& name) const {
    auto it = by_leaf.find(name);
    return it == by_leaf.end() ? 0 : it->second;
  }
};
FoldedCounts count_folded(const std::string& text) {
  FoldedCounts c;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto space = line.rfind(' ');
    if (space == std::string::npos) continue;
    const uint64_t n = std::stoull(line.substr(space + 1));
    const std::string stack = line.substr(0, space);
    const auto semi = stack.rfind(';');
    c.by_leaf[semi == std::string::npos ? stack : stack.substr(semi + 1)] += n;
    c.all += n;
  }
  return c;
}

std::string seconds_arg(uint64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", static_cast<double>(ns) / 1e9);
  return buf;
}

class ReportWindowE2E : public ::testing::Test {
 protected:
  void SetUp() override { LOADPROF_REQUIRE_BPF_PRIVILEGES(); }
};

struct Phase {
  std::string name;         // fn_a, fn_b
  std::string other;        // the function that must not be there
  uint64_t from_ns, to_ns;  // the window, monotonic
  double expected_samples;  // the phase's CPU time in the window x frequency
};

TEST_F(ReportWindowE2E, EachPhasesWindowHoldsOnlyItsFunctionInEveryOutput) {
  const std::string dir = loadprof::testing::temp_dir();
  const std::string cap = dir + "/phases.lpc";
  auto rec = run({loadprof_binary(), "record", "--frequency", std::to_string(kHz), "--output", cap, "--",
                  test_program("phases"), "1"});
  ASSERT_EQ(rec.exit_code, 0) << rec.err;
  auto truth = loadprof::testing::ground_truth_lines(rec.out, "phases");
  ASSERT_EQ(truth.size(), 1u) << rec.out;
  const uint64_t a_start = std::stoull(truth[0]["a_start_ns"]),
                 switch_ns = std::stoull(truth[0]["switch_ns"]), b_end = std::stoull(truth[0]["b_end_ns"]);
  const double a_cpu = std::stod(truth[0]["a_cpu_ns"]), b_cpu = std::stod(truth[0]["b_cpu_ns"]);
  auto captured = loadprof::capture::read_capture(cap);
  ASSERT_TRUE(captured.ok()) << captured.error().message;
  const uint64_t t0 = captured->metadata.start_monotonic_ns;
  ASSERT_LT(t0, a_start);

  // Each window: its phase less the margins; the expected samples are the
  // phase's CPU time scaled to the part of the phase the window covers.
  const auto phase = [&](const std::string& name, const std::string& other, uint64_t lo, uint64_t hi,
                         double cpu_ns) {
    const uint64_t from = lo + kMarginNs, to = hi - kMarginNs;
    const double part = static_cast<double>(to - from) / static_cast<double>(hi - lo);
    return Phase{name, other, from, to, cpu_ns * part * kHz / 1e9};
  };
  const Phase phases[] = {phase("fn_a", "fn_b", a_start, switch_ns, a_cpu),
                          phase("fn_b", "fn_a", switch_ns, b_end, b_cpu)};

  std::vector<std::string> windows;
  std::vector<double> folded_pct;  // the phase function's share of the window's samples
  for (const Phase& p : phases) {
    SCOPED_TRACE(p.name);
    const std::string window = seconds_arg(p.from_ns - t0) + ".." + seconds_arg(p.to_ns - t0);
    windows.push_back(window);
    auto folded = run({loadprof_binary(), "report", cap, "--window", window, "--format", "folded"});
    ASSERT_EQ(folded.exit_code, 0) << folded.err;
    const FoldedCounts counts = count_folded(folded.out);
    const uint64_t mine = counts.leaf(p.name);
    const uint64_t other = counts.leaf(p.other);
    std::printf(
        "%s window %s: %llu samples of %s (expected %.0f from its CPU time), %llu of %s, %llu in all\n",
        p.name.c_str(), window.c_str(), static_cast<unsigned long long>(mine), p.name.c_str(),
        p.expected_samples, static_cast<unsigned long long>(other), p.other.c_str(),
        static_cast<unsigned long long>(counts.all));
    EXPECT_EQ(other, 0u) << folded.out;
    folded_pct.push_back(counts.all ? 100.0 * static_cast<double>(mine) / static_cast<double>(counts.all)
                                    : 0);
    EXPECT_GE(static_cast<double>(mine), 0.75 * p.expected_samples) << folded.out;
    EXPECT_LE(static_cast<double>(mine), 1.25 * p.expected_samples) << folded.out;

    // JSON: the window, its duration, the samples of it; valid against the schema.
    auto rep = run({loadprof_binary(), "report", cap, "--window", window, "--format", "json"});
    ASSERT_EQ(rep.exit_code, 0) << rep.err;
    const json j = json::parse(rep.out);
    ASSERT_TRUE(j.contains("window")) << rep.out;
    EXPECT_NEAR(j["window"]["start_s"].get<double>(), (p.from_ns - t0) / 1e9, 0.006);
    EXPECT_NEAR(j["window"]["end_s"].get<double>(), (p.to_ns - t0) / 1e9, 0.006);
    EXPECT_NEAR(j["duration_s"].get<double>(), (p.to_ns - p.from_ns) / 1e9, 0.011);
    EXPECT_GT(j["window"]["capture_duration_s"].get<double>(), 1.9);
    EXPECT_EQ(j["samples"]["cpu"].get<uint64_t>(), counts.all);
    ASSERT_FALSE(j["top_functions"]["by_self"].empty());
    EXPECT_EQ(j["top_functions"]["by_self"][0]["name"], p.name);
    for (const auto& f : j["top_functions"]["by_self"]) EXPECT_NE(f["name"], p.other);
    // CPU % is of the window, not of the capture (which is twice as long and more).
    ASSERT_FALSE(j["by_process"].empty());
    const double window_pct = 100.0 * j["by_process"][0]["samples"].get<double>() /
                              (kHz * static_cast<double>(p.to_ns - p.from_ns) / 1e9);
    EXPECT_NEAR(j["by_process"][0]["cpu_pct"].get<double>(), window_pct, 0.02 * window_pct);
    LOADPROF_EXPECT_VALID_JSON(loadprof::testing::validate_json_text(dir, "window.json", rep.out));

    // Markdown says which window it shows.
    auto md = run({loadprof_binary(), "report", cap, "--window", window});
    ASSERT_EQ(md.exit_code, 0) << md.err;
    EXPECT_NE(md.out.find("- Window: "), std::string::npos) << md.out;

    // speedscope: the same samples (weights in ns, one sample = 1e9 / frequency).
    auto ss = run({loadprof_binary(), "report", cap, "--window", window, "--format", "speedscope"});
    ASSERT_EQ(ss.exit_code, 0) << ss.err;
    double weight = 0;
    const json speedscope = json::parse(ss.out);
    for (const auto& prof : speedscope["profiles"])
      for (const auto& w : prof["weights"]) weight += w.get<double>();
    EXPECT_NEAR(weight / (1e9 / kHz), static_cast<double>(counts.all), 1.0);
    EXPECT_NE(ss.out.find("\"" + p.name + "\""), std::string::npos);
    EXPECT_EQ(ss.out.find("\"" + p.other + "\""), std::string::npos);

    // --output-dir: every file is of the window.
    const std::string out_dir = dir + "/out_" + p.name;
    auto all = run({loadprof_binary(), "report", cap, "--window", window, "--output-dir", out_dir});
    ASSERT_EQ(all.exit_code, 0) << all.err;
    EXPECT_EQ(count_folded(read_text(out_dir + "/cpu.folded")).all, counts.all);
    EXPECT_EQ(read_text(out_dir + "/cpu.folded"), folded.out);
    EXPECT_EQ(json::parse(read_text(out_dir + "/report.json"))["window"], j["window"]);
    for (const char* file : {"/cpu.svg", "/report.html"}) {
      const std::string text = read_text(out_dir + file);
      EXPECT_NE(text.find(">" + p.name), std::string::npos) << file;
      EXPECT_EQ(text.find(p.other), std::string::npos) << file;
    }
    EXPECT_NE(read_text(out_dir + "/report.html").find("Window: "), std::string::npos);

    // flamegraph on the capture takes the window too.
    auto fg = run({loadprof_binary(), "flamegraph", cap, "--window", window});
    ASSERT_EQ(fg.exit_code, 0) << fg.err;
    EXPECT_NE(fg.out.find(">" + p.name), std::string::npos);
    EXPECT_EQ(fg.out.find(p.other), std::string::npos);
  }

  // The whole capture holds both, as many samples as the two windows and more.
  auto whole = run({loadprof_binary(), "report", cap, "--format", "folded"});
  ASSERT_EQ(whole.exit_code, 0);
  const FoldedCounts counts = count_folded(whole.out);
  EXPECT_GT(counts.leaf("fn_a"), 0u);
  EXPECT_GT(counts.leaf("fn_b"), 0u);
  EXPECT_EQ(json::parse(run({loadprof_binary(), "report", cap, "--format", "json"}).out).count("window"), 0u);

  // pprof, read by go tool pprof (last: without go the test stops here, skipped unless tools are required).
  for (size_t i = 0; i < windows.size(); ++i) {
    SCOPED_TRACE(phases[i].name);
    const std::string path = dir + "/" + phases[i].name + ".pb.gz";
    auto pb = run({loadprof_binary(), "report", cap, "--window", windows[i], "--format", "pprof"});
    ASSERT_EQ(pb.exit_code, 0) << pb.err;
    std::ofstream(path, std::ios::binary) << pb.out;
    auto top = loadprof::testing::go_pprof_top(path);
    LOADPROF_REQUIRE_GO_PPROF(top);
    EXPECT_NEAR(top.flat_pct[phases[i].name], folded_pct[i], 0.5) << top.output;
    EXPECT_EQ(top.flat_pct.count(phases[i].other), 0u) << top.output;
  }
}

// An off-CPU interval half inside the window counts the half inside: sleeper's
// one 2-second sleep gives a 0.5 s window exactly 0.5 s of sleep.
TEST_F(ReportWindowE2E, OffCpuIntervalsAreClippedToTheWindow) {
  const std::string dir = loadprof::testing::temp_dir();
  const std::string cap = dir + "/sleeper.lpc";
  auto rec = run({loadprof_binary(), "record", "--probes", "cpu,offcpu", "--output", cap, "--",
                  test_program("sleeper"), "2"});
  ASSERT_EQ(rec.exit_code, 0) << rec.err;
  auto rep =
      run({loadprof_binary(), "report", cap, "--window", "0.5..1", "--kind", "offcpu", "--format", "folded"});
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  const FoldedCounts counts = count_folded(rep.out);
  const uint64_t sleep_ns = counts.leaf("[offcpu:sleep]");
  std::printf("sleeper, window 0.5..1 s: %llu ns asleep, %llu ns off-CPU in all\n",
              static_cast<unsigned long long>(sleep_ns), static_cast<unsigned long long>(counts.all));
  EXPECT_EQ(sleep_ns, 500'000'000u) << rep.out;
  EXPECT_LE(counts.all, 500'000'000u) << rep.out;  // one thread: never more off-CPU than the window
  auto j = json::parse(run({loadprof_binary(), "report", cap, "--window", "0.5..1", "--format", "json"}).out);
  EXPECT_NEAR(j["wall"]["total"]["offcpu_ms"]["sleep"].get<double>(), 500.0, 0.01) << j["wall"].dump();
}

// A capture of 10 s written by the library: bad text and a window outside it.
std::string ten_second_capture(const std::string& dir) {
  loadprof::capture::Capture c;
  c.metadata.start_monotonic_ns = 5'000'000'000'000;
  c.metadata.frequency_hz = 99;
  c.metadata.probes = {"cpu"};
  c.frames = {{0x1000, "main", "prog", 0, "", 0, false, false}};
  c.stacks = {{{0}, false}};
  c.processes = {
      {7, 1, "prog", c.metadata.start_monotonic_ns, std::nullopt, std::nullopt, std::nullopt, true, true}};
  for (uint64_t i = 0; i < 990; ++i)
    c.cpu_samples.push_back({c.metadata.start_monotonic_ns + i * 10'101'010, 7, 7, 0, 0});
  c.end = loadprof::capture::EndInfo{c.metadata.start_monotonic_ns + 10'000'000'000, false, std::nullopt,
                                     "duration"};
  const std::string path = dir + "/ten.lpc";
  EXPECT_TRUE(loadprof::capture::write_whole_capture(path, c).ok());
  return path;
}

TEST(ReportWindowCli, BadOrOutsideWindowIsOneLineAndExit2) {
  const std::string dir = loadprof::testing::temp_dir();
  const std::string cap = ten_second_capture(dir);
  for (const char* bad : {"30", "5-6", "a..b", "4..2", "..", "3..3"}) {
    SCOPED_TRACE(bad);
    for (const char* cmd : {"report", "flamegraph"}) {
      auto r = run({loadprof_binary(), cmd, cap, "--window", bad});
      EXPECT_EQ(r.exit_code, 2) << r.err;
      EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
      EXPECT_NE(r.err.find(std::string("'") + bad + "'"), std::string::npos) << r.err;
      EXPECT_TRUE(r.out.empty());
    }
  }
  for (const char* outside : {"10..20", "30..45", "11.."}) {
    SCOPED_TRACE(outside);
    for (const char* cmd : {"report", "flamegraph"}) {
      auto r = run({loadprof_binary(), cmd, cap, "--window", outside});
      EXPECT_EQ(r.exit_code, 2) << r.err;
      EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
      EXPECT_NE(r.err.find("spans 0.00..10.00 s"), std::string::npos) << r.err;
    }
  }
  // Inside, with units and open ends: the samples of it (one every ~10.1 ms).
  const std::map<std::string, uint64_t> want = {{"2s..3s", 99}, {"..1", 99}, {"9.5..", 50}, {"0..1m", 990}};
  for (const auto& [window, samples] : want) {
    auto r = run({loadprof_binary(), "report", cap, "--window", window, "--format", "folded"});
    ASSERT_EQ(r.exit_code, 0) << window << ": " << r.err;
    EXPECT_NEAR(static_cast<double>(count_folded(r.out).all), static_cast<double>(samples), 1.0) << window;
  }
  // Folded text has no times.
  std::ofstream(dir + "/x.folded") << "a;b 3\n";
  auto r = run({loadprof_binary(), "flamegraph", dir + "/x.folded", "--window", "1..2"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

}  // namespace
