// A recorder that talks: the status line on a terminal (and its absence when
// stderr is piped), the second Ctrl-C that stops at once, the warnings about
// an empty capture (an idle program of ours, a kernel thread), a target that
// died mid-run, and a costly --frequency. Real BPF, real processes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "loadprof/capture/reader.h"
#include "support/privilege.h"
#include "support/run.h"

using namespace loadprof;
using loadprof::testing::loadprof_binary;
using loadprof::testing::run;
using loadprof::testing::test_program;

namespace {

class RecordTalk : public ::testing::Test {
 protected:
  void SetUp() override { LOADPROF_REQUIRE_BPF_PRIVILEGES(); }
};

// Starts a program of ours in the background; killed when the test ends.
class Background {
 public:
  explicit Background(const std::vector<std::string>& argv) {
    pid_ = fork();
    if (pid_ == 0) {
      int null = open("/dev/null", O_WRONLY);
      dup2(null, 1);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    usleep(100 * 1000);  // exec'd and running
  }
  ~Background() { kill_now(); }
  pid_t pid() const { return pid_; }
  void kill_now() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

// Runs argv on a new pseudo-terminal (stdin, stdout and stderr; its
// controlling terminal, loadprof in its foreground) and returns all it wrote.
std::string run_on_pty(const std::vector<std::string>& argv, int* exit_status) {
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) return "";
  const std::string slave_name = ptsname(master);
  pid_t child = fork();
  if (child == 0) {
    setsid();
    int slave = open(slave_name.c_str(), O_RDWR);
    if (slave < 0) _exit(126);
    ioctl(slave, TIOCSCTTY, 0);
    dup2(slave, 0);
    dup2(slave, 1);
    dup2(slave, 2);
    close(master);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  std::string text;
  int status = -1;
  const auto t0 = std::chrono::steady_clock::now();
  while (true) {
    pollfd p{master, POLLIN, 0};
    if (poll(&p, 1, 100) > 0) {
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
  *exit_status = status;
  return text;
}

// The sample counts of the status lines drawn, in order; the target CPU %
// each shows (-1 when it shows none) in cpu_pct.
std::vector<uint64_t> status_samples(const std::string& text, std::vector<int>* cpu_pct = nullptr) {
  static const std::regex line(
      "\r\x1b\\[Krecording pid [0-9]+: [0-9]+:[0-9]{2} elapsed, ([0-9]+) samples, "
      "[0-9]+ lost, 1 process alive(, target CPU ([0-9]+) %)? - Ctrl-C to stop");
  std::vector<uint64_t> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), line); it != std::sregex_iterator(); ++it) {
    out.push_back(std::stoull((*it)[1]));
    if (cpu_pct) cpu_pct->push_back((*it)[3].matched ? std::stoi((*it)[3]) : -1);
  }
  return out;
}

}  // namespace

TEST_F(RecordTalk, StatusLineOnATerminalAndNoneWhenPiped) {
  Background hot({test_program("hot"), "30"});
  const std::string out = loadprof::testing::temp_dir() + "/cap.lpc";
  int status = -1;
  const std::string text = run_on_pty(
      {loadprof_binary(), "record", "--pid", std::to_string(hot.pid()), "--duration", "3.5", "--output", out},
      &status);
  ASSERT_TRUE(WIFEXITED(status)) << text;
  EXPECT_EQ(WEXITSTATUS(status), 0) << text;
  // Redrawn about once a second (at the start, then at 1, 2 and 3 s), the samples growing.
  std::vector<int> cpu_pct;
  auto samples = status_samples(text, &cpu_pct);
  ASSERT_GE(samples.size(), 3u) << text;
  EXPECT_LE(samples.size(), 6u) << text;
  EXPECT_GT(samples.back(), samples.front() + 100) << text;  // hot burns a CPU: ~99 samples a second
  for (size_t i = 1; i < samples.size(); ++i) EXPECT_GE(samples[i], samples[i - 1]) << text;
  // The target's CPU from the second line on (the first comes before a second reading): hot keeps one
  // thread busy, so at most one CPU's worth, and well above nothing even on a busy machine.
  EXPECT_EQ(cpu_pct.front(), -1) << text;
  for (size_t i = 1; i < cpu_pct.size(); ++i) {
    EXPECT_GE(cpu_pct[i], 20) << text;
    EXPECT_LE(cpu_pct[i], 110) << text;
  }
  // Erased before the summary, which starts on a clean line.
  EXPECT_NE(text.find("\r\x1b[Krecorded "), std::string::npos) << text;

  // Piped: no status line at all.
  auto piped = run({loadprof_binary(), "record", "--pid", std::to_string(hot.pid()), "--duration", "1.5",
                    "--output", out});
  EXPECT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_EQ(piped.err.find("Ctrl-C to stop"), std::string::npos) << piped.err;
  EXPECT_EQ(piped.err.find('\r'), std::string::npos) << piped.err;
  EXPECT_NE(piped.err.find("recorded "), std::string::npos) << piped.err;
}

TEST_F(RecordTalk, LaunchedCommandHoldingTheTerminalGetsNoRedrawnLine) {
  // The command writes to the same terminal: one line says how Ctrl-C works,
  // nothing is drawn over the command's output.
  const std::string out = loadprof::testing::temp_dir() + "/cap.lpc";
  int status = -1;
  const std::string text =
      run_on_pty({loadprof_binary(), "record", "--output", out, "--", test_program("hot"), "2.5"}, &status);
  ASSERT_TRUE(WIFEXITED(status)) << text;
  EXPECT_EQ(WEXITSTATUS(status), 0) << text;
  EXPECT_NE(text.find("the command has the terminal: Ctrl-C goes to it"), std::string::npos) << text;
  EXPECT_EQ(text.find("Ctrl-C to stop"), std::string::npos) << text;
  EXPECT_NE(text.find("GROUND_TRUTH program=hot"), std::string::npos) << text;
}

TEST_F(RecordTalk, SecondCtrlCStopsAtOnceAndTheCaptureIsStillWhole) {
  // A command that ignores SIGINT and SIGTERM: after one Ctrl-C the recorder
  // waits out two 2 s grace periods before SIGKILL; a second Ctrl-C skips them.
  const std::string out = loadprof::testing::temp_dir() + "/cap.lpc";
  const std::vector<std::string> argv{loadprof_binary(),
                                      "record",
                                      "--output",
                                      out,
                                      "--",
                                      "/bin/sh",
                                      "-c",
                                      "trap '' INT TERM; while :; do :; done"};
  pid_t child = fork();
  if (child == 0) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  usleep(1'500'000);
  kill(child, SIGINT);
  usleep(300'000);
  const auto second = std::chrono::steady_clock::now();
  kill(child, SIGINT);
  int status = 0;
  waitpid(child, &status, 0);
  const double after_second_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - second).count();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  // Without the second Ctrl-C this takes 4 s (two grace periods) minus the 0.3 s already waited.
  EXPECT_LT(after_second_s, 1.5);
  auto cap = capture::read_capture(out);
  ASSERT_TRUE(cap.ok()) << cap.error().message;
  EXPECT_FALSE(cap->read_info.truncated);
  ASSERT_TRUE(cap->end.has_value());
  EXPECT_TRUE(cap->end->interrupted);
  EXPECT_GT(cap->cpu_samples.size(), 50u);  // the shell burned a CPU for 1.5 s
  ASSERT_FALSE(cap->processes.empty());
  EXPECT_EQ(cap->processes.front().exit_signal, std::optional<int>(SIGKILL));
}

// Attached to a process already asleep: a launched one can take a sample or
// two while it starts (ld.so, ~1 ms of CPU: ~15 % of runs at 99 Hz).
TEST_F(RecordTalk, EmptyCaptureSaysTheTargetWasIdle) {
  Background sleeper({test_program("sleeper"), "30"});
  const std::string out = loadprof::testing::temp_dir() + "/cap.lpc";
  auto res = run({loadprof_binary(), "record", "--duration", "1.5", "--output", out, "--pid",
                  std::to_string(sleeper.pid())});
  EXPECT_EQ(res.exit_code, 0) << res.err;
  EXPECT_NE(res.err.find("recorded 0 samples"), std::string::npos) << res.err;
  EXPECT_NE(res.err.find("warning: no CPU samples were recorded: pid "), std::string::npos) << res.err;
  EXPECT_NE(res.err.find("(sleeper) was idle: its 1 thread was sleeping at every check"), std::string::npos)
      << res.err;
  // A launched command stopped by the recorder at the end of --duration: not a death to warn about.
  auto launched =
      run({loadprof_binary(), "record", "--duration", "1.5", "--output", out, "--", test_program("sleeper")});
  EXPECT_EQ(launched.exit_code, 0) << launched.err;
  EXPECT_EQ(launched.err.find("warning: pid "), std::string::npos) << launched.err;
  // A program that works draws no such warning.
  auto busy = run({loadprof_binary(), "record", "--output", out, "--", test_program("hot"), "1"});
  EXPECT_EQ(busy.exit_code, 0) << busy.err;
  EXPECT_EQ(busy.err.find("no CPU samples"), std::string::npos) << busy.err;
}

TEST_F(RecordTalk, EmptyCaptureOfAKernelThreadSaysItHasNoUserSpace) {
  std::ifstream comm("/proc/2/comm");
  std::string name;
  std::getline(comm, name);
  if (name != "kthreadd") GTEST_SKIP() << "pid 2 is not kthreadd here";
  const std::string out = loadprof::testing::temp_dir() + "/cap.lpc";
  auto res = run({loadprof_binary(), "record", "--pid", "2", "--duration", "1", "--output", out});
  EXPECT_EQ(res.exit_code, 0) << res.err;
  EXPECT_NE(res.err.find("pid 2 (kthreadd) is a kernel thread: it has no user space"), std::string::npos)
      << res.err;
}

TEST_F(RecordTalk, ATargetKilledMidRunIsNamedWithWhenAndHow) {
  Background a({test_program("sleeper"), "30"}), b({test_program("sleeper"), "30"});
  const std::string out = loadprof::testing::temp_dir() + "/cap.lpc";
  pid_t victim = a.pid();
  std::thread killer([&] {
    usleep(1'000'000);
    a.kill_now();
  });
  auto res =
      run({loadprof_binary(), "record", "--pid", std::to_string(victim) + "," + std::to_string(b.pid()),
           "--duration", "2.5", "--output", out});
  killer.join();
  EXPECT_EQ(res.exit_code, 0) << res.err;
  std::regex said("warning: pid " + std::to_string(victim) +
                  " \\(sleeper\\) was killed by signal 9 \\(Killed\\) at ([0-9.]+) s of the 2.5 s recording");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(res.err, m, said)) << res.err;
  EXPECT_NEAR(std::stod(m[1]), 1.0, 0.4) << res.err;
  EXPECT_EQ(res.err.find("warning: pid " + std::to_string(b.pid())), std::string::npos) << res.err;
}

TEST_F(RecordTalk, AFrequencyAboveOneKilohertzIsWarnedWithItsCost) {
  const std::string out = loadprof::testing::temp_dir() + "/cap.lpc";
  auto res = run({loadprof_binary(), "record", "--frequency", "2000", "--output", out, "--", "/bin/true"});
  EXPECT_EQ(res.exit_code, 0) << res.err;
  EXPECT_NE(res.err.find("warning: --frequency 2000 Hz"), std::string::npos) << res.err;
  EXPECT_NE(res.err.find("at 999 Hz a CPU-bound target lost 1.4 % of its throughput (docs/BENCHMARKS.md)"),
            std::string::npos)
      << res.err;
  EXPECT_NE(res.err.find("expect about 2.8 % at 2000 Hz"), std::string::npos) << res.err;
  auto usual = run({loadprof_binary(), "record", "--frequency", "999", "--output", out, "--", "/bin/true"});
  EXPECT_EQ(usual.exit_code, 0) << usual.err;
  EXPECT_EQ(usual.err.find("--frequency"), std::string::npos) << usual.err;
}
