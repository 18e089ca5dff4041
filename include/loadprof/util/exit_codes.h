// Exit codes from SPEC.md and the mapping from error kinds to them.
#pragma once

#include "loadprof/util/result.h"

namespace loadprof {

enum ExitCode : int {
  kExitOk = 0,
  kExitSloBroken = 1,      // an SLO is broken, or diff found a regression
  kExitUsage = 2,          // bad usage or input, corrupt capture, not available yet
  kExitPermission = 3,     // missing root / CAP_BPF / CAP_PERFMON
  kExitTargetGone = 4,     // target unavailable before any data was taken
};

inline int exit_code_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::permission: return kExitPermission;
    case ErrorKind::target_gone: return kExitTargetGone;
    default: return kExitUsage;
  }
}

}  // namespace loadprof
