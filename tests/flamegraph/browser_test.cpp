// The interactive behaviour in a real JavaScript engine: headless Chromium
// loads the rendered SVG (standalone, and inline twice in one HTML page as the
// report embeds it), a driver script clicks frames, searches and resets, and
// writes what the page then shows into the DOM; Chromium dumps the DOM and
// these tests assert on the figures. Chromium comes from scripts/install-deps.sh;
// set LOADPROF_CHROMIUM to use another binary.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <map>
#include <string>

#include "loadprof/flamegraph/svg.h"
#include "svg_frames.h"

namespace loadprof::flamegraph {
namespace {

using testing::write_text_file;

// Shared by every page: helpers, then checks() that drives one graph and
// records "prefix.key=value" pairs.
const char* kDriver = R"js(
function fgFind(svg, name, depth) {
  var gs = svg.getElementsByClassName('fg-f');
  for (var i = 0; i < gs.length; i++) {
    var t = gs[i].getElementsByTagName('title')[0].textContent;
    if (t.indexOf(name + ' (') === 0 && gs[i].getAttribute('data-d') === String(depth)) return gs[i];
  }
  throw new Error('no frame ' + name + ' at depth ' + depth);
}
function fgRect(svg, name, depth) { return fgFind(svg, name, depth).getElementsByTagName('rect')[0]; }
function fgClick(el) { el.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true, view: window})); }
function fgCls(svg, name, depth, cls) { return fgFind(svg, name, depth).classList.contains(cls) ? 1 : 0; }
function fgLabel(svg, name, depth) {
  var t = fgFind(svg, name, depth).getElementsByTagName('text')[0];
  return t ? t.textContent : '';
}
function fgMatched(svg) {
  var m = /Matched: ([0-9.]+)% \((\d+) frames\)/.exec(svg.getElementsByClassName('fg-matched')[0].textContent);
  return m ? m[1] + '/' + m[2] : 'none';
}
// Pixels between the rendered boxes of two elements on one row (first of
// each class, a left of b); negative when they overlap.
function fgGap(svg, a, b) {
  var ra = svg.getElementsByClassName(a)[0].getBoundingClientRect();
  var rb = svg.getElementsByClassName(b)[0].getBoundingClientRect();
  return Math.round(rb.left - ra.right);
}
function checks(svg, out, p) {
  function put(k, v) { out.push(p + k + '=' + v); }
  var api = svg.flamegraph;
  put('api', api ? 1 : 0);
  put('a.w0', fgRect(svg, 'a', 2).getAttribute('width'));
  // Hover: the details line shows name, samples and percent.
  fgRect(svg, 'c', 3).dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
  put('details', svg.getElementsByClassName('fg-details')[0].textContent);
  // Click "a": it and its subtree fill the width; ancestors stay, faded; the rest hides.
  fgClick(fgRect(svg, 'a', 2));
  put('a.w1', fgRect(svg, 'a', 2).getAttribute('width'));
  put('a.x1', fgRect(svg, 'a', 2).getAttribute('x'));
  put('b.w1', fgRect(svg, 'b', 3).getAttribute('width'));
  put('b.x1', fgRect(svg, 'b', 3).getAttribute('x'));
  put('c.w1', fgRect(svg, 'c', 3).getAttribute('width'));
  put('c.x1', fgRect(svg, 'c', 3).getAttribute('x'));
  put('c.label1', fgLabel(svg, 'c', 3));
  put('main.w1', fgRect(svg, 'main', 1).getAttribute('width'));
  put('main.parent1', fgCls(svg, 'main', 1, 'fg-parent'));
  put('all.parent1', fgCls(svg, 'all', 0, 'fg-parent'));
  put('other.hidden1', fgCls(svg, 'other', 2, 'fg-hide'));
  put('rec.hidden1', fgCls(svg, 'rec', 2, 'fg-hide'));
  put('a.hidden1', fgCls(svg, 'a', 2, 'fg-hide'));
  var reset = svg.getElementsByClassName('fg-reset')[0];
  put('reset.visible1', reset.classList.contains('fg-hide') ? 0 : 1);
  // Reset Zoom button.
  fgClick(reset);
  put('a.w2', fgRect(svg, 'a', 2).getAttribute('width'));
  put('b.x2', fgRect(svg, 'b', 3).getAttribute('x'));
  put('other.hidden2', fgCls(svg, 'other', 2, 'fg-hide'));
  put('main.parent2', fgCls(svg, 'main', 1, 'fg-parent'));
  put('reset.visible2', reset.classList.contains('fg-hide') ? 0 : 1);
  // Zoom into the middle of a recursion.
  fgClick(fgRect(svg, 'rec', 3));
  put('rec3.w3', fgRect(svg, 'rec', 3).getAttribute('width'));
  put('leaf.w3', fgRect(svg, 'leaf', 5).getAttribute('width'));
  put('rec2.parent3', fgCls(svg, 'rec', 2, 'fg-parent'));
  put('rec2.w3', fgRect(svg, 'rec', 2).getAttribute('width'));
  put('a.hidden3', fgCls(svg, 'a', 2, 'fg-hide'));
  fgClick(reset);
  // Search: the recursive "rec" frames (3 of them, nested) count once.
  api.search('^rec$');
  put('search.rec', fgMatched(svg));
  put('search.highlighted', svg.querySelectorAll('rect.fg-match').length);
  // The highlight really paints (CSS beats the fill attribute), and only matches.
  put('search.fill', getComputedStyle(fgRect(svg, 'rec', 3)).fill);
  put('search.other_fill_kept', getComputedStyle(fgRect(svg, 'other', 2)).fill ===
      'rgb(' + fgRect(svg, 'other', 2).getAttribute('fill').slice(4, -1).split(',').join(', ') + ')' ? 1 : 0);
  api.search('^(b|rec)$');
  put('search.b_rec', fgMatched(svg));
  api.search('leaf|rec');
  put('search.leaf_rec', fgMatched(svg));
  api.search('^REC$', false);
  put('search.case', fgMatched(svg));
  api.search('^REC$', true);
  put('search.ignorecase', fgMatched(svg));
  api.search('[');
  put('search.bad', svg.getElementsByClassName('fg-matched')[0].textContent.indexOf('Bad regex') === 0 ? 1 : 0);
  api.search('^a$', false);
  // The longer "Reset Search" label stays clear of the "ic" toggle next to it.
  put('search.label', svg.getElementsByClassName('fg-search')[0].textContent);
  put('search.ic_gap', fgGap(svg, 'fg-search', 'fg-ic'));
  put('search.ic_width', svg.getElementsByClassName('fg-ic')[0].getBoundingClientRect().width > 5 ? 1 : 0);
  fgClick(svg.getElementsByClassName('fg-search')[0]);  // "Reset Search" clears
  put('search.cleared', svg.querySelectorAll('rect.fg-match').length);
  put('search.fill_restored', getComputedStyle(fgRect(svg, 'rec', 3)).fill ===
      'rgb(' + fgRect(svg, 'rec', 3).getAttribute('fill').slice(4, -1).split(',').join(', ') + ')' ? 1 : 0);
}
)js";

