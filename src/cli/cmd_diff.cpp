// loadprof diff — not built yet; answers as SPEC.md requires for such commands.
#include "commands.h"
#include "options.h"

namespace loadprof::cli {

int cmd_diff(const Args&) { return not_available("loadprof diff"); }

}  // namespace loadprof::cli
