// loadprof bench: parse the load flags and the record flags, run the bench
// library (load + record on one clock), print the load table and what was
// recorded. Exit 1 when the SLO is broken (after everything is written).
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "load_flags.h"
#include "loadprof/util/exit_codes.h"
#include "loadprof/util/log.h"
#include "loadprof/util/units.h"
#include "options.h"
#include "record_flags.h"
#include "signals.h"

#if defined(HAVE_LOADPROF_BENCH)
#include "loadprof/bench/bench.h"
#include "loadprof/load/capacity.h"
#include "loadprof/load/summary.h"
#endif

namespace loadprof::cli {

#if !defined(HAVE_LOADPROF_BENCH)
int cmd_bench(const Args&) {
  return not_available("bench (this build has no BPF support: rebuild with -DLOADPROF_BPF=ON)");
}
#else

namespace {

const char* kUsage =
    "loadprof bench URL (--pid PID[,PID...] | -- CMD [ARGS...]) [load flags] [record flags] [--output "
    "FILE.lpc]\n"
    "loadprof bench --scenario FILE (--pid PID | -- CMD ...) [...]\n"
    "\n"
    "Drives the load at URL while recording the target on the same clock; the capture holds the\n"
    "samples, every request of the load and the load's summary (loadprof report FILE.lpc).\n"
    "A launched command (-- CMD) is started under the recorder; the load starts once it accepts\n"
    "connections on the URL's port (--listen-timeout, default 30s; exit 4 if it never does) and the\n"
    "command's process group is stopped when the load ends. --pid leaves the target running.\n"
    "Ctrl-C stops the load, then the recording; the capture is kept, marked interrupted.";

struct ProgressState {
  std::atomic<double> target_cpu_pct{-1};
};

void print_progress(const load::Progress& p, size_t stage_count, double target_cpu_pct) {
  char line[256];
  std::string stage = p.stage < 0 ? "warmup"
                      : p.stage >= static_cast<int>(stage_count)
                          ? "draining"
                          : "stage " + std::to_string(p.stage + 1) + "/" + std::to_string(stage_count);
  char cpu[32] = "   -";
  if (target_cpu_pct >= 0) std::snprintf(cpu, sizeof cpu, "%4.0f%%", target_cpu_pct);
  std::snprintf(line, sizeof line,
                "\r\033[K[%6.1fs] %-12s rate %8.0f/s  p99 %8.2fms  requests %llu  errors %llu  target CPU %s",
                p.elapsed_s, stage.c_str(), p.last_second_rps, p.last_second_p99_ms,
                static_cast<unsigned long long>(p.requests), static_cast<unsigned long long>(p.errors), cpu);
  std::fputs(line, stdout);
  std::fflush(stdout);
}

}  // namespace

int cmd_bench(const Args& all_args) {
  Args args;
  std::vector<std::string> command;
  split_command(all_args, args, command);
  po::options_description desc("loadprof bench options");
  desc.add_options()("help,h", "show this help");
  add_load_options(desc);
  add_record_options(desc, false);
  desc.add_options()("listen-timeout", po::value<std::string>()->default_value("30s"),
                     "launched command: how long to wait for it to accept connections on the URL's port");
  po::positional_options_description pos;
  pos.add("url", 1);
  ParseSpec spec;
  spec.positional = &pos;
  spec.comma_lists = {"pid", "probes"};
  spec.stray_hint = "a command to launch goes after --: loadprof bench URL [flags] -- CMD [ARGS...]";
  auto parsed = parse_args(args, desc, spec);
  if (!parsed.ok()) return fail(parsed.error());
  auto& vm = *parsed;
  if (vm.count("help")) return print_help(kUsage, desc);

  auto setup_r = parse_load_flags(vm);
  if (!setup_r) return fail(setup_r.error());
  LoadSetup& setup = **setup_r;
  auto record_r = parse_record_flags(vm, command, "bench");
  if (!record_r.ok()) return fail(record_r.error());
  bench::BenchOptions options;
  options.record = std::move(*record_r);
  options.url = setup.config.url;
  {
    auto t = parse_duration_ns(vm["listen-timeout"].as<std::string>());
    if (!t.ok()) return fail(t.error().context("--listen-timeout"));
    if (*t <= 0) return fail(make_error(ErrorKind::usage, "--listen-timeout: must be positive"));
    if (options.record.command.empty() && !vm["listen-timeout"].defaulted())
      return fail(make_error(ErrorKind::usage, "--listen-timeout: only for a launched command (-- CMD)"));
    options.listen_timeout_ns = *t;
  }
  auto& ro = options.record;
  ro.command_line = "loadprof bench";
  for (const auto& a : all_args) ro.command_line += " " + shell_quote(a);
  if (!vm.count("output")) {
    auto kept = keep_previous_output(ro.output_path);
    if (!kept.ok()) return fail(kept.error());
  }

  auto& flags = install_stop_flags();
  setup.config.stop = &flags.stop;
  ro.hurry = &flags.hurry;
  ro.progress = [&](const record::RecordProgress& p) {
    if (p.phase == record::RecordProgress::Phase::finishing) flags.finishing.store(true);
  };
  const bool tty = isatty(STDOUT_FILENO);
  ProgressState progress_state;

  // What the load part leaves for the terminal once the recording is written.
  std::string table_text;
  bool slo_ok = true;
  bool interrupted = false;
  auto run_load = [&](load::RequestSink& sink) -> Result<capture::LoadRun> {
    load::LoadConfig& cfg = setup.config;
    cfg.sink = &sink;
    if (setup.find_capacity) {
      load::CapacityConfig cc;
      cc.slo = setup.slo;
      cc.step_ns = setup.step_ns;
      cc.budget_ns = setup.duration_ns;
      if (setup.has_rate) cc.start_rps = cfg.stages.front().rate_start_rps;
      double best_rate = -1;
      auto after = [&](const load::CapacityStep& st, const load::LoadResult&) {
        std::printf("step %6.1f req/s: throughput %8.1f req/s  p99 %8.2f ms  errors %5.2f%%  %s\n",
                    st.rate_rps, st.throughput_rps, st.latency.p99_ms, st.error_rate_pct, st.verdict.c_str());
        std::fflush(stdout);
        if (setup.source && ((st.slo_ok && st.rate_rps > best_rate) || best_rate < 0)) {
          best_rate = st.slo_ok ? st.rate_rps : 0;
          setup.collect_scenario_results();
        }
      };
      auto prepare = [&](load::LoadConfig& c) { setup.prepare_source(c); };
      LOADPROF_TRY(found, load::find_capacity(cfg, cc, prepare, after, nullptr));
      interrupted = found.interrupted;
      slo_ok = found.max_rate_rps > 0;
      table_text = "loadprof bench " + setup.target_name + ": " + load::format_capacity_table(found);
      std::string json = "{}";
      if (found.has_best) {
        auto summary = load::summarize(found.best_config, found.best, setup.slo);
        if (setup.source) summary.scenario = &setup.scenario_report;
        summary.capacity_json = load::capacity_json(found);
        json = load::format_json(summary);
        if (!setup.json_path.empty()) LOADPROF_CHECK(write_json_file(setup.json_path, json));
        return bench::describe_load_run(found.best_config, found.best, json, table_text);
      }
      capture::LoadRun none;
      none.summary_json = json;
      none.table = table_text;
      return none;
    }
    setup.prepare_source(cfg);
    load::ProgressFn progress;
    const size_t stage_count = cfg.stages.size();
    if (tty)
      progress = [&, stage_count](const load::Progress& p) {
        print_progress(p, stage_count, progress_state.target_cpu_pct.load());
      };
    auto result = load::run_load(cfg, progress);
    if (tty) std::fputs("\r\033[K", stdout);
    if (!result) return result.error();
    auto summary = load::summarize(cfg, *result, setup.slo);
    if (setup.source) {
      setup.collect_scenario_results();
      summary.scenario = &setup.scenario_report;
    }
    interrupted = result->interrupted;
    slo_ok = summary.slo_ok;
    table_text = "loadprof bench " + setup.target_name + ": " + load::format_table(summary);
    std::string json = load::format_json(summary);
    if (!setup.json_path.empty()) LOADPROF_CHECK(write_json_file(setup.json_path, json));
    return bench::describe_load_run(cfg, *result, json, table_text);
  };
  auto on_cpu = [&](double pct) { progress_state.target_cpu_pct.store(pct); };

  const std::string output_path = ro.output_path;
  auto result = bench::run_bench(std::move(options), run_load, flags.stop, on_cpu);
  if (!result.ok()) {
    if (setup.json_created) std::remove(setup.json_path.c_str());
    return fail(result.error());
  }
  const auto& r = *result;
  if (!table_text.empty()) {
    std::cout << table_text;
    std::cout.flush();
  }
  print_record_summary(r.record, output_path);
  std::cerr << "requests in the capture: " << r.requests_written;
  if (r.requests_dropped)
    std::cerr << " (" << r.requests_dropped << " lost on the way: counted in the capture)";
  std::cerr << "; report: loadprof report " << shell_quote(output_path) << "\n";
  if (interrupted || r.record.end.interrupted) return kExitOk;
  return slo_ok ? kExitOk : kExitSloBroken;
}

#endif

}  // namespace loadprof::cli
