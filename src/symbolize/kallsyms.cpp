// /proc/kallsyms parsing: "ffffffff81000000 T _stext" or
// "ffffffffc0a01000 t ext4_foo\t[ext4]" per line.
#include "symbolize/kallsyms.h"

#include <algorithm>
#include <charconv>

namespace loadprof::symbolize {

namespace {

std::string_view next_field(std::string_view& line) {
  size_t b = line.find_first_not_of(" \t");
  if (b == std::string_view::npos) {
    line = {};
    return {};
  }
  line.remove_prefix(b);
  size_t e = line.find_first_of(" \t");
  std::string_view field = line.substr(0, e);
  line.remove_prefix(e == std::string_view::npos ? line.size() : e);
  return field;
}

}  // namespace

KernelSymbols KernelSymbols::parse(std::string_view text) {
  KernelSymbols table;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);

    std::string_view addr_text = next_field(line);
    std::string_view type = next_field(line);
    std::string_view name = next_field(line);
    std::string_view module = next_field(line);
    if (addr_text.empty() || type.size() != 1 || name.empty()) continue;
    char t = type[0];
    if (t != 't' && t != 'T' && t != 'w' && t != 'W') continue;
    uint64_t address = 0;
    auto [ptr, ec] = std::from_chars(addr_text.data(), addr_text.data() + addr_text.size(), address, 16);
    if (ec != std::errc() || ptr != addr_text.data() + addr_text.size() || address == 0) continue;
    KernelSymbol sym;
    sym.address = address;
    sym.name = std::string(name);
    sym.module = module.empty() ? std::string("[kernel]") : std::string(module);
    table.symbols_.push_back(std::move(sym));
  }
  // Stable: among aliases at one address the first listed (usually the
  // global name the kernel itself prints) stays first.
  std::stable_sort(table.symbols_.begin(), table.symbols_.end(),
                   [](const KernelSymbol& a, const KernelSymbol& b) { return a.address < b.address; });
  return table;
}

std::optional<KernelSymbol> parse_kernel_symbol_text(std::string_view text) {
  KernelSymbol sym;
  sym.module = "[kernel]";
  if (size_t open = text.find(" ["); open != std::string_view::npos) {
    std::string_view module = text.substr(open + 1);
    const size_t close = module.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    sym.module = std::string(module.substr(0, close + 1));
    text = text.substr(0, open);
  }
  const size_t plus = text.rfind("+0x");
  if (plus == 0 || plus == std::string_view::npos || text.find("/0x", plus) == std::string_view::npos)
    return std::nullopt;
  sym.name = std::string(text.substr(0, plus));
  return sym;
}

const KernelSymbol* KernelSymbols::lookup(uint64_t address) const {
  auto it = std::upper_bound(symbols_.begin(), symbols_.end(), address,
                             [](uint64_t a, const KernelSymbol& s) { return a < s.address; });
  if (it == symbols_.begin()) return nullptr;
  const KernelSymbol* below = &*(it - 1);
  // Among aliases at the same address, return the first one.
  while (below != symbols_.data() && (below - 1)->address == below->address) --below;
  if (address - below->address >= kMaxSymbolSize) return nullptr;
  return below;
}

}  // namespace loadprof::symbolize
