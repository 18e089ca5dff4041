// `loadprof check` as a library call: read a bench capture, judge its request
// log against SLO terms (whole run, stages, windows) and/or a baseline file,
// print the table, write the JSON and the updated baseline when asked.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "loadprof/analyze/baseline.h"
#include "loadprof/analyze/check.h"
#include "loadprof/stats/slo.h"
#include "loadprof/util/result.h"

namespace loadprof::report {

struct CheckConfig {
  std::string capture_path;
  std::vector<stats::SloTerm> slo;           // empty: no SLO
  std::optional<std::string> baseline_path;  // --baseline
  bool update = false;                       // --update: write the figures back
  double threshold_pct = 5;                  // --threshold
  std::optional<std::string> json_path;      // --json ('-': stdout, instead of the table)
  std::string today_iso;                     // last_tested written by --update (YYYY-MM-DD)
};

struct CheckOutcome {
  analyze::LoadLog log;
  std::optional<analyze::SloCheck> slo;
  std::optional<analyze::BaselineCheck> baseline;
  bool ok = true;  // every term and every baseline entry holds
  std::vector<std::string> warnings;
  std::vector<std::string> files_written;
};

nlohmann::ordered_json check_to_json(const CheckConfig& config, const CheckOutcome& outcome);
void write_check_table(std::ostream& out, const CheckConfig& config, const CheckOutcome& outcome);

// Errors: the reader's (prefixed with the path), "no load data" (usage), a
// baseline that is not one (corrupt_input), io.
[[nodiscard]] Result<CheckOutcome> run_check(const CheckConfig& config, std::ostream& out);

}  // namespace loadprof::report
