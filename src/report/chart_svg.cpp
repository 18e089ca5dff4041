// Line charts as inline SVG (chart_svg.h).
#include "chart_svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "html_text.h"
#include "loadprof/flamegraph/svg.h"

namespace loadprof::report {
namespace {

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

// A figure for a tick or a tooltip: few digits, none wasted.
std::string figure(double v) {
  char b[32];
  const double a = std::fabs(v);
  std::snprintf(b, sizeof b, a >= 100 || a == 0 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.3g", v);
  return b;
}

// A value for the hover script: enough digits, no trailing noise.
std::string value(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

// 1, 2 or 5 x 10^k: about `count` steps over `range`.
double nice_step(double range, int count) {
  if (range <= 0) return 1;
  const double raw = range / count;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double r = raw / mag;
  return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * mag;
}

}  // namespace

std::vector<ChartPoint> downsample(const std::vector<ChartPoint>& points, size_t max_points, bool use_max) {
  if (points.size() <= max_points || max_points == 0) return points;
  const size_t per = (points.size() + max_points - 1) / max_points;
  std::vector<ChartPoint> out;
  out.reserve(points.size() / per + 1);
  for (size_t i = 0; i < points.size(); i += per) {
    const size_t end = std::min(points.size(), i + per);
    double y = use_max ? points[i].y : 0;
    for (size_t j = i; j < end; ++j) y = use_max ? std::max(y, points[j].y) : y + points[j].y;
    if (!use_max) y /= static_cast<double>(end - i);
    out.push_back({points[i].x, y});
  }
  return out;
}

std::string render_chart_svg(const Chart& chart) {
  constexpr double kWidth = 960, kHeight = 250, kLeft = 64, kRight = 150, kTop = 12, kBottom = 42;
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;

  std::vector<std::vector<ChartPoint>> drawn;
  std::string notes;
  double x_min = 0, x_max = 0, y_max = 0;
  bool first = true;
  for (const auto& s : chart.series) {
    drawn.push_back(downsample(s.points, kMaxChartPoints, s.reduce_max));
    if (drawn.back().size() < s.points.size()) {
      const size_t per = (s.points.size() + kMaxChartPoints - 1) / kMaxChartPoints;
      notes += "<p class=\"note\">" + esc(s.name) + ": " + std::to_string(s.points.size()) +
               " points downsampled to " + std::to_string(drawn.back().size()) + " (the " +
               (s.reduce_max ? "max" : "mean") + " of every " + std::to_string(per) + ").</p>\n";
    }
    for (const auto& p : s.points) {
      if (first) x_min = x_max = p.x, first = false;
      x_min = std::min(x_min, p.x);
      x_max = std::max(x_max, p.x);
      y_max = std::max(y_max, p.y);
    }
  }
  for (const auto& m : chart.marks) {
    if (first) x_min = x_max = m.x, first = false;
    x_min = std::min(x_min, m.x);
    x_max = std::max(x_max, m.x);
  }
  if (x_max <= x_min) x_max = x_min + 1;
  const double y_step = nice_step(y_max > 0 ? y_max : 1, 4);
  const double y_top = std::max(y_step, std::ceil((y_max > 0 ? y_max : 1) / y_step) * y_step);
  const auto px = [&](double x) { return kLeft + plot_w * (x - x_min) / (x_max - x_min); };
  const auto py = [&](double y) { return kTop + plot_h * (1 - y / y_top); };

  std::string out =
      "<figure class=\"chart-box\">\n<figcaption>" + esc(chart.title) + "</figcaption>\n" + notes;
  out += "<svg class=\"chart line-chart\" data-chart=\"" + esc(chart.id) +
         "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(kWidth) + "\" height=\"" + num(kHeight) +
         "\" viewBox=\"0 0 " + num(kWidth) + " " + num(kHeight) + "\" data-x-min=\"" + value(x_min) +
         "\" data-x-max=\"" + value(x_max) + "\" data-left=\"" + num(kLeft) + "\" data-plot-w=\"" +
         num(plot_w) + "\" data-x-unit=\"" + esc(chart.x_unit) + "\" data-y-unit=\"" + esc(chart.y_unit) +
         "\" data-time=\"" + (chart.x_is_time ? "1" : "0") + "\">\n";
  // Horizontal grid and y ticks.
  for (double y = 0; y <= y_top + y_step / 2; y += y_step) {
    out += "<line x1=\"" + num(kLeft) + "\" x2=\"" + num(kLeft + plot_w) + "\" y1=\"" + num(py(y)) +
           "\" y2=\"" + num(py(y)) + "\" stroke=\"#ddd\" stroke-width=\"0.6\"/><text x=\"" + num(kLeft - 5) +
           "\" y=\"" + num(py(y) + 4) + "\" text-anchor=\"end\">" + figure(y) + "</text>\n";
  }
  // x ticks.
  const double x_step = nice_step(x_max - x_min, 8);
  for (double x = std::ceil(x_min / x_step) * x_step; x <= x_max + x_step / 1000; x += x_step) {
    out += "<line x1=\"" + num(px(x)) + "\" x2=\"" + num(px(x)) + "\" y1=\"" + num(kTop + plot_h) +
           "\" y2=\"" + num(kTop + plot_h + 4) + "\" stroke=\"#666\"/><text x=\"" + num(px(x)) + "\" y=\"" +
           num(kTop + plot_h + 16) + "\" text-anchor=\"middle\">" + figure(x) + "</text>\n";
  }
  out += "<line x1=\"" + num(kLeft) + "\" x2=\"" + num(kLeft + plot_w) + "\" y1=\"" + num(kTop + plot_h) +
         "\" y2=\"" + num(kTop + plot_h) + "\" stroke=\"#666\"/><line x1=\"" + num(kLeft) + "\" x2=\"" +
         num(kLeft) + "\" y1=\"" + num(kTop) + "\" y2=\"" + num(kTop + plot_h) + "\" stroke=\"#666\"/>\n";
  out += "<text x=\"" + num(kLeft + plot_w / 2) + "\" y=\"" + num(kHeight - 6) +
         "\" text-anchor=\"middle\">" + esc(chart.x_label) + "</text><text transform=\"rotate(-90)\" x=\"" +
         num(-(kTop + plot_h / 2)) + "\" y=\"14\" text-anchor=\"middle\">" + esc(chart.y_label) + "</text>\n";
  // Vertical marks (stage boundaries, the knee).
  for (const auto& m : chart.marks) {
    out += "<g class=\"mark\"><title>" + esc(m.label) + "</title><line x1=\"" + num(px(m.x)) + "\" x2=\"" +
           num(px(m.x)) + "\" y1=\"" + num(kTop) + "\" y2=\"" + num(kTop + plot_h) +
           "\" stroke=\"#888\" stroke-dasharray=\"4 3\"/><text x=\"" + num(px(m.x) + 3) + "\" y=\"" +
           num(kTop + 10) + "\" class=\"mark-label\">" + esc(m.label) + "</text></g>\n";
  }
  // Series: area, line, hover targets.
  for (size_t k = 0; k < chart.series.size(); ++k) {
    const auto& s = chart.series[k];
    const auto& pts = drawn[k];
    // The drawn values, in the data's units, for the page's hover script (kChartHoverJs).
    std::string values;
    if (s.hover)
      for (const auto& p : pts) values += value(p.x) + ":" + value(p.y) + " ";
    out += "<g class=\"series\" data-series=\"" + esc(s.name) + "\" data-points=\"" +
           std::to_string(s.points.size()) + "\" data-drawn=\"" + std::to_string(pts.size()) + "\"" +
           (s.hover ? " data-values=\"" + values + "\"" : "") + ">";
    std::string line;
    for (const auto& p : pts) line += num(px(p.x)) + "," + num(py(p.y)) + " ";
    if (s.area && !pts.empty()) {
      out += "<polygon points=\"" + num(px(pts.front().x)) + "," + num(py(0)) + " " + line +
             num(px(pts.back().x)) + "," + num(py(0)) + "\" fill=\"" + s.color + "\" fill-opacity=\"0.18\"/>";
    }
    out += "<polyline points=\"" + line + "\" fill=\"none\" stroke=\"" + s.color + "\" stroke-width=\"1.6\"" +
           (s.dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>\n";
    out += "</g>\n";
    const double ly = kTop + 10 + 18 * static_cast<double>(k);
    out += "<line x1=\"" + num(kLeft + plot_w + 12) + "\" x2=\"" + num(kLeft + plot_w + 30) + "\" y1=\"" +
           num(ly - 4) + "\" y2=\"" + num(ly - 4) + "\" stroke=\"" + s.color + "\" stroke-width=\"3\"" +
           (s.dashed ? " stroke-dasharray=\"4 2\"" : "") + "/><text x=\"" + num(kLeft + plot_w + 35) +
           "\" y=\"" + num(ly) + "\">" + esc(s.name) + "</text>\n";
  }
  // The hover read-out, filled and shown by kChartHoverJs.
  out += "<g class=\"tip\" visibility=\"hidden\" pointer-events=\"none\"><line y1=\"" + num(kTop) +
         "\" y2=\"" + num(kTop + plot_h) +
         "\" stroke=\"#444\" stroke-width=\"0.8\"/><rect rx=\"3\" fill=\"#fff\" "
         "fill-opacity=\"0.93\" stroke=\"#999\"/><text/></g>\n";
  out += "</svg>\n</figure>\n";
  return out;
}

const char* chart_hover_js() {
  return R"((function () {
  // Nearest index of x in the sorted xs.
  function nearest(xs, x) {
    var lo = 0, hi = xs.length - 1;
    while (hi - lo > 1) { var mid = (lo + hi) >> 1; if (xs[mid] < x) lo = mid; else hi = mid; }
    return Math.abs(xs[lo] - x) <= Math.abs(xs[hi] - x) ? lo : hi;
  }
  function fmt(v) {
    if (Number.isInteger(v)) return String(v);
    var a = Math.abs(v);
    return a >= 100 || a === 0 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toPrecision(3);
  }
  var NS = 'http://www.w3.org/2000/svg';
  Array.prototype.forEach.call(document.querySelectorAll('svg.line-chart'), function (svg) {
    var num = function (k) { return Number(svg.getAttribute(k)); };
    var x0 = num('data-x-min'), x1 = num('data-x-max'), left = num('data-left'), pw = num('data-plot-w');
    var xu = svg.getAttribute('data-x-unit'), yu = svg.getAttribute('data-y-unit');
    var time = svg.getAttribute('data-time') === '1';
    var series = Array.prototype.map.call(svg.querySelectorAll('g.series[data-values]'), function (g) {
      var xs = [], ys = [];
      g.getAttribute('data-values').trim().split(' ').filter(Boolean).forEach(function (p) {
        var i = p.indexOf(':');
        xs.push(Number(p.slice(0, i)));
        ys.push(Number(p.slice(i + 1)));
      });
      return {name: g.getAttribute('data-series'), xs: xs, ys: ys};
    }).filter(function (s) { return s.xs.length > 0; });
    var tip = svg.querySelector('g.tip');
    if (!series.length || !tip) return;
    var line = tip.querySelector('line'), box = tip.querySelector('rect'), text = tip.querySelector('text');
    // Shows the values nearest to data x; returns the read-out's lines.
    function show(x) {
      var at = nearest(series[0].xs, x), xv = series[0].xs[at];
      var lines = [(time ? '+' + fmt(xv) + ' ' + xu : fmt(xv) + ' ' + xu)];
      series.forEach(function (s) {
        var i = nearest(s.xs, x);
        lines.push(s.name + ': ' + fmt(s.ys[i]) + ' ' + yu);
      });
      while (text.firstChild) text.removeChild(text.firstChild);
      var px = left + pw * (xv - x0) / ((x1 - x0) || 1);
      lines.forEach(function (l, k) {
        var t = document.createElementNS(NS, 'tspan');
        t.setAttribute('x', 0);
        t.setAttribute('dy', k ? '1.2em' : '1em');
        t.textContent = l;
        text.appendChild(t);
      });
      line.setAttribute('x1', px);
      line.setAttribute('x2', px);
      tip.setAttribute('visibility', 'visible');
      var w = text.getBBox().width + 12, h = 14.5 * lines.length + 8;
      var bx = px + 8 + w > left + pw + 140 ? px - 8 - w : px + 8;
      box.setAttribute('x', bx); box.setAttribute('y', 14);
      box.setAttribute('width', w); box.setAttribute('height', h);
      text.setAttribute('transform', 'translate(' + (bx + 6) + ',16)');
      Array.prototype.forEach.call(text.childNodes, function (t) { t.setAttribute('x', 0); });
      return lines.join('\n');
    }
    svg.addEventListener('mousemove', function (e) {
      var pt = svg.createSVGPoint();
      pt.x = e.clientX;
      pt.y = e.clientY;
      var p = pt.matrixTransform(svg.getScreenCTM().inverse());
      if (p.x < left || p.x > left + pw) { tip.setAttribute('visibility', 'hidden'); return; }
      show(x0 + (p.x - left) / pw * (x1 - x0));
    });
    svg.addEventListener('mouseleave', function () { tip.setAttribute('visibility', 'hidden'); });
    svg.chartTip = show;
  });
})();)";
}

}  // namespace loadprof::report
