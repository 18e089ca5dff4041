// A test server of ours (tests/programs) as a child process: started with
// its stdout on a pipe, its "PORT n" line read, then stopped with SIGTERM and
// its remaining output (the GROUND_TRUTH line) collected. Killed if the test
// forgets to stop it.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

namespace loadprof::testing {

class ServerChild {
 public:
  // Waits up to 5 s for "PORT n"; port() is 0 when it never came.
  explicit ServerChild(const std::vector<std::string>& argv) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(p[1], 1);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    close(p[1]);
    fd_ = p[0];
    while (out_.find('\n') == std::string::npos && read_some(5000)) {
    }
    std::sscanf(out_.c_str(), "PORT %d", &port_);
  }
  ~ServerChild() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) close(fd_);
  }
  ServerChild(const ServerChild&) = delete;
  ServerChild& operator=(const ServerChild&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  // SIGTERM, then everything it printed (PORT line included) until it exits.
  std::string stop() {
    if (pid_ <= 0) return out_;
    kill(pid_, SIGTERM);
    while (read_some(10000)) {
    }
    waitpid(pid_, &status_, 0);
    pid_ = -1;
    return out_;
  }
  int status() const { return status_; }

 private:
  bool read_some(int timeout_ms) {
    pollfd f{fd_, POLLIN, 0};
    if (poll(&f, 1, timeout_ms) <= 0) return false;
    char buf[4096];
    ssize_t n = read(fd_, buf, sizeof buf);
    if (n <= 0) return false;
    out_.append(buf, static_cast<size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int fd_ = -1;
  int port_ = 0;
  int status_ = -1;
  std::string out_;
};

}  // namespace loadprof::testing
