// Resolving who a launched command runs as: --user, sudo's SUDO_UID/SUDO_GID,
// or loadprof's own user. Lookups happen here, in the parent, because the
// child between fork and exec may only make async-signal-safe calls.
#include "loadprof/collect/run_as.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>

namespace loadprof::collect {
namespace {

std::optional<uint32_t> parse_id(const std::string& text) {
  uint32_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || v == UINT32_MAX) return std::nullopt;
  return v;
}

struct PasswdEntry {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;
  std::string home;
};

std::optional<PasswdEntry> to_entry(const passwd* pw) {
  if (!pw) return std::nullopt;
  return PasswdEntry{pw->pw_uid, pw->pw_gid, pw->pw_name ? pw->pw_name : "", pw->pw_dir ? pw->pw_dir : ""};
}

std::optional<PasswdEntry> by_name(const std::string& name) {
  std::vector<char> buf(16384);
  passwd pw{}, *out = nullptr;
  if (getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &out) != 0) return std::nullopt;
  return to_entry(out);
}

std::optional<PasswdEntry> by_uid(uid_t uid) {
  std::vector<char> buf(16384);
  passwd pw{}, *out = nullptr;
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &out) != 0) return std::nullopt;
  return to_entry(out);
}

// The user's groups as initgroups(3) would set them: the primary gid plus
// every group of /etc/group (NSS) naming the user.
std::vector<gid_t> groups_of(const std::string& user, gid_t gid) {
  if (user.empty()) return {gid};
  int n = 64;
  std::vector<gid_t> groups(static_cast<size_t>(n));
  while (getgrouplist(user.c_str(), gid, groups.data(), &n) < 0) {
    if (n <= static_cast<int>(groups.size())) n = static_cast<int>(groups.size()) * 2;
    groups.resize(static_cast<size_t>(n));
  }
  groups.resize(static_cast<size_t>(n));
  return groups;
}

RunAs from_entry(const PasswdEntry& e, gid_t gid) {
  RunAs r;
  r.uid = e.uid;
  r.gid = gid;
  r.user = e.name;
  r.home = e.home.empty() ? "/" : e.home;
  r.groups = groups_of(e.name, gid);
  return r;
}

}  // namespace

std::string RunAs::describe() const {
  std::string ids = "uid " + std::to_string(uid) + ", gid " + std::to_string(gid);
  return user.empty() ? ids : "user " + user + " (" + ids + ")";
}

RunAsSource run_as_source_from_environment(const std::string& user_flag) {
  RunAsSource s;
  s.user_flag = user_flag;
  if (const char* v = std::getenv("SUDO_UID")) s.sudo_uid = v;
  if (const char* v = std::getenv("SUDO_GID")) s.sudo_gid = v;
  s.effective_uid = geteuid();
  return s;
}

Result<std::optional<RunAs>> resolve_run_as(const RunAsSource& s) {
  if (!s.user_flag.empty()) {
    auto entry = by_name(s.user_flag);
    if (!entry) {
      // A number names a uid, with or without a passwd entry.
      if (auto uid = parse_id(s.user_flag)) {
        entry = by_uid(*uid);
        if (!entry) entry = PasswdEntry{*uid, *uid, "", "/"};
      }
    }
    if (!entry) return make_error(ErrorKind::usage, "--user: no such user '" + s.user_flag + "'");
    return std::optional<RunAs>(from_entry(*entry, entry->gid));
  }
  if (s.effective_uid != 0 || !s.sudo_uid) return std::optional<RunAs>();
  auto uid = parse_id(*s.sudo_uid);
  if (!uid) return make_error(ErrorKind::usage, "SUDO_UID: not a user id: '" + *s.sudo_uid + "'");
  auto entry = by_uid(*uid);
  if (!entry) entry = PasswdEntry{*uid, *uid, "", "/"};
  gid_t gid = entry->gid;
  if (s.sudo_gid) {
    auto g = parse_id(*s.sudo_gid);
    if (!g) return make_error(ErrorKind::usage, "SUDO_GID: not a group id: '" + *s.sudo_gid + "'");
    gid = *g;
  }
  return std::optional<RunAs>(from_entry(*entry, gid));
}

}  // namespace loadprof::collect
