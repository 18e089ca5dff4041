// DwarfUnwinder over elfutils: dwfl_linux_proc_report + dwfl_attach_state
// once per process, dwfl_getthread_frames per sample with a memory reader
// over the copied stack (see include/loadprof/symbolize/dwarf_unwinder.h).
// A memo per process replays an unwind when a stack is unwound again from the
// same rip, rsp, rbp and r10 and every stack word the first unwind read holds
// the same value: the walk's result depends on nothing else (x86-64 CFI
// defines the CFA from rsp, rbp, r10 in realigning prologues, or memory), so
// the replay is exact, and a loop's syscalls cost a lookup instead of an unwind.
#include "loadprof/symbolize/dwarf_unwinder.h"

#include <elfutils/libdwfl.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "loadprof/util/clock.h"

namespace loadprof::symbolize {
namespace {

constexpr size_t kRsp = 7;
constexpr size_t kRbp = 6;
constexpr size_t kR10 = 10;
constexpr size_t kRip = 16;
// Memo entries per process; the memo is emptied when it is full.
constexpr size_t kMemoEntries = 16384;

// One stack word the unwinder asked for: its offset from sp, and its value
// (found false: it lay outside the copy).
struct StackRead {
  int64_t offset = 0;
  uint64_t value = 0;
  bool found = false;
};

// The sample being unwound, the one thing the libdwfl callbacks read.
struct Current {
  uint32_t tid = 0;
  std::span<const uint64_t> regs;
  std::span<const uint8_t> stack;
  uint64_t sp = 0;
  bool read_above_window = false;  // the last failed read lay above the copy
  std::vector<uint64_t>* ips = nullptr;
  bool depth_limited = false;
  std::vector<StackRead>* reads = nullptr;  // every read, for the memo
};

pid_t next_thread(Dwfl*, void* arg, void** thread_argp) {
  if (*thread_argp != nullptr) return 0;
  *thread_argp = arg;
  return static_cast<pid_t>(static_cast<Current*>(arg)->tid);
}

bool get_thread(Dwfl*, pid_t, void* arg, void** thread_argp) {
  *thread_argp = arg;
  return true;
}

// The stack word at offset from sp in the copy, if it lies in it.
bool word_at(std::span<const uint8_t> stack, int64_t offset, uint64_t& value) {
  if (offset < 0 || static_cast<uint64_t>(offset) > stack.size() ||
      stack.size() - static_cast<uint64_t>(offset) < 8)
    return false;
  std::memcpy(&value, stack.data() + offset, sizeof value);
  return true;
}

bool memory_read(Dwfl*, Dwarf_Addr addr, Dwarf_Word* result, void* arg) {
  auto* c = static_cast<Current*>(arg);
  const auto offset = static_cast<int64_t>(addr - c->sp);
  uint64_t value = 0;
  const bool found = word_at(c->stack, offset, value);
  if (c->reads) c->reads->push_back({offset, value, found});
  if (found) {
    *result = value;
    c->read_above_window = false;
    return true;
  }
  c->read_above_window = addr >= c->sp + c->stack.size();
  return false;
}

bool set_initial_registers(Dwfl_Thread* thread, void* arg) {
  auto* c = static_cast<Current*>(arg);
  return dwfl_thread_state_registers(thread, 0, static_cast<unsigned>(c->regs.size()), c->regs.data());
}

const Dwfl_Thread_Callbacks kThreadCallbacks = {
    next_thread, get_thread, memory_read, set_initial_registers, nullptr, nullptr,
};

// No separate debug files for unwinding: .eh_frame (and a .debug_frame in
// the file itself) is read from the mapped file; debug files are for names.
int no_debuginfo(Dwfl_Module*, void**, const char*, Dwarf_Addr, const char*, const char*, GElf_Word, char**) {
  return -1;
}

const Dwfl_Callbacks kProcCallbacks = {dwfl_linux_proc_find_elf, no_debuginfo, nullptr, nullptr};

int on_frame(Dwfl_Frame* frame, void* arg) {
  auto* c = static_cast<Current*>(arg);
  Dwarf_Addr pc = 0;
  bool activation = false;
  if (!dwfl_frame_pc(frame, &pc, &activation)) return DWARF_CB_ABORT;
  // Callers are return addresses (the symbolizer looks up pc - 1); a signal
  // frame's pc is exact: +1 keeps that lookup right.
  if (!c->ips->empty() && activation) pc += 1;
  c->ips->push_back(pc);
  if (c->ips->size() >= kUnwindMaxFrames) {
    c->depth_limited = true;
    return DWARF_CB_ABORT;
  }
  return DWARF_CB_OK;
}

struct ModuleInfo {
  std::string name;
  const char* method = "dwarf";
};

// The registers a walk's result can depend on (see the file comment).
struct MemoKey {
  uint64_t rip = 0, rsp = 0, rbp = 0, r10 = 0;
  bool operator==(const MemoKey&) const = default;
};

struct MemoKeyHash {
  size_t operator()(const MemoKey& k) const {
    uint64_t h = 14695981039346656037ULL;
    for (uint64_t v : {k.rip, k.rsp, k.rbp, k.r10}) h = (h ^ v) * 1099511628211ULL;
    return static_cast<size_t>(h);
  }
};

struct MemoEntry {
  std::vector<StackRead> reads;
  std::vector<uint64_t> ips;
  UnwindStop stop = UnwindStop::complete;
};

struct Process {
  Dwfl* dwfl = nullptr;
  bool stale = true;
  bool attached = false;
  bool failed = false;                                       // the maps could not be read: never tried again
  std::unordered_map<Dwfl_Module*, ModuleInfo> modules;      // cleared on re-report
  std::unordered_map<MemoKey, MemoEntry, MemoKeyHash> memo;  // cleared on re-report
  std::map<uint64_t, capture::Mapping> mappings;             // by start: the recorder's, since exec
  Process() = default;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process() {
    if (dwfl) dwfl_end(dwfl);
  }
};

std::string base_name(const char* path) {
  if (!path) return "[unknown]";
  std::string_view p(path);
  const size_t slash = p.rfind('/');
  return std::string(slash == std::string_view::npos ? p : p.substr(slash + 1));
}

class Unwinder final : public DwarfUnwinder {
 public:
  ~Unwinder() override = default;

