// `loadprof bench` end to end, real BPF, against tests/programs/slow_server
// (every 10th request burns 5 ms of CPU in burn_slow_request): launch mode
// (`-- slow_server`) and attach mode (`--pid`) give a capture whose report has
// the requests, latency percentiles (p99 >= the burn), stages and samples, with
// burn_slow_request among the hot functions; with --lock and the offcpu probe the
// lock waits lie under wait_for_index_lock; Ctrl-C mid-bench leaves a valid
// capture marked interrupted; a target that never listens exits 4 within the
// bound; a broken SLO exits 1 with the capture written; the request log
// round-trips through the capture with no loss at 10,000 req/s (a short run
// here; bench/load/request_log.sh runs the 30 s one).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>

#include "loadprof/capture/reader.h"
#include "report/schema_check.h"
#include "support/privilege.h"
#include "support/run.h"
#include "support/server_child.h"

using json = nlohmann::json;
using loadprof::testing::loadprof_binary;
using loadprof::testing::run;
using loadprof::testing::RunResult;
using loadprof::testing::ServerChild;
using loadprof::testing::test_program;

namespace {

constexpr double kBurnMs = 5.0;

int unused_port() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  close(s);
  return ntohs(a.sin_port);
}

std::string url_of(int port) { return "http://127.0.0.1:" + std::to_string(port) + "/"; }

json report_json(const std::string& capture, int* exit_code = nullptr) {
  auto r = run({loadprof_binary(), "report", capture, "--format", "json"});
  if (exit_code) *exit_code = r.exit_code;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out, nullptr, false);
}

bool has_function(const json& functions, const std::string& name) {
  for (const auto& f : functions)
    if (f["name"] == name) return true;
  return false;
}

// What every bench report must hold: the load's keys and the profile's.
void expect_bench_report(const json& j, const std::string& what) {
  SCOPED_TRACE(what);
  ASSERT_FALSE(j.is_discarded());
  ASSERT_TRUE(j.contains("requests")) << j.dump().substr(0, 2000);
  const uint64_t requests = j["requests"].get<uint64_t>();
  EXPECT_GE(requests, 500u);
  EXPECT_EQ(j["errors"].get<uint64_t>(), 0u);
  const json& lat = j["latency_ms"];
  std::printf("%s: %llu requests, p50 %.3f p99 %.3f ms, %llu cpu samples\n", what.c_str(),
              static_cast<unsigned long long>(requests), lat["p50"].get<double>(), lat["p99"].get<double>(),
              static_cast<unsigned long long>(j["samples"]["cpu"].get<uint64_t>()));
  EXPECT_GE(lat["p99"].get<double>(), kBurnMs);
  EXPECT_LT(lat["p50"].get<double>(), kBurnMs);
  ASSERT_TRUE(j["stages"].is_array());
  ASSERT_FALSE(j["stages"].empty());
  EXPECT_EQ(j["stages"][0]["requests"].get<uint64_t>(), requests);
  EXPECT_GT(j["samples"]["cpu"].get<uint64_t>(), 100u);
  // A tenth of the requests burn 5 ms each: at 200 req/s that is 100 ms of every second.
  EXPECT_TRUE(has_function(j["top_functions"]["by_self"], "burn_slow_request"))
      << j["top_functions"]["by_self"].dump();
}

class BenchE2E : public ::testing::Test {
 protected:
  void SetUp() override { LOADPROF_REQUIRE_BPF_PRIVILEGES(); }
  std::string dir_ = loadprof::testing::temp_dir();
};

