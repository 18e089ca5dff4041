// End-to-end: `loadprof record` on programs of ours (real BPF, real processes),
// read back through the capture reader and the folded export, checked against
// the ground truth each program computes from its own CPU time.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "loadprof/capture/folded.h"
#include "loadprof/capture/reader.h"
#include "support/privilege.h"
#include "support/run.h"

using namespace loadprof;
using loadprof::testing::loadprof_binary;
using loadprof::testing::run;
using loadprof::testing::test_program;

namespace {

// The first GROUND_TRUTH line of `program` (empty when it printed none).
std::map<std::string, std::string> ground_truth(const std::string& out, const std::string& program) {
  auto lines = loadprof::testing::ground_truth_lines(out, program);
  return lines.empty() ? std::map<std::string, std::string>{} : lines.front();
}

std::vector<std::string> split_frames(const std::string& stack) {
  std::vector<std::string> out;
  std::istringstream in(stack);
  std::string f;
  while (std::getline(in, f, ';')) out.push_back(f);
  return out;
}

struct Recorded {
  loadprof::testing::RunResult result;
  capture::Capture capture;
  std::vector<capture::FoldedLine> folded;
  std::string path;
};

Recorded record(const std::vector<std::string>& command, const std::vector<std::string>& extra = {}) {
  Recorded r;
  r.path = loadprof::testing::temp_dir() + "/cap.lpc";
  std::vector<std::string> argv{loadprof_binary(), "record", "--frequency", "999", "--output", r.path};
  argv.insert(argv.end(), extra.begin(), extra.end());
  if (!command.empty()) {
    argv.push_back("--");
    argv.insert(argv.end(), command.begin(), command.end());
  }
  r.result = run(argv);
  auto cap = capture::read_capture(r.path);
  if (cap.ok()) {
    r.capture = std::move(*cap);
    auto folded = capture::folded_stacks(r.capture, "cpu");
    if (folded.ok()) r.folded = std::move(*folded);
  }
  return r;
}

// Samples whose stack holds a frame named exactly `name`.
uint64_t samples_with_frame(const std::vector<capture::FoldedLine>& folded, const std::string& name) {
  uint64_t n = 0;
  for (const auto& l : folded) {
    auto frames = split_frames(l.stack);
    if (std::find(frames.begin(), frames.end(), name) != frames.end()) n += l.count;
  }
  return n;
}

class RecordE2E : public ::testing::Test {
 protected:
  void SetUp() override { LOADPROF_REQUIRE_BPF_PRIVILEGES(); }
};

}  // namespace

TEST_F(RecordE2E, HotFunctionShareMatchesGroundTruthAndStacksReachMain) {
  auto r = record({test_program("hot"), "3"});
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  auto truth = ground_truth(r.result.out, "hot");
  ASSERT_FALSE(truth.empty()) << r.result.out;
  const uint32_t pid = static_cast<uint32_t>(std::stoul(truth["pid"]));

  // Only the samples after exec belong to the program (before, it is loadprof's forked child).
  uint64_t total = 0, in_hot = 0, with_main = 0;
  std::map<capture::StackId, uint64_t> by_stack;
  for (const auto& s : r.capture.cpu_samples)
    if (s.pid == pid) ++by_stack[s.stack];
  for (const auto& [id, n] : by_stack) {
    const auto& st = r.capture.stacks.at(id);
    bool hot = false, main = false, ours = false;
    for (auto fid : st.frames) {
      const auto& f = r.capture.frames.at(fid);
      if (f.module == "hot") ours = true;
      if (f.function == "hot") hot = true;
      if (f.function == "main" && f.module == "hot") main = true;
    }
    if (!ours) continue;
    total += n;
    if (hot) in_hot += n;
    if (main) with_main += n;
  }
  ASSERT_GT(total, 300u) << "too few samples of the program to judge";
  // Every stack's symbols were written by the end (raw addresses first, symbols from the low-priority thread).
  uint64_t unsymbolized = 0;
  for (const auto& [id, n] : by_stack)
    for (auto fid : r.capture.stacks.at(id).frames)
      if (r.capture.frames.at(fid).module == "[unsymbolized]") {
        unsymbolized += n;
        break;
      }
  EXPECT_EQ(unsymbolized, 0u) << "samples whose stack still shows raw addresses";
  const double share_pct = 100.0 * static_cast<double>(in_hot) / static_cast<double>(total);
  const double truth_pct = std::stod(truth["hot_share_pct"]);
  std::printf("hot(): %.2f %% of %llu samples, ground truth %.2f %%; %.2f %% of stacks reach main\n", share_pct,
              static_cast<unsigned long long>(total), truth_pct,
              100.0 * static_cast<double>(with_main) / static_cast<double>(total));
  EXPECT_NEAR(share_pct, truth_pct, 5.0) << in_hot << " of " << total << " samples in hot()";
  EXPECT_GE(100.0 * static_cast<double>(with_main) / static_cast<double>(total), 95.0)
      << with_main << " of " << total << " stacks reach main";

  // Folded export: the process name is the root frame and main->burn_thread->a->b->hot is intact.
  uint64_t chain = 0;
  for (const auto& l : r.folded)
    if (l.stack.rfind("hot;", 0) == 0 && l.stack.find(";main;burn_thread;a;b;hot") != std::string::npos) chain += l.count;
  EXPECT_GE(chain, in_hot * 9 / 10);
  ASSERT_TRUE(r.capture.end.has_value());
  EXPECT_EQ(r.capture.end->reason, "target exited");
  ASSERT_FALSE(r.capture.processes.empty());
  EXPECT_EQ(r.capture.processes.front().exit_code, std::optional<int>(0));
}