  void maps_changed(uint32_t pid) override {
    if (auto it = processes_.find(pid); it != processes_.end()) it->second.stale = true;
  }
  void forget(uint32_t pid) override { processes_.erase(pid); }

  void add_mapping(const capture::Mapping& m) override {
    Process& p = processes_[m.pid];
    p.stale = true;
    if (m.path.empty() || m.path[0] != '/' || m.end <= m.start) return;
    // A mapping over older ones replaces them (no munmap is seen).
    auto it = p.mappings.lower_bound(m.start);
    if (it != p.mappings.begin() && std::prev(it)->second.end > m.start) --it;
    while (it != p.mappings.end() && it->second.start < m.end) it = p.mappings.erase(it);
    p.mappings[m.start] = m;
  }

  void exec(uint32_t pid) override {
    Process& p = processes_[pid];
    p.stale = true;
    p.mappings.clear();
  }

  UnwindStop unwind(uint32_t pid, uint32_t tid, std::span<const uint64_t> regs,
                    std::span<const uint8_t> stack, std::vector<uint64_t>& ips) override {
    const uint64_t start_ns = thread_cpu_ns();
    ips.clear();
    UnwindStop stop = run(pid, tid, regs, stack, ips);
    ++stats_.unwinds;
    stats_.frames += ips.size();
    stats_.unwind_ns += thread_cpu_ns() - start_ns;
    return stop;
  }

  const std::map<std::string, UnwindModuleStats>& modules() const override { return module_stats_; }
  UnwinderStats stats() const override { return stats_; }

