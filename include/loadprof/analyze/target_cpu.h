// The target processes' CPU use over a span of the capture (bench's per-stage
// cpu_util_pct), from the recorder's once-a-second /proc readings.
#pragma once

#include <cstdint>
#include <optional>

#include "loadprof/capture/model.h"

namespace loadprof::analyze {

// Mean CPU of the target processes (summed) over [start_ns, end_ns]
// (monotonic), in % of one CPU: 200 is two CPUs' worth. Readings are
// spread evenly over their interval, so spans shorter than a second are
// approximations. nullopt when no reading covers any of the span.
std::optional<double> target_cpu_pct(const capture::Capture& capture, uint64_t start_ns, uint64_t end_ns);

}  // namespace loadprof::analyze
