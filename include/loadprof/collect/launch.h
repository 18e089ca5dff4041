// Launching `-- CMD`: the child is forked and blocks on a pipe until its pid is
// in the collector's filter, then execs (nothing of its start-up is missed).
// It runs in its own process group so Ctrl-C and the end of --duration reach
// it and its children (SIGINT, then SIGTERM after a grace period).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "loadprof/util/result.h"

namespace loadprof::collect {

struct ExitStatus {
  std::optional<int> exit_code;
  std::optional<int> signal;
};

class LaunchedCommand {
 public:
  // Forks; the child waits. exec failure is reported by release() as target_gone.
  static Result<LaunchedCommand> spawn(const std::vector<std::string>& argv);
  LaunchedCommand(LaunchedCommand&&) noexcept;
  LaunchedCommand& operator=(LaunchedCommand&&) noexcept;
  ~LaunchedCommand();  // kills and reaps a child still running

  pid_t pid() const { return pid_; }
  // Lets the child exec. Returns target_gone when exec failed (e.g. not found).
  [[nodiscard]] Result<void> release();
  void signal_group(int sig);
  // Non-blocking: the exit status once the child has been reaped.
  std::optional<ExitStatus> poll_exit();
  // SIGINT to the group, wait grace_ms, SIGTERM, wait grace_ms, SIGKILL;
  // returns the status. Group members still alive after the leader is reaped
  // get SIGKILL too. A command never released exits without running.
  ExitStatus stop(int grace_ms);

 private:
  LaunchedCommand() = default;
  std::string argv0_;
  pid_t pid_ = -1;
  int release_fd_ = -1;
  int exec_error_fd_ = -1;
  std::optional<ExitStatus> status_;
};

}  // namespace loadprof::collect
