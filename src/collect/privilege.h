// Privilege errors: which capabilities loadprof is missing, in words a user
// can act on ("needs root or CAP_BPF and CAP_PERFMON (missing: CAP_BPF)").
#pragma once

#include <string>

#include "loadprof/util/result.h"

namespace loadprof::collect {

// Names the capabilities the effective set lacks, e.g. "CAP_BPF, CAP_PERFMON";
// empty when none is missing.
std::string missing_capabilities();

// ErrorKind::permission for an EPERM/EACCES from `what`.
Error permission_error(const std::string& what, int err);

}  // namespace loadprof::collect