const char* kFolded =
    "main;a;b 30\n"
    "main;a;c 10\n"
    "main;rec;rec;rec;leaf 20\n"
    "main;other 40\n";

std::string chromium_binary() {
  if (const char* env = std::getenv("LOADPROF_CHROMIUM")) return env;
  for (const char* c : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}) {
    if (::access(c, X_OK) == 0) return c;
  }
  return {};
}

// Loads path in headless Chromium and returns the pairs the driver wrote
// between RESULT[ and ]RESULT.
std::map<std::string, std::string> run_page(const std::string& path) {
  std::string chromium = chromium_binary();
  EXPECT_FALSE(chromium.empty())
      << "chromium not found: run scripts/install-deps.sh or set LOADPROF_CHROMIUM";
  if (chromium.empty()) return {};
  char profile_dir[] = "/tmp/loadprof-chromium-XXXXXX";
  EXPECT_NE(::mkdtemp(profile_dir), nullptr);
  std::string cmd = "timeout 120 '" + chromium +
                    "' --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                    "--disable-background-networking --disable-component-update --disable-sync "
                    "--disable-dev-shm-usage --user-data-dir=" +
                    std::string(profile_dir) + " --dump-dom 'file://" + path + "' 2>/dev/null";
  std::string dom;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) dom.append(buf, n);
    ::pclose(p);
  }
  testing::run_shell(std::string("rm -rf '") + profile_dir + "'");
  std::map<std::string, std::string> out;
  // The driver writes the markers split in its source, so only the result matches.
  size_t begin = dom.find("RESULT[");
  size_t end = dom.find("]RESULT");
  EXPECT_TRUE(begin != std::string::npos && end != std::string::npos && end > begin)
      << "no result in the page; DOM starts: " << dom.substr(0, 400);
  if (begin == std::string::npos || end == std::string::npos || end < begin) return out;
  std::string body = dom.substr(begin + 7, end - begin - 7);
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t semi = body.find('\x1e', pos);
    if (semi == std::string::npos) semi = body.size();
    std::string item = body.substr(pos, semi - pos);
    size_t eq = item.find('=');
    if (eq != std::string::npos) out[item.substr(0, eq)] = item.substr(eq + 1);
    pos = semi + 1;
  }
  return out;
}

