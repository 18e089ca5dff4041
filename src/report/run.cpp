// `loadprof report` as a library call: read → analyze → write to stdout or
// to a directory, per SPEC.md's contract for the command.
#include "loadprof/report/run.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "html_sections.h"
#include "loadprof/capture/folded.h"
#include "loadprof/capture/reader.h"
#include "loadprof/report/flamegraph_svg.h"
#include "loadprof/report/html.h"
#include "loadprof/report/json.h"
#include "loadprof/report/markdown.h"
#include "loadprof/report/pprof.h"
#include "loadprof/report/speedscope.h"

namespace loadprof::report {
namespace {

namespace fs = std::filesystem;

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "none" : out;
}

Result<void> check_kind(const std::string& kind, const std::vector<std::string>& held) {
  if (!analyze::is_kind(kind)) {
    return make_error(ErrorKind::usage,
                      "unknown kind '" + kind + "' (one of " + join(analyze::all_kinds()) + ")");
  }
  if (std::find(held.begin(), held.end(), kind) == held.end()) {
    return make_error(ErrorKind::usage,
                      "the capture holds no " + kind + " data (it holds: " + join(held) + ")");
  }
  return {};
}

// Writes text produced by `produce` to path; the file is complete or an error.
template <class F>
Result<void> write_file(const fs::path& path, F&& produce) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) return errno_error(ErrorKind::io, "open " + path.string(), errno);
  LOADPROF_CHECK(produce(file));
  file.flush();
  if (!file) return errno_error(ErrorKind::io, "write " + path.string(), errno);
  return {};
}

// The capture library folds the kinds whose records exist so far (cpu,
// offcpu, wall); a kind of the contract it does not fold yet is not available yet.
Result<std::vector<capture::FoldedLine>> folded_of(const capture::Capture& c, const std::string& kind,
                                                   const std::string& weight = "time") {
  auto lines = capture::folded_stacks(c, kind, weight);
  if (!lines.ok() && lines.error().kind == ErrorKind::usage && analyze::is_kind(kind)) {
    return make_error(ErrorKind::not_available, "folded stacks of kind " + kind);
  }
  return lines;
}

Result<void> write_folded_kind(std::ostream& out, const capture::Capture& c, const std::string& kind,
                               const std::string& weight) {
  LOADPROF_TRY(lines, folded_of(c, kind, weight));
  capture::write_folded(out, lines);
  return {};
}

Result<void> write_svg_kind(std::ostream& out, const capture::Capture& c, const std::string& kind,
                            const std::string& weight) {
  LOADPROF_TRY(lines, folded_of(c, kind, weight));
  FlamegraphOptions options;
  options.kind = kind;
  options.title = kind + " flame graph";
  if (kind == "alloc") options.title = weight == "count" ? "allocations (calls)" : "allocated bytes";
  if (kind == "alloc-live")
    options.title = weight == "count" ? "allocations still live at the end" : "bytes still live at the end";
  if (kind == "mmap")
    options.title =
        weight == "count" ? "mmap and brk calls (anonymous)" : "anonymous bytes mapped (mmap, brk)";
  if (weight == "bytes") {
    options.count_name = "bytes";
    if (kind == "io") options.title += " (bytes)";
  } else if (weight == "count") {
    options.count_name = kind == "mmap" ? "calls" : "allocations";
  }
  return write_flamegraph_svg(out, lines, options);
}

// A flame graph inlined in report.html holds at most kMaxInlineFrames frames:
// a browser laid out ~29,000 SVG frames in 8-11 s (a 10-minute capture with
// 20,000 distinct stacks, docs/benchmarks/html.md). Past it, frames narrower
// than 0.25, 0.5, 1 or 2 px (the first width that fits) are merged into their
// parent, and the note says so; KIND.svg keeps the renderer's 0.1 px.
constexpr size_t kMaxInlineFrames = 5000;

void bound_inline_frames(const std::vector<capture::FoldedLine>& lines, FlamegraphOptions& fg,
                         std::string& note) {
  const FrameBound b = bound_frames(lines, kMaxInlineFrames);
  if (b.min_width_px <= fg.min_width_px) return;
  fg.min_width_px = b.min_width_px;
  char text[256];
  std::snprintf(
      text, sizeof text,
      "%zu frames: those narrower than %.2g px were merged into their parent here to keep the page fast "
      "(%zu drawn); the SVG file of report --output-dir keeps every frame down to 0.1 px.",
      b.frames_all, b.min_width_px, b.frames_kept);
  note = text;
}