 private:
  UnwindStop run(uint32_t pid, uint32_t tid, std::span<const uint64_t> regs, std::span<const uint8_t> stack,
                 std::vector<uint64_t>& ips) {
    if (regs.size() < kUnwindRegs) return UnwindStop::failed;
    Process& p = processes_[pid];
    if (!ready(p, pid)) {
      ips.push_back(regs[kRip]);
      tally(p, ips, UnwindStop::no_maps);
      return UnwindStop::no_maps;
    }
    const MemoKey key{regs[kRip], regs[kRsp], regs[kRbp], regs[kR10]};
    if (auto it = p.memo.find(key); it != p.memo.end() && replays(it->second, stack)) {
      ips = it->second.ips;
      ++stats_.replayed;
      tally(p, ips, it->second.stop);
      return it->second.stop;
    }
    reads_.clear();
    current_ = Current{};
    current_.tid = tid;
    current_.regs = regs.first(kUnwindRegs);
    current_.stack = stack;
    current_.sp = regs[kRsp];
    current_.ips = &ips;
    current_.reads = &reads_;
    dwfl_getthread_frames(p.dwfl, static_cast<pid_t>(tid), on_frame, &current_);
    UnwindStop stop = UnwindStop::complete;
    if (current_.depth_limited)
      stop = UnwindStop::depth_limit;
    else if (current_.read_above_window)
      stop = UnwindStop::stack_window;
    else if (ips.size() < 2)
      stop = UnwindStop::failed;
    if (ips.empty()) ips.push_back(regs[kRip]);
    if (p.memo.size() >= kMemoEntries) p.memo.clear();
    MemoEntry& e = p.memo[key];
    e.reads = reads_;
    e.ips = ips;
    e.stop = stop;
    tally(p, ips, stop);
    return stop;
  }

  // The memo entry's walk holds for this copy: every word it read has the
  // same value here (or lies outside this copy too).
  static bool replays(const MemoEntry& e, std::span<const uint8_t> stack) {
    for (const StackRead& r : e.reads) {
      uint64_t value = 0;
      const bool found = word_at(stack, r.offset, value);
      if (found != r.found || (found && value != r.value)) return false;
    }
    return true;
  }

  // The process's Dwfl, (re-)reported when its maps changed.
  bool ready(Process& p, uint32_t pid) {
    if (p.failed) return false;
    if (p.dwfl && !p.stale) return true;
    if (!p.dwfl) {
      p.dwfl = dwfl_begin(&kProcCallbacks);
      if (!p.dwfl) return false;
    }
    ++stats_.reports;
    p.modules.clear();
    p.memo.clear();
    dwfl_report_begin(p.dwfl);
    int err = dwfl_linux_proc_report(p.dwfl, static_cast<pid_t>(pid));
    // Gone (before its first unwind, or before a re-report for a library it
    // mapped later): its modules from the mappings kept. (A report that
    // fails leaves no module: dwfl_report_end drops those not reported.)
    if (err != 0 && report_kept_mappings(p)) {
      err = 0;
      ++stats_.reports_from_mappings;
    }
    dwfl_report_end(p.dwfl, nullptr, nullptr);
    if (err != 0) {
      // Gone already, and no mapping kept: nothing to read any more.
      if (!p.attached) {
        p.failed = true;
        return false;
      }
    }
    p.stale = false;
    if (!p.attached) {
      if (!dwfl_attach_state(p.dwfl, nullptr, static_cast<pid_t>(pid), &kThreadCallbacks, &current_)) {
        p.failed = true;
        return false;
      }
      p.attached = true;
    }
    return true;
  }

