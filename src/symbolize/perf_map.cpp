// /tmp/perf-PID.map parsing and lookup.
#include "symbolize/perf_map.h"

#include <algorithm>
#include <charconv>

namespace loadprof::symbolize {

namespace {

bool parse_hex(std::string_view text, uint64_t& value) {
  if (text.starts_with("0x") || text.starts_with("0X")) text.remove_prefix(2);
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  return ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

PerfMap PerfMap::parse(std::string_view text) {
  PerfMap map;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    size_t s1 = line.find(' ');
    if (s1 == std::string_view::npos) continue;
    size_t s2 = line.find(' ', s1 + 1);
    if (s2 == std::string_view::npos) continue;
    JitSymbol sym;
    if (!parse_hex(line.substr(0, s1), sym.start) || !parse_hex(line.substr(s1 + 1, s2 - s1 - 1), sym.size))
      continue;
    std::string_view name = line.substr(s2 + 1);
    while (!name.empty() && (name.back() == '\r' || name.back() == ' ')) name.remove_suffix(1);
    if (name.empty() || sym.size == 0) continue;
    sym.name = std::string(name);
    map.max_size_ = std::max(map.max_size_, sym.size);
    map.symbols_.push_back(std::move(sym));
  }
  std::stable_sort(map.symbols_.begin(), map.symbols_.end(),
                   [](const JitSymbol& a, const JitSymbol& b) { return a.start < b.start; });
  return map;
}

const JitSymbol* PerfMap::lookup(uint64_t address) const {
  auto it = std::upper_bound(symbols_.begin(), symbols_.end(), address,
                             [](uint64_t a, const JitSymbol& s) { return a < s.start; });
  // Scan back over symbols that may still cover address; with equal starts the
  // later-listed one (the newer code) is met first.
  while (it != symbols_.begin()) {
    --it;
    if (address - it->start >= max_size_) break;
    if (address - it->start < it->size) return &*it;
  }
  return nullptr;
}

}  // namespace loadprof::symbolize
