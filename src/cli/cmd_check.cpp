// loadprof check FILE.lpc (--slo SPEC | --baseline FILE.json [--update]) [--threshold PCT] [--json FILE]
// Parses the flags into a report::CheckConfig and calls the report library:
// exit 1 when a term or a baseline entry fails, 0 when all hold, 2 on bad
// usage or input (SPEC.md).
#include <cstdlib>
#include <ctime>
#include <iostream>

#include "commands.h"
#include "loadprof/util/exit_codes.h"
#include "loadprof/util/log.h"
#include "options.h"

#if defined(HAVE_LOADPROF_REPORT)
#include "loadprof/report/check.h"
#endif

namespace loadprof::cli {

namespace {
constexpr const char* kUsage =
    "loadprof check FILE.lpc (--slo \"p95<200ms,p99<500ms,errors<1%\" | --baseline FILE.json [--update]) "
    "[--threshold PCT] [--json FILE]";

// "5", "5%": a percentage >= 0.
Result<double> parse_threshold(const std::string& text) {
  std::string t = text;
  while (!t.empty() && (t.back() == '%' || t.back() == ' ')) t.pop_back();
  char* end = nullptr;
  const double v = t.empty() ? -1 : std::strtod(t.c_str(), &end);
  if (t.empty() || end != t.c_str() + t.size() || !(v >= 0) || v > 1e6)
    return make_error(ErrorKind::usage, "check: bad --threshold '" + text + "' (a percentage >= 0, e.g. 5)");
  return v;
}

std::string today_utc() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char b[16];
  std::strftime(b, sizeof b, "%Y-%m-%d", &tm);
  return b;
}
}  // namespace

#if defined(HAVE_LOADPROF_REPORT)

int cmd_check(const Args& args) {
  po::options_description desc("check flags");
  // clang-format off
  desc.add_options()
      ("help,h", "show this help")
      ("slo", po::value<std::string>(), "terms METRIC<VALUE, comma-separated (p50 p90 p95 p99 p999 max errors "
       "rps); a term ending in @DURATION (p99<50ms@30s) must hold in every window of that length")
      ("baseline", po::value<std::string>(), "compare with the baseline file (JSON, docs/CI.md)")
      ("update", po::bool_switch(), "write this capture's figures back into the --baseline file (created "
       "when missing)")
      ("threshold", po::value<std::string>(), "a p95/p99 more than PCT % above the baseline's, beyond noise, "
       "is a regression (default 5)")
      ("json", po::value<std::string>(), "write the verdicts as JSON to FILE ('-': stdout, instead of the table)");
  // clang-format on
  po::options_description hidden;
  hidden.add_options()("capture", po::value<std::vector<std::string>>());
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description positional;
  positional.add("capture", 1);

  auto vm = parse_args(args, all, &positional);
  if (!vm.ok()) return fail(vm.error());
  if (vm->count("help")) {
    const int code = print_help(kUsage, desc);
    std::cout
        << "Exit 1 when a term (whole run or any stage) or a baseline entry fails, 0 when all hold. See "
           "docs/CI.md.\n";
    return code;
  }
  const auto files =
      vm->count("capture") ? (*vm)["capture"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (files.size() != 1)
    return fail(make_error(ErrorKind::usage, "check takes one capture: " + std::string(kUsage)));
  report::CheckConfig config;
  config.capture_path = files[0];
  if (vm->count("slo")) {
    auto s = stats::parse_slo((*vm)["slo"].as<std::string>());
    if (!s) return fail(make_error(ErrorKind::usage, "--slo: " + s.error().message));
    config.slo = *s;
  }
  if (vm->count("baseline")) config.baseline_path = (*vm)["baseline"].as<std::string>();
  config.update = (*vm)["update"].as<bool>();
  if (config.update && !config.baseline_path)
    return fail(make_error(ErrorKind::usage, "--update needs --baseline FILE.json"));
  if (config.slo.empty() && !config.baseline_path)
    return fail(make_error(ErrorKind::usage, "check needs --slo or --baseline: " + std::string(kUsage)));
  if (vm->count("threshold")) {
    auto t = parse_threshold((*vm)["threshold"].as<std::string>());
    if (!t.ok()) return fail(t.error());
    config.threshold_pct = *t;
  }
  if (vm->count("json")) config.json_path = (*vm)["json"].as<std::string>();
  config.today_iso = today_utc();

  auto outcome = report::run_check(config, std::cout);
  std::cout.flush();
  if (!outcome.ok()) return fail(outcome.error());
  for (const auto& f : outcome->files_written) log::info("wrote " + f);
  return outcome->ok ? kExitOk : kExitSloBroken;
}

#else

int cmd_check(const Args&) { return not_available("loadprof check (built without the report library)"); }

#endif

}  // namespace loadprof::cli
