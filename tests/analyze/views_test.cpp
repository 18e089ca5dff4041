// Stack quality, samples by process / thread / module and grouping by module,
// on hand-built captures whose figures are known exactly.
#include <gtest/gtest.h>

#include "analyze/sample_capture.h"
#include "loadprof/analyze/analysis.h"
#include "loadprof/analyze/stack_quality.h"
#include "loadprof/capture/folded.h"

namespace loadprof::analyze {
namespace {

using testing::kernel_frame;
using testing::kSecNs;
using testing::kStartNs;
using testing::sample_capture;
using testing::user_frame;

Analysis run(const capture::Capture& c, AnalysisOptions options = {}) {
  auto r = analyze(c, options);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : Analysis{};
}

capture::Frame unresolved(const std::string& module, uint64_t offset) {
  capture::Frame f;
  f.module = module;
  f.module_offset = offset;
  return f;
}

// An nginx-like capture: one process, 100 samples.
//   60 x libz+0x584e (one frame: the walk stopped in libz)
//   20 x libz+0x1000 <- libz+0x2000 (two frames, still libz)
//   10 x ngx_worker <- nginx+0x99 <- main  (reaches main: complete)
//    5 x a <- b <- c (3 frames, no root: deep enough, not judged early)
//    5 x do_syscall_64_[k] only (kernel only: not judged)
capture::Capture nginx_like() {
  auto c = sample_capture();
  c.cpu_samples.clear();
  c.frames = {unresolved("libz.so.1.2.13", 0x584e),
              unresolved("libz.so.1.2.13", 0x1000),
              unresolved("libz.so.1.2.13", 0x2000),
              user_frame("ngx_worker", "nginx"),
              unresolved("nginx", 0x99),
              user_frame("main", "nginx"),
              user_frame("a", "nginx"),
              user_frame("b", "nginx"),
              user_frame("c", "nginx"),
              kernel_frame("do_syscall_64")};
  c.stacks = {capture::Stack{{0}, false}, capture::Stack{{1, 2}, false}, capture::Stack{{3, 4, 5}, false},
              capture::Stack{{6, 7, 8}, false}, capture::Stack{{9}, false}};
  auto add = [&](uint32_t tid, capture::StackId stack, int n) {
    for (int i = 0; i < n; ++i)
      c.cpu_samples.push_back({kStartNs + static_cast<uint64_t>(i) * 1000, 100, tid, 0, stack});
  };
  add(100, 0, 60);
  add(100, 1, 20);
  add(100, 2, 10);
  add(100, 3, 5);
  add(100, 4, 5);
  return c;
}

TEST(StackQuality, StacksStoppingInALibraryAreNamedWithTheirShare) {
  const Analysis a = run(nginx_like());
  const StackQuality& q = a.stack_quality;
  EXPECT_EQ(q.samples, 100u);
  EXPECT_EQ(q.kernel_only, 5u);
  EXPECT_EQ(q.user_samples, 95u);
  EXPECT_EQ(q.stopped_early, 80u);
  EXPECT_EQ(q.reached_root, 10u);
  EXPECT_NEAR(q.stopped_early_pct, 100.0 * 80 / 95, 1e-9);
  EXPECT_TRUE(q.poor);
  ASSERT_EQ(q.depths.size(), 6u);
  EXPECT_EQ(q.depths[0].label, "1");
  EXPECT_EQ(q.depths[0].samples, 60u);
  EXPECT_EQ(q.depths[1].samples, 20u);
  EXPECT_EQ(q.depths[2].label, "3-4");
  EXPECT_EQ(q.depths[2].samples, 15u);
  ASSERT_EQ(q.modules.size(), 1u);
  EXPECT_EQ(q.modules[0].module, "libz.so.1.2.13");
  EXPECT_EQ(q.modules[0].stopped_early, 80u);
  // The warning comes first in the report and names the module with its share.
  ASSERT_FALSE(a.warnings.empty());
  EXPECT_NE(a.warnings[0].find("poor stacks: 84.2 %"), std::string::npos) << a.warnings[0];
  EXPECT_NE(a.warnings[0].find("libz.so.1.2.13 (84.2 %)"), std::string::npos) << a.warnings[0];
  EXPECT_NE(a.warnings[0].find("-fno-omit-frame-pointer"), std::string::npos);
  EXPECT_NE(a.warnings[0].find("--unwind auto"), std::string::npos);  // the way out without a rebuild
  // The top stack is the one-frame libz stack, and it says it is incomplete.
  ASSERT_FALSE(a.top_stacks.empty());
  EXPECT_EQ(a.top_stacks[0].samples, 60u);
  EXPECT_TRUE(a.top_stacks[0].truncated);
  EXPECT_TRUE(a.top_stacks[0].stopped_early);
  // The unwinder itself cut none of them: this is not loss.
  EXPECT_EQ(a.cpu_samples_truncated, 0u);
  EXPECT_EQ(a.lost.at("cpu").count("stack_truncated"), 0u);
}

TEST(StackQuality, FramePointerStacksGetNoWarning) {
  const Analysis a = run(sample_capture());
  EXPECT_FALSE(a.stack_quality.poor);
  EXPECT_EQ(a.stack_quality.stopped_early, 0u);
  EXPECT_EQ(a.stack_quality.reached_root, 95u);
  EXPECT_EQ(a.stack_quality.truncated, 10u);  // the stack the unwinder marked
  EXPECT_TRUE(a.warnings.empty());
}

TEST(StackQuality, ShapeOfAStack) {
  const capture::Frame main_f = user_frame("main"), a = user_frame("a"), inl = [] {
    auto f = user_frame("inl");
    f.inlined = true;
    return f;
  }();
  const capture::Frame k = kernel_frame("x"), thread = user_frame("start_thread", "libc.so.6");
  auto shape = stack_shape({&k, &inl, &a});
  EXPECT_EQ(shape.user_depth, 1u);  // the inline frame is not an unwound frame
  EXPECT_TRUE(shape.stopped_early);
  EXPECT_EQ(shape.stop_module, "prog");
  shape = stack_shape({&a, &main_f});
  EXPECT_TRUE(shape.reaches_root);
  EXPECT_FALSE(shape.stopped_early);
  EXPECT_FALSE(stack_shape({&a, &thread}).stopped_early);
  EXPECT_FALSE(stack_shape({&k}).stopped_early);  // no user frame: not judged
}

TEST(Views, SamplesByProcessAndThreadWithNames) {
  auto c = sample_capture();
  // pid 100: its first 30 samples on tid 102 "worker"; the main thread's
  // record has no name (a sample wrote it): the process command stands in.
  int moved = 0;
  for (auto& s : c.cpu_samples) {
    if (s.pid == 100 && moved < 30) {
      s.tid = 102;
      ++moved;
    }
  }
  c.threads = {{100, 102, "worker", kStartNs, std::nullopt}, {100, 100, "", kStartNs, std::nullopt}};
  const Analysis a = run(c);
  ASSERT_EQ(a.by_process.size(), 2u);
  EXPECT_EQ(a.by_process[0].pid, 100u);
  EXPECT_EQ(a.by_process[0].command, "prog");
  EXPECT_EQ(a.by_process[0].samples, 95u);
  EXPECT_NEAR(a.by_process[0].share_pct, 95.0, 1e-9);
  // 99 Hz over 4 s: 396 samples is one CPU.
  EXPECT_NEAR(a.by_process[0].cpu_pct, 100.0 * 95 / 396, 1e-9);
  EXPECT_EQ(a.by_process[1].pid, 101u);
  EXPECT_EQ(a.by_process[1].samples, 5u);
  ASSERT_EQ(a.by_thread.size(), 3u);
  EXPECT_EQ(a.by_thread[0].tid, 100u);
  EXPECT_EQ(a.by_thread[0].comm, "prog");
  EXPECT_EQ(a.by_thread[0].samples, 65u);
  EXPECT_EQ(a.by_thread[1].tid, 102u);
  EXPECT_EQ(a.by_thread[1].comm, "worker");
  EXPECT_EQ(a.by_thread[1].samples, 30u);
  EXPECT_NEAR(a.by_thread[1].share_pct, 30.0, 1e-9);
  EXPECT_EQ(a.by_thread[2].pid, 101u);
}

TEST(Views, ModulesMergeUnresolvedFrames) {
  const Analysis a = run(nginx_like());
  ASSERT_GE(a.by_module.size(), 3u);
  // libz: three different unresolved addresses, one row: 60 + 20 leaf samples.
  EXPECT_EQ(a.by_module[0].module, "libz.so.1.2.13");
  EXPECT_EQ(a.by_module[0].self_samples, 80u);
  EXPECT_EQ(a.by_module[0].total_samples, 80u);
  EXPECT_NEAR(a.by_module[0].self_pct, 80.0, 1e-9);
  EXPECT_EQ(a.by_module[1].module, "nginx");
  EXPECT_EQ(a.by_module[1].self_samples, 15u);
  EXPECT_EQ(a.by_module[2].module, "[kernel]");
  EXPECT_EQ(a.by_module[2].self_samples, 5u);
}

TEST(Views, GroupByModuleMergesConsecutiveFramesOfAModule) {
  const auto grouped = group_by_module(nginx_like());
  auto folded = capture::folded_stacks(grouped, "cpu");
  ASSERT_TRUE(folded.ok());
  std::map<std::string, uint64_t> lines;
  for (const auto& l : *folded) lines[l.stack] = l.count;
  EXPECT_EQ(lines["prog;libz.so.1.2.13"], 80u);  // both libz stacks, one frame each
  EXPECT_EQ(lines["prog;nginx"], 15u);           // main, nginx+0x99, ngx_worker: one frame
  EXPECT_EQ(lines["prog;kernel_[k]"], 5u);
  EXPECT_EQ(lines.size(), 3u);
  // The one-frame stacks stay marked: they stopped early before grouping.
  AnalysisOptions options;
  options.judge_stack_shapes = false;
  const Analysis a = run(grouped, options);
  ASSERT_FALSE(a.top_stacks.empty());
  EXPECT_EQ(a.top_stacks[0].frames, (std::vector<std::string>{"prog", "libz.so.1.2.13"}));
  EXPECT_TRUE(a.top_stacks[0].truncated);
  EXPECT_EQ(a.top_self[0].name, "libz.so.1.2.13");
  EXPECT_EQ(a.top_self[0].self_samples, 80u);
}

}  // namespace
}  // namespace loadprof::analyze
