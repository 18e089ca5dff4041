// loadprof record — not built yet; answers as SPEC.md requires for such commands.
#include "commands.h"
#include "options.h"

namespace loadprof::cli {

int cmd_record(const Args&) { return not_available("loadprof record"); }

}  // namespace loadprof::cli
