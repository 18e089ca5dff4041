// The stack-share diff on hand-built captures whose counts give known shares,
// z and p: a planted 2x slowdown is a regression naming the function, the same
// counts or a 2-point change on 200 samples are no change, the threshold is
// relative, and the Bonferroni split follows the number of shares compared.
#include "loadprof/analyze/diff.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "loadprof/report/diff.h"

using loadprof::analyze::diff_captures;
using loadprof::analyze::DiffOptions;
using loadprof::analyze::Verdict;
using loadprof::capture::Capture;

namespace {

// One process "prog", stacks main;handle;LEAF with the given sample counts.
Capture with_leaves(const std::map<std::string, int>& leaves, bool bursty = false) {
  using namespace loadprof::capture;
  Capture c;
  c.metadata.probes = {"cpu"};
  c.metadata.frequency_hz = 999;
  c.metadata.start_monotonic_ns = 1'000'000'000;
  Process p;
  p.pid = 7;
  p.command = "prog";
  c.processes = {p};
  auto frame = [&](const std::string& name) {
    Frame f;
    f.function = name;
    f.module = "prog";
    c.frames.push_back(f);
    return static_cast<FrameId>(c.frames.size() - 1);
  };
  const FrameId main_id = frame("main"), handle_id = frame("handle");
  // Each leaf's samples spread evenly over the capture's time (the k-th of
  // n at (k + 0.5) / n of it), as a steady workload's are; `bursty` puts
  // them one leaf after another instead.
  std::vector<std::pair<double, StackId>> order;
  size_t leaf_index = 0;
  for (const auto& [leaf, count] : leaves) {
    c.stacks.push_back(Stack{{frame(leaf), handle_id, main_id}, false});
    const auto stack = static_cast<StackId>(c.stacks.size() - 1);
    for (int i = 0; i < count; ++i) {
      const double at = bursty ? static_cast<double>(leaf_index) + (i + 0.5) / count : (i + 0.5) / count;
      order.emplace_back(at, stack);
    }
    ++leaf_index;
  }
  std::stable_sort(order.begin(), order.end());
  uint64_t t = c.metadata.start_monotonic_ns;
  for (const auto& [at, stack] : order) {
    CpuSample s;
    s.time_ns = t += 1'000'000;
    s.pid = s.tid = 7;
    s.stack = stack;
    c.cpu_samples.push_back(s);
  }
  return c;
}

const loadprof::analyze::ShareChange* find(const loadprof::analyze::KindDiff& k, const std::string& frame,
                                           bool self) {
  for (const auto& s : k.changes)
    if (s.frame == frame && s.self == self) return &s;
  return nullptr;
}

}  // namespace

TEST(Diff, PlantedTwoTimesSlowdownIsARegressionNamingTheFunction) {
  // compute does twice the work: 25 % -> 40 % of 1000 samples (z = 7.2, p ~ 6e-13).
  auto base = with_leaves({{"parse", 250}, {"compute", 250}, {"render", 500}});
  auto next = with_leaves({{"parse", 200}, {"compute", 400}, {"render", 400}});
  auto d = diff_captures(base, next, {});
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->verdict, Verdict::regression);
  ASSERT_EQ(d->kinds.size(), 1u);
  const auto& k = d->kinds[0];
  EXPECT_EQ(k.base_samples, 1000u);
  EXPECT_EQ(k.new_samples, 1000u);
  // Shares with samples on either side: parse, compute, render self + total;
  // main and handle total (100 % both sides).
  EXPECT_EQ(k.comparisons, 8u);
  EXPECT_DOUBLE_EQ(k.alpha_per_test, 0.05 / 8);
  ASSERT_FALSE(k.changes.empty());
  EXPECT_EQ(k.changes[0].frame, "compute");
  EXPECT_EQ(k.changes[0].verdict, Verdict::regression);
  EXPECT_NEAR(k.changes[0].base_pct, 25.0, 1e-9);
  EXPECT_NEAR(k.changes[0].new_pct, 40.0, 1e-9);
  EXPECT_NEAR(k.changes[0].delta_pct_points, 15.0, 1e-9);
  ASSERT_TRUE(k.changes[0].change_pct);
  EXPECT_NEAR(*k.changes[0].change_pct, 60.0, 1e-9);
  EXPECT_NEAR(k.changes[0].z, 7.161149, 1e-5);  // 0.15 / sqrt(0.325 x 0.675 x 2/1000)
  EXPECT_LT(k.changes[0].p_value, 1e-11);
  // render shrank 50 % -> 40 %: an improvement, not a regression.
  const auto* render = find(k, "render", true);
  ASSERT_NE(render, nullptr);
  EXPECT_EQ(render->verdict, Verdict::improvement);
  const auto* main_total = find(k, "main", false);
  ASSERT_NE(main_total, nullptr);
  EXPECT_FALSE(main_total->significant);
  EXPECT_EQ(main_total->p_value, 1.0);
}

