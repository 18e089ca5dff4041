// Kernel symbols from the text of /proc/kallsyms: parsed once, sorted by
// address, looked up by binary search (the nearest text symbol at or below).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loadprof::symbolize {

struct KernelSymbol {
  uint64_t address = 0;
  std::string name;
  std::string module;  // "[kernel]" or the module name in brackets, "[ext4]"
};

// One line of printk's %pS, "name+0xoff/0xsize [module]": the symbol's name and
// module ("[kernel]" without one); nullopt for "0x..." (no symbol covers the
// address) and anything else.
std::optional<KernelSymbol> parse_kernel_symbol_text(std::string_view text);

class KernelSymbols {
 public:
  // Keeps text symbols (types t, T, w, W) with a non-zero address; a text of
  // all-zero addresses (kptr_restrict) gives an empty table.
  static KernelSymbols parse(std::string_view text);

  // The symbol containing address: the last one at or below it (the first
  // listed of aliases at one address). Nothing below the first symbol or more
  // than kMaxSymbolSize above the one below (a hole between kernel and module
  // text).
  const KernelSymbol* lookup(uint64_t address) const;

  size_t size() const { return symbols_.size(); }
  bool empty() const { return symbols_.empty(); }

  // Sizes are not in kallsyms; no kernel function is this large, so a
  // distance beyond it means the address is not in the symbol before it.
  static constexpr uint64_t kMaxSymbolSize = 1 << 20;

 private:
  std::vector<KernelSymbol> symbols_;
};

}  // namespace loadprof::symbolize
