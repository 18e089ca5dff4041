// loadprof diff BASE.lpc NEW.lpc [--json FILE] [--output-dir DIR] [--threshold PCT] [--kind cpu|offcpu|io]
//               [--keep-interrupts]
// Parses the flags into a report::DiffConfig and calls the report library;
// exit 1 on a significant regression beyond the threshold (SPEC.md), 0
// otherwise, 2 on bad usage or input.
#include <cstdlib>
#include <iostream>

#include "commands.h"
#include "loadprof/util/exit_codes.h"
#include "loadprof/util/log.h"
#include "options.h"

#if defined(HAVE_LOADPROF_REPORT)
#include "loadprof/report/diff.h"
#endif

namespace loadprof::cli {

namespace {
constexpr const char* kUsage =
    "loadprof diff BASE.lpc NEW.lpc [--json FILE] [--output-dir DIR] [--threshold PCT] [--kind cpu|offcpu|io] "
    "[--keep-interrupts] [--max-memory SIZE|unlimited]";

// "5", "5%", "2.5 %": a percentage >= 0.
Result<double> parse_threshold(const std::string& text) {
  std::string t = text;
  while (!t.empty() && (t.back() == '%' || t.back() == ' ')) t.pop_back();
  char* end = nullptr;
  const double v = t.empty() ? -1 : std::strtod(t.c_str(), &end);
  if (t.empty() || end != t.c_str() + t.size() || !(v >= 0) || v > 1e6) {
    return make_error(ErrorKind::usage, "diff: bad --threshold '" + text + "' (a percentage >= 0, e.g. 5)");
  }
  return v;
}
}  // namespace

#if defined(HAVE_LOADPROF_REPORT)

int cmd_diff(const Args& args) {
  po::options_description desc("diff flags");
  // clang-format off
  desc.add_options()
      ("help,h", "show this help")
      ("json", po::value<std::string>(), "write the diff JSON (SPEC.md) to FILE ('-': stdout, instead of "
       "the Markdown)")
      ("output-dir", po::value<std::string>(), "write diff.md, diff.json, diff.html and KIND.diff.svg "
       "(differential flame graph: red grew, blue shrank) into DIR")
      ("threshold", po::value<std::string>(), "a function's share must grow by more than PCT % of its base "
       "share (relative) to count as a regression (default 5)")
      ("kind", po::value<std::string>(), "stack kind whose shares are compared: cpu, offcpu or io (default: "
       "cpu, and offcpu and io when both captures hold them)")
      ("keep-interrupts", po::bool_switch(), "compare the kernel frames of interrupts taken in user code too "
       "(default: the sample counts for the interrupted function)")
      ("max-memory", po::value<std::string>(), "memory each capture's records may take: SIZE or 'unlimited'");
  // clang-format on
  po::options_description hidden;
  hidden.add_options()("capture", po::value<std::vector<std::string>>());
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description positional;
  positional.add("capture", 2);

  auto vm = parse_args(args, all, &positional);
  if (!vm.ok()) return fail(vm.error());
  if (vm->count("help")) {
    const int code = print_help(kUsage, desc);
    std::cout
        << "Exit 1 when a share grew significantly beyond the threshold, 0 otherwise. See docs/DIFF.md.\n";
    return code;
  }
  const auto files =
      vm->count("capture") ? (*vm)["capture"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (files.size() != 2) {
    return fail(
        make_error(ErrorKind::usage, "diff takes two captures, BASE and NEW: " + std::string(kUsage)));
  }
  report::DiffConfig config;
  config.base_path = files[0];
  config.new_path = files[1];
  if (vm->count("json")) config.json_path = (*vm)["json"].as<std::string>();
  if (vm->count("output-dir")) config.output_dir = (*vm)["output-dir"].as<std::string>();
  if (vm->count("threshold")) {
    auto t = parse_threshold((*vm)["threshold"].as<std::string>());
    if (!t.ok()) return fail(t.error());
    config.options.threshold_pct = *t;
  }
  config.options.keep_interrupts = (*vm)["keep-interrupts"].as<bool>();
  if (vm->count("kind")) config.options.kinds = {(*vm)["kind"].as<std::string>()};
  if (vm->count("max-memory")) {
    auto bound = capture::parse_max_decoded_bytes((*vm)["max-memory"].as<std::string>());
    if (!bound.ok()) return fail(bound.error());
    config.read_options.max_decoded_bytes = *bound;
  }

  auto outcome = report::run_diff(config, std::cout);
  std::cout.flush();
  if (!outcome.ok()) {
    if (outcome.error().kind == ErrorKind::not_available) return not_available(outcome.error().message);
    return fail(outcome.error());
  }
  for (const auto& w : outcome->warnings) log::warn(w);
  for (const auto& f : outcome->files_written) log::info("wrote " + f);
  return outcome->diff.verdict == analyze::Verdict::regression ? kExitSloBroken : kExitOk;
}

#else

int cmd_diff(const Args&) { return not_available("loadprof diff (built without the report library)"); }

#endif

}  // namespace loadprof::cli
