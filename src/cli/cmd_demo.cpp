// loadprof demo — not built yet; answers as SPEC.md requires for such commands.
#include "commands.h"
#include "options.h"

namespace loadprof::cli {

int cmd_demo(const Args&) { return not_available("loadprof demo"); }

}  // namespace loadprof::cli
