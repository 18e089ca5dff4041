// One sample of a cpu-clock event opened for DWARF unwinding (PERF_SAMPLE_TID,
// TIME, CALLCHAIN with the user part excluded, REGS_USER, STACK_USER): parsed
// out of its perf ring record without copying the stack.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace loadprof::collect {

// x86-64 DWARF register numbers 0..16: rax rdx rcx rbx rsi rdi rbp rsp
// r8..r15 rip (what libdw's unwinder takes as the initial frame).
inline constexpr size_t kDwarfRegs = 17;

struct DwarfSample {
  uint32_t pid = 0;
  uint32_t tid = 0;
  uint64_t time_ns = 0;
  std::vector<uint64_t> kernel_ips;  // leaf first; context markers removed
  bool regs_ok = false;              // false: a kernel thread, or no user registers
  std::array<uint64_t, kDwarfRegs> regs{};
  // The bytes the kernel could copy from the user stack pointer up (dyn_size
  // of them); points into the record.
  std::span<const uint8_t> stack;
};

// false: not a sample record, or malformed.
bool parse_dwarf_sample(std::span<const uint8_t> record, DwarfSample& out);

}  // namespace loadprof::collect
