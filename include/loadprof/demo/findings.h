// What `loadprof demo` prints after the run: the report's bottlenecks (the
// classifier's verdict, SPEC's `bottlenecks`), the peers the service waited
// on, then the profile's top figures — CPU functions, off-CPU time by reason
// with its top stack, I/O time by syscall with its top stack — and the planted
// bottlenecks the capture could not show (and why).
#pragma once

#include <string>
#include <vector>

#include "loadprof/analyze/analysis.h"
#include "loadprof/capture/folded.h"
#include "loadprof/util/result.h"

namespace loadprof::demo {

struct Finding {
  std::string kind;      // "bottleneck:lock", "peer", "cpu", "offcpu:lock", "io:fsync", ...
  std::string headline;  // "score_all_products: 61.2 % of the CPU samples (self 61.0 %)"
  std::string stack;     // the top stack's user frames, root side first: "a > b > c"; "" when none
};

struct NotLookedFor {
  std::string planted;  // "leak in cache_session()"
  std::string why;      // "the alloc probe is not in loadprof yet"
};

struct Findings {
  std::vector<Finding> findings;
  std::vector<NotLookedFor> not_looked_for;
};

// offcpu/io: the capture's folded stacks of those kinds (empty when not recorded).
std::vector<Finding> profile_findings(const analyze::Analysis& analysis,
                                      const std::vector<capture::FoldedLine>& offcpu,
                                      const std::vector<capture::FoldedLine>& io);

// The demo's planted bottlenecks whose probe this capture does not have.
std::vector<NotLookedFor> not_looked_for(const analyze::Analysis& analysis);

// Reads the capture, analyzes it, collects both.
[[nodiscard]] Result<Findings> demo_findings(const std::string& capture_path);

// The service's `GROUND_TRUTH key=value ...` line (examples/demo_service.c) in
// words: what it planted and what that cost by its own clocks, to set beside
// what the profile found.
std::string describe_ground_truth(const std::string& truth_line);

// Plain text for the terminal.
std::string format_findings(const Findings& findings);

// "a;b;c_[k];[offcpu:lock]" -> "b > c": user frames after the root (the
// process name), the last `max_frames` of them.
std::string user_stack(const std::string& folded_stack, size_t max_frames = 5);

}  // namespace loadprof::demo
