// The SVG writer: a laid-out profile becomes one self-contained interactive
// SVG (the JavaScript and CSS of flamegraph/*.js|css are embedded at build
// time): click to zoom, reset, regex search with the matched percent,
// tooltips, details line. Output is deterministic for the same input.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "loadprof/flamegraph/layout.h"
#include "loadprof/flamegraph/palette.h"
#include "loadprof/flamegraph/profile.h"

namespace loadprof::flamegraph {

struct RenderOptions {
  std::string title;       // empty: "Flame Graph", "Icicle Graph" or "Differential Flame Graph"
  std::string subtitle;    // empty: none
  Kind kind = Kind::cpu;   // palette and default count name
  std::string count_name;  // empty: count_name_for(kind)
  bool inverted = false;   // icicle: root at the top
  double min_width_px = 0.1;
  uint32_t width_px = 1200;
  // Differential: widths come from the profile rendered, colours from the
  // change of each frame's share of the total against this base profile.
  const Profile* diff_base = nullptr;
  // False: start at <svg> (no XML declaration or DOCTYPE), to inline the graph
  // in an HTML page; several graphs per page work (nothing uses ids).
  bool xml_prolog = true;
};

std::string render_svg(const Profile& profile, const RenderOptions& options);

// Appends text with &, <, >, ", ' escaped; bytes that are not valid UTF-8 and
// control characters XML 1.0 forbids become U+FFFD, so the SVG stays well formed.
void append_xml_escaped(std::string& out, std::string_view text);

// The label drawn inside a frame of width_px: the name, or its first code
// points and "..", or nothing below three characters (the JavaScript uses the
// same rule when it zooms).
std::string frame_label(std::string_view name, double width_px, double font_size_px, double font_width);

}  // namespace loadprof::flamegraph
