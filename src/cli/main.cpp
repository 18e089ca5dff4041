// loadprof entry point: the command table. Every subcommand lives in its own
// cmd_<name>.cpp; nothing here knows what a command does. A command of the
// contract (SPEC.md) that is not built yet has no function in the table: it
// answers "not available yet", and the help marks it from the same entry.
#include <iostream>
#include <string>
#include <vector>

#include "commands.h"
#include "loadprof/util/exit_codes.h"
#include "loadprof/util/log.h"
#include "loadprof/util/version.h"
#include "options.h"

namespace {

struct Command {
  const char* name;
  int (*run)(const loadprof::cli::Args&);  // nullptr: not available yet
  const char* summary;
  const char* planned_usage;  // for --help of a command not available yet
};

const Command kCommands[] = {
    {"record", loadprof::cli::cmd_record, "sample a running process or a command into a capture", nullptr},
    {"load", loadprof::cli::cmd_load, "drive HTTP load at a URL (open or closed model)", nullptr},
    {"bench", loadprof::cli::cmd_bench, "load and record together; correlate latency with stacks", nullptr},
    {"report", loadprof::cli::cmd_report, "summarize a capture: Markdown, JSON, folded, flame graphs",
     nullptr},
    {"flamegraph", loadprof::cli::cmd_flamegraph, "render folded stacks or a capture as an SVG", nullptr},
    {"diff", loadprof::cli::cmd_diff, "compare two captures' stack shares; exit 1 on a regression", nullptr},
    {"check", loadprof::cli::cmd_check,
     "judge a bench capture against SLOs or a baseline; exit 1 when broken", nullptr},
    {"demo", loadprof::cli::cmd_demo, "built-in service with planted bottlenecks, loaded, profiled, reported",
     nullptr},
    {"import", loadprof::cli::cmd_import, "other tools' profiles (perf script, folded) as captures", nullptr},
};

constexpr const char* kNotYet = " (not available yet)";

void usage(std::ostream& out) {
  out << "loadprof " << loadprof::kVersion
      << " — why is it slow under load, and where does it break?\n\nusage: loadprof [-v] COMMAND [ARGS]\n\n";
  for (const auto& c : kCommands) {
    std::string name = c.name;
    out << "  " << name << std::string(name.size() < 12 ? 12 - name.size() : 1, ' ') << c.summary
        << (c.run ? "" : kNotYet) << "\n";
  }
  out << "\n'loadprof COMMAND --help' (or -h) shows a command's flags. -v, before or after COMMAND: more "
         "diagnostics.\n";
}

// A command not built yet: its planned usage for -h, "not available yet" otherwise.
int not_built(const Command& c, const loadprof::cli::Args& args) {
  for (const auto& a : args) {
    if (a == "--") break;
    if (a == "-h" || a == "--help") {
      std::cout << "usage: " << c.planned_usage << "\n\n" << c.summary << kNotYet << ".\n";
      return loadprof::kExitOk;
    }
  }
  return loadprof::cli::not_available(std::string("loadprof ") + c.name);
}

}  // namespace

int main(int argc, char** argv) {
  using loadprof::cli::closest_name;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; ++i) {
    std::string a = argv[i];
    if (a == "-v" || a == "--verbose") {
      loadprof::cli::raise_verbosity();
    } else if (a == "--version") {
      std::cout << "loadprof " << loadprof::kVersion << "\n";
      return loadprof::kExitOk;
    } else if (a == "-h" || a == "--help") {
      usage(std::cout);
      return loadprof::kExitOk;
    } else {
      std::string hint;
      if (a.starts_with("--")) {
        std::string near = closest_name(a.substr(2), {"verbose", "version", "help"});
        if (!near.empty()) hint = "; did you mean --" + near + "?";
      }
      loadprof::log::error("unknown option '" + a + "'" + hint + " (see loadprof --help)");
      return loadprof::kExitUsage;
    }
  }
  if (i >= argc) {
    usage(std::cerr);
    return loadprof::kExitUsage;
  }
  std::string name = argv[i];
  loadprof::cli::Args args(argv + i + 1, argv + argc);
  std::vector<std::string> names;
  for (const auto& c : kCommands) {
    if (name == c.name) return c.run ? c.run(args) : not_built(c, args);
    names.push_back(c.name);
  }
  std::string near = closest_name(name, names);
  loadprof::log::error("unknown command '" + name + "'" +
                       (near.empty() ? "" : "; did you mean '" + near + "'?") + " (see loadprof --help)");
  return loadprof::kExitUsage;
}
