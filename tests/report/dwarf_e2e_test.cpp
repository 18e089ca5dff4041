// End-to-end, real BPF: DWARF unwinding (--unwind auto, the default) of a
// program of ours built without frame pointers whose two hot paths (one
// through glibc's qsort, also without frame pointers) measure their own CPU
// time: each path's share of the samples within 5 points of it, >= 95 % of
// the stacks reaching main, the report's `unwind` key naming the module's
// method; --unwind fp on the same program loses the callers (the contrast).
// A recursion without frame pointers: whole below 127 frames, cut at 127.
// The same program stripped, its debug info in a separate file found by
// .gnu_debuglink (the -dbgsym layout): unwound by .eh_frame, named by the file;
// and by build-id alone (/usr/lib/debug/.build-id/xx/yyyy.debug).
// Debian's nginx, when installed, under loadprof's load driver: >= 95 % of
// the worker's samples reach ngx_worker_process_cycle or main. Debian's
// redis-server under redis-benchmark: processCommand with its callers.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
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

struct Recorded {
  loadprof::testing::RunResult record;
  json report;
  std::string report_text;
  std::string folded;
  std::string markdown;
  std::string folded_offcpu;  // empty without the offcpu probe
};

Recorded record_and_report(const std::vector<std::string>& command, const std::vector<std::string>& extra) {
  Recorded r;
  const std::string path = loadprof::testing::temp_dir() + "/cap.lpc";
  std::vector<std::string> argv{loadprof_binary(), "record", "--frequency", "999", "--output", path};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back("--");
  argv.insert(argv.end(), command.begin(), command.end());
  r.record = run(argv);
  auto rep = run({loadprof_binary(), "report", path, "--format", "json"});
  EXPECT_EQ(rep.exit_code, 0) << rep.err;
  if (rep.exit_code == 0) r.report = json::parse(rep.out);
  r.report_text = rep.out;
  r.folded = run({loadprof_binary(), "report", path, "--format", "folded", "--kind", "cpu"}).out;
  r.markdown = run({loadprof_binary(), "report", path}).out;
  r.folded_offcpu = run({loadprof_binary(), "report", path, "--format", "folded", "--kind", "offcpu"}).out;
  return r;
}

// Folded stacks "a;b;c N": samples in total and of the stacks holding frame.
struct FoldedShare {
  uint64_t total = 0;
  uint64_t with = 0;
  double pct() const { return total ? 100.0 * static_cast<double>(with) / static_cast<double>(total) : 0; }
};

bool has_frame(const std::string& stack, const std::string& frame) {
  size_t at = 0;
  while ((at = stack.find(frame, at)) != std::string::npos) {
    const bool starts = at == 0 || stack[at - 1] == ';';
    const bool ends = at + frame.size() == stack.size() || stack[at + frame.size()] == ';';
    if (starts && ends) return true;
    at += frame.size();
  }
  return false;
}

// Samples whose stack holds `frame`, among those holding `within` ("" = all).
FoldedShare folded_share(const std::string& folded, const std::string& frame,
                         const std::string& within = "") {
  FoldedShare s;
  std::istringstream in(folded);
  std::string line;
  while (std::getline(in, line)) {
    const size_t sp = line.rfind(' ');
    if (sp == std::string::npos) continue;
    const std::string stack = line.substr(0, sp);
    const uint64_t n = std::stoull(line.substr(sp + 1));
    if (!within.empty() && !has_frame(stack, within)) continue;
    s.total += n;
    if (has_frame(stack, frame)) s.with += n;
  }
  return s;
}

class DwarfE2E : public ::testing::Test {
 protected:
  void SetUp() override { LOADPROF_REQUIRE_BPF_PRIVILEGES(); }
};

