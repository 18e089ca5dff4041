// The verdict of a comparison (diff of stacks, of latency, of throughput).
#pragma once

namespace loadprof::analyze {

enum class Verdict { no_change, improvement, regression };
const char* verdict_name(Verdict v);  // "no_change", "improvement", "regression"

}  // namespace loadprof::analyze
