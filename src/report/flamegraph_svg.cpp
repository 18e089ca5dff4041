// KIND.svg: the hook between the report and the flamegraph library.
#include "loadprof/report/flamegraph_svg.h"

namespace loadprof::report {

// INTEGRATION POINT: not wired to the flamegraph library yet (it is built on
// another branch). Replace this body with the renderer call once it is merged.
Result<void> write_flamegraph_svg(std::ostream&, const std::vector<capture::FoldedLine>&,
                                  const FlamegraphOptions&) {
  return make_error(ErrorKind::not_available, "flame graph SVG");
}

}  // namespace loadprof::report
