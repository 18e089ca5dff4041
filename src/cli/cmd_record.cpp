// loadprof record: parse flags into RecordOptions and run the recorder.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "loadprof/record/recorder.h"
#include "loadprof/util/exit_codes.h"
#include "loadprof/util/log.h"
#include "loadprof/util/units.h"
#include "options.h"
#include "record_flags.h"
#include "record_status.h"
#include "signals.h"

namespace loadprof::cli {
namespace {

constexpr const char* kUsage =
    "loadprof record (--pid PID[,PID...] [--children] | -- CMD [ARGS...]) [--duration DUR]\n"
    "                [--frequency HZ] [--probes cpu,offcpu,io,alloc] [--offcpu-min DUR] [--io-slow DUR]\n"
    "                [--offcpu-wakers] [--alloc-sample SIZE]\n"
    "                [--unwind auto|dwarf|fp] [--user NAME]\n"
    "                [--output FILE.lpc]\n"
    "\n"
    "A launched command (-- CMD) runs as --user NAME when given, else as the user who invoked sudo\n"
    "(SUDO_UID/SUDO_GID, with that user's groups, HOME and USER), else as loadprof's own user. It gets the\n"
    "terminal while it runs when loadprof is in the terminal's foreground: Ctrl-C then reaches the\n"
    "command, and the recording stops when it exits.\n"
    "\n"
    "On a terminal, a status line shows the samples so far. Ctrl-C stops and writes the capture; a\n"
    "second Ctrl-C stops at once (a launched command is killed without its grace period; the capture\n"
    "is still whole).";

}  // namespace

int cmd_record(const Args& all_args) {
  // Everything after "--" is the command to launch.
  Args args;
  std::vector<std::string> command;
  split_command(all_args, args, command);

  po::options_description desc("record options");
  desc.add_options()("help,h", "show this help");
  add_record_options(desc, true);
  ParseSpec spec;
  spec.comma_lists = {"pid", "probes"};
  spec.stray_hint = "a command to launch goes after --: loadprof record [flags] -- CMD [ARGS...]";
  auto parsed = parse_args(args, desc, spec);
  if (!parsed.ok()) return fail(parsed.error());
  auto& vm = *parsed;
  if (vm.count("help")) return print_help(kUsage, desc);

  auto parsed_options = parse_record_flags(vm, command, "record");
  if (!parsed_options.ok()) return fail(parsed_options.error());
  record::RecordOptions o = std::move(*parsed_options);
  const bool default_output = !vm.count("output");
  o.command_line = "loadprof record";
  for (const auto& a : all_args) o.command_line += " " + shell_quote(a);

#ifndef HAVE_LOADPROF_RECORD
  return not_available("record (this build has no BPF support: rebuild with -DLOADPROF_BPF=ON)");
#else
  if (default_output) {
    auto kept = keep_previous_output(o.output_path);
    if (!kept.ok()) return fail(kept.error());
  }
  auto& flags = install_stop_flags();
  std::string targets = describe_targets(o);
  RecordStatusLine status(STDERR_FILENO, targets);
  o.progress = [&](const record::RecordProgress& p) {
    if (p.phase == record::RecordProgress::Phase::finishing) flags.finishing.store(true);
    status.update(p);
  };
  o.hurry = &flags.hurry;
  auto result = record::run_record(o, flags.stop);
  status.clear();
  if (!result.ok()) return fail(result.error());
  print_record_summary(*result, o.output_path);
  return kExitOk;
#endif
}

}  // namespace loadprof::cli
