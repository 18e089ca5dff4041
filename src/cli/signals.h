// SIGINT/SIGTERM -> a stop flag, so long-running commands end cleanly (Ctrl-C
// leaves a valid capture and writes results so far).
#pragma once

#include <atomic>

namespace loadprof::cli {

// Installs the handlers (once) and returns the flag they raise.
const std::atomic<bool>& install_stop_handlers();

}  // namespace loadprof::cli
