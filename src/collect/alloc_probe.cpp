// Loader of the alloc probe (bpf/alloc.bpf.c), uprobe path.
#include "alloc_probe.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <string>

#include "alloc.skel.h"
#include "bpf_util.h"
#include "loadprof/util/clock.h"
#include "loadprof/util/fd.h"
#include "loadprof/util/procfs.h"
#include "proc.h"

namespace loadprof::collect {
namespace {

// true when the ELF file defines `name` as a function in .dynsym or .symtab.
bool defines_function(const std::string& path, const char* name) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  elf_version(EV_CURRENT);
  Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  bool found = false;
  for (Elf_Scn* scn = elf ? elf_nextscn(elf, nullptr) : nullptr; scn && !found; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr) || (shdr.sh_type != SHT_DYNSYM && shdr.sh_type != SHT_SYMTAB)) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data || shdr.sh_entsize == 0) continue;
    const size_t n = shdr.sh_size / shdr.sh_entsize;
    for (size_t i = 0; i < n; ++i) {
      GElf_Sym sym;
      if (!gelf_getsym(data, static_cast<int>(i), &sym) || sym.st_shndx == SHN_UNDEF) continue;
      const int type = GELF_ST_TYPE(sym.st_info);
      if (type != STT_FUNC && type != STT_GNU_IFUNC) continue;
      const char* s = elf_strptr(elf, shdr.sh_link, sym.st_name);
      if (s && std::strcmp(s, name) == 0) {
        found = true;
        break;
      }
    }
  }
  if (elf) elf_end(elf);
  ::close(fd);
  return found;
}

std::string base_name(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::string allocator_name(const std::string& path, bool is_exe) {
  const std::string base = base_name(path);
  if (base.find("jemalloc") != std::string::npos) return "jemalloc";
  if (base.find("tcmalloc") != std::string::npos) return "tcmalloc";
  if (!is_exe && base.rfind("libc.so", 0) == 0) return "glibc";
  if (!is_exe && base.rfind("libc-", 0) == 0) return "glibc";
  return "own (" + base + ")";
}

Result<AllocatorFound> find_allocator(pid_t pid) {
  const std::string proc = "/proc/" + std::to_string(pid);
  auto maps_text = procfs::read_path(proc + "/maps");
  if (!maps_text.ok()) {
    return make_error(ErrorKind::target_gone, "process " + std::to_string(pid) + " does not exist");
  }
  char exe[4096];
  const ssize_t n = readlink((proc + "/exe").c_str(), exe, sizeof exe - 1);
  const std::string exe_path = n > 0 ? std::string(exe, static_cast<size_t>(n)) : std::string();
  // Candidates in the order the dynamic linker looks symbols up: the
  // executable, then the libraries (libc after the others: a preloaded or
  // linked jemalloc/tcmalloc interposes glibc's malloc).
  std::vector<std::string> candidates;
  for (const auto& m : parse_proc_maps(*maps_text, static_cast<uint32_t>(pid))) {
    if (m.path.empty() || m.path[0] != '/') continue;
    if (std::find(candidates.begin(), candidates.end(), m.path) == candidates.end())
      candidates.push_back(m.path);
  }
  auto rank = [&](const std::string& p) {
    if (p == exe_path) return 0;
    const std::string b = base_name(p);
    if (b.rfind("libc.so", 0) == 0 || b.rfind("libc-", 0) == 0) return 2;
    if (b.rfind("ld-linux", 0) == 0) return 3;  // its minimal malloc serves only the loader
    return 1;
  };
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](const std::string& a, const std::string& b) { return rank(a) < rank(b); });
  for (const auto& path : candidates) {
    if (rank(path) == 3) continue;
    if (!defines_function(proc + "/root" + path, "malloc")) continue;
    AllocatorFound f;
    f.path = path;
    f.name = allocator_name(path, path == exe_path);
    return f;
  }
  return make_error(ErrorKind::usage,
                    "alloc: no module of process " + std::to_string(pid) + " defines malloc");
}

Result<std::unique_ptr<AllocProbe>> AllocProbe::open(const AllocProbeOptions& options, RecordFn on_record) {
  std::unique_ptr<AllocProbe> probe(new AllocProbe());
  probe->on_record_ = std::move(on_record);
  int possible = libbpf_num_possible_cpus();
  if (possible <= 0) return libbpf_error("libbpf_num_possible_cpus", possible);
  probe->possible_cpus_ = possible;
  struct alloc* skel = alloc::open();
  if (!skel) return libbpf_error("open BPF object alloc", errno);
  probe->skel_ = skel;
  skel->rodata->sample_period_bytes = options.sample_period_bytes;
  skel->rodata->alloc_stack_bytes =
      options.dwarf_stack_bytes
          ? std::bit_ceil(std::clamp<uint32_t>(options.dwarf_stack_bytes, 512, LP_ALLOC_STACK_MAX_BYTES))
          : 0;
  // 8 MiB: ~7,600 allocation records (1,072 bytes each) between the reader's
  // drains; 16 MiB with DWARF copies (~3,800 records of 4,256 bytes).
  const uint64_t bytes = options.ringbuf_bytes
                             ? std::bit_ceil(std::max<uint64_t>(options.ringbuf_bytes, 4096))
                             : uint64_t{options.dwarf_stack_bytes ? 16u : 8u} << 20;
  bpf_map__set_max_entries(skel->maps.events, static_cast<uint32_t>(bytes));
  if (int err = alloc::load(skel); err != 0) return libbpf_error("load BPF program alloc", err);
  probe->ringbuf_ =
      ring_buffer__new(bpf_map__fd(skel->maps.events), &AllocProbe::on_ringbuf_record, probe.get(), nullptr);
  if (!probe->ringbuf_) return libbpf_error("ring_buffer__new (alloc)", errno);
  return probe;
}

