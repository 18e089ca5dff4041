// report.html's Allocations section.
#include "alloc_html.h"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <string>

#include "html_text.h"
#include "loadprof/flamegraph/svg.h"

namespace loadprof::report {
namespace {

std::string num(double v, const char* format = "%.2f") {
  char b[64];
  std::snprintf(b, sizeof b, format, v);
  return b;
}

std::string bytes_text(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  size_t u = 0;
  while (b >= 1024 && u + 1 < std::size(units)) {
    b /= 1024;
    ++u;
  }
  return num(b, u == 0 ? "%.0f" : "%.1f") + " " + units[u];
}

// Tracked live bytes (green) and the targets' RSS (grey) against time, one
// y scale (bytes) for both.
void live_chart(std::ostream& out, const std::vector<analyze::AllocPoint>& points) {
  constexpr double kWidth = 960, kHeight = 240, kLeft = 70, kRight = 110, kTop = 10, kBottom = 30;
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  double max_y = 1, min_t = points.front().t_s, max_t = points.back().t_s;
  for (const auto& p : points) max_y = std::max({max_y, double(p.live_bytes), double(p.rss_bytes)});
  if (max_t <= min_t) max_t = min_t + 1;
  auto x_of = [&](double t) { return kLeft + plot_w * (t - min_t) / (max_t - min_t); };
  auto y_of = [&](double v) { return kTop + plot_h * (1 - v / max_y); };
  out << "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\""
      << kHeight << "\" viewBox=\"0 0 " << kWidth << " " << kHeight << "\">\n";
  for (int q = 0; q <= 4; ++q) {
    const double v = max_y * q / 4, y = y_of(v);
    out << "<line x1=\"" << kLeft << "\" x2=\"" << kLeft + plot_w << "\" y1=\"" << num(y) << "\" y2=\""
        << num(y) << "\" stroke=\"#ccc\" stroke-width=\"0.5\"/><text x=\"" << kLeft - 4 << "\" y=\""
        << num(y + 4) << "\" text-anchor=\"end\">" << esc(bytes_text(v)) << "</text>\n";
  }
  struct Line {
    const char* name;
    const char* color;
    bool rss;
  };
  for (const Line& l : {Line{"live (tracked)", "#2ca02c", false}, Line{"RSS", "#7f7f7f", true}}) {
    out << "<polyline fill=\"none\" stroke=\"" << l.color << "\" stroke-width=\"1.5\" points=\"";
    for (const auto& p : points) {
      if (l.rss && p.rss_bytes == 0) continue;  // no reading yet
      out << num(x_of(p.t_s)) << "," << num(y_of(double(l.rss ? p.rss_bytes : p.live_bytes))) << " ";
    }
    out << "\"/>\n";
  }
  const double label_y = kTop + plot_h + 16;
  out << "<text x=\"" << kLeft << "\" y=\"" << label_y << "\">+" << num(min_t) << " s</text><text x=\""
      << kLeft + plot_w << "\" y=\"" << label_y << "\" text-anchor=\"end\">+" << num(max_t) << " s</text>\n";
  out << "<rect x=\"" << kLeft + plot_w + 12 << "\" y=\"" << kTop + 4
      << "\" width=\"12\" height=\"12\" fill=\"#2ca02c\"/><text x=\"" << kLeft + plot_w + 30 << "\" y=\""
      << kTop + 14 << "\">live</text><rect x=\"" << kLeft + plot_w + 12 << "\" y=\"" << kTop + 22
      << "\" width=\"12\" height=\"12\" fill=\"#7f7f7f\"/><text x=\"" << kLeft + plot_w + 30 << "\" y=\""
      << kTop + 32 << "\">RSS</text>\n";
  out << "</svg>\n";
}

// mmap/munmap/brk by stack (the mmap probe, on with alloc).
void mmap_html(std::ostream& out, const analyze::MmapSummary& m) {
  using Op = capture::MmapOp;
  auto calls = [&](Op op) { return m.calls[static_cast<size_t>(op)]; };
  auto bytes = [&](Op op) { return esc(bytes_text(double(m.bytes[static_cast<size_t>(op)]))); };
  const int64_t net = m.anon_net_bytes;
  out << "<h3>Address space: mmap, munmap, brk, mremap</h3>\n<ul>\n";
  out << "<li>Anonymous mmap: " << calls(Op::mmap_anon) << " calls, " << bytes(Op::mmap_anon) << "; munmap "
      << calls(Op::munmap_anon) << " calls, " << bytes(Op::munmap_anon) << ".</li>\n";
  out << "<li>brk: grew " << calls(Op::brk_grow) << " times by " << bytes(Op::brk_grow) << ", shrank "
      << calls(Op::brk_shrink) << " times by " << bytes(Op::brk_shrink) << ".</li>\n";
  out << "<li>mremap: grew " << calls(Op::mremap_grow) << " times by " << bytes(Op::mremap_grow)
      << ", shrank " << calls(Op::mremap_shrink) << " times by " << bytes(Op::mremap_shrink) << ".</li>\n";
  out << "<li>Anonymous growth (mapped + brk and mremap grown - unmapped - brk and mremap shrunk): "
      << (net < 0 ? "-" : "+") << esc(bytes_text(double(net < 0 ? -net : net))) << ".</li>\n";
  out << "<li>File mappings (not memory growth): " << calls(Op::mmap_file) << " mmap, "
      << bytes(Op::mmap_file) << "; " << calls(Op::munmap_file) << " munmap, " << bytes(Op::munmap_file)
      << ".</li>\n</ul>\n";
  if (m.stacks.empty()) return;
  out << "<table>\n<tr><th>allocating function</th><th>op</th><th>bytes</th><th>calls</th></tr>\n";
  for (size_t i = 0; i < m.stacks.size() && i < 10; ++i) {
    const auto& st = m.stacks[i];
    std::string stack;
    for (const auto& f : st.frames) stack += (stack.empty() ? "" : " &#8592; ") + esc(f);
    out << "<tr><td title=\"" << stack << "\"><code>" << esc(st.frame) << "</code>"
        << (st.truncated ? " (truncated)" : "") << "</td><td>" << esc(st.op) << "</td><td>"
        << esc(bytes_text(double(st.bytes))) << "</td><td>" << st.calls << "</td></tr>\n";
  }
  out << "</table>\n";
}

}  // namespace

void alloc_html(std::ostream& out, const analyze::AllocSummary& s, double duration_s) {
  out << "<h2>Allocations</h2>\n<ul>\n";
  out << "<li>Method: " << esc(s.method.empty() ? "unknown" : s.method) << ", allocator <code>"
      << esc(s.allocator.empty() ? "unknown" : s.allocator) << "</code>; "
      << (s.sample_period_bytes == 0
              ? std::string("every allocation recorded")
              : "sampled: one allocation per " + std::to_string(s.sample_period_bytes) +
                    " bytes on average, figures by stack scaled up")
      << ".</li>\n";
  if (s.method == "uprobes")
    out << "<li>Uprobes trap on every allocator call: the target ran slower while recorded.</li>\n";
  const double d = duration_s > 0 ? duration_s : 1;
  out << "<li>Allocated: " << s.allocations << " allocations, " << esc(bytes_text(double(s.allocated_bytes)))
      << " (" << esc(bytes_text(double(s.allocated_bytes) / d)) << "/s); recorded " << s.recorded
      << ".</li>\n";
  out << "<li>Live at the end (allocated during the capture, not freed): "
      << esc(bytes_text(double(s.live_bytes_end))) << "; RSS " << esc(bytes_text(double(s.rss_bytes_start)))
      << " &#8594; " << esc(bytes_text(double(s.rss_bytes_end))) << ".</li>\n";
  out << "<li>Frees of blocks not recorded (allocated before the capture, or not sampled): "
      << s.frees_unknown << "; never subtracted.</li>\n";
  if (s.truncated_stacks > 0)
    out << "<li>" << s.truncated_stacks
        << " recorded allocations have a truncated stack (with --unwind fp, frame pointers lost in code "
           "built without them; unwound by DWARF, the copied stack window ended).</li>\n";
  out << "</ul>\n";
  if (s.timeline.size() >= 2) live_chart(out, s.timeline);
  if (s.leaks.empty()) {
    out << "<p>No leak suspect: no stack's live bytes grew steadily over the capture.</p>\n";
  } else {
    out << "<h3>Leak suspects</h3>\n<table>\n<tr><th>#</th><th>allocating function</th><th>growth/s</th>"
           "<th>R&#178;</th><th>confidence</th><th>live at end</th><th>allocated</th><th>recommendation</th>"
           "</tr>\n";
    for (size_t i = 0; i < s.leaks.size(); ++i) {
      const auto& l = s.leaks[i];
      std::string stack;
      for (const auto& f : l.frames) stack += (stack.empty() ? "" : " &#8592; ") + esc(f);
      out << "<tr><td>" << i + 1 << "</td><td title=\"" << stack << "\"><code>" << esc(l.frame)
          << "</code></td><td>" << esc(bytes_text(l.growth_bytes_per_s)) << "</td><td>" << num(l.r2)
          << "</td><td>" << esc(l.confidence) << "</td><td>" << esc(bytes_text(double(l.live_bytes_end)))
          << "</td><td>" << esc(bytes_text(double(l.allocated_bytes))) << "</td><td>" << esc(l.recommendation)
          << "</td></tr>\n";
    }
    out << "</table>\n";
  }
  out << "<h3>Top allocating stacks</h3>\n<table>\n<tr><th>allocating function</th><th>bytes</th>"
         "<th>allocations</th><th>live at end</th></tr>\n";
  for (size_t i = 0; i < s.stacks.size() && i < 10; ++i) {
    const auto& st = s.stacks[i];
    out << "<tr><td><code>" << esc(st.frame) << "</code>" << (st.truncated ? " (truncated)" : "")
        << "</td><td>" << esc(bytes_text(double(st.bytes))) << "</td><td>"
        << static_cast<uint64_t>(st.count + 0.5) << "</td><td>" << esc(bytes_text(double(st.live_bytes)))
        << "</td></tr>\n";
  }
  out << "</table>\n";
  if (s.mmap) mmap_html(out, *s.mmap);
}

}  // namespace loadprof::report
