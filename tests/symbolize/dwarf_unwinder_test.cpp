// DwarfUnwinder's memo, on this test's own stack (real libdw, real CFI): an
// unwind from the same registers over the same stack words is replayed with
// the same frames; a copy whose return address differs is unwound again and
// follows the new value, never the memo's.
#include "loadprof/symbolize/dwarf_unwinder.h"

#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <vector>

namespace loadprof::symbolize {
namespace {

struct Copy {
  std::array<uint64_t, kUnwindRegs> regs{};
  std::vector<uint8_t> stack;
};

// The registers at a point of this function and 4 KiB of stack from rsp up
// (this frame and its callers'; the copy runs in frames below rsp).
__attribute__((noinline)) void capture(Copy& out) {
  uint64_t rsp = 0, rbp = 0, rip = 0;
  __asm__ volatile("mov %%rsp, %0\n\tmov %%rbp, %1\n\tlea 0(%%rip), %2" : "=r"(rsp), "=r"(rbp), "=r"(rip));
  out.regs[7] = rsp;
  out.regs[6] = rbp;
  out.regs[16] = rip;
  const auto* from = reinterpret_cast<const uint8_t*>(rsp);
  out.stack.assign(from, from + 4096);
}

__attribute__((noinline)) void capture_from_here(Copy& out) {
  capture(out);
  __asm__ volatile("" ::: "memory");  // not a tail call: this frame stays
}

TEST(DwarfUnwinderMemo, ReplaysTheSameStackAndFollowsAChangedReturnAddress) {
  Copy c;
  capture_from_here(c);
  auto unwinder = DwarfUnwinder::create();
  const auto pid = static_cast<uint32_t>(getpid());
  const auto tid = static_cast<uint32_t>(syscall(SYS_gettid));
  std::vector<uint64_t> first, again, changed;
  const UnwindStop stop = unwinder->unwind(pid, tid, c.regs, c.stack, first);
  ASSERT_GE(first.size(), 3u) << unwind_stop_name(stop);
  EXPECT_EQ(unwinder->stats().replayed, 0u);

  EXPECT_EQ(unwinder->unwind(pid, tid, c.regs, c.stack, again), stop);
  EXPECT_EQ(again, first);
  EXPECT_EQ(unwinder->stats().replayed, 1u);

  // capture's return address (into capture_from_here) as a word of the copy,
  // replaced by the next one up (into this test): the frame above capture
  // must now be the test's, found by a real unwind.
  size_t at = c.stack.size();
  for (size_t off = 0; off + 8 <= c.stack.size(); off += 8) {
    uint64_t word = 0;
    std::memcpy(&word, c.stack.data() + off, 8);
    if (word == first[1]) {
      at = off;
      break;
    }
  }
  ASSERT_LT(at, c.stack.size()) << "capture's return address is not in the copy";
  std::memcpy(c.stack.data() + at, &first[2], 8);
  unwinder->unwind(pid, tid, c.regs, c.stack, changed);
  EXPECT_EQ(unwinder->stats().replayed, 1u);
  ASSERT_GE(changed.size(), 2u);
  EXPECT_EQ(changed[1], first[2]);
  EXPECT_NE(changed, first);
}

}  // namespace
}  // namespace loadprof::symbolize
