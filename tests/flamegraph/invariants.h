// Properties every folded input must keep through parse -> layout -> SVG,
// whatever the bytes: shared by the corpus replay test and the libFuzzer
// target. Returns an empty string when they hold, else what broke.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

#include "loadprof/flamegraph/layout.h"
#include "loadprof/flamegraph/profile.h"
#include "loadprof/flamegraph/svg.h"

namespace loadprof::flamegraph::testing {

inline std::string check_invariants(std::string_view input, size_t chunk_bytes) {
  Profile whole = parse_folded(input);
  Profile chunked;
  {
    FoldedParser parser(chunked);
    chunk_bytes = std::max<size_t>(chunk_bytes, 1);
    for (size_t i = 0; i < input.size(); i += chunk_bytes) parser.feed(input.substr(i, chunk_bytes));
    parser.finish();
  }
  if (whole.total_count() != chunked.total_count() || whole.node_count() != chunked.node_count() ||
      whole.junk_lines != chunked.junk_lines || whole.stack_lines != chunked.stack_lines) {
    return "chunked parse differs from whole parse";
  }
  uint64_t lines = static_cast<uint64_t>(std::count(input.begin(), input.end(), '\n'));
  if (!input.empty() && input.back() != '\n') ++lines;
  if (whole.stack_lines + whole.junk_lines + whole.blank_lines != lines)
    return "a line was neither stack, junk nor blank";
  // Children never hold more than their parent.
  std::vector<uint64_t> child_sum(whole.node_count(), 0);
  for (NodeId n = 1; n < whole.node_count(); ++n) {
    NodeId p = whole.parent(n);
    if (p >= n) return "parent created after child";
    uint64_t t = whole.total(n);
    child_sum[p] = child_sum[p] > UINT64_MAX - t ? UINT64_MAX : child_sum[p] + t;
  }
  for (NodeId n = 0; n < whole.node_count(); ++n) {
    if (child_sum[n] > whole.total(n) && whole.total(n) != UINT64_MAX) return "children exceed their parent";
  }
  LayoutOptions lo;
  lo.min_width_px = 0;
  Layout layout = layout_frames(whole, lo);
  for (const auto& f : layout.frames) {
    if (f.parent_index < 0) continue;
    const auto& parent = layout.frames[f.parent_index];
    if (f.start < parent.start || f.start + f.count > parent.start + parent.count)
      return "frame outside its parent";
    if (f.x_px + 1e-6 < parent.x_px || f.x_px + f.width_px > parent.x_px + parent.width_px + 1e-6) {
      return "frame box outside its parent's";
    }
  }
  for (bool inverted : {false, true}) {
    RenderOptions o;
    o.inverted = inverted;
    o.diff_base = inverted ? &chunked : nullptr;
    std::string svg = render_svg(whole, o);
    // Frame text is escaped: no raw control bytes, no '<' that does not start markup we wrote.
    for (unsigned char c : svg) {
      if (c < 0x20 && c != '\n' && c != '\t') return "control byte in the SVG";
    }
    if (svg.find("</svg>") == std::string::npos) return "SVG not closed";
  }
  return {};
}

}  // namespace loadprof::flamegraph::testing
