// FixtureProcess: fork/exec of the fixture with pipes on stdin and stdout.
#include "fixture_process.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "loadprof/symbolize/proc_maps.h"

namespace loadprof::symbolize::testing {

std::string fixture_program() { return std::string(SYMBOLIZE_FIXTURE_DIR) + "/symbolize_fixture"; }
std::string fixture_program_no_pie() {
  return std::string(SYMBOLIZE_FIXTURE_DIR) + "/symbolize_fixture_no_pie";
}
std::string fixture_program_no_aranges() {
  return std::string(SYMBOLIZE_FIXTURE_DIR) + "/symbolize_fixture_no_aranges";
}
std::string fixture_library() { return std::string(SYMBOLIZE_FIXTURE_DIR) + "/libsymfixture_lib.so"; }

FixtureProcess::FixtureProcess(const std::string& library, const std::string& program) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0) return;
  if (pipe2(out, O_CLOEXEC) != 0) return;
  pid_ = fork();
  if (pid_ == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    execl(program.c_str(), program.c_str(), library.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  stdin_fd_ = in[1];
  FILE* f = fdopen(out[0], "r");
  char line[256];
  while (f != nullptr && fgets(line, sizeof line, f) != nullptr) {
    std::istringstream words(line);
    std::string name, value;
    words >> name >> value;
    if (name == "ready") {
      ready_ = true;
      break;
    }
    addresses_[name] = name == "pid" ? std::stoull(value) : std::stoull(value, nullptr, 16);
  }
  if (f != nullptr) fclose(f);
}

FixtureProcess::~FixtureProcess() { finish(); }

uint64_t FixtureProcess::address(const std::string& name) const {
  auto it = addresses_.find(name);
  return it == addresses_.end() ? 0 : it->second;
}

std::vector<capture::Mapping> FixtureProcess::maps(uint64_t time_ns) const {
  auto maps = read_proc_maps(static_cast<uint32_t>(pid_), time_ns);
  return maps ? *maps : std::vector<capture::Mapping>{};
}

int FixtureProcess::finish() {
  if (pid_ <= 0 || finished_) return exit_status_;
  if (stdin_fd_ >= 0) close(stdin_fd_);
  stdin_fd_ = -1;
  int status = 0;
  waitpid(pid_, &status, 0);
  finished_ = true;
  exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return exit_status_;
}

}  // namespace loadprof::symbolize::testing
