// Internal to the load module: resolving the target once, and one probe
// connection before the run, so that an unresolvable host, a refused port or
// a black hole is "target unavailable" (exit 4), not a table of errors.
#pragma once

#include <sys/socket.h>

#include <cstdint>

#include "loadprof/load/request.h"
#include "loadprof/util/result.h"

namespace loadprof::load::detail {

struct Target {
  sockaddr_storage addr{};
  socklen_t len = 0;
};

Result<Target> resolve(const Url& url);
Result<void> probe(const Target& target, const Url& url, int64_t timeout_ns);

}  // namespace loadprof::load::detail