TEST_F(RecordE2E, SyscallHeavyProgramShowsSyscallEntryUnderUserFrames) {
  auto r = record({test_program("syscalls"), "2"});
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  const std::regex entry("^(entry_SYSCALL_64.*|do_syscall_64)_\\[k\\]$");
  uint64_t good = 0, kernel = 0;
  for (const auto& l : r.folded) {
    auto frames = split_frames(l.stack);
    auto it = std::find_if(frames.begin(), frames.end(), [&](const std::string& f) { return std::regex_match(f, entry); });
    if (it == frames.end()) continue;
    kernel += l.count;
    // User frames of ours above (root side of) the syscall entry.
    bool user_main = std::find(frames.begin(), it, "main") != it;
    bool user_caller = std::find(frames.begin(), it, "do_syscalls") != it;
    if (user_main && user_caller) good += l.count;
  }
  EXPECT_GT(kernel, 50u) << "few samples in the kernel's syscall path";
  EXPECT_GE(good, kernel / 2) << good << " of " << kernel << " syscall samples have main/do_syscalls above them";
}

TEST_F(RecordE2E, ShellLaunchedGrandchildIsFollowed) {
  auto r = record({test_program("spawner"), "2"});
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  auto truth = ground_truth(r.result.out, "hot");
  ASSERT_FALSE(truth.empty()) << r.result.out;
  const uint32_t grandchild = static_cast<uint32_t>(std::stoul(truth["pid"]));
  uint64_t n = 0;
  for (const auto& s : r.capture.cpu_samples) n += s.pid == grandchild;
  EXPECT_GT(n, 200u) << "samples of the sh -c grandchild";
  EXPECT_GT(samples_with_frame(r.folded, "hot"), 150u);
  bool known = false;
  for (const auto& p : r.capture.processes) known |= p.pid == grandchild;
  EXPECT_TRUE(known) << "the grandchild is in the process table";
}

TEST_F(RecordE2E, DlopenedLibraryIsSymbolized) {
  auto r = record({test_program("dlopen_host"), "2"});
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  uint64_t lib = samples_with_frame(r.folded, "library_hot");
  EXPECT_GT(lib, 100u) << "samples in the dlopen'ed library_hot()";
  EXPECT_GT(samples_with_frame(r.folded, "burn_in_library"), lib / 2);
}

TEST_F(RecordE2E, HundredMillisecondChildIsSymbolized) {
  auto r = record({test_program("short_child"), "100"});
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  auto truth = ground_truth(r.result.out, "short_child");
  ASSERT_FALSE(truth.empty()) << r.result.out;
  uint64_t n = samples_with_frame(r.folded, "child_burn");
  // 100 ms of CPU at 999 Hz is ~100 samples; the machine may be busy, so ask for a third.
  EXPECT_GT(n, 30u) << "samples of the 100 ms child symbolized as child_burn";
}

TEST_F(RecordE2E, InlinedFunctionIsAFrameOfItsOwn) {
  auto r = record({test_program("inline"), "2"});
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  bool inlined_frame = false;
  for (const auto& f : r.capture.frames) inlined_frame |= f.function == "inlined_hot" && f.inlined;
  EXPECT_TRUE(inlined_frame);
  uint64_t chain = 0;
  for (const auto& l : r.folded)
    if (l.stack.find(";named_caller;inlined_hot") != std::string::npos) chain += l.count;
  EXPECT_GT(chain, 200u);
}

