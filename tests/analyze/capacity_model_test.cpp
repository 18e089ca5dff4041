// The capacity model over hand-built load summaries: the curve is the stages
// that raised the rate, the knee and the highest rate meeting the SLO follow
// their rules, the USL fit gives back the sigma and kappa the stages were made
// from, a spike's recovery is counted in seconds from the per-second p99, and
// a capacity search's steps are read the same way.
#include "loadprof/analyze/capacity_model.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace loadprof::analyze {
namespace {

using nlohmann::json;

json stage(double start_s, double duration_s, double rate, double throughput, double p50, double p99,
           std::optional<bool> slo_ok = std::nullopt) {
  return {{"start_s", start_s},
          {"duration_s", duration_s},
          {"rate_start_rps", rate},
          {"rate_end_rps", rate},
          {"requests", throughput * duration_s},
          {"errors", 0},
          {"throughput_rps", throughput},
          {"latency_ms", {{"p50", p50}, {"p99", p99}}},
          {"slo_ok", slo_ok ? json(*slo_ok) : json(nullptr)}};
}

capture::Capture with_summary(const json& summary) {
  capture::Capture c;
  c.load = capture::LoadRun{};
  c.load->summary_json = summary.dump();
  return c;
}

TEST(CapacityModel, UslFromStagesMadeOnTheCurve) {
  // Stages offered 1000 N req/s whose throughput and p50 lie on X(N) = 1000 N / (1 + 0.1 (N-1) + 0.01 N
  // (N-1)); the request log is empty, so concurrency is throughput x p50 = N.
  json stages = json::array();
  double t = 0;
  for (double n : {1.0, 2.0, 4.0, 6.0, 8.0, 12.0, 16.0}) {
    const double x = 1000 * n / (1 + 0.1 * (n - 1) + 0.01 * n * (n - 1));
    stages.push_back(
        stage(t, 10, 1000 * n, x, 1000.0 * n / x, 3000.0 * n / x));  // offered: past the peak too
    t += 10;
  }
  auto m = capacity_model(with_summary({{"stages", stages}, {"load", {{"model", "open"}}}}));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->source, "stages");
  ASSERT_EQ(m->points.size(), 7u);
  ASSERT_TRUE(m->usl);
  EXPECT_NEAR(m->usl->sigma, 0.1, 1e-6);
  EXPECT_NEAR(m->usl->kappa, 0.01, 1e-8);
  ASSERT_TRUE(m->usl->peak_concurrency);
  EXPECT_NEAR(*m->usl->peak_concurrency, std::sqrt(0.9 / 0.01), 1e-4);
  EXPECT_FALSE(m->max_rate_meeting_slo_rps);  // no SLO given
}

