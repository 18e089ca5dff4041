// The recorder's flags, shared by `record` and `bench` (record_flags.h).
#include "record_flags.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "loadprof/util/log.h"
#include "loadprof/util/units.h"
#include "record_status.h"

namespace loadprof::cli {
namespace {

// The preload path's default mean sampling period (tcmalloc's and pprof's).
constexpr uint64_t kPreloadDefaultSampleBytes = 512 * 1024;

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(item);
  return out;
}

Error usage(const std::string& m) { return make_error(ErrorKind::usage, m); }

}  // namespace

void split_command(const std::vector<std::string>& all, std::vector<std::string>& args,
                   std::vector<std::string>& command) {
  bool after_dashes = false;
  for (const auto& a : all) {
    if (!after_dashes && a == "--") {
      after_dashes = true;
      continue;
    }
    (after_dashes ? command : args).push_back(a);
  }
}

void add_record_options(po::options_description& desc, bool with_duration) {
  desc.add_options()("pid", po::value<std::string>(), "attach to PID[,PID...]")(
      "children", po::bool_switch(), "also follow the PIDs' existing and future children");
  if (with_duration)
    desc.add_options()("duration", po::value<std::string>(),
                       "stop after DUR (10, 10s, 2m, 1m30s); default: Ctrl-C or target exit");
  desc.add_options()("frequency", po::value<std::string>()->default_value("99"), "sampling frequency in Hz")(
      "probes", po::value<std::string>()->default_value("cpu"),
      "probes: cpu, offcpu, io, alloc (alloc: uprobes with --pid, a preload library with -- CMD)")(
      "alloc-sample", po::value<std::string>(),
      "alloc: record one allocation per SIZE bytes on average; 0 records every one. --pid (uprobes, default "
      "0): each with probability size/SIZE, which reduces what is recorded, not the trap every call costs; "
      "-- CMD (preload, default 512KiB): a Poisson process by bytes, only sampled calls are unwound")(
      "alloc-max-overhead", po::value<std::string>(),
      "alloc with --pid: count the target's allocator calls for 0.2 s first and do not attach when uprobes "
      "on "
      "every call would take more than PCT % of a CPU (about 13 us a call) at that rate")(
      "offcpu-min", po::value<std::string>()->default_value("10us"),
      "offcpu: shorter off-CPU intervals are counted, not recorded (DUR: 10us, 1ms)")(
      "offcpu-wakers", po::bool_switch(),
      "offcpu: also record the waker's stack at each waking (frame pointers; costs a stack walk per "
      "waking)")(
      "io-slow", po::value<std::string>()->default_value("1ms"),
      "io: syscalls this long or longer are recorded one by one with exact times; shorter ones merged per "
      "second")("unwind", po::value<std::string>()->default_value("auto"),
                "auto|dwarf|fp: how user stacks are unwound (auto and dwarf: each module by its DWARF CFI, "
                "frame pointers where it has none; fp: frame pointers only, no stack copy)")(
      "user", po::value<std::string>(),
      "run the launched command as user NAME (or uid); default: the sudo user")(
      "output", po::value<std::string>(),
      "capture file to write (default loadprof.lpc, an existing one kept as loadprof.lpc.old)");
}

void warn_high_frequency(uint32_t frequency_hz) {
  if (frequency_hz < 1000) return;
  // docs/BENCHMARKS.md: a CPU-bound target lost 0.15 % of its work rate at
  // 99 Hz and 1.40 % at 999 Hz, about in proportion to the rate.
  char b[400];
  std::snprintf(b, sizeof b,
                "--frequency %u Hz: every sample interrupts the target; at 999 Hz a CPU-bound target lost "
                "1.4 %% of its throughput (docs/BENCHMARKS.md), and the cost grows with the rate: expect "
                "about %.1f %% at %u Hz (99 Hz, the default, cost 0.15 %%)",
                frequency_hz, 1.40 * frequency_hz / 999.0, frequency_hz);
  log::warn(b);
}

