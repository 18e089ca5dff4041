// loadprof flamegraph — not built yet; answers as SPEC.md requires for such commands.
#include "commands.h"
#include "options.h"

namespace loadprof::cli {

int cmd_flamegraph(const Args&) { return not_available("loadprof flamegraph"); }

}  // namespace loadprof::cli
