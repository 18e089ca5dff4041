// loadprof flamegraph: folded stacks or a capture (.lpc) to an
// interactive SVG, plain or differential. Parses flags and calls the
// flamegraph library; no rendering logic here.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "commands.h"
#include "loadprof/capture/folded.h"
#include "loadprof/capture/reader.h"
#include "loadprof/capture/window.h"
#include "loadprof/flamegraph/profile.h"
#include "loadprof/flamegraph/svg.h"
#include "loadprof/util/exit_codes.h"
#include "loadprof/util/fd.h"
#include "loadprof/util/log.h"
#include "options.h"

namespace loadprof::cli {
namespace {

constexpr const char* kUsage =
    "loadprof flamegraph INPUT (.lpc or folded text, - for stdin) [--kind KIND] [--diff BASE]\n"
    "                    [--title T] [--subtitle S] [--inverted] [--min-width PX] [--width PX]\n"
    "                    [--count-name NAME] [--window START..END] [--output OUT.svg]   (stdout without "
    "--output)";

// Captures start with the bytes "LPC"; folded text never does in practice.
bool is_capture(const std::string& path) {
  if (path == "-") return false;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return false;  // the folded reader reports the open error
  char magic[3] = {};
  return ::read(fd.get(), magic, sizeof magic) == 3 && magic[0] == 'L' && magic[1] == 'P' && magic[2] == 'C';
}

// A capture becomes folded lines of the kind asked for; folded text is the
// only thing the renderer sees.
Result<flamegraph::Profile> load_capture(const std::string& path, const std::string& kind,
                                         capture::ReadOptions read_options,
                                         const std::optional<capture::TimeWindow>& window) {
  if (window) capture::set_read_window(read_options, *window);
  LOADPROF_TRY(capture, capture::read_capture(path, read_options));
  if (window) {
    auto placed = capture::place_window(capture, *window);
    if (!placed.ok()) return placed.error().context(path);
    capture::restrict_to_window(capture, *placed);
  }
  if (capture.read_info.truncated) {
    log::warn(path + ": truncated at offset " + std::to_string(capture.read_info.damage_offset) + " (" +
              capture.read_info.damage + "); using everything before it");
  }
  LOADPROF_TRY(lines, capture::folded_stacks(capture, kind));
  if (lines.empty()) return make_error(ErrorKind::usage, path + ": the capture holds no " + kind + " stacks");
  flamegraph::Profile profile;
  for (const auto& line : lines) profile.add_folded(line.stack, line.count);
  return profile;
}

Result<flamegraph::Profile> load(const std::string& path, const std::string& kind,
                                 const capture::ReadOptions& read_options,
                                 const std::optional<capture::TimeWindow>& window) {
  if (is_capture(path)) return load_capture(path, kind, read_options, window);
  if (window) {
    return make_error(ErrorKind::usage, path + ": --window needs a capture (.lpc); folded text has no times");
  }
  auto profile = flamegraph::read_folded_file(path);
  if (!profile.ok()) return profile.error();
  if (profile->junk_lines > 0) {
    const auto& first = profile->junk_examples.front();
    log::warn(path + ": skipped " + std::to_string(profile->junk_lines) +
              " line(s) that are not 'STACK COUNT' (" + flamegraph::describe_junk(first) + ")");
  }
  if (profile->stack_lines == 0) {
    return make_error(ErrorKind::corrupt_input,
                      path + ": no stack counts found (expected folded lines 'a;b;c 12')");
  }
  return profile;
}

Result<void> write_output(const std::string& path, const std::string& data) {
  UniqueFd owned;
  int fd = STDOUT_FILENO;
  if (path != "-") {
    owned = UniqueFd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!owned.valid()) return errno_error(ErrorKind::io, "open " + path, errno);
    fd = owned.get();
  }
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(ErrorKind::io, "write " + path, errno);
    }
    done += static_cast<size_t>(n);
  }
  return {};
}

}  // namespace

