// Who a launched command runs as. loadprof needs root (or CAP_BPF and
// CAP_PERFMON); the command it launches should not inherit that: under sudo it
// runs as the invoking user (SUDO_UID / SUDO_GID), with --user NAME as that
// user, otherwise as loadprof's own user.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "loadprof/util/result.h"

namespace loadprof::collect {

struct RunAs {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups (the user's, as initgroups would set)
  std::string user;           // login name ("" when the uid has no passwd entry)
  std::string home;           // HOME for the command
  std::string describe() const;  // "user nobody (uid 65534, gid 65534)"
};

// Where the decision comes from, so a test can pass its own.
struct RunAsSource {
  std::string user_flag;                // --user NAME (a name or a numeric uid); "" when not given
  std::optional<std::string> sudo_uid;  // $SUDO_UID
  std::optional<std::string> sudo_gid;  // $SUDO_GID
  uid_t effective_uid = 0;              // loadprof's own euid
};

// The RunAsSource of this process (flag given by the caller, the rest from the
// environment and geteuid()).
RunAsSource run_as_source_from_environment(const std::string& user_flag);

// --user NAME wins; else SUDO_UID (with SUDO_GID, or the user's own group) when
// loadprof runs as root; else nullopt: the command runs as loadprof's user.
// An unknown --user or a malformed SUDO_UID/SUDO_GID is ErrorKind::usage.
[[nodiscard]] Result<std::optional<RunAs>> resolve_run_as(const RunAsSource& source);

}  // namespace loadprof::collect
