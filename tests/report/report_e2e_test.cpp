// End-to-end, real BPF: programs of ours recorded by the loadprof binary, then
// `loadprof report --format json`: the stack-quality warning on a program
// built without frame pointers (and its absence on a frame-pointer one), and
// the by-process / by-thread / by-module tables against the CPU time each
// task measured itself; the pprof and speedscope exports against the folded
// output (go tool pprof reads ours). nginx, when installed, must get the warning too.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "report/go_pprof.h"
#include "report/schema_check.h"
#include "support/privilege.h"
#include "support/run.h"

using loadprof::testing::loadprof_binary;
using loadprof::testing::run;
using loadprof::testing::test_program;
using json = nlohmann::json;

namespace {

struct Recorded {
  loadprof::testing::RunResult record;
  json report;
  std::string report_text;
  std::string path;
};

Recorded record_and_report(const std::vector<std::string>& command,
                           const std::vector<std::string>& extra = {}) {
  Recorded r;
  r.path = loadprof::testing::temp_dir() + "/cap.lpc";
  std::vector<std::string> argv{loadprof_binary(), "record", "--frequency", "999", "--output", r.path};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back("--");
  argv.insert(argv.end(), command.begin(), command.end());
  r.record = run(argv);
  auto rep = run({loadprof_binary(), "report", r.path, "--format", "json"});
  EXPECT_EQ(rep.exit_code, 0) << rep.err;
  if (rep.exit_code == 0) r.report = json::parse(rep.out);
  r.report_text = rep.out;
  return r;
}

// GROUND_TRUTH lines of `program`, as key -> value maps.
std::vector<std::map<std::string, std::string>> ground_truth(const std::string& out,
                                                             const std::string& program) {
  return loadprof::testing::ground_truth_lines(out, program);
}

class ReportE2E : public ::testing::Test {
 protected:
  void SetUp() override { LOADPROF_REQUIRE_BPF_PRIVILEGES(); }
};

TEST_F(ReportE2E, ProgramWithoutFramePointersIsNamedWithItsShare) {
  // Frame pointers only: DWARF unwinding (the default) finds the callers (dwarf_e2e_test).
  auto r = record_and_report({test_program("nofp"), "2"}, {"--unwind", "fp"});
  ASSERT_EQ(r.record.exit_code, 0) << r.record.err;
  ASSERT_FALSE(ground_truth(r.record.out, "nofp").empty()) << r.record.out;
  // At record time, on stderr.
  EXPECT_NE(r.record.err.find("poor stacks"), std::string::npos) << r.record.err;
  EXPECT_NE(r.record.err.find("stop in nofp ("), std::string::npos) << r.record.err;
  EXPECT_NE(r.record.err.find("-fno-omit-frame-pointer"), std::string::npos) << r.record.err;
  // In the report: all of its CPU time is under a 9-deep chain, and the walk never gets there.
  const json& q = r.report["stack_quality"];
  ASSERT_GT(q["user_samples"].get<uint64_t>(), 500u) << q.dump();
  EXPECT_TRUE(q["poor"].get<bool>());
  EXPECT_GE(q["stopped_early_pct"].get<double>(), 90.0) << q.dump();
  ASSERT_FALSE(q["modules"].empty());
  EXPECT_EQ(q["modules"][0]["module"], "nofp");
  EXPECT_GE(q["modules"][0]["stopped_early_pct"].get<double>(), 90.0) << q.dump();
  ASSERT_FALSE(r.report["warnings"].empty());
  EXPECT_NE(r.report["warnings"][0].get<std::string>().find("nofp ("), std::string::npos);
  EXPECT_TRUE(r.report["top_stacks"][0]["truncated"].get<bool>());
  EXPECT_TRUE(r.report["top_stacks"][0]["stopped_early"].get<bool>());
  std::printf("nofp: %.2f %% of stacks stopped early, %.2f %% in nofp\n",
              q["stopped_early_pct"].get<double>(), q["modules"][0]["stopped_early_pct"].get<double>());
  // The Markdown report says it first and has its own section.
  auto md = run({loadprof_binary(), "report", r.path});
  EXPECT_EQ(md.out.find("> **Warning:** poor stacks"), md.out.find("> **Warning:**")) << md.out;
  EXPECT_NE(md.out.find("## Stack quality"), std::string::npos);
  LOADPROF_EXPECT_VALID_JSON(
      loadprof::testing::validate_json_text(loadprof::testing::temp_dir(), "report.json", r.report_text));
}

TEST_F(ReportE2E, FramePointerProgramGetsNoWarning) {
  auto r = record_and_report({test_program("hot"), "2"});
  ASSERT_EQ(r.record.exit_code, 0) << r.record.err;
  EXPECT_EQ(r.record.err.find("poor stacks"), std::string::npos) << r.record.err;
  const json& q = r.report["stack_quality"];
  ASSERT_GT(q["user_samples"].get<uint64_t>(), 500u) << q.dump();
  EXPECT_FALSE(q["poor"].get<bool>());
  EXPECT_LT(q["stopped_early_pct"].get<double>(), 2.0) << q.dump();
  EXPECT_GE(q["reached_root_pct"].get<double>(), 95.0) << q.dump();
  for (const auto& w : r.report["warnings"])
    EXPECT_EQ(w.get<std::string>().find("poor stacks"), std::string::npos);
}

// shares: a busy thread, a half-busy thread and a quarter-busy child process,
// each measuring its own CPU time. Sample shares must match those within 5 points.
TEST_F(ReportE2E, ByProcessAndThreadMatchTheTasksOwnCpuTime) {
  auto r = record_and_report({test_program("shares"), "3"});
  ASSERT_EQ(r.record.exit_code, 0) << r.record.err;
  auto truth = ground_truth(r.record.out, "shares");
  ASSERT_EQ(truth.size(), 3u) << r.record.out;
  double total_ns = 0;
  for (auto& t : truth) total_ns += std::stod(t["cpu_ns"]);
  std::map<uint32_t, uint64_t> thread_samples, process_samples;
  uint64_t all = 0;
  for (const auto& t : r.report["by_thread"])
    thread_samples[t["tid"].get<uint32_t>()] = t["samples"].get<uint64_t>();
  for (const auto& p : r.report["by_process"]) {
    process_samples[p["pid"].get<uint32_t>()] = p["samples"].get<uint64_t>();
    all += p["samples"].get<uint64_t>();
  }
  ASSERT_GT(all, 500u);
  std::map<uint32_t, double> process_truth;
  for (auto& t : truth) {
    const uint32_t tid = static_cast<uint32_t>(std::stoul(t["tid"]));
    const double truth_pct = 100.0 * std::stod(t["cpu_ns"]) / total_ns;
    process_truth[static_cast<uint32_t>(std::stoul(t["pid"]))] += truth_pct;
    ASSERT_TRUE(thread_samples.count(tid)) << "thread " << tid << " (" << t["role"] << ") missing";
    // Share of the report's own samples: its by_thread share_pct is of the same total.
    const double sampled_pct = 100.0 * static_cast<double>(thread_samples[tid]) / static_cast<double>(all);
    std::printf("%s tid %u: sampled %.2f %%, measured %.2f %%\n", t["role"].c_str(), tid, sampled_pct,
                truth_pct);
    EXPECT_NEAR(sampled_pct, truth_pct, 5.0) << t["role"];
  }
  for (const auto& [pid, truth_pct] : process_truth) {
    const double sampled_pct = 100.0 * static_cast<double>(process_samples[pid]) / static_cast<double>(all);
    EXPECT_NEAR(sampled_pct, truth_pct, 5.0) << "pid " << pid;
  }
  // Threads by their own names: the half thread and the child renamed themselves (comm) before burning.
  std::map<uint32_t, std::string> comm;
  for (const auto& t : r.report["by_thread"]) comm[t["tid"].get<uint32_t>()] = t["comm"].get<std::string>();
  for (auto& t : truth) {
    const std::string expected = t["role"] == "busy" ? "shares" : t["role"];
    EXPECT_EQ(comm[static_cast<uint32_t>(std::stoul(t["tid"]))], expected) << t["role"];
  }
}

// dlopen_host burns library_share_pct of its CPU in libloadprof_burn.so: the
// by-module table shows it, and --group-by module folds its frames into one.
TEST_F(ReportE2E, ByModuleAndGroupByModule) {
  auto r = record_and_report({test_program("dlopen_host"), "2"});
  ASSERT_EQ(r.record.exit_code, 0) << r.record.err;
  auto truth = ground_truth(r.record.out, "dlopen_host");
  ASSERT_EQ(truth.size(), 1u) << r.record.out;
  const double truth_pct = std::stod(truth[0]["library_share_pct"]);
  double lib_pct = -1;
  for (const auto& m : r.report["by_module"]) {
    if (m["module"] == "libloadprof_burn.so") lib_pct = m["self_pct"].get<double>();
  }
  std::printf("libloadprof_burn.so: %.2f %% self, measured %.2f %%\n", lib_pct, truth_pct);
  EXPECT_NEAR(lib_pct, truth_pct, 6.0);

  auto folded = run({loadprof_binary(), "report", r.path, "--format", "folded", "--group-by", "module"});
  ASSERT_EQ(folded.exit_code, 0) << folded.err;
  EXPECT_NE(folded.out.find(";dlopen_host;libloadprof_burn.so "), std::string::npos) << folded.out;
  EXPECT_EQ(folded.out.find("library_hot"), std::string::npos) << folded.out;
  auto js = run({loadprof_binary(), "report", r.path, "--format", "json", "--group-by", "module"});
  ASSERT_EQ(js.exit_code, 0) << js.err;
  const json j = json::parse(js.out);
  EXPECT_EQ(j["group_by"], "module");
  EXPECT_EQ(j["top_functions"]["by_self"][0]["name"], "libloadprof_burn.so");
  auto bad = run({loadprof_binary(), "report", r.path, "--group-by", "file"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown --group-by 'file'"), std::string::npos) << bad.err;
}

// Self share (%) of the frame `leaf` in folded text ("root;...;leaf COUNT" lines).
double folded_self_pct(const std::string& folded, const std::string& leaf) {
  std::istringstream lines(folded);
  std::string line;
  double total = 0, self = 0;
  while (std::getline(lines, line)) {
    const size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    const double count = std::stod(line.substr(space + 1));
    const std::string stack = line.substr(0, space);
    const size_t semi = stack.rfind(';');
    total += count;
    // A line without ';' is a sample without a stack: only the process (which may be named like leaf).
    if (semi != std::string::npos && stack.substr(semi + 1) == leaf) self += count;
  }
  return total > 0 ? 100.0 * self / total : -1;
}

// hot at 999 Hz: go tool pprof -top on our pprof export shows hot's flat share
// within 1 point of our folded output's, and the speedscope export (valid
// against speedscope's schema) gives the same share.
TEST_F(ReportE2E, PprofAndSpeedscopeExportsMatchTheFoldedShares) {
  auto r = record_and_report({test_program("hot"), "2"});
  ASSERT_EQ(r.record.exit_code, 0) << r.record.err;
  auto truth = ground_truth(r.record.out, "hot");
  ASSERT_EQ(truth.size(), 1u) << r.record.out;
  auto folded = run({loadprof_binary(), "report", r.path, "--format", "folded", "--kind", "cpu"});
  ASSERT_EQ(folded.exit_code, 0) << folded.err;
  const double folded_pct = folded_self_pct(folded.out, "hot");
  ASSERT_GT(folded_pct, 20.0) << folded.out;

  auto pprof = run({loadprof_binary(), "report", r.path, "--format", "pprof", "--kind", "cpu"});
  ASSERT_EQ(pprof.exit_code, 0) << pprof.err;
  const std::string pb = loadprof::testing::temp_dir() + "/cpu.pb.gz";
  std::ofstream(pb, std::ios::binary) << pprof.out;
  auto top = loadprof::testing::go_pprof_top(pb);
  LOADPROF_REQUIRE_GO_PPROF(top);
  ASSERT_TRUE(top.flat_pct.count("hot")) << top.output;
  std::printf("hot: go tool pprof flat %.2f %%, folded %.2f %%, measured by hot itself %s %%\n",
              top.flat_pct["hot"], folded_pct, truth[0]["hot_share_pct"].c_str());
  EXPECT_NEAR(top.flat_pct["hot"], folded_pct, 1.0) << top.output;
  EXPECT_NEAR(top.flat_pct["hot"], std::stod(truth[0]["hot_share_pct"]), 5.0) << top.output;
  EXPECT_NE(top.output.find("Type: cpu"), std::string::npos) << top.output;
  EXPECT_EQ(top.output.rfind("File: hot\n", 0), 0u)
      << top.output;  // the main binary, not loadprof or a library

  auto ss = run({loadprof_binary(), "report", r.path, "--format", "speedscope"});
  ASSERT_EQ(ss.exit_code, 0) << ss.err;
  LOADPROF_EXPECT_VALID_JSON(
      loadprof::testing::validate_json_text_against(loadprof::testing::temp_dir(), "cpu.speedscope.json",
                                                    ss.out, loadprof::testing::speedscope_schema_path()));
  const json doc = json::parse(ss.out);
  double total = 0, hot = 0;
  for (const auto& p : doc["profiles"]) {
    for (size_t i = 0; i < p["samples"].size(); ++i) {
      const double w = p["weights"][i].get<double>();
      total += w;
      const auto& stack = p["samples"][i];
      if (!stack.empty() && doc["shared"]["frames"][stack.back().get<size_t>()]["name"] == "hot") hot += w;
    }
  }
  ASSERT_GT(total, 0);
  std::printf("hot: speedscope %.2f %%\n", 100.0 * hot / total);
  EXPECT_NEAR(100.0 * hot / total, folded_pct, 1.0);
}

uint16_t free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// Debian's nginx (no frame pointers), gzip on, under loadprof's own load
// driver: the case. Never installs nginx: skips when it is absent.
// With --unwind fp, as before DWARF unwinding (dwarf_e2e_test has the default).
TEST_F(ReportE2E, DistributionNginxGetsTheWarning) {
  const std::string nginx = "/usr/sbin/nginx";
  if (access(nginx.c_str(), X_OK) != 0) GTEST_SKIP() << "nginx is not installed";
  const std::string dir = loadprof::testing::temp_dir();
  const uint16_t port = free_port();
  mkdir((dir + "/www").c_str(), 0755);
  {
    std::ofstream page(dir + "/www/page.txt");
    for (int i = 0; i < 4000; ++i)
      page << "line " << i << " of a page that gzip compresses, again and again\n";
  }
  {
    std::ofstream conf(dir + "/nginx.conf");
    conf << "daemon off; master_process on; worker_processes 1; user root; pid " << dir << "/nginx.pid;\n"
         << "error_log " << dir << "/error.log;\nevents { worker_connections 64; }\n"
         << "http { access_log off; gzip on; gzip_types text/plain; gzip_min_length 0; gzip_comp_level 6;\n"
         << "  client_body_temp_path " << dir << "/t1; proxy_temp_path " << dir << "/t2; fastcgi_temp_path "
         << dir << "/t3; uwsgi_temp_path " << dir << "/t4; scgi_temp_path " << dir << "/t5;\n"
         << "  server { listen 127.0.0.1:" << port << "; root " << dir
         << "/www; default_type text/plain; } }\n";
  }
  // The load starts after nginx had a second to listen, and outlasts the recording.
  const std::string load =
      "sleep 1; exec '" + loadprof_binary() + "' load http://127.0.0.1:" + std::to_string(port) +
      "/page.txt --closed --connections 4 --duration 4s -H 'Accept-Encoding: gzip' >/dev/null";
  const pid_t loader = fork();
  if (loader == 0) {
    execl("/bin/sh", "sh", "-c", load.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  auto r = record_and_report({nginx, "-c", dir + "/nginx.conf", "-p", dir},
                             {"--duration", "4s", "--unwind", "fp"});
  int status = 0;
  waitpid(loader, &status, 0);
  ASSERT_EQ(r.record.exit_code, 0) << r.record.err;
  const json& q = r.report["stack_quality"];
  ASSERT_GT(q["user_samples"].get<uint64_t>(), 100u) << "nginx barely ran: " << q.dump();
  std::printf("nginx: %.2f %% stopped early; modules: %s\n", q["stopped_early_pct"].get<double>(),
              q["modules"].dump().c_str());
  EXPECT_TRUE(q["poor"].get<bool>()) << q.dump();
  EXPECT_NE(r.record.err.find("poor stacks"), std::string::npos) << r.record.err;
  ASSERT_FALSE(q["modules"].empty());
  const std::string top = q["modules"][0]["module"].get<std::string>();
  EXPECT_TRUE(top.rfind("nginx", 0) == 0 || top.rfind("libz", 0) == 0 || top.rfind("libc", 0) == 0) << top;
  LOADPROF_EXPECT_VALID_JSON(
      loadprof::testing::validate_json_text(loadprof::testing::temp_dir(), "report.json", r.report_text));
}

}  // namespace
