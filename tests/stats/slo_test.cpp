// SLO term parsing (good and bad input) and evaluation.
#include "loadprof/stats/slo.h"

#include <gtest/gtest.h>

using namespace loadprof::stats;

TEST(Slo, ParsesEveryMetricAndUnit) {
  auto t = parse_slo("p50<10, p99<50ms,p999<1s, max<2000us,errors<1%,rps>1000,p95>0.5");
  ASSERT_TRUE(t.ok()) << t.error().message;
  ASSERT_EQ(t->size(), 7u);
  EXPECT_EQ((*t)[0].metric, SloMetric::p50);
  EXPECT_DOUBLE_EQ((*t)[0].threshold, 10.0);
  EXPECT_DOUBLE_EQ((*t)[1].threshold, 50.0);
  EXPECT_DOUBLE_EQ((*t)[2].threshold, 1000.0);
  EXPECT_DOUBLE_EQ((*t)[3].threshold, 2.0);
  EXPECT_EQ((*t)[4].metric, SloMetric::errors);
  EXPECT_DOUBLE_EQ((*t)[4].threshold, 1.0);
  EXPECT_EQ((*t)[5].metric, SloMetric::rps);
  EXPECT_FALSE((*t)[5].less_than);
  EXPECT_EQ((*t)[1].text, "p99<50ms");
}

TEST(Slo, RejectsBadTermsNamingThem) {
  for (const char* bad : {"", "p98<5ms", "p99", "p99<", "p99<<5", "p99<5parsecs", "errors<abc", "errors<150%",
                          "rps>fast", "p99<5ms,", ",p99<5ms", "p99=5"}) {
    auto t = parse_slo(bad);
    EXPECT_FALSE(t.ok()) << bad;
    if (!t.ok() && *bad) {
      EXPECT_NE(t.error().message.find("term"), std::string::npos) << t.error().message;
    }
  }
}

TEST(Slo, EvaluatesAgainstMeasuredFigures) {
  auto t = parse_slo("p99<50ms,errors<1%,rps>100");
  ASSERT_TRUE(t.ok());
  SloInput in;
  in.latency.p99_ms = 49.9;
  in.error_rate_pct = 0.5;
  in.throughput_rps = 150;
  auto v = evaluate_slo(*t, in);
  EXPECT_TRUE(all_ok(v));
  in.latency.p99_ms = 50.0;
  v = evaluate_slo(*t, in);
  EXPECT_FALSE(v[0].ok);
  EXPECT_DOUBLE_EQ(v[0].value, 50.0);
  EXPECT_TRUE(v[1].ok);
  EXPECT_FALSE(all_ok(v));
  in.throughput_rps = 90;
  EXPECT_FALSE(evaluate_slo(*t, in)[2].ok);
}

TEST(Slo, WindowedTermsParseTheirWindow) {
  auto t = parse_slo("p99<50ms@30s,errors<1%@1m,rps>10");
  ASSERT_TRUE(t.ok()) << t.error().message;
  ASSERT_EQ(t->size(), 3u);
  EXPECT_DOUBLE_EQ((*t)[0].threshold, 50.0);
  EXPECT_EQ((*t)[0].window_ns, 30'000'000'000);
  EXPECT_EQ((*t)[0].text, "p99<50ms@30s");
  EXPECT_DOUBLE_EQ((*t)[1].threshold, 1.0);
  EXPECT_EQ((*t)[1].window_ns, 60'000'000'000);
  EXPECT_EQ((*t)[2].window_ns, 0);
  for (const char* bad : {"p99<50ms@", "p99<50ms@soon", "p99<50ms@500ms", "p99<@30s"}) {
    auto b = parse_slo(bad);
    EXPECT_FALSE(b.ok()) << bad;
  }
}