// One flame graph for report.html: rendered, or a note saying why not.
Result<HtmlFlameGraph> html_flamegraph(const capture::Capture& c, const std::string& kind) {
  HtmlFlameGraph g;
  g.id = kind;
  g.title = kind;
  auto lines = folded_of(c, kind);
  if (!lines.ok()) {
    if (lines.error().kind != ErrorKind::not_available && lines.error().kind != ErrorKind::usage)
      return lines.error();
    g.note = "No " + kind + " flame graph: " + lines.error().message + ".";
  } else if (lines->empty()) {
    g.note = "No " + kind + " flame graph: the capture holds no " + kind + " stacks.";
  } else {
    FlamegraphOptions fg;
    fg.kind = kind;
    fg.title = kind + " flame graph";
    if (kind == "alloc") fg.title = "allocated bytes";
    if (kind == "alloc-live") fg.title = "bytes still live at the end";
    if (kind == "mmap") fg.title = "anonymous bytes mapped (mmap, brk)";
    fg.xml_prolog = false;
    bound_inline_frames(*lines, fg, g.note);
    LOADPROF_TRY(svg, render_flamegraph_svg(*lines, fg));
    g.svg = std::move(svg);
  }
  return g;
}

// report.html: the analysis, the flame graph of `kind` first and every other
// kind the capture holds in its own tab, then the slow-vs-fast differential
// when the correlation has both sides. A kind the capture cannot fold, or one
// without stacks, leaves a note in its place.
Result<void> write_html_report(std::ostream& out, const capture::Capture& c, const analyze::Analysis& a,
                               const std::string& kind) {
  HtmlOptions options;
  options.flamegraph_kind = kind;
  LOADPROF_TRY(first, html_flamegraph(c, kind));
  options.flamegraph_svg = std::move(first.svg);
  options.flamegraph_note = std::move(first.note);
  for (const auto& k : analyze::kinds_in_capture(c)) {
    if (k == kind) continue;
    LOADPROF_TRY(g, html_flamegraph(c, k));
    options.more_flamegraphs.push_back(std::move(g));
  }
  if (a.correlation) {
    const auto& corr = *a.correlation;
    HtmlFlameGraph g;
    g.id = "slow-vs-fast";
    g.title = "slow vs fast";
    if (corr.fast_windows_folded.empty() || corr.slow_windows_folded.empty()) {
      g.note = "No slow-vs-fast flame graph: " +
               std::string(corr.slow_windows == 0   ? "no window was slow"
                           : corr.fast_windows == 0 ? "no window was fast"
                                                    : "no cpu samples in slow or fast windows") +
               ".";
    } else {
      FlamegraphOptions fg;
      fg.kind = "cpu";
      fg.title = "cpu: slow windows against fast windows";
      fg.xml_prolog = false;
      bound_inline_frames(corr.slow_windows_folded, fg, g.note);
      LOADPROF_TRY(svg, render_diff_flamegraph_svg(corr.fast_windows_folded, corr.slow_windows_folded, fg));
      g.svg = std::move(svg);
    }
    options.more_flamegraphs.push_back(std::move(g));
  }
  options.offcpu_ms_per_second = offcpu_per_second(c);
  write_html(out, a, options);
  return {};
}

Result<void> write_one(Format format, std::ostream& out, const capture::Capture& c,
                       const analyze::Analysis& a, const std::string& kind, const std::string& weight) {
  switch (format) {
    case Format::markdown:
      write_markdown(out, a);
      return {};
    case Format::json:
      write_json(out, a);
      return {};
    case Format::folded:
      return write_folded_kind(out, c, kind, weight);
    case Format::svg:
      return write_svg_kind(out, c, kind, weight);
    case Format::html:
      return write_html_report(out, c, a, kind);
    case Format::pprof:
      return write_pprof(out, c, kind);
    case Format::speedscope:
      return write_speedscope(out, c, kind);
  }
  return make_error(ErrorKind::internal, "unknown format");
}

std::string file_name(Format format, const std::string& kind) {
  switch (format) {
    case Format::markdown:
      return "report.md";
    case Format::json:
      return "report.json";
    case Format::folded:
      return kind + ".folded";
    case Format::svg:
      return kind + ".svg";
    case Format::html:
      return "report.html";
    case Format::pprof:
      return kind + ".pb.gz";
    case Format::speedscope:
      return kind + ".speedscope.json";
  }
  return "";
}

