// Launching `-- CMD`: fork, the child waits on a pipe until released, then
// execs; an exec failure comes back through a close-on-exec pipe.
#include "loadprof/collect/launch.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

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

// Only async-signal-safe calls between fork and exec.
[[noreturn]] void run_child(int release_fd, int error_fd, char* const* argv) {
  setpgid(0, 0);
  // loadprof may block or ignore signals (signalfd, SIGPIPE); the command must not inherit that.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig : {SIGINT, SIGTERM, SIGPIPE, SIGQUIT, SIGHUP, SIGCHLD}) signal(sig, SIG_DFL);
  char byte = 0;
  ssize_t n;
  do {
    n = read(release_fd, &byte, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) _exit(127);  // loadprof went away without releasing us
  close(release_fd);
  execvp(argv[0], argv);
  int err = errno;
  ssize_t w = write(error_fd, &err, sizeof err);
  (void)w;
  _exit(127);
}

}  // namespace

Result<LaunchedCommand> LaunchedCommand::spawn(const std::vector<std::string>& argv) {
  if (argv.empty() || argv[0].empty()) return make_error(ErrorKind::usage, "no command to launch");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  int release[2], exec_error[2];
  if (pipe2(release, O_CLOEXEC) != 0) return errno_error(ErrorKind::internal, "pipe", errno);
  UniqueFd release_read(release[0]), release_write(release[1]);
  if (pipe2(exec_error, O_CLOEXEC) != 0) return errno_error(ErrorKind::internal, "pipe", errno);
  UniqueFd error_read(exec_error[0]), error_write(exec_error[1]);

  pid_t pid = fork();
  if (pid < 0) return errno_error(ErrorKind::internal, "fork", errno);
  if (pid == 0) run_child(release_read.get(), error_write.get(), args.data());
  setpgid(pid, pid);  // also from the parent: no race with signal_group()

  LaunchedCommand cmd;
  cmd.argv0_ = argv[0];
  cmd.pid_ = pid;
  cmd.release_fd_ = release_write.release();
  cmd.exec_error_fd_ = error_read.release();
  return cmd;
}

LaunchedCommand::LaunchedCommand(LaunchedCommand&& o) noexcept
    : argv0_(std::move(o.argv0_)),
      pid_(std::exchange(o.pid_, -1)),
      release_fd_(std::exchange(o.release_fd_, -1)),
      exec_error_fd_(std::exchange(o.exec_error_fd_, -1)),
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
}

Result<void> LaunchedCommand::release() {
  if (release_fd_ < 0) return make_error(ErrorKind::internal, "command already released");
  UniqueFd release(release_fd_), error(exec_error_fd_);
  release_fd_ = exec_error_fd_ = -1;
  char byte = 1;
  ssize_t n;
  do {
    n = write(release.get(), &byte, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) return errno_error(ErrorKind::target_gone, "cannot execute '" + argv0_ + "'", errno);
  release.reset();
  int err = 0;
  do {
    n = read(error.get(), &err, sizeof err);
  } while (n < 0 && errno == EINTR);
  if (n == 0) return {};  // closed by exec: the command runs
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  status_ = to_exit_status(status);
  if (n != sizeof err) err = EIO;
  return make_error(ErrorKind::target_gone, "cannot execute '" + argv0_ + "': " + std::strerror(err));
}

void LaunchedCommand::signal_group(int sig) {
  if (pid_ > 0 && kill(-pid_, sig) != 0 && !status_) kill(pid_, sig);
}

std::optional<ExitStatus> LaunchedCommand::poll_exit() {
  if (status_ || pid_ <= 0) return status_;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) status_ = to_exit_status(status);
  return status_;
}

ExitStatus LaunchedCommand::stop(int grace_ms) {
  if (release_fd_ >= 0) {
    // Never released: let it go away without running the command.
    UniqueFd(release_fd_).reset();
    release_fd_ = -1;
  }
  constexpr int kStepMs = 10;
  for (int sig : {SIGINT, SIGTERM, SIGKILL}) {
    if (poll_exit()) break;
    signal_group(sig);
    for (int waited = 0; waited < grace_ms && !poll_exit(); waited += kStepMs) sleep_ms(kStepMs);
  }
  if (!poll_exit()) {
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    status_ = to_exit_status(status);
  }
  // Members of the group that outlive the leader get the same end.
  if (pid_ > 0 && kill(-pid_, 0) == 0) kill(-pid_, SIGKILL);
  return *status_;
}

}  // namespace loadprof::collect
