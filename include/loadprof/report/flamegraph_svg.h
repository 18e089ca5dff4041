// The flame graph SVG of a report (KIND.svg). The renderer is the flamegraph
// library (issue 3); this is the single place the report calls it.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "loadprof/capture/folded.h"
#include "loadprof/util/result.h"

namespace loadprof::report {

struct FlamegraphOptions {
  std::string kind = "cpu";  // picks the palette
  std::string title;
  std::string count_name;  // what the counts are; empty: the kind's ("ns" for io, ...)
  // False: start at <svg>, to inline the graph in report.html.
  bool xml_prolog = true;
  // Frames narrower than this are merged into their parent (the renderer's default).
  double min_width_px = 0.1;
};

// The flame graph SVG of the folded lines as text (write_flamegraph_svg and
// report.html both use it).
[[nodiscard]] Result<std::string> render_flamegraph_svg(const std::vector<capture::FoldedLine>& lines,
                                                        const FlamegraphOptions& options);

// The differential flame graph: widths from `new_lines`, colours from each
// frame's change of share of all samples against `base_lines` (red grew, blue shrank).
[[nodiscard]] Result<std::string> render_diff_flamegraph_svg(
    const std::vector<capture::FoldedLine>& base_lines, const std::vector<capture::FoldedLine>& new_lines,
    const FlamegraphOptions& options);

// The narrowest frame width (of 0.1, 0.25, 0.5, 1, 2 px; the renderer's 1200 px
// image) at which the folded lines lay out at most max_frames frames, the
// frames at the renderer's 0.1 px, and those kept at that width. Lays out
// without rendering: cheap next to render_flamegraph_svg.
struct FrameBound {
  double min_width_px = 0.1;
  size_t frames_all = 0;
  size_t frames_kept = 0;
};
FrameBound bound_frames(const std::vector<capture::FoldedLine>& lines, size_t max_frames);

// Renders the folded lines as an interactive flame graph SVG.
[[nodiscard]] Result<void> write_flamegraph_svg(std::ostream& out,
                                                const std::vector<capture::FoldedLine>& lines,
                                                const FlamegraphOptions& options);

}  // namespace loadprof::report