// The differential flame graphs of the correlation (cpu samples): slow
// windows against fast ones (slow-vs-fast.svg), the slowest requests against
// the median ones (slow-requests.svg), each with its .folded (the slow side).
// Written when the capture has requests and both sides have samples; a
// capture with requests where a side is empty says why in a warning.
Result<void> write_correlation_graphs(const fs::path& dir, const analyze::Analysis& a,
                                      ReportOutcome& outcome) {
  if (!a.correlation) return {};
  const analyze::Correlation& c = *a.correlation;
  auto graph = [&](const std::string& name, const std::vector<capture::FoldedLine>& base,
                   const std::vector<capture::FoldedLine>& next, const std::string& title,
                   const std::string& why_not) -> Result<void> {
    if (base.empty() || next.empty()) {
      outcome.warnings.push_back(name + ".svg not written: " + why_not);
      return {};
    }
    FlamegraphOptions options;
    options.kind = "cpu";
    options.title = title;
    LOADPROF_TRY(svg, render_diff_flamegraph_svg(base, next, options));
    const fs::path svg_path = dir / (name + ".svg");
    LOADPROF_CHECK(write_file(svg_path, [&](std::ostream& f) -> Result<void> {
      f << svg;
      return {};
    }));
    const fs::path folded_path = dir / (name + ".folded");
    LOADPROF_CHECK(write_file(folded_path, [&](std::ostream& f) -> Result<void> {
      capture::write_folded(f, next);
      return {};
    }));
    outcome.files_written.push_back(svg_path.string());
    outcome.files_written.push_back(folded_path.string());
    return {};
  };
  const std::string no_windows = c.slow_windows == 0   ? "no window was slow (" + c.slow_rule + ")"
                                 : c.fast_windows == 0 ? "no window was fast"
                                                       : "no cpu samples in slow or fast windows";
  LOADPROF_CHECK(graph("slow-vs-fast", c.fast_windows_folded, c.slow_windows_folded,
                       "cpu: slow windows against fast windows", no_windows));
  const std::string no_requests = !c.slow_requests || c.slow_requests->slow_samples == 0
                                      ? "no cpu sample was attributed to a slowest request (>= p99)"
                                      : "no cpu sample was attributed to a median request (p40..p60)";
  return graph("slow-requests", c.median_requests_folded, c.slow_requests_folded,
               "cpu: slowest requests (>= p99) against median requests", no_requests);
}

}  // namespace

Result<Format> parse_format(const std::string& text) {
  if (text == "md") return Format::markdown;
  if (text == "json") return Format::json;
  if (text == "folded") return Format::folded;
  if (text == "svg") return Format::svg;
  if (text == "html") return Format::html;
  if (text == "pprof") return Format::pprof;
  if (text == "speedscope") return Format::speedscope;
  return make_error(ErrorKind::usage,
                    "unknown format '" + text + "' (one of md, json, folded, svg, html, pprof, speedscope)");
}

Result<GroupBy> parse_group_by(const std::string& text) {
  if (text == "function") return GroupBy::function;
  if (text == "module") return GroupBy::module;
  return make_error(ErrorKind::usage, "unknown --group-by '" + text + "' (one of function, module)");
}

