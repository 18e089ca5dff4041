// report.html: the Markdown report's findings and sections as one
// self-contained page — the verdict, SLO table and bottlenecks first, charts
// as inline SVG with a hover read-out, the interactive flame graphs in tabs,
// inline CSS and scripts. No network: nothing refers to a resource outside the file.
#pragma once

#include <array>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "loadprof/analyze/analysis.h"

namespace loadprof::report {

// One flame graph of the page's tabs: its SVG (no XML prolog) or why there is none.
struct HtmlFlameGraph {
  std::string id;     // "cpu", "offcpu", "slow-vs-fast", ...
  std::string title;  // the tab's label
  std::optional<std::string> svg;
  std::string note;  // why there is none; with an SVG, what was left out of it
};

struct HtmlOptions {
  std::string flamegraph_kind = "cpu";
  // The flame graph as an <svg> element without XML prolog (render_flamegraph_svg
  // with xml_prolog = false); none: flamegraph_note says why there is none (with
  // one, what was left out of it).
  std::optional<std::string> flamegraph_svg;
  std::string flamegraph_note;
  // More flame graphs, each in its own tab after the one above (off-CPU, wall,
  // I/O, alloc, the slow-vs-fast differential: whichever the capture holds).
  std::vector<HtmlFlameGraph> more_flamegraphs;
  // The target's off-CPU ms per second by reason (offcpu_reason_names order),
  // for the on-/off-CPU chart; empty without off-CPU intervals.
  std::vector<std::array<double, analyze::kOffCpuReasons>> offcpu_ms_per_second;
};

// The page is well-formed XHTML (polyglot: a browser reads it as HTML5); every
// text of the capture (function names hold < > &) is escaped.
void write_html(std::ostream& out, const analyze::Analysis& analysis, const HtmlOptions& options);

}  // namespace loadprof::report
