// Folded export: exact text for a small hand-built capture (process root,
// root-first order, kernel suffix, ';' in names, merging, sorting).
#include "loadprof/capture/folded.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "loadprof/capture/alloc_live.h"

namespace loadprof::capture {
namespace {

Capture small_capture() {
  Capture c;
  c.processes = {{10, 1, "srv", 0, {}, {}, {}, false, true}, {11, 10, "a;b", 0, {}, {}, {}, false, false}};
  c.frames = {
      {0x1000, "main", "srv", 0x1000, "", 0, false, false},
      {0x1100, "work", "srv", 0x1100, "", 0, false, false},
      {0x1100, "hot", "srv", 0x1100, "hot.h", 3, true, false},  // inlined into work
      {0xffffffff81000000ull, "sys_read", "[kernel]", 0, "", 0, false, true},
      {0x1200, "ns::op;x", "srv", 0x1200, "", 0, false, false},
      {0x7f001a2b, "", "libc.so.6", 0x1a2b, "", 0, false, false},
  };
  c.stacks = {{{2, 1, 0}, false}, {{3, 1, 0}, false}, {{4, 0}, false}, {{5, 0}, true}, {{}, false}};
  auto add = [&](uint32_t pid, StackId stack, int n) {
    for (int i = 0; i < n; ++i) c.cpu_samples.push_back({uint64_t(c.cpu_samples.size()), pid, pid, 0, stack});
  };
  add(10, 0, 3);
  add(10, 1, 1);
  add(11, 2, 2);
  add(12, 0, 1);  // pid without a process record: the pid number is the root
  add(10, kNoStack, 1);
  add(10, 4, 1);  // an empty stack folds like no stack: the process alone
  add(10, 3, 1);
  add(10, 0, 2);  // merged with the first three
  c.offcpu = {{100, 350, 10, 10, 0, kNoStack, OffCpuReason::disk, 1},
              {1000, 1100, 10, 10, 0, 1, OffCpuReason::lock, 4},
              {50, 40, 10, 10, 1, kNoStack, OffCpuReason::other, 1}};  // end < start: no weight
  return c;
}

std::string folded_text(const Capture& c, const std::string& kind) {
  auto lines = folded_stacks(c, kind);
  EXPECT_TRUE(lines.ok());
  if (!lines.ok()) return {};
  std::ostringstream out;
  write_folded(out, *lines);
  return out.str();
}

TEST(Folded, CpuExactText) {
  EXPECT_EQ(folded_text(small_capture(), "cpu"),
            "12;main;work;hot 1\n"
            "a:b;main;ns::op:x 2\n"
            "srv 2\n"
            "srv;main;libc.so.6+0x1a2b 1\n"
            "srv;main;work;hot 5\n"
            "srv;main;work;sys_read_[k] 1\n");
}

TEST(Folded, OffCpuWeightsAreNanosecondsUnderTheirReason) {
  EXPECT_EQ(folded_text(small_capture(), "offcpu"),
            "srv;main;work;hot;[offcpu:disk] 250\n"
            "srv;main;work;hot;[offcpu:lock] 100\n");
}

// wakers (--offcpu-wakers): only the waits with a waker stack, the waiter's
// stack and reason, then "--wakes--" and the waker's stack leaf first.
TEST(Folded, WakersPutTheWakerStackUpsideDownAboveTheWait) {
  EXPECT_EQ(folded_text(small_capture(), "wakers"),
            "srv;main;work;hot;[offcpu:lock];--wakes--;sys_read_[k];work;main 100\n");
  Capture c = small_capture();
  for (auto& o : c.offcpu) o.waker_stack = kNoStack;
  EXPECT_EQ(folded_text(c, "wakers"), "");
}

TEST(Folded, WallIsOnCpuAndOffCpuNanoseconds) {
  Capture c = small_capture();
  c.metadata.frequency_hz = 100;  // a sample stands for 10 ms
  EXPECT_EQ(folded_text(c, "wall"),
            "12;main;work;hot 10000000\n"
            "a:b;main;ns::op:x 20000000\n"
            "srv 20000000\n"
            "srv;main;libc.so.6+0x1a2b 10000000\n"
            "srv;main;work;hot 50000000\n"
            "srv;main;work;hot;[offcpu:disk] 250\n"
            "srv;main;work;hot;[offcpu:lock] 100\n"
            "srv;main;work;sys_read_[k] 10000000\n");
}

TEST(Folded, LinesAreSortedAndCountsSumToSamples) {
  Capture c = small_capture();
  auto lines = folded_stacks(c, "cpu");
  ASSERT_TRUE(lines.ok());
  uint64_t total = 0;
  for (size_t i = 0; i < lines->size(); ++i) {
    total += (*lines)[i].count;
    if (i > 0) {
      EXPECT_LT((*lines)[i - 1].stack, (*lines)[i].stack);
    }
  }
  EXPECT_EQ(total, c.cpu_samples.size());
}

TEST(Folded, UnknownKindIsUsageError) {
  auto lines = folded_stacks(small_capture(), "memory");
  ASSERT_FALSE(lines.ok());
  EXPECT_EQ(lines.error().kind, ErrorKind::usage);
  EXPECT_NE(lines.error().message.find("memory"), std::string::npos);
}

// alloc: bytes by allocating stack (scaled under sampling); alloc-live: the
// allocations not freed by the end (a free matched to its allocation by
// pid and address; an untracked allocation is never live).
TEST(Folded, AllocBytesCountsAndLiveBytes) {
  Capture c = small_capture();
  auto add = [&](uint64_t t, uint64_t address, uint64_t size, bool is_free, bool tracked, StackId stack) {
    c.allocs.push_back({t, 10, 10, address, size, is_free ? AllocFn::free : AllocFn::malloc, is_free, tracked,
                        is_free ? kNoStack : stack});
  };
  add(1, 0x1000, 100, false, true, 0);
  add(2, 0x2000, 300, false, true, 0);
  add(3, 0x1000, 100, true, true, 0);  // frees the first
  add(4, 0x1000, 50, false, true, 1);  // the address again, live at the end
  add(5, 0x3000, 7, false, false, 1);  // untracked: allocated, never live
  add(6, 0x9000, 1, true, true, 0);    // a block from before the capture: ignored
  auto bytes = folded_stacks(c, "alloc", "bytes");
  ASSERT_TRUE(bytes.ok()) << bytes.error().message;
  uint64_t total = 0;
  for (const auto& l : *bytes) total += l.count;
  EXPECT_EQ(total, 457u);
  auto count = folded_stacks(c, "alloc", "count");
  ASSERT_TRUE(count.ok());
  total = 0;
  for (const auto& l : *count) total += l.count;
  EXPECT_EQ(total, 4u);
  auto live = folded_stacks(c, "alloc-live", "bytes");
  ASSERT_TRUE(live.ok());
  total = 0;
  for (const auto& l : *live) total += l.count;
  EXPECT_EQ(total, 350u);
  // Sampled every 64 bytes: a 50-byte record stands for 64 bytes, larger ones for themselves.
  c.alloc_info = AllocInfo{};
  c.alloc_info->sample_period_bytes = 64;
  auto sampled = folded_stacks(c, "alloc-live", "bytes");
  ASSERT_TRUE(sampled.ok());
  total = 0;
  for (const auto& l : *sampled) total += l.count;
  EXPECT_EQ(total, 300u + 64u);
  EXPECT_FALSE(folded_stacks(c, "cpu", "count").ok());
}

// The preload path samples by bytes with a Poisson process: a record of s
// bytes stands for s / (1 - exp(-s/period)) bytes. Simulated with that
// sampler (an exponential countdown of bytes), the estimate of 200,000
// allocations is unbiased within 4 standard deviations, where the uprobe
// path's weight (max(s, period)) would be 15 % low for s = period.
TEST(Folded, PoissonSampledRecordsStandForOneOverTheirProbability) {
  EXPECT_EQ(alloc_estimated_bytes(1024, 8192, true), 8715u);  // 1024 / (1 - e^-0.125) = 8714.6
  EXPECT_NEAR(alloc_estimated_count(8192, 8192, true), 1.582, 0.001);
  EXPECT_EQ(alloc_estimated_bytes(1 << 20, 8192, true), 1u << 20);  // large blocks: always sampled
  EXPECT_EQ(alloc_estimated_bytes(100, 0, true), 100u);
  Capture c = small_capture();
  c.alloc_info = AllocInfo{};
  c.alloc_info->method = "preload";
  c.alloc_info->sample_period_bytes = 8192;
  EXPECT_TRUE(alloc_poisson_sampling(c));
  uint64_t state = 88172645463325252ull;
  auto uniform = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (static_cast<double>(state >> 11) + 1) * 0x1.0p-53;
  };
  const uint64_t sizes[] = {64, 1000, 8192};
  double countdown = -std::log(uniform()) * 8192;
  uint64_t truth = 0, address = 0x1000;
  for (int i = 0; i < 200000; ++i) {
    const uint64_t s = sizes[i % 3];
    truth += s;
    countdown -= static_cast<double>(s);
    if (countdown > 0) continue;
    countdown = -std::log(uniform()) * 8192;
    c.allocs.push_back({static_cast<uint64_t>(i), 10, 10, address += 16, s, AllocFn::malloc, false, true, 0});
  }
  auto bytes = folded_stacks(c, "alloc", "bytes");
  ASSERT_TRUE(bytes.ok());
  uint64_t total = 0;
  for (const auto& l : *bytes) total += l.count;
  // sd of the sum: sqrt(sum over calls of s^2 (1 - p) / p).
  double var = 0;
  for (uint64_t s : sizes) {
    const double p = -std::expm1(-static_cast<double>(s) / 8192);
    var += 200000.0 / 3 * static_cast<double>(s * s) * (1 - p) / p;
  }
  EXPECT_NEAR(static_cast<double>(total), static_cast<double>(truth), 4 * std::sqrt(var));
}

// io: ns inside the calls (or bytes moved) under the calling stack, the
// syscall and its fd kind as the leaf frame; records of one key merged.
Capture io_capture() {
  Capture c = small_capture();
  IoSyscallRecord r;
  r.pid = 10;
  r.tid = 10;
  r.stack = 0;
  r.syscall = IoSyscall::fsync;
  r.fd_kind = FdKind::file;
  r.count = 3;
  r.total_ns = 9000;
  c.io_syscalls.push_back(r);
  r.count = 1;
  r.total_ns = 1000;
  c.io_syscalls.push_back(r);  // merged with the first
  r.syscall = IoSyscall::recvfrom;
  r.fd_kind = FdKind::socket;
  r.stack = kNoStack;
  r.count = 2;
  r.bytes = 128;
  r.total_ns = 500;
  c.io_syscalls.push_back(r);
  return c;
}

TEST(Folded, IoWeightsAreNanosecondsInTheCallsUnderSyscallAndFdKind) {
  EXPECT_EQ(folded_text(io_capture(), "io"),
            "srv;[io:recvfrom:socket] 500\n"
            "srv;main;work;hot;[io:fsync:file] 10000\n");
}

TEST(Folded, IoByBytesAndBytesOnlyForIo) {
  auto lines = folded_stacks(io_capture(), "io", "bytes");
  ASSERT_TRUE(lines.ok());
  ASSERT_EQ(lines->size(), 1u) << "calls that moved no bytes weigh nothing";
  EXPECT_EQ((*lines)[0].stack, "srv;[io:recvfrom:socket]");
  EXPECT_EQ((*lines)[0].count, 128u);
  auto cpu = folded_stacks(io_capture(), "cpu", "bytes");
  ASSERT_FALSE(cpu.ok());
  EXPECT_EQ(cpu.error().kind, ErrorKind::usage);
}

TEST(Folded, EmptyCaptureGivesNoLines) {
  auto lines = folded_stacks(Capture{}, "cpu");
  ASSERT_TRUE(lines.ok());
  EXPECT_TRUE(lines->empty());
}

TEST(Folded, FrameDisplayNames) {
  EXPECT_EQ(frame_display_name({0, "tcp_sendmsg", "[kernel]", 0, "", 0, false, true}), "tcp_sendmsg_[k]");
  EXPECT_EQ(frame_display_name({0, "f(int)", "a.out", 0, "", 0, true, false}), "f(int)");
  EXPECT_EQ(frame_display_name({0, "", "libz.so.1", 0xbeef, "", 0, false, false}), "libz.so.1+0xbeef");
  EXPECT_EQ(frame_display_name({0, "", "", 0, "", 0, false, false}), "[unknown]");
}

}  // namespace
}  // namespace loadprof::capture
