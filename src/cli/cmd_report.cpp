// loadprof report — not built yet; answers as SPEC.md requires for such commands.
#include "commands.h"
#include "options.h"

namespace loadprof::cli {

int cmd_report(const Args&) { return not_available("loadprof report"); }

}  // namespace loadprof::cli
