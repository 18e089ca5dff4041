// Parser of the DWARF-mode cpu-clock sample records (see dwarf_sample.h).
#include "dwarf_sample.h"

#include <linux/perf_event.h>

#include <bit>
#include <cstring>

#include "cpu_probe.h"

namespace loadprof::collect {
namespace {

template <class T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Index in the record's register array (perf's bit order: AX BX CX DX SI DI
// BP SP IP R8..R15) of each DWARF register 0..16.
constexpr std::array<size_t, kDwarfRegs> kPerfIndexOfDwarf = {0,  3,  2,  1,  4,  5,  6,  7, 9,
                                                              10, 11, 12, 13, 14, 15, 16, 8};
static_assert(std::popcount(kDwarfSampleRegsMask) == static_cast<int>(kDwarfSampleRegs));

}  // namespace

bool parse_dwarf_sample(std::span<const uint8_t> record, DwarfSample& out) {
  if (record.size() < sizeof(perf_event_header)) return false;
  const auto header = load<perf_event_header>(record.data());
  if (header.type != PERF_RECORD_SAMPLE || header.size > record.size()) return false;
  const uint8_t* p = record.data() + sizeof(perf_event_header);
  const uint8_t* end = record.data() + header.size;
  auto need = [&](size_t n) { return static_cast<size_t>(end - p) >= n; };
  if (!need(24)) return false;
  out.pid = load<uint32_t>(p);
  out.tid = load<uint32_t>(p + 4);
  out.time_ns = load<uint64_t>(p + 8);
  const uint64_t nr = load<uint64_t>(p + 16);
  p += 24;
  if (nr > (static_cast<size_t>(end - p)) / 8) return false;
  out.kernel_ips.clear();
  for (uint64_t i = 0; i < nr; ++i) {
    const uint64_t ip = load<uint64_t>(p + 8 * i);
    if (ip >= static_cast<uint64_t>(PERF_CONTEXT_MAX)) continue;  // PERF_CONTEXT_KERNEL and friends
    out.kernel_ips.push_back(ip);
  }
  p += 8 * nr;
  if (!need(8)) return false;
  const uint64_t abi = load<uint64_t>(p);
  p += 8;
  out.regs_ok = abi != PERF_SAMPLE_REGS_ABI_NONE;
  if (out.regs_ok) {
    if (!need(8 * kDwarfSampleRegs)) return false;
    for (size_t r = 0; r < kDwarfRegs; ++r) out.regs[r] = load<uint64_t>(p + 8 * kPerfIndexOfDwarf[r]);
    p += 8 * kDwarfSampleRegs;
  }
  if (!need(8)) return false;
  const uint64_t size = load<uint64_t>(p);
  p += 8;
  out.stack = {};
  if (size > 0) {
    if (!need(size + 8)) return false;
    const uint64_t dyn_size = load<uint64_t>(p + size);
    out.stack = std::span<const uint8_t>(p, static_cast<size_t>(std::min(dyn_size, size)));
  }
  return true;
}

}  // namespace loadprof::collect
