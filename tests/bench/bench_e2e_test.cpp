// bench end to end: a server of ours launched under the recorder and loaded in
// two stages; the capture must hold every request the server answered (its own
// count is the ground truth), the load's figures, and each stage's CPU use in
// proportion to the work the stage asked for.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "loadprof/analyze/window_load.h"
#include "loadprof/capture/reader.h"
#include "support/privilege.h"
#include "support/run.h"

namespace loadprof {
namespace {

using nlohmann::json;
using testing::ground_truth_lines;
using testing::loadprof_binary;
using testing::run;
using testing::temp_dir;
using testing::test_program;

class BenchE2e : public ::testing::Test {
 protected:
  void SetUp() override { LOADPROF_REQUIRE_BPF_PRIVILEGES(); }
};

TEST_F(BenchE2e, LaunchedServerEveryRequestInTheCaptureAndStageCpuFollowsTheLoad) {
  const std::string dir = temp_dir();
  const std::string cap = dir + "/bench.lpc";
  // ?work=50000 costs the server ~1.4 ms of CPU per request: ~7 % of a CPU at
  // 50 req/s, ~21 % at 150 req/s.
  auto r = run({loadprof_binary(), "bench", "http://127.0.0.1:18351/?work=50000", "--stages", "3s:50,3s:150",
                "--output", cap, "--", test_program("cpu_server"), "--port", "18351"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto truth = ground_truth_lines(r.out, "cpu_server");
  ASSERT_EQ(truth.size(), 1u) << r.out;
  const uint64_t served = std::stoull(truth[0]["requests"]);

  auto c = capture::read_capture(cap);
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_TRUE(c->load.has_value());
  EXPECT_EQ(c->end->reason, "load finished");
  EXPECT_FALSE(c->end->interrupted);
  // Every request the server answered is in the capture, on the capture's clock.
  EXPECT_EQ(c->requests.size(), served);
  EXPECT_EQ(c->load->log_dropped, 0u);
  ASSERT_EQ(c->load->stages.size(), 2u);
  for (const auto& q : c->requests) {
    ASSERT_GE(q.end_ns, q.actual_start_ns);
    ASSERT_GE(q.actual_start_ns, q.intended_start_ns);
    ASSERT_GE(q.intended_start_ns, c->metadata.start_monotonic_ns);
    ASSERT_LE(q.end_ns, c->end->end_ns);
    ASSERT_EQ(q.status, 200);
  }

  auto rep = run({loadprof_binary(), "report", cap, "--format", "json"});
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  json j = json::parse(rep.out);
  EXPECT_EQ(j["requests"].get<uint64_t>(), served);
  EXPECT_EQ(j["request_log"]["in_capture"].get<uint64_t>(), served);
  EXPECT_NEAR(j["throughput_rps"].get<double>(), 100.0, 10.0);
  EXPECT_GT(j["latency_ms"]["p50"].get<double>(), 0.5);  // the work is real
  ASSERT_EQ(j["stages"].size(), 2u);
  const double low = j["stages"][0]["cpu_util_pct"].get<double>();
  const double high = j["stages"][1]["cpu_util_pct"].get<double>();
  // Three times the requests, about three times the CPU (samples are noisy: 99 Hz x 3 s).
  EXPECT_GT(low, 2.0);
  EXPECT_GT(high / low, 1.8) << low << " vs " << high;
  EXPECT_LT(high / low, 5.0) << low << " vs " << high;
  EXPECT_TRUE(j["stages"][1]["loadprof_cpu_pct"].is_number());
  // The request log alone gives the driver's own figures back (histogram precision: < 1 %).
  auto f = analyze::log_figures(*c);
  EXPECT_EQ(f.requests, served);
  EXPECT_EQ(f.errors, 0u);
  for (const char* p : {"p50", "p90", "p99", "max"}) {
    const double want = j["latency_ms"][p].get<double>();
    const double got = std::string(p) == "p50"   ? f.latency.p50_ms
                       : std::string(p) == "p90" ? f.latency.p90_ms
                       : std::string(p) == "p99" ? f.latency.p99_ms
                                                 : f.latency.max_ms;
    EXPECT_NEAR(got, want, want * 0.01 + 0.002) << p;
  }
  EXPECT_NEAR(f.service_time.p50_ms, j["service_time_ms"]["p50"].get<double>(),
              j["service_time_ms"]["p50"].get<double>() * 0.01 + 0.002);
}

}  // namespace
}  // namespace loadprof
