// The real system boundary: /proc/kallsyms, /tmp/perf-PID.map, map_files.
#include "loadprof/symbolize/system_access.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace loadprof::symbolize {

namespace {

Result<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return errno_error(ErrorKind::io, "open " + path, errno);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A mapping path that names a file (not "[vdso]", "[heap]", "//anon", "").
bool is_file_path(const std::string& path) { return !path.empty() && path.front() == '/' && !path.starts_with("//anon"); }

class RealSystemAccess final : public SystemAccess {
 public:
  Result<std::string> read_kallsyms() override { return read_text("/proc/kallsyms"); }

  Result<std::string> read_perf_map(uint32_t pid) override {
    return read_text("/tmp/perf-" + std::to_string(pid) + ".map");
  }

  std::vector<std::string> elf_candidates(const capture::Mapping& m) override {
    std::vector<std::string> out;
    char name[96];
    snprintf(name, sizeof name, "/proc/%u/map_files/%lx-%lx", m.pid, static_cast<unsigned long>(m.start),
             static_cast<unsigned long>(m.end));
    if (access(name, R_OK) == 0) out.emplace_back(name);
    if (is_file_path(m.path)) {
      std::string path = m.path;
      constexpr std::string_view kDeleted = " (deleted)";
      if (path.ends_with(kDeleted)) path.resize(path.size() - kDeleted.size());
      out.push_back(path);
    }
    if (m.build_id.size() > 2) {
      out.push_back("/usr/lib/debug/.build-id/" + m.build_id.substr(0, 2) + "/" + m.build_id.substr(2) + ".debug");
    }
    return out;
  }
};

}  // namespace

std::unique_ptr<SystemAccess> make_system_access() { return std::make_unique<RealSystemAccess>(); }

}  // namespace loadprof::symbolize
