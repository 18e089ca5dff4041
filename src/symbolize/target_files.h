// Files a target process names (its perf map, its ELF images, their debug
// files), opened by a root recorder without trusting them: inside the
// target's own root (/proc/PID/root, symlinks resolved there, never escaping
// it), never blocking on a FIFO (O_NONBLOCK), and handed out only when they
// are regular files. The target's identity (uids, pid inside its pid
// namespace, mount namespace) comes from /proc/PID/status and /proc/PID/ns.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loadprof/util/fd.h"

namespace loadprof::symbolize {

struct TargetIdentity {
  std::vector<uid_t> uids;     // real, effective, saved, file-system (as /proc/PID/status lists them)
  uint32_t ns_pid = 0;         // the pid as the target sees it (last NSpid field)
  bool same_mount_ns = false;  // the target's paths mean the same files as ours
};

// The identity of a live process; nullopt when it is gone or unreadable.
std::optional<TargetIdentity> read_target_identity(uint32_t pid);

// What opening a file found. fd is valid only for a regular file; otherwise
// absent (ENOENT, a gone process: normal, not worth a warning) or refused
// says why in one line.
struct OpenedFile {
  UniqueFd fd;
  struct stat st {};
  bool absent = false;
  bool no_root = false;  // absent because the process's root is gone (exited, or a zombie)
  std::string refused;   // non-empty: the file exists but is not safe to read
  bool ok() const { return fd.valid(); }
};

// Opens `path` (absolute, as the target sees it) inside the root of live
// process pid, with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): a
// symlink in the target's tree resolves within that tree. nofollow: refuse a
// symlink as the last component. absent when the process is gone.
OpenedFile open_in_target_root(uint32_t pid, const std::string& path, bool nofollow);

// Opens a host path (a /proc/PID/map_files entry, our vDSO copy, a build-id
// debug file of our own tree) without blocking and only as a regular file.
OpenedFile open_host_file(const std::string& path, bool nofollow);

}  // namespace loadprof::symbolize
