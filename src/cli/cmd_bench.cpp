// loadprof bench — not built yet; answers as SPEC.md requires for such commands.
#include "commands.h"
#include "options.h"

namespace loadprof::cli {

int cmd_bench(const Args&) { return not_available("loadprof bench"); }

}  // namespace loadprof::cli
