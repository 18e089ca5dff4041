// JIT symbols from /tmp/perf-PID.map ("START SIZE name" per line, hex),
// written by Node (--perf-basic-prof), Java agents and Python 3.12's perf
// trampolines for code in anonymous executable memory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace loadprof::symbolize {

struct JitSymbol {
  uint64_t start = 0;
  uint64_t size = 0;
  std::string name;
};

class PerfMap {
 public:
  static PerfMap parse(std::string_view text);
  // The symbol whose [start, start+size) holds address; the latest listed
  // wins when JIT code was replaced at the same address.
  const JitSymbol* lookup(uint64_t address) const;
  size_t size() const { return symbols_.size(); }

 private:
  std::vector<JitSymbol> symbols_;  // sorted by start
  uint64_t max_size_ = 0;
};

}  // namespace loadprof::symbolize
