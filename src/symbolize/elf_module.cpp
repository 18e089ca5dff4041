// libdwfl per ELF file. Each file gets its own Dwfl with the file reported at
// its link-time addresses (bias 0 for ET_DYN), so a file offset maps to an
// address through the PT_LOAD headers, independent of where any process
// loaded it; one opened file serves every process that maps it.
#include "symbolize/elf_module.h"

#include <cxxabi.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "loadprof/util/fd.h"

namespace loadprof::symbolize {

namespace {

// Sizeless function symbols (assembly) cover at most this much code after them.
constexpr uint64_t kMaxSizelessDistance = 64 * 1024;

std::string hex(const unsigned char* bytes, int n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (int i = 0; i < n; ++i) {
    out.push_back(kDigits[bytes[i] >> 4]);
    out.push_back(kDigits[bytes[i] & 15]);
  }
  return out;
}

// The linkage name (demangled) when the DIE or its abstract origin /
// specification has one: it carries namespaces, template arguments and
// parameter types that DW_AT_name lacks.
std::string die_function_name(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  const char* linkage = nullptr;
  if (dwarf_attr_integrate(die, DW_AT_linkage_name, &attr) != nullptr ||
      dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr) != nullptr) {
    linkage = dwarf_formstring(&attr);
  }
  if (linkage != nullptr) return demangle(linkage);
  const char* name = dwarf_diename(die);
  return name != nullptr ? std::string(name) : std::string();
}

// DW_AT_call_file/DW_AT_call_line of an inlined subroutine: where, in its
// caller, the inlined code sits.
void call_site(Dwarf_Die* inlined, std::string& file, uint32_t& line) {
  file.clear();
  line = 0;
  Dwarf_Attribute attr;
  Dwarf_Word value = 0;
  if (dwarf_attr(inlined, DW_AT_call_line, &attr) != nullptr && dwarf_formudata(&attr, &value) == 0)
    line = static_cast<uint32_t>(value);
  if (dwarf_attr(inlined, DW_AT_call_file, &attr) == nullptr || dwarf_formudata(&attr, &value) != 0) return;
  Dwarf_Die cu;
  if (dwarf_diecu(inlined, &cu, nullptr, nullptr) == nullptr) return;
  Dwarf_Files* files = nullptr;
  size_t nfiles = 0;
  if (dwarf_getsrcfiles(&cu, &files, &nfiles) != 0 || value >= nfiles) return;
  const char* name = dwarf_filesrc(files, value, nullptr, nullptr);
  if (name != nullptr) file = name;
}

// "realpath@@GLIBC_2.3" -> "realpath": .symtab names of versioned symbols
// carry the version; no C or mangled C++ name contains '@'.
std::string strip_version(const char* name) {
  const char* at = strchr(name, '@');
  return at == nullptr ? std::string(name) : std::string(name, at - name);
}

}  // namespace

std::string demangle(const char* name) {
  if (name == nullptr) return {};
  if (name[0] == '_' && name[1] == 'Z') {
    int status = 0;
    char* out = abi::__cxa_demangle(name, nullptr, nullptr, &status);
    if (status == 0 && out != nullptr) {
      std::string result(out);
      std::free(out);
      return result;
    }
    std::free(out);
  }
  return name;
}