TEST_F(RecordE2E, CtrlCAndSigtermLeaveAValidInterruptedCapture) {
  for (int sig : {SIGINT, SIGTERM}) {
    SCOPED_TRACE(sig == SIGINT ? "SIGINT" : "SIGTERM");
    std::string path = loadprof::testing::temp_dir() + "/cap.lpc";
    auto res = run({loadprof_binary(), "record", "--output", path, "--", test_program("hot"), "30"}, 1500, sig);
    EXPECT_EQ(res.exit_code, 0) << res.err;
    auto cap = capture::read_capture(path);
    ASSERT_TRUE(cap.ok()) << cap.error().message;
    EXPECT_FALSE(cap->read_info.truncated);
    ASSERT_TRUE(cap->end.has_value());
    EXPECT_TRUE(cap->end->interrupted);
    EXPECT_GT(cap->cpu_samples.size(), 20u);
    ASSERT_FALSE(cap->processes.empty());
    // The launched command got SIGINT (forwarded to its group) and died of it.
    EXPECT_EQ(cap->processes.front().exit_signal, std::optional<int>(SIGINT));
  }
}

TEST_F(RecordE2E, TargetExitingMidCaptureEndsItCleanly) {
  pid_t child = fork();
  if (child == 0) {
    execl(test_program("hot").c_str(), "hot", "1", nullptr);
    _exit(127);
  }
  std::string path = loadprof::testing::temp_dir() + "/cap.lpc";
  auto res = run({loadprof_binary(), "record", "--pid", std::to_string(child), "--duration", "20s", "--output", path});
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_EQ(res.exit_code, 0) << res.err;
  auto cap = capture::read_capture(path);
  ASSERT_TRUE(cap.ok());
  ASSERT_TRUE(cap->end.has_value());
  EXPECT_EQ(cap->end->reason, "target exited");
  ASSERT_TRUE(cap->end->target_exited_ns.has_value());
  // Ended when the target did, long before the 20 s duration.
  EXPECT_LT(cap->end->end_ns - cap->metadata.start_monotonic_ns, 10'000'000'000ull);
  ASSERT_FALSE(cap->processes.empty());
  EXPECT_TRUE(cap->processes.front().exit_ns.has_value());
}

TEST_F(RecordE2E, CaptureCutInHalfStillReports) {
  auto r = record({test_program("hot"), "2"});
  ASSERT_EQ(r.result.exit_code, 0);
  const auto size = std::filesystem::file_size(r.path);
  std::filesystem::resize_file(r.path, size / 2);
  auto res = run({loadprof_binary(), "report", r.path});
  EXPECT_EQ(res.exit_code, 0) << res.err;
  EXPECT_NE(res.err.find("offset"), std::string::npos) << res.err;
  EXPECT_NE(res.out.find("hot"), std::string::npos);
}

TEST_F(RecordE2E, ErrorsHaveTheirExitCodes) {
  const std::string out = loadprof::testing::temp_dir() + "/cap.lpc";
  // Absent PID -> 4.
  auto absent = run({loadprof_binary(), "record", "--pid", "4194000", "--duration", "1", "--output", out});
  EXPECT_EQ(absent.exit_code, 4) << absent.err;
  // A command that cannot be executed -> 4.
  auto noexec = run({loadprof_binary(), "record", "--output", out, "--", "/nonexistent/program"});
  EXPECT_EQ(noexec.exit_code, 4) << noexec.err;
  // Not permitted -> 3, naming the capabilities.
  auto noperm = run({"setpriv", "--inh-caps=-all", "--bounding-set=-all", "--", loadprof_binary(), "record",
                     "--pid", std::to_string(getpid()), "--duration", "1", "--output", out});
  EXPECT_EQ(noperm.exit_code, 3) << noperm.err;
  EXPECT_NE(noperm.err.find("CAP_BPF"), std::string::npos) << noperm.err;
  EXPECT_NE(noperm.err.find("CAP_PERFMON"), std::string::npos) << noperm.err;
  EXPECT_EQ(std::count(noperm.err.begin(), noperm.err.end(), '\n'), 1) << "one line: " << noperm.err;
}

TEST_F(RecordE2E, AttachWithChildrenNamesExistingDescendants) {
  // spawner -> sh -c -> hot, all running before loadprof attaches to spawner.
  int out_pipe[2];
  ASSERT_EQ(pipe(out_pipe), 0);
  pid_t spawner = fork();
  if (spawner == 0) {
    dup2(out_pipe[1], 1);
    execl(test_program("spawner").c_str(), "spawner", "4", nullptr);
    _exit(127);
  }
  close(out_pipe[1]);
  usleep(500 * 1000);
  std::string path = loadprof::testing::temp_dir() + "/cap.lpc";
  auto res = run({loadprof_binary(), "record", "--pid", std::to_string(spawner), "--children", "--duration", "1.5",
                  "--output", path});
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(out_pipe[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(out_pipe[0]);
  int status = 0;
  waitpid(spawner, &status, 0);
  ASSERT_EQ(res.exit_code, 0) << res.err;
  auto truth = ground_truth(out, "hot");
  ASSERT_FALSE(truth.empty()) << out;
  const uint32_t grandchild = static_cast<uint32_t>(std::stoul(truth["pid"]));
  auto cap = capture::read_capture(path);
  ASSERT_TRUE(cap.ok());
  const capture::Process* found = nullptr;
  for (const auto& p : cap->processes)
    if (p.pid == grandchild) found = &p;
  ASSERT_NE(found, nullptr) << "the existing grandchild is in the process table";
  EXPECT_EQ(found->command, "hot");
  EXPECT_FALSE(found->root);
  auto folded = capture::folded_stacks(*cap, "cpu");
  ASSERT_TRUE(folded.ok());
  uint64_t named = 0;
  for (const auto& l : *folded)
    if (l.stack.rfind("hot;", 0) == 0 && l.stack.find(";a;b;hot") != std::string::npos) named += l.count;
  EXPECT_GT(named, 30u) << "the grandchild's samples carry its name as the root frame";
}

TEST_F(RecordE2E, ThreadIdRecordsItsProcess) {
  // hot with 2 threads: --pid names the second thread, not the process.
  pid_t child = fork();
  if (child == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    execl(test_program("hot").c_str(), "hot", "3", "2", nullptr);
    _exit(127);
  }
  pid_t thread = 0;
  for (int i = 0; i < 100 && thread == 0; ++i) {
    usleep(20 * 1000);
    for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(child) + "/task")) {
      pid_t tid = static_cast<pid_t>(std::stol(e.path().filename().string()));
      if (tid != child) thread = tid;
    }
  }
  ASSERT_NE(thread, 0) << "hot started no second thread";
  std::string path = loadprof::testing::temp_dir() + "/cap.lpc";
  auto res = run({loadprof_binary(), "record", "--pid", std::to_string(thread), "--duration", "1",
                  "--frequency", "499", "--output", path});
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_EQ(res.exit_code, 0) << res.err;
  const std::string said = "pid " + std::to_string(thread) + " is a thread of " + std::to_string(child) +
                           ": recording process " + std::to_string(child);
  EXPECT_NE(res.err.find(said), std::string::npos) << res.err;
  auto cap = capture::read_capture(path);
  ASSERT_TRUE(cap.ok()) << cap.error().message;
  const capture::Process* root = nullptr;
  for (const auto& p : cap->processes) {
    EXPECT_NE(p.pid, static_cast<uint32_t>(thread)) << "a phantom process with the thread id";
    if (p.root) root = &p;
  }
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->pid, static_cast<uint32_t>(child));
  EXPECT_EQ(root->command, "hot");
  // Both threads' samples, under the process.
  std::set<uint32_t> tids;
  for (const auto& s : cap->cpu_samples) {
    EXPECT_EQ(s.pid, static_cast<uint32_t>(child));
    tids.insert(s.tid);
  }
  EXPECT_EQ(tids.size(), 2u);
  EXPECT_GT(cap->cpu_samples.size(), 200u);
}

