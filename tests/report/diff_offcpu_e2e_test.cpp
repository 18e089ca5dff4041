// End to end, real BPF: tests/programs/slow_server --lock benched with the
// offcpu probe, twice as the same build (the rebuilder holds the index lock
// 4 ms at a time) and once with a planted longer hold (16 ms). `loadprof
// diff` must call the longer hold an off-CPU regression at
// wait_for_index_lock and at [offcpu:lock] (exit 1) with the lock time the
// server measured itself (within 25 %), and pass the same build (exit 0).
// --output-dir writes diff.html with the offcpu table and graph inline.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "report/schema_check.h"
#include "support/privilege.h"
#include "support/run.h"

using loadprof::testing::loadprof_binary;
using loadprof::testing::run;
using loadprof::testing::test_program;
using json = nlohmann::json;

namespace {

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

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

struct Benched {
  std::string path;
  std::map<std::string, std::string> truth;
};

// 200 req/s for 4 s over 4 connections, every 5th request takes the index lock.
Benched bench_lock(const std::string& dir, const std::string& name, const std::string& hold_ms) {
  Benched b;
  b.path = dir + "/" + name + ".lpc";
  const std::string port = std::to_string(free_port());
  auto r = run({loadprof_binary(),
                "bench",
                "http://127.0.0.1:" + port + "/",
                "--rate",
                "200",
                "--duration",
                "4s",
                "--connections",
                "4",
                "--threads",
                "1",
                "--probes",
                "cpu,offcpu",
                "--output",
                b.path,
                "--",
                test_program("slow_server"),
                "--port",
                port,
                "--lock",
                "--every",
                "5",
                "--hold-ms",
                hold_ms});
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;  // 1: an SLO term, data all the same
  auto truth = loadprof::testing::ground_truth_lines(r.out, "slow_server");
  EXPECT_EQ(truth.size(), 1u) << r.out << r.err;
  if (!truth.empty()) b.truth = truth[0];
  return b;
}

const json* share(const json& diff, const std::string& frame, const std::string& kind) {
  for (const auto& s : diff["stacks"])
    if (s["frame"] == frame && s["kind"] == kind) return &s;
  return nullptr;
}

class DiffOffCpuE2E : public ::testing::Test {
 protected:
  void SetUp() override { LOADPROF_REQUIRE_BPF_PRIVILEGES(); }
};

}  // namespace

TEST_F(DiffOffCpuE2E, LongerLockHoldIsAnOffCpuRegressionAtTheWaitingFunction) {
  const std::string dir = loadprof::testing::temp_dir();
  auto base = bench_lock(dir, "base", "4");
  auto same = bench_lock(dir, "same", "4");
  auto slow = bench_lock(dir, "slow", "16");
  ASSERT_FALSE(slow.truth.empty());
  const std::string schema = std::string(LOADPROF_SOURCE_DIR) + "/docs/diff.schema.json";

  // Same build: no off-CPU figure is a regression.
  auto same_diff = run(
      {loadprof_binary(), "diff", base.path, same.path, "--kind", "offcpu", "--json", dir + "/same.json"});
  const json sj = json::parse(slurp(dir + "/same.json"));
  EXPECT_EQ(sj["samples"]["offcpu"]["verdict"], "no_change") << same_diff.out;
  // Not its exit code: bench captures also compare latency, whose same-build false alarms on a busy machine
  // are their own benchmark (bench/diff/latency_false_positives.sh, DIFF.md).
  for (const auto& s : sj["stacks"]) EXPECT_NE(s["verdict"], "regression") << s.dump();
  LOADPROF_EXPECT_VALID_JSON(loadprof::testing::validate_json_text_against(
      dir, "same-check.json", slurp(dir + "/same.json"), schema));

  // Longer hold: exit 1; the off-CPU regression names the lock and the function that waited.
  auto slow_diff = run({loadprof_binary(), "diff", base.path, slow.path, "--json", dir + "/slow.json",
                        "--output-dir", dir + "/out"});
  EXPECT_EQ(slow_diff.exit_code, 1) << slow_diff.out << slow_diff.err;
  const json j = json::parse(slurp(dir + "/slow.json"));
  EXPECT_EQ(j["samples"]["offcpu"]["verdict"], "regression") << slow_diff.out;
  EXPECT_EQ(j["samples"]["offcpu"]["weight"], "ns");
  const json* lock = share(j, "[offcpu:lock]", "offcpu");
  ASSERT_NE(lock, nullptr) << slow_diff.out;
  EXPECT_EQ((*lock)["verdict"], "regression") << lock->dump();
  const json* wait = share(j, "wait_for_index_lock", "offcpu");
  ASSERT_NE(wait, nullptr) << slow_diff.out;
  EXPECT_EQ((*wait)["verdict"], "regression") << wait->dump();
  EXPECT_EQ((*wait)["share"], "total");
  // Its off-CPU time is the lock wait the server measured (wait_for_index_lock's clock), within 25 %.
  const double recorded_ms = (*wait)["new_samples"].get<double>() / 1e6;
  const double measured_ms = std::stod(slow.truth.at("lock_wait_ms"));
  std::printf("wait_for_index_lock off-CPU: %.1f ms recorded, %.1f ms measured; share %.2f -> %.2f %%\n",
              recorded_ms, measured_ms, (*wait)["base_pct"].get<double>(), (*wait)["new_pct"].get<double>());
  EXPECT_NEAR(recorded_ms, measured_ms, measured_ms * 0.25);
  // No other reason grew, and nothing grew by more than the lock's time: the other regressions are the frames
  // on the lock's path (serve_connection, parse_requests, libc's futex_wait, the kernel's futex frames).
  const double lock_delta = (*lock)["delta_pct_points"].get<double>();
  for (const auto& s : j["stacks"]) {
    if (s["kind"] != "offcpu" || s["verdict"] != "regression") continue;
    const std::string f = s["frame"];
    if (f.rfind("[offcpu:", 0) == 0) EXPECT_EQ(f, "[offcpu:lock]") << s.dump();
    EXPECT_LE(s["delta_pct_points"].get<double>(), lock_delta + 0.5) << s.dump();
  }
  LOADPROF_EXPECT_VALID_JSON(loadprof::testing::validate_json_text_against(
      dir, "slow-check.json", slurp(dir + "/slow.json"), schema));
  EXPECT_NE(slow_diff.out.find("## offcpu time (% of wall time)"), std::string::npos) << slow_diff.out;
  const std::string html = slurp(dir + "/out/diff.html");
  EXPECT_NE(html.find("<h2 id=\"offcpu\">Off-CPU time: regression</h2>"), std::string::npos);
  EXPECT_NE(html.find("wait_for_index_lock"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(slurp(dir + "/out/offcpu.diff.svg").find("wait_for_index_lock"), std::string::npos);
  const auto xml = loadprof::testing::run_command("xmllint --noout " + dir + "/out/diff.html");
  EXPECT_EQ(xml.exit_code, 0) << xml.output;
}
