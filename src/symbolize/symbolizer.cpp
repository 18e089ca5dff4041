// The Symbolizer: mapping lookup by time -> per-file libdwfl module -> frames,
// with a per-(module, offset) cache; kallsyms for kernel addresses; perf-PID.map
// for JIT code in anonymous memory.
#include "loadprof/symbolize/symbolizer.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "symbolize/elf_module.h"
#include "symbolize/kallsyms.h"
#include "symbolize/map_table.h"
#include "symbolize/perf_map.h"

namespace loadprof::symbolize {

namespace {

constexpr std::string_view kDeleted = " (deleted)";

std::string strip_deleted(const std::string& path) {
  if (path.ends_with(kDeleted)) return path.substr(0, path.size() - kDeleted.size());
  return path;
}

std::string basename_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool is_file_path(const std::string& path) {
  return !path.empty() && path.front() == '/' && !path.starts_with("//anon");
}

// The vDSO has no file, but the SystemAccess hands an ELF image for it.
bool has_elf(const std::string& path) { return is_file_path(path) || path == "[vdso]"; }

std::string with_offset(const std::string& module, uint64_t offset) {
  char buf[32];
  snprintf(buf, sizeof buf, "+0x%" PRIx64, offset);
  return module + buf;
}

class SymbolizerImpl final : public Symbolizer {
 public:
  SymbolizerImpl(std::unique_ptr<SystemAccess> system, SymbolizerOptions options)
      : system_(std::move(system)), options_(options) {}

  void add_mapping(const capture::Mapping& mapping) override {
    if (pids_seen_.insert(mapping.pid).second) system_->note_process(mapping.pid);
    maps_.add(mapping);
  }
  void on_exec(uint32_t pid, uint64_t time_ns) override { maps_.on_exec(pid, time_ns); }

  void symbolize_user(uint32_t pid, uint64_t time_ns, uint64_t ip, bool return_address,
                      std::vector<capture::Frame>& out) override {
    ++stats_.user_lookups;
    // A return address points after the call; the call itself (ip - 1) is in
    // the caller's range, and in the right inline scope.
    uint64_t lookup_ip = return_address && ip > 0 ? ip - 1 : ip;
    MapEntry* entry = maps_.find(pid, time_ns, lookup_ip);
    if (entry == nullptr || !has_elf(entry->mapping.path)) {
      if (symbolize_jit(pid, ip, lookup_ip, out)) return;
      if (entry == nullptr) {
        ++stats_.unknown_addresses;
        capture::Frame frame;
        frame.address = ip;
        frame.function = "[unknown]";
        frame.module = "[unknown]";
        frame.module_offset = ip;
        out.push_back(std::move(frame));
        return;
      }
      // [vdso], [heap], anonymous memory: a known region without a file.
      const capture::Mapping& m = entry->mapping;
      capture::Frame frame;
      frame.address = ip;
      frame.module = m.path.empty() || m.path.starts_with("//anon") ? std::string("[anon]") : m.path;
      frame.module_offset = ip - m.start + m.pgoff;
      frame.function = with_offset(frame.module, frame.module_offset);
      out.push_back(std::move(frame));
      return;
    }

    const capture::Mapping& m = entry->mapping;
    Module* module = module_for(*entry);
    uint64_t offset = ip - m.start + m.pgoff;
    uint64_t lookup_offset = lookup_ip - m.start + m.pgoff;
    uint64_t key = offset * 2 + (return_address ? 1 : 0);
    if (options_.cache) {
      auto hit = module->cache.find(key);
      if (hit != module->cache.end()) {
        ++stats_.user_cache_hits;
        append(hit->second, ip, out);
        return;
      }
    }
    std::vector<capture::Frame> frames = module->resolve(lookup_offset);
    if (frames.empty()) {
      capture::Frame frame;
      frame.function = with_offset(module->name(), offset);
      frames.push_back(std::move(frame));
    }
    for (capture::Frame& f : frames) {
      f.module = module->name();
      f.module_offset = offset;
    }
    append(frames, ip, out);
    if (options_.cache) module->cache.emplace(key, std::move(frames));
  }

  void symbolize_kernel(uint64_t ip, std::vector<capture::Frame>& out) override {
    symbolize_kernel(ip, false, out);
  }

  void prefetch_kernel(std::span<const uint64_t> ips) override {
    if (kallsyms_) return;
    std::vector<uint64_t> missing;
    for (uint64_t ip : ips)
      if (!kernel_texts_.count(ip)) missing.push_back(ip);
    if (missing.empty()) return;
    std::sort(missing.begin(), missing.end());
    missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
    describe_kernel(missing);
  }

  void symbolize_kernel(uint64_t ip, bool return_address, std::vector<capture::Frame>& out) override {
    ++stats_.kernel_lookups;
    capture::Frame frame;
    frame.address = ip;
    frame.kernel = true;
    frame.module_offset = ip;
    uint64_t lookup_ip = return_address ? ip - 1 : ip;
    if (const KernelSymbol* sym = kernel_symbol(lookup_ip); sym != nullptr) {
      frame.function = sym->name;
      frame.module = sym->module;
    } else {
      frame.module = "[kernel]";
      frame.function = with_offset(frame.module, ip);
    }
    out.push_back(std::move(frame));
  }

  SymbolizerStats stats() const override { return stats_; }
  std::vector<std::string> take_warnings() override { return std::exchange(warnings_, {}); }

 private:
  struct JitState {
    std::optional<PerfMap> map;
    size_t text_size = 0;
    bool refused = false;                 // the file was unsafe once: not read again for this pid
    bool truncated = false;               // already counted and warned
    std::unordered_set<uint64_t> missed;  // addresses already retried after a reload
  };

