// Starts our test server (tests/load/test_server.cpp) as a child process on
// an ephemeral loopback port and stops it when the test ends; plus a helper
// that runs a command and captures its exit code and output.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

namespace loadprof::test {

class ServerProcess {
 public:
  explicit ServerProcess(std::vector<std::string> args) {
    std::string bin = std::string(LOADPROF_BINARY_DIR) + "/tests/load/loadprof_test_server";
    int p[2];
    if (pipe(p) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(p[1], 1);
      close(p[0]);
      close(p[1]);
      std::vector<char*> argv{const_cast<char*>(bin.c_str())};
      for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(bin.c_str(), argv.data());
      _exit(127);
    }
    close(p[1]);
    FILE* f = fdopen(p[0], "r");
    if (f && std::fscanf(f, "PORT %d", &port_) != 1) port_ = 0;
    if (f) std::fclose(f);
  }
  ~ServerProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  int port() const { return port_; }
  // Kills the server now (a target that dies mid-run); safe from another thread.
  void kill_now() {
    if (pid_ > 0) kill(pid_, SIGKILL);
  }
  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

struct CommandResult {
  int exit_code = -1;
  std::string out, err;
};

// Runs argv with stdout/stderr captured to files; `after_ms` > 0 sends SIGINT after that long.
inline CommandResult run_command(const std::vector<std::string>& args, int sigint_after_ms = 0) {
  std::string out_path = "/tmp/loadprof_test_out_" + std::to_string(getpid());
  std::string err_path = "/tmp/loadprof_test_err_" + std::to_string(getpid());
  pid_t pid = fork();
  if (pid == 0) {
    if (!std::freopen(out_path.c_str(), "w", stdout) || !std::freopen(err_path.c_str(), "w", stderr)) _exit(126);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  if (sigint_after_ms > 0) {
    usleep(static_cast<useconds_t>(sigint_after_ms) * 1000);
    kill(pid, SIGINT);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  auto slurp = [](const std::string& p) {
    std::string s;
    if (FILE* f = std::fopen(p.c_str(), "r")) {
      char buf[4096];
      size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
      std::fclose(f);
    }
    std::remove(p.c_str());
    return s;
  };
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  return r;
}

}  // namespace loadprof::test