std::unique_ptr<Module> Module::open(std::string name, const std::string& file_name,
                                     const std::vector<ElfCandidate>& candidates, const std::string& build_id,
                                     const std::string& debuginfo_path, ElfOpener opener) {
  std::unique_ptr<Module> module(new Module(std::move(name)));
  module->debuginfo_path_ = debuginfo_path;
  module->debuginfo_path_ptr_ = module->debuginfo_path_.data();
  module->opener_ = std::move(opener);
  module->callbacks_.find_elf = nullptr;  // dwfl_report_elf hands the file itself
  // Not dwfl_standard_find_debuginfo: it opens paths the target chose with a
  // plain open(), as root, and a FIFO there would block us forever.
  module->callbacks_.find_debuginfo = &Module::find_debuginfo;
  module->callbacks_.section_address = dwfl_offline_section_address;
  module->callbacks_.debuginfo_path = &module->debuginfo_path_ptr_;
  for (const ElfCandidate& candidate : candidates) {
    auto opened = module->opener_(candidate);
    if (!opened.ok()) continue;
    UniqueFd fd = std::move(*opened);
    Dwfl* dwfl = dwfl_begin(&module->callbacks_);
    if (dwfl == nullptr) return module;
    dwfl_report_begin(dwfl);
    const std::string& report_name = file_name.empty() ? candidate.path : file_name;
    Dwfl_Module* mod = dwfl_report_elf(dwfl, module->name_.c_str(), report_name.c_str(), fd.get(), 0, true);
    if (mod == nullptr) {  // not ELF: the fd stays ours
      dwfl_end(dwfl);
      continue;
    }
    fd.release();  // consumed by libdwfl on success
    void** userdata = nullptr;
    dwfl_module_info(mod, &userdata, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
    if (userdata != nullptr) *userdata = module.get();  // for find_debuginfo
    dwfl_report_end(dwfl, nullptr, nullptr);

    const unsigned char* bits = nullptr;
    GElf_Addr id_vaddr = 0;
    int n = dwfl_module_build_id(mod, &bits, &id_vaddr);
    std::string file_build_id = n > 0 ? hex(bits, n) : std::string();
    if (!build_id.empty() && file_build_id != build_id) {  // replaced file, or another process's
      dwfl_end(dwfl);
      continue;
    }
    Dwarf_Addr bias = 0;
    Elf* elf = dwfl_module_getelf(mod, &bias);
    size_t phnum = 0;
    if (elf == nullptr || elf_getphdrnum(elf, &phnum) != 0) {
      dwfl_end(dwfl);
      continue;
    }
    for (size_t i = 0; i < phnum; ++i) {
      GElf_Phdr phdr;
      if (gelf_getphdr(elf, static_cast<int>(i), &phdr) == nullptr || phdr.p_type != PT_LOAD) continue;
      module->segments_.push_back(Segment{phdr.p_offset, phdr.p_filesz, phdr.p_vaddr});
    }
    std::sort(module->segments_.begin(), module->segments_.end(),
              [](const Segment& a, const Segment& b) { return a.offset < b.offset; });
    module->dwfl_ = dwfl;
    module->mod_ = mod;
    module->bias_ = bias;
    module->opened_path_ = candidate.path;
    module->build_id_ = file_build_id;
    module->load_symbols();
    return module;
  }
  return module;
}

namespace {

std::string directory_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::string elf_build_id(int fd) {
  Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  if (elf == nullptr) return {};
  const void* bits = nullptr;
  ssize_t n = dwelf_elf_gnu_build_id(elf, &bits);
  std::string id = n > 0 ? hex(static_cast<const unsigned char*>(bits), static_cast<int>(n)) : std::string();
  elf_end(elf);
  return id;
}

}  // namespace

int Module::open_debug_file(const ElfCandidate& candidate, const std::string& want_build_id,
                            std::string& opened) {
  auto fd = opener_(candidate);
  if (!fd.ok()) return -1;
  // A debuglink names a file, not its content: the build-id says whether it
  // belongs to this module (without one, the name is all there is).
  if (!want_build_id.empty() && elf_build_id(fd->get()) != want_build_id) return -1;
  opened = candidate.path;
  return fd->release();
}

int Module::find_debuginfo(Dwfl_Module* mod, void** userdata, const char*, Dwarf_Addr, const char* file_name,
                           const char* debuglink_file, GElf_Word, char** debuginfo_file_name) {
  auto* self = static_cast<Module*>(*userdata);
  if (self == nullptr || !self->opener_) return -1;
  const unsigned char* bits = nullptr;
  GElf_Addr id_vaddr = 0;
  int n = dwfl_module_build_id(mod, &bits, &id_vaddr);
  std::string build_id = n > 0 ? hex(bits, n) : std::string();
  std::string file = file_name != nullptr ? file_name : std::string();
  std::string dir = directory_of(file);
  std::string link = debuglink_file != nullptr ? debuglink_file : std::string();
  if (link.find('/') != std::string::npos) link.clear();  // a debuglink is a bare file name

  std::vector<ElfCandidate> tries;
  std::string entries = self->debuginfo_path_;
  size_t pos = 0;
  while (pos <= entries.size()) {
    size_t colon = entries.find(':', pos);
    std::string entry = entries.substr(pos, colon == std::string::npos ? std::string::npos : colon - pos);
    pos = colon == std::string::npos ? entries.size() + 1 : colon + 1;
    while (!entry.empty() && (entry.front() == '+' || entry.front() == '-')) entry.erase(0, 1);
    if (!entry.empty() && entry.front() == '/') {
      // A debug tree: by build-id, then by the file's own directory. The
      // target's tree first, then ours (the same files when it shares our
      // mount namespace).
      std::vector<std::string> paths;
      if (build_id.size() > 2) {
        paths.push_back(entry + "/.build-id/" + build_id.substr(0, 2) + "/" + build_id.substr(2) + ".debug");
      }
      if (!link.empty() && !dir.empty()) paths.push_back(entry + dir + "/" + link);
      for (const std::string& p : paths) {
        tries.push_back({ElfCandidate::Where::target, p});
        tries.push_back({ElfCandidate::Where::host, p});
      }
    } else if (!link.empty() && !dir.empty()) {
      // Relative to the file, in the target's tree: "" is next to it.
      std::string p = entry.empty() ? dir + "/" + link : dir + "/" + entry + "/" + link;
      if (p != file) tries.push_back({ElfCandidate::Where::target, p});
    }
  }
  for (const ElfCandidate& c : tries) {
    std::string opened;
    int fd = self->open_debug_file(c, build_id, opened);
    if (fd < 0) continue;
    *debuginfo_file_name = strdup(opened.c_str());
    return fd;
  }
  return -1;
}

Module::~Module() {
  if (dwfl_ != nullptr) dwfl_end(dwfl_);
}

bool Module::file_offset_to_address(uint64_t file_offset, uint64_t& address) const {
  // The last segment starting at or below the offset; code lies within its
  // file size, but an offset past it still maps linearly (bss-like tails).
  auto it = std::upper_bound(segments_.begin(), segments_.end(), file_offset,
                             [](uint64_t off, const Segment& s) { return off < s.offset; });
  if (it == segments_.begin()) return false;
  --it;
  address = file_offset - it->offset + it->vaddr + bias_;
  return true;
}

void Module::load_symbols() {
  int n = dwfl_module_getsymtab(mod_);
  for (int i = 1; i < n; ++i) {
    GElf_Sym sym;
    GElf_Addr address = 0;
    GElf_Word shndx = 0;
    const char* name = dwfl_module_getsym_info(mod_, i, &sym, &address, &shndx, nullptr, nullptr);
    if (name == nullptr || name[0] == '\0' || address == 0 || shndx == SHN_UNDEF) continue;
    int type = GELF_ST_TYPE(sym.st_info);
    if (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_NOTYPE) continue;
    int bind = GELF_ST_BIND(sym.st_info);
    int rank = bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2;
    symbols_.push_back(Symbol{address, sym.st_size, name, rank});
    max_symbol_size_ = std::max<uint64_t>(max_symbol_size_, sym.st_size);
  }
  // By address; among aliases at one address the best name first: global
  // before weak before local, then the plainer name (fewer leading
  // underscores, then shorter: "expm1f" over "expm1f32", "malloc" over
  // "__libc_malloc"), then table order.
  std::stable_sort(symbols_.begin(), symbols_.end(), [](const Symbol& a, const Symbol& b) {
    if (a.address != b.address) return a.address < b.address;
    if (a.rank != b.rank) return a.rank < b.rank;
    size_t ua = strspn(a.name, "_"), ub = strspn(b.name, "_");
    if (ua != ub) return ua < ub;
    return strlen(a.name) < strlen(b.name);
  });
}

// The sized symbol containing address (the innermost start when symbols
// nest); else the nearest sizeless symbol below it, unless a sized symbol
// ends between the two (the address is then in padding: no symbol).
const char* Module::symbol_at(uint64_t address) const {
  auto it = std::upper_bound(symbols_.begin(), symbols_.end(), address,
                             [](uint64_t a, const Symbol& s) { return a < s.address; });
  const Symbol* sizeless = nullptr;
  bool blocked = false;
  while (it != symbols_.begin()) {
    --it;
    uint64_t distance = address - it->address;
    if (it->size > 0 && distance < it->size) {
      // Among aliases at this address the first has the best binding.
      while (it != symbols_.begin() && (it - 1)->address == it->address && (it - 1)->size > 0) --it;
      return it->name;
    }
    if (it->size == 0) {
      if (sizeless == nullptr && !blocked && distance < kMaxSizelessDistance) sizeless = &*it;
    } else if (sizeless == nullptr) {
      blocked = true;
    }
    // No sized symbol further down is large enough to reach address.
    if (distance >= max_symbol_size_) break;
  }
  return sizeless != nullptr ? sizeless->name : nullptr;
}

// libdw 0.188 finds a CU by address only through .debug_aranges, which
// clang 14 does not emit by default (DWARF 5): without them no lines and no
// inline frames. Then the CUs' own ranges, indexed once per module, do it.
Dwarf_Die* Module::cu_at(uint64_t address, Dwarf_Addr& bias, Dwarf_Die& storage) {
  if (Dwarf_Die* cu = dwfl_module_addrdie(mod_, address, &bias); cu != nullptr) return cu;
  if (!cu_ranges_built_) {
    cu_ranges_built_ = true;
    Dwarf_Addr dwarf_bias = 0;
    Dwarf* dwarf = dwfl_module_getdwarf(mod_, &dwarf_bias);
    if (dwarf == nullptr) return nullptr;
    cu_ranges_bias_ = dwarf_bias;
    Dwarf_CU* unit = nullptr;
    Dwarf_Die cudie;
    uint8_t unit_type = 0;
    while (dwarf_get_units(dwarf, unit, &unit, nullptr, &unit_type, &cudie, nullptr) == 0) {
      if (unit_type != DW_UT_compile && unit_type != DW_UT_skeleton) continue;
      Dwarf_Addr base = 0, start = 0, end = 0;
      ptrdiff_t offset = 0;
      while ((offset = dwarf_ranges(&cudie, offset, &base, &start, &end)) > 0) {
        if (end > start) cu_ranges_.push_back(SubprogramRange{start, end, cudie});
      }
    }
    std::sort(cu_ranges_.begin(), cu_ranges_.end(),
              [](const SubprogramRange& a, const SubprogramRange& b) { return a.low < b.low; });
  }
  uint64_t pc = address - cu_ranges_bias_;
  auto it = std::upper_bound(cu_ranges_.begin(), cu_ranges_.end(), pc,
                             [](uint64_t a, const SubprogramRange& r) { return a < r.low; });
  if (it == cu_ranges_.begin() || pc >= (it - 1)->high) return nullptr;
  storage = (it - 1)->die;
  bias = cu_ranges_bias_;
  return &storage;
}

const std::vector<Module::SubprogramRange>& Module::cu_index(Dwarf_Die* cu) {
  uint64_t key = dwarf_dieoffset(cu);
  auto it = cu_index_.find(key);
  if (it != cu_index_.end()) return it->second;
  std::vector<SubprogramRange>& index = cu_index_[key];
  // Concrete functions sit at the top of the CU or inside namespaces and
  // classes; their bodies are not searched (C has no nested functions).
  std::vector<Dwarf_Die> pending{*cu};
  while (!pending.empty()) {
    Dwarf_Die parent = pending.back();
    pending.pop_back();
    Dwarf_Die child;
    if (dwarf_child(&parent, &child) != 0) continue;
    do {
      int tag = dwarf_tag(&child);
      if (tag == DW_TAG_subprogram) {
        Dwarf_Addr base = 0, start = 0, end = 0;
        ptrdiff_t offset = 0;
        while ((offset = dwarf_ranges(&child, offset, &base, &start, &end)) > 0) {
          if (end > start) index.push_back(SubprogramRange{start, end, child});
        }
      } else if (tag == DW_TAG_namespace || tag == DW_TAG_class_type || tag == DW_TAG_structure_type ||
                 tag == DW_TAG_union_type || tag == DW_TAG_module) {
        pending.push_back(child);
      }
    } while (dwarf_siblingof(&child, &child) == 0);
  }
  std::sort(index.begin(), index.end(),
            [](const SubprogramRange& a, const SubprogramRange& b) { return a.low < b.low; });
  return index;
}

bool Module::scopes_from_index(Dwarf_Die* cu, uint64_t pc, std::vector<Dwarf_Die>& inlined,
                               Dwarf_Die& subprogram) {
  const auto& index = cu_index(cu);
  auto it = std::upper_bound(index.begin(), index.end(), pc,
                             [](uint64_t a, const SubprogramRange& r) { return a < r.low; });
  const SubprogramRange* found = nullptr;
  for (int steps = 0; it != index.begin() && steps < 16; ++steps) {
    --it;
    if (pc < it->high) {
      found = &*it;
      break;
    }
  }
  if (found == nullptr) return false;  // imported units and the like: libdw's full walk
  subprogram = found->die;
  // Down the scopes that hold pc; every inlined subroutine on the way is a frame.
  Dwarf_Die scope = subprogram;
  for (;;) {
    Dwarf_Die child;
    if (dwarf_child(&scope, &child) != 0) break;
    bool deeper = false;
    do {
      int tag = dwarf_tag(&child);
      if ((tag == DW_TAG_inlined_subroutine || tag == DW_TAG_lexical_block || tag == DW_TAG_try_block ||
           tag == DW_TAG_catch_block) &&
          dwarf_haspc(&child, pc) == 1) {
        if (tag == DW_TAG_inlined_subroutine) inlined.push_back(child);
        scope = child;
        deeper = true;
        break;
      }
    } while (dwarf_siblingof(&child, &child) == 0);
    if (!deeper) break;
  }
  std::reverse(inlined.begin(), inlined.end());
  return true;
}

std::vector<capture::Frame> Module::resolve(uint64_t file_offset) {
  std::vector<capture::Frame> out;
  if (mod_ == nullptr) return out;
  uint64_t address = 0;
  if (!file_offset_to_address(file_offset, address)) return out;

  const char* symbol = symbol_at(address);

  Dwarf_Addr dwarf_bias = 0;
  Dwarf_Die cu_storage;
  Dwarf_Die* cu = cu_at(address, dwarf_bias, cu_storage);

  // Source line of the address itself: the location inside the innermost function.
  std::string file;
  uint32_t line = 0;
  int lineno = 0;
  const char* src = nullptr;
  if (Dwfl_Line* dl = dwfl_module_getsrc(mod_, address); dl != nullptr) {
    src = dwfl_lineinfo(dl, nullptr, &lineno, nullptr, nullptr, nullptr);
  } else if (cu != nullptr) {
    // Found through our own CU index: libdwfl's line lookup went through the
    // missing aranges too, the CU's own line table does not.
    if (Dwarf_Line* dline = dwarf_getsrc_die(cu, address - dwarf_bias); dline != nullptr) {
      src = dwarf_linesrc(dline, nullptr, nullptr);
      dwarf_lineno(dline, &lineno);
    }
  }
  if (src != nullptr) file = src;
  line = lineno > 0 ? static_cast<uint32_t>(lineno) : 0;

  std::string outer_name;          // from DWARF, used when the symbol table has nothing
  std::vector<Dwarf_Die> inlined;  // innermost first
  Dwarf_Die subprogram;
  bool have_subprogram = false;
  if (cu != nullptr) {
    uint64_t pc = address - dwarf_bias;
    if (scope_index_ && scopes_from_index(cu, pc, inlined, subprogram)) {
      have_subprogram = true;
    } else {
      // dwarf_getscopes follows an inlined subroutine into its abstract
      // origin's scopes, not into its callers: it gives only the innermost
      // inline level. The concrete chain of callers comes from
      // dwarf_getscopes_die on that innermost inlined subroutine.
      inlined.clear();
      Dwarf_Die* scopes = nullptr;
      int n = dwarf_getscopes(cu, pc, &scopes);
      for (int i = 0; i < n; ++i) {  // innermost first
        int tag = dwarf_tag(&scopes[i]);
        if (tag == DW_TAG_subprogram) {
          subprogram = scopes[i];
          have_subprogram = true;
          break;
        }
        if (tag != DW_TAG_inlined_subroutine) continue;
        Dwarf_Die* chain = nullptr;
        int m = dwarf_getscopes_die(&scopes[i], &chain);
        for (int k = 0; k < m; ++k) {
          int ctag = dwarf_tag(&chain[k]);
          if (ctag == DW_TAG_inlined_subroutine) {
            inlined.push_back(chain[k]);
          } else if (ctag == DW_TAG_subprogram) {
            subprogram = chain[k];
            have_subprogram = true;
            break;
          }
        }
        std::free(chain);
        break;
      }
      std::free(scopes);
    }
  }
  for (Dwarf_Die& die : inlined) {
    capture::Frame frame;
    frame.function = die_function_name(&die);
    frame.file = file;
    frame.line = line;
    frame.inlined = true;
    if (frame.function.empty()) frame.function = "[inlined]";
    out.push_back(std::move(frame));
    call_site(&die, file, line);  // the caller's location is the call site
  }
  if (have_subprogram) outer_name = die_function_name(&subprogram);

  std::string name = symbol != nullptr ? demangle(strip_version(symbol).c_str()) : outer_name;
  if (name.empty()) {
    // Inline frames without an enclosing function would float free; the
    // caller turns the whole address into "module+0xoff".
    out.clear();
    return out;
  }
  capture::Frame frame;
  frame.function = std::move(name);
  frame.file = std::move(file);
  frame.line = line;
  out.push_back(std::move(frame));
  return out;
}

}  // namespace loadprof::symbolize
