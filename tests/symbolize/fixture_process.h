// Runs tests/symbolize/fixture/symbolize_fixture and reads the addresses it
// prints ("name 0xaddr"); the process lives until finish() or destruction.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "loadprof/capture/model.h"

namespace loadprof::symbolize::testing {

std::string fixture_program();
std::string fixture_program_no_pie();      // the same program linked at a fixed address (ET_EXEC)
std::string fixture_program_no_aranges();  // the same program without .debug_aranges
std::string fixture_library();

class FixtureProcess {
 public:
  // Starts the fixture (program) with the library to dlopen; waits for "ready".
  explicit FixtureProcess(const std::string& library = fixture_library(),
                          const std::string& program = fixture_program());
  ~FixtureProcess();
  FixtureProcess(const FixtureProcess&) = delete;
  FixtureProcess& operator=(const FixtureProcess&) = delete;

  bool ready() const { return ready_; }
  pid_t pid() const { return pid_; }
  uint64_t address(const std::string& name) const;
  // /proc/PID/maps now, as mappings valid from time_ns.
  std::vector<capture::Mapping> maps(uint64_t time_ns) const;
  // Closes stdin and waits: the process exits with status 0. pid() stays.
  int finish();

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  bool ready_ = false;
  bool finished_ = false;
  int exit_status_ = -1;
  std::map<std::string, uint64_t> addresses_;
};

}  // namespace loadprof::symbolize::testing
