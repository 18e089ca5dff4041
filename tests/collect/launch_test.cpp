// LaunchedCommand: release/exec, exec failure, exit status, staged stop.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "loadprof/collect/launch.h"

namespace loadprof::collect {
namespace {

ExitStatus wait_exit(LaunchedCommand& cmd) {
  for (int i = 0; i < 1000; ++i) {
    if (auto s = cmd.poll_exit()) return *s;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "command did not exit within 10 s";
  return cmd.stop(100);
}

TEST(CollectLaunch, ReportsExitCode) {
  auto cmd = LaunchedCommand::spawn({"/bin/sh", "-c", "exit 7"});
  ASSERT_TRUE(cmd.ok()) << cmd.error().message;
  ASSERT_TRUE(cmd->release().ok());
  ExitStatus s = wait_exit(*cmd);
  ASSERT_TRUE(s.exit_code.has_value());
  EXPECT_EQ(*s.exit_code, 7);
  EXPECT_FALSE(s.signal.has_value());
}

TEST(CollectLaunch, ChildWaitsUntilReleased) {
  std::string marker = std::filesystem::temp_directory_path() / ("lp_launch_" + std::to_string(getpid()));
  std::filesystem::remove(marker);
  auto cmd = LaunchedCommand::spawn({"/bin/sh", "-c", "touch '" + marker + "'"});
  ASSERT_TRUE(cmd.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(std::filesystem::exists(marker)) << "the command ran before release()";
  EXPECT_FALSE(cmd->poll_exit().has_value());
  ASSERT_TRUE(cmd->release().ok());
  ExitStatus s = wait_exit(*cmd);
  EXPECT_EQ(s.exit_code.value_or(-1), 0);
  EXPECT_TRUE(std::filesystem::exists(marker));
  std::filesystem::remove(marker);
}

TEST(CollectLaunch, NeverReleasedCommandDoesNotRun) {
  std::string marker = std::filesystem::temp_directory_path() / ("lp_launch_nr_" + std::to_string(getpid()));
  std::filesystem::remove(marker);
  {
    auto cmd = LaunchedCommand::spawn({"/bin/sh", "-c", "touch '" + marker + "'"});
    ASSERT_TRUE(cmd.ok());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST(CollectLaunch, ExecFailureIsTargetGone) {
  auto cmd = LaunchedCommand::spawn({"/nonexistent/loadprof-no-such-program", "x"});
  ASSERT_TRUE(cmd.ok());
  auto r = cmd->release();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::target_gone);
  EXPECT_EQ(r.error().message,
            "cannot execute '/nonexistent/loadprof-no-such-program': No such file or directory");
}

TEST(CollectLaunch, ExecFailureNotExecutable) {
  std::string file = std::filesystem::temp_directory_path() / ("lp_launch_noexec_" + std::to_string(getpid()));
  { std::ofstream(file) << "#!/bin/sh\n"; }
  std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto cmd = LaunchedCommand::spawn({file});
  ASSERT_TRUE(cmd.ok());
  auto r = cmd->release();
  std::filesystem::remove(file);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::target_gone);
  EXPECT_EQ(r.error().message, "cannot execute '" + file + "': Permission denied");
}

TEST(CollectLaunch, StopSendsSigintFirst) {
  auto cmd = LaunchedCommand::spawn({"sleep", "30"});
  ASSERT_TRUE(cmd.ok());
  ASSERT_TRUE(cmd->release().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ExitStatus s = cmd->stop(2000);
  ASSERT_TRUE(s.signal.has_value());
  EXPECT_EQ(*s.signal, SIGINT);
}

TEST(CollectLaunch, StopEscalatesToSigterm) {
  // The shell ignores SIGINT (and so do its children): SIGTERM must end it.
  auto cmd = LaunchedCommand::spawn({"/bin/sh", "-c", "trap '' INT; while :; do sleep 0.05; done"});
  ASSERT_TRUE(cmd.ok());
  ASSERT_TRUE(cmd->release().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ExitStatus s = cmd->stop(300);
  ASSERT_TRUE(s.signal.has_value());
  EXPECT_EQ(*s.signal, SIGTERM);
}

TEST(CollectLaunch, StopEscalatesToSigkill) {
  auto cmd = LaunchedCommand::spawn({"/bin/sh", "-c", "trap '' INT TERM; while :; do sleep 0.05; done"});
  ASSERT_TRUE(cmd.ok());
  ASSERT_TRUE(cmd->release().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ExitStatus s = cmd->stop(200);
  ASSERT_TRUE(s.signal.has_value());
  EXPECT_EQ(*s.signal, SIGKILL);
}

// A stopped command (Ctrl-Z, SIGTTIN) cannot run its SIGINT handler: stop()
// sends SIGCONT with the signal, so the handler runs and the command exits
// its own way instead of being killed by the next escalation.
TEST(CollectLaunch, StopContinuesAStoppedCommand) {
  auto cmd = LaunchedCommand::spawn({"/bin/sh", "-c", "trap 'exit 3' INT; while :; do sleep 0.05; done"});
  ASSERT_TRUE(cmd.ok());
  ASSERT_TRUE(cmd->release().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ(kill(-cmd->pid(), SIGSTOP), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ExitStatus s = cmd->stop(500);
  ASSERT_TRUE(s.exit_code.has_value()) << "killed by signal " << s.signal.value_or(0);
  EXPECT_EQ(*s.exit_code, 3);
}

TEST(CollectLaunch, RunsInItsOwnProcessGroup) {
  auto cmd = LaunchedCommand::spawn({"sleep", "30"});
  ASSERT_TRUE(cmd.ok());
  EXPECT_EQ(getpgid(cmd->pid()), cmd->pid());
  EXPECT_NE(getpgid(cmd->pid()), getpgid(0));
  ASSERT_TRUE(cmd->release().ok());
  cmd->stop(1000);
}

}  // namespace
}  // namespace loadprof::collect
