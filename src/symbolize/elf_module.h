// One ELF file opened with libdwfl (one Dwfl per file, opened once): file
// offset -> function name (demangled), inline chain from DWARF scopes, and
// source file:line. Results are cached by the Symbolizer, not here.
#pragma once

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "loadprof/capture/model.h"
#include "loadprof/symbolize/system_access.h"

namespace loadprof::symbolize {

// "_ZN2ns5KlassIiE6methodEi" -> "ns::Klass<int>::method(int)"; other names unchanged.
std::string demangle(const char* name);

// Opens a file for the module: a candidate image, or a separate debug file
// (Where::target for paths the target names). Returns only regular files.
using ElfOpener = std::function<Result<UniqueFd>(const ElfCandidate&)>;

class Module {
 public:
  // name: basename shown in frames ("libc.so.6"). file_name: the path the
  // mapping names (used to find .gnu_debuglink files). Opens the first
  // candidate that is ELF and whose build-id equals build_id (hex; any when
  // empty). A module whose file cannot be opened stays "not ok": its frames
  // become "name+0xoffset". Every file, the separate debug files libdwfl asks
  // for included, is opened through `opener`, never by libdwfl itself.
  // debuginfo_path: where separate debug files are searched, in elfutils'
  // syntax (":.debug:/usr/lib/debug": next to the file, in .debug/ next to it,
  // DIR/.build-id/xx/yyyy.debug and DIR/<file's directory>/<debuglink>).
  static std::unique_ptr<Module> open(std::string name, const std::string& file_name,
                                      const std::vector<ElfCandidate>& candidates,
                                      const std::string& build_id, const std::string& debuginfo_path,
                                      ElfOpener opener);
  ~Module();
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  bool ok() const { return mod_ != nullptr; }
  const std::string& name() const { return name_; }
  const std::string& opened_path() const { return opened_path_; }
  const std::string& build_id() const { return build_id_; }

  // Frames (address and module left for the caller) for the code at this
  // file offset, leaf first; empty when no symbol covers it.
  std::vector<capture::Frame> resolve(uint64_t file_offset);

  // Off: find inline scopes with libdw's dwarf_getscopes, which walks the
  // whole compile unit on every call; on (default): a per-CU index of
  // subprogram ranges, then only the matching function's children. Tests
  // check that both give the same frames.
  void set_scope_index(bool on) { scope_index_ = on; }

  // Per-module result cache: key = file offset * 2 + return_address.
  std::unordered_map<uint64_t, std::vector<capture::Frame>> cache;

 private:
  explicit Module(std::string name) : name_(std::move(name)) {}
  struct Segment {
    uint64_t offset = 0;
    uint64_t file_size = 0;
    uint64_t vaddr = 0;
  };
  struct Symbol {
    uint64_t address = 0;
    uint64_t size = 0;
    const char* name = nullptr;  // in the ELF string table, alive as long as dwfl_
    int rank = 0;                // among aliases: global 0, weak 1, local 2
  };
  struct SubprogramRange {
    uint64_t low = 0;  // DWARF address (without the module bias)
    uint64_t high = 0;
    Dwarf_Die die;
  };
  bool file_offset_to_address(uint64_t file_offset, uint64_t& address) const;
  // The compile unit holding address (with its DWARF bias), or null.
  Dwarf_Die* cu_at(uint64_t address, Dwarf_Addr& bias, Dwarf_Die& storage);
  // Inline scopes at pc, innermost first, and the function holding them.
  bool scopes_from_index(Dwarf_Die* cu, uint64_t pc, std::vector<Dwarf_Die>& inlined, Dwarf_Die& subprogram);
  const std::vector<SubprogramRange>& cu_index(Dwarf_Die* cu);
  void load_symbols();
  // libdwfl's find_debuginfo callback: separate debug files through opener_.
  static int find_debuginfo(Dwfl_Module* mod, void** userdata, const char* modname, Dwarf_Addr base,
                            const char* file_name, const char* debuglink_file, GElf_Word debuglink_crc,
                            char** debuginfo_file_name);
  // A debug file whose build-id (when the module has one) matches.
  int open_debug_file(const ElfCandidate& candidate, const std::string& want_build_id, std::string& opened);
  const char* symbol_at(uint64_t address) const;

  std::string name_;
  // libdwfl keeps pointers to both for the life of the Dwfl.
  std::string debuginfo_path_;
  char* debuginfo_path_ptr_ = nullptr;
  ElfOpener opener_;
  Dwfl_Callbacks callbacks_{};
  std::string opened_path_;
  std::string build_id_;
  Dwfl* dwfl_ = nullptr;
  Dwfl_Module* mod_ = nullptr;
  uint64_t bias_ = 0;
  std::vector<Segment> segments_;  // PT_LOAD, by file offset
  // Function symbols sorted by address: dwfl_module_addrsym scans the whole
  // symbol table on every call (~100 us on libstdc++), a binary search does not.
  std::vector<Symbol> symbols_;
  uint64_t max_symbol_size_ = 0;
  bool scope_index_ = true;
  std::unordered_map<uint64_t, std::vector<SubprogramRange>> cu_index_;  // by CU DIE offset
  // CU address ranges (die = the CU), for modules without .debug_aranges.
  std::vector<SubprogramRange> cu_ranges_;
  Dwarf_Addr cu_ranges_bias_ = 0;
  bool cu_ranges_built_ = false;
};

}  // namespace loadprof::symbolize
