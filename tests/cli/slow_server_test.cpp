// tests/programs/slow_server, the target of bench's tests, checked on its
// own (no privileges): driven by `loadprof load --json` in each mode, it
// answers every request, every 10th is slow by its ground truth (CPU burnt in
// burn_slow_request, or time waited on the index lock) and the driver's
// latency percentiles show it: p50 fast, p95 and p99 at least the slow part.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/run.h"
#include "support/server_child.h"

using json = nlohmann::json;
using loadprof::testing::loadprof_binary;
using loadprof::testing::run;
using loadprof::testing::ServerChild;
using loadprof::testing::test_program;

namespace {

struct Served {
  json load;                                 // load --json
  std::map<std::string, std::string> truth;  // the server's GROUND_TRUTH
};

Served drive(const std::vector<std::string>& flags, int rate_rps, const std::string& duration) {
  std::vector<std::string> argv{test_program("slow_server")};
  argv.insert(argv.end(), flags.begin(), flags.end());
  ServerChild server(argv);
  EXPECT_GT(server.port(), 0);
  const std::string json_path = loadprof::testing::temp_dir() + "/load.json";
  auto r = run({loadprof_binary(), "load", server.url("/"), "--rate", std::to_string(rate_rps), "--duration",
                duration, "--json", json_path});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::string out = server.stop();
  Served s;
  std::ifstream in(json_path);
  s.load = json::parse(in, nullptr, false);
  auto truth = loadprof::testing::ground_truth_lines(out, "slow_server");
  EXPECT_EQ(truth.size(), 1u) << out;
  if (!truth.empty()) s.truth = truth[0];
  return s;
}

uint64_t u(const std::map<std::string, std::string>& t, const std::string& k) {
  auto it = t.find(k);
  return it == t.end() ? 0 : std::stoull(it->second);
}
double d(const std::map<std::string, std::string>& t, const std::string& k) {
  auto it = t.find(k);
  return it == t.end() ? -1 : std::stod(it->second);
}

class SlowServer : public ::testing::TestWithParam<const char*> {};

TEST_P(SlowServer, EveryTenthRequestBurnsItsCpuInBurnSlowRequest) {
  const std::string mode = GetParam();
  Served s = drive({mode, "--every", "10", "--burn-ms", "5"}, 200, "2s");
  ASSERT_FALSE(s.load.is_discarded());
  const uint64_t requests = s.load["requests"].get<uint64_t>();
  EXPECT_EQ(s.load["errors"].get<uint64_t>(), 0u);
  EXPECT_GE(requests, 350u);
  EXPECT_EQ(u(s.truth, "requests"), requests);
  EXPECT_EQ(s.truth["mode"], mode.substr(2));
  const uint64_t slow = u(s.truth, "slow_requests");
  EXPECT_EQ(slow, requests / 10);
  // CPU time, not wall time: at least 5 ms each, and at most a burn step more
  // (~50 us on a quiet machine; 246 us on average under ~5 % simulated steal,
  // scripts/steal.py: 209.8 ms for 40) — far from a second burn.
  const double burnt_ms = d(s.truth, "burn_cpu_ms");
  EXPECT_GE(burnt_ms, 5.0 * slow);
  EXPECT_LE(burnt_ms, 5.5 * slow);
  EXPECT_EQ(u(s.truth, "lock_waits"), 0u);
  const json& lat = s.load["latency_ms"];
  std::printf("%s: %llu requests, %llu slow, %.1f ms burnt; p50 %.3f p90 %.3f p95 %.3f p99 %.3f ms\n",
              mode.c_str(), static_cast<unsigned long long>(requests), static_cast<unsigned long long>(slow),
              burnt_ms, lat["p50"].get<double>(), lat["p90"].get<double>(), lat["p95"].get<double>(),
              lat["p99"].get<double>());
  EXPECT_LT(lat["p50"].get<double>(), 2.5);  // fast ones: tens of microseconds on a quiet machine
  EXPECT_GE(lat["p95"].get<double>(), 5.0);  // a tenth of the requests took >= 5 ms of CPU
  EXPECT_GE(lat["p99"].get<double>(), 5.0);
}

TEST_P(SlowServer, LockModeSlowRequestsWaitOnTheIndexLock) {
  const std::string mode = GetParam();
  Served s = drive({mode, "--lock", "--every", "10"}, 200, "2s");
  ASSERT_FALSE(s.load.is_discarded());
  const uint64_t requests = s.load["requests"].get<uint64_t>();
  EXPECT_EQ(s.load["errors"].get<uint64_t>(), 0u);
  EXPECT_EQ(u(s.truth, "requests"), requests);
  const uint64_t slow = u(s.truth, "slow_requests");
  EXPECT_EQ(slow, requests / 10);
  EXPECT_EQ(u(s.truth, "lock_waits"), slow);
  EXPECT_EQ(d(s.truth, "burn_cpu_ms"), 0.0);
  // Held 16 ms of every 20: ~80 %; a request arriving at random waits ~0.8 x 8 = 6.4 ms on average.
  EXPECT_GE(d(s.truth, "lock_held_pct"), 70.0);
  EXPECT_LE(d(s.truth, "lock_held_pct"), 82.0);
  const double mean_wait_ms = d(s.truth, "lock_wait_ms") / static_cast<double>(slow);
  const json& lat = s.load["latency_ms"];
  std::printf("%s --lock: %llu requests, %llu slow, mean wait %.2f ms, held %.1f %%; p50 %.3f p99 %.3f ms\n",
              mode.c_str(), static_cast<unsigned long long>(requests), static_cast<unsigned long long>(slow),
              mean_wait_ms, d(s.truth, "lock_held_pct"), lat["p50"].get<double>(), lat["p99"].get<double>());
  EXPECT_GE(mean_wait_ms, 3.0);
  EXPECT_LE(mean_wait_ms, 12.0);
  EXPECT_LT(lat["p50"].get<double>(), 2.5);
  EXPECT_GE(lat["p99"].get<double>(), 5.0);
}

INSTANTIATE_TEST_SUITE_P(Modes, SlowServer, ::testing::Values("--threads", "--event-loop"),
                         [](const auto& info) {
                           return std::string(info.param).substr(2) == "threads" ? std::string("Threads")
                                                                                 : std::string("EventLoop");
                         });

}  // namespace
