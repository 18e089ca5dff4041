// loadprof load — drive HTTP load at a URL or a scenario's journeys (open or
// closed model), or search for the capacity; print the final table, write
// --json, judge --slo. Parses flags into a LoadConfig and calls the load
// library; nothing here measures or computes.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "commands.h"
#include "load_flags.h"
#include "loadprof/util/exit_codes.h"
#include "options.h"

#ifdef HAVE_LOADPROF_LOAD
#include "loadprof/load/capacity.h"
#include "loadprof/load/driver.h"
#include "loadprof/load/scenario.h"
#include "loadprof/load/summary.h"
#include "loadprof/stats/slo.h"
#include "loadprof/util/units.h"
#endif

namespace loadprof::cli {

#ifndef HAVE_LOADPROF_LOAD
int cmd_load(const Args&) { return not_available("loadprof load"); }
#else

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop.store(true); }

const char* kUsage =
    "loadprof load URL [--rate RPS | --closed] [--duration DUR] [--stages SPEC] [--connections N] [--threads "
    "T]\n"
    "       [--slo SPEC] [--json FILE] [-H 'Name: value']... [--method M] [--body STR|@FILE] [--timeout "
    "DUR]\n"
    "       [--warmup DUR] [--no-keepalive] [--arrival uniform|poisson] [--think-time DUR] [--ok-status "
    "LIST]\n"
    "loadprof load --scenario FILE [--rate RPS | --closed] [...]      journeys from a scenario file "
    "(docs/scenarios.md)\n"
    "loadprof load (URL | --scenario FILE) --find-capacity [--slo SPEC] [--rate START] [--step-duration "
    "DUR]\n"
    "       [--duration BUDGET]                                        the highest rate that meets the SLO";

void print_progress(const load::Progress& p, size_t stage_count) {
  char line[256];
  std::string stage = p.stage < 0 ? "warmup"
                      : p.stage >= static_cast<int>(stage_count)
                          ? "draining"
                          : "stage " + std::to_string(p.stage + 1) + "/" + std::to_string(stage_count);
  std::snprintf(line, sizeof line,
                "\r\033[K[%6.1fs] %-12s rate %8.0f/s  p99 %8.2fms  requests %llu  errors %llu", p.elapsed_s,
                stage.c_str(), p.last_second_rps, p.last_second_p99_ms,
                static_cast<unsigned long long>(p.requests), static_cast<unsigned long long>(p.errors));
  std::fputs(line, stdout);
  std::fflush(stdout);
}

}  // namespace

int cmd_load(const Args& args) {
  po::options_description desc("loadprof load options");
  desc.add_options()("help,h", "show this help");
  add_load_options(desc);
  po::positional_options_description pos;
  pos.add("url", 1);
  auto vm_r = parse_args(args, desc, &pos);
  if (!vm_r) return fail(vm_r.error());
  auto& vm = *vm_r;
  if (vm.count("help")) return print_help(kUsage, desc);
  auto setup_r = parse_load_flags(vm);
  if (!setup_r) return fail(setup_r.error());
  LoadSetup& setup = **setup_r;
  load::LoadConfig& cfg = setup.config;
  const auto& slo = setup.slo;
  const auto& json_path = setup.json_path;
  const bool json_created = setup.json_created;
  auto& source = setup.source;
  auto& scenario_report = setup.scenario_report;
  const bool find_capacity = setup.find_capacity;

  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  struct sigaction old_int {
  }, old_term{};
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  cfg.stop = &g_stop;
  bool tty = isatty(STDOUT_FILENO);
  if (find_capacity) {
    load::CapacityConfig cc;
    cc.slo = slo;
    cc.step_ns = setup.step_ns;
    cc.budget_ns = setup.duration_ns;
    if (setup.has_rate) cc.start_rps = cfg.stages.front().rate_start_rps;
    double best_rate = -1;
    auto after = [&](const load::CapacityStep& st, const load::LoadResult&) {
      std::printf("step %6.1f req/s: throughput %8.1f req/s  p99 %8.2f ms  errors %5.2f%%  %s\n", st.rate_rps,
                  st.throughput_rps, st.latency.p99_ms, st.error_rate_pct, st.verdict.c_str());
      std::fflush(stdout);
      // Per-step results of the run that becomes the top-level figures.
      if (source && ((st.slo_ok && st.rate_rps > best_rate) || best_rate < 0)) {
        best_rate = st.slo_ok ? st.rate_rps : 0;
        setup.collect_scenario_results();
      }
    };
    auto drained = [](const load::CapacityStep& st) {
      std::printf("  then: %s\n", load::format_drain(st).c_str());
      std::fflush(stdout);
    };
    auto prepare = [&](load::LoadConfig& c) { setup.prepare_source(c); };
    auto found = load::find_capacity(cfg, cc, prepare, after, drained);
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
    if (!found) {
      if (json_created) std::remove(json_path.c_str());
      return fail(found.error());
    }
    std::cout << "loadprof load " << setup.target_name << ": " << load::format_capacity_table(*found);
    if (source) std::cout << "(rates are journeys per second; throughput is requests per second)\n";
    if (!json_path.empty() && found->has_best) {
      auto summary = load::summarize(found->best_config, found->best, slo);
      if (source) summary.scenario = &scenario_report;
      summary.capacity_json = load::capacity_json(*found);
      if (auto w = write_json_file(json_path, load::format_json(summary)); !w) return fail(w.error());
    }
    if (found->interrupted) return kExitOk;
    return found->max_rate_rps > 0 ? kExitOk : kExitSloBroken;
  }
  setup.prepare_source(cfg);
  size_t stage_count = cfg.stages.size();
  load::ProgressFn progress;
  if (tty) progress = [stage_count](const load::Progress& p) { print_progress(p, stage_count); };
  auto result = load::run_load(cfg, progress);
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  if (tty) std::fputs("\r\033[K", stdout);
  if (!result) {
    if (json_created) std::remove(json_path.c_str());  // no results: leave no empty file behind
    return fail(result.error());
  }

  auto summary = load::summarize(cfg, *result, slo);
  if (source) {
    setup.collect_scenario_results();
    summary.scenario = &scenario_report;
  }
  std::cout << "loadprof load " << setup.target_name << ": " << load::format_table(summary);
  std::cout.flush();
  if (!json_path.empty()) {
    if (auto w = write_json_file(json_path, load::format_json(summary)); !w) return fail(w.error());
  }
  if (result->interrupted) return kExitOk;
  return summary.slo_ok ? kExitOk : kExitSloBroken;
}

#endif

}  // namespace loadprof::cli
