// Launching `-- CMD`: fork, the child drops to the RunAs user and waits on a
// pipe until released, then execs; a failure of either comes back through a
// close-on-exec pipe. The terminal's foreground goes to the command's group
// while it runs.
#include "loadprof/collect/launch.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

extern char** environ;

#include "loadprof/util/fd.h"

namespace loadprof::collect {
namespace {

ExitStatus to_exit_status(int status) {
  ExitStatus s;
  if (WIFEXITED(status)) s.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) s.signal = WTERMSIG(status);
  return s;
}

void sleep_ms(int ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

// What the child reports through the error pipe when it cannot run the command.
enum class ChildStep : int { exec = 0, setgroups, setgid, setuid, verify };
struct ChildFailure {
  ChildStep step = ChildStep::exec;
  int err = 0;
};

[[noreturn]] void child_fail(int error_fd, ChildStep step, int err) {
  ChildFailure f{step, err};
  ssize_t w = write(error_fd, &f, sizeof f);
  (void)w;
  _exit(127);
}

// Everything the child needs, prepared before fork: between fork and exec
// only async-signal-safe calls (no allocation, no NSS lookups).
struct ChildPlan {
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const RunAs* run_as = nullptr;
  const int* inherit_fds = nullptr;  // close-on-exec cleared in the child
  size_t inherit_count = 0;
};

// Drops to run_as: groups, then gid, then uid (all three ids each), then
// checks that every id is the wanted one and that root cannot be regained.
// Returns the failed step (exec means none failed).
ChildFailure drop_privileges(const RunAs& r) {
  if (setgroups(r.groups.size(), r.groups.data()) != 0) return {ChildStep::setgroups, errno};
  if (setresgid(r.gid, r.gid, r.gid) != 0) return {ChildStep::setgid, errno};
  if (setresuid(r.uid, r.uid, r.uid) != 0) return {ChildStep::setuid, errno};
  uid_t ru, eu, su;
  gid_t rg, eg, sg;
  if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0) return {ChildStep::verify, errno};
  if (ru != r.uid || eu != r.uid || su != r.uid || rg != r.gid || eg != r.gid || sg != r.gid)
    return {ChildStep::verify, EPERM};
  if (r.uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) return {ChildStep::verify, EPERM};
  return {};
}

[[noreturn]] void run_child(int release_fd, int error_fd, const ChildPlan& plan) {
  setpgid(0, 0);
  // loadprof may block or ignore signals (signalfd, SIGPIPE); the command must not inherit that.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig : {SIGINT, SIGTERM, SIGPIPE, SIGQUIT, SIGHUP, SIGCHLD, SIGTTOU, SIGTTIN, SIGTSTP})
    signal(sig, SIG_DFL);
  const ChildFailure dropped = plan.run_as ? drop_privileges(*plan.run_as) : ChildFailure{};
  char byte = 0;
  ssize_t n;
  do {
    n = read(release_fd, &byte, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) _exit(127);  // loadprof went away without releasing us
  close(release_fd);
  for (size_t i = 0; i < plan.inherit_count; ++i) fcntl(plan.inherit_fds[i], F_SETFD, 0);
  // A failed drop is reported only once released: exiting earlier would look
  // like a command that vanished before loadprof attached.
  if (dropped.step != ChildStep::exec) child_fail(error_fd, dropped.step, dropped.err);
  execvpe(plan.argv[0], plan.argv, plan.envp);
  child_fail(error_fd, ChildStep::exec, errno);
}

const char* step_name(ChildStep step) {
  switch (step) {
    case ChildStep::exec:
      return "exec";
    case ChildStep::setgroups:
      return "setgroups";
    case ChildStep::setgid:
      return "setresgid";
    case ChildStep::setuid:
      return "setresuid";
    case ChildStep::verify:
      return "checking the dropped ids";
  }
  return "?";
}

// The environment of the command: loadprof's, with HOME, USER and LOGNAME of
// the RunAs user; each NAME=VALUE of extra replaces loadprof's NAME.
std::vector<std::string> command_environment(const std::optional<RunAs>& run_as,
                                             const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  auto replaced = [&](std::string_view v) {
    for (const auto& x : extra) {
      const size_t eq = x.find('=');
      if (eq != std::string::npos && v.substr(0, eq + 1) == std::string_view(x).substr(0, eq + 1))
        return true;
    }
    return false;
  };
  for (char** e = environ; e && *e; ++e) {
    std::string_view v(*e);
    if (run_as && (v.rfind("HOME=", 0) == 0 || v.rfind("USER=", 0) == 0 || v.rfind("LOGNAME=", 0) == 0))
      continue;
    if (replaced(v)) continue;
    env.emplace_back(v);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  if (run_as) {
    env.push_back("HOME=" + run_as->home);
    const std::string user = run_as->user.empty() ? std::to_string(run_as->uid) : run_as->user;
    env.push_back("USER=" + user);
    env.push_back("LOGNAME=" + user);
  }
  return env;
}

// Runs fn with SIGTTOU ignored: tcsetpgrp from a background group would stop us.
template <class Fn>
void without_sigttou(Fn fn) {
  struct sigaction ignore {
  }, old{};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGTTOU, &ignore, &old);
  fn();
  sigaction(SIGTTOU, &old, nullptr);
}

}  // namespace

Result<LaunchedCommand> LaunchedCommand::spawn(const std::vector<std::string>& argv,
                                               const std::optional<RunAs>& run_as,
                                               const std::vector<std::string>& extra_env,
                                               const std::vector<int>& inherit_fds) {
  if (argv.empty() || argv[0].empty()) return make_error(ErrorKind::usage, "no command to launch");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const std::vector<std::string> env = command_environment(run_as, extra_env);
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  ChildPlan plan{args.data(), envp.data(), run_as ? &*run_as : nullptr, inherit_fds.data(),
                 inherit_fds.size()};

  // The release channel is a socket so that writing to a child that already
  // died is EPIPE (MSG_NOSIGNAL), not a SIGPIPE that kills loadprof.
  int release[2], exec_error[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, release) != 0)
    return errno_error(ErrorKind::internal, "socketpair", errno);
  UniqueFd release_read(release[0]), release_write(release[1]);
  if (pipe2(exec_error, O_CLOEXEC) != 0) return errno_error(ErrorKind::internal, "pipe", errno);
  UniqueFd error_read(exec_error[0]), error_write(exec_error[1]);

