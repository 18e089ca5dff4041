// Child-process runner for integration tests.
#include "support/run.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace loadprof::testing {

RunResult run(const std::vector<std::string>& argv, int signal_after_ms, int sig) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  RunResult r;
  auto start = std::chrono::steady_clock::now();
  bool signalled = false;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    int timeout = -1;
    if (signal_after_ms >= 0 && !signalled) {
      auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
      if (elapsed >= signal_after_ms) {
        kill(pid, sig);
        signalled = true;
      } else {
        timeout = static_cast<int>(signal_after_ms - elapsed);
      }
    }
    int n = poll(fds, 2, timeout);
    if (n < 0) break;
    for (auto& f : fds) {
      if (f.fd >= 0 && (f.revents & (POLLIN | POLLHUP))) {
        ssize_t got = read(f.fd, buf, sizeof buf);
        if (got <= 0) {
          close(f.fd);
          f.fd = -1;
          --open_fds;
        } else {
          (f.fd == out_pipe[0] ? r.out : r.err).append(buf, static_cast<size_t>(got));
        }
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

std::string loadprof_binary() { return std::string(LOADPROF_BINARY_DIR) + "/src/cli/loadprof"; }
std::string test_program(const std::string& name) {
  return std::string(LOADPROF_BINARY_DIR) + "/tests/programs/" + name;
}

std::string temp_dir() {
  char tmpl[] = "/tmp/loadprof-test-XXXXXX";
  char* d = mkdtemp(tmpl);
  if (!d) throw std::runtime_error("mkdtemp");
  return d;
}

std::vector<std::map<std::string, std::string>> ground_truth_lines(const std::string& out,
                                                                   const std::string& program) {
  std::vector<std::map<std::string, std::string>> lines;
  std::istringstream in(out);
  std::string line;
  const std::string prefix = "GROUND_TRUTH program=" + program + " ";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    std::map<std::string, std::string> kv;
    std::istringstream words(line.substr(std::string("GROUND_TRUTH ").size()));  // program= included
    std::string w;
    while (words >> w) {
      auto eq = w.find('=');
      if (eq != std::string::npos) kv[w.substr(0, eq)] = w.substr(eq + 1);
    }
    lines.push_back(std::move(kv));
  }
  return lines;
}

}  // namespace loadprof::testing
