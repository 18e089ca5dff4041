// KIND.svg and KIND.diff.svg: the hook between the report and the flamegraph library. Folded
// lines are the only contract between them (STYLE.md, inferno).
#include "loadprof/report/flamegraph_svg.h"

#include "loadprof/flamegraph/layout.h"
#include "loadprof/flamegraph/palette.h"
#include "loadprof/flamegraph/profile.h"
#include "loadprof/flamegraph/svg.h"

namespace loadprof::report {

namespace {

flamegraph::Profile profile_of(const std::vector<capture::FoldedLine>& lines) {
  flamegraph::Profile profile;
  for (const auto& line : lines) profile.add_folded(line.stack, line.count);
  return profile;
}

// mmap (bytes mapped by stack) is drawn in the alloc palette.
std::string_view palette_kind(const std::string& kind) {
  if (kind == "mmap") return "alloc";
  return kind;
}

}  // namespace

Result<std::string> render_flamegraph_svg(const std::vector<capture::FoldedLine>& lines,
                                          const FlamegraphOptions& options) {
  auto kind = flamegraph::parse_kind(palette_kind(options.kind));
  if (!kind.ok()) return kind.error();
  const flamegraph::Profile profile = profile_of(lines);
  flamegraph::RenderOptions render;
  render.kind = *kind;
  render.title = options.title;
  render.xml_prolog = options.xml_prolog;
  render.min_width_px = options.min_width_px;
  if (!options.count_name.empty()) render.count_name = options.count_name;
  return flamegraph::render_svg(profile, render);
}

Result<std::string> render_diff_flamegraph_svg(const std::vector<capture::FoldedLine>& base_lines,
                                               const std::vector<capture::FoldedLine>& new_lines,
                                               const FlamegraphOptions& options) {
  auto kind = flamegraph::parse_kind(palette_kind(options.kind));
  if (!kind.ok()) return kind.error();
  const flamegraph::Profile base = profile_of(base_lines);
  const flamegraph::Profile next = profile_of(new_lines);
  flamegraph::RenderOptions render;
  render.kind = *kind;
  render.title = options.title;
  render.subtitle = "widths: new; red grew, blue shrank (share of all samples against base)";
  render.xml_prolog = options.xml_prolog;
  render.min_width_px = options.min_width_px;
  render.diff_base = &base;
  return flamegraph::render_svg(next, render);
}

FrameBound bound_frames(const std::vector<capture::FoldedLine>& lines, size_t max_frames) {
  const flamegraph::Profile profile = profile_of(lines);
  FrameBound b;
  for (double px : {0.1, 0.25, 0.5, 1.0, 2.0}) {
    flamegraph::LayoutOptions o;
    o.min_width_px = px;
    const size_t n = flamegraph::layout_frames(profile, o).frames.size();
    if (px == 0.1) b.frames_all = n;
    b.min_width_px = px;
    b.frames_kept = n;
    if (n <= max_frames) break;
  }
  return b;
}

Result<void> write_flamegraph_svg(std::ostream& out, const std::vector<capture::FoldedLine>& lines,
                                  const FlamegraphOptions& options) {
  LOADPROF_TRY(svg, render_flamegraph_svg(lines, options));
  out.write(svg.data(), static_cast<std::streamsize>(svg.size()));
  if (!out) return make_error(ErrorKind::io, "write flame graph");
  return {};
}

}  // namespace loadprof::report