// Who a launched command runs as: the sudo user, --user, never root by accident.
TEST_F(RecordE2E, LaunchedCommandRunsAsTheSudoUser) {
  if (geteuid() != 0) GTEST_SKIP() << "switching users needs root";
  const std::string out = loadprof::testing::temp_dir() + "/cap.lpc";
  auto res = run({"env", "SUDO_UID=65534", "SUDO_GID=65534", "HOME=/root", "USER=root", loadprof_binary(),
                  "record", "--duration", "5", "--output", out, "--", test_program("whoami_ids")});
  ASSERT_EQ(res.exit_code, 0) << res.err;
  auto ids = ground_truth(res.out, "whoami_ids");
  ASSERT_FALSE(ids.empty()) << res.out << res.err;
  for (const char* k : {"uid", "euid", "suid", "gid", "egid", "sgid"}) EXPECT_EQ(ids[k], "65534") << k;
  EXPECT_EQ(ids["groups"], "65534") << "nobody's supplementary groups only";
  EXPECT_EQ(ids["home"], "/nonexistent");
  EXPECT_EQ(ids["user"], "nobody");
  EXPECT_NE(res.err.find("run as user nobody (uid 65534, gid 65534)"), std::string::npos) << res.err;
  // The capture still holds the command (sampling is loadprof's, not the command's privilege).
  auto cap = capture::read_capture(out);
  ASSERT_TRUE(cap.ok());
  ASSERT_FALSE(cap->processes.empty());
  EXPECT_EQ(cap->processes.front().exit_code, std::optional<int>(0));
}

