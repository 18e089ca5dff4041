// The demo library without a run: the stages scale to the duration and sum to
// it, a duration too short is a usage error, the request mix is a valid
// weighted scenario over the five endpoints, the printed stacks keep the user
// frames, and the planted bottlenecks without a probe are named (and no longer
// once the capture has it).
#include <gtest/gtest.h>

#include "loadprof/demo/findings.h"
#include "loadprof/demo/plan.h"
#include "loadprof/load/scenario.h"

namespace loadprof::demo {
namespace {

TEST(DemoPlan, StagesRampPlateauSpikeRecoverySummingToTheDuration) {
  auto stages = demo_stages(12'000'000'000);
  ASSERT_TRUE(stages.ok());
  ASSERT_EQ(stages->size(), 4u);
  const int64_t want_ns[] = {4'800'000'000, 2'400'000'000, 1'800'000'000, 3'000'000'000};
  int64_t sum = 0;
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ((*stages)[i].duration_ns, want_ns[i]) << i;
    sum += (*stages)[i].duration_ns;
  }
  EXPECT_EQ(sum, 12'000'000'000);
  EXPECT_EQ((*stages)[0].rate_start_rps, kRampStartRps);
  EXPECT_EQ((*stages)[0].rate_end_rps, kBaseRateRps);
  EXPECT_EQ((*stages)[2].rate_start_rps, kSpikeFactor * kBaseRateRps);
  EXPECT_EQ((*stages)[3].rate_end_rps, kBaseRateRps);
  auto odd = demo_stages(7'777'777'777);  // rounding goes to the last stage
  ASSERT_TRUE(odd.ok());
  int64_t odd_sum = 0;
  for (const auto& st : *odd) odd_sum += st.duration_ns;
  EXPECT_EQ(odd_sum, 7'777'777'777);
}

TEST(DemoPlan, TooShortIsAUsageError) {
  auto r = demo_stages(4'999'999'999);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::usage);
  EXPECT_NE(r.error().message.find("--duration: at least 5s"), std::string::npos);
}

TEST(DemoPlan, TheMixIsAWeightedScenarioOverTheEndpoints) {
  auto scenario = load::parse_scenario(demo_scenario_json(18123), "/tmp");
  ASSERT_TRUE(scenario.ok()) << scenario.error().message;
  EXPECT_TRUE(scenario->weighted);
  EXPECT_EQ(scenario->base.port, 18123);
  ASSERT_EQ(scenario->steps.size(), demo_endpoints().size());
  double weights = 0;
  for (size_t i = 0; i < scenario->steps.size(); ++i) {
    EXPECT_EQ(scenario->steps[i].name, demo_endpoints()[i].name);
    weights += scenario->steps[i].weight;
  }
  EXPECT_EQ(weights, 100);
}

TEST(DemoFindings, UserStackKeepsTheLastUserFrames) {
  EXPECT_EQ(
      user_stack(
          "svc;start_thread;serve;update_cart;__lll_lock_wait;futex_wait_[k];schedule_[k];[offcpu:lock]"),
      "start_thread > serve > update_cart > __lll_lock_wait");
  EXPECT_EQ(user_stack("svc;a;b;c;d;e;f;g", 3), "e > f > g");
  EXPECT_EQ(user_stack("svc"), "");
}

TEST(DemoFindings, GroundTruthInWords) {
  const std::string text = describe_ground_truth(
      "GROUND_TRUTH program=loadprof-demo-service requests=100 process_cpu_ns=200000000 slow_searches=5 "
      "score_cpu_ns=100000000 carts=20 cart_lock_wait_ns=30000000 fsyncs=10 fsync_ns=40000000\n");
  EXPECT_NE(text.find("100 requests"), std::string::npos) << text;
  EXPECT_NE(text.find("5 slow searches, 50.0 % of the service's CPU time"), std::string::npos) << text;
  EXPECT_NE(text.find("20 carts waited 30 ms"), std::string::npos) << text;
  EXPECT_NE(text.find("10 fsyncs, 40 ms"), std::string::npos) << text;
}

TEST(DemoFindings, NotLookedForNamesTheMissingProbes) {
  analyze::Analysis analysis;
  analysis.capture.probes = {"cpu", "offcpu", "io"};
  auto missing = not_looked_for(analysis);
  ASSERT_EQ(missing.size(), 2u);
  EXPECT_NE(missing[0].planted.find("cache_session"), std::string::npos);
  EXPECT_NE(missing[0].why.find("alloc probe"), std::string::npos);
  EXPECT_NE(missing[1].planted.find("load_order_items"), std::string::npos);
  EXPECT_NE(missing[1].why.find("io probe's sockets"), std::string::npos);
  analysis.peers = analyze::PeersSummary{};  // the io probe's sockets were recorded
  missing = not_looked_for(analysis);
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_NE(missing[0].planted.find("cache_session"), std::string::npos);
  analysis.capture.probes.push_back("alloc");
  EXPECT_TRUE(not_looked_for(analysis).empty());
}

TEST(DemoFindings, OffCpuReasonsEachWithTheirHeaviestStack) {
  analyze::Analysis analysis;
  analysis.wall = analyze::WallSummary{};
  std::vector<capture::FoldedLine> offcpu = {
      {"svc;serve;read;[offcpu:network]", 9'000'000'000},
      {"svc;serve;update_cart;__lll_lock_wait;[offcpu:lock]", 400'000'000},
      {"svc;refresh_prices;__lll_lock_wait;[offcpu:lock]", 10'000'000},
  };
  auto findings = profile_findings(analysis, offcpu, {});
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0].kind, "offcpu:network");
  EXPECT_EQ(findings[1].kind, "offcpu:lock");
  EXPECT_EQ(findings[1].headline, "off-CPU lock: 410 ms over all threads");
  EXPECT_EQ(findings[1].stack, "serve > update_cart > __lll_lock_wait");
}

}  // namespace
}  // namespace loadprof::demo
