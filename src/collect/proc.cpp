// /proc readers: maps, stat, descendants, ELF build-ids (via libelf).
#include "proc.h"

#include <dirent.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "loadprof/util/fd.h"
#include "loadprof/util/procfs.h"

namespace loadprof::collect {
namespace {

std::string hex(const uint8_t* data, size_t size) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 15]);
  }
  return out;
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

// Finds NT_GNU_BUILD_ID in one note blob.
std::string find_build_id_note(Elf_Data* data) {
  GElf_Nhdr nhdr;
  size_t offset = 0, name_offset = 0, desc_offset = 0;
  while ((offset = gelf_getnote(data, offset, &nhdr, &name_offset, &desc_offset)) > 0) {
    const char* base = static_cast<const char*>(data->d_buf);
    if (nhdr.n_type == NT_GNU_BUILD_ID && nhdr.n_namesz == 4 &&
        std::memcmp(base + name_offset, "GNU", 4) == 0 && nhdr.n_descsz > 0) {
      return hex(reinterpret_cast<const uint8_t*>(base + desc_offset), nhdr.n_descsz);
    }
  }
  return {};
}

std::string build_id_from_elf(Elf* elf) {
  size_t phnum = 0;
  if (elf_getphdrnum(elf, &phnum) == 0) {
    for (size_t i = 0; i < phnum; ++i) {
      GElf_Phdr phdr;
      if (!gelf_getphdr(elf, static_cast<int>(i), &phdr) || phdr.p_type != PT_NOTE) continue;
      Elf_Data* data = elf_getdata_rawchunk(elf, phdr.p_offset, phdr.p_filesz,
                                            phdr.p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR);
      if (!data) continue;
      std::string id = find_build_id_note(data);
      if (!id.empty()) return id;
    }
  }
  // Section headers as a fallback (objects without program headers).
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_NOTE) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data) continue;
    std::string id = find_build_id_note(data);
    if (!id.empty()) return id;
  }
  return {};
}

}  // namespace

std::vector<capture::Mapping> parse_proc_maps(std::string_view text, uint32_t pid) {
  std::vector<capture::Mapping> out;
  for (auto& line : procfs::parse_maps(text)) {
    if (!line.executable) continue;
    capture::Mapping m;
    m.pid = pid;
    m.start = line.start;
    m.end = line.end;
    m.pgoff = line.pgoff;
    m.path = std::move(line.path);
    m.executable = true;
    out.push_back(std::move(m));
  }
  return out;
}

int parse_stat_ppid(std::string_view stat_text) { return procfs::parse_stat_ppid(stat_text); }

pid_t thread_group_of(pid_t tid) {
  if (tid <= 0) return -1;
  auto status = procfs::read(tid, "status");
  return status.ok() ? procfs::parse_status_tgid(*status) : -1;
}

bool process_alive(pid_t pid) {
  if (pid <= 0) return false;
  std::string stat;
  if (!read_file("/proc/" + std::to_string(pid) + "/stat", stat)) return false;
  size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return false;
  char state = stat[close + 2];
  if (state == 'X' || state == 'x') return false;
  if (state != 'Z') return true;
  // A zombie leader whose other threads still run (the main thread called
  // pthread_exit) is a live process.
  std::string task = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = opendir(task.c_str());
  if (!dir) return false;
  bool live_thread = false;
  while (dirent* entry = readdir(dir)) {
    char* end = nullptr;
    long tid = std::strtol(entry->d_name, &end, 10);
    if (*end != '\0' || tid <= 0 || tid == pid) continue;
    std::string tstat;
    if (!read_file(task + "/" + entry->d_name + "/stat", tstat)) continue;
    size_t tclose = tstat.rfind(')');
    if (tclose != std::string::npos && tclose + 2 < tstat.size()) {
      char ts = tstat[tclose + 2];
      if (ts != 'Z' && ts != 'X' && ts != 'x') {
        live_thread = true;
        break;
      }
    }
  }
  closedir(dir);
  return live_thread;
}

