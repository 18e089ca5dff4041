// Integration of the driver with our test server on loopback. Every test here
// measures latency or rates, so the whole binary runs serially. Bands are wide
// enough for a shared 2-CPU machine and narrow enough to catch a wrong model.
#include "loadprof/load/driver.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "loadprof/load/summary.h"
#include "loadprof/util/clock.h"
#include "server_process.h"

using namespace loadprof;
using namespace loadprof::load;
using loadprof::test::ServerProcess;

namespace {

LoadConfig config_for(const ServerProcess& s, const std::string& path = "/") {
  LoadConfig c;
  auto url = parse_url(s.url(path));
  EXPECT_TRUE(url.ok());
  c.url = *url;
  c.request = format_request(c.url, RequestSpec{});
  c.threads = 2;
  return c;
}

double ms(uint64_t ns) { return static_cast<double>(ns) / 1e6; }

}  // namespace

TEST(Driver, FixedTenMillisecondEndpointHasP50WithinBand) {
  ServerProcess server({"--service-ms", "10"});
  ASSERT_GT(server.port(), 0);
  LoadConfig c = config_for(server);
  c.stages = {{3'000'000'000, 200, 200}};
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error().message;
  double p50 = ms(r->latency.value_at_quantile(0.5));
  EXPECT_GE(p50, 10.0);
  EXPECT_LE(p50, 11.5);
  EXPECT_EQ(r->errors, 0u);
  EXPECT_NEAR(static_cast<double>(r->requests), 600.0, 6.0);
  EXPECT_GE(ms(r->service.value_at_quantile(0.5)), 10.0);
}

TEST(Driver, OpenModelSeesTheStallThatTheClosedModelHides) {
  // The server answers nothing for 1 s every 5 s (from 4 s to 5 s after it starts).
  double open_p99, closed_p99, closed_max;
  {
    ServerProcess server({"--service-ms", "10", "--stall-every-ms", "5000", "--stall-ms", "1000"});
    ASSERT_GT(server.port(), 0);
    LoadConfig c = config_for(server);
    c.stages = {{6'000'000'000, 200, 200}};
    auto r = run_load(c);
    ASSERT_TRUE(r.ok()) << r.error().message;
    open_p99 = ms(r->latency.value_at_quantile(0.99));
    EXPECT_GT(r->late_starts, 0u);  // the connections were all stuck in the stall
    EXPECT_NEAR(static_cast<double>(r->requests), 1200.0, 24.0);
  }
  {
    ServerProcess server({"--service-ms", "10", "--stall-every-ms", "5000", "--stall-ms", "1000"});
    ASSERT_GT(server.port(), 0);
    LoadConfig c = config_for(server);
    c.closed = true;
    c.connections = 2;  // about 200 req/s at 10 ms
    c.stages = {{6'000'000'000, 0, 0}};
    auto r = run_load(c);
    ASSERT_TRUE(r.ok()) << r.error().message;
    closed_p99 = ms(r->latency.value_at_quantile(0.99));
    closed_max = ms(r->latency.max_ns());
  }
  EXPECT_GE(open_p99, 800.0);
  EXPECT_LT(closed_p99, 100.0);
  EXPECT_GE(closed_max, 500.0);  // the closed model did wait through the stall, it just hid it
}

TEST(Driver, RateFarAboveCapacityIsReportedAsTargetSaturation) {
  ServerProcess server({"--service-ms", "10", "--capacity", "1"});  // at most 100 req/s
  ASSERT_GT(server.port(), 0);
  LoadConfig c = config_for(server);
  c.stages = {{2'000'000'000, 1000, 1000}};
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error().message;
  Schedule sched(c.stages, 0);
  auto sat = judge_saturation(*r, sched);
  EXPECT_EQ(sat.limited_by, "target") << sat.message;
  EXPECT_LT(sat.achieved_pct, 50.0);
  EXPECT_GT(r->not_sent, 0u);
  EXPECT_NE(sat.message.find("could not keep up"), std::string::npos);
}

namespace {
// A per-request hook that burns 2 ms of CPU: one driver thread can then send at most ~500 req/s.
class SlowSource : public RequestSource {
 public:
  explicit SlowSource(std::string request) : request_(std::move(request)) {}
  Next next(uint32_t, uint32_t) override {
    int64_t until = static_cast<int64_t>(loadprof::monotonic_ns()) + 2'000'000;
    while (static_cast<int64_t>(loadprof::monotonic_ns()) < until) {
    }
    ++calls_;
    return {request_, false, 7};
  }
  std::string request_;
  std::atomic<uint64_t> calls_{0};
};
}  // namespace

TEST(Driver, ABusyDriverIsReportedAsTheLimitNotTheTarget) {
  ServerProcess server({"--service-ms", "1"});
  ASSERT_GT(server.port(), 0);
  LoadConfig c = config_for(server);
  SlowSource source(c.request);
  c.source = &source;
  c.threads = 1;
  c.stages = {{2'000'000'000, 2000, 2000}};
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error().message;
  Schedule sched(c.stages, 0);
  auto sat = judge_saturation(*r, sched);
  EXPECT_EQ(sat.limited_by, "driver") << sat.message;
  EXPECT_LT(sat.achieved_pct, 50.0);
  EXPECT_GT(r->driver_late_starts, 0u);  // a lower bound: a busy loop also delays freeing connections
  EXPECT_EQ(source.calls_.load(), r->requests + r->cancelled);  // the hook ran once per request
}

TEST(Driver, StagesHitTheirRatesWithinFivePercent) {
  ServerProcess server({"--service-ms", "1"});
  ASSERT_GT(server.port(), 0);
  LoadConfig c = config_for(server);
  auto stages = parse_stages("2s:100,2s:400,2s:100->300");
  ASSERT_TRUE(stages.ok());
  c.stages = *stages;
  c.warmup_ns = 500'000'000;
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->stages.size(), 3u);
  const double want[] = {100, 400, 200};
  for (int i = 0; i < 3; ++i) {
    double got = throughput_rps(r->stages[i].requests, r->stages[i].duration_ns);
    EXPECT_NEAR(got, want[i], want[i] * 0.05) << "stage " << i;
  }
  EXPECT_NEAR(static_cast<double>(r->warmup_requests), 50.0, 3.0);  // 0.5 s at the first rate, excluded
  EXPECT_EQ(r->requests, r->stages[0].requests + r->stages[1].requests + r->stages[2].requests);
  EXPECT_EQ(r->errors, 0u);
  // The time series covers the measured seconds and adds up.
  uint64_t sum = 0;
  for (const auto& p : r->timeseries.points()) sum += p.requests;
  EXPECT_EQ(sum, r->requests);
  EXPECT_GE(r->timeseries.seconds(), 6u);
}

TEST(Driver, PoissonArrivalsAverageTheRate) {
  ServerProcess server({"--service-ms", "1"});
  ASSERT_GT(server.port(), 0);
  LoadConfig c = config_for(server);
  c.arrival = Arrival::poisson;
  c.stages = {{2'000'000'000, 500, 500}};
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_NEAR(static_cast<double>(r->requests), 1000.0, 100.0);  // ~3 sigma of a Poisson count
}

TEST(Driver, ChunkedCloseAndNoKeepaliveResponsesParse) {
  ServerProcess server({"--body-bytes", "3000"});
  ASSERT_GT(server.port(), 0);
  for (const char* path : {"/chunked", "/close", "/"}) {
    for (bool keep : {true, false}) {
      LoadConfig c = config_for(server, path);
      RequestSpec spec;
      spec.keep_alive = keep;
      c.request = format_request(c.url, spec);
      c.keep_alive = keep;
      c.closed = true;
      c.connections = 4;
      c.max_requests = 2000;
      c.stages = {{30'000'000'000, 0, 0}};
      auto r = run_load(c);
      ASSERT_TRUE(r.ok()) << r.error().message;
      EXPECT_EQ(r->requests, 2000u) << path << " keep " << keep;
      EXPECT_EQ(r->errors, 0u) << path << " keep " << keep;
    }
  }
}

TEST(Driver, HeadRequestsAndStatusClasses) {
  ServerProcess server({});
  ASSERT_GT(server.port(), 0);
  struct Case {
    const char* path;
    std::vector<int> ok;
    ErrorClass cls;
  } cases[] = {{"/status/500", {}, ErrorClass::status_5xx},
               {"/status/404", {}, ErrorClass::status_4xx},
               {"/status/404", {404}, ErrorClass::none},
               {"/status/302", {}, ErrorClass::none}};
  for (const auto& k : cases) {
    LoadConfig c = config_for(server, k.path);
    c.ok_statuses = k.ok;
    c.closed = true;
    c.connections = 2;
    c.max_requests = 300;
    c.stages = {{30'000'000'000, 0, 0}};
    auto r = run_load(c);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->requests, 300u);
    uint64_t want = k.cls == ErrorClass::none ? 0 : 300;
    EXPECT_EQ(r->errors, want) << k.path;
    if (k.cls != ErrorClass::none) {
      EXPECT_EQ(r->errors_by_class[static_cast<int>(k.cls)], 300u) << k.path;
    }
  }
  LoadConfig c = config_for(server);
  RequestSpec head;
  head.method = "HEAD";
  c.request = format_request(c.url, head);
  c.head_request = true;
  c.closed = true;
  c.connections = 2;
  c.max_requests = 500;
  c.stages = {{30'000'000'000, 0, 0}};
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->requests, 500u);
  EXPECT_EQ(r->errors, 0u);  // a HEAD answer with Content-Length and no body must not hang
}

TEST(Driver, SlowResponsesTimeOut) {
  // Answers in 1 ms except during a 500 ms stall every second: requests in the stall time out at 100 ms.
  ServerProcess server({"--service-ms", "1", "--stall-every-ms", "1000", "--stall-ms", "500"});
  ASSERT_GT(server.port(), 0);
  LoadConfig c = config_for(server);
  c.closed = true;
  c.connections = 2;
  c.timeout_ns = 100'000'000;
  c.stages = {{2'000'000'000, 0, 0}};
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error().message;
  // Each connection times out every 100 ms during 2 x 0.5 s of stalls: about 2 x 10 in all.
  EXPECT_GE(r->errors_by_class[static_cast<int>(ErrorClass::timeout)], 10u);
  EXPECT_LE(r->errors_by_class[static_cast<int>(ErrorClass::timeout)], 30u);
  EXPECT_EQ(r->errors, r->errors_by_class[static_cast<int>(ErrorClass::timeout)]);
  EXPECT_GT(r->requests, r->errors + 100);
}

TEST(Driver, NoResponseBeforeTimeoutIsTargetGone) {
  ServerProcess server({"--service-ms", "400"});
  ASSERT_GT(server.port(), 0);
  LoadConfig c = config_for(server);
  c.closed = true;
  c.connections = 2;
  c.timeout_ns = 100'000'000;
  c.stages = {{1'000'000'000, 0, 0}};
  auto r = run_load(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::target_gone);
  EXPECT_NE(r.error().message.find("timeouts"), std::string::npos) << r.error().message;
}

TEST(Driver, RefusedAndUnresolvableTargetsAreTargetGone) {
  LoadConfig c;
  c.url = *parse_url("http://127.0.0.1:1/");
  c.request = format_request(c.url, RequestSpec{});
  c.stages = {{1'000'000'000, 10, 10}};
  auto r = run_load(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::target_gone);
  c.url = *parse_url("http://no-such-host.invalid/");
  r = run_load(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::target_gone);
}

TEST(Driver, StopFlagEndsTheRunEarlyWithResults) {
  ServerProcess server({"--service-ms", "1"});
  ASSERT_GT(server.port(), 0);
  LoadConfig c = config_for(server);
  std::atomic<bool> stop{false};
  c.stop = &stop;
  c.stages = {{30'000'000'000, 200, 200}};
  auto r = run_load(c, [&](const Progress& p) {
    if (p.elapsed_s >= 1.0) stop.store(true);
  });
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->interrupted);
  EXPECT_LT(r->duration_ns, 5'000'000'000);
  EXPECT_GT(r->requests, 150u);
  EXPECT_LT(r->requests, 1000u);
  EXPECT_LT(r->stages[0].duration_ns, 5'000'000'000);
}

TEST(Driver, ClosedModelThinkTimeAndWarmup) {
  ServerProcess server({"--service-ms", "1"});
  ASSERT_GT(server.port(), 0);
  LoadConfig c = config_for(server);
  c.closed = true;
  c.connections = 2;
  c.think_time_ns = 50'000'000;  // each connection: ~1 ms service + 50 ms think -> ~19.6 req/s
  c.warmup_ns = 500'000'000;
  c.stages = {{2'000'000'000, 0, 0}};
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error().message;
  double rps = throughput_rps(r->requests, r->duration_ns);
  EXPECT_GT(rps, 2 * 1000.0 / 60.0);   // think time is not skipped ...
  EXPECT_LT(rps, 2 * 1000.0 / 50.0);   // ... and is waited for
  EXPECT_GE(r->warmup_requests, 14u);  // 0.5 s of warmup, excluded from the results
  EXPECT_LE(r->warmup_requests, 22u);
  EXPECT_EQ(r->late_starts, 0u);
}