TEST(CapacityModel, KneeSloAndSpikeRecovery) {
  // 100, 200, 400, 800 req/s: p99 flat up to 200, turned up from 400 on; the SLO met up to 400.
  // Then 200 req/s, a 10x spike to 2000 for 5 s, and 200 again: p99 back to the pre-spike level 3 s later.
  json stages = json::array({stage(0, 10, 100, 100, 1, 2, true), stage(10, 10, 200, 200, 1, 2.5, true),
                             stage(20, 10, 400, 400, 2, 8, true), stage(30, 10, 800, 700, 20, 90, false),
                             stage(40, 10, 200, 200, 1, 3, true), stage(50, 5, 2000, 900, 200, 900, false),
                             stage(55, 15, 200, 200, 1, 40, false)});
  json series = json::array();
  for (int s = 0; s < 70; ++s) {
    double p99 = 2;
    if (s >= 40 && s < 50) p99 = s % 2 ? 2.4 : 2.0;  // median 2.2 before the spike
    if (s >= 50 && s < 58) p99 = 500;                // the spike and the 3 s after it
    if (s >= 58) p99 = 3.0;                          // <= 2.2 x 1.5
    series.push_back({{"t_s", s}, {"throughput_rps", 200}, {"latency_ms", {{"p99", p99}}}});
  }
  auto m = capacity_model(
      with_summary({{"stages", stages}, {"timeseries", series}, {"load", {{"model", "open"}}}}));
  ASSERT_TRUE(m);
  ASSERT_EQ(m->points.size(), 5u);  // the 200 req/s stages after 800 are recoveries, not the curve
  EXPECT_EQ(m->points.back().offered_rps.value_or(0), 2000);
  ASSERT_TRUE(m->knee_rps);
  EXPECT_EQ(*m->knee_rps, 400);
  ASSERT_TRUE(m->max_rate_meeting_slo_rps);
  EXPECT_EQ(*m->max_rate_meeting_slo_rps, 400);
  EXPECT_EQ(m->max_throughput_rps.value_or(0), 900);
  // Two spikes: 400 -> 800 (then down to 200) and 200 -> 2000.
  ASSERT_EQ(m->spikes.size(), 2u);
  const auto& s = m->spikes[1];
  EXPECT_EQ(s.stage, 5u);
  EXPECT_EQ(s.to_rps, 2000);
  EXPECT_NEAR(s.pre_spike_p99_ms, 2.2, 1e-9);
  EXPECT_NEAR(s.threshold_ms, 3.3, 1e-9);
  EXPECT_DOUBLE_EQ(s.end_s, 55);
  ASSERT_TRUE(s.recovery_s);
  EXPECT_DOUBLE_EQ(*s.recovery_s, 3);
  EXPECT_DOUBLE_EQ(s.watched_s, 15);
  EXPECT_TRUE(m->usl);  // 5 points of distinct concurrency, no errors
}

TEST(CapacityModel, SpikeNeverRecoveredIsNull) {
  json stages = json::array(
      {stage(0, 5, 100, 100, 1, 2), stage(5, 5, 500, 300, 50, 300), stage(10, 5, 100, 100, 9, 90)});
  json series = json::array();
  for (int s = 0; s < 15; ++s)
    series.push_back({{"t_s", s}, {"throughput_rps", 100}, {"latency_ms", {{"p99", s < 5 ? 2.0 : 90.0}}}});
  auto m = capacity_model(with_summary({{"stages", stages}, {"timeseries", series}}));
  ASSERT_TRUE(m);
  ASSERT_EQ(m->spikes.size(), 1u);
  EXPECT_FALSE(m->spikes[0].recovery_s);
  EXPECT_DOUBLE_EQ(m->spikes[0].watched_s, 5);
}

TEST(CapacityModel, CapacitySearchSteps) {
  json steps = json::array();
  for (double r : {100.0, 200.0, 400.0, 800.0})
    steps.push_back({{"rate_rps", r},
                     {"throughput_rps", std::min(r, 500.0)},
                     {"latency_ms", {{"p50", r < 800 ? 1.0 : 40.0}, {"p99", r < 800 ? 3.0 : 200.0}}},
                     {"slo_ok", r < 800}});
  auto m = capacity_model(
      with_summary({{"capacity", {{"max_rate_rps", 400}, {"limited_by", "slo"}, {"steps", steps}}}}));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->source, "capacity_search");
  ASSERT_EQ(m->points.size(), 4u);
  EXPECT_DOUBLE_EQ(m->points[3].concurrency, 500 * 0.040);  // throughput x p50
  EXPECT_EQ(m->max_rate_meeting_slo_rps.value_or(0), 400);
  EXPECT_EQ(m->knee_rps.value_or(0), 800);
  EXPECT_TRUE(m->usl);
}

TEST(CapacityModel, AbsentWithoutACurve) {
  EXPECT_FALSE(capacity_model(capture::Capture{}));
  EXPECT_FALSE(capacity_model(with_summary({{"stages", json::array({stage(0, 10, 100, 100, 1, 2)})}})));
}

}  // namespace
}  // namespace loadprof::analyze
