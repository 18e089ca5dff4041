// report.html: the Markdown report's sections as one self-contained page
// (inline CSS, the per-second CPU chart as inline SVG, the interactive flame
// graph inlined). No network: nothing refers to a resource outside the file.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "loadprof/analyze/analysis.h"

namespace loadprof::report {

struct HtmlOptions {
  std::string flamegraph_kind = "cpu";
  // The flame graph as an <svg> element without XML prolog (render_flamegraph_svg
  // with xml_prolog = false); none: flamegraph_note says why there is none.
  std::optional<std::string> flamegraph_svg;
  std::string flamegraph_note;
};

// The page is well-formed XHTML (polyglot: a browser reads it as HTML5); every
// text of the capture (function names hold < > &) is escaped.
void write_html(std::ostream& out, const analyze::Analysis& analysis, const HtmlOptions& options);

}  // namespace loadprof::report
