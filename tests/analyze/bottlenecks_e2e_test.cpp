// End to end, real BPF: `loadprof bench` against cpu_server with a planted
// cause, then `loadprof report --output-dir`: report.json validates and its
// verdict names the cause with its kind and function, its time per slowest
// request near the server's own ground truth; and a run without a planted
// cause yields no invented bottleneck, with the capacity model of its stages.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "report/schema_check.h"
#include "support/privilege.h"
#include "support/run.h"

namespace loadprof::analyze {
namespace {

using nlohmann::json;
using testing::loadprof_binary;
using testing::test_program;

constexpr int kRateRps = 200;
constexpr int kLoadSeconds = 6;
constexpr int kSlowEvery = 10;
constexpr double kBurnMs = 10;
constexpr uint32_t kFrequencyHz = 999;

uint16_t free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct BenchReport {
  json report;
  std::string markdown;
  std::vector<std::map<std::string, std::string>> truth;  // the server's GROUND_TRUTH
};

// bench (load flags, probes) -- program (server flags), then report --output-dir; report.json validated.
void bench_and_report(const std::vector<std::string>& load, const std::vector<std::string>& server,
                      BenchReport& out, const std::string& program = "cpu_server") {
  const uint16_t port = free_port();
  const std::string dir = testing::temp_dir();
  std::vector<std::string> argv = {loadprof_binary(),
                                   "bench",
                                   "http://127.0.0.1:" + std::to_string(port) + "/",
                                   "--connections",
                                   "16",
                                   "--threads",
                                   "1",
                                   "--frequency",
                                   std::to_string(kFrequencyHz),
                                   "--output",
                                   dir + "/cap.lpc"};
  argv.insert(argv.end(), load.begin(), load.end());
  for (const std::string& a :
       {std::string("--"), test_program(program), std::string("--port"), std::to_string(port)})
    argv.push_back(a);
  argv.insert(argv.end(), server.begin(), server.end());
  auto bench = testing::run(argv);
  ASSERT_EQ(bench.exit_code == 1 ? 0 : bench.exit_code, 0)
      << bench.err;  // 1: an SLO broke, data all the same
  out.truth = testing::ground_truth_lines(bench.out, program);
  const std::filesystem::path report_dir = std::filesystem::path(dir) / "out";
  auto rep =
      testing::run({loadprof_binary(), "report", dir + "/cap.lpc", "--output-dir", report_dir.string()});
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  const std::string text = read_text(report_dir / "report.json");
  LOADPROF_EXPECT_VALID_JSON(testing::validate_json_text(report_dir, "report.checked.json", text));
  out.report = json::parse(text);
  out.markdown = read_text(report_dir / "report.md");
  std::cerr << "verdict: " << out.report["verdict"]["summary"]
            << "\nbottlenecks: " << out.report["bottlenecks"].dump().substr(0, 3000) << "\n";
}

std::vector<std::string> steady() {
  return {"--rate", std::to_string(kRateRps), "--duration", std::to_string(kLoadSeconds) + "s"};
}

// Every 10th request burns 10 ms of CPU in burn_slow_request: the verdict's
// first bottleneck is `cpu` in that function, about 10 ms of each slowest
// request, and the Markdown opens with it.
TEST(BottlenecksE2E, CpuHotPathIsNamedWithItsFunction) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  BenchReport r;
  ASSERT_NO_FATAL_FAILURE(bench_and_report(
      steady(), {"--slow-every", std::to_string(kSlowEvery), "--slow-ms", std::to_string(kBurnMs)}, r));
  const auto& b = r.report["bottlenecks"];
  ASSERT_FALSE(b.empty()) << r.report["verdict"].dump();
  EXPECT_EQ(b[0]["kind"], "cpu");
  EXPECT_EQ(b[0]["frame"], "burn_slow_request");
  EXPECT_GE(b[0]["share_pct"].get<double>(), 10.0);
  ASSERT_TRUE(b[0]["per_slow_request_ms"].is_number());
  // The server burns kBurnMs of thread CPU time per slow request; the samples give it back within 25 %.
  EXPECT_NEAR(b[0]["per_slow_request_ms"].get<double>(), kBurnMs, kBurnMs * 0.25);
  EXPECT_EQ(b[0]["estimated_gain"].get<std::string>().rfind("p99 -", 0), 0u) << b[0]["estimated_gain"];
  EXPECT_NE(b[0]["recommendation"].get<std::string>().find("`burn_slow_request`"), std::string::npos);
  EXPECT_TRUE(r.report["verdict"]["constraint_found"].get<bool>());
  const size_t verdict = r.markdown.find("## Verdict"), load = r.markdown.find("## Load");
  ASSERT_NE(verdict, std::string::npos);
  EXPECT_LT(verdict, load);
  EXPECT_NE(r.markdown.find("1. **cpu** in `burn_slow_request`"), std::string::npos)
      << r.markdown.substr(0, 2000);
}

// slow_server --event-loop: one thread serves every connection, every 10th
// request burns 5 ms in burn_slow_request and the requests behind it wait.
// Their wait cannot be given samples (no request is alone in flight), so the
// burn is a small measured part of the slowest requests' latency; it is named
// all the same for its growth (in nearly all their samples, none of the
// median's). 10 s, not steady()'s 6: the verdict wants >= 10 samples in the
// slowest requests, and 6 s gave 7-50 under stalls of the machine (one run in
// three missed the floor with ~5 % simulated steal, scripts/steal.py); 10 s
// gave 24-37 in 6 such runs.
TEST(BottlenecksE2E, EventLoopHotPathIsNamed) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  BenchReport r;
  ASSERT_NO_FATAL_FAILURE(bench_and_report({"--rate", std::to_string(kRateRps), "--duration", "10s"},
                                           {"--event-loop", "--every", "10", "--burn-ms", "5"}, r,
                                           "slow_server"));
  const auto& b = r.report["bottlenecks"];
  ASSERT_FALSE(b.empty()) << r.report["verdict"].dump();
  EXPECT_EQ(b[0]["kind"], "cpu");
  EXPECT_EQ(b[0]["frame"], "burn_slow_request");
}