TEST_F(RecordE2E, UserFlagPicksTheUserAndUnknownUserIsUsage) {
  if (geteuid() != 0) GTEST_SKIP() << "switching users needs root";
  const std::string out = loadprof::testing::temp_dir() + "/cap.lpc";
  auto res = run({"env", "-u", "SUDO_UID", "-u", "SUDO_GID", loadprof_binary(), "record", "--user", "nobody",
                  "--duration", "5", "--output", out, "--", test_program("whoami_ids")});
  ASSERT_EQ(res.exit_code, 0) << res.err;
  auto ids = ground_truth(res.out, "whoami_ids");
  ASSERT_FALSE(ids.empty()) << res.out << res.err;
  EXPECT_EQ(ids["uid"], "65534");
  EXPECT_EQ(ids["euid"], "65534");
  EXPECT_EQ(ids["gid"], "65534");
  EXPECT_EQ(ids["groups"], "65534");
  EXPECT_EQ(ids["user"], "nobody");
  // --user wins over SUDO_UID.
  auto both = run({"env", "SUDO_UID=0", "SUDO_GID=0", loadprof_binary(), "record", "--user", "nobody",
                   "--duration", "5", "--output", out, "--", test_program("whoami_ids")});
  ASSERT_EQ(both.exit_code, 0) << both.err;
  EXPECT_EQ(ground_truth(both.out, "whoami_ids")["uid"], "65534");

  auto unknown = run({loadprof_binary(), "record", "--user", "no_such_user_lp14", "--output", out, "--",
                      test_program("whoami_ids")});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
  EXPECT_EQ(std::count(unknown.err.begin(), unknown.err.end(), '\n'), 1) << "one line: " << unknown.err;
  EXPECT_NE(unknown.err.find("no_such_user_lp14"), std::string::npos) << unknown.err;
  EXPECT_TRUE(ground_truth(unknown.out, "whoami_ids").empty()) << "the command must not run";
}

TEST_F(RecordE2E, FailedPrivilegeDropNeverExecsAsRoot) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  // Root without CAP_SETUID/CAP_SETGID: BPF still works, the drop cannot.
  const std::string out = loadprof::testing::temp_dir() + "/cap.lpc";
  auto res =
      run({"setpriv", "--inh-caps=-setuid,-setgid", "--bounding-set=-setuid,-setgid", "--", loadprof_binary(),
           "record", "--user", "nobody", "--output", out, "--", test_program("whoami_ids")});
  EXPECT_EQ(res.exit_code, 3) << res.err;
  EXPECT_TRUE(ground_truth(res.out, "whoami_ids").empty()) << "ran although the drop failed: " << res.out;
  EXPECT_NE(res.err.find("cannot run"), std::string::npos) << res.err;
  EXPECT_NE(res.err.find("user nobody"), std::string::npos) << res.err;
  EXPECT_EQ(std::count(res.err.begin(), res.err.end(), '\n'), 1) << "one line: " << res.err;
}

