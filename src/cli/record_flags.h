// The recorder's flags, shared by `record` and `bench`: their declaration and
// their parsing into RecordOptions. Only the CLI includes this.
#pragma once

#include <string>
#include <vector>

#include "loadprof/record/recorder.h"
#include "options.h"

namespace loadprof::cli {

// Splits argv at the first "--": the flags before it, the command after it.
void split_command(const std::vector<std::string>& all, std::vector<std::string>& args,
                   std::vector<std::string>& command);

// Adds the record flags to desc; `record` also takes --duration (bench's is the load's).
void add_record_options(po::options_description& desc, bool with_duration);

// Validates the flags into options (targets from --pid or `command`). Errors
// are usage (exit 2, naming the flag) or not_available.
// `name` ("record", "bench") for the message when no target is given.
Result<record::RecordOptions> parse_record_flags(const po::variables_map& vm,
                                                 const std::vector<std::string>& command, const char* name);

// Warns when --frequency makes sampling costly (the measured loss at 999 Hz).
void warn_high_frequency(uint32_t frequency_hz);

// "'./server'" or "pid 1234" / "pids 1,2": what the status line names.
std::string describe_targets(const record::RecordOptions& o);

// What the recorder wrote, for stderr: samples, stacks, file, the launched
// command's exit status, what was lost, notes about the targets.
void print_record_summary(const record::RecordSummary& s, const std::string& output_path);

}  // namespace loadprof::cli
