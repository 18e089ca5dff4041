// The correlation section of report.json, report.md and report.html ("What
// grows with latency"): one writer per format, over analyze::Correlation.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "loadprof/analyze/correlation.h"

namespace loadprof::report {

// Sentences the Markdown and HTML sections share.
inline constexpr const char* kCorrelationNote =
    "Each one-second window holds the requests that ended in it (latency from the intended send) and the "
    "target's stacks sampled in it. A function's share is inclusive: the cpu samples (or off-CPU time) whose "
    "stack holds it. Growth is its share in slow windows minus its share in fast ones; rank correlation is "
    "Spearman's, of its share per window against the window's p99 (p99) and throughput (load).";
inline constexpr const char* kAttributionNote =
    "A cpu sample taken while exactly one request was in flight (between its send and its end) is that "
    "request's. A thread that serves one connection (thread-per-connection: that connection had a request in "
    "flight at 90 % or more of the thread's samples inside requests, no other at more than 60 %) gives its "
    "samples to its connection's request in flight, however many others were. Any other sample taken while "
    "several requests were in flight is attributed to none. When several threads follow one connection, the "
    "one with the most samples inside its requests serves it; the others' time runs beside the requests'.";
inline constexpr const char* kEndpointsNote =
    "Where each scenario step's time went: its requests' attributed time by the target's own function "
    "nearest "
    "the leaf (cpu) and by off-CPU reason, as a share of the step's summed latency (all its requests / its "
    "slowest, >= its p99).";
inline constexpr size_t kEndpointPartsShown = 3;

// One endpoint's largest parts in one line: "cpu f 65.4 / 39.1; lock g ...",
// each frame passed through `name` (the format's rendering of a function).
template <typename NameFn>
std::string endpoint_parts(const analyze::Endpoint& e, NameFn&& name, std::string (*fixed)(double, int)) {
  std::string parts;
  for (size_t i = 0; i < e.parts.size() && i < kEndpointPartsShown; ++i) {
    const auto& p = e.parts[i];
    if (!parts.empty()) parts += "; ";
    parts += p.kind + " " + (p.frame.empty() ? std::string("(no own frame)") : name(p.frame)) + " " +
             fixed(p.share_pct, 1) + " / " + fixed(p.slow_share_pct, 1);
  }
  return parts;
}

// SPEC's "correlation" key; docs/report.schema.json describes it.
nlohmann::ordered_json correlation_json(const analyze::Correlation& c);
void correlation_markdown(std::ostream& out, const analyze::Correlation& c);
void correlation_html(std::ostream& out, const analyze::Correlation& c);

}  // namespace loadprof::report
