// Analysis of hand-built captures: every figure checked against the value
// computed by hand in sample_capture.h.
#include "loadprof/analyze/analysis.h"

#include <gtest/gtest.h>

#include <optional>

#include "analyze/sample_capture.h"
#include "loadprof/capture/folded.h"

namespace loadprof::analyze {
namespace {

using testing::kSecNs;
using testing::kStartNs;
using testing::sample_capture;

Analysis run(const capture::Capture& c, AnalysisOptions options = {}) {
  auto r = analyze(c, options);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : Analysis{};
}

const FunctionStat* find(const std::vector<FunctionStat>& fs, const std::string& name) {
  for (const auto& f : fs) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

TEST(Analysis, DurationEndAndProcesses) {
  Analysis a = run(sample_capture());
  EXPECT_DOUBLE_EQ(a.duration_s, 4.0);
  EXPECT_FALSE(a.duration_estimated);
  EXPECT_FALSE(a.interrupted);
  EXPECT_EQ(a.end_reason, "target exited");
  ASSERT_TRUE(a.target_exited_s.has_value());
  EXPECT_DOUBLE_EQ(*a.target_exited_s, 3.5);

  ASSERT_EQ(a.processes.size(), 2u);
  const ProcessSummary& prog = a.processes[0];  // the root comes first
  EXPECT_EQ(prog.pid, 100u);
  EXPECT_EQ(prog.command, "prog");
  EXPECT_TRUE(prog.root);
  EXPECT_TRUE(prog.launched);
  ASSERT_TRUE(prog.exit_s.has_value());
  EXPECT_DOUBLE_EQ(*prog.exit_s, 3.5);
  EXPECT_FALSE(prog.exited_mid_capture);  // its exit ended the capture (target_exited at 3.5 s)
  ASSERT_TRUE(prog.exit_code.has_value());
  EXPECT_EQ(*prog.exit_code, 0);
  EXPECT_FALSE(prog.exit_signal.has_value());

  const ProcessSummary& child = a.processes[1];
  EXPECT_EQ(child.pid, 101u);
  EXPECT_EQ(child.ppid, 100u);
  EXPECT_DOUBLE_EQ(child.start_s, 1.0);
  ASSERT_TRUE(child.exit_s.has_value());
  EXPECT_DOUBLE_EQ(*child.exit_s, 2.25);
  ASSERT_TRUE(child.exit_signal.has_value());
  EXPECT_EQ(*child.exit_signal, 9);
  EXPECT_FALSE(child.exit_code.has_value());
}

TEST(Analysis, ProcessStillRunningAtTheEnd) {
  auto c = sample_capture();
  c.processes[0].exit_ns.reset();  // the child (listed first in the capture)
  c.processes[0].exit_signal.reset();
  Analysis a = run(c);
  const ProcessSummary& child = a.processes[1];
  EXPECT_FALSE(child.exit_s.has_value());
  EXPECT_FALSE(child.exited_mid_capture);
}

TEST(Analysis, SampleCountsAndStacklessSamples) {
  auto c = sample_capture();
  capture::OffCpuInterval o;
  o.count = 4;  // aggregated in BPF: four intervals
  c.offcpu = {o, capture::OffCpuInterval{}};
  Analysis a = run(c);
  EXPECT_EQ(a.samples.cpu, std::optional<uint64_t>(100));
  EXPECT_EQ(a.samples.offcpu, std::optional<uint64_t>(5));  // records present: counted
  // The io and alloc probes did not run: no count, not a 0 that reads "nothing happened".
  EXPECT_FALSE(a.samples.io.has_value());
  EXPECT_FALSE(a.samples.alloc.has_value());
  EXPECT_EQ(a.cpu_samples_without_stack, 5u);
  EXPECT_EQ(a.cpu_samples_truncated, 10u);
}

// A capture cut before the recorder's symbols came: its raw-address stacks are
// named in a warning with their share; a whole capture draws none.
TEST(Analysis, StacksLeftUnsymbolizedAreWarnedAbout) {
  auto c = sample_capture();
  for (const auto& w : run(c).warnings) EXPECT_EQ(w.find("not symbolized"), std::string::npos) << w;
  capture::Frame raw;
  raw.function = "0x401000";
  raw.module = std::string(capture::kUnsymbolizedModule);
  c.frames.push_back(raw);
  const capture::StackId id = static_cast<capture::StackId>(c.stacks.size());
  c.stacks.push_back({{static_cast<capture::FrameId>(c.frames.size() - 1)}, false});
  for (int i = 0; i < 25; ++i) {
    capture::CpuSample s = c.cpu_samples.front();
    s.stack = id;
    c.cpu_samples.push_back(s);
  }
  bool said = false;
  for (const auto& w : run(c).warnings)
    if (w.find("25 cpu samples (20.0 %) have stacks the recorder had not symbolized") != std::string::npos)
      said = true;
  EXPECT_TRUE(said);
}

TEST(Analysis, TopFunctionsBySelfExactShares) {
  Analysis a = run(sample_capture());
  ASSERT_EQ(a.top_self.size(), 4u);  // only leaves have self time
  EXPECT_EQ(a.top_self[0].name, "hot");
  EXPECT_EQ(a.top_self[0].module, "prog");
  EXPECT_EQ(a.top_self[0].self_samples, 55u);
  EXPECT_DOUBLE_EQ(a.top_self[0].self_pct, 55.0);
  EXPECT_DOUBLE_EQ(a.top_self[0].total_pct, 55.0);
  EXPECT_EQ(a.top_self[1].name, "cold");
  EXPECT_DOUBLE_EQ(a.top_self[1].self_pct, 20.0);
  // Ties (10 samples each) in name order; kernel frames carry "_[k]".
  EXPECT_EQ(a.top_self[2].name, "do_syscall_64_[k]");
  EXPECT_EQ(a.top_self[2].module, "[kernel]");
  EXPECT_DOUBLE_EQ(a.top_self[2].self_pct, 10.0);
  EXPECT_EQ(a.top_self[3].name, "rec");
  EXPECT_DOUBLE_EQ(a.top_self[3].self_pct, 10.0);
}

TEST(Analysis, TopFunctionsByTotalExactShares) {
  Analysis a = run(sample_capture());
  ASSERT_EQ(a.top_total.size(), 7u);
  const std::vector<std::pair<std::string, double>> want = {
      {"main", 95.0}, {"work", 75.0}, {"hot", 55.0}, {"cold", 20.0}, {"do_syscall_64_[k]", 10.0},
      {"read", 10.0}, {"rec", 10.0}};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(a.top_total[i].name, want[i].first) << i;
    EXPECT_DOUBLE_EQ(a.top_total[i].total_pct, want[i].second) << want[i].first;
  }
  const FunctionStat* main_fn = find(a.top_total, "main");
  ASSERT_NE(main_fn, nullptr);
  EXPECT_EQ(main_fn->self_samples, 0u);
  EXPECT_EQ(main_fn->total_samples, 95u);
  const FunctionStat* read_fn = find(a.top_total, "read");
  ASSERT_NE(read_fn, nullptr);
  EXPECT_EQ(read_fn->module, "libc.so.6");
}

TEST(Analysis, RecursionCountedOnceInTotal) {
  // One stack: a -> b -> a -> b -> a (leaf a), 7 samples; another: c, 3 samples.
  capture::Capture c;
  c.frames = {testing::user_frame("a"), testing::user_frame("b"), testing::user_frame("c")};
  c.stacks = {capture::Stack{{0, 1, 0, 1, 0}, false}, capture::Stack{{2}, false}};
  for (int i = 0; i < 10; ++i) {
    capture::CpuSample s;
    s.pid = 7;
    s.stack = i < 7 ? 0 : 1;
    c.cpu_samples.push_back(s);
  }
  Analysis a = run(c);
  const FunctionStat* fa = find(a.top_total, "a");
  const FunctionStat* fb = find(a.top_total, "b");
  ASSERT_NE(fa, nullptr);
  ASSERT_NE(fb, nullptr);
  EXPECT_EQ(fa->total_samples, 7u);
  EXPECT_DOUBLE_EQ(fa->total_pct, 70.0);
  EXPECT_EQ(fa->self_samples, 7u);
  EXPECT_EQ(fb->total_samples, 7u);
  EXPECT_EQ(fb->self_samples, 0u);
  // No process record: the root frame is the pid, as in the folded export.
  ASSERT_EQ(a.top_stacks.size(), 2u);
  EXPECT_EQ(a.top_stacks[0].frames, (std::vector<std::string>{"7", "a", "b", "a", "b", "a"}));
}

TEST(Analysis, SameFunctionInTwoStacksAddsUp) {
  // Two distinct stacks containing "work" sum; one stack id used by two pids too.
  Analysis a = run(sample_capture());
  const FunctionStat* work = find(a.top_total, "work");
  ASSERT_NE(work, nullptr);
  EXPECT_EQ(work->total_samples, 75u);
}

TEST(Analysis, TopStacksRootedAtProcessName) {
  Analysis a = run(sample_capture());
  ASSERT_EQ(a.top_stacks.size(), 5u);
  EXPECT_EQ(a.top_stacks[0].frames, (std::vector<std::string>{"prog", "main", "work", "hot"}));
  EXPECT_EQ(a.top_stacks[0].samples, 50u);
  EXPECT_DOUBLE_EQ(a.top_stacks[0].pct, 50.0);
  EXPECT_EQ(a.top_stacks[1].frames, (std::vector<std::string>{"prog", "main", "work", "cold"}));
  EXPECT_DOUBLE_EQ(a.top_stacks[1].pct, 20.0);
  // 10 each, ordered by folded text.
  EXPECT_EQ(a.top_stacks[2].frames, (std::vector<std::string>{"prog", "main", "read", "do_syscall_64_[k]"}));
  EXPECT_TRUE(a.top_stacks[2].truncated);
  EXPECT_EQ(a.top_stacks[3].frames, (std::vector<std::string>{"prog", "main", "rec", "rec", "rec"}));
  EXPECT_FALSE(a.top_stacks[3].truncated);
  EXPECT_EQ(a.top_stacks[4].frames, (std::vector<std::string>{"child", "main", "work", "hot"}));
  EXPECT_DOUBLE_EQ(a.top_stacks[4].pct, 5.0);

  AnalysisOptions two;
  two.top_stacks = 2;
  two.top_functions = 3;
  Analysis b = run(sample_capture(), two);
  EXPECT_EQ(b.top_stacks.size(), 2u);
  EXPECT_EQ(b.top_total.size(), 3u);
  EXPECT_EQ(b.top_self.size(), 3u);
}

TEST(Analysis, TopStacksReadLikeTheFoldedExport) {
  // Every top stack (all of them here) is a line of the folded export with the
  // same count; the folded export's extra line is the stackless samples (root only).
  auto c = sample_capture();
  AnalysisOptions all;
  all.top_stacks = 100;
  Analysis a = run(c, all);
  auto folded = capture::folded_stacks(c, "cpu");
  ASSERT_TRUE(folded.ok());
  std::map<std::string, uint64_t> lines;
  for (const auto& l : folded.value()) lines[l.stack] = l.count;
  ASSERT_EQ(lines.size(), a.top_stacks.size() + 1);
  EXPECT_EQ(lines.at("prog"), a.cpu_samples_without_stack);
  for (const auto& s : a.top_stacks) {
    std::string joined;
    for (const auto& f : s.frames) joined += (joined.empty() ? "" : ";") + f;
    ASSERT_TRUE(lines.count(joined)) << joined;
    EXPECT_EQ(lines.at(joined), s.samples) << joined;
  }
}

TEST(Analysis, NamesFollowTheFoldedExportRules) {
  // ';' would split a folded frame: the export writes ':'; the analysis shows
  // the same name, so a top stack is byte for byte a folded line.
  auto c = sample_capture();
  c.frames[2].function = "odd;name\nhere";
  c.processes[1].command = "";
  AnalysisOptions all;
  all.top_stacks = 100;
  Analysis a = run(c, all);
  EXPECT_EQ(a.top_self[0].name, "odd:name here");
  EXPECT_EQ(a.top_stacks[0].frames, (std::vector<std::string>{"[unknown]", "main", "work", "odd:name here"}));
  auto folded = capture::folded_stacks(c, "cpu");
  ASSERT_TRUE(folded.ok());
  bool found = false;
  for (const auto& l : folded.value())
    found = found || (l.stack == "[unknown];main;work;odd:name here" && l.count == 50);
  EXPECT_TRUE(found);
}

TEST(Analysis, UnresolvedFramesKeepModuleAndOffset) {
  capture::Capture c;
  capture::Frame f;
  f.module = "libfoo.so";
  f.module_offset = 0x1234;
  c.frames = {f};
  c.stacks = {capture::Stack{{0}, false}};
  capture::CpuSample s;
  s.stack = 0;
  c.cpu_samples = {s};
  Analysis a = run(c);
  ASSERT_EQ(a.top_self.size(), 1u);
  EXPECT_EQ(a.top_self[0].name, "libfoo.so+0x1234");
  EXPECT_DOUBLE_EQ(a.top_self[0].self_pct, 100.0);
}

TEST(Analysis, LostByProbeAndReasonIncludesTruncatedStacks) {
  Analysis a = run(sample_capture());
  EXPECT_EQ(a.lost.at("cpu").at("ringbuf_full"), 3u);
  // Not counted by the recorder: the 10 samples whose stack is marked truncated.
  EXPECT_EQ(a.lost.at("cpu").at("stack_truncated"), 10u);

  auto c = sample_capture();
  c.drops["cpu"]["stack_truncated"] = 12;  // the recorder counted more (same samples plus dropped ones)
  c.drops["offcpu"]["map_full"] = 4;
  Analysis b = run(c);
  EXPECT_EQ(b.lost.at("cpu").at("stack_truncated"), 12u);
  EXPECT_EQ(b.lost.at("offcpu").at("map_full"), 4u);
}

TEST(Analysis, PerCpuAccountingShares) {
  Analysis a = run(sample_capture());
  ASSERT_TRUE(a.cpu_accounting.has_value());
  const auto& acc = *a.cpu_accounting;
  ASSERT_EQ(acc.cpus.size(), 2u);
  const CpuShare& c0 = acc.cpus[0];
  EXPECT_EQ(c0.cpu, 0u);
  EXPECT_EQ(c0.target, 179u);
  EXPECT_EQ(c0.total(), 200u);
  EXPECT_DOUBLE_EQ(c0.target_pct, 89.5);
  EXPECT_DOUBLE_EQ(c0.self_pct, 1.0);
  EXPECT_DOUBLE_EQ(c0.other_pct, 4.5);
  EXPECT_DOUBLE_EQ(c0.idle_pct, 5.0);
  const CpuShare& c1 = acc.cpus[1];
  EXPECT_EQ(c1.cpu, 1u);
  EXPECT_DOUBLE_EQ(c1.target_pct, 10.5);
  EXPECT_DOUBLE_EQ(c1.self_pct, 0.0);
  EXPECT_DOUBLE_EQ(c1.other_pct, 15.0);
  EXPECT_DOUBLE_EQ(c1.idle_pct, 74.5);
  EXPECT_EQ(acc.all.total(), 400u);
  EXPECT_DOUBLE_EQ(acc.all.target_pct, 50.0);
  EXPECT_DOUBLE_EQ(acc.all.self_pct, 0.5);
  EXPECT_DOUBLE_EQ(acc.all.other_pct, 9.75);
  EXPECT_DOUBLE_EQ(acc.all.idle_pct, 39.75);

  ASSERT_EQ(acc.per_second.size(), 2u);
  EXPECT_DOUBLE_EQ(acc.per_second[0].t_s, 0.0);
  EXPECT_EQ(acc.per_second[0].target, 100u);
  EXPECT_DOUBLE_EQ(acc.per_second[0].target_pct, 50.0);
  EXPECT_DOUBLE_EQ(acc.per_second[0].busy_pct, 70.0);
  EXPECT_DOUBLE_EQ(acc.per_second[0].max_cpu_target_pct, 80.0);
  EXPECT_DOUBLE_EQ(acc.per_second[1].t_s, 1.0);
  EXPECT_DOUBLE_EQ(acc.per_second[1].busy_pct, 50.5);
  EXPECT_DOUBLE_EQ(acc.per_second[1].max_cpu_target_pct, 99.0);
}

TEST(Analysis, ProbesThatRanCountZeroThoseThatDidNotAreAbsent) {
  auto c = sample_capture();
  Analysis a = run(c);
  EXPECT_FALSE(a.samples.offcpu.has_value()) << "offcpu did not run and left no records";
  c.metadata.probes = {"cpu", "offcpu", "io"};
  Analysis b = run(c);
  EXPECT_EQ(b.samples.offcpu, std::optional<uint64_t>(0));
  EXPECT_EQ(b.samples.io, std::optional<uint64_t>(0));
  EXPECT_FALSE(b.samples.alloc.has_value());
}

// A CPU that took fewer samples than the frequency asks: the shortfall is
// explained by steal first, then throttling, and only the rest is estimated
// idle; the counted idle is kept apart.
TEST(Analysis, IdleEstimateFiresAndIsKeptApartFromCountedIdle) {
  auto c = sample_capture();
  c.metadata.frequency_hz = 100;
  c.cpu_accounting.clear();
  auto row = [&](uint64_t sec, uint32_t cpu, uint64_t target, uint64_t idle, uint64_t steal_ns,
                 uint64_t throttled_ns) {
    capture::CpuAccounting r{kStartNs + sec * kSecNs, cpu, target, 0, 0, idle};
    r.steal_ns = steal_ns;
    r.throttled_ns = throttled_ns;
    r.throttles = throttled_ns ? 2 : 0;
    c.cpu_accounting.push_back(r);
  };
  // cpu 0, second 0: 50 busy + 10 idle counted of 100 expected: 40 short;
  // 150 ms steal explains 15, 50 ms throttled 5, 20 are estimated idle.
  row(0, 0, 50, 10, 150'000'000, 50'000'000);
  // cpu 1, second 0: an idle vCPU that took half its samples, no steal: 50 estimated.
  row(0, 1, 0, 50, 0, 0);
  // cpu 0, second 1: steal larger than the shortfall explains only the shortfall.
  row(1, 0, 90, 0, 400'000'000, 0);
  // cpu 1, second 1: more samples than expected (timer jitter): nothing estimated.
  row(1, 1, 3, 99, 0, 0);
  Analysis a = run(c);
  ASSERT_TRUE(a.cpu_accounting.has_value());
  const auto& acc = *a.cpu_accounting;
  EXPECT_EQ(acc.idle_shown, "estimated");
  ASSERT_EQ(acc.cpus.size(), 2u);
  const CpuShare& c0 = acc.cpus[0];
  EXPECT_EQ(c0.expected, 200u);
  EXPECT_EQ(c0.idle_counted, 10u);
  EXPECT_EQ(c0.steal, 15u + 10u);
  EXPECT_EQ(c0.throttled, 5u);
  EXPECT_EQ(c0.throttles, 2u);
  EXPECT_EQ(c0.idle_estimated, 30u);
  EXPECT_EQ(c0.idle, c0.idle_estimated);
  EXPECT_EQ(c0.total(), 200u);
  EXPECT_DOUBLE_EQ(c0.target_pct, 70.0);
  EXPECT_DOUBLE_EQ(c0.idle_pct, 15.0);
  EXPECT_DOUBLE_EQ(c0.steal_pct, 12.5);
  EXPECT_DOUBLE_EQ(c0.throttled_pct, 2.5);
  const CpuShare& c1 = acc.cpus[1];
  EXPECT_EQ(c1.idle_counted, 149u);
  EXPECT_EQ(c1.idle_estimated, 199u);
  EXPECT_EQ(c1.steal, 0u);
  EXPECT_EQ(c1.total(), 202u);
  EXPECT_EQ(acc.all.idle_counted, 159u);
  EXPECT_EQ(acc.all.idle_estimated, 229u);
  EXPECT_EQ(acc.all.steal, 25u);
  EXPECT_EQ(acc.all.throttled, 5u);
  ASSERT_EQ(acc.per_second.size(), 2u);
  EXPECT_EQ(acc.per_second[0].idle_counted, 60u);
  EXPECT_EQ(acc.per_second[0].idle_estimated, 130u);  // 30 on cpu 0, 100 on cpu 1
  EXPECT_EQ(acc.per_second[0].steal, 15u);
  EXPECT_EQ(acc.per_second[0].throttled, 5u);
  EXPECT_DOUBLE_EQ(acc.per_second[0].busy_pct, 25.0);  // 50 of 200
}

// The capture ends 0.25 s into a second: that second expects a quarter of the
// samples, and its steal counts for the quarter inside the capture.
TEST(Analysis, IdleEstimateOfAPartialLastSecond) {
  auto c = sample_capture();
  c.metadata.frequency_hz = 100;
  c.end->end_ns = kStartNs + kSecNs + kSecNs / 4;
  c.cpu_accounting = {capture::CpuAccounting{kStartNs + kSecNs, 0, 10, 0, 0, 5, 200'000'000, 0, 0}};
  Analysis a = run(c);
  ASSERT_TRUE(a.cpu_accounting.has_value());
  const CpuShare& s = a.cpu_accounting->cpus.at(0);
  EXPECT_EQ(s.expected, 25u);
  EXPECT_EQ(s.steal, 5u);  // 200 ms x 1/4 inside, at 100 Hz
  EXPECT_EQ(s.idle_counted, 5u);
  EXPECT_EQ(s.idle_estimated, 10u);
}

TEST(Analysis, NoAccountingWhenTheCaptureHasNone) {
  auto c = sample_capture();
  c.cpu_accounting.clear();
  EXPECT_FALSE(run(c).cpu_accounting.has_value());
}

TEST(Analysis, TruncatedCaptureWarnsWithOffset) {
  auto c = sample_capture();
  c.end.reset();  // the end chunk was past the damage
  c.read_info.truncated = true;
  c.read_info.damage_offset = 12345;
  c.read_info.damage = "chunk checksum mismatch";
  Analysis a = run(c);
  EXPECT_TRUE(a.capture.truncated);
  EXPECT_EQ(a.capture.damage_offset, 12345u);
  ASSERT_FALSE(a.warnings.empty());
  EXPECT_EQ(
      a.warnings[0],
      "capture truncated at offset 12345 (chunk checksum mismatch): this report covers the data before it");
  // Without the end record the duration comes from the last data: the child's
  // exit at +2.25 s, the last sample at +0.49 s, the accounting second 1 ending at +2 s,
  // the root's exit at +3.5 s -> 3.5 s.
  EXPECT_TRUE(a.duration_estimated);
  EXPECT_DOUBLE_EQ(a.duration_s, 3.5);
  EXPECT_EQ(a.end_reason, "unknown");
  EXPECT_FALSE(a.capture.complete);
}

TEST(Analysis, InterruptedFlag) {
  auto c = sample_capture();
  c.end->interrupted = true;
  c.end->reason = "interrupted";
  c.end->target_exited_ns.reset();
  Analysis a = run(c);
  EXPECT_TRUE(a.interrupted);
  EXPECT_EQ(a.end_reason, "interrupted");
  EXPECT_FALSE(a.target_exited_s.has_value());
  EXPECT_TRUE(a.warnings.empty());
}

TEST(Analysis, DanglingReferencesAreCorruptInputNotACrash) {
  auto c = sample_capture();
  c.cpu_samples[3].stack = 99;
  auto r = analyze(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::corrupt_input);
  EXPECT_EQ(r.error().message, "cpu sample 3 refers to stack 99 of 4");

  auto d = sample_capture();
  d.stacks[1].frames.push_back(40);
  auto r2 = analyze(d);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().message, "stack 1 refers to frame 40 of 7");
}

TEST(Analysis, KindsInCapture) {
  auto c = sample_capture();
  EXPECT_EQ(kinds_in_capture(c), (std::vector<std::string>{"cpu"}));
  c.metadata.probes = {"cpu", "offcpu"};
  EXPECT_EQ(kinds_in_capture(c), (std::vector<std::string>{"cpu", "offcpu", "wall"}));
  c.metadata.probes = {"cpu", "io"};
  EXPECT_EQ(kinds_in_capture(c), (std::vector<std::string>{"cpu", "io"}));
  // --offcpu-wakers: a waker stack on an interval adds the wakers kind.
  c.offcpu.push_back({10, 20, c.cpu_samples[0].pid, c.cpu_samples[0].tid, capture::kNoStack, 0,
                      capture::OffCpuReason::lock, 1});
  c.metadata.probes = {"cpu", "offcpu"};
  EXPECT_EQ(kinds_in_capture(c), (std::vector<std::string>{"cpu", "offcpu", "wall", "wakers"}));
  EXPECT_TRUE(is_kind("wakers"));
  EXPECT_TRUE(is_kind("alloc-live"));
  EXPECT_FALSE(is_kind("memory"));
  EXPECT_EQ(kinds_in_capture(capture::Capture{}), std::vector<std::string>{});
}

}  // namespace
}  // namespace loadprof::analyze
