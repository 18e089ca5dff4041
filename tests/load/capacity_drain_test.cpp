// The capacity search must not let a step inherit the previous step's
// backlog. Our test server with one service slot and a deep queue (every
// request queues; a request whose client gave up still takes its 10 ms) keeps
// working off an overloaded step long after the driver stopped sending. With
// the backlog check (CapacityConfig::settle) the step after an overload runs
// against a drained server and passes; without it, the same step fails on the
// inherited queue. Serial: it measures latency.
#include <gtest/gtest.h>

#include "loadprof/load/capacity.h"
#include "loadprof/load/driver.h"
#include "loadprof/stats/slo.h"
#include "server_process.h"

using namespace loadprof;
using namespace loadprof::load;
using loadprof::test::ServerProcess;

namespace {

// 40 req/s passes, 160 req/s (1.6x the 100 req/s the server can serve)
// fails and leaves about a second of queued work, then the bisection tries
// 80 req/s, which a drained server serves in about 10 ms, and the search ends
// (precision 1: 160 / 80 <= 2).
Result<CapacityResult> search(bool settle) {
  ServerProcess server({"--capacity", "1", "--service-ms", "10"});
  EXPECT_GT(server.port(), 0);
  LoadConfig c;
  auto url = parse_url(server.url("/"));
  EXPECT_TRUE(url.ok());
  c.url = *url;
  c.request = format_request(c.url, RequestSpec{});
  c.threads = 1;
  c.connections = 400;         // every request reaches the server's queue on time
  c.timeout_ns = 500'000'000;  // the driver gives up on queued requests; the server still serves them
  CapacityConfig cc;
  cc.start_rps = 40;
  cc.factor = 4;
  cc.step_ns = 2'000'000'000;
  cc.precision = 1.0;
  cc.slo = *stats::parse_slo("p99<100ms");
  cc.settle = settle;
  return find_capacity(c, cc);
}

TEST(CapacityDrain, StepAfterAnOverloadStartsFromADrainedTarget) {
  auto r = search(true);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->steps.size(), 3u) << format_capacity_table(*r);
  EXPECT_TRUE(r->steps[0].slo_ok);
  EXPECT_DOUBLE_EQ(r->steps[1].rate_rps, 160);
  EXPECT_FALSE(r->steps[1].slo_ok);
  // The overload left a backlog: the first probe found it, later ones saw it gone.
  EXPECT_TRUE(r->steps[1].drained) << format_capacity_table(*r);
  EXPECT_GE(r->steps[1].drain_probes, 2) << format_capacity_table(*r);
  EXPECT_GT(r->steps[1].drain_s, 0.4);
  EXPECT_LT(r->steps[1].probe_p99_ms, 30);
  EXPECT_DOUBLE_EQ(r->steps[2].rate_rps, 80);
  EXPECT_TRUE(r->steps[2].slo_ok) << format_capacity_table(*r);
  EXPECT_LT(r->steps[2].latency.p99_ms, 50);
  EXPECT_DOUBLE_EQ(r->max_rate_rps, 80);
  // The table says so.
  std::string table = format_capacity_table(*r);
  EXPECT_NE(table.find("then: backlog drained in"), std::string::npos) << table;
  EXPECT_EQ(r->steps[0].drain_s, -1);  // a passing step needs no check
}

TEST(CapacityDrain, WithoutTheCheckTheNextStepInheritsTheBacklog) {
  // The control: the same search without the backlog check (the old code)
  // fails the 80 req/s step on the queue 160 req/s left, and understates the
  // capacity by half.
  auto r = search(false);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->steps.size(), 3u) << format_capacity_table(*r);
  EXPECT_DOUBLE_EQ(r->steps[2].rate_rps, 80);
  EXPECT_FALSE(r->steps[2].slo_ok) << format_capacity_table(*r);
  EXPECT_GT(r->steps[2].latency.p99_ms, 100);
  EXPECT_DOUBLE_EQ(r->max_rate_rps, 40);
}

}  // namespace
