// `loadprof report`: read a capture, analyze it, write what was asked for.
// The CLI parses flags into a ReportConfig and prints the outcome's warnings;
// everything else happens here.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "loadprof/analyze/analysis.h"
#include "loadprof/capture/reader.h"
#include "loadprof/capture/window.h"
#include "loadprof/util/result.h"

namespace loadprof::report {

enum class Format { markdown, json, folded, svg, html, pprof, speedscope };

// "md" | "json" | "folded" | "svg" | "html" | "pprof" | "speedscope"; anything else is a usage error naming
// it.
[[nodiscard]] Result<Format> parse_format(const std::string& text);

// How frames are grouped in the top tables, top stacks, folded output and flame graphs.
enum class GroupBy { function, module };

// "function" | "module"; anything else is a usage error naming it.
[[nodiscard]] Result<GroupBy> parse_group_by(const std::string& text);

struct ReportConfig {
  std::string capture_path;
  std::optional<std::string> output_dir;  // write files there instead of stdout
  std::optional<Format> format;           // none: Markdown on stdout, or every file with output_dir
  std::optional<std::string> kind;        // folded/svg/pprof/speedscope kind; default "cpu"
  std::string weight = "time";            // folded/svg weight: "time", or "bytes" with kind io
  GroupBy group_by = GroupBy::function;   // module: every frame becomes its module
  analyze::AnalysisOptions analysis;
  capture::ReadOptions read_options;  // the bound on decoded memory (--max-memory)
  // --window: every output (analysis, stacks, exports) shows only this part
  // of the capture; a window wholly outside the capture is a usage error.
  std::optional<capture::TimeWindow> window;
};

struct ReportOutcome {
  std::vector<std::string> warnings;       // for stderr: truncation, files not written and why
  std::vector<std::string> files_written;  // paths, in order
};

// Errors: usage (unknown kind, a kind the capture lacks), corrupt_input (the
// reader's message, with the offset), not_available (a kind the capture
// library cannot fold yet), io (writing a file). A truncated capture is not an
// error: its warning names the offset.
// With output_dir and no format: report.html (with the flame graph of `kind`,
// default cpu), report.md, report.json, and KIND.folded + KIND.svg for every
// kind the capture holds (or only `kind`); a kind that cannot be folded yet is
// skipped with a warning. A capture with requests adds slow-vs-fast.svg and
// slow-requests.svg (+ .folded), differential cpu flame graphs of the
// correlation, or a warning saying why one is not written.
[[nodiscard]] Result<ReportOutcome> run_report(const ReportConfig& config, std::ostream& out);

}  // namespace loadprof::report