TEST_F(DwarfE2E, ProgramWithoutFramePointersGetsWholeStacksAndTrueShares) {
  auto r = record_and_report({test_program("nofp_shares"), "3"}, {});
  ASSERT_EQ(r.record.exit_code, 0) << r.record.err;
  auto truth = loadprof::testing::ground_truth_lines(r.record.out, "nofp_shares");
  ASSERT_EQ(truth.size(), 1u) << r.record.out;
  const double total = std::stod(truth[0]["total_cpu_ns"]);
  const double direct_pct = 100.0 * std::stod(truth[0]["direct_cpu_ns"]) / total;
  const double sort_pct = 100.0 * std::stod(truth[0]["sort_cpu_ns"]) / total;
  // No warning at record time: the stacks are whole.
  EXPECT_EQ(r.record.err.find("poor stacks"), std::string::npos) << r.record.err;

  const json& q = r.report["stack_quality"];
  ASSERT_GT(q["user_samples"].get<uint64_t>(), 1000u) << q.dump();
  EXPECT_GE(q["reached_root_pct"].get<double>(), 95.0) << q.dump();
  EXPECT_FALSE(q["poor"].get<bool>());

  const FoldedShare direct = folded_share(r.folded, "hot_direct");
  const FoldedShare sort = folded_share(r.folded, "sort_step");
  // The glibc path comes out whole: the comparator's work under qsort under sort_step.
  const FoldedShare through_libc = folded_share(r.folded, "qsort_r", "burn_key");
  const FoldedShare chain = folded_share(r.folded, "level3", "hot_direct");
  const FoldedShare main_share = folded_share(r.folded, "main");
  std::printf(
      "nofp_shares (dwarf): hot_direct %.2f %% (truth %.2f), sort_step %.2f %% (truth %.2f), "
      "burn_key under qsort_r %.2f %%, hot_direct under level3 %.2f %%, main %.2f %%, root %.2f %%\n",
      direct.pct(), direct_pct, sort.pct(), sort_pct, through_libc.pct(), chain.pct(), main_share.pct(),
      q["reached_root_pct"].get<double>());
  EXPECT_NEAR(direct.pct(), direct_pct, 5.0) << r.folded.substr(0, 4000);
  EXPECT_NEAR(sort.pct(), sort_pct, 5.0) << r.folded.substr(0, 4000);
  EXPECT_GE(through_libc.pct(), 95.0);
  EXPECT_GE(chain.pct(), 95.0);
  EXPECT_GE(main_share.pct(), 95.0);

  // The unwind key: the program's module unwound by its CFI, in nearly every stack.
  ASSERT_TRUE(r.report.contains("unwind")) << r.report_text.substr(0, 2000);
  const json* mod = nullptr;
  for (const auto& m : r.report["unwind"]["modules"])
    if (m["module"] == "nofp_shares") mod = &m;
  ASSERT_NE(mod, nullptr) << r.report["unwind"].dump();
  EXPECT_EQ((*mod)["method"], "dwarf");
  EXPECT_GE((*mod)["stacks"].get<uint64_t>(), q["user_samples"].get<uint64_t>() * 95 / 100);
  EXPECT_LE((*mod)["truncated"].get<uint64_t>(), (*mod)["stacks"].get<uint64_t>() / 20) << mod->dump();
  EXPECT_NE(r.markdown.find("### Unwinding"), std::string::npos);
  LOADPROF_EXPECT_VALID_JSON(
      loadprof::testing::validate_json_text(loadprof::testing::temp_dir(), "report.json", r.report_text));
}

TEST_F(DwarfE2E, FramePointersOnlyLoseTheSameProgramsCallers) {
  auto r = record_and_report({test_program("nofp_shares"), "2"}, {"--unwind", "fp"});
  ASSERT_EQ(r.record.exit_code, 0) << r.record.err;
  const json& q = r.report["stack_quality"];
  ASSERT_GT(q["user_samples"].get<uint64_t>(), 500u) << q.dump();
  const FoldedShare main_share = folded_share(r.folded, "main");
  std::printf("nofp_shares (fp): main %.2f %%, root %.2f %%, stopped early %.2f %%\n", main_share.pct(),
              q["reached_root_pct"].get<double>(), q["stopped_early_pct"].get<double>());
  EXPECT_LT(q["reached_root_pct"].get<double>(), 50.0) << q.dump();
  EXPECT_LT(main_share.pct(), 50.0);
  EXPECT_FALSE(r.report.contains("unwind"));  // no DWARF figures without DWARF unwinding
}