TEST(Diff, SameCountsAreNoChange) {
  auto base = with_leaves({{"parse", 250}, {"compute", 250}, {"render", 500}});
  auto d = diff_captures(base, base, {});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->verdict, Verdict::no_change);
  for (const auto& s : d->kinds[0].changes) EXPECT_FALSE(s.significant) << s.frame;
}

TEST(Diff, TwoPointsOnTwoHundredSamplesIsNotSignificant) {
  // 25 % -> 27 % of 200: z 0.46, p 0.65.
  auto base = with_leaves({{"compute", 50}, {"render", 150}});
  auto next = with_leaves({{"compute", 54}, {"render", 146}});
  auto d = diff_captures(base, next, {});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->verdict, Verdict::no_change);
  const auto* c = find(d->kinds[0], "compute", true);
  ASSERT_NE(c, nullptr);
  EXPECT_NEAR(c->z, 0.455961, 1e-5);
  EXPECT_NEAR(c->p_value, 0.73248, 1e-5);  // Fisher's exact test; the z-test's is 0.648
  EXPECT_FALSE(c->significant);
}

TEST(Diff, ThresholdIsARelativeChangeOfTheShare) {
  // 50 % -> 52 % of 10000: z 2.83, p 0.0047 < 0.05 / 6: significant, but +4 % relative.
  auto base = with_leaves({{"hot", 5000}, {"cold", 5000}});
  auto next = with_leaves({{"hot", 5200}, {"cold", 4800}});
  auto d = diff_captures(base, next, {});
  ASSERT_TRUE(d.ok());
  const auto* hot = find(d->kinds[0], "hot", true);
  ASSERT_NE(hot, nullptr);
  EXPECT_TRUE(hot->significant);
  EXPECT_NEAR(*hot->change_pct, 4.0, 1e-9);
  EXPECT_EQ(hot->verdict, Verdict::no_change);
  EXPECT_EQ(d->verdict, Verdict::no_change);
  // The whole 95 % interval must clear the threshold: +2 points +- 1.39 is +1.2 % .. +6.8 % relative, so a
  // 3 % threshold (inside the interval) is no regression, a 1 % one (under its low end) is.
  DiffOptions inside;
  inside.threshold_pct = 3;
  auto i = diff_captures(base, next, inside);
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(i->verdict, Verdict::no_change);
  DiffOptions tight;
  tight.threshold_pct = 1;
  auto t = diff_captures(base, next, tight);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->verdict, Verdict::regression);
  EXPECT_EQ(t->kinds[0].changes[0].frame, "hot");
}

TEST(Diff, AFunctionAbsentFromBaseHasNoRelativeChange) {
  auto base = with_leaves({{"render", 1000}});
  auto next = with_leaves({{"render", 900}, {"leak", 100}});
  auto d = diff_captures(base, next, {});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->verdict, Verdict::regression);
  EXPECT_EQ(d->kinds[0].changes[0].frame, "leak");
  EXPECT_FALSE(d->kinds[0].changes[0].change_pct);
}

TEST(Diff, BadInputIsAUsageError) {
  auto base = with_leaves({{"render", 10}});
  DiffOptions off;
  off.kinds = {"wall"};
  auto d = diff_captures(base, base, off);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().kind, loadprof::ErrorKind::not_available);
  off.kinds = {"offcpu"};  // asked for, not in the capture
  auto absent = diff_captures(base, base, off);
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.error().kind, loadprof::ErrorKind::usage);
  EXPECT_NE(absent.error().message.find("base capture holds no offcpu time"), std::string::npos);
  off.kinds = {"nonsense"};
  auto unknown = diff_captures(base, base, off);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, loadprof::ErrorKind::usage);
  auto empty = diff_captures(with_leaves({}), base, {});
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("base capture holds no cpu samples"), std::string::npos);
}

TEST(Diff, JsonHasSpecsShapeWithLatencyNotInCapture) {
  auto base = with_leaves({{"parse", 250}, {"compute", 250}, {"render", 500}});
  auto next = with_leaves({{"parse", 200}, {"compute", 400}, {"render", 400}});
  auto d = diff_captures(base, next, {});
  ASSERT_TRUE(d.ok());
  auto j = loadprof::report::diff_to_json(*d);
  EXPECT_EQ(j["verdict"], "regression");
  EXPECT_EQ(j["threshold_pct"], 5.0);
  EXPECT_TRUE(j["latency_ms"].is_null());
  EXPECT_TRUE(j["throughput_rps"].is_null());
  EXPECT_NE(j["requests"].get<std::string>().find("not in capture"), std::string::npos);
  const auto& s = j["stacks"][0];
  EXPECT_EQ(s["frame"], "compute");
  EXPECT_EQ(s["kind"], "cpu");
  EXPECT_EQ(s["base_pct"], 25.0);
  EXPECT_EQ(s["new_pct"], 40.0);
  EXPECT_EQ(s["delta_pct_points"], 15.0);
  EXPECT_EQ(s["significant"], true);
  EXPECT_EQ(s["verdict"], "regression");
  EXPECT_EQ(j["samples"]["cpu"]["comparisons"], 8);
}

