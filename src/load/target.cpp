// Target resolution and the pre-run probe connection.
#include "target.h"

#include <netdb.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

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
  pollfd p{fd.get(), POLLOUT, 0};
  int ms = static_cast<int>(std::min<int64_t>(timeout_ns / 1'000'000, 60'000));
  int r = poll(&p, 1, ms);
  if (r == 0) return make_error(ErrorKind::target_gone, "connect to " + where + ": timed out");
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
  if (err) return errno_error(ErrorKind::target_gone, "connect to " + where, err);
  return {};
}

}  // namespace loadprof::load::detail