  static void append(const std::vector<capture::Frame>& frames, uint64_t ip,
                     std::vector<capture::Frame>& out) {
    for (const capture::Frame& f : frames) {
      out.push_back(f);
      out.back().address = ip;
    }
  }

  // One Module per (path, build-id), opened on first use and kept, also when
  // opening failed (its frames are then "name+0xoff").
  Module* module_for(MapEntry& entry) {
    if (entry.module != nullptr) return entry.module;
    const capture::Mapping& m = entry.mapping;
    std::string path = strip_deleted(m.path);
    std::string key = path;
    key.push_back('\0');
    key += m.build_id;
    auto it = modules_.find(key);
    if (it == modules_.end()) {
      SystemAccess* system = system_.get();
      uint32_t pid = m.pid;
      auto module = Module::open(basename_of(path), path, system_->elf_candidates(m), m.build_id,
                                 options_.debuginfo_path,
                                 [system, pid](const ElfCandidate& c) { return system->open_elf(pid, c); });
      if (module->ok()) {
        ++stats_.modules_opened;
      } else {
        ++stats_.modules_failed;
      }
      it = modules_.emplace(std::move(key), std::move(module)).first;
    }
    entry.module = it->second.get();
    return entry.module;
  }

  // JIT code: /tmp/perf-PID.map, read on first need and again when an
  // address misses (the JIT appends as it compiles).
  bool symbolize_jit(uint32_t pid, uint64_t ip, uint64_t lookup_ip, std::vector<capture::Frame>& out) {
    JitState& state = jit_[pid];
    if (!state.map) reload_jit(pid, state);
    const JitSymbol* sym = state.map->lookup(lookup_ip);
    if (sym == nullptr && state.missed.insert(lookup_ip).second) {
      if (reload_jit(pid, state)) sym = state.map->lookup(lookup_ip);
    }
    if (sym == nullptr) return false;
    capture::Frame frame;
    frame.address = ip;
    frame.function = sym->name;
    frame.module = "perf-" + std::to_string(pid) + ".map";
    frame.module_offset = ip - sym->start;
    out.push_back(std::move(frame));
    return true;
  }

  // The kernel's answer for each address when the system can ask it (cached:
  // a stack's kernel frames repeat), else the whole of kallsyms, read once.
  const KernelSymbol* kernel_symbol(uint64_t address) {
    if (!kallsyms_) {
      auto it = kernel_texts_.find(address);
      if (it == kernel_texts_.end()) {
        describe_kernel(std::span<const uint64_t>(&address, 1));
        it = kernel_texts_.find(address);
      }
      if (it != kernel_texts_.end()) return it->second ? &*it->second : nullptr;
    }
    return kallsyms_->lookup(address);
  }

  // Asks the system about addresses not known yet; when it cannot answer,
  // falls back to kallsyms for good.
  void describe_kernel(std::span<const uint64_t> addresses) {
    if (kallsyms_) return;
    auto texts = system_->describe_kernel_addresses(addresses);
    if (!texts || texts->size() != addresses.size()) {
      auto text = system_->read_kallsyms();
      kallsyms_ = text ? KernelSymbols::parse(*text) : KernelSymbols();
      kernel_texts_.clear();
      return;
    }
    for (size_t i = 0; i < addresses.size(); ++i)
      kernel_texts_.emplace(addresses[i], parse_kernel_symbol_text((*texts)[i]));
  }

  // Returns whether the map changed. A refused or capped file is counted and
  // warned about once per pid.
  bool reload_jit(uint32_t pid, JitState& state) {
    if (!state.map) state.map = PerfMap();
    if (state.refused) return false;
    PerfMapText file = system_->read_perf_map(pid);
    if (file.status == PerfMapText::Status::refused) {
      state.refused = true;
      ++stats_.perf_maps_refused;
      warnings_.push_back(file.why);
      return false;
    }
    if (file.status != PerfMapText::Status::ok) return false;
    if (file.truncated && !state.truncated) {
      state.truncated = true;
      ++stats_.perf_maps_truncated;
      warnings_.push_back("perf map of pid " + std::to_string(pid) + " holds " +
                          std::to_string(file.file_size_bytes) + " bytes: only the first " +
                          std::to_string(kMaxPerfMapBytes >> 20) + " MiB were read");
    }
    if (state.text_size != 0 && file.text.size() == state.text_size) return false;
    state.text_size = file.text.size();
    state.map = PerfMap::parse(file.text);
    return true;
  }

  std::unique_ptr<SystemAccess> system_;
  SymbolizerOptions options_;
  MapTable maps_;
  std::unordered_map<std::string, std::unique_ptr<Module>> modules_;
  std::optional<KernelSymbols> kallsyms_;
  std::unordered_map<uint64_t, std::optional<KernelSymbol>> kernel_texts_;  // address -> the kernel's answer
  std::unordered_map<uint32_t, JitState> jit_;
  SymbolizerStats stats_;
  std::vector<std::string> warnings_;
  std::unordered_set<uint32_t> pids_seen_;
};

}  // namespace

std::unique_ptr<Symbolizer> Symbolizer::create(SymbolizerOptions options) {
  return create(make_system_access(), options);
}

std::unique_ptr<Symbolizer> Symbolizer::create(std::unique_ptr<SystemAccess> system,
                                               SymbolizerOptions options) {
  return std::make_unique<SymbolizerImpl>(std::move(system), options);
}

}  // namespace loadprof::symbolize
