// The SVG writer (see svg.h). Geometry follows flamegraph.pl's conventions
// (1200 px wide, 16 px rows, 12 px Verdana) so the pictures look familiar;
// the code and the script are loadprof's own.
#include "loadprof/flamegraph/svg.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

namespace loadprof::flamegraph {

namespace embedded {
extern const std::string_view flamegraph_js;
extern const std::string_view flamegraph_css;
}  // namespace embedded

namespace {

constexpr double kFontSizePx = 12;
constexpr double kFontWidth = 0.59;  // average glyph width / font size for Verdana
constexpr double kFrameHeightPx = 16;
constexpr double kXpadPx = 10;
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence at s[i] that XML 1.0 allows, or 0.
size_t valid_sequence(std::string_view s, size_t i) {
  auto b = [&](size_t k) -> unsigned {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0x100;
  };
  auto cont = [](unsigned c) { return c >= 0x80 && c <= 0xBF; };
  unsigned c = b(0);
  if (c < 0x80) return (c >= 0x20 || c == '\t' || c == '\n') ? 1 : 0;  // a CR would not survive XML parsing
  if (c >= 0xC2 && c <= 0xDF) return cont(b(1)) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    unsigned c1 = b(1);
    unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;  // no overlongs, no surrogates
    if (c1 < lo || c1 > hi || !cont(b(2))) return 0;
    if (c == 0xEF && c1 == 0xBF && (b(2) == 0xBE || b(2) == 0xBF)) return 0;  // U+FFFE, U+FFFF
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    unsigned c1 = b(1);
    unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    if (c1 < lo || c1 > hi || !cont(b(2)) || !cont(b(3))) return 0;
    return 4;
  }
  return 0;
}

void append_u64(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_fixed(std::string& out, double v, int precision) {
  static constexpr double kHalfUnit[] = {0.5, 0.05, 0.005, 0.0005};
  if (std::fabs(v) < kHalfUnit[std::clamp(precision, 0, 3)]) v = 0;  // no "-0.00"
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, precision);
  out.append(buf, r.ptr);
}

// 1234567 -> "1,234,567"
void append_thousands(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  size_t n = static_cast<size_t>(r.ptr - buf);
  for (size_t i = 0; i < n; ++i) {
    if (i > 0 && (n - i) % 3 == 0) out.push_back(',');
    out.push_back(buf[i]);
  }
}

// A frame's count for people: integer counts as they are, scaled fractional
// ones (Profile::count_scale) with up to three decimals, "2.5".
void append_count(std::string& out, uint64_t count, uint64_t scale) {
  append_thousands(out, count / scale);
  uint64_t rest = count % scale;
  if (rest == 0) return;
  std::string digits = std::to_string(rest + scale).substr(1);  // zero-padded
  while (!digits.empty() && digits.back() == '0') digits.pop_back();
  out.push_back('.');
  out.append(digits);
}

void append_percent(std::string& out, double pct) {
  append_fixed(out, pct, 2);
  out.push_back('%');
}

void append_signed_percent(std::string& out, double pct) {
  if (pct >= 0.005) out.push_back('+');
  append_percent(out, pct);
}

void append_rgb(std::string& out, Rgb c) {
  out.append("rgb(");
  append_u64(out, c.r);
  out.push_back(',');
  append_u64(out, c.g);
  out.push_back(',');
  append_u64(out, c.b);
  out.push_back(')');
}

struct Geometry {
  double width = 1200, height = 0;
  double ypad_top = 0, ypad_bottom = 0;
};

void append_text(std::string& out, std::string_view cls, double x, double y, std::string_view text) {
  out.append("<text class=\"").append(cls).append("\" x=\"");
  append_fixed(out, x, 2);
  out.append("\" y=\"");
  append_fixed(out, y, 2);
  out.append("\">");
  append_xml_escaped(out, text);
  out.append("</text>\n");
}

}  // namespace

void append_xml_escaped(std::string& out, std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    switch (c) {
      case '&':
        out.append("&amp;");
        ++i;
        continue;
      case '<':
        out.append("&lt;");
        ++i;
        continue;
      case '>':
        out.append("&gt;");
        ++i;
        continue;
      case '"':
        out.append("&quot;");
        ++i;
        continue;
      case '\'':
        out.append("&apos;");
        ++i;
        continue;
      default:
        break;
    }
    size_t n = valid_sequence(text, i);
    if (n == 0) {
      out.append(kReplacement);
      ++i;
    } else {
      out.append(text.data() + i, n);
      i += n;
    }
  }
}

std::string frame_label(std::string_view name, double width_px, double font_size_px, double font_width) {
  double per_char = font_size_px * font_width;
  if (per_char <= 0 || !(width_px > 0)) return {};
  double fit = std::floor(width_px / per_char);
  if (fit < 3) return {};
  size_t max_chars = fit > 1e6 ? 1000000 : static_cast<size_t>(fit);
  // Walk code points (an invalid byte counts as one, as its U+FFFD will).
  size_t i = 0, chars = 0, cut = 0;
  while (i < name.size()) {
    if (chars == max_chars - 2) cut = i;
    if (chars == max_chars) return std::string(name.substr(0, cut)) + "..";
    size_t n = valid_sequence(name, i);
    i += n == 0 ? 1 : n;
    ++chars;
  }
  return std::string(name);
}

