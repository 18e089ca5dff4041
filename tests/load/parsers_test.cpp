// Stage, URL and header parsing (good and bad input) and the schedule maths.
#include <gtest/gtest.h>

#include <cmath>

#include "loadprof/load/request.h"
#include "loadprof/load/schedule.h"

using namespace loadprof::load;

TEST(Stages, ParsesSteadyRampAndUnits) {
  auto s = parse_stages("20s:100->2000, 30s:2000,500ms:8000,1m:0.5");
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_EQ(s->size(), 4u);
  EXPECT_EQ((*s)[0].duration_ns, 20'000'000'000);
  EXPECT_DOUBLE_EQ((*s)[0].rate_start_rps, 100);
  EXPECT_DOUBLE_EQ((*s)[0].rate_end_rps, 2000);
  EXPECT_DOUBLE_EQ((*s)[1].rate_start_rps, 2000);
  EXPECT_DOUBLE_EQ((*s)[1].rate_end_rps, 2000);
  EXPECT_EQ((*s)[2].duration_ns, 500'000'000);
  EXPECT_EQ((*s)[3].duration_ns, 60'000'000'000);
  EXPECT_DOUBLE_EQ((*s)[3].rate_start_rps, 0.5);
}

TEST(Stages, RejectsBadStagesNamingThem) {
  for (const char* bad : {"", "30s", "30s:", ":100", "0s:100", "-1s:100", "30x:100", "30s:fast", "30s:100->",
                          "30s:->5", "30s:100,,10s:5", "30s:100,", "30s:-5", "30s:20000000"}) {
    auto s = parse_stages(bad);
    EXPECT_FALSE(s.ok()) << bad;
  }
  auto s = parse_stages("10s:100,10s:abc");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("stage 2"), std::string::npos) << s.error().message;
}

TEST(Schedule, ArrivalTimesInvertTheRateIntegral) {
  Schedule sched({{2'000'000'000, 100, 100}, {2'000'000'000, 100, 300}}, 1'000'000'000);
  EXPECT_EQ(sched.total_ns(), 5'000'000'000);
  EXPECT_NEAR(sched.total_arrivals(), 100 + 200 + 400, 1e-6);
  EXPECT_EQ(sched.stage_at(500'000'000), -1);
  EXPECT_EQ(sched.stage_at(1'000'000'000), 0);
  EXPECT_EQ(sched.stage_at(3'500'000'000), 1);
  EXPECT_EQ(sched.stage_at(5'000'000'000), 2);
  EXPECT_NEAR(sched.rate_at(4'000'000'000), 200, 1e-9);
  EXPECT_NEAR(sched.arrivals_between(3'000'000'000, 4'000'000'000), 150, 1e-6);  // 100 -> 200 over 1 s
  for (double k : {0.5, 50.0, 99.9, 150.0, 300.0, 450.0, 699.0}) {
    int64_t t = sched.time_of_arrival(k);
    EXPECT_NEAR(sched.arrivals_between(0, t), k, 1e-3) << k;
  }
  // Two uniform cursors interleave to exactly the schedule's count.
  int count = 0;
  for (int i = 0; i < 2; ++i) {
    ArrivalCursor c(sched, Arrival::uniform, i, 2, 1);
    int64_t prev = -1;
    while (c.peek() >= 0) {
      EXPECT_GE(c.peek(), prev);
      prev = c.peek();
      ++count;
      c.advance();
    }
  }
  EXPECT_EQ(count, 700);
}

TEST(Schedule, PoissonArrivalsHaveTheRequestedMean) {
  Schedule sched({{100'000'000'000, 1000, 1000}}, 0);
  int count = 0;
  for (int i = 0; i < 2; ++i) {
    ArrivalCursor c(sched, Arrival::poisson, i, 2, 99);
    for (; c.peek() >= 0; c.advance()) ++count;
  }
  EXPECT_NEAR(count, 100000, 5 * std::sqrt(100000.0));
}

TEST(Url, ParsesHostPortPathQuery) {
  auto u = parse_url("http://127.0.0.1:8080/api/v1?x=1#frag");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->target, "/api/v1?x=1");
  EXPECT_EQ(u->host_header, "127.0.0.1:8080");
  auto v = parse_url("HTTP://[::1]:81");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->host, "::1");
  EXPECT_EQ(v->port, 81);
  EXPECT_EQ(v->target, "/");
  auto w = parse_url("http://example.com?q");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->port, 80);
  EXPECT_EQ(w->target, "/?q");
}

TEST(Url, RejectsBadUrlsAndDefersHttps) {
  auto s = parse_url("https://127.0.0.1/");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, loadprof::ErrorKind::not_available);
  for (const char* bad : {"127.0.0.1:80", "ftp://x/", "http://", "http://:80/", "http://host:0/", "http://host:70000/",
                          "http://host:/", "http://host:8x/", "http://u@host/", "http://[::1/", "http://host/a b"}) {
    auto u = parse_url(bad);
    ASSERT_FALSE(u.ok()) << bad;
    EXPECT_EQ(u.error().kind, loadprof::ErrorKind::usage) << bad;
  }
}

TEST(Request, FormatsHeadersBodyAndClose) {
  auto u = parse_url("http://localhost:8080/api");
  ASSERT_TRUE(u.ok());
  RequestSpec spec;
  spec.method = "POST";
  auto h = parse_header("Content-Type:  application/json");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->second, "application/json");
  spec.headers.push_back(*h);
  spec.body = "{\"a\":1}";
  spec.keep_alive = false;
  EXPECT_EQ(format_request(*u, spec),
            "POST /api HTTP/1.1\r\nHost: localhost:8080\r\nContent-Type: application/json\r\n"
            "Content-Length: 7\r\nConnection: close\r\n\r\n{\"a\":1}");
  EXPECT_FALSE(parse_header("NoColon").ok());
  EXPECT_FALSE(parse_header(": x").ok());
  EXPECT_FALSE(parse_header("Bad Name: x").ok());
}
