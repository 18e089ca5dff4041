// Waiting for a launched server to accept connections (listener_wait.h).
#include "loadprof/load/listener_wait.h"

#include <cerrno>
#include <string>
#include <thread>

#include "loadprof/util/clock.h"
#include "target.h"

namespace loadprof::load {

Result<int64_t> wait_for_listener(const Url& url, int64_t timeout_ns, const std::function<bool()>& give_up) {
  LOADPROF_TRY(target, detail::resolve(url));
  const int64_t start = static_cast<int64_t>(monotonic_ns());
  const std::string where = url.host + ":" + std::to_string(url.port);
  std::string last = "nothing listening";
  while (true) {
    // One attempt waits at most 200 ms for an answer (a black hole), so the bound holds.
    auto tried = detail::probe(target, url, 200'000'000);
    const int64_t waited = static_cast<int64_t>(monotonic_ns()) - start;
    if (tried.ok()) return waited;
    last = tried.error().message;
    if (give_up && give_up())
      return make_error(ErrorKind::target_gone, "stopped waiting for " + where + " (" + last + ")");
    if (waited >= timeout_ns)
      return make_error(ErrorKind::target_gone, "nothing accepted connections on " + where + " within " +
                                                    std::to_string(timeout_ns / 1'000'000'000) +
                                                    " s (last try: " + last + ")");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace loadprof::load
