// Watches the root targets from /proc while recording (about once a second)
// so the recorder can say afterwards what went wrong with them: why a capture
// got no samples (every thread asleep, stopped, a kernel thread, gone before
// it was sampled), and which target died or stopped mid-run. /proc is read
// only by check(); the verdicts are worded from what it saw and from the
// processes' exit records, so notes() needs no live process.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "loadprof/capture/model.h"

namespace loadprof::record {

// The state letters of one check of a process: its own stat and its threads'.
struct TargetSnapshot {
  bool gone = false;           // /proc/PID no longer there
  bool kernel_thread = false;  // PF_KTHREAD: no user space
  uint32_t threads = 0;
  uint32_t running = 0;   // R
  uint32_t sleeping = 0;  // S, I
  uint32_t disk = 0;      // D
  uint32_t stopped = 0;   // T, t
  uint32_t zombie = 0;    // Z, X
};

// "1 (a b) S 0 ..." -> its state letter and flags; false when malformed.
bool parse_stat_state(std::string_view stat_text, char* state, uint64_t* flags);

class TargetWatch {
 public:
  void add(uint32_t pid, std::string command, bool launched);
  // Reads /proc for every root not yet gone (launched ones only when asked:
  // a command checked as it starts is still busy exec'ing).
  void check(uint64_t now_ns, bool launched_too = true);
  // For tests: one check's result for a root, as check() would record it.
  void observe(uint32_t pid, const TargetSnapshot& snapshot, uint64_t now_ns);

  // Plain-words warnings: why the capture is empty (samples == 0) and which
  // root died or was stopped mid-run. process(pid) gives a root's exit record;
  // stopped_ns: when the recording stopped (exits after it are the recorder's
  // own stop of a launched command).
  std::vector<std::string> notes(uint64_t samples, uint64_t start_ns, uint64_t stopped_ns,
                                 const capture::EndInfo& end,
                                 const std::function<const capture::Process*(uint32_t)>& process) const;

 private:
  struct Root {
    uint32_t pid = 0;
    std::string command;
    bool launched = false;
    uint32_t checks = 0;          // checks that found it alive
    uint32_t idle_checks = 0;     // ... with no thread running or in disk wait
    uint32_t stopped_checks = 0;  // ... with every thread stopped
    uint64_t stopped_first_ns = 0, stopped_last_ns = 0;
    bool kernel_thread = false;
    bool gone = false;
    uint64_t gone_ns = 0;
    TargetSnapshot last;
  };
  std::vector<Root> roots_;
};

}  // namespace loadprof::record
