// Shared command-line helpers: strict Boost.Program_options parsing (no
// abbreviations, no stray arguments, "did you mean" for typos), -v/-h common
// to every command, one-line errors mapped to exit codes, "not available yet".
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "loadprof/util/result.h"

namespace loadprof::cli {

namespace po = boost::program_options;

// How a command's arguments are read beyond its flags.
struct ParseSpec {
  // The positional arguments the command takes (none when null); any beyond
  // them is an error naming them.
  const po::positional_options_description* positional = nullptr;
  // Flags whose value is a comma-separated list: "--pid 1 2" suggests "--pid 1,2".
  std::vector<std::string> comma_lists;
  // Appended to the error for arguments the command does not take.
  std::string stray_hint;
};

// Parses args against desc (plus -v/--verbose, which raises the log level),
// refusing abbreviated and unknown flags (suggesting the closest flag) and
// arguments nobody takes. Returns an Error of kind usage naming the bad one.
Result<po::variables_map> parse_args(const std::vector<std::string>& args,
                                     const po::options_description& desc, const ParseSpec& spec);
Result<po::variables_map> parse_args(const std::vector<std::string>& args,
                                     const po::options_description& desc,
                                     const po::positional_options_description* positional = nullptr);

// Levenshtein distance (bytes), for "did you mean".
size_t edit_distance(std::string_view a, std::string_view b);
// The candidate a user probably meant by `typed`: the only one it abbreviates,
// or the nearest within a third of its length (at least 1, at most 3 edits).
// Empty when none is close.
std::string closest_name(std::string_view typed, const std::vector<std::string>& candidates);

// Where record (and bench) write without --output: the current directory.
inline constexpr const char* kDefaultCapturePath = "loadprof.lpc";
// Renames an existing `path` to `path`.old (replacing an older one), as perf
// does with perf.data; nothing when there is no such file.
Result<void> keep_previous_output(const std::string& path);

// One -v: warnings -> info -> debug.
void raise_verbosity();

// One argument as a POSIX shell would need it typed back: as is when it holds
// only safe characters, else in single quotes ('it'\''s').
std::string shell_quote(std::string_view arg);

// Prints "loadprof: <message>" to stderr and returns the exit code for the error kind.
int fail(const Error& error);
// Prints "loadprof: not available yet: <what>" and returns 2.
int not_available(const std::string& what);
// Prints usage of a command on stdout (for --help) and returns 0.
int print_help(const std::string& usage, const po::options_description& desc);

}  // namespace loadprof::cli