TEST_F(BenchE2E, LaunchModeReportHasRequestsLatencyStagesAndSamples) {
  const int port = unused_port();
  const std::string cap = dir_ + "/launch.lpc";
  auto r = run({loadprof_binary(), "bench", url_of(port), "--rate", "200", "--duration", "6s", "--frequency",
                "999", "--output", cap, "--", test_program("slow_server"), "--port", std::to_string(port),
                "--burn-ms", "5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_bench_report(report_json(cap), "launch");
  // The launched server, stopped by bench, printed what it served: every request of the report.
  auto truth = loadprof::testing::ground_truth_lines(r.out, "slow_server");
  ASSERT_EQ(truth.size(), 1u) << r.out;
  EXPECT_EQ(std::stoull(truth[0]["requests"]), report_json(cap)["requests"].get<uint64_t>());
}

TEST_F(BenchE2E, AttachModeLeavesTheTargetRunning) {
  ServerChild server({test_program("slow_server"), "--burn-ms", "5"});
  ASSERT_GT(server.port(), 0);
  const std::string cap = dir_ + "/attach.lpc";
  auto r = run({loadprof_binary(), "bench", server.url(), "--pid", std::to_string(server.pid()), "--rate",
                "200", "--duration", "6s", "--frequency", "999", "--output", cap});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(kill(server.pid(), 0), 0) << "attach mode stopped the target";
  const json j = report_json(cap);
  expect_bench_report(j, "attach");
  auto truth = loadprof::testing::ground_truth_lines(server.stop(), "slow_server");
  ASSERT_EQ(truth.size(), 1u);
  EXPECT_EQ(std::stoull(truth[0]["requests"]), j["requests"].get<uint64_t>());
}

TEST_F(BenchE2E, CtrlCMidBenchLeavesAValidCaptureMarkedInterrupted) {
  const int port = unused_port();
  const std::string cap = dir_ + "/interrupted.lpc";
  auto r = run({loadprof_binary(), "bench", url_of(port), "--rate", "200", "--duration", "30s", "--output",
                cap, "--", test_program("slow_server"), "--port", std::to_string(port)},
               3000, SIGINT);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int code = -1;
  const json j = report_json(cap, &code);
  ASSERT_EQ(code, 0);
  EXPECT_TRUE(j["interrupted"].get<bool>());
  EXPECT_GT(j["requests"].get<uint64_t>(), 100u);
  EXPECT_LT(j["duration_s"].get<double>(), 10.0);
  EXPECT_FALSE(j["capture"]["truncated"].get<bool>());
}

TEST_F(BenchE2E, TargetThatNeverListensExits4WithinTheBound) {
  const int port = unused_port();
  const auto start = std::chrono::steady_clock::now();
  auto r = run({loadprof_binary(), "bench", url_of(port), "--rate", "10", "--duration", "5s",
                "--listen-timeout", "4s", "--output", dir_ + "/never.lpc", "--", "sleep", "60"});
  const double took_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("never listens (--listen-timeout 4s): exit %d after %.2f s: %s", r.exit_code, took_s,
              r.err.c_str());
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_GE(took_s, 4.0);   // it waited the bound ...
  EXPECT_LT(took_s, 10.0);  // ... and not the 60 s of the target's own life
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(std::to_string(port)), std::string::npos) << r.err;
}

TEST_F(BenchE2E, BrokenSloExits1WithTheCaptureWritten) {
  const int port = unused_port();
  const std::string cap = dir_ + "/slo.lpc";
  auto r = run({loadprof_binary(), "bench", url_of(port), "--rate", "200", "--duration", "3s", "--slo",
                "p99<1ms", "--output", cap, "--", test_program("slow_server"), "--port", std::to_string(port),
                "--burn-ms", "5"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const json j = report_json(cap);
  ASSERT_TRUE(j.contains("latency_ms"));
  EXPECT_GE(j["latency_ms"]["p99"].get<double>(), kBurnMs);
}

// Every request the driver counted is in the capture's request log, none
// dropped. 10,000 req/s for 5 s here; LOADPROF_LOG_TEST_SECONDS=30 (what
// bench/load/bench_log.sh sets) for the 30 s.
TEST_F(BenchE2E, RequestLogRoundTripsWithoutLossAt10kRps) {
  const char* env = std::getenv("LOADPROF_LOG_TEST_SECONDS");
  const int seconds = env ? std::atoi(env) : 5;
  ASSERT_GT(seconds, 0);
  const int port = unused_port();
  const std::string cap = dir_ + "/log.lpc";
  auto r = run({loadprof_binary(), "bench", url_of(port), "--rate", "10000", "--duration",
                std::to_string(seconds) + "s", "--output", cap, "--", test_program("slow_server"), "--port",
                std::to_string(port), "--every", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto c = loadprof::capture::read_capture(cap);
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_TRUE(c->load.has_value());
  const json summary = json::parse(c->load->summary_json);
  const uint64_t counted = summary["requests"].get<uint64_t>();
  std::printf("10k req/s for %d s: %zu requests in the capture, %llu logged, %llu dropped, %llu counted\n",
              seconds, c->requests.size(), static_cast<unsigned long long>(c->load->log_records),
              static_cast<unsigned long long>(c->load->log_dropped),
              static_cast<unsigned long long>(counted));
  EXPECT_EQ(c->load->log_dropped, 0u);
  EXPECT_EQ(c->requests.size(), c->load->log_records);
  EXPECT_GE(c->requests.size(), counted);  // the log holds the warmup's too
  EXPECT_GT(counted, 5'000u * seconds);    // half the offered load at least, on 2 busy CPUs
}

// --lock: the slow requests wait on a mutex (off-CPU on a futex). With the
// offcpu probe, the lock time under wait_for_index_lock is the time the server
// measured around its waits (±25 %).
TEST_F(BenchE2E, LockModeWaitsAreOffCpuUnderWaitForIndexLock) {
  const int port = unused_port();
  const std::string cap = dir_ + "/lock.lpc";
  auto r = run({loadprof_binary(), "bench", url_of(port), "--rate", "200", "--duration", "4s", "--probes",
                "cpu,offcpu", "--output", cap, "--", test_program("slow_server"), "--port",
                std::to_string(port), "--lock"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto truth = loadprof::testing::ground_truth_lines(r.out, "slow_server");
  ASSERT_EQ(truth.size(), 1u) << r.out;
  const double waited_ms = std::stod(truth[0]["lock_wait_ms"]);
  auto folded = run({loadprof_binary(), "report", cap, "--kind", "offcpu", "--format", "folded"});
  ASSERT_EQ(folded.exit_code, 0) << folded.err;
  double under_ms = 0;
  std::istringstream in(folded.out);
  std::string line;
  while (std::getline(in, line)) {
    const auto space = line.rfind(' ');
    if (space == std::string::npos) continue;
    const std::string stack = line.substr(0, space);
    if (stack.find(";wait_for_index_lock;") != std::string::npos && stack.size() >= 13 &&
        stack.compare(stack.size() - 13, 13, "[offcpu:lock]") == 0)
      under_ms += std::stod(line.substr(space + 1)) / 1e6;
  }
  std::printf(
      "--lock: %s slow requests waited %.1f ms by the server's clock, %.1f ms off-CPU on the lock "
      "under wait_for_index_lock\n",
      truth[0]["slow_requests"].c_str(), waited_ms, under_ms);
  EXPECT_GT(waited_ms, 100.0);
  EXPECT_NEAR(under_ms, waited_ms, 0.25 * waited_ms) << folded.out;
}

// report --window on a bench capture: the load figures are the window's,
// counted from the request log. Two stages, 100 then 300 req/s: a window on
// each holds its rate's requests and only its stage.
TEST_F(BenchE2E, WindowOnABenchCaptureCountsTheWindowsRequests) {
  const int port = unused_port();
  const std::string cap = dir_ + "/stages.lpc";
  auto r = run({loadprof_binary(), "bench", url_of(port), "--stages", "3s:100,3s:300", "--output", cap, "--",
                test_program("slow_server"), "--port", std::to_string(port)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto c = loadprof::capture::read_capture(cap);
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_TRUE(c->load.has_value());
  ASSERT_EQ(c->load->stages.size(), 2u);
  const uint64_t t0 = c->metadata.start_monotonic_ns;
  const double rates[] = {100, 300};
  for (size_t i = 0; i < 2; ++i) {
    SCOPED_TRACE(i);
    // The stage less 0.5 s at each end.
    const double from_s = static_cast<double>(c->load->stages[i].start_ns - t0) / 1e9 + 0.5;
    const double to_s = static_cast<double>(c->load->stages[i].end_ns - t0) / 1e9 - 0.5;
    char window[64];
    std::snprintf(window, sizeof window, "%.3f..%.3f", from_s, to_s);
    auto rep = run({loadprof_binary(), "report", cap, "--window", window, "--format", "json"});
    ASSERT_EQ(rep.exit_code, 0) << rep.err;
    const json j = json::parse(rep.out);
    const double want = rates[i] * (to_s - from_s);
    std::printf("stage %zu window %s: %llu requests (%.0f asked), %.1f req/s, p99 %.3f ms, %zu stage(s)\n",
                i + 1, window, static_cast<unsigned long long>(j["requests"].get<uint64_t>()), want,
                j["throughput_rps"].get<double>(), j["latency_ms"]["p99"].get<double>(), j["stages"].size());
    EXPECT_NEAR(j["requests"].get<double>(), want, 0.05 * want);
    EXPECT_NEAR(j["throughput_rps"].get<double>(), rates[i], 0.05 * rates[i]);
    EXPECT_GE(j["latency_ms"]["p99"].get<double>(), kBurnMs);  // every 10th burns 5 ms
    ASSERT_EQ(j["stages"].size(), 1u);
    EXPECT_EQ(j["stages"][0]["rate_start_rps"].get<double>(), rates[i]);
    EXPECT_EQ(j["stages"][0]["requests"], j["requests"]);
    EXPECT_NEAR(j["duration_s"].get<double>(), to_s - from_s, 0.01);
    uint64_t by_class = 0;
    for (const auto& [k, n] : j["errors_by_class"].items()) by_class += n.get<uint64_t>();
    EXPECT_EQ(by_class, j["errors"].get<uint64_t>());
    for (const auto& s : j["timeseries"]) {
      EXPECT_NEAR(s["requested_rps"].get<double>(), rates[i], 0.5) << s.dump();
    }
    LOADPROF_EXPECT_VALID_JSON(loadprof::testing::validate_json_text(dir_, "window.json", rep.out));
  }
}

}  // namespace