Result<AllocatorFound> AllocProbe::attach(pid_t pid) {
  LOADPROF_TRY(found, find_allocator(pid));
  const std::string binary = "/proc/" + std::to_string(pid) + "/root" + found.path;
  struct Target {
    const char* function;
    bpf_program* entry;
    bool allocates;  // its return is probed too
  };
  const Target targets[] = {
      {"malloc", skel_->progs.on_malloc, true},
      {"calloc", skel_->progs.on_calloc, true},
      {"realloc", skel_->progs.on_realloc, true},
      {"memalign", skel_->progs.on_memalign, true},
      {"aligned_alloc", skel_->progs.on_memalign, true},
      {"posix_memalign", skel_->progs.on_posix_memalign, true},
      {"valloc", skel_->progs.on_valloc, true},
      {"pvalloc", skel_->progs.on_valloc, true},
      {"free", skel_->progs.on_free, false},
  };
  for (const Target& t : targets) {
    // A function the allocator does not define (pvalloc in jemalloc) is skipped.
    if (!defines_function(binary, t.function)) continue;
    LIBBPF_OPTS(bpf_uprobe_opts, entry_opts, .retprobe = false, .func_name = t.function);
    bpf_link* link = bpf_program__attach_uprobe_opts(t.entry, pid, binary.c_str(), 0, &entry_opts);
    if (!link) return libbpf_error(std::string("attach uprobe ") + t.function + " in " + found.path, errno);
    links_.push_back(link);
    if (t.allocates) {
      LIBBPF_OPTS(bpf_uprobe_opts, ret_opts, .retprobe = true, .func_name = t.function);
      link = bpf_program__attach_uprobe_opts(skel_->progs.on_alloc_return, pid, binary.c_str(), 0, &ret_opts);
      if (!link)
        return libbpf_error(std::string("attach uretprobe ") + t.function + " in " + found.path, errno);
      links_.push_back(link);
    }
    found.functions.emplace_back(t.function);
  }
  if (std::find(found.functions.begin(), found.functions.end(), "free") == found.functions.end()) {
    return make_error(ErrorKind::usage, "alloc: " + found.path + " defines malloc but no free");
  }
  return found;
}

double AllocRateEstimate::calls_per_s() const {
  return window_ns == 0 ? 0.0 : static_cast<double>(calls) * 1e9 / static_cast<double>(window_ns);
}

double AllocRateEstimate::overhead_pct() const {
  return calls_per_s() * static_cast<double>(kTracedCallNs) / 1e7;
}

Result<AllocRateEstimate> AllocProbe::measure_rate(pid_t pid, uint64_t window_ns) {
  auto calls = [&] {
    const auto c = counters();
    return c[LP_ALLOC_CALLS] + c[LP_ALLOC_FREES] + c[LP_ALLOC_FREES_UNKNOWN];
  };
  const uint64_t calls_before = calls();
  const uint64_t cpu_before = process_cpu_ns(pid);
  const uint64_t start_ns = monotonic_ns();
  struct timespec ts = {static_cast<time_t>(window_ns / 1'000'000'000),
                        static_cast<long>(window_ns % 1'000'000'000)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
  AllocRateEstimate e;
  e.window_ns = monotonic_ns() - start_ns;
  const uint64_t cpu_after = process_cpu_ns(pid);
  e.target_cpu_ns = cpu_after > cpu_before ? cpu_after - cpu_before : 0;
  e.calls = calls() - calls_before;
  return e;
}

AllocProbe::~AllocProbe() {
  stop();
  if (ringbuf_) ring_buffer__free(ringbuf_);
  if (skel_) alloc::destroy(skel_);
}

int AllocProbe::on_ringbuf_record(void* ctx, void* data, size_t size) {
  auto* self = static_cast<AllocProbe*>(ctx);
  self->on_record_(std::span<const uint8_t>(static_cast<const uint8_t*>(data), size));
  return 0;
}

Result<void> AllocProbe::consume() {
  int n = ring_buffer__consume(ringbuf_);
  if (n < 0 && n != -EINTR) return libbpf_error("ring_buffer__consume (alloc)", n);
  return {};
}

void AllocProbe::stop() {
  for (bpf_link* link : links_) bpf_link__destroy(link);
  links_.clear();
}

std::array<uint64_t, LP_ALLOC_COUNTERS> AllocProbe::counters() const {
  return sum_percpu_counters<LP_ALLOC_COUNTERS>(skel_->maps.counters, possible_cpus_);
}

}  // namespace loadprof::collect