std::string render_svg(const Profile& profile, const RenderOptions& options) {
  const bool diff = options.diff_base != nullptr;
  LayoutOptions lo;
  lo.width_px = std::max<uint32_t>(options.width_px, 200);
  lo.xpad_px = kXpadPx;
  lo.min_width_px = std::max(0.0, options.min_width_px);
  Layout layout = layout_frames(profile, lo);

  std::string title = options.title;
  if (title.empty())
    title = diff ? "Differential Flame Graph" : options.inverted ? "Icicle Graph" : "Flame Graph";
  std::string count_name =
      options.count_name.empty() ? std::string(count_name_for(options.kind)) : options.count_name;
  const Palette palette = palette_for(options.kind);

  Geometry g;
  g.width = lo.width_px;
  g.ypad_top = kFontSizePx * 3 + (options.subtitle.empty() ? 0 : kFontSizePx * 2) + (diff ? 24 : 0);
  g.ypad_bottom = kFontSizePx * 2 + 10;
  const uint32_t rows = layout.frames.empty() ? 1 : layout.max_depth + 1;
  g.height = g.ypad_top + g.ypad_bottom + rows * kFrameHeightPx;

  // Differential: each frame's share of its profile against the same stack's share of the base.
  std::vector<double> delta_pct;
  std::vector<double> base_pct;
  double max_abs_delta = 0;
  if (diff) {
    const Profile& base = *options.diff_base;
    const double base_total = static_cast<double>(base.total_count());
    std::vector<NodeId> base_node(layout.frames.size(), kNoNode);
    delta_pct.resize(layout.frames.size());
    base_pct.resize(layout.frames.size());
    for (size_t i = 0; i < layout.frames.size(); ++i) {
      const LaidOutFrame& f = layout.frames[i];
      NodeId b = kRootNode;
      if (f.parent_index >= 0) {
        NodeId bp = base_node[f.parent_index];
        b = bp == kNoNode ? kNoNode : base.find_child(bp, profile.name(f.node));
      }
      base_node[i] = b;
      double share = 100.0 * static_cast<double>(f.count) / static_cast<double>(layout.total);
      double base_share =
          (b == kNoNode || base_total == 0) ? 0 : 100.0 * static_cast<double>(base.total(b)) / base_total;
      base_pct[i] = base_share;
      delta_pct[i] = share - base_share;
      if (f.depth > 0) max_abs_delta = std::max(max_abs_delta, std::fabs(delta_pct[i]));
    }
  }

  std::string out;
  out.reserve(4096 + layout.frames.size() * 260 + embedded::flamegraph_js.size());
  if (options.xml_prolog) {
    out.append("<?xml version=\"1.0\" standalone=\"no\"?>\n");
    out.append(
        "<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" "
        "\"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n");
  }
  out.append("<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" class=\"flamegraph\" width=\"");
  append_fixed(out, g.width, 0);
  out.append("\" height=\"");
  append_fixed(out, g.height, 0);
  out.append("\" viewBox=\"0 0 ");
  append_fixed(out, g.width, 0);
  out.push_back(' ');
  append_fixed(out, g.height, 0);
  out.append("\" data-total=\"");
  append_u64(out, layout.total);
  out.append("\" data-xpad=\"");
  append_fixed(out, kXpadPx, 0);
  out.append("\" data-font-size=\"");
  append_fixed(out, kFontSizePx, 0);
  out.append("\" data-font-width=\"");
  append_fixed(out, kFontWidth, 2);
  out.append("\" data-count-name=\"");
  append_xml_escaped(out, count_name);
  out.append("\" data-kind=\"");
  out.append(kind_name(options.kind));
  out.append("\" data-inverted=\"").append(options.inverted ? "1" : "0");
  out.append("\" data-diff=\"").append(diff ? "1" : "0");
  out.append("\" data-frames=\"");
  append_u64(out, layout.frames.size());
  out.append("\" data-elided=\"");
  append_u64(out, layout.elided_frames);
  out.append("\">\n");
  out.append("<style type=\"text/css\"><![CDATA[\n").append(embedded::flamegraph_css).append("]]></style>\n");
  out.append("<rect class=\"fg-background\" x=\"0\" y=\"0\" width=\"100%\" height=\"100%\"/>\n");
  append_text(out, "fg-title", g.width / 2, kFontSizePx * 2, title);
  if (!options.subtitle.empty())
    append_text(out, "fg-subtitle", g.width / 2, kFontSizePx * 4, options.subtitle);
  append_text(out, "fg-button fg-reset fg-hide", kXpadPx, kFontSizePx * 2, "Reset Zoom");
  // Search grows leftwards as it becomes "Reset Search", clear of "ic".
  append_text(out, "fg-button fg-search fg-right", g.width - kXpadPx - 30, kFontSizePx * 2, "Search");
  append_text(out, "fg-button fg-ic fg-right", g.width - kXpadPx, kFontSizePx * 2, "ic");
  append_text(out, "fg-details", kXpadPx, g.height - kFontSizePx - 5, " ");
  append_text(out, "fg-matched fg-right", g.width - kXpadPx, g.height - kFontSizePx - 5, " ");
  if (diff) {
    // Legend: eleven swatches from "shrank by the largest change" to "grew by it".
    const double y = g.ypad_top - 30;
    const double swatch = 24, x0 = g.width / 2 - 5.5 * swatch;
    out.append("<g class=\"fg-legend\">\n");
    std::string left = "shrank ", right = "grew ";
    append_signed_percent(left, -max_abs_delta);
    append_signed_percent(right, max_abs_delta);
    out.append("<text class=\"fg-right\" x=\"");
    append_fixed(out, x0 - 6, 2);
    out.append("\" y=\"");
    append_fixed(out, y + 11, 2);
    out.append("\">");
    append_xml_escaped(out, left);
    out.append("</text>\n");
    for (int i = 0; i < 11; ++i) {
      double d = max_abs_delta * (i - 5) / 5.0;
      out.append("<rect x=\"");
      append_fixed(out, x0 + i * swatch, 2);
      out.append("\" y=\"");
      append_fixed(out, y, 2);
      out.append("\" width=\"");
      append_fixed(out, swatch, 2);
      out.append("\" height=\"14\" fill=\"");
      append_rgb(out, diff_color(i == 5 ? 0 : d, max_abs_delta == 0 ? 1 : max_abs_delta));
      out.append("\"/>\n");
    }
    out.append("<text x=\"");
    append_fixed(out, x0 + 11 * swatch + 6, 2);
    out.append("\" y=\"");
    append_fixed(out, y + 11, 2);
    out.append("\">");
    append_xml_escaped(out, right);
    out.append(" (share of total, against the base)</text>\n</g>\n");
  }
  if (layout.frames.empty()) {
    append_text(out, "fg-empty", g.width / 2, g.ypad_top + kFrameHeightPx, "No stack counts found");
  }

  out.append("<g class=\"fg-frames\">\n");
  const double total = static_cast<double>(layout.total);
  for (size_t i = 0; i < layout.frames.size(); ++i) {
    const LaidOutFrame& f = layout.frames[i];
    std::string_view name = profile.name(f.node);
    const double y = options.inverted ? g.ypad_top + f.depth * kFrameHeightPx
                                      : g.height - g.ypad_bottom - (f.depth + 1) * kFrameHeightPx;
    const Rgb color = diff ? diff_color(delta_pct[i], max_abs_delta) : frame_color(palette, name);
    // Black labels are unreadable on the saturated ends of the differential scale.
    const bool dark = diff && 0.299 * color.r + 0.587 * color.g + 0.114 * color.b < 90;
    out.append(dark ? "<g class=\"fg-f fg-dark\" data-s=\"" : "<g class=\"fg-f\" data-s=\"");
    append_u64(out, f.start);
    out.append("\" data-n=\"");
    append_u64(out, f.count);
    out.append("\" data-d=\"");
    append_u64(out, f.depth);
    out.append("\"><title>");
    append_xml_escaped(out, name);
    out.append(" (");
    append_count(out, f.count, profile.count_scale());
    out.push_back(' ');
    append_xml_escaped(out, count_name);
    out.append(", ");
    append_percent(out, 100.0 * static_cast<double>(f.count) / total);
    if (diff) {
      out.append("; base ");
      append_percent(out, base_pct[i]);
      out.append(", change ");
      append_signed_percent(out, delta_pct[i]);
    }
    out.append(")</title><rect x=\"");
    append_fixed(out, f.x_px, 2);
    out.append("\" y=\"");
    append_fixed(out, y, 2);
    out.append("\" width=\"");
    append_fixed(out, f.width_px, 2);
    out.append("\" height=\"");
    append_fixed(out, kFrameHeightPx - 1, 0);
    out.append("\" fill=\"");
    append_rgb(out, color);
    out.append("\"/>");
    std::string label = frame_label(name, f.width_px, kFontSizePx, kFontWidth);
    if (!label.empty()) {
      out.append("<text x=\"");
      append_fixed(out, f.x_px + 3, 2);
      out.append("\" y=\"");
      append_fixed(out, y + 10.5, 2);
      out.append("\">");
      append_xml_escaped(out, label);
      out.append("</text>");
    }
    out.append("</g>\n");
  }
  out.append("</g>\n");
  // The script comes last so that every frame exists when it runs.
  out.append("<script type=\"text/ecmascript\"><![CDATA[\n")
      .append(embedded::flamegraph_js)
      .append("]]></script>\n");
  out.append("</svg>\n");
  return out;
}

}  // namespace loadprof::flamegraph
