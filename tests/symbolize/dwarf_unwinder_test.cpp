// DwarfUnwinder on this test's own stack (real libdw, real CFI). The memo: an
// unwind from the same registers over the same stack words is replayed with
// the same frames; a copy whose return address differs is unwound again and
// follows the new value, never the memo's. A process gone before its first
// unwind: unwound from the mappings the recorder handed over.
#include "loadprof/symbolize/dwarf_unwinder.h"

#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
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

// A forked child copies its registers, stack and /proc/self/maps into a pipe
// and exits; once it is reaped, its maps cannot be read any more. Without the
// mappings the unwind finds nothing (process_gone); with them (the executable
// ones, as the recorder keeps them) the frames above capture are found.
TEST(DwarfUnwinderGone, AProcessGoneBeforeItsFirstUnwindIsUnwoundFromItsMappings) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    Copy c;
    capture_from_here(c);
    std::string maps;
    if (FILE* f = std::fopen("/proc/self/maps", "r")) {
      char buf[4096];
      size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) maps.append(buf, n);
      std::fclose(f);
    }
    const uint64_t sizes[2] = {c.stack.size(), maps.size()};
    bool ok = write(fds[1], c.regs.data(), sizeof c.regs) == sizeof c.regs &&
              write(fds[1], sizes, sizeof sizes) == sizeof sizes &&
              write(fds[1], c.stack.data(), c.stack.size()) == static_cast<ssize_t>(c.stack.size()) &&
              write(fds[1], maps.data(), maps.size()) == static_cast<ssize_t>(maps.size());
    _exit(ok ? 0 : 1);
  }
  close(fds[1]);
  auto read_all = [&](void* to, size_t n) {
    auto* p = static_cast<char*>(to);
    while (n > 0) {
      const ssize_t got = read(fds[0], p, n);
      if (got <= 0) return false;
      p += got;
      n -= static_cast<size_t>(got);
    }
    return true;
  };
  Copy c;
  uint64_t sizes[2] = {};
  ASSERT_TRUE(read_all(c.regs.data(), sizeof c.regs));
  ASSERT_TRUE(read_all(sizes, sizeof sizes));
  c.stack.resize(sizes[0]);
  std::string maps(sizes[1], '\0');
  ASSERT_TRUE(read_all(c.stack.data(), c.stack.size()));
  ASSERT_TRUE(read_all(maps.data(), maps.size()));
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  const auto pid = static_cast<uint32_t>(child);

  std::vector<uint64_t> ips;
  auto without = DwarfUnwinder::create();
  EXPECT_EQ(without->unwind(pid, pid, c.regs, c.stack, ips), UnwindStop::no_maps);

  auto unwinder = DwarfUnwinder::create();
  std::istringstream lines(maps);
  size_t kept = 0;
  for (std::string line; std::getline(lines, line);) {
    unsigned long long start = 0, end = 0, pgoff = 0;
    char perms[8] = {};
    int path_at = 0;
    if (std::sscanf(line.c_str(), "%llx-%llx %7s %llx %*s %*s %n", &start, &end, perms, &pgoff, &path_at) < 4)
      continue;
    const std::string path = line.substr(static_cast<size_t>(path_at));
    if (perms[2] != 'x' || path.empty() || path[0] != '/') continue;
    capture::Mapping m;
    m.pid = pid;
    m.start = start;
    m.end = end;
    m.pgoff = pgoff;
    m.path = path;
    m.executable = true;
    unwinder->add_mapping(m);
    ++kept;
  }
  ASSERT_GT(kept, 2u);
  const UnwindStop stop = unwinder->unwind(pid, pid, c.regs, c.stack, ips);
  EXPECT_NE(stop, UnwindStop::no_maps);
  EXPECT_EQ(unwinder->stats().reports_from_mappings, 1u);
  ASSERT_GE(ips.size(), 3u) << unwind_stop_name(stop);
  // The fork copied this binary's layout: capture returns into capture_from_here.
  const auto here = reinterpret_cast<uint64_t>(&capture_from_here);
  EXPECT_GT(ips[1], here);
  EXPECT_LT(ips[1], here + 256);
}

}  // namespace
}  // namespace loadprof::symbolize
