// loadprof load — not built yet; answers as SPEC.md requires for such commands.
#include "commands.h"
#include "options.h"

namespace loadprof::cli {

int cmd_load(const Args&) { return not_available("loadprof load"); }

}  // namespace loadprof::cli
