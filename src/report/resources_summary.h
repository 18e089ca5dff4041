// The resource timeline in a few lines, shared by report.md and report.html:
// for each figure its value in the first second, its peak and its value in
// the last second (RSS also its growth), worded once for both writers.
#pragma once

#include <string>
#include <vector>

#include "loadprof/analyze/resources.h"

namespace loadprof::report {

struct ResourceSummaryRow {
  std::string figure;  // "target CPU", "RSS", ...
  std::string start;   // first second
  std::string peak;    // highest second, with when ("480.00 % at 12 s")
  std::string end;     // last second
};

// Empty for an empty timeline.
std::vector<ResourceSummaryRow> resource_summary(const std::vector<analyze::ResourceSecond>& rows);

// What the figures cover, for the note under the section title.
extern const char* const kResourcesNote;

}  // namespace loadprof::report
