// pprof export: a capture's stacks of one kind as a gzipped profile.proto
// (github.com/google/pprof, proto/profile.proto), which go tool pprof,
// Pyroscope and Parca read.
#pragma once

#include <ostream>
#include <string>

#include "loadprof/capture/model.h"
#include "loadprof/util/result.h"

namespace loadprof::report {

// The Profile message, not compressed (tests decode it). Sample types per
// kind: cpu = samples/count + cpu/nanoseconds (period 1e9/frequency_hz; only
// samples/count when the capture has no frequency), offcpu = intervals/count
// + offcpu/nanoseconds. One sample per (pid, tid, stack) with string labels
// pid, tid and thread_name; locations leaf first, inline frames as several
// lines of one location (innermost first); mappings with build-ids.
// Errors: usage (unknown kind), not_available (a kind without records yet).
[[nodiscard]] Result<std::string> encode_pprof_profile(const capture::Capture& capture,
                                                       const std::string& kind);

// encode_pprof_profile, gzipped, written to out.
[[nodiscard]] Result<void> write_pprof(std::ostream& out, const capture::Capture& capture,
                                       const std::string& kind);

}  // namespace loadprof::report
