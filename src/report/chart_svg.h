// Line charts as inline SVG for report.html: axes with ticks, one polyline per
// series (optionally filled down to zero), vertical marks (stage boundaries, a
// knee), and the drawn values in data-values for a hover read-out
// (chart_hover_js: the values of every series nearest the pointer). A series
// longer than kMaxChartPoints is reduced to buckets (mean or max) and the
// chart says so under its title.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace loadprof::report {

inline constexpr size_t kMaxChartPoints = 1200;

struct ChartPoint {
  double x = 0;
  double y = 0;
};

struct ChartSeries {
  std::string name;   // legend and tooltip
  std::string color;  // CSS colour
  std::vector<ChartPoint> points;
  bool area = false;        // fill between the line and zero
  bool dashed = false;      // a model's curve rather than measurements
  bool hover = true;        // one hover target (with its <title>) per point
  bool reduce_max = false;  // when downsampled: the bucket's max (latency) instead of its mean
};

struct ChartMark {
  double x = 0;
  std::string label;
};

struct Chart {
  std::string id;  // the <svg>'s data-chart, for tests and links
  std::string title;
  std::string x_label;  // with its unit: "s since the load started"
  std::string y_label;  // with its unit: "ms"
  std::string x_unit;   // in tooltips: "s"
  std::string y_unit;   // in tooltips: "ms"
  std::vector<ChartSeries> series;
  std::vector<ChartMark> marks;
  bool x_is_time = true;  // tooltips say "+12 s" rather than "x 12"
};

// The <figure> holding the chart's SVG (without XML prolog) and its notes.
std::string render_chart_svg(const Chart& chart);

// The page's script (once, after the charts) that shows the read-out on hover;
// it also sets svg.chartTip(x) -> the read-out's text, for tests.
const char* chart_hover_js();

// Downsampling alone (exposed for tests): at most max_points, each the mean
// (or max) of a run of consecutive points, at the run's first x.
std::vector<ChartPoint> downsample(const std::vector<ChartPoint>& points, size_t max_points, bool use_max);

}  // namespace loadprof::report
