// Layout: widths sum to the parent's, name order, min-width merging.
#include "loadprof/flamegraph/layout.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace loadprof::flamegraph {
namespace {

// A profile with self time in inner frames, recursion and many siblings.
Profile sample_profile() {
  std::string text;
  for (int i = 0; i < 40; ++i) {
    text += "svc;main;worker" + std::to_string(i % 7) + ";f" + std::to_string(i) + " " +
            std::to_string(i + 1) + "\n";
    text += "svc;main;worker" + std::to_string(i % 7) + " " + std::to_string(i % 5) + "\n";
  }
  text += "svc;main;rec;rec;rec;rec 11\nsvc 3\n";
  return parse_folded(text);
}

TEST(Layout, ChildrenWidthsSumToParentMinusSelf) {
  Profile p = sample_profile();
  LayoutOptions o;
  o.min_width_px = 0;
  Layout l = layout_frames(p, o);
  ASSERT_EQ(l.frames.size(), p.node_count());
  EXPECT_EQ(l.elided_frames, 0u);
  std::map<int32_t, std::pair<uint64_t, double>> child_sum;  // parent index -> (counts, px)
  for (size_t i = 0; i < l.frames.size(); ++i) {
    const auto& f = l.frames[i];
    if (f.parent_index < 0) continue;
    ASSERT_LT(f.parent_index, static_cast<int32_t>(i)) << "parents come first";
    const auto& parent = l.frames[f.parent_index];
    EXPECT_EQ(f.depth, parent.depth + 1);
    EXPECT_GE(f.start, parent.start);
    EXPECT_LE(f.start + f.count, parent.start + parent.count);
    EXPECT_NEAR(f.width_px, f.count * l.px_per_count, 1e-9);
    child_sum[f.parent_index].first += f.count;
    child_sum[f.parent_index].second += f.width_px;
  }
  for (const auto& [pi, sum] : child_sum) {
    const auto& parent = l.frames[pi];
    // Self samples of the parent: its total minus what its children hold.
    uint64_t self = parent.count - sum.first;
    EXPECT_NEAR(sum.second + self * l.px_per_count, parent.width_px, 1e-6) << p.name(parent.node);
  }
  EXPECT_NEAR(l.frames[0].width_px, 1180, 1e-9);
}

TEST(Layout, SiblingsAreContiguousAndOrderedByName) {
  Profile p = parse_folded("r;zeta 5\nr;alpha 3\nr;mid 2\n");
  LayoutOptions o;
  o.min_width_px = 0;
  Layout l = layout_frames(p, o);
  std::vector<std::pair<std::string, uint64_t>> row;
  for (const auto& f : l.frames) {
    if (f.depth == 2) row.emplace_back(std::string(p.name(f.node)), f.start);
  }
  std::sort(row.begin(), row.end(), [](auto& a, auto& b) { return a.second < b.second; });
  ASSERT_EQ(row.size(), 3u);
  EXPECT_EQ(row[0], (std::pair<std::string, uint64_t>{"alpha", 0}));
  EXPECT_EQ(row[1], (std::pair<std::string, uint64_t>{"mid", 3}));
  EXPECT_EQ(row[2], (std::pair<std::string, uint64_t>{"zeta", 5}));
}

TEST(Layout, NarrowFramesAreMergedIntoTheirParent) {
  // 1180 px for 10,014 samples: 0.118 px per sample. "small" (4 samples) is
  // 0.47 px, under a 1 px minimum; it and its two descendants go. "side" is 2.4 px.
  Profile p = parse_folded("r;big;leaf 9990\nr;big;small;x;y 4\nr;side 20\n");
  LayoutOptions o;
  o.min_width_px = 1.0;
  Layout l = layout_frames(p, o);
  std::map<std::string, const LaidOutFrame*> by_name;
  for (const auto& f : l.frames) by_name[std::string(p.name(f.node))] = &f;
  EXPECT_EQ(by_name.count("small"), 0u);
  EXPECT_EQ(by_name.count("x"), 0u);
  EXPECT_EQ(by_name.count("y"), 0u);
  EXPECT_EQ(by_name.count("side"), 1u);
  EXPECT_EQ(l.elided_frames, 3u);
  ASSERT_EQ(by_name.count("big"), 1u);
  EXPECT_EQ(by_name["big"]->count, 9994u);  // the merged samples stay in the parent's width
}

TEST(Layout, EmptyProfileHasNoFrames) {
  Profile p;
  Layout l = layout_frames(p, {});
  EXPECT_TRUE(l.frames.empty());
  EXPECT_EQ(l.total, 0u);
}

}  // namespace
}  // namespace loadprof::flamegraph