  // The kept mappings as /proc/PID/maps lines for libdwfl: one per file, from
  // start - pgoff of its first mapping (the file's load base when segments
  // keep vaddr - offset constant, as GNU ld lays them out) to the end of its
  // last; distinct files get distinct inode numbers (libdwfl groups by them).
  static bool report_kept_mappings(Process& p) {
    if (p.mappings.empty()) return false;
    std::string text;
    std::map<std::string, std::pair<uint64_t, uint64_t>> files;  // path -> [low, high)
    for (const auto& [start, m] : p.mappings) {
      auto [it, fresh] = files.try_emplace(m.path, m.start - std::min(m.pgoff, m.start), m.end);
      if (!fresh) {
        it->second.first = std::min(it->second.first, m.start - std::min(m.pgoff, m.start));
        it->second.second = std::max(it->second.second, m.end);
      }
    }
    std::vector<std::pair<std::pair<uint64_t, uint64_t>, std::string>> by_low;
    for (const auto& [path, range] : files) by_low.push_back({range, path});
    std::sort(by_low.begin(), by_low.end());
    uint64_t inode = 0;
    for (const auto& [range, path] : by_low) {
      char line[96];
      std::snprintf(line, sizeof line, "%llx-%llx r-xp 00000000 00:00 %llu ",
                    static_cast<unsigned long long>(range.first),
                    static_cast<unsigned long long>(range.second), static_cast<unsigned long long>(++inode));
      text += line;
      text += path;
      text += '\n';
    }
    FILE* f = fmemopen(text.data(), text.size(), "r");
    if (!f) return false;
    const int err = dwfl_linux_proc_maps_report(p.dwfl, f);
    std::fclose(f);
    return err == 0;
  }

  const ModuleInfo* module_of(Process& p, uint64_t ip) {
    if (!p.dwfl) return nullptr;
    Dwfl_Module* mod = dwfl_addrmodule(p.dwfl, ip);
    if (!mod) return nullptr;
    Dwarf_Addr low = 0, high = 0;
    const char* name = dwfl_module_info(mod, nullptr, &low, &high, nullptr, nullptr, nullptr, nullptr);
    if (ip < low || ip >= high) return nullptr;  // dwfl_addrmodule answers the last module above its end
    auto it = p.modules.find(mod);
    if (it != p.modules.end()) return &it->second;
    ModuleInfo info;
    info.name = base_name(name);
    Dwarf_Addr bias = 0;
    info.method = dwfl_module_eh_cfi(mod, &bias) || dwfl_module_dwarf_cfi(mod, &bias) ? "dwarf" : "fp";
    return &p.modules.emplace(mod, std::move(info)).first->second;
  }

  void tally(Process& p, const std::vector<uint64_t>& ips, UnwindStop stop) {
    seen_.clear();
    const ModuleInfo* outermost = nullptr;
    for (size_t i = 0; i < ips.size(); ++i) {
      const ModuleInfo* m = module_of(p, i == 0 ? ips[i] : ips[i] - 1);
      if (!m) continue;
      outermost = m;
      if (std::find(seen_.begin(), seen_.end(), m) != seen_.end()) continue;
      seen_.push_back(m);
      UnwindModuleStats& s = module_stats_[m->name];
      s.method = m->method;
      ++s.stacks;
    }
    if (stop == UnwindStop::complete) return;
    const std::string name = outermost ? outermost->name : "[unknown]";
    UnwindModuleStats& s = module_stats_[name];
    if (s.method.empty()) s.method = outermost ? outermost->method : "dwarf";
    if (!outermost) ++s.stacks;
    ++s.truncated;
    ++s.truncated_by_reason[unwind_stop_name(stop)];
  }

  std::unordered_map<uint32_t, Process> processes_;
  Current current_;  // every Dwfl's callbacks point here
  std::vector<StackRead> reads_;
  std::vector<const ModuleInfo*> seen_;
  std::map<std::string, UnwindModuleStats> module_stats_;
  UnwinderStats stats_;
};

}  // namespace

const char* unwind_stop_name(UnwindStop stop) {
  switch (stop) {
    case UnwindStop::complete:
      return "complete";
    case UnwindStop::stack_window:
      return "stack_window";
    case UnwindStop::depth_limit:
      return "depth_limit";
    case UnwindStop::no_maps:
      return "process_gone";
    case UnwindStop::failed:
      return "no_caller";
  }
  return "unknown";
}

std::unique_ptr<DwarfUnwinder> DwarfUnwinder::create() { return std::make_unique<Unwinder>(); }

}  // namespace loadprof::symbolize
