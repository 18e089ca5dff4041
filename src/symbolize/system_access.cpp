// The real system boundary: /proc/kallsyms, the target's perf-PID.map,
// map_files, files inside the target's root, and the vDSO image. Every file
// a target names goes through target_files.h: no FIFO, device or symlink is
// ever read, and a perf map is read only when root or the target's user owns
// it.
#include "loadprof/symbolize/system_access.h"

#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "symbolize/target_files.h"

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

// Reads at most limit bytes of a regular file; sets truncated when it holds more.
Result<std::string> read_capped(int fd, uint64_t limit, bool& truncated) {
  std::string text;
  char buf[1 << 16];
  truncated = false;
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(ErrorKind::io, "read", errno);
    }
    if (n == 0) break;
    uint64_t room = limit - text.size();
    if (static_cast<uint64_t>(n) > room) {
      text.append(buf, room);
      truncated = true;
      break;
    }
    text.append(buf, static_cast<size_t>(n));
  }
  if (truncated) {
    size_t nl = text.rfind('\n');  // a half line would parse as a wrong symbol
    text.resize(nl == std::string::npos ? 0 : nl + 1);
  }
  return text;
}

class RealSystemAccess final : public SystemAccess {
 public:
  Result<std::string> read_kallsyms() override { return read_text("/proc/kallsyms"); }

  void note_process(uint32_t pid) override { identity(pid); }

  PerfMapText read_perf_map(uint32_t pid) override {
    PerfMapText out;
    const TargetIdentity* id = identity(pid);
    if (id == nullptr) {
      out.status = PerfMapText::Status::refused;
      out.why =
          "perf map of pid " + std::to_string(pid) + " not read: the process is gone and its owner unknown";
      return out;
    }
    std::string path = "/tmp/perf-" + std::to_string(id->ns_pid) + ".map";
    OpenedFile f = open_in_target_root(pid, path, /*nofollow=*/true);
    if (f.no_root && id->same_mount_ns == true) f = open_host_file(path, /*nofollow=*/true);
    if (f.absent) return out;
    if (!f.ok()) {
      out.status = PerfMapText::Status::refused;
      out.why = "perf map refused: " + f.refused;
      return out;
    }
    bool owner_ok = f.st.st_uid == 0;
    for (uid_t uid : id->uids) owner_ok |= f.st.st_uid == uid;
    if (!owner_ok) {
      out.status = PerfMapText::Status::refused;
      out.why = "perf map refused: " + path + " of pid " + std::to_string(pid) + " is owned by uid " +
                std::to_string(f.st.st_uid) + ", neither root nor the process's user";
      return out;
    }
    out.file_size_bytes = static_cast<uint64_t>(f.st.st_size);
    auto text = read_capped(f.fd.get(), kMaxPerfMapBytes, out.truncated);
    if (!text) {
      out.status = PerfMapText::Status::refused;
      out.why = "perf map of pid " + std::to_string(pid) + ": " + text.error().message;
      return out;
    }
    out.status = PerfMapText::Status::ok;
    out.text = std::move(*text);
    return out;
  }

  std::vector<ElfCandidate> elf_candidates(const capture::Mapping& m) override {
    std::vector<ElfCandidate> out;
    if (m.path == "[vdso]") {
      // Every 64-bit process on this kernel maps the same vDSO image: ours.
      if (const std::string* vdso = vdso_file()) out.push_back({ElfCandidate::Where::host, *vdso});
      return out;
    }
    char name[96];
    snprintf(name, sizeof name, "/proc/%u/map_files/%lx-%lx", m.pid, static_cast<unsigned long>(m.start),
             static_cast<unsigned long>(m.end));
    if (access(name, F_OK) == 0) out.push_back({ElfCandidate::Where::host, name});
    if (is_file_path(m.path)) {
      std::string path = m.path;
      constexpr std::string_view kDeleted = " (deleted)";
      if (path.ends_with(kDeleted)) path.resize(path.size() - kDeleted.size());
      out.push_back({ElfCandidate::Where::target, path});
    }
    if (m.build_id.size() > 2) {
      std::string debug =
          "/usr/lib/debug/.build-id/" + m.build_id.substr(0, 2) + "/" + m.build_id.substr(2) + ".debug";
      out.push_back({ElfCandidate::Where::target, debug});
      // Named by its build-id, our own copy is as good (perf's build-id cache works so too).
      out.push_back({ElfCandidate::Where::host, debug});
    }
    return out;
  }

  // A path in the target's tree is opened through its root while it lives.
  // Once it is gone, only a process that shared our mount namespace has its
  // paths on our host; the build-id check then still rejects another file.
  Result<UniqueFd> open_elf(uint32_t pid, const ElfCandidate& c) override {
    OpenedFile f;
    if (c.where == ElfCandidate::Where::host) {
      f = open_host_file(c.path, /*nofollow=*/false);
    } else {
      f = open_in_target_root(pid, c.path, /*nofollow=*/false);
      if (f.no_root) {
        const TargetIdentity* id = identity(pid);
        if (id != nullptr && id->same_mount_ns == false) {
          return make_error(ErrorKind::target_gone,
                            "pid " + std::to_string(pid) + " is gone with its mount namespace");
        }
        f = open_host_file(c.path, /*nofollow=*/false);
      }
    }
    if (f.ok()) return std::move(f.fd);
    if (f.absent) return make_error(ErrorKind::io, c.path + ": no such file");
    return make_error(ErrorKind::permission, f.refused);
  }

 private:
  // The identity of pid, read while it lives and remembered after.
  const TargetIdentity* identity(uint32_t pid) {
    if (auto id = read_target_identity(pid)) {
      auto& slot = identities_[pid];
      if (!id->same_mount_ns) id->same_mount_ns = slot.same_mount_ns;  // a zombie: keep what was seen
      slot = std::move(*id);
      return &slot;
    }
    auto it = identities_.find(pid);
    return it == identities_.end() ? nullptr : &it->second;
  }

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

  std::unordered_map<uint32_t, TargetIdentity> identities_;
  bool vdso_tried_ = false;
  UniqueFd vdso_fd_;
  std::string vdso_path_;
};

}  // namespace

Result<UniqueFd> SystemAccess::open_elf(uint32_t, const ElfCandidate& candidate) {
  OpenedFile f = open_host_file(candidate.path, /*nofollow=*/false);
  if (f.ok()) return std::move(f.fd);
  if (f.absent) return make_error(ErrorKind::io, candidate.path + ": no such file");
  return make_error(ErrorKind::permission, f.refused);
}

std::unique_ptr<SystemAccess> make_system_access() { return std::make_unique<RealSystemAccess>(); }

}  // namespace loadprof::symbolize
