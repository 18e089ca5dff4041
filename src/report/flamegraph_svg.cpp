// KIND.svg: the hook between the report and the flamegraph library. Folded
// lines are the only contract between them (STYLE.md, inferno).
#include "loadprof/report/flamegraph_svg.h"

#include "loadprof/flamegraph/palette.h"
#include "loadprof/flamegraph/profile.h"
#include "loadprof/flamegraph/svg.h"

namespace loadprof::report {

Result<std::string> render_flamegraph_svg(const std::vector<capture::FoldedLine>& lines,
                                          const FlamegraphOptions& options) {
  auto kind = flamegraph::parse_kind(options.kind);
  if (!kind.ok()) return kind.error();
  flamegraph::Profile profile;
  for (const auto& line : lines) profile.add_folded(line.stack, line.count);
  flamegraph::RenderOptions render;
  render.kind = *kind;
  render.title = options.title;
  render.xml_prolog = options.xml_prolog;
  return flamegraph::render_svg(profile, render);
}

Result<void> write_flamegraph_svg(std::ostream& out, const std::vector<capture::FoldedLine>& lines,
                                  const FlamegraphOptions& options) {
  LOADPROF_TRY(svg, render_flamegraph_svg(lines, options));
  out.write(svg.data(), static_cast<std::streamsize>(svg.size()));
  if (!out) return make_error(ErrorKind::io, "write flame graph");
  return {};
}

}  // namespace loadprof::report