Result<ReportOutcome> run_report(const ReportConfig& config, std::ostream& out) {
  // Usage errors before any work: an unknown kind needs no capture to be wrong.
  if (config.kind && !analyze::is_kind(*config.kind)) LOADPROF_CHECK(check_kind(*config.kind, {}));

  capture::ReadOptions read_options = config.read_options;
  if (config.window) capture::set_read_window(read_options, *config.window);
  LOADPROF_TRY(original, capture::read_capture(config.capture_path, read_options));
  analyze::AnalysisOptions analysis_options = config.analysis;
  if (config.window) {
    // The reader skipped the chunks outside the window; this cuts the rest exactly.
    LOADPROF_TRY(placed, capture::place_window(original, *config.window));
    capture::restrict_to_window(original, placed);
    analysis_options.window = placed;
  }
  const std::vector<std::string> held = analyze::kinds_in_capture(original);
  if (config.kind) LOADPROF_CHECK(check_kind(*config.kind, held));
  const std::string kind = config.kind.value_or("cpu");
  const bool stacks_format = config.format == Format::folded || config.format == Format::svg ||
                             config.format == Format::pprof || config.format == Format::speedscope;
  if (stacks_format && !config.kind) LOADPROF_CHECK(check_kind(kind, held));
  // Kinds weighted by bytes (default) or calls: the alloc probe's, and mmap.
  const auto is_alloc = [](const std::string& k) { return k == "alloc" || k == "alloc-live" || k == "mmap"; };
  if (config.weight != "time" && config.weight != "bytes" && config.weight != "count")
    return make_error(ErrorKind::usage,
                      "--weight: expected time, bytes or count, got '" + config.weight + "'");
  if (config.weight == "bytes" && kind != "io" && !is_alloc(kind))
    return make_error(ErrorKind::usage,
                      "--weight bytes applies to --kind io, alloc, alloc-live and mmap only (" + kind +
                          " is weighted by time)");
  if (config.weight == "count" && !is_alloc(kind))
    return make_error(ErrorKind::usage, "--weight count applies to --kind alloc, alloc-live and mmap only (" +
                                            kind + " is weighted by " +
                                            (kind == "io" ? "time or bytes)" : "time)"));
  // The weight asked for applies to the kind asked for; the files of the
  // other kinds get their default (time; bytes for the alloc kinds).
  auto weight_of = [&](const std::string& k) -> std::string {
    if (k == kind && (k == "io" || is_alloc(k)))
      return is_alloc(k) && config.weight == "time" ? std::string("bytes") : config.weight;
    return is_alloc(k) ? std::string("bytes") : std::string("time");
  };

  // The figures that need function names (stack quality, by process, thread
  // and module) come from the capture as recorded; with --group-by module the
  // top tables, stacks and folded output come from the grouped one.
  LOADPROF_TRY(analysis, analyze::analyze(original, analysis_options));
  capture::Capture grouped;
  if (config.group_by == GroupBy::module) {
    grouped = analyze::group_by_module(original);
    analyze::AnalysisOptions options = analysis_options;
    options.judge_stack_shapes = false;  // group_by_module marked the stacks that stopped early
    LOADPROF_TRY(by_module, analyze::analyze(grouped, options));
    analysis.top_self = std::move(by_module.top_self);
    analysis.top_total = std::move(by_module.top_total);
    analysis.top_stacks = std::move(by_module.top_stacks);
    analysis.group_by = "module";
  }
  const capture::Capture& capture = config.group_by == GroupBy::module ? grouped : original;
  ReportOutcome outcome;
  outcome.warnings = analysis.warnings;

  if (!config.output_dir) {
    LOADPROF_CHECK(
        write_one(config.format.value_or(Format::markdown), out, capture, analysis, kind, weight_of(kind)));
    return outcome;
  }

  const fs::path dir(*config.output_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error(ErrorKind::io, "create " + dir.string() + ": " + ec.message());

  auto emit = [&](Format format, const std::string& k) -> Result<void> {
    const fs::path path = dir / file_name(format, k);
    // Produce into memory first: a writer that is not available must not
    // leave an empty file behind.
    std::ostringstream text;
    LOADPROF_CHECK(write_one(format, text, capture, analysis, k, weight_of(k)));
    LOADPROF_CHECK(write_file(path, [&](std::ostream& f) -> Result<void> {
      f << text.str();
      return {};
    }));
    outcome.files_written.push_back(path.string());
    return {};
  };

  if (config.format) {
    LOADPROF_CHECK(emit(*config.format, kind));
    return outcome;
  }

  // Every file. Kinds this version cannot render yet are skipped with a
  // warning, never silently.
  auto try_emit = [&](Format format, const std::string& k) -> Result<void> {
    auto r = emit(format, k);
    if (r.ok()) return {};
    if (r.error().kind == ErrorKind::not_available) {
      outcome.warnings.push_back(file_name(format, k) +
                                 " not written: not available yet: " + r.error().message);
      return {};
    }
    return r.error();
  };
  LOADPROF_CHECK(emit(Format::html, kind));
  LOADPROF_CHECK(emit(Format::markdown, kind));
  LOADPROF_CHECK(emit(Format::json, kind));
  LOADPROF_CHECK(write_correlation_graphs(dir, analysis, outcome));
  const std::vector<std::string> kinds = config.kind ? std::vector<std::string>{*config.kind} : held;
  for (const auto& k : kinds) {
    auto folded = emit(Format::folded, k);
    if (!folded.ok()) {
      if (folded.error().kind != ErrorKind::not_available) return folded.error();
      outcome.warnings.push_back(k + ".folded and " + k +
                                 ".svg not written: not available yet: " + folded.error().message);
      continue;
    }
    LOADPROF_CHECK(try_emit(Format::svg, k));
  }
  return outcome;
}

}  // namespace loadprof::report
