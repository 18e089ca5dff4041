// Target resolution and the pre-run probe connection.
#include "target.h"

#include <netdb.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "loadprof/util/clock.h"
#include "loadprof/util/fd.h"

namespace loadprof::load::detail {

Result<Target> resolve(const Url& url) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = AF_UNSPEC;
  addrinfo* res = nullptr;
  std::string port = std::to_string(url.port);
  int rc = getaddrinfo(url.host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0 || !res)
    return make_error(ErrorKind::target_gone, "cannot resolve host '" + url.host + "': " + gai_strerror(rc));
  Target t;
  std::memcpy(&t.addr, res->ai_addr, res->ai_addrlen);
  t.len = res->ai_addrlen;
  freeaddrinfo(res);
  return t;
}

Result<void> probe(const Target& t, const Url& url, int64_t timeout_ns) {
  std::string where = url.host + ":" + std::to_string(url.port);
  UniqueFd fd(socket(t.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return errno_error(ErrorKind::internal, "socket", errno);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&t.addr), t.len) == 0) return {};
  if (errno != EINPROGRESS) return errno_error(ErrorKind::target_gone, "connect to " + where, errno);
  // Wait for the connection until the timeout (at most a minute). A signal
  // (EINTR) only shortens one wait; the connection is up only when poll says
  // the socket is writable and SO_ERROR is clear.
  const int64_t deadline =
      static_cast<int64_t>(monotonic_ns()) + std::min<int64_t>(timeout_ns, 60'000'000'000);
  while (true) {
    int64_t left = deadline - static_cast<int64_t>(monotonic_ns());
    if (left <= 0) return make_error(ErrorKind::target_gone, "connect to " + where + ": timed out");
    pollfd p{fd.get(), POLLOUT, 0};
    int r = poll(&p, 1, static_cast<int>((left + 999'999) / 1'000'000));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return errno_error(ErrorKind::internal, "poll", errno);
    if (r > 0) break;
  }
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0)
    return errno_error(ErrorKind::internal, "getsockopt", errno);
  if (err) return errno_error(ErrorKind::target_gone, "connect to " + where, err);
  return {};
}

}  // namespace loadprof::load::detail
