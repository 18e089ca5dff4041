// Layout of a profile's frame tree: each frame's sample range and its box in
// pixels. Children are ordered by name (as flamegraph.pl does, so the picture
// does not depend on input order); frames narrower than the minimum width are
// merged into their parent: they and their subtrees are not emitted, their
// samples stay in the parent's width.
#pragma once

#include <cstdint>
#include <vector>

#include "loadprof/flamegraph/profile.h"

namespace loadprof::flamegraph {

struct LayoutOptions {
  double width_px = 1200;     // whole image
  double xpad_px = 10;        // left and right margin
  double min_width_px = 0.1;  // narrower frames are not emitted
};

struct LaidOutFrame {
  NodeId node = kRootNode;
  int32_t parent_index = -1;  // index in Layout::frames, -1 for the root
  uint32_t depth = 0;         // root 0
  uint64_t start = 0;         // samples before this frame on its row
  uint64_t count = 0;         // this frame's samples, children included
  double x_px = 0;
  double width_px = 0;
};

struct Layout {
  std::vector<LaidOutFrame> frames;  // a parent always comes before its children
  uint32_t max_depth = 0;
  uint64_t total = 0;
  uint64_t elided_frames = 0;  // tree nodes not emitted (narrower than min width, with subtrees)
  double px_per_count = 0;
};

Layout layout_frames(const Profile& profile, const LayoutOptions& options);

}  // namespace loadprof::flamegraph
