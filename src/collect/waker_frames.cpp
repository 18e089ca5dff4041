// Where a waker's own kernel frames begin, and whether it woke from an interrupt.
#include "waker_frames.h"

#include <string_view>

namespace loadprof::collect {
namespace {

bool starts(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

}  // namespace

size_t waker_probe_frames(const std::vector<std::string>& fs) {
  for (size_t i = 0; i < fs.size(); ++i) {
    if (fs[i] == "try_to_wake_up" || fs[i] == "wake_up_new_task") return i + 1;
  }
  size_t i = 0;
  while (i < fs.size() && (starts(fs[i], "bpf_") || starts(fs[i], "__bpf") || starts(fs[i], "__traceiter") ||
                           starts(fs[i], "__probestub") || starts(fs[i], "0x"))) {
    ++i;
  }
  return i;
}

bool waker_in_interrupt(const std::vector<std::string>& fs) {
  for (const auto& f : fs) {
    if (starts(f, "asm_sysvec_") || starts(f, "asm_common_interrupt") || starts(f, "sysvec_") ||
        starts(f, "asm_exc_") || f == "irq_exit_rcu" || f == "__irq_exit_rcu")
      return true;
  }
  return false;
}

}  // namespace loadprof::collect
