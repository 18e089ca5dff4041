// End to end, real BPF: tests/programs/fsync_work recorded with `--probes
// cpu,io`, twice as the same build (one write + fsync per commit in
// journal_sync and in index_sync) and once with the planted regression (two
// in index_sync). `loadprof diff --kind io` must fail the gate (exit 1) with
// index_sync the first and only function called a regression: its share of
// the bytes 1/2 -> 2/3 (io_bytes, always a regression); its io time, a part of
// the wall time that grows (about 1/2 -> 2/3), recorded within 25 % of the
// time the program measured inside index_sync on each side; the same build
// passes (exit 0, no io regression).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

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

Recorded record(const std::string& dir, const std::string& name, const std::string& mode) {
  Recorded r;
  r.path = dir + "/" + name + ".lpc";
  auto rec = run({loadprof_binary(), "record", "--probes", "cpu,io", "--output", r.path, "--",
                  test_program("fsync_work"), dir, mode});
  EXPECT_EQ(rec.exit_code, 0) << rec.err;
  auto truth = loadprof::testing::ground_truth_lines(rec.out, "fsync_work");
  EXPECT_EQ(truth.size(), 1u) << rec.out;
  if (!truth.empty()) r.truth = truth[0];
  return r;
}

const json* row(const json& diff, const std::string& frame, const std::string& weight = "ns") {
  for (const auto& s : diff["stacks"])
    if (s["kind"] == "io" && s["weight"] == weight && s["frame"] == frame) return &s;
  return nullptr;
}

class DiffIoE2E : public ::testing::Test {
 protected:
  void SetUp() override { LOADPROF_REQUIRE_BPF_PRIVILEGES(); }
};

TEST_F(DiffIoE2E, TwiceTheFsyncsFromOneFunctionIsAnIoRegressionThereAndTheSameBuildPasses) {
  const std::string dir = loadprof::testing::temp_dir();
  auto base = record(dir, "base", "single");
  auto same = record(dir, "same", "single");
  auto twice = record(dir, "double", "double");
  ASSERT_FALSE(base.truth.empty());
  ASSERT_FALSE(twice.truth.empty());
  ASSERT_EQ(std::stoi(twice.truth["index_fsyncs"]), 2 * std::stoi(twice.truth["commits"]));

  auto same_diff = run({loadprof_binary(), "diff", base.path, same.path, "--kind", "io", "--json", "-"});
  EXPECT_EQ(same_diff.exit_code, 0) << same_diff.out << same_diff.err;
  const json sj = json::parse(same_diff.out);
  for (const auto& s : sj["stacks"]) EXPECT_NE(s["verdict"], "regression") << s.dump();

  auto diff = run({loadprof_binary(), "diff", base.path, twice.path, "--kind", "io", "--json", "-"});
  EXPECT_EQ(diff.exit_code, 1) << diff.out << diff.err;
  const json j = json::parse(diff.out);
  EXPECT_EQ(j["verdict"], "regression");
  ASSERT_FALSE(j["stacks"].empty());
  // The first regression named is index_sync's: its time (io rows come first) when the disk let the time
  // change clear the noise, else its bytes (io_bytes rows) — the time rows are then led by whatever moved
  // most, a no_change row (seen once: [io:write:file]).
  const auto first_regression = std::find_if(j["stacks"].begin(), j["stacks"].end(),
                                             [](const json& s) { return s["verdict"] == "regression"; });
  ASSERT_NE(first_regression, j["stacks"].end()) << j.dump(1);
  EXPECT_EQ((*first_regression)["frame"], "index_sync") << j.dump(1);
  // The only function called a regression (operations may be: index_sync's writes doubled too).
  for (const auto& s : j["stacks"]) {
    if (s["verdict"] == "regression" && s["frame"].get<std::string>().rfind("[io:", 0) != 0) {
      EXPECT_EQ(s["frame"], "index_sync") << s.dump();
    }
  }
  // Bytes (io_bytes): each fsync follows a block written in the same function, so index_sync's share of the
  // bytes goes from 1/2 to 2/3 whatever the disk did — always a regression.
  const json* bytes = row(j, "index_sync", "bytes");
  ASSERT_NE(bytes, nullptr);
  EXPECT_NEAR((*bytes)["base_pct"].get<double>(), 50.0, 1.0);
  EXPECT_NEAR((*bytes)["new_pct"].get<double>(), 66.7, 1.0);
  EXPECT_EQ((*bytes)["verdict"], "regression");
  // Time: index_sync's part of the wall time grew from about 1/2 to 2/3. How long an fsync takes moves
  // between runs with the disk's other writers (same build: 0.26 to 2.3 s of index_sync io for 400 commits
  // while other helpers built), which widens the interval: a time regression in 23 of 25 runs on a busy
  // machine (docs/DIFF.md); the gate does not depend on it.
  const json* index = row(j, "index_sync");
  ASSERT_NE(index, nullptr);
  EXPECT_GT((*index)["new_pct"].get<double>(), (*index)["base_pct"].get<double>() + 8) << index->dump();
  // base_samples/new_samples of an ns row: the io time recorded under index_sync.
  const double base_ms = (*index)["base_samples"].get<double>() / 1e6;
  const double new_ms = (*index)["new_samples"].get<double>() / 1e6;
  const double base_truth_ms = std::stod(base.truth["index_ns"]) / 1e6;
  const double new_truth_ms = std::stod(twice.truth["index_ns"]) / 1e6;
  std::printf(
      "index_sync io: base %.1f ms (program %.1f ms), new %.1f ms (program %.1f ms); %.2f %% -> %.2f %% "
      "of wall, time verdict %s; bytes %.2f %% -> %.2f %%\n",
      base_ms, base_truth_ms, new_ms, new_truth_ms, (*index)["base_pct"].get<double>(),
      (*index)["new_pct"].get<double>(), (*index)["verdict"].get<std::string>().c_str(),
      (*bytes)["base_pct"].get<double>(), (*bytes)["new_pct"].get<double>());
  EXPECT_NEAR(base_ms, base_truth_ms, base_truth_ms * 0.25);
  EXPECT_NEAR(new_ms, new_truth_ms, new_truth_ms * 0.25);
  // The journal's fsyncs did not change: never a regression.
  const json* journal = row(j, "journal_sync");
  ASSERT_NE(journal, nullptr);
  EXPECT_NE((*journal)["verdict"], "regression");
}

}  // namespace
