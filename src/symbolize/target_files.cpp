// Untrusted files of a target process: resolve with O_PATH (opening a device
// or FIFO for real can block or have side effects; an O_PATH descriptor does
// neither), check the inode with fstat, and only then open that same inode
// for reading through /proc/self/fd.
#include "symbolize/target_files.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace loadprof::symbolize {

namespace {

std::string describe_type(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISDIR(mode)) return "a directory";
  return "not a regular file";
}

// From an O_PATH descriptor: a readable descriptor of the same inode when it
// is a regular file.
OpenedFile finish(UniqueFd path_fd, const std::string& shown) {
  OpenedFile out;
  if (fstat(path_fd.get(), &out.st) != 0) {
    out.refused = shown + ": fstat: " + strerror(errno);
    return out;
  }
  if (!S_ISREG(out.st.st_mode)) {
    out.refused = shown + " is " + describe_type(out.st.st_mode);
    return out;
  }
  std::string self = "/proc/self/fd/" + std::to_string(path_fd.get());
  // O_NONBLOCK costs nothing on a regular file and keeps a swapped inode
  // type (impossible through the same inode, but cheap) from blocking.
  out.fd = UniqueFd(::open(self.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!out.fd.valid()) {
    out.refused = shown + ": open: " + strerror(errno);
    return out;
  }
  int flags = fcntl(out.fd.get(), F_GETFL);
  if (flags >= 0) fcntl(out.fd.get(), F_SETFL, flags & ~O_NONBLOCK);
  return out;
}

OpenedFile failed_open(int err, const std::string& shown) {
  OpenedFile out;
  if (err == ENOENT || err == ENOTDIR || err == ESRCH) {
    out.absent = true;
  } else if (err == ELOOP) {
    out.refused = shown + " is a symbolic link (or resolves through too many)";
  } else if (err == EXDEV) {
    out.refused = shown + " leaves the target's root";
  } else {
    out.refused = shown + ": " + strerror(err);
  }
  return out;
}

}  // namespace

std::optional<TargetIdentity> read_target_identity(uint32_t pid) {
  std::string dir = "/proc/" + std::to_string(pid);
  std::ifstream status(dir + "/status");
  if (!status) return std::nullopt;
  TargetIdentity id;
  std::string line;
  bool have_uid = false;
  while (std::getline(status, line)) {
    std::istringstream fields(line);
    std::string key;
    fields >> key;
    if (key == "Uid:") {
      uid_t uid = 0;
      while (fields >> uid) id.uids.push_back(uid);
      have_uid = !id.uids.empty();
    } else if (key == "NSpid:") {
      uint32_t p = 0;
      while (fields >> p) id.ns_pid = p;  // the innermost namespace is listed last
    }
  }
  if (!have_uid) return std::nullopt;
  if (id.ns_pid == 0) id.ns_pid = pid;  // kernels without NSpid: no pid namespaces to see
  struct stat ours {
  }, theirs{};
  id.same_mount_ns = stat("/proc/self/ns/mnt", &ours) == 0 && stat((dir + "/ns/mnt").c_str(), &theirs) == 0 &&
                     ours.st_ino == theirs.st_ino && ours.st_dev == theirs.st_dev;
  return id;
}

OpenedFile open_in_target_root(uint32_t pid, const std::string& path, bool nofollow) {
  std::string root_path = "/proc/" + std::to_string(pid) + "/root";
  std::string shown = root_path + path;
  UniqueFd root(::open(root_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) {
    OpenedFile out = failed_open(errno, shown);
    out.no_root = out.absent;
    return out;
  }
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long fd = syscall(SYS_openat2, root.get(), path.c_str(), &how, sizeof how);
  if (fd < 0) return failed_open(errno, shown);
  return finish(UniqueFd(static_cast<int>(fd)), shown);
}

OpenedFile open_host_file(const std::string& path, bool nofollow) {
  int fd = ::open(path.c_str(), O_PATH | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
  if (fd < 0) return failed_open(errno, path);
  return finish(UniqueFd(fd), path);
}

}  // namespace loadprof::symbolize
