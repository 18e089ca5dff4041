// loadprof demo [--output-dir DIR] [--duration DUR]: runs the demo library
// (the shipped service with planted bottlenecks, loaded in stages, recorded
// with every probe, reported) and prints the load table, the report's path,
// its top findings and what the service itself measured.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "loadprof/util/exit_codes.h"
#include "loadprof/util/log.h"
#include "loadprof/util/units.h"
#include "options.h"
#include "record_flags.h"
#include "signals.h"

#if defined(HAVE_LOADPROF_DEMO)
#include "loadprof/demo/demo.h"
#include "loadprof/demo/findings.h"
#endif

namespace loadprof::cli {

#if !defined(HAVE_LOADPROF_DEMO)
int cmd_demo(const Args&) {
  return not_available("demo (this build has no BPF support: rebuild with -DLOADPROF_BPF=ON)");
}
#else

namespace {

const char* kUsage =
    "loadprof demo [--output-dir DIR] [--duration DUR]\n"
    "\n"
    "Starts the demo service shipped with loadprof (loadprof-demo-service, next to the loadprof binary:\n"
    "endpoints with planted bottlenecks — a CPU hot path, a contended lock, an fsync per write, a slow\n"
    "leak, an N+1 to a backend), drives a staged load at it (a ramp, a plateau, a 3x spike, the\n"
    "recovery) while recording it with every probe (cpu, offcpu, io), writes DIR/demo.lpc and the report\n"
    "(DIR/report.html, report.md, report.json, flame graphs) and prints the top findings.\n"
    "Needs root (or CAP_BPF + CAP_PERFMON), like record.";

void print_progress(const load::Progress& p, size_t stage_count) {
  static const char* kNames[] = {"ramp", "plateau", "spike", "recovery"};
  std::string stage = p.stage < 0                                ? "warmup"
                      : p.stage >= static_cast<int>(stage_count) ? "draining"
                      : stage_count == 4                         ? kNames[p.stage]
                                                                 : "stage " + std::to_string(p.stage + 1);
  std::printf("\r\033[K[%5.1fs] %-9s rate %6.0f/s  p99 %8.2f ms  requests %llu  errors %llu", p.elapsed_s,
              stage.c_str(), p.last_second_rps, p.last_second_p99_ms,
              static_cast<unsigned long long>(p.requests), static_cast<unsigned long long>(p.errors));
  std::fflush(stdout);
}

}  // namespace

int cmd_demo(const Args& args) {
  po::options_description desc("loadprof demo options");
  // clang-format off
  desc.add_options()
      ("help,h", "show this help")
      ("output-dir", po::value<std::string>()->default_value("demo-out"),
       "where the capture (demo.lpc), the report and the service's files go")
      ("duration", po::value<std::string>()->default_value("60s"),
       "the staged load's length (at least 5s): ramp 40 %, plateau 20 %, spike 15 %, recovery 25 %");
  // clang-format on
  auto parsed = parse_args(args, desc);
  if (!parsed.ok()) return fail(parsed.error());
  auto& vm = *parsed;
  if (vm.count("help")) return print_help(kUsage, desc);

  demo::DemoOptions options;
  options.output_dir = vm["output-dir"].as<std::string>();
  if (options.output_dir.empty()) return fail(make_error(ErrorKind::usage, "--output-dir: empty"));
  auto duration = parse_duration_ns(vm["duration"].as<std::string>());
  if (!duration.ok()) return fail(duration.error().context("--duration"));
  options.duration_ns = *duration;
  if (auto stages = demo::demo_stages(options.duration_ns); !stages.ok()) return fail(stages.error());
  options.command_line = "loadprof demo";
  for (const auto& a : args) options.command_line += " " + shell_quote(a);

  auto& flags = install_stop_flags();
  options.stop = &flags.stop;
  options.hurry = &flags.hurry;
  const bool tty = isatty(STDOUT_FILENO);
  if (tty) options.progress = print_progress;

  std::cout << "loadprof demo: the demo service under a staged load for "
            << format_duration_ns(options.duration_ns) << ", probes cpu,offcpu,io,alloc; writing "
            << options.output_dir << "/\n";
  std::cout.flush();
  auto run = demo::run_demo(options);
  if (tty) std::fputs("\r\033[K", stdout);
  if (!run.ok()) return fail(run.error());
  std::cout << run->load_table;
  print_record_summary(run->bench.record, run->capture_path);
  for (const auto& w : run->report.warnings) log::warn(w);

  auto findings = demo::demo_findings(run->capture_path);
  if (!findings.ok()) return fail(findings.error());
  std::cout << "\nReport: " << run->report_dir
            << "/report.html (also report.md, report.json, flame graphs)\n\n"
            << demo::format_findings(*findings);
  std::ifstream truth(run->truth_path);
  std::stringstream text;
  text << truth.rdbuf();
  if (!text.str().empty()) std::cout << "\n" << demo::describe_ground_truth(text.str());
  return kExitOk;
}

#endif

}  // namespace loadprof::cli
