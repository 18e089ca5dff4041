// End-to-end: `loadprof record -- resource_steps` (real BPF, a real process)
// and the report's resource timeline against the steps the program took and
// timed itself: RSS growth, bytes written with fsync, fds opened, threads
// spawned, CPU of a busy loop.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "loadprof/analyze/target_cpu.h"
#include "loadprof/capture/reader.h"
#include "support/privilege.h"
#include "support/run.h"

using namespace loadprof;
using loadprof::testing::loadprof_binary;
using loadprof::testing::run;
using loadprof::testing::test_program;

namespace {

constexpr uint64_t kSecondNs = 1'000'000'000;

uint64_t u64(std::map<std::string, std::string>& truth, const char* key) { return std::stoull(truth[key]); }

class ResourcesE2E : public ::testing::Test {
 protected:
  void SetUp() override { LOADPROF_REQUIRE_BPF_PRIVILEGES(); }
};

}  // namespace

TEST_F(ResourcesE2E, TimelineShowsTheStepsTheProgramTook) {
  const std::string dir = loadprof::testing::temp_dir();
  const std::string cap = dir + "/cap.lpc";
  auto rec = run({loadprof_binary(), "record", "--output", cap, "--", test_program("resource_steps"), dir});
  ASSERT_EQ(rec.exit_code, 0) << rec.err;
  auto lines = loadprof::testing::ground_truth_lines(rec.out, "resource_steps");
  ASSERT_EQ(lines.size(), 1u) << rec.out;
  auto truth = lines.front();

  auto capture = capture::read_capture(cap);
  ASSERT_TRUE(capture.ok()) << capture.error().message;
  const uint64_t s0 = capture->metadata.start_monotonic_ns;
  auto report = run({loadprof_binary(), "report", cap, "--format", "json"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  const auto json = nlohmann::json::parse(report.out);
  ASSERT_TRUE(json.contains("resources")) << report.out.substr(0, 2000);
  const auto& rows = json["resources"];
  ASSERT_GE(rows.size(), 6u);
  std::string table;
  for (const auto& r : rows) table += r.dump() + "\n";
  SCOPED_TRACE(table + rec.out);

  const uint64_t start_ns = u64(truth, "start_ns"), step_ns = u64(truth, "step_ns");
  const uint64_t step_done_ns = u64(truth, "step_done_ns"), end_ns = u64(truth, "end_ns");
  auto second_start = [&](const nlohmann::json& r) { return s0 + r["t_s"].get<uint64_t>() * kSecondNs; };
  // The first second shows the program after its exec (read again then), not loadprof's fork before it.
  EXPECT_EQ(rows[0]["t_s"], 0);
  EXPECT_GT(rows[0]["rss_bytes"].get<uint64_t>(), 0u);
  EXPECT_EQ(rows[0]["threads"], 1);

  // Before the step: the first second that starts after the program began
  // (its reading comes at the start of the second, well before the step 1.5 s in).
  uint64_t rss_before = UINT64_MAX;
  bool checked_before = false;
  uint64_t rss_after = 0, write_bytes = 0, rx = 0, tx = 0, voluntary = 0;
  double cpu_s = 0, peak_cpu_pct = 0;
  int rows_after = 0;
  for (const auto& r : rows) {
    const uint64_t t = second_start(r);
    write_bytes += r["write_bytes"].get<uint64_t>();
    rx += r["net_rx_bytes"].get<uint64_t>();
    tx += r["net_tx_bytes"].get<uint64_t>();
    ASSERT_FALSE(r["voluntary_ctxsw"].is_null()) << "taskstats unavailable (run as root)";
    voluntary += r["voluntary_ctxsw"].get<uint64_t>();
    cpu_s += r["cpu_pct"].get<double>() / 100.0;
    peak_cpu_pct = std::max(peak_cpu_pct, r["cpu_pct"].get<double>());
    EXPECT_LE(r["machine_cpu_pct"].get<double>(), 100.0);
    EXPECT_GT(r["machine_mem_available_bytes"].get<uint64_t>(), 0u);
    if (t >= start_ns && t + kSecondNs / 2 < step_ns) {
      if (!checked_before) {
        EXPECT_EQ(r["threads"].get<uint32_t>(), 1u) << "t_s " << r["t_s"];
        EXPECT_LT(r["fds"].get<uint32_t>(), 20u) << "t_s " << r["t_s"];
        checked_before = true;
      }
      rss_before = std::min(rss_before, r["rss_bytes"].get<uint64_t>());
    }
    if (t >= step_done_ns && t + kSecondNs <= end_ns) {
      ++rows_after;
      EXPECT_EQ(r["threads"].get<uint32_t>(), 1 + u64(truth, "threads_spawned")) << "t_s " << r["t_s"];
      EXPECT_GE(r["fds"].get<uint64_t>(), u64(truth, "fds_opened")) << "t_s " << r["t_s"];
      rss_after = std::max(rss_after, r["rss_bytes"].get<uint64_t>());
    }
  }
  ASSERT_TRUE(checked_before);
  ASSERT_GE(rows_after, 3);
  const double growth = static_cast<double>(rss_after) - static_cast<double>(rss_before);
  const double grow = static_cast<double>(u64(truth, "grow_bytes"));
  EXPECT_NEAR(growth, grow, 0.2 * grow) << "RSS " << rss_before << " -> " << rss_after;
  EXPECT_GE(write_bytes, u64(truth, "write_bytes"));
  // Loopback traffic of the namespace: at least what the program sent itself (others' may add to it).
  EXPECT_GE(rx, u64(truth, "net_bytes"));
  EXPECT_GE(tx, u64(truth, "net_bytes"));
  // Voluntary switches of all its threads against its own getrusage (which also counts the few before
  // the first reading and after the last).
  const double vol = static_cast<double>(u64(truth, "voluntary_ctxsw"));
  EXPECT_NEAR(static_cast<double>(voluntary), vol, 0.25 * vol);

  // CPU: the timeline's total against the process's own CPU time; the second
  // wholly inside the 2-s busy loop against the loop's own CPU share (~100 %
  // on a quiet machine, less when other work takes a CPU from it).
  const double total_cpu_s = static_cast<double>(u64(truth, "total_cpu_ns")) / 1e9;
  EXPECT_NEAR(cpu_s, total_cpu_s, 0.25 * total_cpu_s);
  const uint64_t busy_start = u64(truth, "busy_start_ns"), busy_end = u64(truth, "busy_end_ns");
  const double loop_pct =
      static_cast<double>(u64(truth, "busy_cpu_ns")) * 100.0 / static_cast<double>(busy_end - busy_start);
  EXPECT_NEAR(peak_cpu_pct, loop_pct, 25.0);
  // The per-stage function bench calls: over the loop's middle it sees one whole reading inside the loop.
  const uint64_t mid = busy_start + (busy_end - busy_start) / 2;
  auto mid_pct = analyze::target_cpu_pct(*capture, mid - 10'000'000, mid + 10'000'000);
  ASSERT_TRUE(mid_pct.has_value());
  EXPECT_NEAR(*mid_pct, loop_pct, 25.0);
  // Idle after the loop: the target took (almost) no CPU.
  auto idle_pct = analyze::target_cpu_pct(*capture, busy_end + 1'100'000'000, end_ns - 100'000'000);
  if (idle_pct) {
    EXPECT_LT(*idle_pct, 10.0);
  }
  std::printf(
      "resources: RSS +%.1f MiB (program: +%.1f MiB), written %llu bytes, busy loop %.1f %% "
      "(program: %.1f %%, mid-loop %.1f %%), CPU %.3f s (program: %.3f s), voluntary switches %llu "
      "(program: %.0f), loopback rx %llu tx %llu\n",
      growth / 1048576.0, grow / 1048576.0, static_cast<unsigned long long>(write_bytes), peak_cpu_pct,
      loop_pct, *mid_pct, cpu_s, total_cpu_s, static_cast<unsigned long long>(voluntary), vol,
      static_cast<unsigned long long>(rx), static_cast<unsigned long long>(tx));
}

// Without CAP_NET_ADMIN (dropped with setpriv, as root) taskstats refuses the
// query: the context switches are null in report.json, and report.md says they
// were not counted, rather than showing 0.
TEST_F(ResourcesE2E, WithoutNetAdminContextSwitchesAreNullNotZero) {
  const std::string dir = loadprof::testing::temp_dir();
  const std::string cap = dir + "/cap.lpc";
  auto rec = run({"setpriv", "--bounding-set=-net_admin", "--inh-caps=-net_admin", "--", loadprof_binary(),
                  "record", "--output", cap, "--", test_program("sleeper"), "1.5"});
  ASSERT_EQ(rec.exit_code, 0) << rec.err;
  auto report = run({loadprof_binary(), "report", cap, "--format", "json"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  const auto json = nlohmann::json::parse(report.out);
  ASSERT_TRUE(json.contains("resources"));
  int read = 0;
  for (const auto& r : json["resources"]) {
    if (r["processes"].get<uint32_t>() == 0) continue;
    // Null where a reading fell in the second; 0 only in a second no reading's interval reached.
    if (r["voluntary_ctxsw"].is_null()) {
      ++read;
      EXPECT_TRUE(r["involuntary_ctxsw"].is_null()) << r.dump();
    } else {
      EXPECT_EQ(r["voluntary_ctxsw"], 0) << r.dump();
    }
    EXPECT_EQ(r["threads"].get<uint32_t>(), 1u) << r.dump();  // the rest is still read
  }
  EXPECT_GE(read, 1);
  auto md = run({loadprof_binary(), "report", cap});
  EXPECT_NE(md.out.find("| context switches | not counted in "), std::string::npos) << md.out;
  EXPECT_NE(md.out.find(" seconds (taskstats needs CAP_NET_ADMIN) |"), std::string::npos) << md.out;
}