TEST_F(DwarfE2E, StrippedProgramIsUnwoundAndNamedThroughItsDebugFile) {
  const std::string dir = loadprof::testing::temp_dir() + "/stripped";
  const std::string exe = dir + "/nofp_shares";
  ASSERT_EQ(run({"mkdir", "-p", dir + "/.debug"}).exit_code, 0);
  ASSERT_EQ(run({"cp", test_program("nofp_shares"), exe}).exit_code, 0);
  ASSERT_EQ(run({"objcopy", "--only-keep-debug", exe, dir + "/.debug/nofp_shares.debug"}).exit_code, 0);
  ASSERT_EQ(run({"strip", "--strip-all", exe}).exit_code, 0);
  ASSERT_EQ(run({"objcopy", "--add-gnu-debuglink=" + dir + "/.debug/nofp_shares.debug", exe}).exit_code, 0);
  const std::string sections = run({"readelf", "-S", exe}).out;
  ASSERT_EQ(sections.find(".symtab"), std::string::npos) << "not stripped";
  ASSERT_NE(sections.find(".eh_frame"), std::string::npos);

  auto r = record_and_report({exe, "2"}, {});
  ASSERT_EQ(r.record.exit_code, 0) << r.record.err;
  auto truth = loadprof::testing::ground_truth_lines(r.record.out, "nofp_shares");
  ASSERT_EQ(truth.size(), 1u) << r.record.out;
  const double direct_pct =
      100.0 * std::stod(truth[0]["direct_cpu_ns"]) / std::stod(truth[0]["total_cpu_ns"]);
  const FoldedShare direct = folded_share(r.folded, "hot_direct");
  const FoldedShare chain = folded_share(r.folded, "level3", "hot_direct");
  const FoldedShare main_share = folded_share(r.folded, "main");
  std::printf(
      "nofp_shares stripped + .debug: hot_direct %.2f %% (truth %.2f), under level3 %.2f %%, main %.2f %%\n",
      direct.pct(), direct_pct, chain.pct(), main_share.pct());
  ASSERT_GT(main_share.total, 500u);
  EXPECT_NEAR(direct.pct(), direct_pct, 5.0) << r.folded.substr(0, 3000);
  EXPECT_GE(chain.pct(), 95.0);
  EXPECT_GE(main_share.pct(), 95.0);
}

