// report.json: SPEC.md's shared top-level keys that a capture can fill, plus
// our additions (cpu_accounting, top_functions, top_stacks, capture).
// docs/report.schema.json describes the document; the tests validate against it.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>

#include "loadprof/analyze/analysis.h"

namespace loadprof::report {

// Percentages are rounded to 0.01; counts are exact. Load keys (requests,
// latency_ms, stages, ...) are omitted: the analysis holds no load data yet.
nlohmann::ordered_json to_json(const analyze::Analysis& analysis);
// Pretty-printed (2 spaces) with a trailing newline.
void write_json(std::ostream& out, const analyze::Analysis& analysis);

}  // namespace loadprof::report
