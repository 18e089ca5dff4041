// UniqueFd: the one place that calls close().
#include "loadprof/util/fd.h"

#include <unistd.h>

namespace loadprof {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

}  // namespace loadprof
