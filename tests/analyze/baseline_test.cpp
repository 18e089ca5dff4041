// Baselines over a synthetic request log: a shift beyond the threshold but
// within the percentile's noise is not a regression, one beyond both is;
// scenario steps are entries of their own; --update keeps unknown keys and a
// failing entry's old figures; the recent runs --update keeps give the
// between-run noise; on a shared machine only a grown CPU per request counts.
#include "loadprof/analyze/baseline.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

namespace loadprof::analyze {
namespace {

// n requests with latencies uniform in [lo_ms, hi_ms), step `step`.
void add(LoadLog& log, int n, double lo_ms, double hi_ms, uint16_t step = 0, uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> d(lo_ms, hi_ms);
  for (int i = 0; i < n; ++i) {
    LoggedRequest r;
    r.latency_ns = static_cast<uint64_t>(d(rng) * 1e6);
    r.end_ns = static_cast<uint64_t>(i) * 1'000'000;
    r.step = step;
    log.requests.push_back(r);
  }
}

LoadLog url_log(int n, double lo_ms, double hi_ms, uint64_t seed = 1) {
  LoadLog log;
  log.url_path = "/api";
  log.duration_s = 10;
  add(log, n, lo_ms, hi_ms, 0, seed);
  return log;
}

std::string baseline_with(double p95, double p99) {
  return nlohmann::json::array({{{"name", "/api"}, {"current_p95_ms", p95}, {"current_p99_ms", p99}}}).dump();
}

TEST(Baseline, FiguresOfAUrlRun) {
  auto f = entry_figures(url_log(1000, 0, 100));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].name, "/api");
  EXPECT_EQ(f[0].requests, 1000u);
  EXPECT_NEAR(f[0].p95_ms, 95, 1.5);
  EXPECT_NEAR(f[0].throughput_rps, 100, 1e-9);
  EXPECT_LT(f[0].p95_ci.low_ns, f[0].p95_ci.high_ns);
  EXPECT_LE(static_cast<double>(f[0].p95_ci.low_ns) / 1e6, f[0].p95_ms);
}

TEST(Baseline, AShiftWithinNoiseIsNotARegressionOneBeyondItIs) {
  // 60 requests: the p95's 95 % interval spans several ranks, ~+-7 ms here.
  auto noisy = entry_figures(url_log(60, 0, 100));
  const double p95 = noisy[0].p95_ms, p99 = noisy[0].p99_ms;
  // A baseline between the interval's low end and p95 / 1.05: beyond a 5 %
  // threshold, inside the noise.
  const double ci_low_ms = static_cast<double>(noisy[0].p95_ci.low_ns) / 1e6;
  ASSERT_LT(ci_low_ms, p95 / 1.05);
  auto within = compare_baseline(baseline_with((ci_low_ms + p95 / 1.05) / 2, p99), "b.json", noisy, 5);
  ASSERT_TRUE(within.ok()) << within.error().message;
  EXPECT_TRUE(within->entries[0].p95.beyond_threshold);
  EXPECT_FALSE(within->entries[0].p95.beyond_noise);
  EXPECT_TRUE(within->ok);
  // The baseline half the value: beyond both.
  auto beyond = compare_baseline(baseline_with(p95 / 2, p99), "b.json", noisy, 5);
  ASSERT_TRUE(beyond.ok());
  EXPECT_TRUE(beyond->entries[0].p95.regressed());
  EXPECT_FALSE(beyond->ok);
  ASSERT_EQ(beyond->entries[0].reasons.size(), 1u);
  EXPECT_NE(beyond->entries[0].reasons[0].find("p95"), std::string::npos);
  // The same 6 % over 100x the requests is beyond the noise: the interval narrows.
  auto many = entry_figures(url_log(6000, 0, 100));
  auto tight = compare_baseline(baseline_with(many[0].p95_ms / 1.06, many[0].p99_ms), "b.json", many, 5);
  ASSERT_TRUE(tight.ok());
  EXPECT_TRUE(tight->entries[0].p95.regressed());
  // An improvement is never a regression.
  auto faster = compare_baseline(baseline_with(p95 * 2, p99 * 2), "b.json", noisy, 5);
  EXPECT_TRUE(faster->ok);
}

TEST(Baseline, ScenarioStepsAreEntriesAndUnknownOnesAreListed) {
  LoadLog log;
  log.duration_s = 5;
  log.step_names = {"login", "search"};
  add(log, 100, 1, 2, 0);
  add(log, 100, 10, 20, 1);
  auto f = entry_figures(log);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].name, "login");
  EXPECT_EQ(f[1].name, "search");
  EXPECT_GT(f[1].p95_ms, 10);
  auto c = compare_baseline(R"({"endpoints": [{"name": "search", "slo_p95_ms": 5}, {"name": "gone"}]})",
                            "b.json", f, 5);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_FALSE(c->entries[0].in_baseline);
  EXPECT_TRUE(c->entries[1].slo_broken);
  EXPECT_FALSE(c->ok);
  ASSERT_EQ(c->not_in_capture.size(), 1u);
  EXPECT_EQ(c->not_in_capture[0], "gone");
}

