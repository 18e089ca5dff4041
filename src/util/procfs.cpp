// /proc text parsing shared by collect, symbolize and record.
#include "loadprof/util/procfs.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
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

int parse_status_tgid(std::string_view status_text) {
  size_t at = status_text.rfind("\nTgid:");
  if (status_text.rfind("Tgid:", 0) == 0) {
    at = 0;
  } else if (at == std::string_view::npos) {
    return -1;
  } else {
    at += 1;
  }
  std::string_view rest = status_text.substr(at + 5);
  rest = rest.substr(0, rest.find('\n'));
  std::string_view word = take_word(rest);
  int tgid = -1;
  auto [ptr, ec] = std::from_chars(word.data(), word.data() + word.size(), tgid);
  if (ec != std::errc() || ptr != word.data() + word.size() || tgid <= 0) return -1;
  return tgid;
}

std::vector<int> parse_cpu_list(std::string_view text) {
  constexpr int kMaxCpu = 65535;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  std::vector<int> out;
  if (text.empty()) return out;
  auto number = [](std::string_view s, int& v) {
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && ptr == s.data() + s.size() && v >= 0 && v <= kMaxCpu;
  };
  while (true) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    size_t dash = item.find('-');
    int lo = 0, hi = 0;
    if (dash == std::string_view::npos) {
      if (!number(item, lo)) return {};
      hi = lo;
    } else if (!number(item.substr(0, dash), lo) || !number(item.substr(dash + 1), hi) || hi < lo) {
      return {};
    }
    for (int c = lo; c <= hi; ++c) out.push_back(c);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<CpuSteal> parse_stat_steal(std::string_view text) {
  std::vector<CpuSteal> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    std::string_view name = take_word(line);
    if (name.size() < 4 || name.substr(0, 3) != "cpu") continue;
    CpuSteal s;
    std::string_view id = name.substr(3);
    auto [ptr, ec] = std::from_chars(id.data(), id.data() + id.size(), s.cpu);
    if (ec != std::errc() || ptr != id.data() + id.size() || s.cpu < 0) continue;
    bool ok = true;
    for (int field = 0; field < 8 && ok; ++field) {
      std::string_view w = take_word(line);
      uint64_t v = 0;
      auto [p2, e2] = std::from_chars(w.data(), w.data() + w.size(), v);
      ok = e2 == std::errc() && p2 == w.data() + w.size() && !w.empty();
      if (field == 7) s.steal_ticks = v;
    }
    if (ok) out.push_back(s);
  }
  return out;
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

namespace loadprof::procfs {

Result<std::string> read_path(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error(ErrorKind::io, "open " + path, errno);
  std::string text;
  char buf[16384];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(ErrorKind::io, "read " + path, errno);
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  return text;
}

std::vector<int> online_cpus() {
  auto text = read_path("/sys/devices/system/cpu/online");
  std::vector<int> cpus = text.ok() ? parse_cpu_list(*text) : std::vector<int>{};
  if (cpus.empty()) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    for (int c = 0; c < (n > 0 ? n : 1); ++c) cpus.push_back(c);
  }
  return cpus;
}

}  // namespace loadprof::procfs
