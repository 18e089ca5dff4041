// Runs a command for a test and collects its exit code, stdout and stderr.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace loadprof::testing {

struct RunResult {
  int exit_code = -1;      // WEXITSTATUS, or 128 + signal
  std::string out;
  std::string err;
};

// Runs argv (argv[0] looked up in PATH when it has no '/'). If signal_after_ms
// >= 0, sends `sig` to the child after that many milliseconds.
RunResult run(const std::vector<std::string>& argv, int signal_after_ms = -1, int sig = 2);

// Path of the loadprof binary in the build tree.
std::string loadprof_binary();
// Path of a test program built in tests/programs.
std::string test_program(const std::string& name);
// The `GROUND_TRUTH program=NAME key=value ...` lines a test program of ours
// printed (tests/programs), in order, each as key -> value.
std::vector<std::map<std::string, std::string>> ground_truth_lines(const std::string& out,
                                                                   const std::string& program);
// A fresh temporary directory (removed by the OS's tmp cleanup, not by us).
std::string temp_dir();

}  // namespace loadprof::testing
