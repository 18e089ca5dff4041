// TargetWatch's verdicts from given /proc snapshots and exit records (no live
// process): the wording of an empty capture's reason, and which exits are
// warned about.
#include "record/target_watch.h"

#include <gtest/gtest.h>
#include <signal.h>

using namespace loadprof;
using namespace loadprof::record;

namespace {

constexpr uint64_t kS = 1'000'000'000;

TargetSnapshot sleeping(uint32_t threads) {
  TargetSnapshot s;
  s.threads = s.sleeping = threads;
  return s;
}

capture::EndInfo ended_at(uint64_t end_ns) {
  capture::EndInfo e;
  e.end_ns = end_ns;
  e.reason = "duration";
  return e;
}

}  // namespace

TEST(TargetWatch, ParsesStateAndFlagsPastAnAwkwardComm) {
  char state = 0;
  uint64_t flags = 0;
  ASSERT_TRUE(parse_stat_state("2 (kthreadd) S 0 0 0 0 -1 2129984 0 0", &state, &flags));
  EXPECT_EQ(state, 'S');
  EXPECT_EQ(flags, 2129984u);  // PF_KTHREAD set
  ASSERT_TRUE(parse_stat_state("77 (a) b) (c) R 1 77 77 0 -1 4194560 12", &state, &flags));
  EXPECT_EQ(state, 'R');
  EXPECT_EQ(flags, 4194560u);
  EXPECT_FALSE(parse_stat_state("77 (a) R 1", &state, &flags));
  EXPECT_FALSE(parse_stat_state("garbage", &state, &flags));
}

TEST(TargetWatch, EmptyCaptureReasons) {
  TargetWatch w;
  w.add(10, "idle", false);
  w.add(11, "halted", false);
  w.add(12, "kworker", false);
  w.add(13, "busy", false);
  TargetSnapshot stopped;
  stopped.threads = stopped.stopped = 2;
  TargetSnapshot kthread = sleeping(1);
  kthread.kernel_thread = true;
  TargetSnapshot running = sleeping(3);
  running.running = 1;
  running.sleeping = 2;
  for (uint64_t t = 0; t < 3; ++t) {
    w.observe(10, sleeping(4), t * kS);
    w.observe(11, stopped, t * kS);
    w.observe(12, kthread, t * kS);
    w.observe(13, t == 1 ? running : sleeping(3), t * kS);
  }
  auto notes = w.notes(0, 0, 3 * kS, ended_at(3 * kS), nullptr);
  ASSERT_EQ(notes.size(), 4u);
  EXPECT_NE(notes[0].find("pid 10 (idle) was idle: its 4 threads were sleeping at every check"), std::string::npos)
      << notes[0];
  EXPECT_NE(notes[1].find("pid 11 (halted) was stopped (state T"), std::string::npos) << notes[1];
  EXPECT_NE(notes[1].find("kill -CONT 11"), std::string::npos) << notes[1];
  EXPECT_NE(notes[2].find("pid 12 (kworker) is a kernel thread: it has no user space"), std::string::npos)
      << notes[2];
  EXPECT_NE(notes[3].find("pid 13 (busy) was running at 1 of 3 checks"), std::string::npos) << notes[3];
  // With samples, only the stopped target is worth a word.
  auto with_samples = w.notes(100, 0, 3 * kS, ended_at(3 * kS), nullptr);
  ASSERT_EQ(with_samples.size(), 1u);
  EXPECT_EQ(with_samples[0],
            "pid 11 (halted) was stopped (state T: SIGSTOP, Ctrl-Z or a debugger) from 0.0 s to 2.0 s: it took no "
            "CPU time then");
}

TEST(TargetWatch, ExitsWarnedAboutAndNot) {
  TargetWatch w;
  w.add(20, "svc", false);     // attached, killed mid-run while another target went on
  w.add(21, "other", false);   // alive to the end
  w.add(22, "cmd", true);      // launched, stopped by the recorder at the end: its own doing
  capture::Process killed{}, cmd{};
  killed.pid = 20;
  killed.command = "svc";
  killed.exit_ns = 2 * kS;
  killed.exit_signal = SIGKILL;
  cmd.pid = 22;
  cmd.command = "cmd";
  cmd.exit_ns = 10 * kS + 1000;  // after the recording stopped at 10 s
  cmd.exit_signal = SIGINT;
  auto lookup = [&](uint32_t pid) -> const capture::Process* {
    return pid == 20 ? &killed : pid == 22 ? &cmd : nullptr;
  };
  auto notes = w.notes(500, 0, 10 * kS, ended_at(10 * kS + 5000), lookup);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0],
            "pid 20 (svc) was killed by signal 9 (Killed) at 2.0 s of the 10.0 s recording: the rest of the "
            "capture has no samples of it");
  // A launched command that crashed and so ended the recording is named too.
  TargetWatch l;
  l.add(30, "server", true);
  capture::Process crashed{};
  crashed.pid = 30;
  crashed.exit_ns = 4 * kS;
  crashed.exit_signal = SIGSEGV;
  capture::EndInfo e = ended_at(4 * kS + 100);
  e.reason = "target exited";
  e.target_exited_ns = 4 * kS + 50;
  auto crash = l.notes(500, 0, 4 * kS + 50, e, [&](uint32_t) { return &crashed; });
  ASSERT_EQ(crash.size(), 1u);
  EXPECT_NE(crash[0].find("pid 30 (server) was killed by signal 11"), std::string::npos) << crash[0];
  // One that finished normally (exit 0) is the ordinary end of a run: nothing said.
  crashed.exit_signal.reset();
  crashed.exit_code = 0;
  EXPECT_TRUE(l.notes(500, 0, 4 * kS + 50, e, [&](uint32_t) { return &crashed; }).empty());
}
