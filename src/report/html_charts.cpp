// report.html's charts, drawn by chart_svg from the analysis: latency
// percentiles, throughput and errors (the load summary's per-second series),
// the target's on-CPU and off-CPU time by reason per second, resources (RSS,
// page faults, storage bytes), the capacity curves (throughput vs offered rate, latency vs
// throughput, the USL curve). Stage boundaries are vertical marks. A chart
// without data is one line saying so.
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "chart_svg.h"
#include "html_sections.h"
#include "html_text.h"
#include "loadprof/flamegraph/svg.h"

namespace loadprof::report {

std::vector<OffCpuSecond> offcpu_per_second(const capture::Capture& c) {
  std::vector<OffCpuSecond> out;
  const uint64_t origin = c.metadata.start_monotonic_ns;
  for (const auto& o : c.offcpu) {
    if (o.end_ns <= o.start_ns || o.end_ns <= origin) continue;
    const uint64_t start = std::max(o.start_ns, origin) - origin, end = o.end_ns - origin;
    const size_t reason = std::min<size_t>(static_cast<size_t>(o.reason), analyze::kOffCpuReasons - 1);
    for (uint64_t s = start / 1000000000ull; s * 1000000000ull < end; ++s) {
      if (s > 1000000) break;  // a bogus interval must not allocate the world
      if (out.size() <= s) out.resize(s + 1, OffCpuSecond{});
      const uint64_t lo = std::max<uint64_t>(start, s * 1000000000ull),
                     hi = std::min<uint64_t>(end, (s + 1) * 1000000000ull);
      out[s][reason] += static_cast<double>(hi - lo) / 1e6;
    }
  }
  return out;
}

namespace {

constexpr const char* kBlue = "#1f77b4";
constexpr const char* kOrange = "#ff7f0e";
constexpr const char* kRed = "#d62728";
constexpr const char* kGreen = "#2ca02c";
constexpr const char* kGrey = "#7f7f7f";
constexpr const char* kReasonColors[analyze::kOffCpuReasons] = {"#ff7f0e", "#9467bd", "#8c564b", "#17becf",
                                                                "#bcbd22", "#2ca02c", "#e377c2", "#7f7f7f"};

double num_or(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0;
}

ChartSeries series(std::string name, std::string color) {
  ChartSeries s;
  s.name = std::move(name);
  s.color = std::move(color);
  return s;
}

Chart chart(std::string id, std::string title, std::string x_label, std::string y_label, std::string x_unit,
            std::string y_unit) {
  Chart c;
  c.id = std::move(id);
  c.title = std::move(title);
  c.x_label = std::move(x_label);
  c.y_label = std::move(y_label);
  c.x_unit = std::move(x_unit);
  c.y_unit = std::move(y_unit);
  return c;
}

void absent(std::ostream& out, const std::string& what, const std::string& why) {
  out << "<p class=\"chart-absent\">No " << esc(what) << " chart: " << esc(why) << ".</p>\n";
}

// Stage boundaries in the load's seconds (its per-second series) and in the
// capture's (the profile's series).
std::vector<ChartMark> load_marks(const nlohmann::json& summary) {
  std::vector<ChartMark> marks;
  const auto stages = summary.value("stages", nlohmann::json::array());
  if (!stages.is_array() || stages.size() < 2) return marks;
  for (size_t i = 0; i < stages.size(); ++i)
    marks.push_back({num_or(stages[i], "start_s"), "stage " + std::to_string(i + 1)});
  return marks;
}

std::vector<ChartMark> capture_marks(const analyze::Analysis& a) {
  std::vector<ChartMark> marks;
  if (!a.load || a.load->stages.size() < 2) return marks;
  for (size_t i = 0; i < a.load->stages.size(); ++i)
    marks.push_back({a.load->stages[i].start_s, "stage " + std::to_string(i + 1)});
  return marks;
}

void load_charts(std::ostream& out, const analyze::Analysis& a) {
  if (!a.load) {
    absent(out, "latency or throughput", "the capture holds no load run (record a bench to get them)");
    return;
  }
  const auto j = nlohmann::json::parse(a.load->summary_json, nullptr, false);
  const auto ts = j.is_object() ? j.value("timeseries", nlohmann::json::array()) : nlohmann::json::array();
  if (!ts.is_array() || ts.empty()) {
    absent(out, "latency or throughput", "the load summary holds no per-second series");
    return;
  }
  Chart lat = chart("latency", "Latency percentiles per second", "s since the load's measured start",
                    "latency (ms)", "s", "ms");
  ChartSeries p50 = series("p50", kBlue), p90 = series("p90", kOrange), p99 = series("p99", kRed);
  p50.reduce_max = p90.reduce_max = p99.reduce_max = true;
  Chart thr = chart("throughput", "Throughput and errors per second", "s since the load's measured start",
                    "requests/s", "s", "req/s");
  ChartSeries done = series("throughput", kGreen), errors = series("errors", kRed),
              asked = series("requested", kGrey);
  done.area = true;
  asked.dashed = true;
  asked.hover = false;
  for (const auto& p : ts) {
    const double t = num_or(p, "t_s");
    const auto l = p.value("latency_ms", nlohmann::json::object());
    done.points.push_back({t, num_or(p, "throughput_rps")});
    errors.points.push_back({t, num_or(p, "errors")});
    if (p.contains("requested_rps")) asked.points.push_back({t, num_or(p, "requested_rps")});
    if (num_or(p, "throughput_rps") <= 0) continue;  // no request: no latency that second
    p50.points.push_back({t, num_or(l, "p50")});
    p90.points.push_back({t, num_or(l, "p90")});
    p99.points.push_back({t, num_or(l, "p99")});
  }
  lat.series = {p50, p90, p99};
  lat.marks = thr.marks = load_marks(j);
  thr.series = {done, errors};
  if (!asked.points.empty()) thr.series.push_back(asked);
  if (a.window)
    out << "<p class=\"note\">The load's per-second series cover the whole run; the figures of this report "
           "are "
           "of its window (--window).</p>\n";
  out << render_chart_svg(lat) << render_chart_svg(thr);
}

void cpu_chart(std::ostream& out, const analyze::Analysis& a, const std::vector<OffCpuSecond>& offcpu) {
  const bool have_cpu = a.cpu_accounting && !a.cpu_accounting->per_second.empty() && a.capture.frequency_hz;
  if (!have_cpu && offcpu.empty()) {
    absent(out, "on-CPU / off-CPU",
           "the capture holds neither per-second CPU accounting nor off-CPU intervals");
    return;
  }
  Chart c = chart("cpu-offcpu", "The target's threads per second: on CPU and off CPU by reason",
                  "s since the capture started", "thread time (ms per second)", "s", "ms/s");
  if (have_cpu) {
    ChartSeries on = series("on CPU", kRed);
    on.area = true;
    const double ms_per_sample = 1000.0 / a.capture.frequency_hz;
    for (const auto& s : a.cpu_accounting->per_second)
      on.points.push_back({s.t_s, static_cast<double>(s.target) * ms_per_sample});
    c.series.push_back(on);
  }
  const auto& names = analyze::offcpu_reason_names();
  // The seconds of the capture the analysis covers (a --window: its own), in
  // capture time as the accounting's.
  const size_t first = a.window ? static_cast<size_t>(std::max(0.0, std::floor(a.window->start_s))) : 0;
  const size_t last = a.window ? static_cast<size_t>(std::ceil(a.window->end_s))
                               : static_cast<size_t>(std::ceil(a.duration_s)) + 1;
  const size_t seconds = std::min(offcpu.size(), last);
  for (size_t r = 0; r < analyze::kOffCpuReasons; ++r) {
    ChartSeries s = series(std::string("off CPU: ") + names[r], kReasonColors[r]);
    double sum = 0;
    for (size_t t = first; t < seconds; ++t) {
      s.points.push_back({static_cast<double>(t), offcpu[t][r]});
      sum += offcpu[t][r];
    }
    if (sum > 0) c.series.push_back(s);
  }
  c.marks = capture_marks(a);
  out << render_chart_svg(c);
  if (!offcpu.empty())
    out << "<p class=\"note\">Off-CPU time is summed over the target's threads, those waiting for work "
           "included "
           "(an idle keep-alive connection's thread waits on the network, a listener in accept): a thread "
           "blocked "
           "all the time adds 1000 ms per second.</p>\n";
  if (offcpu.empty())
    out << "<p class=\"chart-absent\">Off-CPU time is not in the chart: the capture holds no "
           "off-CPU intervals (probe offcpu).</p>\n";
}

void resource_charts(std::ostream& out, const analyze::Analysis& a) {
  if (a.resources.empty()) {
    absent(out, "resources", "the capture holds no /proc readings");
    return;
  }
  Chart mem = chart("rss", "Resident memory of the target processes", "s since the capture started",
                    "RSS (MiB)", "s", "MiB");
  ChartSeries rss = series("RSS", kBlue);
  rss.area = true;
  Chart io = chart("storage", "Storage bytes per second of the target processes",
                   "s since the capture started", "KiB/s", "s", "KiB/s");
  ChartSeries rd = series("read", kGreen), wr = series("write", kOrange);
  Chart faults = chart("faults", "Page faults per second of the target processes",
                       "s since the capture started", "faults/s", "s", "faults/s");
  ChartSeries minor = series("minor faults", kBlue), major = series("major faults", kRed);
  for (const auto& r : a.resources) {
    const double t = r.t_s;
    rss.points.push_back({t, static_cast<double>(r.rss_bytes) / (1024.0 * 1024.0)});
    rd.points.push_back({t, static_cast<double>(r.read_bytes) / 1024.0});
    wr.points.push_back({t, static_cast<double>(r.write_bytes) / 1024.0});
    minor.points.push_back({t, static_cast<double>(r.minor_faults)});
    major.points.push_back({t, static_cast<double>(r.major_faults)});
  }
  mem.series = {rss};
  io.series = {rd, wr};
  faults.series = {minor, major};
  mem.marks = io.marks = faults.marks = capture_marks(a);
  out << render_chart_svg(mem) << render_chart_svg(faults) << render_chart_svg(io);
}

void capacity_charts(std::ostream& out, const analyze::Analysis& a) {
  if (!a.capacity_model || a.capacity_model->points.size() < 2) {
    absent(out, "capacity",
           "a capacity curve needs a load run with stages at two or more rates, or a capacity search");
    return;
  }
  const auto& m = *a.capacity_model;
  const bool open =
      std::all_of(m.points.begin(), m.points.end(), [](const auto& p) { return p.offered_rps; });
  Chart thr = chart("capacity-throughput",
                    open ? "Throughput against the offered rate" : "Throughput against requests in flight",
                    open ? "offered rate (req/s)" : "requests in flight", "throughput (req/s)",
                    open ? "req/s" : "in flight", "req/s");
  thr.x_is_time = false;
  ChartSeries got = series("throughput", kGreen), ideal = series("offered", kGrey);
  ideal.dashed = true;
  ideal.hover = false;
  for (const auto& p : m.points) {
    const double x = open ? *p.offered_rps : p.concurrency;
    got.points.push_back({x, p.throughput_rps});
    if (open) ideal.points.push_back({x, x});
  }
  thr.series = {got};
  if (open) thr.series.push_back(ideal);
  if (m.knee_rps && open) thr.marks.push_back({*m.knee_rps, "knee"});
  Chart lat = chart("capacity-latency", "Latency against throughput", "throughput (req/s)", "latency (ms)",
                    "req/s", "ms");
  lat.x_is_time = false;
  ChartSeries p50 = series("p50", kBlue), p99 = series("p99", kRed);
  for (const auto& p : m.points) {
    p50.points.push_back({p.throughput_rps, p.p50_ms});
    p99.points.push_back({p.throughput_rps, p.p99_ms});
  }
  std::sort(p50.points.begin(), p50.points.end(), [](auto x, auto y) { return x.x < y.x; });
  std::sort(p99.points.begin(), p99.points.end(), [](auto x, auto y) { return x.x < y.x; });
  lat.series = {p50, p99};
  out << render_chart_svg(thr) << render_chart_svg(lat);
  if (!m.usl) {
    out << "<p class=\"chart-absent\">No USL curve: " << esc(m.usl_note) << ".</p>\n";
    return;
  }
  Chart usl = chart("capacity-usl", "Universal Scalability Law: throughput against requests in flight",
                    "requests in flight", "throughput (req/s)", "in flight", "req/s");
  usl.x_is_time = false;
  ChartSeries measured = series("measured", kGreen), fit = series("USL fit", kBlue);
  fit.dashed = true;
  fit.hover = false;
  double n_max = 1;
  for (const auto& p : m.points) {
    measured.points.push_back({p.concurrency, p.throughput_rps});
    n_max = std::max(n_max, p.concurrency);
  }
  std::sort(measured.points.begin(), measured.points.end(), [](auto x, auto y) { return x.x < y.x; });
  if (m.usl->peak_concurrency) n_max = std::max(n_max, *m.usl->peak_concurrency);
  n_max *= 1.3;
  for (int i = 0; i <= 100; ++i) {
    const double n = n_max * i / 100.0;
    fit.points.push_back({n, m.usl->throughput_at(n)});
  }
  usl.series = {measured, fit};
  if (m.usl->peak_concurrency) usl.marks.push_back({*m.usl->peak_concurrency, "predicted peak"});
  out << render_chart_svg(usl);
}

}  // namespace

void charts_html(std::ostream& out, const analyze::Analysis& a, const std::vector<OffCpuSecond>& offcpu) {
  out << "<h2>Charts</h2>\n<p class=\"note\">Hover a chart for the figures at that point; dashed vertical "
         "lines "
         "mark the stages.</p>\n";
  load_charts(out, a);
  cpu_chart(out, a, offcpu);
  resource_charts(out, a);
  capacity_charts(out, a);
  out << "<script>//<![CDATA[\n" << chart_hover_js() << "\n//]]></script>\n";
}

}  // namespace loadprof::report
