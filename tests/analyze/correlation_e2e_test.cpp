// End to end, real BPF: `loadprof record -- cpu_server --slow-every 10` while
// the load driver (the library, in this process: CLOCK_MONOTONIC on both
// sides, as in `bench`) sends it requests; the driver's request log is added
// to the recorded capture and the correlation must name burn_slow_request as
// what the slowest requests do, with the server's own count of the CPU time
// it burnt there as ground truth. Then the same through `loadprof bench`
// (launched and --pid) and `loadprof report --output-dir`.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "loadprof/analyze/correlation.h"
#include "loadprof/capture/reader.h"
#include "loadprof/load/driver.h"
#include "report/schema_check.h"
#include "support/privilege.h"
#include "support/run.h"

namespace loadprof::analyze {
namespace {

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

bool accepts(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

class KeepAll : public load::RequestSink {
 public:
  void consume(std::span<const load::RequestRecord> records) override {
    std::lock_guard lock(mutex_);
    records_.insert(records_.end(), records.begin(), records.end());
  }
  std::vector<load::RequestRecord> records_;
  std::mutex mutex_;
};

capture::RequestRecord to_capture(const load::RequestRecord& r) {
  capture::RequestRecord c;
  c.intended_start_ns = static_cast<uint64_t>(r.intended_ns);
  c.actual_start_ns = static_cast<uint64_t>(r.start_ns);
  c.connect_ns = static_cast<uint64_t>(r.connect_ns);
  c.first_byte_ns = static_cast<uint64_t>(r.first_byte_ns);
  c.end_ns = static_cast<uint64_t>(r.end_ns);
  c.status = r.status;
  c.error_class = static_cast<uint8_t>(r.error);
  c.bytes = static_cast<uint32_t>(r.bytes_in);
  c.connection_id = r.connection_id;
  c.local_port = r.local_port;
  c.stage = r.stage;
  c.step = static_cast<uint16_t>(r.scenario_step);
  return c;
}

bool wait_until_accepts(uint16_t port) {
  for (int i = 0; i < 500; ++i) {
    if (accepts(port)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// Drives port at rate_rps for seconds; every request goes to sink.
Result<load::LoadResult> drive(uint16_t port, int rate_rps, int seconds, load::RequestSink& sink) {
  load::LoadConfig config;
  LOADPROF_TRY(url, load::parse_url("http://127.0.0.1:" + std::to_string(port) + "/"));
  config.url = url;
  config.request = load::format_request(config.url, {});
  config.threads = 1;
  config.connections = 16;
  config.stages = {{seconds * 1'000'000'000LL, static_cast<double>(rate_rps), static_cast<double>(rate_rps)}};
  config.sink = &sink;
  return load::run_load(config);
}

// Two servers in one recording: 6 s of load on a plain one, then 2 s on one
// where every 4th request burns 20 ms. The windows of the second part are
// slow (p99 >= 20 ms against ~1 ms: the median window is a plain one, which
// would need a p99 above 13 ms to move the threshold past them; with as many
// slow windows as fast the median is a slow one, so the rule needs fewer),
// and burn_slow_request is in their samples only: it must lead the ranking
// and the slow-vs-fast graph.
TEST(CorrelationE2E, SlowWindowsAreNamedByTheFunctionThatBurns) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  const uint16_t plain = free_port(), burning = free_port();
  ASSERT_NE(plain, burning);
  const std::string path = testing::temp_dir() + "/cap.lpc";
  const std::string server = test_program("cpu_server");
  // The plain one does 10x the default hashing per request (~0.3 ms of CPU), so
  // that its windows have enough samples to enter the rank correlation.
  const std::string script = server + " --port " + std::to_string(plain) + " --work 20000 & " + server +
                             " --port " + std::to_string(burning) + " --slow-every 4 --slow-ms 20; wait";
  testing::RunResult recorded;
  std::thread recorder([&] {
    recorded = testing::run({loadprof_binary(), "record", "--frequency", std::to_string(kFrequencyHz),
                             "--duration", "13s", "--output", path, "--", "sh", "-c", script});
  });
  const bool up = wait_until_accepts(plain) && wait_until_accepts(burning);
  KeepAll sink;
  Result<load::LoadResult> first = make_error(ErrorKind::internal, "not run"), second = first;
  if (up) {
    first = drive(plain, 100, 6, sink);
    if (first.ok()) second = drive(burning, 100, 2, sink);
  }
  recorder.join();
  ASSERT_TRUE(up) << "cpu_server never listened: " << recorded.err;
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_TRUE(second.ok()) << second.error().message;
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
  EXPECT_EQ(testing::ground_truth_lines(recorded.out, "cpu_server").size(), 2u) << recorded.out;

  auto read = capture::read_capture(path);
  ASSERT_TRUE(read.ok()) << read.error().message;
  capture::Capture c = std::move(*read);
  for (const auto& r : sink.records_) c.requests.push_back(to_capture(r));

  const auto corr = correlate(c);
  ASSERT_TRUE(corr);
  EXPECT_GE(corr->slow_windows, 2u);
  EXPECT_GE(corr->fast_windows, 5u);
  ASSERT_FALSE(corr->stacks.empty());
  const CorrelatedFunction& top = corr->stacks.front();
  EXPECT_EQ(top.frame, "burn_slow_request");
  EXPECT_EQ(top.kind, "cpu");
  EXPECT_LE(top.fast_share_pct, 2.0);
  EXPECT_GE(top.slow_share_pct, 50.0);
  ASSERT_TRUE(top.rank_correlation);
  EXPECT_GE(*top.rank_correlation, 0.6);
  uint64_t slow_burn = 0, slow_all = 0, fast_burn = 0, fast_all = 0;
  for (const auto& l : corr->slow_windows_folded) {
    slow_all += l.count;
    if (l.stack.find("burn_slow_request") != std::string::npos) slow_burn += l.count;
  }
  for (const auto& l : corr->fast_windows_folded) {
    fast_all += l.count;
    if (l.stack.find("burn_slow_request") != std::string::npos) fast_burn += l.count;
  }
  EXPECT_GE(slow_burn * 2, slow_all);
  EXPECT_LE(fast_burn * 50, fast_all);
  std::cerr << "windows " << corr->slow_windows << " slow / " << corr->fast_windows << " fast (threshold "
            << corr->slow_threshold_ms.value_or(-1) << " ms); burn_slow_request " << top.fast_share_pct
            << " % -> " << top.slow_share_pct << " %, rank correlation " << top.rank_correlation.value_or(-9)
            << "; slow windows " << slow_burn << " of " << slow_all << " samples in it, fast windows "
            << fast_burn << " of " << fast_all << "\n";
  for (const auto& w : corr->windows) {
    std::cerr << "  t " << w.t_s << " s: " << w.requests << " requests, p99 " << w.p99_ms.value_or(-1)
              << " ms, " << w.cpu_samples << " samples" << (w.slow ? (*w.slow ? ", slow" : ", fast") : "")
              << "\n";
  }
}

TEST(CorrelationE2E, SlowestRequestsAreNamedByTheFunctionThatBurns) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  const uint16_t port = free_port();
  const std::string path = testing::temp_dir() + "/cap.lpc";
  testing::RunResult recorded;
  std::thread recorder([&] {
    recorded =
        testing::run({loadprof_binary(), "record", "--frequency", std::to_string(kFrequencyHz), "--duration",
                      std::to_string(kLoadSeconds + 4) + "s", "--output", path, "--",
                      test_program("cpu_server"), "--port", std::to_string(port), "--work", "50",
                      "--slow-every", std::to_string(kSlowEvery), "--slow-ms", std::to_string(kBurnMs)});
  });
  bool up = false;
  for (int i = 0; i < 300 && !up; ++i) {
    up = accepts(port);
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  load::LoadResult result;
  KeepAll sink;
  if (up) {
    load::LoadConfig config;
    config.url = load::parse_url("http://127.0.0.1:" + std::to_string(port) + "/").value();
    config.request = load::format_request(config.url, {});
    config.threads = 1;
    config.connections = 16;
    config.stages = {{kLoadSeconds * 1'000'000'000LL, kRateRps, kRateRps}};
    config.sink = &sink;
    auto r = load::run_load(config);
    ASSERT_TRUE(r.ok()) << r.error().message;
    result = std::move(*r);
  }
  recorder.join();
  ASSERT_TRUE(up) << "cpu_server never listened on " << port << ": " << recorded.err;
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
  const auto truth = testing::ground_truth_lines(recorded.out, "cpu_server");
  ASSERT_EQ(truth.size(), 1u) << recorded.out;
  const double slow_cpu_ms = std::stod(truth[0].at("slow_cpu_ns")) / 1e6;
  const uint64_t slow_served = std::stoull(truth[0].at("slow_requests"));

  auto read = capture::read_capture(path);
  ASSERT_TRUE(read.ok()) << read.error().message;
  capture::Capture c = std::move(*read);
  for (const auto& r : sink.records_) c.requests.push_back(to_capture(r));
  ASSERT_GE(c.requests.size(), static_cast<size_t>(kRateRps * kLoadSeconds * 9 / 10));
  EXPECT_EQ(result.errors, 0u);

  const auto corr = correlate(c);
  ASSERT_TRUE(corr);
  // Every window of the load holds ~20 burning requests of 200: its p99 is at least the burn.
  uint64_t judged = 0;
  for (const auto& w : corr->windows) {
    if (!w.slow) continue;
    ++judged;
    EXPECT_GE(*w.p99_ms, kBurnMs * 0.95) << "window at " << w.t_s << " s";
  }
  EXPECT_GE(judged, static_cast<uint64_t>(kLoadSeconds - 1));

  // Ground truth of the profile: the share of the server's samples in
  // burn_slow_request against the share of its CPU time it says it burnt
  // there (+-25 %; shares, so a sample the VM's steal time cost is no error).
  uint64_t burn_samples = 0, all_samples = 0;
  for (const auto& l : capture::folded_stacks(c, "cpu").value()) {
    all_samples += l.count;
    if (l.stack.find("burn_slow_request") != std::string::npos) burn_samples += l.count;
  }
  ASSERT_GT(all_samples, 0u);
  const double burn_share = static_cast<double>(burn_samples) / static_cast<double>(all_samples);
  const double true_share = slow_cpu_ms / (std::stod(truth[0].at("process_cpu_ns")) / 1e6);
  EXPECT_NEAR(burn_share, true_share, true_share * 0.25)
      << burn_samples << " of " << all_samples << " samples";
  EXPECT_NEAR(static_cast<double>(slow_served), static_cast<double>(c.requests.size()) / kSlowEvery, 3.0);

  // Attribution: the burning requests' samples fall inside them.
  const Attribution& at = corr->attribution;
  EXPECT_GE(at.attributed, at.in_requests * 8 / 10) << "in requests " << at.in_requests;
  ASSERT_TRUE(corr->slow_requests);
  const SlowRequests& sr = *corr->slow_requests;
  EXPECT_GE(sr.latency_threshold_ms, kBurnMs * 0.95);
  // The slowest 1 % are burning requests: ~12 of them, ~10 ms each at 999 Hz.
  EXPECT_GE(sr.slow_samples, 50u);
  ASSERT_FALSE(sr.functions.empty());
  EXPECT_EQ(sr.functions.front().frame, "burn_slow_request");
  EXPECT_GE(sr.functions.front().slow_share_pct, 80.0);
  EXPECT_LE(sr.functions.front().median_share_pct, 5.0);
  uint64_t folded_burn = 0, folded_all = 0;
  for (const auto& l : corr->slow_requests_folded) {
    folded_all += l.count;
    if (l.stack.find("burn_slow_request") != std::string::npos) folded_burn += l.count;
  }
  EXPECT_EQ(folded_all, sr.slow_samples);
  EXPECT_GE(folded_burn * 10, folded_all * 8);
  std::cerr << "requests " << c.requests.size() << ", windows judged " << judged << ", burn share "
            << burn_share << " of samples vs " << true_share << " of CPU time; attributed " << at.attributed
            << " of " << at.in_requests << " in requests (" << at.attributed_by_thread << " by thread, "
            << at.dedicated_threads << " threads); slowest " << sr.slow_requests
            << " requests >= " << sr.latency_threshold_ms << " ms, " << sr.slow_samples
            << " samples, burn_slow_request " << sr.functions.front().slow_share_pct << " % vs median "
            << sr.functions.front().median_share_pct << " %\n";
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `report --output-dir` on a bench capture of cpu_server --slow-every 10:
// report.json names burn_slow_request first among the slowest requests'
// functions, and slow-requests.svg/.folded are written with it in most of the
// slow side's samples.
void expect_bench_report_names_burn(const std::string& capture_path) {
  namespace fs = std::filesystem;
  const fs::path out = fs::path(capture_path).parent_path() / "out";
  auto rep = testing::run({loadprof_binary(), "report", capture_path, "--output-dir", out.string()});
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  const std::string report_json = read_text(out / "report.json");
  LOADPROF_EXPECT_VALID_JSON(testing::validate_json_text(out, "report.checked.json", report_json));
  const auto j = nlohmann::json::parse(report_json);
  ASSERT_TRUE(j.contains("correlation")) << j.dump().substr(0, 2000);
  const auto& corr = j["correlation"];
  EXPECT_GE(corr["requests"].get<uint64_t>(), static_cast<uint64_t>(kRateRps * kLoadSeconds * 9 / 10));
  const auto& sr = corr["slow_requests"];
  ASSERT_TRUE(sr.is_object()) << corr.dump().substr(0, 2000);
  EXPECT_GE(sr["slow_samples"].get<uint64_t>(), 50u) << sr.dump();
  EXPECT_EQ(sr["functions"][0]["frame"], "burn_slow_request") << sr.dump();
  EXPECT_GE(sr["functions"][0]["slow_share_pct"].get<double>(), 80.0) << sr.dump();
  EXPECT_LE(sr["functions"][0]["median_share_pct"].get<double>(), 5.0) << sr.dump();
  EXPECT_GE(sr["latency_threshold_ms"].get<double>(), kBurnMs * 0.95);
  const std::string folded = read_text(out / "slow-requests.folded");
  uint64_t burn = 0, all = 0;
  std::istringstream lines(folded);
  for (std::string line; std::getline(lines, line);) {
    const uint64_t n = std::stoull(line.substr(line.rfind(' ') + 1));
    all += n;
    if (line.find("burn_slow_request") != std::string::npos) burn += n;
  }
  EXPECT_GE(burn * 10, all * 8) << folded;
  const std::string svg = read_text(out / "slow-requests.svg");
  EXPECT_NE(svg.find("burn_slow_request"), std::string::npos);
  const std::string md = read_text(out / "report.md");
  EXPECT_NE(md.find("- Leads the slowest requests (>= p99): `burn_slow_request`"), std::string::npos) << md;
  std::cerr << "bench: " << corr["requests"] << " requests, attribution " << corr["attribution"].dump()
            << "; slowest " << sr["slow_requests"] << " requests, " << sr["slow_samples"]
            << " samples, burn_slow_request " << sr["functions"][0]["slow_share_pct"] << " % vs median "
            << sr["functions"][0]["median_share_pct"] << " %\n";
}

std::vector<std::string> bench_argv(uint16_t port, const std::string& path) {
  return {loadprof_binary(),
          "bench",
          "http://127.0.0.1:" + std::to_string(port) + "/",
          "--rate",
          std::to_string(kRateRps),
          "--duration",
          std::to_string(kLoadSeconds) + "s",
          "--connections",
          "16",
          "--threads",
          "1",
          "--frequency",
          std::to_string(kFrequencyHz),
          "--output",
          path};
}

TEST(CorrelationE2E, BenchLaunchedNamesTheFunctionOfTheSlowestRequests) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  const uint16_t port = free_port();
  const std::string path = testing::temp_dir() + "/cap.lpc";
  auto argv = bench_argv(port, path);
  for (const std::string& a : {std::string("--"), test_program("cpu_server"), std::string("--port"),
                               std::to_string(port), std::string("--slow-every"), std::to_string(kSlowEvery),
                               std::string("--slow-ms"), std::to_string(kBurnMs)})
    argv.push_back(a);
  auto bench = testing::run(argv);
  ASSERT_EQ(bench.exit_code, 0) << bench.err;
  expect_bench_report_names_burn(path);
}

TEST(CorrelationE2E, BenchByPidNamesTheFunctionOfTheSlowestRequests) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  const uint16_t port = free_port();
  const std::string path = testing::temp_dir() + "/cap.lpc";
  testing::RunResult server;
  std::thread serving([&] {
    server = testing::run({test_program("cpu_server"), "--port", std::to_string(port), "--slow-every",
                           std::to_string(kSlowEvery), "--slow-ms", std::to_string(kBurnMs), "--seconds",
                           std::to_string(kLoadSeconds + 8)});
  });
  const bool up = wait_until_accepts(port);
  testing::RunResult bench;
  if (up) {
    // The server's pid: the process listening on the port is our child's; find it by its command line.
    auto pids = testing::run({"pgrep", "-n", "-f", "cpu_server --port " + std::to_string(port) + " "});
    std::string pid = pids.out.substr(0, pids.out.find('\n'));
    auto argv = bench_argv(port, path);
    argv.push_back("--pid");
    argv.push_back(pid);
    bench = testing::run(argv);
    // The server outlives the bench by design (attach mode leaves it running); end it now rather
    // than wait out its --seconds.
    if (!pid.empty()) ::kill(std::stoi(pid), SIGTERM);
  }
  serving.join();
  ASSERT_TRUE(up);
  ASSERT_EQ(bench.exit_code, 0) << bench.err;
  expect_bench_report_names_burn(path);
}

// Issue 10's lock server: every 10th request waits for a mutex a background
// thread holds 16 ms of every 20. With the offcpu probe, the slowest
// requests' off-CPU time is lock wait, attributed through the threads that
// serve one connection: [offcpu:lock] leads, against ~0 in median requests.
TEST(CorrelationE2E, BenchWithOffCpuNamesTheLockWaitOfTheSlowestRequests) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  const uint16_t port = free_port();
  const std::string path = testing::temp_dir() + "/cap.lpc";
  auto argv = bench_argv(port, path);
  for (const std::string& a :
       {std::string("--probes"), std::string("cpu,offcpu"), std::string("--"), test_program("cpu_server"),
        std::string("--port"), std::to_string(port), std::string("--slow-every"), std::to_string(kSlowEvery),
        std::string("--slow-lock")})
    argv.push_back(a);
  auto bench = testing::run(argv);
  ASSERT_EQ(bench.exit_code, 0) << bench.err;
  const auto truth = testing::ground_truth_lines(bench.out, "cpu_server");
  namespace fs = std::filesystem;
  const fs::path out = fs::path(path).parent_path() / "out";
  auto rep = testing::run({loadprof_binary(), "report", path, "--output-dir", out.string()});
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  const auto j = nlohmann::json::parse(read_text(out / "report.json"));
  ASSERT_TRUE(j.contains("correlation"));
  const auto& corr = j["correlation"];
  const auto& sr = corr["slow_requests"];
  ASSERT_TRUE(sr.is_object()) << corr.dump().substr(0, 3000);
  std::cerr << "attribution " << corr["attribution"].dump() << "\nslow requests " << sr.dump().substr(0, 1500)
            << "\n";
  ASSERT_FALSE(sr["functions"].empty());
  EXPECT_EQ(sr["functions"][0]["frame"], "[offcpu:lock]") << sr.dump();
  EXPECT_EQ(sr["functions"][0]["kind"], "offcpu");
  // The lock's part of the slowest requests' off-CPU time varied 49-99.5 % over 5 quiet runs (17:10-17:20,
  // 2026-11-29): the claim is that it leads, far above the median requests' (<= 10 %), not its size.
  EXPECT_GE(sr["functions"][0]["slow_share_pct"].get<double>(), 40.0);
  EXPECT_LE(sr["functions"][0]["median_share_pct"].get<double>(), 10.0);
  // The lock waits the server measured happened inside requests of threads
  // serving one connection: most of it is attributed.
  if (!truth.empty()) {
    const double waited_ms = std::stod(truth[0].at("lock_wait_ns")) / 1e6;
    EXPECT_GE(corr["attribution"]["offcpu_attributed_ms"].get<double>(), waited_ms * 0.5)
        << "the server waited " << waited_ms << " ms";
  }
  const std::string md = read_text(out / "report.md");
  EXPECT_NE(md.find("- Leads the slowest requests (>= p99): `[offcpu:lock]`"), std::string::npos);
}

}  // namespace
}  // namespace loadprof::analyze
