// loadprof import FILE (--from perf-script|folded) --output FILE.lpc
// Reads another tool's profile (the text of `perf script`, or folded stacks)
// and writes it as a capture every command accepts. Parses the flags, reads
// the file, calls the capture library's importer and reports what it kept.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <string>

#include "commands.h"
#include "loadprof/capture/import.h"
#include "loadprof/capture/writer.h"
#include "loadprof/util/exit_codes.h"
#include "loadprof/util/fd.h"
#include "loadprof/util/log.h"
#include "options.h"

namespace loadprof::cli {
namespace {

constexpr const char* kUsage =
    "loadprof import FILE (--from perf-script|folded) --output FILE.lpc   (FILE - reads stdin)";

// Input files are text of at most this size (a perf script of 10 minutes at
// 999 Hz on 8 CPUs is ~2 GiB; beyond it, cut it or raise the bound here).
constexpr size_t kMaxInputBytes = size_t(4) << 30;

Result<std::string> read_input(const std::string& path) {
  UniqueFd owned;
  int fd = STDIN_FILENO;
  if (path != "-") {
    owned = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!owned.valid()) return errno_error(ErrorKind::corrupt_input, "open " + path, errno);
    fd = owned.get();
  }
  std::string data;
  char buffer[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(ErrorKind::corrupt_input, "read " + path, errno);
    }
    if (n == 0) break;
    if (data.size() + size_t(n) > kMaxInputBytes) {
      return make_error(ErrorKind::corrupt_input, path + ": larger than 4 GiB");
    }
    data.append(buffer, size_t(n));
  }
  return data;
}

}  // namespace

int cmd_import(const Args& args) {
  po::options_description desc("import flags");
  std::string input, from, output;
  // clang-format off
  desc.add_options()
      ("help,h", "show this help")
      ("input", po::value(&input), "the file to import (- for stdin)")
      ("from", po::value(&from),
       "perf-script (the text of `perf script`, after `perf record -g`) or folded ('a;b;c COUNT' lines)")
      ("output,o", po::value(&output), "the capture to write (.lpc)");
  // clang-format on
  po::positional_options_description positional;
  positional.add("input", 1);
  auto vm = parse_args(args, desc, &positional);
  if (!vm.ok()) return fail(vm.error());
  if (vm->count("help")) {
    const int code = print_help(kUsage, desc);
    std::cout
        << "perf script's times are on perf's own clock: an imported capture says so and does not line up "
           "with recorded ones in time.\nFolded counts become that many samples, at time 0.\n";
    return code;
  }
  if (input.empty())
    return fail(make_error(ErrorKind::usage, "import: missing FILE: " + std::string(kUsage)));
  if (from.empty()) {
    return fail(make_error(ErrorKind::usage, "import: --from is required (perf-script or folded)"));
  }
  if (from != "perf-script" && from != "folded") {
    return fail(
        make_error(ErrorKind::usage, "import: --from must be perf-script or folded, got '" + from + "'"));
  }
  if (output.empty()) return fail(make_error(ErrorKind::usage, "import: --output FILE.lpc is required"));

  auto text = read_input(input);
  if (!text.ok()) return fail(text.error());
  auto imported = from == "perf-script" ? capture::import_perf_script(*text) : capture::import_folded(*text);
  if (!imported.ok()) return fail(imported.error().context(input));
  std::string command_line = "loadprof import";
  for (const auto& a : args) command_line += " " + shell_quote(a);
  imported->capture.metadata.command_line = command_line;
  for (const auto& w : imported->warnings) log::warn(input + ": " + w);
  for (const auto& [event, n] : imported->skipped_events) {
    log::warn(input + ": skipped " + std::to_string(n) + " sample(s) of event " + event + " (kept " +
              imported->event + ")");
  }
  auto written = capture::write_whole_capture(output, imported->capture);
  if (!written.ok()) return fail(written.error());
  log::info("wrote " + output + ": " + std::to_string(imported->samples) + " samples, " +
            std::to_string(imported->capture.stacks.size()) + " stacks" +
            (from == "perf-script" ? " of event " + imported->event : std::string()));
  return kExitOk;
}

}  // namespace loadprof::cli
