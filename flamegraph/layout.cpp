// Layout: children ordered by name, x from the samples before a frame on its
// row, narrow subtrees merged into their parent (see layout.h).
#include "loadprof/flamegraph/layout.h"

#include <algorithm>
#include <numeric>

namespace loadprof::flamegraph {

Layout layout_frames(const Profile& profile, const LayoutOptions& options) {
  Layout layout;
  layout.total = profile.total_count();
  const size_t n = profile.node_count();
  if (layout.total == 0) {
    layout.elided_frames = n - 1;
    return layout;
  }
  const double drawable = std::max(0.0, options.width_px - 2 * options.xpad_px);
  layout.px_per_count = drawable / static_cast<double>(layout.total);

  // Children of every node, contiguous (CSR); sorted lazily, only for nodes drawn.
  std::vector<uint32_t> first(n + 1, 0);
  for (NodeId c = 1; c < n; ++c) ++first[profile.parent(c) + 1];
  std::partial_sum(first.begin(), first.end(), first.begin());
  std::vector<NodeId> children(n > 0 ? n - 1 : 0);
  {
    std::vector<uint32_t> fill(first.begin(), first.end() - 1);
    for (NodeId c = 1; c < n; ++c) children[fill[profile.parent(c)]++] = c;
  }
  // Name ranks turn the sort of siblings into an integer sort.
  std::vector<uint32_t> order(profile.name_count());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return profile.name_by_id(a) < profile.name_by_id(b); });
  std::vector<uint32_t> rank(order.size());
  for (uint32_t i = 0; i < order.size(); ++i) rank[order[i]] = i;
  // Subtree sizes (a child's id is always above its parent's), for the elided count.
  std::vector<uint32_t> subtree(n, 1);
  for (NodeId c = static_cast<NodeId>(n) - 1; c >= 1; --c) subtree[profile.parent(c)] += subtree[c];

  layout.frames.push_back({kRootNode, -1, 0, 0, layout.total, options.xpad_px, drawable});
  std::vector<uint32_t> todo{0};
  while (!todo.empty()) {
    uint32_t fi = todo.back();
    todo.pop_back();
    const LaidOutFrame parent = layout.frames[fi];
    auto begin = children.begin() + first[parent.node];
    auto end = children.begin() + first[parent.node + 1];
    std::sort(begin, end,
              [&](NodeId a, NodeId b) { return rank[profile.name_id(a)] < rank[profile.name_id(b)]; });
    uint64_t start = parent.start;
    for (auto it = begin; it != end; ++it) {
      NodeId c = *it;
      // Saturated totals (absurd counts) must not push a child past its parent.
      uint64_t count = std::min(profile.total(c), parent.start + parent.count - start);
      double width = static_cast<double>(count) * layout.px_per_count;
      if (count == 0 || width < options.min_width_px) {
        layout.elided_frames += subtree[c];
      } else {
        LaidOutFrame f;
        f.node = c;
        f.parent_index = static_cast<int32_t>(fi);
        f.depth = parent.depth + 1;
        f.start = start;
        f.count = count;
        f.x_px = options.xpad_px + static_cast<double>(start) * layout.px_per_count;
        f.width_px = width;
        layout.max_depth = std::max(layout.max_depth, f.depth);
        todo.push_back(static_cast<uint32_t>(layout.frames.size()));
        layout.frames.push_back(f);
      }
      start += count;
    }
  }
  return layout;
}

}  // namespace loadprof::flamegraph
