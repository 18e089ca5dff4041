// speedscope export: a capture's stacks of one kind as speedscope's JSON file
// format (https://www.speedscope.app/file-format-schema.json).
#pragma once

#include <ostream>
#include <string>

#include "loadprof/capture/model.h"
#include "loadprof/util/result.h"

namespace loadprof::report {

// One "sampled" profile per thread (heaviest first, the active one), one
// shared frame per function (name and source file, as in the folded output:
// inline frames are frames of their own, kernel frames carry "_[k]"), samples
// root first in time order with consecutive equal stacks merged. Weights in nanoseconds (cpu: samples x
// 1e9/frequency_hz; offcpu: blocked time), or in samples (unit "none") when the capture has no frequency.
// Errors: usage (unknown kind), not_available (a kind without records yet).
[[nodiscard]] Result<void> write_speedscope(std::ostream& out, const capture::Capture& capture,
                                            const std::string& kind);

}  // namespace loadprof::report