std::vector<pid_t> find_descendants(pid_t root) {
  std::unordered_multimap<pid_t, pid_t> children;
  DIR* dir = opendir("/proc");
  if (!dir) return {};
  while (dirent* entry = readdir(dir)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    std::string stat;
    if (!read_file(std::string("/proc/") + entry->d_name + "/stat", stat)) continue;
    int ppid = parse_stat_ppid(stat);
    if (ppid > 0) children.emplace(ppid, static_cast<pid_t>(pid));
  }
  closedir(dir);
  std::vector<pid_t> out;
  std::vector<pid_t> queue{root};
  while (!queue.empty()) {
    pid_t p = queue.back();
    queue.pop_back();
    auto [first, last] = children.equal_range(p);
    for (auto it = first; it != last; ++it) {
      out.push_back(it->second);
      queue.push_back(it->second);
    }
  }
  return out;
}

std::vector<std::pair<uint32_t, std::string>> thread_names(pid_t pid) {
  std::vector<std::pair<uint32_t, std::string>> out;
  std::string task = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = opendir(task.c_str());
  if (!dir) return out;
  while (dirent* entry = readdir(dir)) {
    char* end = nullptr;
    long tid = std::strtol(entry->d_name, &end, 10);
    if (*end != '\0' || tid <= 0) continue;
    std::string comm;
    if (!read_file(task + "/" + entry->d_name + "/comm", comm)) continue;
    while (!comm.empty() && comm.back() == '\n') comm.pop_back();
    out.emplace_back(static_cast<uint32_t>(tid), std::move(comm));
  }
  closedir(dir);
  std::sort(out.begin(), out.end());
  return out;
}

uint64_t process_cpu_ns(pid_t pid) {
  uint64_t sum = 0;
  std::string task = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = opendir(task.c_str());
  if (!dir) return 0;
  while (dirent* entry = readdir(dir)) {
    char* end = nullptr;
    long tid = std::strtol(entry->d_name, &end, 10);
    if (*end != '\0' || tid <= 0) continue;
    std::string text;
    if (!read_file(task + "/" + entry->d_name + "/schedstat", text)) continue;
    sum += std::strtoull(text.c_str(), nullptr, 10);
  }
  closedir(dir);
  return sum;
}

std::string read_build_id(const std::string& path) {
  static const bool kInit = elf_version(EV_CURRENT) != EV_NONE;
  if (!kInit) return {};
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return {};
  Elf* elf = elf_begin(fd.get(), ELF_C_READ_MMAP, nullptr);
  if (!elf) return {};
  std::string id = elf_kind(elf) == ELF_K_ELF ? build_id_from_elf(elf) : std::string();
  elf_end(elf);
  return id;
}

std::string BuildIdCache::get(const std::string& path, const std::string& open_path) {
  if (path.empty() || path[0] != '/') return {};  // [vdso], //anon, [heap]...
  const std::string& file = open_path.empty() ? path : open_path;
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return {};
  int64_t mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  auto it = entries_.find(path);
  if (it != entries_.end() && it->second.dev == st.st_dev && it->second.ino == st.st_ino &&
      it->second.mtime_ns == mtime_ns) {
    return it->second.build_id;
  }
  Entry e{st.st_dev, st.st_ino, mtime_ns, read_build_id(file)};
  entries_[path] = e;
  return e.build_id;
}

Result<std::vector<capture::Mapping>> snapshot_mappings(pid_t pid, uint64_t time_ns, BuildIdCache& cache) {
  std::string text;
  std::string proc = "/proc/" + std::to_string(pid);
  if (!read_file(proc + "/maps", text) || !process_alive(pid)) {
    return make_error(ErrorKind::target_gone, "process " + std::to_string(pid) + " does not exist");
  }
  auto mappings = parse_proc_maps(text, static_cast<uint32_t>(pid));
  for (auto& m : mappings) {
    m.time_ns = time_ns;
    char range[64];
    std::snprintf(range, sizeof range, "/map_files/%llx-%llx", static_cast<unsigned long long>(m.start),
                  static_cast<unsigned long long>(m.end));
    m.build_id = cache.get(m.path, proc + range);
    if (m.build_id.empty()) m.build_id = cache.get(m.path);
  }
  return mappings;
}

}  // namespace loadprof::collect
