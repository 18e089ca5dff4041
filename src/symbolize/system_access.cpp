// The real system boundary: /proc/kallsyms, /tmp/perf-PID.map, map_files,
// and the vDSO image.
#include "loadprof/symbolize/system_access.h"

#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "loadprof/util/fd.h"

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
bool is_file_path(const std::string& path) {
  return !path.empty() && path.front() == '/' && !path.starts_with("//anon");
}

class RealSystemAccess final : public SystemAccess {
 public:
  Result<std::string> read_kallsyms() override { return read_text("/proc/kallsyms"); }

  Result<std::string> read_perf_map(uint32_t pid) override {
    return read_text("/tmp/perf-" + std::to_string(pid) + ".map");
  }

  std::vector<std::string> elf_candidates(const capture::Mapping& m) override {
    std::vector<std::string> out;
    if (m.path == "[vdso]") {
      // Every 64-bit process on this kernel maps the same vDSO image: ours.
      if (const std::string* vdso = vdso_file()) out.push_back(*vdso);
      return out;
    }
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
      out.push_back("/usr/lib/debug/.build-id/" + m.build_id.substr(0, 2) + "/" + m.build_id.substr(2) +
                    ".debug");
    }
    return out;
  }

 private:
  // A copy of this process's vDSO in a memfd, reachable as /proc/self/fd/N;
  // made once, on first need.
  const std::string* vdso_file() {
    if (vdso_tried_) return vdso_path_.empty() ? nullptr : &vdso_path_;
    vdso_tried_ = true;
    auto base = getauxval(AT_SYSINFO_EHDR);
    if (base == 0) return nullptr;
    uint64_t size = 0;
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
      if (!line.ends_with("[vdso]")) continue;
      unsigned long start = 0, end = 0;
      if (sscanf(line.c_str(), "%lx-%lx", &start, &end) == 2 && start == base) size = end - start;
    }
    if (size == 0) return nullptr;
    UniqueFd fd(memfd_create("loadprof-vdso", MFD_CLOEXEC));
    if (!fd.valid()) return nullptr;
    if (write(fd.get(), reinterpret_cast<const void*>(base), size) != static_cast<ssize_t>(size))
      return nullptr;
    vdso_fd_ = std::move(fd);
    vdso_path_ = "/proc/self/fd/" + std::to_string(vdso_fd_.get());
    return &vdso_path_;
  }

  bool vdso_tried_ = false;
  UniqueFd vdso_fd_;
  std::string vdso_path_;
};

}  // namespace

std::unique_ptr<SystemAccess> make_system_access() { return std::make_unique<RealSystemAccess>(); }

}  // namespace loadprof::symbolize
