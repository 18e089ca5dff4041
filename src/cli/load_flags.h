// The load driver's flags, shared by `load` and `bench`: their declaration and
// their parsing into a LoadConfig (plus the scenario, the SLO, the capacity
// search's settings and --json). Only the CLI includes this.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "options.h"

#ifdef HAVE_LOADPROF_LOAD
#include "loadprof/load/driver.h"
#include "loadprof/load/scenario.h"
#include "loadprof/load/summary.h"
#include "loadprof/stats/slo.h"
#endif

namespace loadprof::cli {

// Adds the load flags to desc (the URL is positional: "url").
void add_load_options(po::options_description& desc);

#ifdef HAVE_LOADPROF_LOAD

struct LoadSetup {
  load::LoadConfig config;
  std::string target_name;  // the URL or the scenario file, for the table's title
  bool find_capacity = false;
  int64_t duration_ns = 0;  // --duration (or its default); with --find-capacity the search's budget
  int64_t step_ns = 10'000'000'000;
  bool has_rate = false;
  std::vector<stats::SloTerm> slo;
  std::string json_path;      // "" without --json
  bool json_created = false;  // the --json file did not exist before (removed when no results come)
  load::Scenario scenario;    // --scenario (the source refers to it)
  std::unique_ptr<load::ScenarioSource> source;  // --scenario
  load::ScenarioReport scenario_report;
  bool connections_given = false;

  // Sizes a scenario's connections from the rate and hands the source its
  // per-user state (no-op without a scenario).
  void prepare_source(load::LoadConfig& c);
  // The scenario's per-step results into scenario_report (no-op without one).
  void collect_scenario_results();
};

// Validates the flags and builds the run; nothing is sent. Errors are usage
// (exit 2, naming the flag) or not_available.
Result<std::unique_ptr<LoadSetup>> parse_load_flags(const po::variables_map& vm);

// Writes --json; a write, flush or close that fails is an error.
Result<void> write_json_file(const std::string& path, const std::string& text);

#endif

}  // namespace loadprof::cli
