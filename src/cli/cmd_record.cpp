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
#include "record_status.h"
#include "signals.h"

namespace loadprof::cli {
namespace {

constexpr const char* kUsage =
    "loadprof record (--pid PID[,PID...] [--children] | -- CMD [ARGS...]) [--duration DUR]\n"
    "                [--frequency HZ] [--probes cpu,offcpu,io] [--offcpu-min DUR] [--io-slow DUR] [--unwind "
    "auto|fp] [--user "
    "NAME]\n"
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

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(item);
  return out;
}

}  // namespace

int cmd_record(const Args& all_args) {
  // Everything after "--" is the command to launch.
  Args args;
  std::vector<std::string> command;
  bool after_dashes = false;
  for (const auto& a : all_args) {
    if (!after_dashes && a == "--") {
      after_dashes = true;
      continue;
    }
    (after_dashes ? command : args).push_back(a);
  }

  po::options_description desc("record options");
  desc.add_options()("help,h", "show this help")("pid", po::value<std::string>(), "attach to PID[,PID...]")(
      "children", po::bool_switch(), "also follow the PIDs' existing and future children")(
      "duration", po::value<std::string>(),
      "stop after DUR (10, 10s, 2m, 1m30s); default: Ctrl-C or target exit")(
      "frequency", po::value<std::string>()->default_value("99"), "sampling frequency in Hz")(
      "probes", po::value<std::string>()->default_value("cpu"), "probes: cpu, offcpu, io (alloc: not yet)")(
      "offcpu-min", po::value<std::string>()->default_value("10us"),
      "offcpu: shorter off-CPU intervals are counted, not recorded (DUR: 10us, 1ms)")(
      "io-slow", po::value<std::string>()->default_value("1ms"),
      "io: syscalls this long or longer are recorded one by one with exact times; shorter ones merged per "
      "second")("unwind", po::value<std::string>()->default_value("auto"),
                "auto|fp|dwarf (auto = frame pointers for now)")(
      "user", po::value<std::string>(),
      "run the launched command as user NAME (or uid); default: the sudo user")(
      "output", po::value<std::string>(),
      "capture file to write (default loadprof.lpc, an existing one kept as loadprof.lpc.old)");
  ParseSpec spec;
  spec.comma_lists = {"pid", "probes"};
  spec.stray_hint = "a command to launch goes after --: loadprof record [flags] -- CMD [ARGS...]";
  auto parsed = parse_args(args, desc, spec);
  if (!parsed.ok()) return fail(parsed.error());
  auto& vm = *parsed;
  if (vm.count("help")) return print_help(kUsage, desc);

  record::RecordOptions o;
  o.command = command;
  o.children = vm["children"].as<bool>();
  if (vm.count("pid")) {
    for (const auto& p : split_commas(vm["pid"].as<std::string>())) {
      auto pid = parse_uint(p);
      if (!pid.ok() || *pid == 0 || *pid > 4194304)
        return fail(make_error(ErrorKind::usage, "invalid --pid '" + p + "'"));
      o.pids.push_back(static_cast<pid_t>(*pid));
    }
  }
  if (o.pids.empty() && o.command.empty())
    return fail(make_error(ErrorKind::usage, "record needs --pid PID or a command after -- (see --help)"));
  if (!o.pids.empty() && !o.command.empty())
    return fail(make_error(ErrorKind::usage, "give either --pid or a command after --, not both"));
  if (o.children && !o.command.empty()) log::info("--children is implied for a launched command");
  const bool default_output = !vm.count("output");
  o.output_path = default_output ? kDefaultCapturePath : vm["output"].as<std::string>();
  if (vm.count("duration")) {
    auto d = parse_duration_ns(vm["duration"].as<std::string>());
    if (!d.ok()) return fail(d.error().context("--duration"));
    if (*d <= 0) return fail(make_error(ErrorKind::usage, "--duration: must be positive"));
    o.duration_ns = *d;
  }
  auto hz = parse_uint(vm["frequency"].as<std::string>());
  if (!hz.ok() || *hz < 1 || *hz > 10000)
    return fail(make_error(ErrorKind::usage, "--frequency: expected 1..10000 Hz, got '" +
                                                 vm["frequency"].as<std::string>() + "'"));
  o.frequency_hz = static_cast<uint32_t>(*hz);
  if (o.frequency_hz >= 1000) {
    // docs/BENCHMARKS.md: a CPU-bound target lost 0.15 % of its work rate at
    // 99 Hz and 1.40 % at 999 Hz, about in proportion to the rate.
    char b[400];
    std::snprintf(b, sizeof b,
                  "--frequency %u Hz: every sample interrupts the target; at 999 Hz a CPU-bound target lost "
                  "1.4 %% of its throughput (docs/BENCHMARKS.md), and the cost grows with the rate: expect "
                  "about %.1f %% at %u Hz (99 Hz, the default, cost 0.15 %%)",
                  o.frequency_hz, 1.40 * o.frequency_hz / 999.0, o.frequency_hz);
    log::warn(b);
  }
  o.probes = split_commas(vm["probes"].as<std::string>());
  for (const auto& p : o.probes) {
    if (p == "cpu" || p == "offcpu" || p == "io") continue;
    if (p == "alloc") return not_available("--probes " + p);
    return fail(make_error(ErrorKind::usage, "--probes: unknown probe '" + p + "' (cpu, offcpu, io, alloc)"));
  }
  {
    auto d = parse_duration_ns(vm["offcpu-min"].as<std::string>());
    if (!d.ok()) return fail(d.error().context("--offcpu-min"));
    if (*d < 0) return fail(make_error(ErrorKind::usage, "--offcpu-min: must not be negative"));
    o.offcpu_min_ns = static_cast<uint64_t>(*d);
  }
  {
    auto d = parse_duration_ns(vm["io-slow"].as<std::string>());
    if (!d.ok()) return fail(d.error().context("--io-slow"));
    if (*d <= 0) return fail(make_error(ErrorKind::usage, "--io-slow: must be positive"));
    o.io_slow_ns = static_cast<uint64_t>(*d);
  }
  o.unwind = vm["unwind"].as<std::string>();
  if (o.unwind == "dwarf") return not_available("--unwind dwarf");
  if (o.unwind != "auto" && o.unwind != "fp")
    return fail(make_error(ErrorKind::usage, "--unwind: expected auto, fp or dwarf, got '" + o.unwind + "'"));
  if (vm.count("user")) {
    o.user = vm["user"].as<std::string>();
    if (o.user.empty()) return fail(make_error(ErrorKind::usage, "--user: empty user name"));
    if (o.command.empty())
      return fail(
          make_error(ErrorKind::usage, "--user applies to a launched command (-- CMD), not to --pid"));
  }
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
  std::string targets;
  if (!o.command.empty()) {
    targets = "'" + o.command.front() + "'";
  } else {
    targets = o.pids.size() == 1 ? "pid " : "pids ";
    for (size_t i = 0; i < o.pids.size(); ++i) targets += (i ? "," : "") + std::to_string(o.pids[i]);
  }
  RecordStatusLine status(STDERR_FILENO, targets);
  o.progress = [&](const record::RecordProgress& p) {
    if (p.phase == record::RecordProgress::Phase::finishing) flags.finishing.store(true);
    status.update(p);
  };
  o.hurry = &flags.hurry;
  auto result = record::run_record(o, flags.stop);
  status.clear();
  if (!result.ok()) return fail(result.error());
  const auto& s = *result;
  std::ostringstream msg;
  msg << "recorded " << s.samples << " samples (" << s.stacks << " stacks) of " << s.processes
      << " process(es) in " << format_duration_ns(static_cast<int64_t>(s.duration_s * 1e9)) << " -> "
      << o.output_path << " (" << format_bytes(s.bytes_written) << ")";
  if (s.end.interrupted)
    msg << "; interrupted";
  else if (s.end.reason == "target exited")
    msg << "; target exited";
  std::cerr << msg.str() << "\n";
  if (s.launched) {
    std::cerr << "command '" << s.launched->command << "' ";
    if (!s.launched_as.empty()) std::cerr << "(run as " << s.launched_as << ") ";
    if (s.launched->exit_code)
      std::cerr << "exited with status " << *s.launched->exit_code << "\n";
    else if (s.launched->exit_signal)
      std::cerr << "was killed by signal " << *s.launched->exit_signal << "\n";
    else
      std::cerr << "exit status unknown\n";
  }
  uint64_t lost = 0;
  std::string lost_detail;
  for (const auto& [probe, reasons] : s.drops)
    for (const auto& [reason, n] : reasons)
      if (n) {
        lost += n;
        lost_detail += " " + probe + "/" + reason + "=" + std::to_string(n);
      }
  if (lost) std::cerr << "lost:" << lost_detail << "\n";
  for (const auto& note : s.target_notes) log::warn(note);
  log::info(recorder_cost_text(s.cost));
  return kExitOk;
#endif
}

}  // namespace loadprof::cli