void expect_checks(std::map<std::string, std::string>& r, const std::string& p) {
  SCOPED_TRACE("graph " + p);
  // 100 samples over 1180 px: 11.8 px per sample.
  EXPECT_EQ(r[p + "api"], "1");
  EXPECT_EQ(r[p + "a.w0"], "472.00");
  EXPECT_EQ(r[p + "details"], "c (10 samples, 10.00%)");
  EXPECT_EQ(r[p + "a.w1"], "1180.00");
  EXPECT_EQ(r[p + "a.x1"], "10.00");
  EXPECT_EQ(r[p + "b.w1"], "885.00");  // 30 of a's 40 samples
  EXPECT_EQ(r[p + "b.x1"], "10.00");
  EXPECT_EQ(r[p + "c.w1"], "295.00");
  EXPECT_EQ(r[p + "c.x1"], "895.00");
  EXPECT_EQ(r[p + "c.label1"], "c");
  EXPECT_EQ(r[p + "main.w1"], "1180.00");
  EXPECT_EQ(r[p + "main.parent1"], "1");
  EXPECT_EQ(r[p + "all.parent1"], "1");
  EXPECT_EQ(r[p + "other.hidden1"], "1");
  EXPECT_EQ(r[p + "rec.hidden1"], "1");
  EXPECT_EQ(r[p + "a.hidden1"], "0");
  EXPECT_EQ(r[p + "reset.visible1"], "1");
  EXPECT_EQ(r[p + "a.w2"], "472.00");
  EXPECT_EQ(r[p + "b.x2"], "10.00");
  EXPECT_EQ(r[p + "other.hidden2"], "0");
  EXPECT_EQ(r[p + "main.parent2"], "0");
  EXPECT_EQ(r[p + "reset.visible2"], "0");
  EXPECT_EQ(r[p + "rec3.w3"], "1180.00");
  EXPECT_EQ(r[p + "leaf.w3"], "1180.00");
  EXPECT_EQ(r[p + "rec2.parent3"], "1");
  EXPECT_EQ(r[p + "rec2.w3"], "1180.00");
  EXPECT_EQ(r[p + "a.hidden3"], "1");
  // rec appears 3 times nested under 20 samples: 20%, not 60%.
  EXPECT_EQ(r[p + "search.rec"], "20.00/3");
  EXPECT_EQ(r[p + "search.highlighted"], "3");
  EXPECT_EQ(r[p + "search.fill"], "rgb(230, 0, 230)");
  EXPECT_EQ(r[p + "search.other_fill_kept"], "1");
  EXPECT_EQ(r[p + "search.b_rec"], "50.00/4");
  EXPECT_EQ(r[p + "search.leaf_rec"], "20.00/4");
  EXPECT_EQ(r[p + "search.case"], "0.00/0");
  EXPECT_EQ(r[p + "search.ignorecase"], "20.00/3");
  EXPECT_EQ(r[p + "search.bad"], "1");
  EXPECT_EQ(r[p + "search.label"], "Reset Search");
  // Apart by more than a hairline: before, 1 px with DejaVu Sans and overlapping with the wider Verdana (bold
  // while a search is on); the label now grows leftwards from 20 px before "ic", whatever the font.
  EXPECT_GE(std::stoi(r[p + "search.ic_gap"].empty() ? "-999" : r[p + "search.ic_gap"]), 8);
  EXPECT_EQ(r[p + "search.ic_width"], "1");  // the box test measured real text
  EXPECT_EQ(r[p + "search.cleared"], "0");
  EXPECT_EQ(r[p + "search.fill_restored"], "1");
}

std::string temp_path(const std::string& name) { return ::testing::TempDir() + "loadprof_browser_" + name; }

TEST(Browser, StandaloneSvgZoomsSearchesAndResets) {
  Profile p = parse_folded(kFolded);
  std::string svg = render_svg(p, {});
  // The driver runs inside the SVG document itself, after the graph's script.
  std::string driver = std::string("<script type=\"text/ecmascript\"><![CDATA[\n") + kDriver +
                       "\n(function () {\n"
                       "  var svg = document.documentElement, out = [];\n"
                       "  try { checks(svg, out, 's.'); } catch (e) { out.push('error=' + e.message); }\n"
                       "  var t = document.createElementNS('http://www.w3.org/2000/svg', 'text');\n"
                       "  t.textContent = 'RES' + 'ULT[' + out.join('\\x1e') + ']RES' + 'ULT';\n"
                       "  svg.appendChild(t);\n"
                       "})();\n]]></script>\n</svg>\n";
  svg.replace(svg.rfind("</svg>"), std::string::npos, driver);
  const std::string path = temp_path("standalone.svg");
  write_text_file(path, svg);
  auto r = run_page(path);
  EXPECT_EQ(r.count("error"), 0u) << r["error"];
  expect_checks(r, "s.");
}

