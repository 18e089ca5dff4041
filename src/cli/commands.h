// The subcommands of the loadprof binary that are built. Each takes the
// arguments after its name and returns the process exit code (SPEC.md "Exit
// codes"). Those of the contract not built yet are entries without a function
// in main.cpp's table.
#pragma once

#include <string>
#include <vector>

namespace loadprof::cli {

using Args = std::vector<std::string>;

int cmd_record(const Args& args);
int cmd_load(const Args& args);
int cmd_bench(const Args& args);
int cmd_report(const Args& args);
int cmd_flamegraph(const Args& args);
int cmd_import(const Args& args);
int cmd_diff(const Args& args);
int cmd_check(const Args& args);
int cmd_demo(const Args& args);

}  // namespace loadprof::cli
