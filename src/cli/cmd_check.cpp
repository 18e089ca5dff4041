// loadprof check — not built yet; answers as SPEC.md requires for such commands.
#include "commands.h"
#include "options.h"

namespace loadprof::cli {

int cmd_check(const Args&) { return not_available("loadprof check"); }

}  // namespace loadprof::cli
