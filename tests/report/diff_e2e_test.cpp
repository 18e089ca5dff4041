// End-to-end, real BPF: tests/programs/regress recorded at 999 Hz by the
// loadprof binary, twice as the same build and once with compute() planted
// 2x slower; `loadprof diff` must name compute as a significant regression
// (exit 1) with shares matching the CPU time the program measured itself,
// and pass the same build (exit 0). --output-dir writes the Markdown, the
// JSON (valid against docs/diff.schema.json) and the differential flame
// graph (compute red).
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "report/schema_check.h"
#include "support/privilege.h"
#include "support/run.h"

using loadprof::testing::loadprof_binary;
using loadprof::testing::run;
using loadprof::testing::test_program;
using json = nlohmann::json;

namespace {

struct Recorded {
  std::string path;
  std::map<std::string, std::string> truth;
};

Recorded record_regress(const std::string& dir, const std::string& name, const std::string& mode) {
  Recorded r;
  r.path = dir + "/" + name + ".lpc";
  auto rec = run({loadprof_binary(), "record", "--frequency", "999", "--output", r.path, "--",
                  test_program("regress"), "3", mode});
  EXPECT_EQ(rec.exit_code, 0) << rec.err;
  auto truth = loadprof::testing::ground_truth_lines(rec.out, "regress");
  EXPECT_EQ(truth.size(), 1u) << rec.out;
  if (!truth.empty()) r.truth = truth[0];
  return r;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

const json* share(const json& diff, const std::string& frame, const std::string& kind) {
  for (const auto& s : diff["stacks"])
    if (s["frame"] == frame && s["share"] == kind) return &s;
  return nullptr;
}

class DiffE2E : public ::testing::Test {
 protected:
  void SetUp() override { LOADPROF_REQUIRE_BPF_PRIVILEGES(); }
};

TEST_F(DiffE2E, PlantedSlowdownFailsTheGateAndTheSameBuildPasses) {
  const std::string dir = loadprof::testing::temp_dir();
  auto base = record_regress(dir, "base", "fast");
  auto same = record_regress(dir, "same", "fast");
  auto slow = record_regress(dir, "slow", "slow");
  ASSERT_FALSE(base.truth.empty());
  ASSERT_FALSE(slow.truth.empty());

  // Same build: exit 0, nothing significant beyond the threshold.
  auto same_diff = run({loadprof_binary(), "diff", base.path, same.path, "--json", dir + "/same.json"});
  EXPECT_EQ(same_diff.exit_code, 0) << same_diff.out << same_diff.err;
  const json sj = json::parse(slurp(dir + "/same.json"));
  EXPECT_EQ(sj["verdict"], "no_change") << sj.dump(1);
  // A starved target (another job saturating the CPUs) gives too few samples to judge: say so.
  ASSERT_GT(sj["samples"]["cpu"]["base"].get<uint64_t>(), 500u) << "machine too busy: rerun";
  ASSERT_GT(sj["samples"]["cpu"]["new"].get<uint64_t>(), 500u) << "machine too busy: rerun";

  // Planted 2x slowdown: exit 1, compute named first, significant, shares as measured.
  auto slow_diff = run({loadprof_binary(), "diff", base.path, slow.path, "--json", dir + "/slow.json",
                        "--output-dir", dir + "/out"});
  EXPECT_EQ(slow_diff.exit_code, 1) << slow_diff.out << slow_diff.err;
  const json j = json::parse(slurp(dir + "/slow.json"));
  EXPECT_EQ(j["verdict"], "regression");
  ASSERT_FALSE(j["stacks"].empty());
  EXPECT_EQ(j["stacks"][0]["frame"], "compute") << j.dump(1);
  EXPECT_EQ(j["stacks"][0]["verdict"], "regression");
  EXPECT_TRUE(j["stacks"][0]["significant"].get<bool>());
  const json* self = share(j, "compute", "self");
  ASSERT_NE(self, nullptr);
  const double base_truth = std::stod(base.truth["compute_share_pct"]);
  const double slow_truth = std::stod(slow.truth["compute_share_pct"]);
  std::printf("compute self share: base %.2f %% (measured %.2f), new %.2f %% (measured %.2f), p %.2g\n",
              (*self)["base_pct"].get<double>(), base_truth, (*self)["new_pct"].get<double>(), slow_truth,
              (*self)["p_value"].get<double>());
  EXPECT_NEAR((*self)["base_pct"].get<double>(), base_truth, 5.0);
  EXPECT_NEAR((*self)["new_pct"].get<double>(), slow_truth, 5.0);
  EXPECT_LT((*self)["p_value"].get<double>(), j["samples"]["cpu"]["alpha_per_test"].get<double>());
  // No other function is called a regression: parse and render shrank.
  for (const auto& s : j["stacks"]) {
    if (s["verdict"] == "regression") {
      EXPECT_EQ(s["frame"], "compute") << s.dump();
    }
  }
  const json* render = share(j, "render", "self");
  ASSERT_NE(render, nullptr);
  EXPECT_LT((*render)["delta_pct_points"].get<double>(), 0);
  // Both documents hold docs/diff.schema.json.
  const std::string schema = std::string(LOADPROF_SOURCE_DIR) + "/docs/diff.schema.json";
  LOADPROF_EXPECT_VALID_JSON(loadprof::testing::validate_json_text_against(
      dir, "slow-check.json", slurp(dir + "/slow.json"), schema));
  LOADPROF_EXPECT_VALID_JSON(loadprof::testing::validate_json_text_against(
      dir, "same-check.json", slurp(dir + "/same.json"), schema));
  // Markdown on stdout names it; the output directory holds the three files.
  EXPECT_NE(slow_diff.out.find("**regression**: `compute` self share"), std::string::npos) << slow_diff.out;
  EXPECT_EQ(slurp(dir + "/out/diff.md"), slow_diff.out);
  EXPECT_EQ(json::parse(slurp(dir + "/out/diff.json")), j);
  // compute can sit on more than one path (a sample in its prologue skips handle): the widest
  // compute frame is the one that carries the regression.
  const std::string svg = slurp(dir + "/out/cpu.diff.svg");
  size_t at = std::string::npos;
  unsigned long widest = 0;
  for (size_t p = svg.find("<title>compute ("); p != std::string::npos;
       p = svg.find("<title>compute (", p + 1)) {
    const size_t n = svg.rfind("data-n=\"", p);
    const unsigned long count = n == std::string::npos ? 0 : std::stoul(svg.substr(n + 8, 20));
    if (count > widest) widest = count, at = p;
  }
  ASSERT_NE(at, std::string::npos);
  const size_t fill = svg.find("fill=\"rgb(", at);
  ASSERT_NE(fill, std::string::npos);
  int r = 0, g = 0, b = 0;
  ASSERT_EQ(std::sscanf(svg.c_str() + fill, "fill=\"rgb(%d,%d,%d)", &r, &g, &b), 3);
  std::string titles;  // every compute frame, to tell a failure's cause
  for (size_t p = svg.find("<title>compute ("); p != std::string::npos; p = svg.find("<title>compute (", p + 1))
    titles += svg.substr(p, svg.find('<', p + 1) - p) + "\n";
  EXPECT_GT(r, 200) << titles;  // grew: red
  EXPECT_LT(b, 100) << titles;
}

TEST_F(DiffE2E, BadInputExitsTwoWithOneLine) {
  const std::string dir = loadprof::testing::temp_dir();
  auto missing = run({loadprof_binary(), "diff", dir + "/nope.lpc", dir + "/nope2.lpc"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("nope.lpc"), std::string::npos) << missing.err;
  EXPECT_EQ(run({loadprof_binary(), "diff", dir + "/only.lpc"}).exit_code, 2);
  { std::ofstream(dir + "/junk.lpc") << "not a capture"; }
  auto junk = run({loadprof_binary(), "diff", dir + "/junk.lpc", dir + "/junk.lpc"});
  EXPECT_EQ(junk.exit_code, 2);
  EXPECT_EQ(std::count(junk.err.begin(), junk.err.end(), '\n'), 1) << junk.err;
  auto threshold =
      run({loadprof_binary(), "diff", dir + "/junk.lpc", dir + "/junk.lpc", "--threshold", "-3"});
  EXPECT_EQ(threshold.exit_code, 2);
  EXPECT_NE(threshold.err.find("--threshold"), std::string::npos) << threshold.err;
}

}  // namespace
