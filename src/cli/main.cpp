// loadprof entry point: the command table. Every subcommand lives in its own
// cmd_<name>.cpp; nothing here knows what a command does.
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "commands.h"
#include "loadprof/util/exit_codes.h"
#include "loadprof/util/log.h"
#include "loadprof/util/version.h"

namespace {

struct Command {
  const char* name;
  int (*run)(const loadprof::cli::Args&);
  const char* summary;
};

const Command kCommands[] = {
    {"record", loadprof::cli::cmd_record, "sample a running process or a command into a capture"},
    {"load", loadprof::cli::cmd_load, "drive HTTP load at a URL (open or closed model)"},
    {"bench", loadprof::cli::cmd_bench, "load and record together; correlate latency with stacks"},
    {"report", loadprof::cli::cmd_report, "summarize a capture: Markdown, JSON, folded, flame graphs"},
    {"flamegraph", loadprof::cli::cmd_flamegraph, "render folded stacks or a capture as an SVG"},
    {"diff", loadprof::cli::cmd_diff, "compare two captures; exit 1 on a regression"},
    {"check", loadprof::cli::cmd_check, "judge a capture against SLOs; exit 1 when broken"},
    {"demo", loadprof::cli::cmd_demo, "built-in service with planted bottlenecks, profiled"},
};

void usage(std::ostream& out) {
  out << "loadprof " << loadprof::kVersion
      << " — why is it slow under load, and where does it break?\n\nusage: loadprof COMMAND [ARGS]\n\n";
  for (const auto& c : kCommands) out << "  " << c.name << std::string(12 - std::strlen(c.name), ' ') << c.summary << "\n";
  out << "\n'loadprof COMMAND --help' shows a command's flags. -v before COMMAND: more diagnostics.\n";
}

}  // namespace

int main(int argc, char** argv) {
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; ++i) {
    std::string a = argv[i];
    if (a == "-v" || a == "--verbose") {
      loadprof::log::set_level(loadprof::log::level() == loadprof::log::Level::info
                                   ? loadprof::log::Level::debug
                                   : loadprof::log::Level::info);
    } else if (a == "--version") {
      std::cout << "loadprof " << loadprof::kVersion << "\n";
      return loadprof::kExitOk;
    } else if (a == "-h" || a == "--help") {
      usage(std::cout);
      return loadprof::kExitOk;
    } else {
      loadprof::log::error("unknown option '" + a + "' (see loadprof --help)");
      return loadprof::kExitUsage;
    }
  }
  if (i >= argc) {
    usage(std::cerr);
    return loadprof::kExitUsage;
  }
  std::string name = argv[i];
  loadprof::cli::Args args(argv + i + 1, argv + argc);
  for (const auto& c : kCommands) {
    if (name == c.name) return c.run(args);
  }
  loadprof::log::error("unknown command '" + name + "' (see loadprof --help)");
  return loadprof::kExitUsage;
}