  pid_t pid = fork();
  if (pid < 0) return errno_error(ErrorKind::internal, "fork", errno);
  if (pid == 0) run_child(release_read.get(), error_write.get(), plan);
  setpgid(pid, pid);  // also from the parent: no race with signal_group()

  LaunchedCommand cmd;
  cmd.argv0_ = argv[0];
  cmd.pid_ = pid;
  cmd.release_fd_ = release_write.release();
  cmd.exec_error_fd_ = error_read.release();
  if (run_as) cmd.run_as_text_ = run_as->describe();
  return cmd;
}

LaunchedCommand::LaunchedCommand(LaunchedCommand&& o) noexcept
    : argv0_(std::move(o.argv0_)),
      pid_(std::exchange(o.pid_, -1)),
      release_fd_(std::exchange(o.release_fd_, -1)),
      exec_error_fd_(std::exchange(o.exec_error_fd_, -1)),
      run_as_text_(std::move(o.run_as_text_)),
      tty_fd_(std::exchange(o.tty_fd_, -1)),
      saved_pgrp_(std::exchange(o.saved_pgrp_, -1)),
      terminal_given_(o.terminal_given_),
      status_(std::move(o.status_)) {}

LaunchedCommand& LaunchedCommand::operator=(LaunchedCommand&& o) noexcept {
  if (this != &o) {
    this->~LaunchedCommand();
    new (this) LaunchedCommand(std::move(o));
  }
  return *this;
}