// --slow-lock: every 10th request waits for a mutex a background thread holds
// 16 ms of every 20. With the offcpu probe the verdict is `lock`, each slowest
// request waiting between the server's mean wait and the 16 ms hold (+25 %).
// The function named is the request path's frame of ours above the wait: the
// frame-pointer walk from inside libc's __lll_lock_wait (no frame pointers)
// skips its immediate caller, so wait_for_index_lock or handle_request.
TEST(BottlenecksE2E, LockContentionIsNamed) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  std::vector<std::string> load = steady();
  load.insert(load.end(), {"--probes", "cpu,offcpu"});
  BenchReport r;
  ASSERT_NO_FATAL_FAILURE(
      bench_and_report(load, {"--slow-every", std::to_string(kSlowEvery), "--slow-lock"}, r));
  const auto& b = r.report["bottlenecks"];
  ASSERT_FALSE(b.empty()) << r.report["verdict"].dump();
  EXPECT_EQ(b[0]["kind"], "lock");
  const std::string frame = b[0]["frame"];
  EXPECT_TRUE(frame == "wait_for_index_lock" || frame == "handle_request") << frame;
  EXPECT_GE(b[0]["share_pct"].get<double>(), 30.0);
  ASSERT_TRUE(b[0]["per_slow_request_ms"].is_number());
  const double per_request = b[0]["per_slow_request_ms"].get<double>();
  EXPECT_LE(per_request, 16.0 * 1.25);
  ASSERT_EQ(r.truth.size(), 1u);
  const double waits = std::stod(r.truth[0].at("slow_requests"));
  const double mean_wait_ms = std::stod(r.truth[0].at("lock_wait_ns")) / 1e6 / std::max(1.0, waits);
  EXPECT_GE(per_request, mean_wait_ms * 0.75)
      << "server: " << waits << " waits, mean " << mean_wait_ms << " ms";
  EXPECT_NE(b[0]["stacks"][0].get<std::string>().find("[offcpu:lock]"), std::string::npos);
}

