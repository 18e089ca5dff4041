// /proc/PID/maps parsing:
// "55d0c7a00000-55d0c7a02000 r-xp 00002000 fd:01 1234      /usr/bin/foo"
#include "loadprof/symbolize/proc_maps.h"

#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>

namespace loadprof::symbolize {

namespace {

bool take_hex(std::string_view& s, uint64_t& value) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value, 16);
  if (ec != std::errc() || ptr == s.data()) return false;
  s.remove_prefix(ptr - s.data());
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

std::vector<capture::Mapping> parse_proc_maps(std::string_view text, uint32_t pid, uint64_t time_ns) {
  std::vector<capture::Mapping> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);

    capture::Mapping m;
    m.pid = pid;
    m.time_ns = time_ns;
    if (!take_hex(line, m.start) || !take_char(line, '-') || !take_hex(line, m.end)) continue;
    std::string_view perms = take_word(line);
    if (perms.size() < 4) continue;
    m.executable = perms[2] == 'x';
    skip_spaces(line);
    if (!take_hex(line, m.pgoff)) continue;
    take_word(line);  // device
    take_word(line);  // inode
    skip_spaces(line);
    m.path = std::string(line);
    if (m.end <= m.start) continue;
    out.push_back(std::move(m));
  }
  return out;
}

Result<std::vector<capture::Mapping>> read_proc_maps(uint32_t pid, uint64_t time_ns) {
  std::string path = "/proc/" + std::to_string(pid) + "/maps";
  std::ifstream in(path);
  if (!in) {
    int err = errno;
    return errno_error(err == ENOENT ? ErrorKind::target_gone : ErrorKind::io, "open " + path, err);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_proc_maps(text.str(), pid, time_ns);
}

}  // namespace loadprof::symbolize
