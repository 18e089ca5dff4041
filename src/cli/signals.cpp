// Stop-flag signal handlers.
#include "signals.h"

#include <signal.h>

namespace loadprof::cli {
namespace {
StopFlags g_flags;
void on_signal(int) {
  if (g_flags.stop.load() || g_flags.finishing.load()) g_flags.hurry.store(true);
  g_flags.stop.store(true);
}
}  // namespace

StopFlags& install_stop_flags() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  return g_flags;
}

const std::atomic<bool>& install_stop_handlers() { return install_stop_flags().stop; }

}  // namespace loadprof::cli