// The -dbgsym layout by build-id: the same program stripped with no
// .gnu_debuglink, its debug file at /usr/lib/debug/.build-id/xx/yyyy.debug
// (removed again at the end; never one that was there before). Names come
// from it; without it the stripped program's functions have none.
TEST_F(DwarfE2E, StrippedProgramIsNamedThroughItsBuildIdDebugFile) {
  const std::string dir = loadprof::testing::temp_dir() + "/stripped_by_id";
  const std::string exe = dir + "/nofp_shares";
  ASSERT_EQ(run({"mkdir", "-p", dir}).exit_code, 0);
  ASSERT_EQ(run({"cp", test_program("nofp_shares"), exe}).exit_code, 0);
  const std::string notes = run({"readelf", "-n", exe}).out;
  const size_t at = notes.find("Build ID: ");
  ASSERT_NE(at, std::string::npos) << notes;
  std::string id = notes.substr(at + 10);
  id = id.substr(0, id.find_first_not_of("0123456789abcdef"));
  ASSERT_GT(id.size(), 8u) << notes;
  const std::string id_dir = "/usr/lib/debug/.build-id/" + id.substr(0, 2);
  const std::string debug = id_dir + "/" + id.substr(2) + ".debug";
  if (access(debug.c_str(), F_OK) == 0) GTEST_SKIP() << debug << " exists already: not ours to replace";
  ASSERT_EQ(run({"strip", "--strip-all", exe}).exit_code, 0);
  const std::string sections = run({"readelf", "-S", exe}).out;
  ASSERT_EQ(sections.find(".symtab"), std::string::npos) << "not stripped";
  ASSERT_EQ(sections.find(".gnu_debuglink"), std::string::npos);

  // Control first: no debug file anywhere, no names for the program's functions.
  auto bare = record_and_report({exe, "1"}, {});
  ASSERT_EQ(bare.record.exit_code, 0) << bare.record.err;
  const FoldedShare bare_direct = folded_share(bare.folded, "hot_direct");
  ASSERT_GT(bare_direct.total, 200u);
  EXPECT_EQ(bare_direct.with, 0u) << bare.folded.substr(0, 2000);

  ASSERT_EQ(run({"mkdir", "-p", id_dir}).exit_code, 0);
  struct Remove {
    std::string path;
    ~Remove() { unlink(path.c_str()); }
  } remove_debug{debug};
  ASSERT_EQ(run({"objcopy", "--only-keep-debug", test_program("nofp_shares"), debug}).exit_code, 0);
  auto r = record_and_report({exe, "2"}, {});
  ASSERT_EQ(r.record.exit_code, 0) << r.record.err;
  auto truth = loadprof::testing::ground_truth_lines(r.record.out, "nofp_shares");
  ASSERT_EQ(truth.size(), 1u) << r.record.out;
  const double direct_pct =
      100.0 * std::stod(truth[0]["direct_cpu_ns"]) / std::stod(truth[0]["total_cpu_ns"]);
  const FoldedShare direct = folded_share(r.folded, "hot_direct");
  const FoldedShare chain = folded_share(r.folded, "level3", "hot_direct");
  const FoldedShare main_share = folded_share(r.folded, "main");
  std::printf(
      "nofp_shares stripped, debug file by build-id %s: hot_direct %.2f %% (truth %.2f), under level3 "
      "%.2f %%, main %.2f %%; without it hot_direct %.2f %%\n",
      id.c_str(), direct.pct(), direct_pct, chain.pct(), main_share.pct(), bare_direct.pct());
  ASSERT_GT(main_share.total, 500u);
  EXPECT_NEAR(direct.pct(), direct_pct, 5.0) << r.folded.substr(0, 3000);
  EXPECT_GE(chain.pct(), 95.0);
  EXPECT_GE(main_share.pct(), 95.0);
}

// Samples whose stack holds at least min_count frames named frame.
uint64_t samples_with_repeats(const std::string& folded, const std::string& frame, size_t min_count) {
  uint64_t out = 0;
  std::istringstream in(folded);
  std::string line;
  while (std::getline(in, line)) {
    const size_t sp = line.rfind(' ');
    if (sp == std::string::npos) continue;
    size_t count = 0;
    std::istringstream frames(line.substr(0, sp));
    std::string f;
    while (std::getline(frames, f, ';')) count += f == frame;
    if (count >= min_count) out += std::stoull(line.substr(sp + 1));
  }
  return out;
}