Result<record::RecordOptions> parse_record_flags(const po::variables_map& vm,
                                                 const std::vector<std::string>& command, const char* name) {
  record::RecordOptions o;
  o.command = command;
  o.children = vm["children"].as<bool>();
  if (vm.count("pid")) {
    for (const auto& p : split_commas(vm["pid"].as<std::string>())) {
      auto pid = parse_uint(p);
      if (!pid.ok() || *pid == 0 || *pid > 4194304) return usage("invalid --pid '" + p + "'");
      o.pids.push_back(static_cast<pid_t>(*pid));
    }
  }
  if (o.pids.empty() && o.command.empty())
    return usage(std::string(name) + " needs --pid PID or a command after -- (see --help)");
  if (!o.pids.empty() && !o.command.empty())
    return usage("give either --pid or a command after --, not both");
  if (o.children && !o.command.empty()) log::info("--children is implied for a launched command");
  o.output_path = vm.count("output") ? vm["output"].as<std::string>() : kDefaultCapturePath;
  if (vm.count("duration")) {
    auto d = parse_duration_ns(vm["duration"].as<std::string>());
    if (!d.ok()) return d.error().context("--duration");
    if (*d <= 0) return usage("--duration: must be positive");
    o.duration_ns = *d;
  }
  auto hz = parse_uint(vm["frequency"].as<std::string>());
  if (!hz.ok() || *hz < 1 || *hz > 10000)
    return usage("--frequency: expected 1..10000 Hz, got '" + vm["frequency"].as<std::string>() + "'");
  o.frequency_hz = static_cast<uint32_t>(*hz);
  warn_high_frequency(o.frequency_hz);
  o.probes = split_commas(vm["probes"].as<std::string>());
  for (const auto& p : o.probes) {
    if (p == "cpu" || p == "offcpu" || p == "io") continue;
    if (p == "alloc") {
      // A launched command loads the preload library (sampled, cheap); --pid uses uprobes.
      if (!o.command.empty()) continue;
      // PLATFORM.md: a uprobe hit ~5.6 us, a uretprobe ~15 us on this kind of machine.
      log::warn(
          "--probes alloc: uprobes trap on every malloc/free of the target (about 5.6 us per call + 15 us "
          "per "
          "return here): an allocation-heavy process runs much slower while recorded; keep --duration short");
      continue;
    }
    return usage("--probes: unknown probe '" + p + "' (cpu, offcpu, io, alloc)");
  }
  {
    auto d = parse_duration_ns(vm["offcpu-min"].as<std::string>());
    if (!d.ok()) return d.error().context("--offcpu-min");
    if (*d < 0) return usage("--offcpu-min: must not be negative");
    o.offcpu_min_ns = static_cast<uint64_t>(*d);
  }
  o.offcpu_wakers = vm["offcpu-wakers"].as<bool>();
  if (o.offcpu_wakers && std::find(o.probes.begin(), o.probes.end(), "offcpu") == o.probes.end())
    return usage("--offcpu-wakers needs --probes offcpu");
  {
    auto d = parse_duration_ns(vm["io-slow"].as<std::string>());
    if (!d.ok()) return d.error().context("--io-slow");
    if (*d <= 0) return usage("--io-slow: must be positive");
    o.io_slow_ns = static_cast<uint64_t>(*d);
  }
  if (vm.count("alloc-sample")) {
    auto b = parse_size_bytes(vm["alloc-sample"].as<std::string>());
    if (!b.ok()) return b.error().context("--alloc-sample");
    o.alloc_sample_bytes = *b;
  } else {
    o.alloc_sample_bytes = o.command.empty() ? 0 : kPreloadDefaultSampleBytes;
  }
  if (vm.count("alloc-max-overhead")) {
    auto pct = parse_double(vm["alloc-max-overhead"].as<std::string>());
    if (!pct.ok() || !(*pct > 0))
      return usage("--alloc-max-overhead: expected a percentage above 0, got '" +
                   vm["alloc-max-overhead"].as<std::string>() + "'");
    if (!o.command.empty())
      return usage(
          "--alloc-max-overhead applies to --pid (uprobes); a launched command uses the sampled preload "
          "path");
    o.alloc_max_overhead_pct = *pct;
  }
  o.unwind = vm["unwind"].as<std::string>();
  if (o.unwind != "auto" && o.unwind != "fp" && o.unwind != "dwarf")
    return usage("--unwind: expected auto, fp or dwarf, got '" + o.unwind + "'");
  if (vm.count("user")) {
    o.user = vm["user"].as<std::string>();
    if (o.user.empty()) return usage("--user: empty user name");
    if (o.command.empty())
      return make_error(ErrorKind::usage, "--user applies to a launched command (-- CMD), not to --pid");
  }
  return o;
}

std::string describe_targets(const record::RecordOptions& o) {
  if (!o.command.empty()) return "'" + o.command.front() + "'";
  std::string targets = o.pids.size() == 1 ? "pid " : "pids ";
  for (size_t i = 0; i < o.pids.size(); ++i) targets += (i ? "," : "") + std::to_string(o.pids[i]);
  return targets;
}

void print_record_summary(const record::RecordSummary& s, const std::string& output_path) {
  std::ostringstream msg;
  msg << "recorded " << s.samples << " samples (" << s.stacks << " stacks) of " << s.processes
      << " process(es) in " << format_duration_ns(static_cast<int64_t>(s.duration_s * 1e9)) << " -> "
      << output_path << " (" << format_bytes(s.bytes_written) << ")";
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
}

}  // namespace loadprof::cli
