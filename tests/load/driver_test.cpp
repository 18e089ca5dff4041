// Integration of the driver with our test server on loopback. Every test here
// measures latency or rates, so the whole binary runs serially. Bands are wide
// enough for a shared 2-CPU machine and narrow enough to catch a wrong model.
#include "loadprof/load/driver.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "load/target.h"
#include "loadprof/load/capacity.h"
#include "loadprof/load/summary.h"
#include "loadprof/stats/slo.h"
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
  // The band is what this test holds on the 2-CPU machine: 8 runs at load
  // average 5 (others compiling) read 10.125-10.191 ms (+1.9 % at most; the
  // histogram's buckets are 65 us wide here), so +5 % leaves a margin without
  // hiding a drift. The +-5 % claim itself is the benchmark's (bench/load/p50.sh).
  double p50 = ms(r->latency.value_at_quantile(0.5));
  EXPECT_GE(p50, 10.0);
  EXPECT_LE(p50, 10.5);
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
  // Every connection was busy: the message names the flag that adds more.
  EXPECT_NE(sat.message.find("raise --connections (now " + std::to_string(r->connections) + ")"),
            std::string::npos)
      << sat.message;
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

// --- Failures, censoring and the span: the numbers stay true when requests fail (issue 14) ---

namespace {
// Keeps every request record (the log thread calls consume).
class KeepAll : public RequestSink {
 public:
  void consume(std::span<const RequestRecord> records) override {
    std::lock_guard<std::mutex> lock(mu);
    all.insert(all.end(), records.begin(), records.end());
  }
  std::mutex mu;
  std::vector<RequestRecord> all;
};
}  // namespace