TEST_F(DwarfE2E, DeepRecursionIsWholeUpTo127Frames) {
  // 100 levels + deep_leaf + main and its callers: under the limit, every stack reaches main.
  auto whole = record_and_report({test_program("nofp_deep"), "2", "100"}, {});
  ASSERT_EQ(whole.record.exit_code, 0) << whole.record.err;
  const FoldedShare main_share = folded_share(whole.folded, "main");
  const uint64_t all_levels = samples_with_repeats(whole.folded, "recurse", 101);
  std::printf("nofp_deep 100: %.2f %% reach main, %llu of %llu samples with all 101 recurse frames\n",
              main_share.pct(), static_cast<unsigned long long>(all_levels),
              static_cast<unsigned long long>(main_share.total));
  ASSERT_GT(main_share.total, 500u);
  EXPECT_GE(main_share.pct(), 95.0);
  EXPECT_GE(all_levels * 100, main_share.total * 95);

  // 150 levels: cut at the limit, 127 frames (deep_leaf + 126 recurse), said in the unwind key.
  auto cut = record_and_report({test_program("nofp_deep"), "2", "150"}, {});
  ASSERT_EQ(cut.record.exit_code, 0) << cut.record.err;
  const FoldedShare total = folded_share(cut.folded, "deep_leaf");
  const uint64_t at_limit = samples_with_repeats(cut.folded, "recurse", 126);
  // 127 recurse frames when the sample hit recurse itself (its leaf); never more.
  const uint64_t beyond = samples_with_repeats(cut.folded, "recurse", 128);
  std::printf("nofp_deep 150: %llu of %llu samples with 126 recurse frames, %llu with more than 127\n",
              static_cast<unsigned long long>(at_limit), static_cast<unsigned long long>(total.total),
              static_cast<unsigned long long>(beyond));
  ASSERT_GT(total.total, 500u);
  EXPECT_GE(total.pct(), 95.0);  // the leaf is there: the stacks are cut at the root end
  EXPECT_GE(at_limit * 100, total.total * 95);
  EXPECT_EQ(beyond, 0u);
  const json* mod = nullptr;
  for (const auto& m : cut.report["unwind"]["modules"])
    if (m["module"] == "nofp_deep") mod = &m;
  ASSERT_NE(mod, nullptr) << cut.report.dump().substr(0, 2000);
  EXPECT_GE((*mod)["truncated_by_reason"].value("depth_limit", 0u) * 100,
            (*mod)["stacks"].get<uint64_t>() * 95)
      << mod->dump();
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

// Debian's nginx (1 worker) recorded under loadprof's own load driver, on a
// free loopback port; extra: record flags. Skips when nginx is absent.
Recorded record_nginx_under_load(const std::vector<std::string>& extra) {
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
  const std::string load =
      "sleep 1; exec '" + loadprof_binary() + "' load http://127.0.0.1:" + std::to_string(port) +
      "/page.txt --closed --connections 4 --duration 4s -H 'Accept-Encoding: gzip' >/dev/null";
  const pid_t loader = fork();
  if (loader == 0) {
    execl("/bin/sh", "sh", "-c", load.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  std::vector<std::string> flags{"--duration", "4s"};
  flags.insert(flags.end(), extra.begin(), extra.end());
  auto r = record_and_report({"/usr/sbin/nginx", "-c", dir + "/nginx.conf", "-p", dir}, flags);
  int status = 0;
  waitpid(loader, &status, 0);
  return r;
}

// Debian's nginx (built without frame pointers), recorded with no flags under
// loadprof's own load driver. Never installs nginx: skips when it is absent.
TEST_F(DwarfE2E, DistributionNginxWorkerStacksReachTheWorkerLoop) {
  if (access("/usr/sbin/nginx", X_OK) != 0) GTEST_SKIP() << "nginx is not installed (Debian package nginx)";
  auto r = record_nginx_under_load({});
  ASSERT_EQ(r.record.exit_code, 0) << r.record.err;
  // Debian's nginx is stripped: its static functions (ngx_worker_process_cycle)
  // have no name without nginx-dbgsym, but main is exported (-Wl,-E), and a
  // worker's stack reaches main only through ngx_worker_process_cycle.
  const FoldedShare worker = folded_share(r.folded, "ngx_worker_process_cycle");
  const FoldedShare main_share = folded_share(r.folded, "main");
  const json& q = r.report["stack_quality"];
  std::printf(
      "nginx (dwarf): %llu samples, %.2f %% under ngx_worker_process_cycle, %.2f %% reach main, "
      "root %.2f %%, unwind %s\n",
      static_cast<unsigned long long>(worker.total), worker.pct(), main_share.pct(),
      q["reached_root_pct"].get<double>(), r.report.value("unwind", json::object()).dump().c_str());
  ASSERT_GT(q["user_samples"].get<uint64_t>(), 100u) << "nginx barely ran: " << q.dump();
  EXPECT_GE(q["reached_root_pct"].get<double>(), 95.0) << q.dump();
  EXPECT_GE(main_share.pct(), 95.0);
  EXPECT_EQ(r.record.err.find("poor stacks"), std::string::npos) << r.record.err;
}

// The off-CPU stacks of the same nginx: its worker waiting in epoll_wait
// (glibc, no frame pointers) reaches main by DWARF, from the registers and
// stack copied at switch-out; with --unwind fp it does not.
TEST_F(DwarfE2E, DistributionNginxOffCpuStacksReachMainWithDwarfOnly) {
  if (access("/usr/sbin/nginx", X_OK) != 0) GTEST_SKIP() << "nginx is not installed (Debian package nginx)";
  for (const std::string unwind : {"auto", "fp"}) {
    SCOPED_TRACE(unwind);
    auto r = record_nginx_under_load({"--probes", "cpu,offcpu", "--unwind", unwind});
    ASSERT_EQ(r.record.exit_code, 0) << r.record.err;
    const std::string& folded = r.folded_offcpu;
    // Off-CPU time (ns) in epoll_wait, and of it the part whose stack reaches main.
    const FoldedShare in_epoll = folded_share(folded, "main", "epoll_wait");
    std::printf("nginx off-CPU (%s): %.1f ms in epoll_wait, %.2f %% of it reaching main\n", unwind.c_str(),
                static_cast<double>(in_epoll.total) / 1e6, in_epoll.pct());
    ASSERT_GT(in_epoll.total, 100'000'000u) << folded.substr(0, 3000);  // > 0.1 s of waiting seen
    if (unwind == "auto")
      EXPECT_GE(in_epoll.pct(), 95.0) << folded.substr(0, 3000);
    else
      EXPECT_LT(in_epoll.pct(), 50.0);
  }
}

// Debian's redis-server (no frame pointers) under redis-benchmark, recorded
// with no flags: processCommand appears with its callers up to main. Never
// installs redis: skips when it is absent.
TEST_F(DwarfE2E, DistributionRedisShowsProcessCommandWithItsCallers) {
  if (access("/usr/bin/redis-server", X_OK) != 0 || access("/usr/bin/redis-benchmark", X_OK) != 0)
    GTEST_SKIP()
        << "redis-server or redis-benchmark is not installed (Debian packages redis-server, redis-tools)";
  const uint16_t port = free_port();
  const std::string load = "sleep 1; exec redis-benchmark -p " + std::to_string(port) +
                           " -q -n 100000000 -c 8 -t set,get >/dev/null 2>&1";
  const pid_t loader = fork();
  if (loader == 0) {
    execl("/bin/sh", "sh", "-c", load.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  auto r = record_and_report({"/usr/bin/redis-server", "--port", std::to_string(port), "--save", "",
                              "--appendonly", "no", "--dir", loadprof::testing::temp_dir()},
                             {"--duration", "4s"});
  kill(loader, SIGTERM);
  int status = 0;
  waitpid(loader, &status, 0);
  ASSERT_EQ(r.record.exit_code, 0) << r.record.err;
  const FoldedShare main_share = folded_share(r.folded, "main");
  const FoldedShare process_command = folded_share(r.folded, "processCommand");
  // Of the stacks through processCommand, those that also hold its callers.
  const FoldedShare read_query = folded_share(r.folded, "readQueryFromClient", "processCommand");
  const FoldedShare ae_main = folded_share(r.folded, "aeMain", "processCommand");
  std::printf(
      "redis (dwarf): %llu samples, %.2f %% reach main, %.2f %% through processCommand; of those "
      "%.2f %% under readQueryFromClient, %.2f %% under aeMain\n",
      static_cast<unsigned long long>(main_share.total), main_share.pct(), process_command.pct(),
      read_query.pct(), ae_main.pct());
  ASSERT_GT(main_share.total, 300u) << "redis barely ran";
  EXPECT_GE(main_share.pct(), 95.0);
  ASSERT_GT(process_command.with, 20u) << r.folded.substr(0, 3000);
  EXPECT_GE(read_query.pct(), 95.0);
  EXPECT_GE(ae_main.pct(), 95.0);
}

}  // namespace