int cmd_flamegraph(const Args& args) {
  po::options_description desc("flamegraph options");
  std::string input, output, kind_text = "cpu", diff_path, title, subtitle, count_name, max_memory,
                             window_text;
  double min_width_px = 0.1;
  uint32_t width_px = 1200;
  desc.add_options()("help,h", "show this help")("input", po::value(&input),
                                                 "folded stacks file or a capture (.lpc)")(
      "output,o", po::value(&output), "SVG file to write (default, or -: stdout)")(
      "kind", po::value(&kind_text),
      "cpu, offcpu, wall, io, alloc, alloc-live, wakers: palette and count unit (default cpu)")(
      "diff", po::value(&diff_path), "base profile: a differential graph of INPUT against BASE")(
      "title", po::value(&title), "title (default \"Flame Graph\")")(
      "subtitle", po::value(&subtitle), "second line under the title")("inverted", po::bool_switch(),
                                                                       "icicle graph: root at the top")(
      "min-width", po::value(&min_width_px),
      "frames narrower than PX pixels are merged into their parent (default 0.1)")(
      "width", po::value(&width_px), "image width in pixels (default 1200)")(
      "count-name", po::value(&count_name), "what the counts are (default by kind: samples, ns, bytes)")(
      "max-memory", po::value(&max_memory),
      "memory a capture's records may take (default 16 MiB + 1024 x the file size; 'unlimited')")(
      "window", po::value(&window_text),
      "a capture's stacks between START and END seconds from its start (START..END, START.., ..END)");
  po::positional_options_description positional;
  positional.add("input", 1);
  auto vm = parse_args(args, desc, &positional);
  if (!vm.ok()) return fail(vm.error());
  if (vm->count("help")) return print_help(kUsage, desc);
  if (input.empty()) return fail(make_error(ErrorKind::usage, "flamegraph: INPUT is required"));
  if (!(min_width_px >= 0)) return fail(make_error(ErrorKind::usage, "flamegraph: --min-width must be >= 0"));
  if (width_px < 200 || width_px > 100000) {
    return fail(make_error(ErrorKind::usage, "flamegraph: --width must be between 200 and 100000"));
  }
  auto kind = flamegraph::parse_kind(kind_text);
  if (!kind.ok()) return fail(kind.error());
  capture::ReadOptions read_options;
  if (!max_memory.empty()) {
    auto bound = capture::parse_max_decoded_bytes(max_memory);
    if (!bound.ok()) return fail(bound.error());
    read_options.max_decoded_bytes = *bound;
  }
  std::optional<capture::TimeWindow> window;
  if (!window_text.empty()) {
    auto w = capture::parse_time_window(window_text);
    if (!w.ok()) return fail(w.error());
    window = *w;
  }
  auto profile = load(input, kind_text, read_options, window);
  if (!profile.ok()) return fail(profile.error());
  std::optional<flamegraph::Profile> base;
  if (!diff_path.empty()) {
    auto b = load(diff_path, kind_text, read_options, window);
    if (!b.ok()) return fail(b.error());
    base = std::move(b).value();
  }

  flamegraph::RenderOptions options;
  options.title = title;
  options.subtitle = subtitle;
  options.kind = *kind;
  options.count_name = count_name;
  options.inverted = vm->at("inverted").as<bool>();
  options.min_width_px = min_width_px;
  options.width_px = width_px;
  options.diff_base = base ? &*base : nullptr;
  std::string svg = flamegraph::render_svg(*profile, options);
  if (output.empty()) output = "-";
  auto written = write_output(output, svg);
  if (!written.ok()) return fail(written.error());
  log::info("wrote " + output + ": " + std::to_string(profile->total_count()) + " " +
            (count_name.empty() ? std::string(flamegraph::count_name_for(*kind)) : count_name) + " in " +
            std::to_string(profile->stack_lines) + " stack lines");
  return kExitOk;
}

}  // namespace loadprof::cli
