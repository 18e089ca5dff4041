// `loadprof diff` as a library call: read both captures, diff their stack
// shares, write the Markdown / JSON / differential flame graphs asked for.
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "loadprof/capture/folded.h"
#include "loadprof/report/diff.h"
#include "loadprof/report/flamegraph_svg.h"

namespace loadprof::report {
namespace {

namespace fs = std::filesystem;

Result<capture::Capture> read_one(const std::string& path, const capture::ReadOptions& options,
                                  std::vector<std::string>& warnings) {
  auto c = capture::read_capture(path, options);
  if (!c.ok()) {
    Error e = c.error();
    if (e.message.find(path) == std::string::npos) e.message = path + ": " + e.message;
    return e;
  }
  if (c->read_info.truncated) {
    warnings.push_back(path + ": truncated at offset " + std::to_string(c->read_info.damage_offset) + " (" +
                       c->read_info.damage + "); using everything before it");
  }
  return c;
}

Result<void> write_text(const fs::path& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) return errno_error(ErrorKind::io, "open " + path.string(), errno);
  file << text;
  file.flush();
  if (!file) return errno_error(ErrorKind::io, "write " + path.string(), errno);
  return {};
}

}  // namespace

Result<DiffOutcome> run_diff(const DiffConfig& config, std::ostream& out) {
  DiffOutcome outcome;
  LOADPROF_CHECK(analyze::check_diff_options(config.options));
  LOADPROF_TRY(base, read_one(config.base_path, config.read_options, outcome.warnings));
  LOADPROF_TRY(next, read_one(config.new_path, config.read_options, outcome.warnings));
  LOADPROF_TRY(diff, analyze::diff_captures(base, next, config.options));

  const std::string json_text = diff_to_json(diff).dump(2) + "\n";
  std::ostringstream md;
  write_diff_markdown(md, diff, config.base_path, config.new_path);

  if (config.json_path && *config.json_path == "-") {
    out << json_text;
  } else {
    out << md.str();
    if (config.json_path) {
      LOADPROF_CHECK(write_text(*config.json_path, json_text));
      outcome.files_written.push_back(*config.json_path);
    }
  }
  if (config.output_dir) {
    const fs::path dir(*config.output_dir);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return make_error(ErrorKind::io, "create " + dir.string() + ": " + ec.message());
    LOADPROF_CHECK(write_text(dir / "diff.md", md.str()));
    outcome.files_written.push_back((dir / "diff.md").string());
    LOADPROF_CHECK(write_text(dir / "diff.json", json_text));
    outcome.files_written.push_back((dir / "diff.json").string());
    std::vector<std::pair<std::string, std::string>> inline_svgs;
    for (const auto& k : diff.kinds) {
      const std::string label = analyze::diff_kind_label(k);
      const std::string weight = k.weight == "bytes" ? "bytes" : "time";
      LOADPROF_TRY(base_lines, capture::folded_stacks(base, k.kind, weight));
      LOADPROF_TRY(new_lines, capture::folded_stacks(next, k.kind, weight));
      FlamegraphOptions fg;
      fg.kind = k.kind;
      if (k.weight == "bytes") fg.count_name = "bytes";
      fg.title = "Differential flame graph (" + label + ")";
      LOADPROF_TRY(svg, render_diff_flamegraph_svg(base_lines, new_lines, fg));
      const fs::path path = dir / (label + ".diff.svg");
      LOADPROF_CHECK(write_text(path, svg));
      outcome.files_written.push_back(path.string());
      fg.xml_prolog = false;
      LOADPROF_TRY(element, render_diff_flamegraph_svg(base_lines, new_lines, fg));
      inline_svgs.emplace_back(label, std::move(element));
    }
    std::ostringstream html;
    write_diff_html(html, diff, config.base_path, config.new_path, inline_svgs);
    LOADPROF_CHECK(write_text(dir / "diff.html", html.str()));
    outcome.files_written.push_back((dir / "diff.html").string());
  }
  outcome.diff = std::move(diff);
  return outcome;
}

}  // namespace loadprof::report
