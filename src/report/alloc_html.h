// The Allocations section of report.html (alloc probe): method and totals,
// live bytes and the targets' RSS over time as an inline SVG line chart,
// leak suspects with their recommendation, top allocating stacks.
#pragma once

#include <ostream>

#include "loadprof/analyze/alloc_summary.h"

namespace loadprof::report {

void alloc_html(std::ostream& out, const analyze::AllocSummary& s, double duration_s);

}  // namespace loadprof::report