TEST(Baseline, UpdateWritesFiguresKeepsKeysAndAFailingEntrysBar) {
  auto f = entry_figures(url_log(1000, 0, 100));
  const std::string text =
      R"({"service": "shop", "endpoints": [{"name": "/api", "current_p95_ms": 10, "current_p99_ms": 11,
          "owner": "team-a", "bottleneck": "db"}]})";
  auto c = compare_baseline(text, "b.json", f, 5);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->ok);
  auto u = updated_baseline(text, "b.json", *c, "2026-11-29");
  ASSERT_TRUE(u.ok());
  auto j = nlohmann::json::parse(*u);
  EXPECT_EQ(j["service"], "shop");
  const auto& e = j["endpoints"][0];
  EXPECT_EQ(e["owner"], "team-a");
  EXPECT_EQ(e["bottleneck"], "db");
  EXPECT_EQ(e["status"], "fail");
  EXPECT_EQ(e["last_tested"], "2026-11-29");
  EXPECT_EQ(e["current_p95_ms"], 10);  // the bar stays
  // A new file: a list with the entry, its figures, pass.
  auto fresh = compare_baseline("", "b.json", f, 5);
  ASSERT_TRUE(fresh.ok());
  auto n = nlohmann::json::parse(*updated_baseline("", "b.json", *fresh, "2026-11-29"));
  ASSERT_TRUE(n.is_array());
  EXPECT_EQ(n[0]["name"], "/api");
  EXPECT_EQ(n[0]["status"], "pass");
  EXPECT_NEAR(n[0]["current_p95_ms"].get<double>(), f[0].p95_ms, 0.001);
  EXPECT_TRUE(n[0].contains("slo_p95_ms"));
  // Not a baseline: corrupt input naming the file.
  for (const char* bad : {"{", "{\"x\": 1}", "[{\"nom\": 1}]", "42"}) {
    auto b = compare_baseline(bad, "b.json", f, 5);
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_EQ(b.error().kind, ErrorKind::corrupt_input);
    EXPECT_NE(b.error().message.find("b.json"), std::string::npos);
  }
}

// The figures of a run whose p95 is about `p95_ms` (uniform 0..p95/0.95, 6000 requests).
std::vector<EntryFigures> run_with_p95(double p95_ms, std::optional<double> cpu_ms = std::nullopt) {
  auto f = entry_figures(url_log(6000, 0, p95_ms / 0.95));
  f[0].cpu_ms_per_request = cpu_ms;
  return f;
}

// Updates the file with a run's figures (it must pass) and returns the new text.
std::string update(const std::string& text, const std::vector<EntryFigures>& f,
                   std::optional<double> other = {}) {
  auto c = compare_baseline(text, "b.json", f, 5, other);
  EXPECT_TRUE(c.ok());
  EXPECT_TRUE(c->ok);
  return *updated_baseline(text, "b.json", *c, "2026-11-30");
}

TEST(Baseline, RecentRunsGiveTheBetweenRunNoise) {
  // Three runs kept (each one faster, so none is a regression): p95 12, 11, 10 ms -> median 11, MAD 1,
  // top 11 + 4.45 = 15.45 ms.
  std::string text;
  for (double p95 : {12.0, 11.0, 10.0}) text = update(text, run_with_p95(p95));
  auto doc = nlohmann::json::parse(text);
  ASSERT_EQ(doc[0]["recent_runs"].size(), 3u);
  EXPECT_NEAR(doc[0]["recent_runs"][0]["p95_ms"].get<double>(), 12, 0.2);
  // 14 ms: 40 % above the last run (10), beyond its interval, inside the runs' spread.
  auto within = compare_baseline(text, "b.json", run_with_p95(14), 5);
  ASSERT_TRUE(within.ok());
  const auto& p95 = within->entries[0].p95;
  EXPECT_TRUE(p95.beyond_threshold);
  EXPECT_TRUE(p95.beyond_noise);
  ASSERT_TRUE(p95.runs_noise_top_ms.has_value());
  EXPECT_NEAR(*p95.runs_noise_top_ms, 15.45, 0.6);
  EXPECT_FALSE(p95.beyond_runs);
  EXPECT_TRUE(within->ok);
  // 20 ms: beyond it too.
  auto beyond = compare_baseline(text, "b.json", run_with_p95(20), 5);
  ASSERT_TRUE(beyond.ok());
  EXPECT_TRUE(beyond->entries[0].p95.regressed());
  EXPECT_FALSE(beyond->ok);
  // A failing run is not kept; the file keeps the last five passing ones.
  auto failed = *updated_baseline(text, "b.json", *beyond, "2026-11-30");
  EXPECT_EQ(nlohmann::json::parse(failed)[0]["recent_runs"].size(), 3u);
  for (double p95 : {10.0, 10.0, 10.0, 10.0}) text = update(text, run_with_p95(p95));
  EXPECT_EQ(nlohmann::json::parse(text)[0]["recent_runs"].size(), kBaselineRecentRuns);
}

TEST(Baseline, OnASharedMachineOnlyAGrownCpuPerRequestCounts) {
  std::string text = update("", run_with_p95(10, 0.5), 90);
  // p95 doubled, other processes took 90 % of the target's CPUs.
  auto busier = compare_baseline(text, "b.json", run_with_p95(20, 0.51), 5, 90);
  ASSERT_TRUE(busier.ok());
  EXPECT_TRUE(busier->entries[0].p95.held_back);
  EXPECT_FALSE(busier->entries[0].p95.regressed());
  EXPECT_NE(busier->entries[0].held_back_why.find("shared machine"), std::string::npos);
  EXPECT_TRUE(busier->ok);
  auto slower = compare_baseline(text, "b.json", run_with_p95(20, 1.0), 5, 90);
  ASSERT_TRUE(slower.ok());
  EXPECT_TRUE(slower->entries[0].p95.regressed());
  EXPECT_FALSE(slower->ok);
  // The machine to itself (5 %): latency stands alone.
  auto quiet = compare_baseline(text, "b.json", run_with_p95(20, 0.5), 5, 5);
  ASSERT_TRUE(quiet.ok());
  EXPECT_FALSE(quiet->ok);
}

}  // namespace
}  // namespace loadprof::analyze
