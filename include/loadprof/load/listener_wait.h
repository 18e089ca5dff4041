// Waiting for a launched server to listen: bench starts the target, then
// connects to the URL's address until a connection is accepted, so the load
// begins when the server is ready, not before (bounded: a server that never
// listens is "target unavailable", exit 4).
#pragma once

#include <cstdint>
#include <functional>

#include "loadprof/load/request.h"
#include "loadprof/util/result.h"

namespace loadprof::load {

// Tries to connect every 20 ms until one connection is accepted (returns the
// time waited, ns), `timeout_ns` passes, or `give_up()` says stop (the
// target exited, Ctrl-C): then target_gone, naming the address and why.
// An unresolvable host fails at once.
[[nodiscard]] Result<int64_t> wait_for_listener(const Url& url, int64_t timeout_ns,
                                                const std::function<bool()>& give_up);

}  // namespace loadprof::load
