// SVG writer: golden files, widths in the picture, hostile names, palettes,
// kernel hue, differential colours, labels. Regenerate the golden files with
// LOADPROF_REGENERATE_GOLDEN=1 (then review the diff before committing).
#include "loadprof/flamegraph/svg.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <string>

#include "svg_frames.h"

namespace loadprof::flamegraph {
namespace {

using testing::find_frame;
using testing::read_text_file;
using testing::svg_frames;
using testing::write_text_file;

const std::string kData = std::string(LOADPROF_SOURCE_DIR) + "/tests/flamegraph/data/";
const std::string kGolden = std::string(LOADPROF_SOURCE_DIR) + "/tests/flamegraph/golden/";

Profile load(const std::string& name) {
  auto p = read_folded_file(kData + name);
  EXPECT_TRUE(p.ok());
  return std::move(p).value();
}

void check_golden(const std::string& name, const std::string& svg) {
  const std::string path = kGolden + name;
  if (std::getenv("LOADPROF_REGENERATE_GOLDEN")) {
    write_text_file(path, svg);
    GTEST_SKIP() << "regenerated " << path;
  }
  std::string expected = read_text_file(path);
  ASSERT_FALSE(expected.empty()) << "missing " << path << " (run with LOADPROF_REGENERATE_GOLDEN=1)";
  EXPECT_EQ(svg, expected) << "differs from " << path;
}

bool xml_well_formed(const std::string& svg, const std::string& tag) {
  const std::string path = ::testing::TempDir() + "wellformed_" + tag + ".svg";
  write_text_file(path, svg);
  return testing::run_shell("xmllint --noout --nonet '" + path + "'") == 0;
}

TEST(Svg, GoldenFlameGraph) {
  Profile p = load("simple.folded");
  RenderOptions o;
  o.title = "checkout service";
  o.subtitle = "golden test";
  std::string svg = render_svg(p, o);
  EXPECT_EQ(svg, render_svg(p, o)) << "output must be deterministic";
  check_golden("simple.svg", svg);
}

TEST(Svg, GoldenIcicleWithMinWidth) {
  Profile p = load("simple.folded");
  RenderOptions o;
  o.inverted = true;
  o.min_width_px = 12;  // 1180 px / 100 samples: "tiny" (1 sample, 11.8 px) is merged away
  o.kind = Kind::offcpu;
  std::string svg = render_svg(p, o);
  auto frames = svg_frames(svg);
  EXPECT_EQ(find_frame(frames, "tiny", 3), nullptr);
  ASSERT_NE(find_frame(frames, "idle", 3), nullptr);
  // Icicle: the root is the top row, children below it.
  EXPECT_LT(find_frame(frames, "all", 0)->y, find_frame(frames, "idle", 3)->y);
  check_golden("icicle_min_width.svg", svg);
}

TEST(Svg, GoldenDifferential) {
  Profile now = load("simple.folded");
  Profile base = load("base.folded");
  RenderOptions o;
  o.diff_base = &base;
  check_golden("diff.svg", render_svg(now, o));
}

TEST(Svg, FrameWidthsSumToTheirParents) {
  Profile p = load("simple.folded");
  RenderOptions o;
  o.min_width_px = 0;
  auto frames = svg_frames(render_svg(p, o));
  ASSERT_EQ(frames.size(), p.node_count());
  const double px_per_sample = 1180.0 / 100.0;
  EXPECT_NEAR(find_frame(frames, "all", 0)->width, 1180.0, 0.01);
  for (const auto& parent : frames) {
    double children_px = 0;
    uint64_t children_count = 0;
    for (const auto& c : frames) {
      if (c.depth == parent.depth + 1 && c.start >= parent.start &&
          c.start + c.count <= parent.start + parent.count) {
        children_px += c.width;
        children_count += c.count;
        EXPECT_GE(c.x + 0.01, parent.x);
        EXPECT_LE(c.x + c.width, parent.x + parent.width + 0.01);
      }
    }
    uint64_t self = parent.count - children_count;
    EXPECT_NEAR(children_px + self * px_per_sample, parent.width, 0.02) << parent.title;
    EXPECT_NEAR(parent.width, parent.count * px_per_sample, 0.005) << parent.title;
  }
  // Figures from the input: handle_request = 25 + 10 + 15 + 20 samples.
  const auto* hr = find_frame(frames, "handle_request", 3);
  ASSERT_NE(hr, nullptr);
  EXPECT_EQ(hr->count, 70u);
  EXPECT_EQ(hr->title, "handle_request (70 samples, 70.00%)");
}

TEST(Svg, HostileNamesAreEscapedAndTheSvgStaysWellFormed) {
  Profile p = parse_folded(
      "app;<script>alert(\"pwned\")</script> 3\n"
      "app;std::ostream& operator<< <char, std::char_traits<char> >(std::ostream&, char const*) 4\n"
      "app;it's \"quoted\" & 'single' 2\n"
      "app;]]></script><script>x() 2\n"
      "app;bad\xFF\xFE utf8 \xC3(\x01\x1F end 1\n"
      "app;\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E 1\n");
  std::string svg = render_svg(p, {});
  EXPECT_EQ(svg.find("<script>alert"), std::string::npos);
  EXPECT_EQ(svg.find("</script><script>x()"), std::string::npos);
  EXPECT_NE(svg.find("&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(svg.find("operator&lt;&lt; &lt;char, std::char_traits&lt;char&gt; &gt;(std::ostream&amp;"),
            std::string::npos);
  EXPECT_NE(svg.find("it&apos;s &quot;quoted&quot; &amp; &apos;single&apos;"), std::string::npos);
  // Invalid UTF-8 and control characters become U+FFFD; valid UTF-8 passes through.
  EXPECT_NE(svg.find("bad\xEF\xBF\xBD\xEF\xBF\xBD utf8 \xEF\xBF\xBD(\xEF\xBF\xBD\xEF\xBF\xBD end"),
            std::string::npos);
  EXPECT_NE(svg.find("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E (1 samples"), std::string::npos);
  EXPECT_EQ(svg.find('\x01'), std::string::npos);
  EXPECT_EQ(svg.find('\xFF'), std::string::npos);
  EXPECT_TRUE(xml_well_formed(svg, "hostile"));
  // Title and subtitle are escaped too.
  RenderOptions o;
  o.title = "a <b> & \"c\"";
  o.subtitle = "</text><script>";
  std::string titled = render_svg(p, o);
  EXPECT_NE(titled.find("a &lt;b&gt; &amp; &quot;c&quot;"), std::string::npos);
  EXPECT_TRUE(xml_well_formed(titled, "titled"));
}

TEST(Svg, ColoursAreStablePerNameAndFollowTheKind) {
  Profile one = parse_folded("svc;main;compute 5\nsvc;main;tcp_sendmsg_[k] 5\n");
  Profile two = parse_folded("other;x;y;z;compute 1\nother;zz 40\n");
  auto f1 = svg_frames(render_svg(one, {}));
  auto f2 = svg_frames(render_svg(two, {}));
  const auto* c1 = find_frame(f1, "compute", 3);
  const auto* c2 = find_frame(f2, "compute", 5);
  ASSERT_TRUE(c1 && c2);
  EXPECT_EQ(std::tie(c1->r, c1->g, c1->b), std::tie(c2->r, c2->g, c2->b)) << "same name, same colour";
  // cpu is warm: red dominates.
  EXPECT_GE(c1->r, 205);
  EXPECT_LE(c1->b, 55);
  // Kernel frames have their own hue (blue-violet), whatever the kind.
  const auto* k = find_frame(f1, "tcp_sendmsg_[k]", 3);
  ASSERT_TRUE(k);
  EXPECT_GE(k->b, 210);
  EXPECT_GT(k->b, k->r);
  auto color = [&](Kind kind) {
    RenderOptions o;
    o.kind = kind;
    return *find_frame(svg_frames(render_svg(one, o)), "compute", 3);
  };
  auto off = color(Kind::offcpu);
  EXPECT_GE(off.b, 190);
  EXPECT_GT(off.b, off.r);
  auto alloc = color(Kind::alloc);
  EXPECT_GE(alloc.g, 160);
  EXPECT_GT(alloc.g, alloc.r);
  EXPECT_GT(alloc.g, alloc.b);
  auto io = color(Kind::io);
  EXPECT_GE(io.g, 165);
  EXPECT_GE(io.b, 165);
  EXPECT_LE(io.r, 110);
  EXPECT_EQ(frame_color(Palette::hot, "x_[k]"), frame_color(Palette::green, "x_[k]"));
}

TEST(Svg, DifferentialColoursFollowTheSignOfTheChange) {
  // base: grow 10%, shrink 50%, same 40%. new: grow 40%, shrink 20%, same 40%.
  Profile base = parse_folded("m;grow 10\nm;shrink 50\nm;same 40\nm;gone 0\n");
  Profile now = parse_folded("m;grow 80\nm;shrink 40\nm;same 80\nm;fresh 0\n");
  RenderOptions o;
  o.diff_base = &base;
  o.min_width_px = 0;
  std::string svg = render_svg(now, o);
  auto frames = svg_frames(svg);
  const auto* grow = find_frame(frames, "grow", 2);
  const auto* shrink = find_frame(frames, "shrink", 2);
  const auto* same = find_frame(frames, "same", 2);
  ASSERT_TRUE(grow && shrink && same);
  EXPECT_GT(grow->r, grow->b);
  EXPECT_GT(shrink->b, shrink->r);
  EXPECT_EQ(same->r, same->b);
  // The largest change (+30 and -30 points) is fully saturated.
  EXPECT_EQ(std::tie(grow->r, grow->g, grow->b), std::make_tuple(255, 0, 0));
  EXPECT_EQ(std::tie(shrink->r, shrink->g, shrink->b), std::make_tuple(0, 0, 255));
  // Widths come from the new profile: grow is 80 of 200 samples.
  EXPECT_NEAR(grow->width, 1180.0 * 80 / 200, 0.01);
  EXPECT_NE(grow->title.find("40.00%; base 10.00%, change +30.00%"), std::string::npos) << grow->title;
  EXPECT_NE(shrink->title.find("20.00%; base 50.00%, change -30.00%"), std::string::npos) << shrink->title;
  EXPECT_NE(svg.find("shrank -30.00%"), std::string::npos);  // legend
  EXPECT_NE(svg.find("grew +30.00%"), std::string::npos);
  // Half the largest change is half saturated.
  EXPECT_EQ(diff_color(15, 30), (Rgb{238, 110, 110}));
  EXPECT_EQ(diff_color(-15, 30), (Rgb{110, 110, 238}));
}

TEST(Svg, LabelsAreCutToFitByCodePoints) {
  // 12 px * 0.59 = 7.08 px per character.
  EXPECT_EQ(frame_label("handle_request", 200, 12, 0.59), "handle_request");
  EXPECT_EQ(frame_label("handle_request", 50, 12, 0.59), "handl..");  // 7 chars fit
  EXPECT_EQ(frame_label("handle_request", 20, 12, 0.59), "");         // 2 chars: nothing
  EXPECT_EQ(frame_label("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE6\x97\xA5", 22, 12, 0.59), "\xE6\x97\xA5..");
}

TEST(Svg, WithoutPrologForInlineHtml) {
  Profile p = parse_folded("a;b 1\n");
  RenderOptions o;
  o.xml_prolog = false;
  std::string inline_svg = render_svg(p, o);
  EXPECT_EQ(inline_svg.rfind("<svg ", 0), 0u);
  std::string standalone = render_svg(p, {});
  EXPECT_EQ(standalone.rfind("<?xml ", 0), 0u);
  EXPECT_EQ(standalone.substr(standalone.find("<svg ")), inline_svg);
  EXPECT_EQ(inline_svg.find(" id=\""), std::string::npos) << "ids would collide between inline graphs";
}

TEST(Svg, EmptyProfileRendersAMessage) {
  Profile p = parse_folded("junk\n");
  std::string svg = render_svg(p, {});
  EXPECT_NE(svg.find("No stack counts found"), std::string::npos);
  EXPECT_TRUE(svg_frames(svg).empty());
  EXPECT_TRUE(xml_well_formed(svg, "empty"));
}

TEST(Svg, EmbeddedScriptAndStyleAreTheRepositoryFiles) {
  std::string svg = render_svg(parse_folded("a 1\n"), {});
  std::string js = read_text_file(std::string(LOADPROF_SOURCE_DIR) + "/flamegraph/flamegraph.js");
  std::string css = read_text_file(std::string(LOADPROF_SOURCE_DIR) + "/flamegraph/flamegraph.css");
  ASSERT_FALSE(js.empty());
  EXPECT_NE(svg.find(js), std::string::npos);
  EXPECT_NE(svg.find(css), std::string::npos);
  EXPECT_EQ(js.find("]]>"), std::string::npos) << "would end the CDATA section";
  EXPECT_EQ(css.find("]]>"), std::string::npos);
}

}  // namespace
}  // namespace loadprof::flamegraph

namespace loadprof::flamegraph {
namespace {

TEST(Svg, FractionalCountsShowTheirDecimals) {
  Profile p = parse_folded("main;a 2.5\nmain;b 1\nmain;c 0.125\n");
  std::string svg = render_svg(p, {});
  EXPECT_NE(svg.find("<title>a (2.5 samples, 68.97%)</title>"), std::string::npos);
  EXPECT_NE(svg.find("<title>b (1 samples, 27.59%)</title>"), std::string::npos);
  EXPECT_NE(svg.find("<title>c (0.125 samples, 3.45%)</title>"), std::string::npos);
  EXPECT_NE(svg.find("<title>all (3.625 samples, 100.00%)</title>"), std::string::npos);
}

}  // namespace
}  // namespace loadprof::flamegraph
