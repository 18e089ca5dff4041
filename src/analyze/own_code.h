// The target's own code, as the analyses name it: a wait or a burn found in
// the C runtime, the C++ runtime, the loader or the kernel is named by the
// caller of ours that led there.
#pragma once

#include <string>

#include "loadprof/capture/model.h"

namespace loadprof::analyze {

// A module of the system, not of the target: libc, libpthread, the loader,
// libstdc++, libm, libgcc_s, the vDSO, the kernel, an unknown one.
inline bool is_system_module(const std::string& module) {
  static const char* const kSystem[] = {"libc.so", "libc-",    "libpthread", "ld-linux", "libstdc++",
                                        "libm.so", "libgcc_s", "[vdso]",     "[kernel]", "[unknown]"};
  for (const char* s : kSystem)
    if (module.rfind(s, 0) == 0) return true;
  return module.empty();
}

inline bool is_own_code(const capture::Frame& f) { return !f.kernel && !is_system_module(f.module); }

}  // namespace loadprof::analyze