// --slow-peer: every 10th request makes one round trip over loopback TCP to a
// downstream that answers 20 ms later. Without the io probe (no peers) the
// verdict is `network` in call_slow_peer, each slowest request waiting about
// the measured round trip — the socket waits inside the requests count, the
// ones for the client across their edges do not. 20 ms, longer than a stall
// of a shared machine: at 10 ms, 5 of the 13 slowest requests were ordinary
// ones held up by ~5 % simulated steal (scripts/steal.py, 2-15 ms stalls),
// and the wait per slowest request read 6.7 ms.
TEST(BottlenecksE2E, ASocketWaitInsideTheRequestsIsNamedNetwork) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  std::vector<std::string> load = steady();
  load.insert(load.end(), {"--probes", "cpu,offcpu"});
  BenchReport r;
  ASSERT_NO_FATAL_FAILURE(bench_and_report(
      load, {"--slow-every", std::to_string(kSlowEvery), "--slow-peer", "--slow-ms", "20"}, r));
  const auto& b = r.report["bottlenecks"];
  ASSERT_FALSE(b.empty()) << r.report["verdict"].dump();
  EXPECT_EQ(b[0]["kind"], "network") << b[0].dump();
  EXPECT_EQ(b[0]["frame"], "call_slow_peer") << b[0].dump();
  ASSERT_EQ(r.truth.size(), 1u);
  const double trips = std::stod(r.truth[0].at("slow_requests"));
  const double round_trip_ms = std::stod(r.truth[0].at("peer_wait_ns")) / 1e6 / std::max(1.0, trips);
  ASSERT_TRUE(b[0]["per_slow_request_ms"].is_number());
  const double per_request = b[0]["per_slow_request_ms"].get<double>();
  std::printf("server: %.0f round trips of %.2f ms; bottleneck: %.2f ms per slowest request\n", trips,
              round_trip_ms, per_request);
  EXPECT_GE(per_request, round_trip_ms * 0.75);
  EXPECT_LE(per_request, round_trip_ms * 1.25);
  EXPECT_GT(r.report["correlation"]["attribution"]["offcpu_client_wait_ms"].get<double>(), 0.0);
}

// No planted cause, a ramp and a drop: no bottleneck is invented. The one
// kind a uniform run may show is runqueue, when the machine's other work
// (builds of the other test runs) kept its requests from a CPU — then the
// evidence says so. The stages give a capacity model: 4 rising rates, a USL
// fit, and the 400 req/s stage, twice the one before and followed by a lower
// one, as a spike.
TEST(BottlenecksE2E, UniformRunInventsNoBottleneck) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  BenchReport r;
  ASSERT_NO_FATAL_FAILURE(
      bench_and_report({"--stages", "2s:50,2s:100,2s:200,2s:400,3s:100", "--probes", "cpu,offcpu"}, {}, r));
  for (const auto& b : r.report["bottlenecks"]) {
    EXPECT_EQ(b["kind"], "runqueue") << b.dump()
                                     << "\nattribution: " << r.report["correlation"]["attribution"].dump()
                                     << "\nslowest requests: "
                                     << r.report["correlation"]["slow_requests"].dump();
    if (b["kind"] == "runqueue")
      EXPECT_NE(b["evidence"].get<std::string>().find("other processes took"), std::string::npos);
  }
  if (r.report["bottlenecks"].empty()) {
    EXPECT_EQ(r.report["verdict"]["summary"].get<std::string>().rfind("no clear constraint", 0), 0u);
    EXPECT_FALSE(r.report["verdict"]["constraint_found"].get<bool>());
    EXPECT_NE(r.markdown.find("**no clear constraint"), std::string::npos);
  }
  const auto& m = r.report["capacity_model"];
  ASSERT_TRUE(m.is_object()) << r.report.dump().substr(0, 1000);
  EXPECT_EQ(m["source"], "stages");
  ASSERT_EQ(m["points"].size(), 4u) << m.dump();
  EXPECT_EQ(m["points"][3]["offered_rps"].get<double>(), 400);
  EXPECT_NEAR(m["points"][3]["throughput_rps"].get<double>(), 400, 40);
  EXPECT_TRUE(m["usl"].is_object()) << m["usl_note"];
  ASSERT_EQ(m["spikes"].size(), 1u) << m.dump();
  EXPECT_EQ(m["spikes"][0]["from_rps"].get<double>(), 200);
  EXPECT_EQ(m["spikes"][0]["to_rps"].get<double>(), 400);
  EXPECT_NEAR(m["spikes"][0]["watched_s"].get<double>(), 3, 1.01);
  std::cerr << "capacity model: " << m.dump() << "\n";
}

// The cpu probe alone, a uniform load: nothing to name, and the kinds the
// capture could not look for are listed with why.
TEST(BottlenecksE2E, CpuOnlyUniformRunSaysNoClearConstraint) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  BenchReport r;
  ASSERT_NO_FATAL_FAILURE(bench_and_report(steady(), {}, r));
  EXPECT_TRUE(r.report["bottlenecks"].empty()) << r.report["bottlenecks"].dump();
  EXPECT_EQ(r.report["verdict"]["summary"].get<std::string>().rfind("no clear constraint", 0), 0u);
  bool lock_listed = false;
  for (const auto& n : r.report["verdict"]["not_checked"])
    if (n["kind"] == "lock") lock_listed = n["reason"].get<std::string>().find("offcpu") != std::string::npos;
  EXPECT_TRUE(lock_listed) << r.report["verdict"].dump();
}

}  // namespace
}  // namespace loadprof::analyze
