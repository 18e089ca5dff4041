// /proc text parsing shared by collect, symbolize and record.
#include "loadprof/util/procfs.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "loadprof/util/fd.h"

namespace loadprof::procfs {
namespace {

bool take_hex(std::string_view& s, uint64_t& value) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value, 16);
  if (ec != std::errc() || ptr == s.data()) return false;
  s.remove_prefix(static_cast<size_t>(ptr - s.data()));
  return true;
}

bool take_char(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}

void skip_spaces(std::string_view& s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
}

std::string_view take_word(std::string_view& s) {
  skip_spaces(s);
  size_t e = s.find_first_of(" \t");
  std::string_view w = s.substr(0, e);
  s.remove_prefix(e == std::string_view::npos ? s.size() : e);
  return w;
}

}  // namespace

std::vector<MapsLine> parse_maps(std::string_view text) {
  std::vector<MapsLine> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);

    MapsLine m;
    if (!take_hex(line, m.start) || !take_char(line, '-') || !take_hex(line, m.end)) continue;
    std::string_view perms = take_word(line);
    if (perms.size() < 4) continue;
    m.executable = perms[2] == 'x';
    skip_spaces(line);
    if (!take_hex(line, m.pgoff)) continue;
    if (take_word(line).empty()) continue;  // device
    if (take_word(line).empty()) continue;  // inode
    skip_spaces(line);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
    m.path = std::string(line);
    if (m.end <= m.start) continue;
    out.push_back(std::move(m));
  }
  return out;
}

int parse_stat_ppid(std::string_view stat_text) {
  size_t close = stat_text.rfind(')');
  if (close == std::string_view::npos) return -1;
  std::string_view rest = stat_text.substr(close + 1);
  skip_spaces(rest);
  if (take_word(rest).size() != 1) return -1;  // state
  std::string_view ppid_text = take_word(rest);
  int ppid = -1;
  auto [ptr, ec] = std::from_chars(ppid_text.data(), ppid_text.data() + ppid_text.size(), ppid);
  if (ec != std::errc() || ptr != ppid_text.data() + ppid_text.size()) return -1;
  return ppid;
}

Result<std::string> read(pid_t pid, const std::string& name) {
  const std::string path = "/proc/" + std::to_string(pid) + "/" + name;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    int err = errno;
    return errno_error(err == ENOENT || err == ESRCH ? ErrorKind::target_gone : ErrorKind::io, "open " + path, err);
  }
  std::string text;
  char buf[16384];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      return errno_error(err == ESRCH ? ErrorKind::target_gone : ErrorKind::io, "read " + path, err);
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  return text;
}

}  // namespace loadprof::procfs