TEST(Driver, TimedOutRequestsCountInTheLatencyAndBreakTheSlo) {
  // The reproduction: the server answers nothing for 500 ms every second;
  // with a 20 ms timeout about half the requests time out. They took at least
  // 20 ms from their intended start: p99 cannot read below that, and p99<25ms
  // cannot be met (the timed-out requests' true latency is unknown, longer).
  ServerProcess server({"--service-ms", "1", "--stall-every-ms", "1000", "--stall-ms", "500"});
  ASSERT_GT(server.port(), 0);
  LoadConfig c = config_for(server);
  c.timeout_ns = 20'000'000;
  c.stages = {{3'000'000'000, 200, 200}};
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error().message;
  uint64_t timeouts = r->errors_by_class[static_cast<int>(ErrorClass::timeout)];
  EXPECT_GT(timeouts, r->requests / 5);
  // Every request is in the percentiles: completed ones (failed or not) and the censored.
  EXPECT_EQ(r->latency.count(), r->requests + r->not_sent + r->cancelled);
  EXPECT_GE(ms(r->latency.value_at_quantile(0.99)), 20.0);
  EXPECT_GE(ms(r->stages[0].latency.value_at_quantile(0.99)), 20.0);
  auto slo = stats::parse_slo("p99<25ms");
  ASSERT_TRUE(slo.ok());
  auto summary = summarize(c, *r, *slo);
  EXPECT_FALSE(summary.slo_ok);
  ASSERT_EQ(summary.slo.size(), 1u);
  EXPECT_FALSE(summary.slo[0].ok);
  EXPECT_GE(summary.slo[0].value, 20.0);
  EXPECT_FALSE(stats::all_ok(summary.stage_slo[0]));
}

TEST(Driver, RequestsDueButNotSentAreCensoredAtTheEnd) {
  // 1000 req/s at a server of 100 req/s through 2 connections: most requests
  // are still due when the run ends. They count in the percentiles, censored at
  // (end - intended start), and not_sent says how many.
  ServerProcess server({"--service-ms", "10", "--capacity", "1"});
  ASSERT_GT(server.port(), 0);
  LoadConfig c = config_for(server);
  c.connections = 2;
  c.stages = {{2'000'000'000, 1000, 1000}};
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_GT(r->not_sent, 1000u);
  EXPECT_EQ(r->latency.count(), r->requests + r->not_sent + r->cancelled);
  EXPECT_EQ(r->censored, r->not_sent + r->cancelled);
  EXPECT_EQ(r->latency_censored.count(), r->censored);  // no timeouts here
  // Arrivals are uniform over 2 s and at most ~10 % were sent: the median request waited about 1 s or more.
  EXPECT_GE(ms(r->latency.value_at_quantile(0.5)), 800.0);
  EXPECT_LE(ms(r->latency.max_ns()), 2'100.0);
  auto slo = stats::parse_slo("p50<500ms");
  ASSERT_TRUE(slo.ok());
  EXPECT_FALSE(summarize(c, *r, *slo).slo_ok);
}

TEST(Driver, ClosedModelThroughputDividesByTheRealSpan) {
  // 8 connections, 1.5 s per request, 2 s: 8 requests answer at 1.5 s, 8 more
  // (sent at 1.5 s) answer at 3 s, in the drain. 16 requests in 3 s: 5.33 req/s,
  // not 16 over the nominal 2 s (8.0).
  ServerProcess server({"--service-ms", "1500"});
  ASSERT_GT(server.port(), 0);
  LoadConfig c = config_for(server);
  c.closed = true;
  c.connections = 8;
  c.stages = {{2'000'000'000, 0, 0}};
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->requests, 16u);
  double rps = throughput_rps(r->requests, r->duration_ns);
  EXPECT_NEAR(rps, 8.0 / 1.5, 0.15);
  EXPECT_NEAR(throughput_rps(r->stages[0].requests, r->stages[0].duration_ns), 8.0 / 1.5, 0.15);
  EXPECT_NEAR(static_cast<double>(r->scheduled_ns) / 1e9, 2.0, 0.05);
}

TEST(Driver, ServiceTimeStartsWhenTheConnectionIsUp) {
  // A listen backlog of 0 and accepts only every 50 ms: a SYN that finds the
  // queue full is dropped, and that connect waits about 1 s for the SYN's
  // retransmission. With a new connection per request, service time must not
  // contain it: it runs from the send, once the connection is up; connect time
  // is its own figure.
  ServerProcess server({"--service-ms", "1", "--backlog", "0", "--accept-every-ms", "50"});
  ASSERT_GT(server.port(), 0);
  LoadConfig c = config_for(server);
  RequestSpec spec;
  spec.keep_alive = false;
  c.request = format_request(c.url, spec);
  c.keep_alive = false;
  c.closed = true;
  c.connections = 4;
  c.stages = {{3'000'000'000, 0, 0}};
  KeepAll sink;
  c.sink = &sink;
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error().message;
  stats::Histogram expected_service;
  stats::Histogram with_connect;
  int64_t slowest_connect = 0;
  uint64_t connects = 0;
  for (const auto& rec : sink.all) {
    if (rec.stage == 0xFFFF || rec.error == ErrorClass::connect) continue;
    ASSERT_EQ(rec.error, ErrorClass::none);
    expected_service.record(static_cast<uint64_t>(rec.end_ns - rec.start_ns - rec.connect_ns));
    with_connect.record(static_cast<uint64_t>(rec.end_ns - rec.start_ns));
    slowest_connect = std::max(slowest_connect, rec.connect_ns);
    connects += rec.connect_ns > 0;
  }
  ASSERT_GE(ms(static_cast<uint64_t>(slowest_connect)), 900.0) << "no slow connect: the test proves nothing";
  EXPECT_EQ(r->service.count(), expected_service.count());
  EXPECT_TRUE(r->service == expected_service) << "service max " << ms(r->service.max_ns()) << " ms, expected "
                                              << ms(expected_service.max_ns()) << " ms";
  EXPECT_FALSE(r->service == with_connect);
  EXPECT_EQ(r->connect.count(), connects);
  EXPECT_GE(ms(r->connect.max_ns()), 900.0);
}

TEST(Driver, ProbeWaitsOutASignalInsteadOfCallingItConnected) {
  // A listener with a full accept queue (backlog 0, one connection waiting)
  // drops further SYNs: the probe's connect stays pending. A signal during
  // its wait (EINTR) must not pass for "connected": the probe waits on and
  // reports the timeout.
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(ls, 0), 0);
  socklen_t len = sizeof a;
  getsockname(ls, reinterpret_cast<sockaddr*>(&a), &len);
  int plug = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(connect(plug, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);  // fills the queue
  auto url = parse_url("http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/");
  ASSERT_TRUE(url.ok());
  auto target = detail::resolve(*url);
  ASSERT_TRUE(target.ok());
  struct sigaction sa {
  }, old{};
  sa.sa_handler = [](int) {};
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: poll() returns EINTR
  sigaction(SIGALRM, &sa, &old);
  itimerval t{};
  t.it_value.tv_usec = 50'000;
  setitimer(ITIMER_REAL, &t, nullptr);
  int64_t t0 = static_cast<int64_t>(loadprof::monotonic_ns());
  auto r = detail::probe(*target, *url, 400'000'000);
  int64_t took = static_cast<int64_t>(loadprof::monotonic_ns()) - t0;
  sigaction(SIGALRM, &old, nullptr);
  close(plug);
  close(ls);
  ASSERT_FALSE(r.ok()) << "a pending connect passed for connected after EINTR";
  EXPECT_EQ(r.error().kind, ErrorKind::target_gone);
  EXPECT_NE(r.error().message.find("timed out"), std::string::npos) << r.error().message;
  EXPECT_GE(took, 390'000'000);
}

// --- Who limited the run: a busy machine is not a saturated driver ---

namespace {
LoadResult late_open_run(int64_t cpu_ns, int64_t busy_ns, int64_t runqueue_ns) {
  LoadResult r;
  r.duration_ns = 2'000'000'000;
  r.requests = r.arrivals = 400;
  r.late_starts = 40;  // 10 %
  r.driver_late_starts = 40;
  r.connections = 10;
  r.threads = {{cpu_ns, 2'000'000'000, busy_ns, runqueue_ns}, {cpu_ns / 2, 2'000'000'000, busy_ns / 2, 0}};
  return r;
}
}  // namespace

TEST(Saturation, AStarvedDriverIsToldApartFromASaturatedOne) {
  Schedule sched({{2'000'000'000, 200, 200}}, 0);
  // Waited for a CPU longer than it ran, and ran little: the machine was busy.
  auto starved = judge_saturation(late_open_run(60'000'000, 400'000'000, 300'000'000), sched);
  EXPECT_EQ(starved.limited_by, "driver");
  EXPECT_TRUE(starved.starved);
  EXPECT_NE(starved.message.find("machine was busy"), std::string::npos) << starved.message;
  EXPECT_NEAR(starved.max_thread_runqueue_pct, 15.0, 0.01);
  // Ran nearly all the time: the driver worked to its limit.
  auto saturated = judge_saturation(late_open_run(1'900'000'000, 1'950'000'000, 40'000'000), sched);
  EXPECT_EQ(saturated.limited_by, "driver");
  EXPECT_FALSE(saturated.starved);
  EXPECT_NE(saturated.message.find("add --threads"), std::string::npos) << saturated.message;
  // No schedstat: never called starved.
  auto unknown = judge_saturation(late_open_run(60'000'000, 400'000'000, -1), sched);
  EXPECT_FALSE(unknown.starved);
}

TEST(Saturation, ADriverStarvedByCpuHogsIsNotBlamedOnTheTarget) {
  // The driver thread shares one CPU with three busy loops (the server runs
  // elsewhere): it is late because it waits for the CPU, not because it works.
  ServerProcess server({"--service-ms", "4", "--capacity", "1"});
  ASSERT_GT(server.port(), 0);
  cpu_set_t old_set;
  ASSERT_EQ(sched_getaffinity(0, sizeof old_set, &old_set), 0);
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);  // threads created from here on inherit it
  std::atomic<bool> stop{false};
  std::vector<std::thread> hogs;
  for (int i = 0; i < 3; ++i)
    hogs.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
      }
    });
  LoadConfig c = config_for(server);
  c.threads = 1;
  c.stages = {{2'000'000'000, 200, 200}};
  auto r = run_load(c);
  stop = true;
  for (auto& h : hogs) h.join();
  sched_setaffinity(0, sizeof old_set, &old_set);
  ASSERT_TRUE(r.ok()) << r.error().message;
  Schedule sched(c.stages, 0);
  auto sat = judge_saturation(*r, sched);
  std::printf("limited_by '%s' starved %d cpu %.1f%% busy %.1f%% runqueue %.1f%% late %llu of %llu\n%s\n",
              sat.limited_by.c_str(), sat.starved, sat.max_thread_cpu_pct, sat.max_thread_busy_pct,
              sat.max_thread_runqueue_pct, static_cast<unsigned long long>(r->late_starts),
              static_cast<unsigned long long>(r->requests), sat.message.c_str());
  // The target (250 req/s) keeps up with 200 req/s: the lateness is the driver's machine.
  ASSERT_GT(r->late_starts, r->requests / 100) << "the hogs did not make the driver late: nothing to judge";
  EXPECT_EQ(sat.limited_by, "driver") << sat.message;
  EXPECT_TRUE(sat.starved) << sat.message;
  EXPECT_NE(sat.message.find("machine was busy"), std::string::npos) << sat.message;
}

TEST(Capacity, TheKneeIsWhereLatencyStaysUpNotOneSpike) {
  // A 4 ms server of 250 req/s; the 100 req/s step caught a busy moment (p99
  // 12 ms), the rates above it were back to normal until 259.
  std::vector<CapacityStep> steps;
  for (auto [rate, p99] : std::vector<std::pair<double, double>>{
           {50, 4.3}, {100, 12.0}, {200, 4.6}, {400, 310}, {283, 150}, {238, 4.9}, {259, 41}, {271, 84}}) {
    CapacityStep s;
    s.rate_rps = rate;
    s.latency.p99_ms = p99;
    steps.push_back(s);
  }
  EXPECT_EQ(knee_rps(steps), 259);  // the old rule (the first rate above 2x) said 100
  steps[1].latency.p99_ms = 4.4;
  EXPECT_EQ(knee_rps(steps), 259);
  steps[3].latency.p99_ms = 5.0;  // the highest rate is not up: no knee
  EXPECT_EQ(knee_rps(steps), 0);
  EXPECT_EQ(knee_rps({}), 0);
}
