// The diff of two captures as documents: diff.json (SPEC.md's shape), the
// Markdown diff report, and the differential flame graph per kind; and
// `loadprof diff` as a library call (read both, diff, write what was asked).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "loadprof/analyze/diff.h"
#include "loadprof/capture/reader.h"
#include "loadprof/util/result.h"

namespace loadprof::report {

// SPEC.md's diff JSON: verdict, threshold_pct, latency_ms and throughput_rps
// (null when the captures hold no request log, with "requests" saying why),
// and stacks[] with our additions (share, samples, change_pct, ci95, z, p).
nlohmann::ordered_json diff_to_json(const analyze::DiffResult& diff);

// The Markdown diff report: verdict first, then per kind the regressions,
// improvements and the largest unchanged shares, and how "significant" was decided.
void write_diff_markdown(std::ostream& out, const analyze::DiffResult& diff, const std::string& base_path,
                         const std::string& new_path);

// diff.html: the same figures as one self-contained XHTML page, with each
// kind's differential flame graph inline. svgs: (diff_kind_label, <svg>
// element without XML prolog); a kind without one gets its table alone.
void write_diff_html(std::ostream& out, const analyze::DiffResult& diff, const std::string& base_path,
                     const std::string& new_path,
                     const std::vector<std::pair<std::string, std::string>>& svgs);

struct DiffConfig {
  std::string base_path;
  std::string new_path;
  std::optional<std::string> json_path;   // "-": stdout (then no Markdown on stdout)
  std::optional<std::string> output_dir;  // diff.md, diff.json, diff.html, KIND.diff.svg
  analyze::DiffOptions options;
  capture::ReadOptions read_options;
};

struct DiffOutcome {
  analyze::DiffResult diff;
  std::vector<std::string> warnings;
  std::vector<std::string> files_written;
};

// Markdown on `out` unless the JSON goes there. Errors: the reader's
// (corrupt_input, io) prefixed with the path, diff_captures' usage errors, io.
[[nodiscard]] Result<DiffOutcome> run_diff(const DiffConfig& config, std::ostream& out);

}  // namespace loadprof::report
