// Leak suspects from synthetic alloc records: a stack whose live bytes grow
// along a line is a suspect with that slope; a working set that fills up and
// levels off is not, nor is a stack whose blocks are all freed; a process that
// exits mid-capture is judged up to its exit; allocations before the capture
// (frees of unknown blocks) change nothing.
#include "loadprof/analyze/alloc_summary.h"

#include <gtest/gtest.h>

using namespace loadprof;
using namespace loadprof::capture;

namespace {

constexpr uint64_t kS = 1'000'000'000;

Capture base(uint64_t duration_s) {
  Capture c;
  c.metadata.start_monotonic_ns = 100 * kS;
  c.metadata.probes = {"alloc"};
  c.processes = {{7, 1, "app", 100 * kS, {}, {}, {}, false, true}};
  c.frames = {{0x10, "leak_here"}, {0x20, "working_set"}, {0x30, "freed_at_once"}, {0x40, "main"}};
  c.stacks = {{{0, 3}, false}, {{1, 3}, false}, {{2, 3}, false}};
  c.end = EndInfo{(100 + duration_s) * kS, false, std::nullopt, "duration"};
  c.alloc_info = AllocInfo{"uprobes", "glibc", "/lib/libc.so.6", 0, 0, 0, 0, 0, 0};
  return c;
}

// Every 10 ms for duration_s: 1000 B leaked; 4096 B into a ring of 50 (freeing
// the slot's previous block); 512 B freed 1 ms later.
void add_work(Capture& c, uint64_t from_s, uint64_t to_s) {
  uint64_t address = 0x100000;
  std::vector<uint64_t> ring(50, 0);
  size_t round = 0;
  for (uint64_t t = (100 + from_s) * kS; t < (100 + to_s) * kS; t += 10'000'000, ++round) {
    c.allocs.push_back({t, 7, 7, address++, 1000, AllocFn::malloc, false, true, 0});
    uint64_t& slot = ring[round % ring.size()];
    if (slot) c.allocs.push_back({t + 1, 7, 7, slot, 4096, AllocFn::free, true, true, kNoStack});
    slot = address++;
    c.allocs.push_back({t + 2, 7, 7, slot, 4096, AllocFn::malloc, false, true, 1});
    c.allocs.push_back({t + 3, 7, 7, address, 512, AllocFn::calloc, false, true, 2});
    c.allocs.push_back({t + 1'000'000, 7, 7, address++, 512, AllocFn::free, true, true, kNoStack});
    c.allocs.push_back({t + 4, 7, 7, 0xdead0000 + round, 64, AllocFn::free, true, true, kNoStack});
  }
}

TEST(AllocSummary, TheGrowingStackIsTheOnlySuspectWithItsSlope) {
  Capture c = base(10);
  add_work(c, 0, 10);
  auto s = analyze::summarize_alloc(c);
  ASSERT_TRUE(s.has_value());
  ASSERT_EQ(s->leaks.size(), 1u);
  EXPECT_EQ(s->leaks[0].frame, "leak_here");
  EXPECT_NEAR(s->leaks[0].growth_bytes_per_s, 100'000, 2'000);  // 1000 B every 10 ms
  EXPECT_GT(s->leaks[0].r2, 0.99);
  EXPECT_EQ(s->leaks[0].confidence, "high");
  EXPECT_EQ(s->leaks[0].live_bytes_end, 1000u * 1000);
  EXPECT_EQ(s->live_bytes_end, 1000u * 1000 + 50 * 4096);
  ASSERT_EQ(s->stacks.size(), 3u);
  EXPECT_EQ(s->stacks[0].frame, "working_set");  // by bytes allocated
  EXPECT_EQ(s->stacks[0].live_bytes, 50u * 4096);
  EXPECT_EQ(analyze::leak_suspects(c).size(), 1u);
}

TEST(AllocSummary, AProcessThatExitedIsJudgedUpToItsExit) {
  Capture c = base(10);
  add_work(c, 0, 4);
  c.processes[0].exit_ns = 104 * kS;
  auto leaks = analyze::leak_suspects(c);
  ASSERT_EQ(leaks.size(), 1u);
  EXPECT_EQ(leaks[0].frame, "leak_here");
  EXPECT_NEAR(leaks[0].growth_bytes_per_s, 100'000, 5'000);
}

TEST(AllocSummary, GrowthThatStoppedEarlyIsNotALeak) {
  Capture c = base(10);
  add_work(c, 0, 2);  // then 8 s of nothing: live bytes flat
  EXPECT_TRUE(analyze::leak_suspects(c).empty());
}

TEST(AllocSummary, NoAllocProbeNoSummary) {
  Capture c = base(1);
  c.metadata.probes = {"cpu"};
  c.alloc_info.reset();
  EXPECT_FALSE(analyze::summarize_alloc(c).has_value());
}

}  // namespace
