// The verdict of report.json and report.md: the bottlenecks ranked by their
// estimated gain (or "no clear constraint"), the kinds the capture could not
// look for, and the capacity model. One writer per format.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>

#include "loadprof/analyze/bottlenecks.h"
#include "loadprof/analyze/capacity_model.h"

namespace loadprof::report {

// How estimated_gain is worked out, for the reader of either format.
inline constexpr const char* kGainNote =
    "Estimated gain, Amdahl on the measured share: for a function or a wait in the slowest requests (>= "
    "p99), "
    "p = its time in them / their summed latency, and p99 becomes about p99 x (1 - p) without it; for one "
    "endpoint of a mix, p = the function's or the wait's time / the endpoint's summed latency, and its mean "
    "becomes about mean x (1 - p); for the "
    "kernel's share k of the CPU, batching that halves the system calls saves about k / 2 of the CPU; for a "
    "saturated target on C cores, one more core buys about 1 / C more throughput.";

// SPEC's "bottlenecks" array, and the "verdict" object beside it.
nlohmann::ordered_json bottlenecks_json(const analyze::BottleneckVerdict& v);
nlohmann::ordered_json verdict_json(const analyze::BottleneckVerdict& v);
nlohmann::ordered_json capacity_model_json(const analyze::CapacityModel& m);
void verdict_markdown(std::ostream& out, const analyze::BottleneckVerdict& v);
void capacity_model_markdown(std::ostream& out, const analyze::CapacityModel& m);

}  // namespace loadprof::report
