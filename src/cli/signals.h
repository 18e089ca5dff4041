// SIGINT/SIGTERM -> stop flags, so long-running commands end cleanly (Ctrl-C
// leaves a valid capture and writes results so far). A second signal, or one
// that arrives once the command is finishing (writing its results), raises
// `hurry`: stop at once, skipping grace periods.
#pragma once

#include <atomic>

namespace loadprof::cli {

struct StopFlags {
  std::atomic<bool> stop{false};
  std::atomic<bool> hurry{false};
  // Set by the command when it has stopped its work and is finishing: the
  // next signal is already the impatient one.
  std::atomic<bool> finishing{false};
};

// Installs the handlers (once) and returns the flags they raise.
StopFlags& install_stop_flags();

// Installs the handlers (once) and returns the flag they raise.
const std::atomic<bool>& install_stop_handlers();

}  // namespace loadprof::cli