LaunchedCommand::~LaunchedCommand() {
  if (release_fd_ >= 0) UniqueFd(release_fd_).reset();  // an unreleased child exits on EOF
  if (exec_error_fd_ >= 0) UniqueFd(exec_error_fd_).reset();
  release_fd_ = exec_error_fd_ = -1;
  if (pid_ > 0 && !status_) {
    kill(-pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  take_back_terminal();
}

void LaunchedCommand::take_back_terminal() {
  if (tty_fd_ < 0) return;
  const int fd = std::exchange(tty_fd_, -1);
  without_sigttou([&] { tcsetpgrp(fd, saved_pgrp_); });
}

Result<void> LaunchedCommand::release(bool give_terminal) {
  if (release_fd_ < 0) return make_error(ErrorKind::internal, "command already released");
  UniqueFd release(release_fd_), error(exec_error_fd_);
  release_fd_ = exec_error_fd_ = -1;
  // The terminal's foreground to the command, when it is ours to give: a
  // background group that reads it would be stopped by SIGTTIN.
  if (give_terminal && isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp()) {
    const pid_t own = getpgrp();
    bool given = false;
    without_sigttou([&] { given = tcsetpgrp(STDIN_FILENO, pid_) == 0; });
    if (given) {
      tty_fd_ = STDIN_FILENO;
      saved_pgrp_ = own;
      terminal_given_ = true;
    }
  }
  char byte = 1;
  ssize_t n;
  do {
    n = send(release.get(), &byte, 1, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  // n != 1 with EPIPE/ECONNRESET: the child is gone before exec (a failed
  // privilege drop says why below).
  if (n != 1 && errno != EPIPE && errno != ECONNRESET)
    return errno_error(ErrorKind::target_gone, "cannot execute '" + argv0_ + "'", errno);
  release.reset();
  ChildFailure failure;
  do {
    n = read(error.get(), &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  if (n == 0) return {};  // closed by exec: the command runs
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  status_ = to_exit_status(status);
  take_back_terminal();
  if (n != sizeof failure) failure = ChildFailure{ChildStep::exec, EIO};
  if (failure.step == ChildStep::exec)
    return make_error(ErrorKind::target_gone,
                      "cannot execute '" + argv0_ + "': " + std::strerror(failure.err));
  return make_error(ErrorKind::permission, "cannot run '" + argv0_ + "' as " + run_as_text_ + ": " +
                                               step_name(failure.step) + ": " + std::strerror(failure.err));
}

void LaunchedCommand::signal_group(int sig) {
  if (pid_ > 0 && kill(-pid_, sig) != 0 && !status_) kill(pid_, sig);
}

std::optional<ExitStatus> LaunchedCommand::poll_exit() {
  if (status_ || pid_ <= 0) return status_;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = to_exit_status(status);
    take_back_terminal();
  }
  return status_;
}

ExitStatus LaunchedCommand::stop(int grace_ms, const std::atomic<bool>* hurry) {
  if (release_fd_ >= 0) {
    // Never released: let it go away without running the command.
    UniqueFd(release_fd_).reset();
    release_fd_ = -1;
  }
  constexpr int kStepMs = 10;
  auto hurried = [&] { return hurry && hurry->load(); };
  for (int sig : {SIGINT, SIGTERM, SIGKILL}) {
    if (poll_exit()) break;
    if (hurried() && sig != SIGKILL) continue;
    signal_group(sig);
    // A stopped command (Ctrl-Z, SIGTTIN) acts on SIGINT/SIGTERM only once continued.
    if (sig != SIGKILL) signal_group(SIGCONT);
    for (int waited = 0; waited < grace_ms && !poll_exit() && !hurried(); waited += kStepMs)
      sleep_ms(kStepMs);
  }
  if (!poll_exit()) {
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    status_ = to_exit_status(status);
  }
  take_back_terminal();
  // Members of the group that outlive the leader get the same end.
  if (pid_ > 0 && kill(-pid_, 0) == 0) kill(-pid_, SIGKILL);
  return *status_;
}

}  // namespace loadprof::collect
