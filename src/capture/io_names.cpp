// Names of the io probe's enums.
#include "loadprof/capture/io_names.h"

#include <iterator>

namespace loadprof::capture {

const char* io_syscall_name(IoSyscall s) {
  static const char* const names[] = {"read",     "write",      "pread64",     "pwrite64",     "readv",
                                      "writev",   "preadv",     "pwritev",     "fsync",        "fdatasync",
                                      "sendto",   "sendmsg",    "recvfrom",    "recvmsg",      "accept",
                                      "accept4",  "connect",    "poll",        "ppoll",        "select",
                                      "pselect6", "epoll_wait", "epoll_pwait", "epoll_pwait2", "other"};
  static_assert(std::size(names) == kIoSyscalls);
  const auto i = static_cast<size_t>(s);
  return i < std::size(names) ? names[i] : "other";
}

const char* fd_kind_name(FdKind k) {
  static const char* const names[] = {"file", "socket", "pipe", "other", "poll"};
  const auto i = static_cast<size_t>(k);
  return i < std::size(names) ? names[i] : "other";
}

const char* block_op_name(BlockOp op) {
  static const char* const names[] = {"read", "write", "flush", "discard", "other"};
  const auto i = static_cast<size_t>(op);
  return i < std::size(names) ? names[i] : "other";
}

}  // namespace loadprof::capture