TEST(Browser, TwoInlineGraphsInOneHtmlPageStayIndependent) {
  Profile p = parse_folded(kFolded);
  RenderOptions flame, icicle;
  flame.xml_prolog = false;
  icicle.xml_prolog = false;
  icicle.inverted = true;
  std::string html =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>\n<div id=\"g1\">" +
      render_svg(p, flame) + "</div>\n<div id=\"g2\">" + render_svg(p, icicle) +
      "</div>\n<pre id=\"result\"></pre>\n<script>\n" + kDriver +
      "\n(function () {\n"
      "  var out = [];\n"
      "  try {\n"
      "    var g1 = document.querySelector('#g1 svg'), g2 = document.querySelector('#g2 svg');\n"
      "    checks(g2, out, 'i.');\n"
      "    fgClick(fgRect(g1, 'a', 2));\n"
      "    out.push('g2.a.after_g1_zoom=' + fgRect(g2, 'a', 2).getAttribute('width'));\n"
      "    out.push('g1.a.zoomed=' + fgRect(g1, 'a', 2).getAttribute('width'));\n"
      "    g1.flamegraph.search('^b$');\n"
      "    out.push('g2.matches=' + g2.querySelectorAll('rect.fg-match').length);\n"
      "    out.push('g1.matches=' + g1.querySelectorAll('rect.fg-match').length);\n"
      "  } catch (e) { out.push('error=' + e.message); }\n"
      "  document.getElementById('result').textContent = 'RES' + 'ULT[' + out.join('\\x1e') + ']RES' + "
      "'ULT';\n"
      "})();\n</script>\n</body></html>\n";
  const std::string path = temp_path("inline.html");
  write_text_file(path, html);
  auto r = run_page(path);
  EXPECT_EQ(r.count("error"), 0u) << r["error"];
  expect_checks(r, "i.");
  EXPECT_EQ(r["g2.a.after_g1_zoom"], "472.00");
  EXPECT_EQ(r["g1.a.zoomed"], "1180.00");
  EXPECT_EQ(r["g2.matches"], "0");
  EXPECT_EQ(r["g1.matches"], "1");
}

}  // namespace
}  // namespace loadprof::flamegraph

namespace loadprof::flamegraph {
namespace {

TEST(Browser, DifferentialGraphKeepsItsColoursThroughSearchAndZoom) {
  Profile now = parse_folded(kFolded);
  Profile base = parse_folded("main;a;b 10\nmain;other 90\n");
  RenderOptions o;
  o.diff_base = &base;
  std::string svg = render_svg(now, o);
  std::string driver =
      std::string("<script type=\"text/ecmascript\"><![CDATA[\n") + kDriver +
      "\n(function () {\n"
      "  var svg = document.documentElement, out = [];\n"
      "  function fill(n, d) { return getComputedStyle(fgRect(svg, n, d)).fill; }\n"
      "  try {\n"
      "    out.push('b.fill0=' + fill('b', 3));\n"
      "    out.push('other.fill0=' + fill('other', 2));\n"
      "    fgRect(svg, 'b', 3).dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));\n"
      "    out.push('details=' + svg.getElementsByClassName('fg-details')[0].textContent);\n"
      "    fgClick(fgRect(svg, 'a', 2));\n"
      "    out.push('b.w1=' + fgRect(svg, 'b', 3).getAttribute('width'));\n"
      "    svg.flamegraph.search('^b$');\n"
      "    out.push('search=' + fgMatched(svg));\n"
      "    svg.flamegraph.clearSearch();\n"
      "    out.push('b.fill1=' + fill('b', 3));\n"
      "  } catch (e) { out.push('error=' + e.message); }\n"
      "  var t = document.createElementNS('http://www.w3.org/2000/svg', 'text');\n"
      "  t.textContent = 'RES' + 'ULT[' + out.join('\\x1e') + ']RES' + 'ULT';\n"
      "  svg.appendChild(t);\n"
      "})();\n]]></script>\n</svg>\n";
  svg.replace(svg.rfind("</svg>"), std::string::npos, driver);
  const std::string path = temp_path("diff.svg");
  write_text_file(path, svg);
  auto r = run_page(path);
  EXPECT_EQ(r.count("error"), 0u) << r["error"];
  // other: 90% -> 40%, the largest change (-50 points): full blue. b: 10% -> 30%, +20 points:
  // red at 20/50 of full saturation.
  EXPECT_EQ(r["b.fill0"], "rgb(234, 132, 132)");
  EXPECT_EQ(r["other.fill0"], "rgb(0, 0, 255)");
  EXPECT_EQ(r["details"], "b (30 samples, 30.00%; base 10.00%, change +20.00%)");
  EXPECT_EQ(r["b.w1"], "885.00");
  EXPECT_EQ(r["search"], "30.00/1");
  EXPECT_EQ(r["b.fill1"], "rgb(234, 132, 132)");
}

}  // namespace
}  // namespace loadprof::flamegraph