TEST(Diff, InterruptsTakenInUserCodeCountForTheInterruptedFunction) {
  // base: 100 x main;handle;compute.  new: 90 x the same, 10 x compute interrupted
  // (asm_sysvec_reschedule_ipi_[k];irqentry_exit_to_user_mode_[k] on top).
  auto base = with_leaves({{"compute", 100}});
  auto next = with_leaves({{"compute", 100}});
  using namespace loadprof::capture;
  Frame entry, exit;
  entry.function = "asm_sysvec_reschedule_ipi";
  exit.function = "irqentry_exit_to_user_mode";
  entry.kernel = exit.kernel = true;
  entry.module = exit.module = "[kernel]";
  next.frames.push_back(entry);
  next.frames.push_back(exit);
  const auto entry_id = static_cast<FrameId>(next.frames.size() - 2);
  Stack interrupted{{entry_id + 1u, entry_id, 2, 1, 0}, false};  // exit, entry, compute, handle, main
  next.stacks.push_back(interrupted);
  for (int i = 0; i < 10; ++i) next.cpu_samples[static_cast<size_t>(i)].stack = 1;
  auto d = diff_captures(base, next, {});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->verdict, Verdict::no_change);
  EXPECT_EQ(d->kinds[0].new_interrupt_samples, 10u);
  const auto* compute = find(d->kinds[0], "compute", true);
  ASSERT_NE(compute, nullptr);
  EXPECT_EQ(compute->new_samples, 100u);
  EXPECT_EQ(find(d->kinds[0], "irqentry_exit_to_user_mode_[k]", true), nullptr);
  // Kept: compute's self share drops 100 % -> 90 %, the interrupt's appears.
  DiffOptions keep;
  keep.keep_interrupts = true;
  auto k = diff_captures(base, next, keep);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->kinds[0].new_interrupt_samples, 0u);
  const auto* irq = find(k->kinds[0], "irqentry_exit_to_user_mode_[k]", true);
  ASSERT_NE(irq, nullptr);
  EXPECT_EQ(irq->new_samples, 10u);
  EXPECT_EQ(find(k->kinds[0], "compute", true)->new_samples, 90u);
}

TEST(Diff, SamplesWithoutAStackAreLeftOutOfTheSharesAndCounted) {
  // new lost the stacks of 500 extra samples: compute stays 25 % of the samples with a stack.
  auto base = with_leaves({{"compute", 250}, {"render", 750}});
  auto next = with_leaves({{"compute", 250}, {"render", 750}});
  for (int i = 0; i < 500; ++i) {
    loadprof::capture::CpuSample s;
    s.pid = s.tid = 7;
    next.cpu_samples.push_back(s);  // stack kNoStack
  }
  auto d = diff_captures(base, next, {});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->verdict, Verdict::no_change);
  EXPECT_EQ(d->kinds[0].new_samples, 1000u);
  EXPECT_EQ(d->kinds[0].new_without_stack, 500u);
  EXPECT_EQ(d->kinds[0].base_without_stack, 0u);
  EXPECT_NEAR(find(d->kinds[0], "compute", true)->new_pct, 25.0, 1e-9);
}

TEST(Diff, ASharePilingUpInTimeIsWidenedByItsDispersion) {
  // 10 % -> 15 % of 1000: z 3.38, p 0.0007 < 0.05 / 4 with samples spread evenly.
  auto base = with_leaves({{"compute", 100}, {"render", 900}});
  auto next = with_leaves({{"compute", 150}, {"render", 850}});
  auto even = diff_captures(base, next, {});
  ASSERT_TRUE(even.ok());
  const auto* c = find(even->kinds[0], "compute", true);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->base_dispersion, 1.0);
  EXPECT_EQ(c->new_dispersion, 1.0);
  EXPECT_NEAR(c->z, 3.380617, 1e-5);
  EXPECT_EQ(c->verdict, Verdict::regression);
  // The same counts taken in bursts (every compute sample in one stretch of
  // the capture): the blocks disagree wildly, the change is not significant.
  auto bursty = diff_captures(with_leaves({{"compute", 100}, {"render", 900}}, true),
                              with_leaves({{"compute", 150}, {"render", 850}}, true), {});
  ASSERT_TRUE(bursty.ok());
  const auto* b = find(bursty->kinds[0], "compute", true);
  ASSERT_NE(b, nullptr);
  EXPECT_GT(b->base_dispersion, 50.0);
  EXPECT_GT(b->new_dispersion, 50.0);
  EXPECT_FALSE(b->significant);
  EXPECT_EQ(bursty->verdict, Verdict::no_change);
}
