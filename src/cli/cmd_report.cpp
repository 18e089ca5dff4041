// loadprof report FILE.lpc [--output-dir DIR] [--format md|json|folded|svg|html|pprof|speedscope]
//                 [--kind KIND] [--weight time|bytes|count] [--max-memory SIZE|unlimited] [--group-by
//                 function|module]
//                 [--window START..END]
// Parses the flags into a report::ReportConfig, calls the report library,
// prints its warnings and maps its errors to exit codes (SPEC.md).
#include <iostream>

#include "commands.h"
#include "loadprof/util/exit_codes.h"
#include "loadprof/util/log.h"
#include "options.h"

#if defined(HAVE_LOADPROF_REPORT)
#include "loadprof/capture/reader.h"
#include "loadprof/report/run.h"
#endif

namespace loadprof::cli {

namespace {
constexpr const char* kUsage =
    "loadprof report FILE.lpc [--output-dir DIR] [--format md|json|folded|svg|html|pprof|speedscope] "
    "[--kind KIND] [--weight time|bytes|count] [--max-memory SIZE|unlimited] [--group-by function|module] "
    "[--window START..END]";
}  // namespace

#if defined(HAVE_LOADPROF_REPORT)

int cmd_report(const Args& args) {
  po::options_description desc("report flags");
  // clang-format off
  desc.add_options()
      ("help,h", "show this help")
      ("output-dir", po::value<std::string>(),
       "write every file into DIR: report.md, report.json, KIND.folded (+ KIND.svg and report.html)")
      ("format", po::value<std::string>(),
       "md, json, folded, svg, html, pprof (gzipped profile.proto, for go tool pprof, Pyroscope, Parca) or "
       "speedscope (JSON): only this one, on stdout (or into --output-dir)")
      ("kind", po::value<std::string>(),
       "stack kind for folded/svg/pprof/speedscope: cpu (default), offcpu, wall, io, alloc, alloc-live, "
       "wakers (--offcpu-wakers), mmap")
      ("weight", po::value<std::string>(),
       "folded/svg weight with --kind io: time (default, ns inside the syscalls) or bytes (bytes they moved); "
       "with --kind alloc, alloc-live or mmap: bytes (default) or count (calls)")
      ("max-memory", po::value<std::string>(),
       "memory the capture's records may take: SIZE or 'unlimited' (default 16 MiB + 1024 x the file size;"
       " a capture beyond it is refused as crafted)")
      ("group-by", po::value<std::string>(),
       "function (default) or module: frames of the top tables, stacks, folded output and flame graphs "
       "grouped by their module (a stripped library's unresolved frames become one)")
      ("window", po::value<std::string>(),
       "only the part between START and END, in seconds from the capture's start (START..END, START.., ..END;"
       " fractions and units allowed: 1.5..2.5, 30s..1m): every figure, stack and file is of it");
  // clang-format on
  po::options_description hidden;
  hidden.add_options()("capture", po::value<std::vector<std::string>>());
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description positional;
  positional.add("capture", 1);  // a second file is refused, named

  auto vm = parse_args(args, all, &positional);
  if (!vm.ok()) return fail(vm.error());
  if (vm->count("help")) {
    const int code = print_help(kUsage, desc);
    std::cout << "Without --format and --output-dir the Markdown summary goes to stdout.\n";
    return code;
  }
  if (!vm->count("capture"))
    return fail(make_error(ErrorKind::usage, "missing capture file: " + std::string(kUsage)));
  const auto& files = (*vm)["capture"].as<std::vector<std::string>>();
  if (files.size() != 1)
    return fail(make_error(ErrorKind::usage, "one capture file, got " + std::to_string(files.size())));

  report::ReportConfig config;
  config.capture_path = files[0];
  if (vm->count("output-dir")) config.output_dir = (*vm)["output-dir"].as<std::string>();
  if (vm->count("kind")) config.kind = (*vm)["kind"].as<std::string>();
  if (vm->count("weight")) config.weight = (*vm)["weight"].as<std::string>();
  if (vm->count("max-memory")) {
    auto bound = capture::parse_max_decoded_bytes((*vm)["max-memory"].as<std::string>());
    if (!bound.ok()) return fail(bound.error());
    config.read_options.max_decoded_bytes = *bound;
  }
  if (vm->count("group-by")) {
    auto group_by = report::parse_group_by((*vm)["group-by"].as<std::string>());
    if (!group_by.ok()) return fail(group_by.error());
    config.group_by = *group_by;
  }
  if (vm->count("window")) {
    auto window = capture::parse_time_window((*vm)["window"].as<std::string>());
    if (!window.ok()) return fail(window.error());
    config.window = *window;
  }
  if (vm->count("format")) {
    auto format = report::parse_format((*vm)["format"].as<std::string>());
    if (!format.ok()) return fail(format.error());
    config.format = *format;
  }

  auto outcome = report::run_report(config, std::cout);
  std::cout.flush();
  if (!outcome.ok()) {
    if (outcome.error().kind == ErrorKind::not_available) return not_available(outcome.error().message);
    return fail(outcome.error());
  }
  for (const auto& w : outcome->warnings) log::warn(w);
  for (const auto& f : outcome->files_written) log::info("wrote " + f);
  return kExitOk;
}

#else

int cmd_report(const Args&) { return not_available("loadprof report (built without the report library)"); }

#endif

}  // namespace loadprof::cli
