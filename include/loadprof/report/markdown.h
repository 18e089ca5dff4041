// The Markdown report (report.md, and `loadprof report FILE` on stdout).
#pragma once

#include <ostream>

#include "loadprof/analyze/analysis.h"

namespace loadprof::report {

void write_markdown(std::ostream& out, const analyze::Analysis& analysis);

}  // namespace loadprof::report