// A launched command that reads the terminal gets the terminal: under a
// pseudo-terminal, `record -- read_line` reads the line typed and exits 0
// instead of being stopped by SIGTTIN (and killed at the end of --duration).
TEST_F(RecordE2E, LaunchedCommandMayReadTheTerminal) {
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(master, 0);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  const std::string slave_name = ptsname(master);
  const std::string out = loadprof::testing::temp_dir() + "/cap.lpc";
  const std::string binary = loadprof_binary(), program = test_program("read_line");
  const auto t0 = std::chrono::steady_clock::now();
  pid_t child = fork();
  if (child == 0) {
    setsid();
    int slave = open(slave_name.c_str(), O_RDWR);  // the session's controlling terminal
    if (slave < 0) _exit(126);
    ioctl(slave, TIOCSCTTY, 0);
    dup2(slave, 0);
    dup2(slave, 1);
    dup2(slave, 2);
    close(master);
    execl(binary.c_str(), binary.c_str(), "record", "--duration", "8", "--output", out.c_str(), "--",
          program.c_str(), nullptr);
    _exit(127);
  }
  usleep(300 * 1000);
  const char line[] = "ping\n";
  ASSERT_EQ(write(master, line, sizeof line - 1), static_cast<ssize_t>(sizeof line - 1));
  std::string text;
  int status = -1;
  while (true) {
    pollfd p{master, POLLIN, 0};
    if (poll(&p, 1, 200) > 0) {
      char buf[4096];
      ssize_t n = read(master, buf, sizeof buf);
      if (n > 0) text.append(buf, static_cast<size_t>(n));
    }
    if (waitpid(child, &status, WNOHANG) == child) break;
    if (std::chrono::steady_clock::now() - t0 > std::chrono::seconds(30)) {
      kill(child, SIGKILL);
      waitpid(child, &status, 0);
      break;
    }
  }
  char buf[4096];
  for (ssize_t n; (n = read(master, buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
  close(master);
  const double elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(WIFEXITED(status)) << text;
  EXPECT_EQ(WEXITSTATUS(status), 0) << text;
  EXPECT_NE(text.find("GROUND_TRUTH program=read_line"), std::string::npos) << text;
  EXPECT_NE(text.find("line=ping"), std::string::npos) << text;
  EXPECT_NE(text.find("exited with status 0"), std::string::npos) << text;
  EXPECT_LT(elapsed_s, 6.0) << "the command was stopped until the end of --duration: " << text;
  auto cap = capture::read_capture(out);
  ASSERT_TRUE(cap.ok());
  ASSERT_TRUE(cap->end.has_value());
  EXPECT_EQ(cap->end->reason, "target exited");
}

// On a real capture the report keeps the counted idle apart from the estimate
// and accounts for every sample the frequency asked for.
TEST_F(RecordE2E, ReportAccountsForTheSampleShortfallOnARealCapture) {
  auto r = record({test_program("hot"), "2"});
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  auto res = run({loadprof_binary(), "report", r.path, "--format", "json"});
  ASSERT_EQ(res.exit_code, 0) << res.err;
  auto j = nlohmann::json::parse(res.out);
  const auto& acc = j["cpu_accounting"];
  ASSERT_TRUE(acc.is_object()) << res.out.substr(0, 400);
  EXPECT_EQ(acc["idle_shown"], "estimated");
  ASSERT_EQ(acc["cpus"].size(), static_cast<size_t>(sysconf(_SC_NPROCESSORS_ONLN)));
  for (const auto& c : acc["cpus"]) {
    const uint64_t counted = c["target"].get<uint64_t>() + c["self"].get<uint64_t>() +
                             c["other"].get<uint64_t>() + c["idle_counted"].get<uint64_t>();
    const uint64_t accounted = counted - c["idle_counted"].get<uint64_t>() + c["idle"].get<uint64_t>() +
                               c["steal"].get<uint64_t>() + c["throttled"].get<uint64_t>();
    EXPECT_EQ(c["idle"], c["idle_estimated"]);
    EXPECT_GE(c["idle_estimated"].get<uint64_t>(), c["idle_counted"].get<uint64_t>());
    // Every expected sample is counted or explained (more may be counted: timer jitter).
    EXPECT_GE(accounted, c["expected"].get<uint64_t>()) << c.dump();
    std::printf(
        "FIGURES cpu=%s expected=%s counted=%llu idle_counted=%s idle_estimated=%s steal=%s throttled=%s\n",
        c["cpu"].dump().c_str(), c["expected"].dump().c_str(), static_cast<unsigned long long>(counted),
        c["idle_counted"].dump().c_str(), c["idle_estimated"].dump().c_str(), c["steal"].dump().c_str(),
        c["throttled"].dump().c_str());
  }
  // The io and alloc probes did not run: null, not 0.
  EXPECT_TRUE(j["samples"]["io"].is_null());
  EXPECT_TRUE(j["samples"]["alloc"].is_null());
  EXPECT_GT(j["samples"]["cpu"].get<uint64_t>(), 300u);
}
