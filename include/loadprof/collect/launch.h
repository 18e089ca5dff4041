// Launching `-- CMD`: the child is forked and blocks on a pipe until its pid is
// in the collector's filter, then execs (nothing of its start-up is missed).
// It runs in its own process group so the end of --duration reaches it and its
// children (SIGINT, then SIGTERM after a grace period, each with SIGCONT).
// When loadprof's stdin is its terminal and loadprof is in the foreground, the
// command's group gets the terminal (so a command that reads it is not stopped
// by SIGTTIN) and loadprof takes it back when the command has ended.
// The command runs as RunAs (see run_as.h) when given: the child drops to
// that user's uid, gid and groups before exec, and never execs if any step fails.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "loadprof/collect/run_as.h"
#include "loadprof/util/result.h"

namespace loadprof::collect {

struct ExitStatus {
  std::optional<int> exit_code;
  std::optional<int> signal;
};

class LaunchedCommand {
 public:
  // Forks; the child waits. exec failure is reported by release() as
  // target_gone, a failed privilege drop as permission.
  // extra_env: NAME=VALUE entries set in the command's environment (over
  // loadprof's); inherit_fds: descriptors the command inherits across exec.
  static Result<LaunchedCommand> spawn(const std::vector<std::string>& argv,
                                       const std::optional<RunAs>& run_as = std::nullopt,
                                       const std::vector<std::string>& extra_env = {},
                                       const std::vector<int>& inherit_fds = {});
  LaunchedCommand(LaunchedCommand&&) noexcept;
  LaunchedCommand& operator=(LaunchedCommand&&) noexcept;
  ~LaunchedCommand();  // kills and reaps a child still running

  pid_t pid() const { return pid_; }
  // Gives the child the terminal (see above; only when give_terminal), then
  // lets it exec. Returns target_gone when exec failed (e.g. not found),
  // permission when the child could not become the RunAs user.
  [[nodiscard]] Result<void> release(bool give_terminal = true);
  // The command's group was given the terminal's foreground at release (so
  // Ctrl-C on the terminal reached it, not loadprof).
  bool was_given_terminal() const { return terminal_given_; }
  void signal_group(int sig);
  // Non-blocking: the exit status once the child has been reaped.
  std::optional<ExitStatus> poll_exit();
  // SIGINT to the group, wait grace_ms, SIGTERM, wait grace_ms, SIGKILL;
  // returns the status. Group members still alive after the leader is reaped
  // get SIGKILL too. A command never released exits without running.
  // hurry (a second Ctrl-C), once raised, cuts the waits short: SIGKILL next.
  ExitStatus stop(int grace_ms, const std::atomic<bool>* hurry = nullptr);

 private:
  LaunchedCommand() = default;
  void take_back_terminal();
  std::string argv0_;
  pid_t pid_ = -1;
  int release_fd_ = -1;
  int exec_error_fd_ = -1;
  std::string run_as_text_;  // "user nobody (uid 65534)" for messages
  int tty_fd_ = -1;          // the terminal given to the command, or -1
  pid_t saved_pgrp_ = -1;    // its foreground group before
  bool terminal_given_ = false;
  std::optional<ExitStatus> status_;
};

}  // namespace loadprof::collect
